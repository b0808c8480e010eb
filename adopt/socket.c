/* kashim-adopt — one socket of the target (see adopt.h).
 *
 * The rules are the preload's (shim/choose.c and shim/apply.c, for sockets
 * it did not see made): TCP only; keepalive already on means the program (or kashim in a parent)
 * chose it, so the socket is left alone unless KASHIM_OVERRIDE=1; a
 * TCP_USER_TIMEOUT already in force is the program's too; direction and
 * the filters as configured; the auto user timeout from the values in
 * force.  TCP_SYNCNT is never set: these sockets are past their SYN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "choose.h"
#include "logfmt.h"
#include "plan.h"
#include "tcpinfo.h"

/* The values in force on a socket. */
struct opts {
	int ka, idle, intvl, cnt, ut;
};

struct sock_desc {
	int domain, type, protocol;
	int state;                      /* tcpi_state, -1 unknown */
	struct kashim_endpoint local, peer;
	struct opts had;
};

static int get_int(int fd, int level, int name, int *v)
{
	socklen_t len = sizeof(*v);

	*v = 0;
	return getsockopt(fd, level, name, v, &len);
}

static void read_opts(int fd, struct opts *o)
{
	get_int(fd, SOL_SOCKET, SO_KEEPALIVE, &o->ka);
	get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, &o->idle);
	get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, &o->intvl);
	get_int(fd, IPPROTO_TCP, TCP_KEEPCNT, &o->cnt);
	get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &o->ut);
}

static void endpoint(const struct sockaddr_storage *ss,
		     struct kashim_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		ep->family = AF_INET;
		memcpy(ep->addr, &in->sin_addr, 4);
		ep->port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		ep->family = AF_INET6;
		memcpy(ep->addr, &in6->sin6_addr, 16);
		ep->port = ntohs(in6->sin6_port);
	}
}

static void describe(int fd, struct sock_desc *d)
{
	struct sockaddr_storage ss;
	struct kashim_tcp_info ti;
	socklen_t len;

	memset(d, 0, sizeof(*d));
	d->state = -1;
	get_int(fd, SOL_SOCKET, SO_DOMAIN, &d->domain);
	get_int(fd, SOL_SOCKET, SO_TYPE, &d->type);
	get_int(fd, SOL_SOCKET, SO_PROTOCOL, &d->protocol);
	if (!kashim_is_tcp(d->domain, d->type, d->protocol))
		return;
	len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && len >= 1)
		d->state = ti.state;
	memset(&ss, 0, sizeof(ss));
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		endpoint(&ss, &d->local);
	memset(&ss, 0, sizeof(ss));
	len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		endpoint(&ss, &d->peer);
	read_opts(fd, &d->had);
}

/* ---- names -------------------------------------------------------------- */

static const char *proto_name(const struct sock_desc *d)
{
	int type = d->type;

	if (d->domain == AF_UNIX)
		return "unix";
	if (d->domain == AF_NETLINK)
		return "netlink";
	if (d->domain == AF_PACKET)
		return "packet";
	if (d->domain != AF_INET && d->domain != AF_INET6)
		return "other";
	if (type == SOCK_DGRAM)
		return d->protocol == IPPROTO_UDPLITE ? "udplite" : "udp";
	if (type == SOCK_RAW)
		return "raw";
	if (type == SOCK_STREAM)
		return d->protocol == IPPROTO_TCP || d->protocol == 0 ? "tcp" :
		       d->protocol == IPPROTO_SCTP ? "sctp" : "mptcp";
	return type == SOCK_SEQPACKET ? "seqpacket" : "inet";
}

/* The kernel's TCP states (include/net/tcp_states.h), as ss(8) names them. */
static const char *state_name(int s)
{
	static const char *const names[] = {
		"unknown", "established", "syn-sent", "syn-recv", "fin-wait-1",
		"fin-wait-2", "time-wait", "close", "close-wait", "last-ack",
		"listen", "closing", "new-syn-recv",
	};

	if (s < 0 || s >= (int)(sizeof(names) / sizeof(names[0])))
		return "unknown";
	return names[s];
}

#define ST_ESTABLISHED 1
#define ST_SYN_SENT 2
#define ST_CLOSE 7
#define ST_LISTEN 10

static void kb_opts(struct kashim_buf *b, const struct opts *o)
{
	kb_str(b, o->ka ? "keepalive:on,idle:" : "keepalive:off,idle:");
	kb_num(b, o->idle);
	kb_str(b, ",intvl:");
	kb_num(b, o->intvl);
	kb_str(b, ",cnt:");
	kb_num(b, o->cnt);
	kb_str(b, ",user_timeout:");
	kb_num(b, o->ut);
}

/* ---- decide ------------------------------------------------------------- */

static int listening_on(const struct adopt_target *t, uint16_t port)
{
	return (t->listening[port / 8] >> (port % 8)) & 1;
}

/* An established socket whose local port has a listener was accepted;
 * otherwise the ports tell, as the preload guesses (kashim_guess_role). */
static int direction(const struct adopt_target *t, const struct sock_desc *d)
{
	if (d->state == ST_LISTEN || listening_on(t, d->local.port))
		return KASHIM_DIR_IN;
	return kashim_guess_role(d->local.port, d->peer.port) == ROLE_OUT ?
	       KASHIM_DIR_OUT : KASHIM_DIR_IN;
}

/* Why the socket is left alone, or NULL to configure it. */
static const char *skip_reason(const struct kashim_config *cfg,
			       const struct sock_desc *d, int dir)
{
	uint16_t port = dir == KASHIM_DIR_OUT ? d->peer.port : d->local.port;

	if (d->state == ST_CLOSE)
		return "not connected (state close)";
	if (d->state == ST_SYN_SENT)
		return "still connecting (state syn-sent)";
	if (d->state < 0)
		return "no TCP_INFO (state unknown)";
	if (!(cfg->direction & dir))
		return "KASHIM_DIRECTION";
	if (cfg->ports.n && !kashim_port_selected(&cfg->ports, port))
		return "KASHIM_PORTS";
	if (cfg->nets.n && d->state == ST_LISTEN)
		return "KASHIM_NETS: a listener's connections are chosen per "
		       "peer, which cannot be done from outside for connections "
		       "it accepts later";
	if (cfg->nets.n && !kashim_net_selected(&cfg->nets, d->peer.family,
						d->peer.addr))
		return "KASHIM_NETS";
	if (d->had.ka && !cfg->override)
		return "keepalive already on (the program's own, or an earlier "
		       "adopt's; --override replaces it)";
	return NULL;
}

/* The plan for this socket, from what is in force: keepalive is off here
 * (or overridden), so only a user timeout already set is the program's. */
static void plan(const struct kashim_config *cfg, const struct sock_desc *d,
		 struct kashim_plan *p)
{
	struct kashim_fd e;

	memset(&e, 0, sizeof(e));
	e.kind = KIND_TCP;
	e.family = (uint8_t)d->domain;
	if (d->had.ut > 0)
		e.user_set |= OPT_UT;
	e.idle = (uint16_t)d->had.idle;
	e.intvl = (uint16_t)d->had.intvl;
	e.cnt = (uint8_t)d->had.cnt;
	kashim_plan_first(cfg, &e, 0, p);
}

/* ---- set ---------------------------------------------------------------- */

static const char *opt_name(const struct kashim_opt *o)
{
	if (o->level == SOL_SOCKET)
		return "SO_KEEPALIVE";
	switch (o->name) {
	case TCP_KEEPIDLE: return "TCP_KEEPIDLE";
	case TCP_KEEPINTVL: return "TCP_KEEPINTVL";
	case TCP_KEEPCNT: return "TCP_KEEPCNT";
	case TCP_USER_TIMEOUT: return "TCP_USER_TIMEOUT";
	}
	return "?";
}

static int had_value(const struct opts *o, const struct kashim_opt *x)
{
	if (x->level == SOL_SOCKET)
		return o->ka;
	switch (x->name) {
	case TCP_KEEPIDLE: return o->idle;
	case TCP_KEEPINTVL: return o->intvl;
	case TCP_KEEPCNT: return o->cnt;
	}
	return o->ut;
}

/* In the plan's order, SO_KEEPALIVE first: TCP_KEEPIDLE set on a socket
 * with keepalive on arms the timer for the idle time that is left, counting
 * the time the connection has already been idle (the kernel's
 * tcp_sock_set_keepidle_locked), so an adopted connection that went quiet
 * long ago is probed at once.  When a call fails, what was already set is
 * put back as it was: a socket is configured whole or not at all.  0, or -1
 * with the failure in err[]. */
static int apply(int fd, const struct kashim_plan *p, const struct opts *had,
		 char *err, size_t cap)
{
	int i;

	for (i = 0; i < p->n; i++) {
		const struct kashim_opt *o = &p->opt[i];

		if (setsockopt(fd, o->level, o->name, &o->value,
			       sizeof(int)) == 0)
			continue;
		snprintf(err, cap, "setsockopt %s=%d: %s", opt_name(o),
			 o->value, strerror(errno));
		while (i-- > 0) {
			int v = had_value(had, &p->opt[i]);

			setsockopt(fd, p->opt[i].level, p->opt[i].name, &v,
				   sizeof(v));
		}
		return -1;
	}
	return 0;
}

/* The values a dry run shows: what the plan would leave in force. */
static void planned(const struct kashim_plan *p, const struct opts *had,
		    struct opts *o)
{
	int i;

	*o = *had;
	for (i = 0; i < p->n; i++) {
		const struct kashim_opt *x = &p->opt[i];

		if (x->level == SOL_SOCKET)
			o->ka = x->value;
		else if (x->name == TCP_KEEPIDLE)
			o->idle = x->value;
		else if (x->name == TCP_KEEPINTVL)
			o->intvl = x->value;
		else if (x->name == TCP_KEEPCNT)
			o->cnt = x->value;
		else if (x->name == TCP_USER_TIMEOUT)
			o->ut = x->value;
	}
}

/* ---- report ------------------------------------------------------------- */

static void line_head(struct kashim_buf *b, const struct adopt_target *t,
		      int fd)
{
	kb_str(b, "socket pid=");
	kb_num(b, t->pid);
	kb_str(b, " fd=");
	kb_num(b, fd);
}

static void line_tcp(struct kashim_buf *b, const struct sock_desc *d, int dir)
{
	kb_str(b, " proto=tcp state=");
	kb_str(b, state_name(d->state));
	kb_str(b, dir == KASHIM_DIR_OUT ? " dir=out" :
		  d->state == ST_LISTEN ? " dir=listen" : " dir=in");
	kb_str(b, " local=");
	kb_endpoint(b, &d->local);
	kb_str(b, " peer=");
	kb_endpoint(b, &d->peer);
	kb_str(b, " had=");
	kb_opts(b, &d->had);
}

static void emit(struct kashim_buf *b)
{
	printf("%s\n", b->p);
}

/* Configure (or, dry, plan) a TCP socket the rules select. */
static void configure(const struct kashim_config *cfg, int fd,
		      const struct sock_desc *d, int dry_run,
		      struct kashim_buf *b, struct adopt_count *n)
{
	struct kashim_plan p;
	struct opts got;
	char err[160];

	plan(cfg, d, &p);
	if (dry_run) {
		planned(&p, &d->had, &got);
		kb_str(b, " would=");
		kb_opts(b, &got);
		n->configured++;
		return;
	}
	if (apply(fd, &p, &d->had, err, sizeof(err)) != 0) {
		kb_str(b, " error=");
		kb_value(b, err);
		n->failed++;
		return;
	}
	read_opts(fd, &got);
	kb_str(b, " got=");
	kb_opts(b, &got);
	n->configured++;
}

static void skipped(struct kashim_buf *b, const char *why,
		    struct adopt_count *n)
{
	kb_str(b, " skipped=");
	kb_value(b, why);
	n->skipped++;
}

/* fd is the duplicate; is it still the socket /proc/PID/fd named? */
static int same_inode(int fd, uint64_t ino)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (uint64_t)st.st_ino == ino;
}

void adopt_socket(const struct kashim_config *cfg,
		  const struct adopt_target *t, const struct adopt_sock *s,
		  int dry_run, struct adopt_count *n)
{
	char line[1024];
	struct kashim_buf b = { line, sizeof(line), 0 };
	struct sock_desc d;
	const char *why;
	int fd, dir;

	line[0] = '\0';
	line_head(&b, t, s->fd);
	fd = target_getfd(t, s->fd);
	if (fd < 0) {
		skipped(&b, errno == EBADF ? "closed by the program meanwhile" :
			strerror(errno), n);
		emit(&b);
		return;
	}
	if (!same_inode(fd, s->ino)) {
		close(fd);
		skipped(&b, "replaced by the program meanwhile", n);
		emit(&b);
		return;
	}
	describe(fd, &d);
	if (!kashim_is_tcp(d.domain, d.type, d.protocol)) {
		close(fd);
		kb_str(&b, " proto=");
		kb_str(&b, proto_name(&d));
		skipped(&b, "not TCP", n);
		emit(&b);
		return;
	}
	n->tcp++;
	dir = direction(t, &d);
	line_tcp(&b, &d, d.state == ST_LISTEN ? KASHIM_DIR_IN : dir);
	why = skip_reason(cfg, &d, dir);
	if (why)
		skipped(&b, why, n);
	else
		configure(cfg, fd, &d, dry_run, &b, n);
	close(fd);
	emit(&b);
}
