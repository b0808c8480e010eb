/* kashim — the text of log lines, and why a peer died (see logfmt.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "logfmt.h"

/* ---- appender ---------------------------------------------------------- */

static void kb_char(struct kashim_buf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->p[b->len++] = c;
		b->p[b->len] = '\0';
	}
}

void kb_str(struct kashim_buf *b, const char *s)
{
	while (*s)
		kb_char(b, *s++);
}

void kb_num(struct kashim_buf *b, long long v)
{
	char digits[24];
	int n = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
				     : (unsigned long long)v;

	if (v < 0)
		kb_char(b, '-');
	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		kb_char(b, digits[--n]);
}

static int is_control(unsigned char c)
{
	return c < ' ' || c == 0x7f;
}

static int needs_quotes(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (!*u)
		return 1;
	for (; *u; u++)
		if (*u <= ' ' || *u == '"' || *u == '=' || *u == '\\' ||
		    *u == 0x7f)
			return 1;
	return 0;
}

/* logfmt value: bare when it can be, else quoted with \" \\ and control
 * characters shown as '?', so a program name cannot forge a line. */
void kb_value(struct kashim_buf *b, const char *s)
{
	if (!needs_quotes(s)) {
		kb_str(b, s);
		return;
	}
	kb_char(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			kb_char(b, '\\');
		kb_char(b, is_control((unsigned char)*s) ? '?' : *s);
	}
	kb_char(b, '"');
}

void kb_prog(struct kashim_buf *b, const char *prog)
{
	char name[KASHIM_PROG_MAX + 1];

	if (!prog)
		prog = "?";
	strncpy(name, prog, KASHIM_PROG_MAX);
	name[KASHIM_PROG_MAX] = '\0';
	kb_value(b, name);
}

void kb_endpoint(struct kashim_buf *b, const struct kashim_endpoint *ep)
{
	char ip[INET6_ADDRSTRLEN];

	if ((ep->family != AF_INET && ep->family != AF_INET6) ||
	    !inet_ntop(ep->family, ep->addr, ip, sizeof(ip))) {
		kb_char(b, '-');
		return;
	}
	if (ep->family == AF_INET6)
		kb_char(b, '[');
	kb_str(b, ip);
	if (ep->family == AF_INET6)
		kb_char(b, ']');
	kb_char(b, ':');
	kb_num(b, ep->port);
}

/* ---- names and causes -------------------------------------------------- */

const char *kashim_errname(int err, char buf[16])
{
	struct kashim_buf b = { buf, 16, 0 };

	switch (err) {
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNRESET: return "ECONNRESET";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case EPIPE: return "EPIPE";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EROFS: return "EROFS";
	case EISDIR: return "EISDIR";
	case ENOTDIR: return "ENOTDIR";
	case ENOSPC: return "ENOSPC";
	}
	buf[0] = '\0';
	kb_char(&b, 'E');
	kb_num(&b, err);
	return buf;
}

/* The kernel tells timeouts apart only by what it was doing when it gave
 * up: keepalive probes out on an idle connection (probes counts them),
 * unacknowledged data being retransmitted (retransmits), or window probes
 * to a peer that kept answering with a zero window (its window is 0 and
 * each answer reset the probe count). */
static const char *timeout_cause(const struct kashim_death *d)
{
	if (d->window_known && d->snd_wnd == 0)
		return "zero_window";
	if (d->retransmits > 0)
		return "user_timeout";
	return "keepalive";
}

/* With a user timeout in force the kernel ends an unanswered connection
 * only once nothing was acknowledged for that long, keepalive or not
 * (tcp_keepalive_timer, tcp_retransmit_timer); without one, keepalive
 * ends it after CNT probes and retransmission after its retry limit. */
static int timed_out(const struct kashim_death *d)
{
	if (d->window_known && d->snd_wnd == 0)
		return 1;               /* window probes answered, never opened */
	if (d->user_timeout)
		return d->since_ack >= d->user_timeout;
	if (d->retransmits > 0)
		return 1;
	return d->cnt > 0 && d->probes >= d->cnt;
}

const char *kashim_cause(struct kashim_death *d)
{
	if (d->err == 0)
		d->err = timed_out(d) ? ETIMEDOUT : ECONNRESET;
	switch (d->err) {
	case ECONNRESET:
	case EPIPE:
		return "reset";
	case EHOSTUNREACH:
	case ENETUNREACH:
		return "unreachable";
	}
	return timeout_cause(d);
}

/* ---- lines ------------------------------------------------------------- */

size_t kashim_fmt_endpoint(char *buf, size_t cap,
			   const struct kashim_endpoint *ep)
{
	struct kashim_buf b = { buf, cap, 0 };

	if (cap)
		buf[0] = '\0';
	kb_endpoint(&b, ep);
	return b.len;
}

size_t kashim_fmt_prefix(char *buf, size_t cap, long pid)
{
	struct kashim_buf b = { buf, cap, 0 };

	if (cap)
		buf[0] = '\0';
	kb_str(&b, "kashim[");
	kb_num(&b, pid);
	kb_str(&b, "]: ");
	return b.len;
}

size_t kashim_fmt_dead(char *buf, size_t cap, const struct kashim_dead *d)
{
	struct kashim_buf b = { buf, cap, 0 };
	long long age = d->age_ms > 0 ? d->age_ms : 0;  /* clocks never go back */
	char name[16];

	if (cap)
		buf[0] = '\0';
	kb_str(&b, "peer dead prog=");
	kb_prog(&b, d->prog);
	kb_str(&b, " fd=");
	kb_num(&b, d->fd);
	kb_str(&b, " dir=");
	kb_str(&b, d->dir);
	kb_str(&b, " local=");
	kb_endpoint(&b, &d->local);
	kb_str(&b, " peer=");
	kb_endpoint(&b, &d->peer);
	kb_str(&b, " error=");
	kb_str(&b, kashim_errname(d->err, name));
	kb_str(&b, " cause=");
	kb_str(&b, d->cause);
	kb_str(&b, " age=");
	kb_num(&b, age / 1000);
	kb_char(&b, '.');
	kb_num(&b, (age % 1000) / 100);
	kb_char(&b, 's');
	return b.len;
}
