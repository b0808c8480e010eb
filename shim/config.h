/* kashim — configuration: the environment, parsed once into a read-only struct.
 *
 * Everything here is pure code: no syscalls, no allocation, no globals.  The
 * loader reads variables through a caller-supplied getenv-like function and
 * reports bad values through a caller-supplied callback, so the unit tests
 * drive it with a fake environment and collect the messages.
 */
#ifndef KASHIM_CONFIG_H
#define KASHIM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum kashim_dir {
	KASHIM_DIR_OUT = 1,  /* connect() */
	KASHIM_DIR_IN = 2,   /* accept() */
	KASHIM_DIR_BOTH = 3,
};

enum kashim_sink {
	KASHIM_SINK_OFF = 0,
	KASHIM_SINK_STDERR,
	KASHIM_SINK_SYSLOG,
	KASHIM_SINK_FILE,
};

/* KASHIM_USER_TIMEOUT=auto */
#define KASHIM_UT_AUTO (-1L)

#define KASHIM_MAX_ITEMS 64     /* entries in a port or net list */
#define KASHIM_PATH_MAX 1024    /* log file path, including the NUL */

struct kashim_port_range {
	uint16_t lo, hi;        /* inclusive, 1..65535, lo <= hi */
};

/* n == 0: every port.  exclude: the list names the ports NOT selected. */
struct kashim_port_filter {
	uint8_t exclude;
	uint8_t n;
	struct kashim_port_range r[KASHIM_MAX_ITEMS];
};

struct kashim_net_prefix {
	uint8_t family;         /* AF_INET or AF_INET6 */
	uint8_t bits;           /* prefix length: 0..32 or 0..128 */
	uint8_t addr[16];       /* network byte order; host bits cleared */
};

/* n == 0: every peer.  exclude: the list names the peers NOT selected. */
struct kashim_net_filter {
	uint8_t exclude;
	uint8_t n;
	struct kashim_net_prefix p[KASHIM_MAX_ITEMS];
};

struct kashim_config {
	int disable;            /* KASHIM_DISABLE=1, or KEEPALIVE=off */
	int idle;               /* seconds, 1..32767 */
	int intvl;              /* seconds, 1..32767 */
	int cnt;                /* 1..127 */
	long user_timeout;      /* KASHIM_UT_AUTO, 0 (kernel default) or ms */
	int syncnt;             /* 0 (kernel default) or 1..127 */
	int direction;          /* enum kashim_dir */
	struct kashim_port_filter ports;
	struct kashim_net_filter nets;
	int override;           /* 0/1 */
	int watch;              /* 0/1 */
	int debug;              /* 0/1 */
	int sink;               /* enum kashim_sink */
	char log_path[KASHIM_PATH_MAX]; /* absolute path when sink == FILE */
};

/* The SPEC defaults: idle 60, intvl 10, cnt 6, auto, syncnt 0, both, all
 * ports, all nets, no override, no watch, no debug, log off. */
void kashim_config_defaults(struct kashim_config *cfg);

typedef const char *(*kashim_getenv_fn)(const char *name);
typedef void (*kashim_warn_fn)(const char *line, void *ctx);

/* Fill cfg from the environment, as get() sees it.  Each invalid value gives
 * exactly one call of warn() with one line (no trailing newline) of the form
 *   kashim: KASHIM_IDLE='5s' is not valid (expected a whole number from 1 to 32767); using the default 60
 * and that setting keeps its default.  secure != 0 (AT_SECURE) refuses a log
 * file path with a warning and keeps the sink off. */
void kashim_config_load(struct kashim_config *cfg, kashim_getenv_fn get,
			int secure, kashim_warn_fn warn, void *ctx);

/* Strict decimal: the whole string, digits only (no sign, no blanks), within
 * lo..hi.  Returns 0 and sets *out, or -1. */
int kashim_parse_long(const char *s, long lo, long hi, long *out);

/* "5432,6379,8000-8100" or "!22,25".  Returns 0 or -1 (f is then all). */
int kashim_parse_ports(const char *s, struct kashim_port_filter *f);

/* "10.0.0.0/8,fd00::/8,192.0.2.7" or "!10.0.0.0/8".  Returns 0 or -1. */
int kashim_parse_nets(const char *s, struct kashim_net_filter *f);

/* "out" / "in" / "both".  Returns the enum kashim_dir value, or -1. */
int kashim_parse_direction(const char *s);

/* "off" / "stderr" / "syslog" / an absolute path.  Returns the sink and, for
 * a file, copies the path into path[cap]; -1 when not valid. */
int kashim_parse_log(const char *s, char *path, size_t cap);

/* Matching a port or a peer against these lists: choose.h. */

/* KASHIM_USER_TIMEOUT=auto: (idle + intvl*cnt) * 1000 ms, in 64 bits,
 * capped at 2147483647. */
long kashim_auto_user_timeout(long idle, long intvl, long cnt);

#endif
