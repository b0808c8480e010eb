/* kashim — the text of log lines, and why a peer died (pure logic).
 *
 * Nothing here makes a syscall or allocates: the formatter writes into the
 * caller's buffer and never past cap, so it is safe from any hook, signal
 * handler or the watcher thread.  Unit tests call it directly.
 */
#ifndef KASHIM_LOGFMT_H
#define KASHIM_LOGFMT_H

#include <stddef.h>
#include <stdint.h>

#define KASHIM_LINE_MAX 512

struct kashim_endpoint {
	int family;             /* AF_INET, AF_INET6, or 0 when unknown */
	uint8_t addr[16];       /* network order; IPv4 in the first 4 bytes */
	uint16_t port;          /* host order */
};

struct kashim_dead {
	const char *prog;
	long pid;
	int fd;
	const char *dir;        /* "out" or "in" */
	struct kashim_endpoint local, peer;
	int err;                /* ETIMEDOUT, ECONNRESET, ... */
	const char *cause;
	long long age_ms;
};

/* What TCP_INFO says about a connection after the kernel dropped it. */
struct kashim_death {
	int err;                /* errno reported, or 0 when not known (watcher) */
	unsigned probes;        /* keepalive or zero-window probes unanswered */
	unsigned retransmits;   /* retransmissions of unacknowledged data */
	int window_known;       /* kernel reports the peer's window (>= 5.4) */
	unsigned snd_wnd;       /* peer's last advertised window */
	unsigned cnt;           /* TCP_KEEPCNT in force */
	unsigned user_timeout;  /* TCP_USER_TIMEOUT in force, ms; 0 = none */
	unsigned since_ack;     /* ms since the peer last acknowledged anything */
};

/* "keepalive", "user_timeout", "zero_window", "reset" or "unreachable";
 * when d->err is 0 (the watcher cannot read the error without consuming
 * it) the errno is inferred too and stored back into d->err: a timeout is
 * a connection that went without an acknowledgement for the whole user
 * timeout (or used up its keepalive probes); anything that died sooner was
 * reset.  This is a best guess — the program's own call, when it comes,
 * gets the exact error. */
const char *kashim_cause(struct kashim_death *d);

/* The longest program name a line carries (the rest of the line matters
 * more than the end of a very long name). */
#define KASHIM_PROG_MAX 64

/* "ETIMEDOUT" and the other errno names kashim prints; "E<number>" for the
 * rest, written into buf. */
const char *kashim_errname(int err, char buf[16]);

/* "127.0.0.1:5555", "[::1]:5555", or "-" when the family is unknown. */
size_t kashim_fmt_endpoint(char *buf, size_t cap,
			   const struct kashim_endpoint *ep);

/* The dead-peer line, without the "kashim[PID]: " prefix and without a
 * newline:
 *   peer dead prog=NAME fd=7 dir=out local=... peer=... error=ETIMEDOUT
 *   cause=keepalive age=63.2s
 * A program name with blanks, quotes or '=' is quoted, logfmt style.
 * Returns the length (the line is cut, never overrun, at cap - 1). */
size_t kashim_fmt_dead(char *buf, size_t cap, const struct kashim_dead *d);

/* "kashim[PID]: " */
size_t kashim_fmt_prefix(char *buf, size_t cap, long pid);

/* A small appender used by the formatters and by log.c. */
struct kashim_buf {
	char *p;
	size_t cap, len;        /* len never exceeds cap - 1; p stays NUL-ended */
};
void kb_str(struct kashim_buf *b, const char *s);
void kb_num(struct kashim_buf *b, long long v);
void kb_value(struct kashim_buf *b, const char *s);   /* logfmt-quoted */
void kb_prog(struct kashim_buf *b, const char *prog); /* capped, quoted */
void kb_endpoint(struct kashim_buf *b, const struct kashim_endpoint *ep);

#endif
