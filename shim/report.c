/* kashim — recognising a death and reporting it (see report.h). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "kashim.h"
#include "logfmt.h"
#include "real.h"
#include "report.h"
#include "sink.h"
#include "tcpinfo.h"

#define TCPINFO_LEVEL IPPROTO_TCP
#define TCPINFO_NAME 11         /* TCP_INFO */
#define TCPINFO_UT 18           /* TCP_USER_TIMEOUT */

KASHIM_HOT_DATA int kashim_logging;
KASHIM_HOT_DATA int kashim_debug_lines;         /* KASHIM_DEBUG, with somewhere to write */

/* KASHIM_DEBUG with no KASHIM_LOG: the decision lines go to stderr. */
int kashim_report_init(const struct kashim_config *cfg, kashim_warn_fn warn)
{
	int want = cfg->sink;

	if (want == KASHIM_SINK_OFF && cfg->debug)
		want = KASHIM_SINK_STDERR;
	kashim_logging = kashim_sink_init(want, cfg->log_path, warn) !=
			 KASHIM_SINK_OFF;
	kashim_debug_lines = cfg->debug && kashim_logging;
	return kashim_logging;
}

/* ---- the dead-peer report ---------------------------------------------- */

static void endpoint_from_entry(const struct kashim_fd *e,
				struct kashim_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = e->family;
	memcpy(ep->addr, e->addr, sizeof(ep->addr));
	ep->port = ntohs(e->port);
}

static void endpoint_from_sa(const struct sockaddr_storage *ss,
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

static void endpoint_from_sockname(int fd, struct kashim_endpoint *ep)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (KASHIM_REAL(getsockname)(fd, (struct sockaddr *)&ss, &len) != 0)
		ss.ss_family = AF_UNSPEC;
	endpoint_from_sa(&ss, ep);
}

static unsigned user_timeout_of(int fd)
{
	unsigned v = 0;
	socklen_t len = sizeof(v);

	if (KASHIM_REAL(getsockopt)(fd, IPPROTO_TCP, TCPINFO_UT, &v, &len))
		return 0;
	return v;
}

static int getsockopt_int(int fd, int level, int name, int *v)
{
	socklen_t len = sizeof(*v);

	return KASHIM_REAL(getsockopt)(fd, level, name, v, &len);
}

/* The socket's peer, into *ep.  SO_PEERNAME answers even once the
 * connection has ended (getpeername then says ENOTCONN); it wants the
 * exact size of the family's address. */
static int peer_of(int fd, int family, struct kashim_endpoint *ep)
{
	struct sockaddr_storage ss;
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in)
					  : sizeof(struct sockaddr_in6);

	memset(&ss, 0, sizeof(ss));
	if (KASHIM_REAL(getsockopt)(fd, SOL_SOCKET, SO_PEERNAME, &ss, &len) != 0 ||
	    ss.ss_family != family)
		return -1;
	endpoint_from_sa(&ss, ep);
	return 0;
}

/* The entry's peer is the socket's, *ep.  An accepted socket whose program
 * asked accept() for no address has none in its entry (kashim does not
 * ask either): then only its options tell it apart. */
static int same_peer(const struct kashim_fd *e, const struct kashim_endpoint *ep)
{
	static const uint8_t none[16];

	if (e->port == 0 && memcmp(e->addr, none, sizeof(none)) == 0)
		return 1;
	return ep->port == ntohs(e->port) &&
	       memcmp(ep->addr, e->addr, e->family == AF_INET ? 4 : 16) == 0;
}

static int option_is(int fd, int level, int name, int want)
{
	int v = 0;

	return getsockopt_int(fd, level, name, &v) == 0 && v == want;
}

/* The options the entry says are in force are the socket's: keepalive on
 * (unless the program set it itself) and the same idle, interval and
 * count, kashim's or the program's own.  A socket made where kashim could
 * not see it has the kernel's (7200/75/9) or its program's. */
static int has_our_options(int fd, const struct kashim_fd *e)
{
	if (!(e->user_set & OPT_KEEPALIVE) &&
	    !option_is(fd, SOL_SOCKET, SO_KEEPALIVE, 1))
		return 0;
	return option_is(fd, IPPROTO_TCP, TCP_KEEPIDLE, e->idle) &&
	       option_is(fd, IPPROTO_TCP, TCP_KEEPINTVL, e->intvl) &&
	       option_is(fd, IPPROTO_TCP, TCP_KEEPCNT, e->cnt);
}

/* The same socket kashim configured, still there, ended by the kernel?
 * Hooked calls that hand out an fd number (socket, accept, dup*, fcntl)
 * rewrite its entry, but a number closed behind kashim (a raw syscall,
 * fclose, libc's own close) can be taken by a socket kashim never saw
 * while the old entry stays.  So the entry must fit the socket: its peer,
 * and kashim's options on it.  The inode, read now, tells dup'ed copies
 * of one socket apart from other sockets (claim()). */
static int read_death(int fd, const struct kashim_fd *e, int err,
		      struct kashim_death *d, struct kashim_endpoint *peer,
		      uint64_t *ino)
{
	struct kashim_tcp_info ti;
	socklen_t len = sizeof(ti);
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
	    peer_of(fd, e->family, peer) != 0 || !same_peer(e, peer) ||
	    !has_our_options(fd, e))
		return -1;              /* the fd now names another file */
	*ino = (uint64_t)st.st_ino;
	memset(&ti, 0, sizeof(ti));
	if (KASHIM_REAL(getsockopt)(fd, TCPINFO_LEVEL, TCPINFO_NAME, &ti,
				    &len) != 0)
		return -1;
	/* Alive, or never established: a connection whose SYN was never
	 * acknowledged has no round-trip sample (a RST to the SYN counts in
	 * segs_in, so that cannot tell). */
	if (ti.state != KASHIM_TCP_CLOSE || ti.rtt == 0)
		return -1;
	memset(d, 0, sizeof(*d));
	d->err = err;
	d->probes = ti.probes;
	d->retransmits = ti.retransmits;
	d->window_known = len >= offsetof(struct kashim_tcp_info, snd_wnd) + 4;
	d->snd_wnd = ti.snd_wnd;
	d->cnt = e->cnt;
	d->since_ack = ti.last_ack_recv;
	d->user_timeout = user_timeout_of(fd);
	return 0;
}

/* Exactly once per connection: the entry's flag settles races between
 * threads and the watcher; a small ring of inodes settles dup'ed fds.
 * The flag goes on only if the entry is still the one read at the start
 * (*e): one written since (the number reused by a new socket) is not
 * this connection's, and the watcher never takes an entry's lock, which
 * is what lets a new socket's entry go in without a locked instruction
 * (fdt_store_new). */
static int claim(int fd, const struct kashim_fd *e, uint64_t ino)
{
	static uint64_t ring[64];

	if (!fdt_mark(fd, e, FD_LOGGED))
		return 0;
	return __atomic_exchange_n(&ring[ino % 64], ino, __ATOMIC_ACQ_REL) != ino;
}

/* timeout_only: err is not known (0) and only a death by timeout is to be
 * logged (see kashim_report_hidden_timeout). */
static void report_as(int fd, int err, int timeout_only)
{
	struct kashim_fd e;
	struct kashim_death death;
	struct kashim_dead d;
	char msg[KASHIM_LINE_MAX];
	const char *cause;
	struct kashim_endpoint peer;
	uint64_t ino = 0;

	fdt_read(fd, &e);
	if (e.kind != KIND_TCP || !(e.flags & FD_CONFIGURED) ||
	    (e.flags & FD_LOGGED) || (e.role != ROLE_OUT && e.role != ROLE_IN))
		return;
	if (read_death(fd, &e, err, &death, &peer, &ino) != 0)
		return;
	cause = kashim_cause(&death);
	if ((timeout_only && death.err != ETIMEDOUT) || !claim(fd, &e, ino))
		return;
	memset(&d, 0, sizeof(d));
	d.cause = cause;
	d.err = death.err;
	d.prog = program_invocation_short_name;
	d.fd = fd;
	d.dir = e.role == ROLE_OUT ? "out" : "in";
	endpoint_from_sockname(fd, &d.local);
	d.peer = peer;
	d.age_ms = kashim_now_ms() - e.born_ms;
	kashim_fmt_dead(msg, sizeof(msg), &d);
	kashim_sink_emit((long)getpid(), msg);
}

static void report(int fd, int err)
{
	report_as(fd, err, 0);
}

/* A program may learn of the death from poll() (POLLERR) and close the
 * socket without reading the error (OpenBSD nc does): look before it goes.
 * poll() with no events reports a pending error without consuming it.
 * Only once the kernel's timers could have ended the connection (look_ms,
 * see apply.c): a younger one can only have been reset by a live peer, and
 * short connections, the ones a busy program opens and closes all day,
 * then cost no syscall here.  Not for a copy inherited through fork (a
 * forking server's child closing the parent's connections), nor in a vfork
 * child. */
static __attribute__((noinline)) void look_on_close(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = 0, .revents = 0 };
	int saved = errno;

	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR) && !fdt_foreign())
		report(fd, 0);
	errno = saved;
}

/* Neither the entry's read nor the clock's sets errno: only the look
 * saves it. */
KASHIM_HOT void kashim_report_on_close(int fd)
{
	int64_t look;
	struct kashim_fd_head h = fdt_head_look(fd, &look);

	if (h.kind != KIND_TCP || !(h.flags & FD_CONFIGURED) ||
	    (h.flags & (FD_LOGGED | FD_FORKED)) ||
	    (h.role != ROLE_OUT && h.role != ROLE_IN))
		return;
	if (kashim_now_ms() >= look)
		look_on_close(fd);
}

void kashim_report_dead(int fd, int err)
{
	int saved = errno;

	if (kashim_logging)
		report(fd, err);
	errno = saved;
}

void kashim_report_hidden_timeout(int fd)
{
	int saved = errno;

	if (kashim_logging)
		report_as(fd, 0, 1);
	errno = saved;
}

/* ---- decisions (KASHIM_DEBUG) ------------------------------------------ */

void kashim_log_decision_line(int fd, const struct kashim_fd *e,
			      const char *what, const char *reason,
			      const struct kashim_plan *p)
{
	static const char *const roles[] = { "-", "out", "in", "listen" };
	char msg[KASHIM_LINE_MAX];
	struct kashim_buf b = { msg, sizeof(msg), 0 };
	struct kashim_endpoint ep;
	int saved = errno;

	if (!kashim_logging)
		return;
	msg[0] = '\0';
	kb_str(&b, what);
	kb_str(&b, " prog=");
	kb_prog(&b, program_invocation_short_name);
	kb_str(&b, " fd=");
	kb_num(&b, fd);
	kb_str(&b, " dir=");
	kb_str(&b, roles[e->role & 3]);
	endpoint_from_entry(e, &ep);
	kb_str(&b, e->role == ROLE_LISTEN ? " port=" : " peer=");
	if (e->role == ROLE_LISTEN)
		kb_num(&b, ep.port);
	else
		kb_endpoint(&b, &ep);
	if (reason) {
		kb_str(&b, " reason=");
		kb_str(&b, reason);
	}
	if (p) {
		kb_str(&b, " idle=");
		kb_num(&b, p->idle);
		kb_str(&b, " intvl=");
		kb_num(&b, p->intvl);
		kb_str(&b, " cnt=");
		kb_num(&b, p->cnt);
		kb_str(&b, " user_timeout=");
		kb_num(&b, p->user_timeout);
		kb_str(&b, " options_set=");
		kb_num(&b, p->n);
	}
	kashim_sink_emit((long)getpid(), msg);
	errno = saved;
}
