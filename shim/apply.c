/* kashim — what happens to a TCP socket at each step (see apply.h). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "apply.h"
#include "choose.h"
#include "clock.h"
#include "direct.h"
#include "fdtable.h"
#include "kashim.h"
#include "plan.h"
#include "real.h"
#include "report.h"
#include "watch.h"

/* The configuration the plan and the filters read: a copy, taken once at
 * init (kashim_apply_init) before any hook acts, and read-only after. */
static struct kashim_config cfg;

/* What the common connect needs of cfg, made once so that it reads these
 * few lines and not the whole configuration (see KASHIM_HOT):
 * - quiet: quiet_ms() of an entry whose user timeout is kashim's;
 * - out_plan: the first plan of an outbound socket the program has set
 *   no option on, which depends on the configuration alone;
 * - out_unfiltered: no filter can turn an outbound socket away. */
static struct {
	int64_t quiet;
	int out_unfiltered;
	struct kashim_plan out_plan;
} fast KASHIM_HOT_DATA __attribute__((aligned(64))); /* two lines, not three */

static int64_t quiet_of_config(void);

void kashim_apply_init(const struct kashim_config *from)
{
	static const struct kashim_fd untouched;

	cfg = *from;
	fast.quiet = quiet_of_config();
	fast.out_unfiltered = kashim_unfiltered(&cfg, KASHIM_DIR_OUT);
	kashim_plan_first(&cfg, &untouched, 1, &fast.out_plan);
}

/* ---- small helpers ----------------------------------------------------- */

static inline int is_inet(const struct sockaddr *sa, socklen_t len)
{
	if (!sa || len < sizeof(sa_family_t))
		return 0;
	if (sa->sa_family == AF_INET)
		return len >= sizeof(struct sockaddr_in);
	if (sa->sa_family == AF_INET6)
		return len >= sizeof(struct sockaddr_in6);
	return 0;
}

KASHIM_HOT static void set_peer(struct kashim_fd *e, const struct sockaddr *sa)
{
	memset(e->addr, 0, sizeof(e->addr));
	e->family = (uint8_t)sa->sa_family;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		memcpy(e->addr, &in->sin_addr, 4);
		e->port = in->sin_port;
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		memcpy(e->addr, &in6->sin6_addr, 16);
		e->port = in6->sin6_port;
	}
}

static int getsockopt_int(int fd, int level, int name, int *v)
{
	socklen_t len = sizeof(*v);

	return KASHIM_REAL(getsockopt)(fd, level, name, v, &len);
}

/* A socket kashim did not see being made: ask the kernel once. */
static void classify(int fd, struct kashim_fd *e)
{
	int domain, type, protocol;

	e->kind = KIND_OTHER;
	if (getsockopt_int(fd, SOL_SOCKET, SO_DOMAIN, &domain) != 0 ||
	    getsockopt_int(fd, SOL_SOCKET, SO_TYPE, &type) != 0 ||
	    getsockopt_int(fd, SOL_SOCKET, SO_PROTOCOL, &protocol) != 0)
		return;
	if (kashim_is_tcp(domain, type, protocol)) {
		e->kind = KIND_TCP;
		e->family = (uint8_t)domain;
	}
}

/* Errors ignored.  Straight to the kernel where glibc is behind
 * (direct.h): a setsockopt through libc returns into this loop after its
 * syscall, a return the predictor gets wrong, five times a connect. */
KASHIM_HOT static void set_options(int fd, const struct kashim_plan *p)
{
	int i;

	for (i = 0; i < p->n; i++) {
		const struct kashim_opt *o = &p->opt[i];

		if (KASHIM_LIKELY(kashim_direct_plain()))
			kernel_setsockopt(fd, o->level, o->name, &o->value,
					  sizeof(int));
		else
			KASHIM_REAL(setsockopt)(fd, o->level, o->name,
						&o->value, sizeof(int));
	}
}

void kashim_set_established(int fd, const struct kashim_fd *e)
{
	struct kashim_plan p;

	kashim_plan_established(&cfg, e, &p);
	set_options(fd, &p);
}

/* How long after it began a connection can end only by a reset from a
 * live peer, not by the kernel's timers: keepalive sends its first probe
 * after the idle time (at least 1 s), the user timeout counts from unacked
 * data, and the kernel's own retransmission limit (tcp_retries2, 15) takes
 * minutes.  close() looks for an unread death only after that (report.c). */
#define QUIET_MAX_MS 1000

static int64_t quiet_of_config(void)
{
	long ut = cfg.user_timeout;

	if (ut != KASHIM_UT_AUTO && ut > 0 && ut < QUIET_MAX_MS)
		return ut;
	return QUIET_MAX_MS;            /* auto is (idle + intvl*cnt) s >= 2 s */
}

static inline int64_t quiet_ms(const struct kashim_fd *e)
{
	if (KASHIM_UNLIKELY(e->user_set & OPT_UT) && !cfg.override)
		return 0;               /* the program's own: not known */
	return fast.quiet;
}

/* Set when the entry is first configured; later (the program set an
 * option of its own) it can only move earlier. */
static void set_look(struct kashim_fd *e)
{
	int64_t look = e->born_ms ? e->born_ms + quiet_ms(e) : 0;

	if (!(e->flags & FD_CONFIGURED) || look < e->look_ms)
		e->look_ms = look;
}

KASHIM_HOT static void mark_configured(struct kashim_fd *e,
				       const struct kashim_plan *p)
{
	e->idle = (uint16_t)p->idle;
	e->intvl = (uint16_t)p->intvl;
	e->cnt = (uint8_t)p->cnt;
	set_look(e);
	e->flags |= FD_DECIDED | FD_CONFIGURED;
}

/* ---- socket ------------------------------------------------------------ */

KASHIM_HOT void kashim_on_socket(int fd, int domain, int type, int protocol)
{
	struct kashim_fd e;

	if (!kashim_is_tcp(domain, type, protocol)) {
		fdt_note_other(fd);     /* also clears a stale entry */
		return;
	}
	memset(&e, 0, sizeof(e));
	e.kind = KIND_TCP;
	e.family = (uint8_t)domain;
	fdt_store_new(fd, &e);          /* the kernel just gave it to us */
}

/* ---- connect ----------------------------------------------------------- */

/* close() leaves entries behind (see hooks.c), so a "decided" entry may
 * belong to an earlier socket on this number that was closed, with a new
 * one made where kashim could not see it (a raw syscall, an exec).  Only a
 * connect() on the same socket again (after EINPROGRESS, say) finds its
 * own options in force: ask the kernel for one of them. */
static int same_socket(int fd, const struct kashim_fd *e)
{
	int v = 0;

	if (e->role != ROLE_OUT || !(e->flags & FD_CONFIGURED))
		return e->role == ROLE_OUT;  /* a skipped one: nothing set */
	if (!(e->user_set & OPT_KEEPALIVE))
		return getsockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, &v) == 0 &&
		       v == 1;
	if (!(e->user_set & OPT_IDLE))
		return getsockopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v) == 0 &&
		       v == e->idle;
	return 1;
}

static void fresh_tcp(struct kashim_fd *e, int family)
{
	memset(e, 0, sizeof(*e));
	e->kind = KIND_TCP;
	e->family = (uint8_t)family;
}

/* The plan of the common case (see fast) is read, not made. */
KASHIM_HOT int kashim_before_connect(int fd, const struct sockaddr *sa,
				     socklen_t len)
{
	struct kashim_fd e;
	struct kashim_plan own;
	const struct kashim_plan *p = &own;
	const char *skip = NULL;

	if (!is_inet(sa, len) || fdt_lock(fd, &e) != 0)
		return 0;
	if (e.kind == KIND_UNKNOWN)
		classify(fd, &e);
	if (e.kind == KIND_TCP && (e.flags & FD_DECIDED) && !same_socket(fd, &e))
		fresh_tcp(&e, sa->sa_family);
	if (e.kind != KIND_TCP || (e.flags & FD_DECIDED)) {
		fdt_unlock(fd, &e);
		return (e.flags & FD_UT_LATER) != 0;    /* connect again */
	}
	e.role = ROLE_OUT;
	set_peer(&e, sa);
	e.born_ms = kashim_logging ? kashim_now_ms() : 0;
	e.flags |= FD_DECIDED;
	if (KASHIM_LIKELY(fast.out_unfiltered && !e.user_set))
		p = &fast.out_plan;
	else if (!(skip = kashim_filtered_out(&cfg, KASHIM_DIR_OUT, e.port,
					      e.family, e.addr)))
		kashim_plan_first(&cfg, &e, 1, &own);
	if (!skip) {
		mark_configured(&e, p);
		if (p->ut_later)
			e.flags |= FD_UT_LATER;
	}
	fdt_unlock(fd, &e);
	if (skip) {
		kashim_log_decision(fd, &e, "skipped", skip, NULL);
		return 0;
	}
	set_options(fd, p);
	kashim_log_decision(fd, &e, "configured", NULL, p);
	kashim_watch_ensure();
	return p->ut_later;
}

/* ---- listen and accept ------------------------------------------------- */

static uint16_t local_port(int fd)
{
	struct sockaddr_in6 sa;         /* its port sits where sin_port does */
	socklen_t len = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	if (KASHIM_REAL(getsockname)(fd, (struct sockaddr *)&sa, &len) != 0)
		return 0;
	return sa.sin6_port;
}

/* Options on a listener are inherited by every connection it accepts, so
 * one set of setsockopt calls here saves them on each accept — unless a
 * net filter needs each peer's address: then accept decides per peer. */
static int decide_listener(int fd, struct kashim_fd *e,
			   struct kashim_plan *p, const char **skip)
{
	e->role = ROLE_LISTEN;
	e->flags |= FD_DECIDED;
	if (cfg.ports.n)
		e->port = local_port(fd);
	*skip = kashim_filtered_out(&cfg, KASHIM_DIR_IN, e->port,
				    e->family, NULL);
	if (*skip)
		return 0;
	if (cfg.nets.n) {
		e->flags |= FD_PER_PEER;
		return 0;
	}
	kashim_plan_first(&cfg, e, 0, p);
	mark_configured(e, p);
	return 1;
}

static void listener_decided(int fd, const struct kashim_fd *e,
			     const struct kashim_plan *p, int set,
			     const char *skip)
{
	if (set)
		set_options(fd, p);
	kashim_log_decision(fd, e, skip ? "skipped" : "configured", skip,
			    set ? p : NULL);
	/* A server listens at start-up, before its signal handlers have work:
	 * start the watcher here rather than in an accept, which a handler
	 * may make (pthread_create is not async-signal-safe). */
	if (set)
		kashim_watch_ensure();
}

/* Decide a listener once.  pending: it was adopted already listening, so
 * connections queued before it had the options may lack them. */
static void decide_listen_once(int fd, int pending)
{
	struct kashim_fd e;
	struct kashim_plan p;
	const char *skip = NULL;
	int set;

	if (fdt_lock(fd, &e) != 0)
		return;
	if (e.kind == KIND_UNKNOWN)
		classify(fd, &e);
	if (e.kind == KIND_TCP && (e.flags & FD_DECIDED) &&
	    e.role != ROLE_LISTEN)
		fresh_tcp(&e, e.family);        /* left from an earlier socket */
	if (e.kind != KIND_TCP || (e.flags & FD_DECIDED)) {
		fdt_unlock(fd, &e);
		return;
	}
	set = decide_listener(fd, &e, &p, &skip);
	if (set && pending)
		e.flags |= FD_PENDING;
	fdt_unlock(fd, &e);
	listener_decided(fd, &e, &p, set, skip);
}

void kashim_before_listen(int fd)
{
	decide_listen_once(fd, 0);
}

/* A listener kashim never saw (systemd socket activation, inetd, a parent
 * that exec'ed us): decide it now.  Connections already queued were made
 * before it had the options, so accepts stay "pending" until one shows
 * them inherited; the accept queue is FIFO, so every later one has them. */
static void adopt_listener(int lfd)
{
	decide_listen_once(lfd, 1);
}

/* One word of the listener's entry is enough to decide.  An entry that is
 * not a listener's is left from an earlier socket on this number (see
 * same_socket): the listener is one kashim has not seen. */
KASHIM_HOT int kashim_before_accept(int lfd)
{
	struct kashim_fd_head l = fdt_head(lfd);

	if (l.kind == KIND_TCP && l.role != ROLE_LISTEN) {
		fdt_forget(lfd);
		return KASHIM_ACCEPT_PEER;
	}
	if (l.kind == KIND_UNKNOWN)
		return KASHIM_ACCEPT_PEER;
	if (l.kind != KIND_TCP)
		return KASHIM_ACCEPT_PASS;
	if (l.flags & FD_PER_PEER)
		return KASHIM_ACCEPT_PEER;
	return KASHIM_ACCEPT_TRACK;
}

/* While a listener is pending: does the accepted socket carry the last
 * option kashim put on the listener? */
static int inherited(int nfd, const struct kashim_plan *p)
{
	const struct kashim_opt *o = &p->opt[p->n - 1];
	int v;

	return getsockopt_int(nfd, o->level, o->name, &v) == 0 &&
	       v == o->value;
}

static void settle_pending(int lfd, int nfd, struct kashim_fd *e)
{
	struct kashim_fd l;
	struct kashim_plan p;

	kashim_plan_first(&cfg, e, 0, &p);
	if (p.n == 0)
		return;
	if (!inherited(nfd, &p)) {
		set_options(nfd, &p);
		return;
	}
	if (fdt_lock(lfd, &l) == 0) {
		l.flags &= (uint8_t)~FD_PENDING;
		fdt_unlock(lfd, &l);
	}
}

/* An accepted socket's birth (while logging) and look-up time, from the
 * listener's options: set_look() of an entry not yet configured. */
KASHIM_HOT static void accepted_times(const struct kashim_fd *l,
				      int64_t *born, int64_t *look)
{
	*born = kashim_logging ? kashim_now_ms() : 0;
	*look = *born ? *born + quiet_ms(l) : 0;
}

static void accepted_entry(const struct kashim_fd *l,
			   const struct sockaddr *peer, struct kashim_fd *e)
{
	memset(e, 0, sizeof(*e));
	e->kind = KIND_TCP;
	e->family = l->family;
	e->role = ROLE_IN;
	e->user_set = l->user_set;      /* inherited along with the values */
	e->idle = l->idle;
	e->intvl = l->intvl;
	e->cnt = l->cnt;
	if (peer)
		set_peer(e, peer);
	accepted_times(l, &e->born_ms, &e->look_ms);
}

/* A listener that decides per peer (KASHIM_NETS, or it was left alone):
 * the filters run, then the options go on the accepted socket itself. */
static void decide_per_peer(int nfd, const struct kashim_fd *l,
			    struct kashim_fd *e, int have_peer)
{
	struct kashim_plan p;
	const char *skip;

	skip = kashim_filtered_out(&cfg, KASHIM_DIR_IN, l->port,
				   e->family, have_peer ? e->addr : NULL);
	if (!skip) {
		kashim_plan_first(&cfg, e, 0, &p);
		mark_configured(e, &p);
		set_options(nfd, &p);
	}
	fdt_store(nfd, e);
	kashim_log_decision(nfd, e, skip ? "skipped" : "configured", skip,
			    skip ? NULL : &p);
}

/* Anything but the common case: a listener not seen before, one that
 * decides per peer or is still pending, a peer address to keep. */
static __attribute__((noinline)) void
after_accept_slow(int lfd, int nfd, const struct sockaddr *peer, socklen_t len)
{
	struct kashim_fd l, e;
	int have_peer = is_inet(peer, len), saved = errno;

	fdt_read(lfd, &l);
	if (l.kind == KIND_UNKNOWN && have_peer) {
		adopt_listener(lfd);    /* inherited: systemd, inetd, exec */
		fdt_read(lfd, &l);
	}
	if (l.kind != KIND_TCP) {
		fdt_forget(nfd);
		errno = saved;
		return;
	}
	accepted_entry(&l, have_peer ? peer : NULL, &e);
	e.flags = FD_DECIDED;
	if (l.flags & FD_PER_PEER) {    /* never also FD_CONFIGURED */
		decide_per_peer(nfd, &l, &e, have_peer);
	} else {
		if (l.flags & FD_CONFIGURED) {
			e.flags |= FD_CONFIGURED;
			if (l.flags & FD_PENDING)
				settle_pending(lfd, nfd, &e);
		}
		fdt_store(nfd, &e);
	}
	if (e.flags & FD_CONFIGURED)
		kashim_watch_ensure();
	errno = saved;
}

/* The common case -- a listener kashim configured, no peer address to
 * keep -- reads the front of one entry and writes one: no syscall, and
 * little code right after the accept's own.  Nothing on it sets errno
 * (the table keeps it across a page's mmap, the watcher across its
 * start); the slow path keeps it itself. */
KASHIM_HOT void kashim_after_accept(int lfd, int nfd,
				    const struct sockaddr *peer, socklen_t len)
{
	struct kashim_fd l;
	int64_t born, look;

	fdt_read_front(lfd, &l);
	if (KASHIM_UNLIKELY(peer || l.kind != KIND_TCP ||
			    (l.flags & (FD_PER_PEER | FD_PENDING)))) {
		after_accept_slow(lfd, nfd, peer, len);
		return;
	}
	accepted_times(&l, &born, &look);
	fdt_store_accepted(nfd, &l, FD_DECIDED | (l.flags & FD_CONFIGURED),
			   look, born);
	if (l.flags & FD_CONFIGURED)
		kashim_watch_ensure();
}

/* ---- sockets inherited already connected ------------------------------- */

/* Keepalive already on: the parent (under kashim, or by its own choice)
 * configured it; take the values in force as they are. */
static int already_configured(int fd, struct kashim_fd *e)
{
	int ka = 0, idle = 0, intvl = 0, cnt = 0;

	if (getsockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE, &ka) != 0 || !ka)
		return 0;
	getsockopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle);
	getsockopt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl);
	getsockopt_int(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt);
	e->idle = (uint16_t)idle;
	e->intvl = (uint16_t)intvl;
	e->cnt = (uint8_t)cnt;
	e->flags |= FD_CONFIGURED;
	return 1;
}

static int adopt(int fd, struct kashim_fd *e, struct kashim_plan *p)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	uint16_t local;
	int dir;

	memset(&peer, 0, sizeof(peer));
	classify(fd, e);
	if (e->kind != KIND_TCP ||
	    getpeername(fd, (struct sockaddr *)&peer, &len) != 0 ||
	    !is_inet((struct sockaddr *)&peer, len))
		return 0;               /* not TCP, or not connected yet */
	set_peer(e, (struct sockaddr *)&peer);
	local = local_port(fd);
	e->role = (uint8_t)kashim_guess_role(ntohs(local), ntohs(e->port));
	e->born_ms = kashim_now_ms();
	e->flags |= FD_DECIDED;
	dir = e->role == ROLE_OUT ? KASHIM_DIR_OUT : KASHIM_DIR_IN;
	if (kashim_filtered_out(&cfg, dir,
				dir == KASHIM_DIR_OUT ? e->port : local,
				e->family, e->addr) ||
	    already_configured(fd, e))
		return 0;
	kashim_plan_first(&cfg, e, 0, p);
	mark_configured(e, p);
	e->look_ms = 0;                 /* it began before kashim saw it */
	return 1;
}

/* A connected TCP socket that came through exec (inetd, systemd
 * Accept=yes, sshd's re-exec per connection) was never seen being made.
 * The first IP- or TCP-level option the program sets or reads on it makes
 * kashim track it, and configure it unless keepalive is already on. */
void kashim_adopt_if_unknown(int fd)
{
	struct kashim_fd e;
	struct kashim_plan p;
	int set;

	fdt_read(fd, &e);
	if (e.kind != KIND_UNKNOWN || fdt_lock(fd, &e) != 0)
		return;
	if (e.kind != KIND_UNKNOWN) {
		fdt_unlock(fd, &e);
		return;
	}
	set = adopt(fd, &e, &p);
	fdt_unlock(fd, &e);
	if (set)
		set_options(fd, &p);
	if (e.flags & FD_CONFIGURED) {
		kashim_log_decision(fd, &e, "adopted", NULL, set ? &p : NULL);
		kashim_watch_ensure();
	}
}

/* ---- setsockopt -------------------------------------------------------- */

static void remember_value(struct kashim_fd *e, int bit, int v)
{
	if (bit == OPT_IDLE)
		e->idle = (uint16_t)v;
	else if (bit == OPT_INTVL)
		e->intvl = (uint16_t)v;
	else if (bit == OPT_CNT)
		e->cnt = (uint8_t)v;
}

void kashim_after_setsockopt(int fd, int level, int name, const void *val,
			     socklen_t len)
{
	struct kashim_fd e;
	struct kashim_plan p;
	int bit = kashim_option_bit(level, name), v = 0;

	if (!bit || fdt_lock(fd, &e) != 0)
		return;
	if (e.kind == KIND_UNKNOWN)
		classify(fd, &e);
	if (e.kind != KIND_TCP) {
		fdt_unlock(fd, &e);
		return;
	}
	if (val && len >= sizeof(int))
		memcpy(&v, val, sizeof(int));
	e.user_set |= (uint8_t)bit;
	p.n = 0;
	if (!cfg.override)
		remember_value(&e, bit, v);
	if (e.flags & FD_CONFIGURED) {
		kashim_plan_after_user(&cfg, &e, bit, &p);
		mark_configured(&e, &p);
	}
	fdt_unlock(fd, &e);
	set_options(fd, &p);
}
