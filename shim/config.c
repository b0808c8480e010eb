/* kashim — configuration: the environment, parsed once (see config.h).
 *
 * The library runs this from its constructor, possibly inside a setuid
 * program or before malloc is usable, so everything here is pure: no
 * syscalls, no allocation, no printing, no state.  Variables are read through
 * the caller's getenv-like function and every complaint goes to the caller's
 * callback as one finished line, which also lets the unit tests drive it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define PORT_MAX 65535L
#define UT_MAX 2147483647L      /* TCP_USER_TIMEOUT takes an int */
#define SHOWN_MAX 64            /* bytes of a bad value quoted in a warning */
#define LINE_MAX_LEN 512        /* longest warning: name, 64+3 bytes, tail */
#define MAX_SOURCES 4           /* the KASHIM_ name and up to three aliases */

/* ------------------------------------------------------------------------
 * Strict decimal numbers.  The SPEC says "decimal, no blanks", and strtol
 * would accept blanks, a sign and 0x (with base 0), so a digit loop that
 * also refuses overflow is the simplest exact rule.
 */

/* s[0..len) as a whole: digits only, not empty, no overflow, within lo..hi. */
static int parse_decimal_span(const char *s, size_t len, long lo, long hi,
			      long *out)
{
	long v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		int d = s[i] - '0';

		if (d < 0 || d > 9 || v > (LONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int kashim_parse_long(const char *s, long lo, long hi, long *out)
{
	if (!s || !out)
		return -1;
	return parse_decimal_span(s, strlen(s), lo, hi, out);
}

/* ------------------------------------------------------------------------
 * Lists: "[!]item,item,...".  Ports and nets share the syntax, so one walker
 * splits the text and hands each item (not NUL-terminated) to a parser.
 */

typedef int (*list_item_fn)(const char *item, size_t len, void *filter,
			    unsigned idx);

/* A '!' is only meaningful as the very first character; anywhere else it
 * reaches an item parser, which refuses it.  Empty items (",,", a trailing
 * comma, "!" alone, "") are refused here, as is a list longer than the
 * fixed array.  Returns the number of items, or -1. */
static int walk_list(const char *s, uint8_t *exclude, list_item_fn parse_item,
		     void *filter)
{
	const char *item;
	unsigned count = 0;

	if (!s)
		return -1;
	*exclude = s[0] == '!';
	item = s + *exclude;
	for (;;) {
		const char *comma = strchr(item, ',');
		size_t len = comma ? (size_t)(comma - item) : strlen(item);

		if (len == 0 || count == KASHIM_MAX_ITEMS ||
		    parse_item(item, len, filter, count) != 0)
			return -1;
		count++;
		if (!comma)
			return (int)count;
		item = comma + 1;
	}
}

/* ------------------------------------------------------------------------
 * Ports.
 */

/* "N" or "A-B" with 1 <= A <= B <= 65535. */
static int parse_port_item(const char *item, size_t len, void *filter,
			   unsigned idx)
{
	struct kashim_port_filter *f = filter;
	const char *dash = memchr(item, '-', len);
	long lo, hi;

	if (!dash) {
		if (parse_decimal_span(item, len, 1, PORT_MAX, &lo) != 0)
			return -1;
		hi = lo;
	} else if (parse_decimal_span(item, (size_t)(dash - item), 1,
				      PORT_MAX, &lo) != 0 ||
		   parse_decimal_span(dash + 1, len - (size_t)(dash - item) - 1,
				      1, PORT_MAX, &hi) != 0 || lo > hi) {
		return -1;
	}
	f->r[idx].lo = (uint16_t)lo;
	f->r[idx].hi = (uint16_t)hi;
	return 0;
}

int kashim_parse_ports(const char *s, struct kashim_port_filter *f)
{
	int n;

	if (!f)
		return -1;
	n = walk_list(s, &f->exclude, parse_port_item, f);
	if (n < 0) {
		/* A half-parsed list must not select anything odd: back to all. */
		memset(f, 0, sizeof *f);
		return -1;
	}
	f->n = (uint8_t)n;
	return 0;
}

/* ------------------------------------------------------------------------
 * Networks.
 */

/* Zero every bit past the prefix, so that 10.1.2.3/8 is stored (and then
 * compared) as 10.0.0.0/8: users often write a host address with the mask
 * of its network, and refusing that would only be pedantic. */
static void clear_host_bits(uint8_t *addr, unsigned bits, unsigned size)
{
	unsigned i;

	for (i = 0; i < size; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		addr[i] &= (uint8_t)(0xffu << (8 - bits));
		bits = 0;
	}
}

/* "addr" or "addr/bits"; an address with a ':' is IPv6.  inet_pton needs a
 * NUL-terminated copy, and no valid address is INET6_ADDRSTRLEN long. */
static int parse_net_item(const char *item, size_t len, void *filter,
			  unsigned idx)
{
	struct kashim_net_prefix *p = &((struct kashim_net_filter *)filter)->p[idx];
	const char *slash = memchr(item, '/', len);
	size_t alen = slash ? (size_t)(slash - item) : len;
	char text[INET6_ADDRSTRLEN];
	long max_bits, bits;

	if (alen >= sizeof text)
		return -1;
	memcpy(text, item, alen);
	text[alen] = '\0';
	memset(p, 0, sizeof *p);
	p->family = memchr(text, ':', alen) ? AF_INET6 : AF_INET;
	max_bits = p->family == AF_INET6 ? 128 : 32;
	if (inet_pton(p->family, text, p->addr) != 1)
		return -1;
	bits = max_bits;
	if (slash && parse_decimal_span(slash + 1, len - alen - 1, 0, max_bits,
					&bits) != 0)
		return -1;
	p->bits = (uint8_t)bits;
	clear_host_bits(p->addr, p->bits, (unsigned)max_bits / 8);
	return 0;
}

int kashim_parse_nets(const char *s, struct kashim_net_filter *f)
{
	int n;

	if (!f)
		return -1;
	n = walk_list(s, &f->exclude, parse_net_item, f);
	if (n < 0) {
		memset(f, 0, sizeof *f);
		return -1;
	}
	f->n = (uint8_t)n;
	return 0;
}

/* ------------------------------------------------------------------------
 * Words.
 */

int kashim_parse_direction(const char *s)
{
	if (!s)
		return -1;
	if (strcmp(s, "out") == 0)
		return KASHIM_DIR_OUT;
	if (strcmp(s, "in") == 0)
		return KASHIM_DIR_IN;
	if (strcmp(s, "both") == 0)
		return KASHIM_DIR_BOTH;
	return -1;
}

/* A relative path is refused: the program may chdir, and a log that lands
 * in whatever directory it happens to be in is never what was meant. */
int kashim_parse_log(const char *s, char *path, size_t cap)
{
	size_t len;

	if (!s)
		return -1;
	if (strcmp(s, "off") == 0)
		return KASHIM_SINK_OFF;
	if (strcmp(s, "stderr") == 0)
		return KASHIM_SINK_STDERR;
	if (strcmp(s, "syslog") == 0)
		return KASHIM_SINK_SYSLOG;
	len = strlen(s);
	if (s[0] != '/' || !path || len >= cap)
		return -1;
	memcpy(path, s, len + 1);
	return KASHIM_SINK_FILE;
}

/* ------------------------------------------------------------------------
 * Auto user timeout.  The arguments may be the program's own socket options,
 * so no range is assumed: every step saturates at the cap before it could
 * overflow, which gives the exact 64-bit result even where long is 32 bits.
 * A negative argument (never a valid option) counts as 0.
 */
long kashim_auto_user_timeout(long idle, long intvl, long cnt)
{
	const long cap_s = UT_MAX / 1000;       /* whole seconds under the cap */
	long total;

	idle = idle < 0 ? 0 : idle;
	intvl = intvl < 0 ? 0 : intvl;
	cnt = cnt < 0 ? 0 : cnt;
	if (idle > cap_s || (intvl != 0 && cnt > cap_s / intvl))
		return UT_MAX;
	total = idle + intvl * cnt;             /* at most 2 * cap_s */
	if (total > cap_s)
		return UT_MAX;
	return total * 1000;
}

/* ------------------------------------------------------------------------
 * Defaults.
 */
void kashim_config_defaults(struct kashim_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->idle = 60;
	cfg->intvl = 10;
	cfg->cnt = 6;
	cfg->user_timeout = KASHIM_UT_AUTO;
	cfg->syncnt = 0;
	cfg->direction = KASHIM_DIR_BOTH;
	cfg->sink = KASHIM_SINK_OFF;
}

/* ------------------------------------------------------------------------
 * The loader: one table row per setting, each naming the variables that can
 * give it and how their text is read.
 */

struct loader {
	struct kashim_config *cfg;
	int secure;
	kashim_warn_fn warn;
	void *ctx;
};

struct setting;
struct source;

/* How a variable's text is read: store() checks it and, only when it is
 * valid, stores it and returns 0; -1 leaves the default in place and the
 * loader warns with `expected` (NULL: the whole-number text built from the
 * setting's range and default). */
struct syntax {
	int (*store)(const struct setting *set, const struct source *src,
		     const char *value, struct loader *ld);
	const char *expected;
};

struct source {
	const char *name;
	const struct syntax *syntax;
};

struct setting {
	struct source src[MAX_SOURCES]; /* precedence order; NULL name ends */
	long lo, hi, def;               /* whole numbers: range and default */
	size_t field;                   /* offsetof in struct kashim_config */
};

static void *field_of(const struct setting *set, struct loader *ld)
{
	return (char *)ld->cfg + set->field;
}

static void emit(struct loader *ld, const char *line)
{
	if (ld->warn)
		ld->warn(line, ld->ctx);
}

/* Quote a value the user gave, safely: at most SHOWN_MAX bytes then "...",
 * and every control character as '?', so that a hostile environment cannot
 * forge extra log lines or drive the terminal through our warning. */
static void show_value(const char *value, char out[SHOWN_MAX + sizeof "..."])
{
	size_t i;

	for (i = 0; i < SHOWN_MAX && value[i] != '\0'; i++) {
		unsigned char c = (unsigned char)value[i];

		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (value[i] != '\0') {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

/* The wrapper script prints these same lines; keep the texts in step. */
static void warn_invalid(const struct setting *set, const struct source *src,
			 const char *value, struct loader *ld)
{
	char shown[SHOWN_MAX + sizeof "..."];
	char line[LINE_MAX_LEN];

	show_value(value, shown);
	if (src->syntax->expected)
		snprintf(line, sizeof line, "kashim: %s='%s' is not valid %s",
			 src->name, shown, src->syntax->expected);
	else
		snprintf(line, sizeof line, "kashim: %s='%s' is not valid "
			 "(expected a whole number from %ld to %ld); "
			 "using the default %ld",
			 src->name, shown, set->lo, set->hi, set->def);
	emit(ld, line);
}

static int store_int(const struct setting *set, const struct source *src,
		     const char *value, struct loader *ld)
{
	long v;

	(void)src;
	if (kashim_parse_long(value, set->lo, set->hi, &v) != 0)
		return -1;
	*(int *)field_of(set, ld) = (int)v;
	return 0;
}

static int store_user_timeout(const struct setting *set,
			      const struct source *src, const char *value,
			      struct loader *ld)
{
	long v;

	(void)src;
	if (strcmp(value, "auto") == 0)
		v = KASHIM_UT_AUTO;
	else if (kashim_parse_long(value, 0, UT_MAX, &v) != 0)
		return -1;
	*(long *)field_of(set, ld) = v;
	return 0;
}

static int store_direction(const struct setting *set, const struct source *src,
			   const char *value, struct loader *ld)
{
	int dir = kashim_parse_direction(value);

	(void)src;
	if (dir < 0)
		return -1;
	*(int *)field_of(set, ld) = dir;
	return 0;
}

static int store_ports(const struct setting *set, const struct source *src,
		       const char *value, struct loader *ld)
{
	(void)src;
	return kashim_parse_ports(value, field_of(set, ld));
}

static int store_nets(const struct setting *set, const struct source *src,
		      const char *value, struct loader *ld)
{
	(void)src;
	return kashim_parse_nets(value, field_of(set, ld));
}

/* SPEC: in secure-execution mode the user's environment must not make a
 * privileged process write to a file of its choosing.  The refusal is named
 * in a warning of its own (the path itself was valid). */
static void warn_secure_log(const struct source *src, const char *value,
			    struct loader *ld)
{
	char shown[SHOWN_MAX + sizeof "..."];
	char line[LINE_MAX_LEN];

	show_value(value, shown);
	snprintf(line, sizeof line, "kashim: %s='%s' is ignored in a setuid "
		 "or setgid program; logging is off", src->name, shown);
	emit(ld, line);
}

static int store_log(const struct setting *set, const struct source *src,
		     const char *value, struct loader *ld)
{
	struct kashim_config *cfg = ld->cfg;
	int sink = kashim_parse_log(value, cfg->log_path, sizeof cfg->log_path);

	if (sink < 0)
		return -1;
	if (sink == KASHIM_SINK_FILE && ld->secure) {
		cfg->log_path[0] = '\0';
		warn_secure_log(src, value, ld);
		return 0;       /* handled: logging stays off */
	}
	*(int *)field_of(set, ld) = sink;
	return 0;
}

/* Busatto's KEEPALIVE: "off" turned that shim off.  Like that shim, the word
 * is matched without regard to case, so existing scripts keep working. */
static int store_keepalive_word(const struct setting *set,
				const struct source *src, const char *value,
				struct loader *ld)
{
	(void)src;
	if (strcasecmp(value, "off") == 0)
		*(int *)field_of(set, ld) = 1;
	else if (strcasecmp(value, "on") != 0)
		return -1;
	return 0;
}

static const struct syntax number = { store_int, NULL };
static const struct syntax flag = {
	store_int, "(expected 0 or 1); using the default 0"
};
static const struct syntax keepalive_word = {
	store_keepalive_word, "(expected on or off); using the default on"
};
static const struct syntax user_timeout = {
	store_user_timeout,
	"(expected auto or a whole number of milliseconds from 0 to "
	"2147483647); using the default auto"
};
static const struct syntax direction = {
	store_direction, "(expected out, in or both); using the default both"
};
static const struct syntax ports = {
	store_ports,
	"(expected ports or ranges from 1 to 65535 separated by commas, like "
	"5432,8000-8100, optionally led by ! to exclude them); using the "
	"default: all ports"
};
static const struct syntax nets = {
	store_nets,
	"(expected IPv4 or IPv6 addresses or prefixes separated by commas, "
	"like 10.0.0.0/8,fd00::/8, optionally led by ! to exclude them); "
	"using the default: all peers"
};
static const struct syntax log_sink = {
	store_log,
	"(expected off, stderr, syslog or an absolute file path); using the "
	"default off"
};

#define FIELD(member) offsetof(struct kashim_config, member)

/* Each setting is read from its KASHIM_ variable; only when that is unset
 * are the older shims' names tried, in this order: msantos' libkeepalive
 * (TCP_*), then Busatto's libkeepalive (KEEP*), then libdontdie (DD_*).  The
 * first one that is set wins, valid or not, and a warning names the variable
 * actually read.  Disable comes first: once kashim is disabled, the loader
 * reads nothing more and so says nothing more. */
static const struct setting settings[] = {
	{ { { "KASHIM_DISABLE", &flag }, { "KEEPALIVE", &keepalive_word } },
	  0, 1, 0, FIELD(disable) },
	{ { { "KASHIM_IDLE", &number }, { "TCP_KEEPIDLE", &number },
	    { "KEEPIDLE", &number }, { "DD_TCP_KEEPALIVE_TIME", &number } },
	  1, 32767, 60, FIELD(idle) },
	{ { { "KASHIM_INTVL", &number }, { "TCP_KEEPINTVL", &number },
	    { "KEEPINTVL", &number }, { "DD_TCP_KEEPALIVE_INTVL", &number } },
	  1, 32767, 10, FIELD(intvl) },
	{ { { "KASHIM_CNT", &number }, { "TCP_KEEPCNT", &number },
	    { "KEEPCNT", &number }, { "DD_TCP_KEEPALIVE_PROBES", &number } },
	  1, 127, 6, FIELD(cnt) },
	{ { { "KASHIM_USER_TIMEOUT", &user_timeout },
	    { "TCP_USER_TIMEOUT", &user_timeout } },
	  0, UT_MAX, KASHIM_UT_AUTO, FIELD(user_timeout) },
	{ { { "KASHIM_SYNCNT", &number }, { "TCP_SYNCNT", &number } },
	  0, 127, 0, FIELD(syncnt) },
	{ { { "KASHIM_DIRECTION", &direction } }, 0, 0, 0, FIELD(direction) },
	{ { { "KASHIM_PORTS", &ports } }, 0, 0, 0, FIELD(ports) },
	{ { { "KASHIM_NETS", &nets } }, 0, 0, 0, FIELD(nets) },
	{ { { "KASHIM_OVERRIDE", &flag } }, 0, 1, 0, FIELD(override) },
	{ { { "KASHIM_WATCH", &flag } }, 0, 1, 0, FIELD(watch) },
	{ { { "KASHIM_DEBUG", &flag } }, 0, 1, 0, FIELD(debug) },
	{ { { "KASHIM_LOG", &log_sink } }, 0, 0, 0, FIELD(sink) },
};

/* The first variable of the setting that is set decides; an unset one is
 * skipped silently, a set one (even "") is judged. */
static void load_setting(const struct setting *set, kashim_getenv_fn get,
			 struct loader *ld)
{
	const struct source *src;

	for (src = set->src; src < set->src + MAX_SOURCES && src->name; src++) {
		const char *value = get(src->name);

		if (!value)
			continue;
		if (src->syntax->store(set, src, value, ld) != 0)
			warn_invalid(set, src, value, ld);
		return;
	}
}

void kashim_config_load(struct kashim_config *cfg, kashim_getenv_fn get,
			int secure, kashim_warn_fn warn, void *ctx)
{
	struct loader ld = { cfg, secure, warn, ctx };
	size_t i;

	kashim_config_defaults(cfg);
	if (!get)
		return;
	for (i = 0; i < sizeof settings / sizeof settings[0]; i++) {
		load_setting(&settings[i], get, &ld);
		if (cfg->disable)
			return;
	}
}
