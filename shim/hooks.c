/* kashim — the exported hooks.
 *
 * Each hook is a thin trampoline: it calls the real function with the
 * program's own arguments and returns exactly what that returned, with
 * the errno it left.  kashim's own work (in apply.c, report.c, fdtable.c)
 * happens around it with errno saved and restored, and never on the
 * success path of the read/write family: there a hook is one indirect
 * call and one branch.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apply.h"
#include "direct.h"
#include "estab.h"
#include "fdtable.h"
#include "kashim.h"
#include "plan.h"
#include "real.h"
#include "report.h"
#include "watch.h"

#define KASHIM_EXPORT __attribute__((visibility("default")))

/* Every hook is declared here from the one list (hooks.def), exported and
 * with the list's prototype, which is also its real_X pointer's type: a
 * body that does not match it does not compile.  This also declares what
 * some C libraries do not (musl: close_range, fcntl64, preadv2, pwritev2
 * and glibc's fortified __*_chk entry points; glibc's public aliases
 * __read, __write and __send, which a program may link by name).  musl
 * makes sendfile64 a macro for sendfile: the hook keeps glibc's name. */
#undef sendfile64
#define KASHIM_DECLARE_HOOK(ret, name, params) KASHIM_EXPORT ret name params;
#define KASHIM_HOOK(ret, name, params, args, sys) \
	KASHIM_DECLARE_HOOK(ret, name, params)
#define KASHIM_HOOK_BY_HAND KASHIM_DECLARE_HOOK
#define KASHIM_REAL_ONLY(ret, name, params, args, sys)
#include "hooks.def"
#undef KASHIM_DECLARE_HOOK

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

/* ---- the errors that mean "peer dead" ---------------------------------- */

/* ENETUNREACH (101), ECONNRESET (104), ETIMEDOUT (110) and EHOSTUNREACH
 * (113) lie within 32 of each other: one subtraction and one compare turn
 * away EAGAIN and EINTR, the errors an event loop sees all day. */
#define DEAD_BASE ENETUNREACH
#define DEAD_BIT(e) (1U << ((e) - DEAD_BASE))
#define DEAD_MASK (DEAD_BIT(ENETUNREACH) | DEAD_BIT(ECONNRESET) | \
		   DEAD_BIT(ETIMEDOUT) | DEAD_BIT(EHOSTUNREACH))
_Static_assert(ECONNRESET > DEAD_BASE && ETIMEDOUT > DEAD_BASE &&
	       EHOSTUNREACH > DEAD_BASE && ECONNRESET - DEAD_BASE < 32 &&
	       ETIMEDOUT - DEAD_BASE < 32 && EHOSTUNREACH - DEAD_BASE < 32,
	       "dead-peer errnos must fit one 32-bit mask");

static inline int is_dead_errno(int e)
{
	unsigned d = (unsigned)e - DEAD_BASE;

	return d < 32 && ((DEAD_MASK >> d) & 1);
}

/* Nonzero when the read/write hooks must look at their result: a log is
 * wanted, or some connection waits for its user timeout (estab.h). */
static inline int looking(void)
{
	return kashim_io_looking();
}

/* This thread's errno, found once: a read that fails with EAGAIN while the
 * log is on then costs two loads here, not a call into libc. */
static __thread int *errno_at KASHIM_TLS;

static inline int *errno_ptr(void)
{
	int *p = errno_at;

	if (KASHIM_UNLIKELY(!p))
		errno_at = p = &errno;
	return p;
}

static inline int last_errno(void)
{
	return *errno_ptr();
}

static inline void check_failure(int fd)
{
	int e = last_errno();

	if (KASHIM_UNLIKELY(is_dead_errno(e)))
		kashim_report_dead(fd, e);
}

/* What the read/write hooks do after the call when they look, out of
 * line so that only fd lives across the call (EAGAIN comes through here
 * all day) and the fast path stays a bare tail jump: a failure may be a
 * death to log; a success on a connection waiting for its user timeout
 * shows it established. */
static __attribute__((noinline)) long failed(int fd, long r)
{
	check_failure(fd);
	return r;
}

static __attribute__((noinline)) long succeeded(int fd, long r)
{
	if (KASHIM_UNLIKELY(kashim_ut_some_waiting()))
		kashim_ut_check(fd);
	return r;
}

/* Only fd lives across the call: anything else read before it would need a
 * register saved on the fast path too. */
static inline long looked(int fd, long r)
{
	if (KASHIM_UNLIKELY(r < 0))
		return failed(fd, r);
	return succeeded(fd, r);
}

/* The same for a call made directly (direct.h): r is the kernel's answer,
 * a result or -errno, which becomes libc's -1 and errno here.  The common
 * failure (EAGAIN) is handled in place, with no call and no register
 * saved: right after a syscall every cache line and return counts.  What
 * is rare goes out of line: the first failure of a thread (errno's
 * address not yet known) and a death. */
static __attribute__((noinline)) long kernel_failed(int fd, long r)
{
	*errno_ptr() = (int)-r;
	return failed(fd, -1);
}

static inline long looked_kernel(int fd, long r)
{
	int *ep = errno_at;

	if (KASHIM_LIKELY(!kashim_kernel_failed(r)))
		return succeeded(fd, r);
	if (KASHIM_UNLIKELY(!ep || is_dead_errno((int)-r)))
		return kernel_failed(fd, r);
	*ep = (int)-r;
	return -1;
}

/* ---- socket, connect, listen ------------------------------------------- */

/* Made the way glibc makes it, where glibc is behind (direct.h).  What
 * kashim does with the new fd never sets errno (the table keeps it across
 * a page's mmap); init, which may run here first, keeps it itself. */
KASHIM_HOT KASHIM_EXPORT int socket(int domain, int type, int protocol)
{
	long fd;

	if (KASHIM_LIKELY(kashim_direct_plain())) {
		fd = kernel_socket(domain, type, protocol);
		if (KASHIM_UNLIKELY(kashim_kernel_failed(fd))) {
			*errno_ptr() = (int)-fd;
			return -1;
		}
	} else {
		fd = KASHIM_REAL(socket)(domain, type, protocol);
		if (fd < 0)
			return (int)fd;
	}
	if (kashim_active())
		kashim_on_socket((int)fd, domain, type, protocol);
	return (int)fd;
}

/* Only a socket whose user timeout waits for the handshake (a SYN count is
 * in force) needs connect()'s result; any other ends in a tail call.
 * errno through errno_ptr(): no call into libc for its address. */
KASHIM_HOT KASHIM_EXPORT int connect(int fd, const struct sockaddr *sa,
				      socklen_t len)
{
	int *ep = errno_ptr(), saved = *ep, later = 0, r;

	if (kashim_active())
		later = kashim_before_connect(fd, sa, len);
	if (KASHIM_UNLIKELY(later))
		kashim_ut_counted();
	*ep = saved;
	if (KASHIM_LIKELY(!later))
		return KASHIM_REAL(connect)(fd, sa, len);
	r = KASHIM_REAL(connect)(fd, sa, len);
	saved = errno;
	kashim_ut_after_connect(fd, r, saved);
	errno = saved;
	return r;
}

KASHIM_EXPORT int listen(int fd, int backlog)
{
	int saved = errno;

	if (kashim_active())
		kashim_before_listen(fd);
	errno = saved;
	return KASHIM_REAL(listen)(fd, backlog);
}

/* ---- accept ------------------------------------------------------------ */

KASHIM_HOT static int real_accept_any(int fd, struct sockaddr *sa,
				      socklen_t *len, int flags, int four)
{
	if (four)
		return KASHIM_REAL(accept4)(fd, sa, len, flags);
	return KASHIM_REAL(accept)(fd, sa, len);
}

/* The peer's address comes from accept() itself.  When the program asks
 * for none, kashim passes a buffer of its own (which changes nothing the
 * program can see); when the program's buffer was too small for it, one
 * getpeername() fills the gap. */
static __attribute__((noinline)) int
accept_with_peer(int fd, struct sockaddr *sa, socklen_t *len, int flags,
		 int four)
{
	struct sockaddr_storage ss;
	struct sockaddr *peer = NULL;
	socklen_t sslen = sizeof(ss), given = 0, plen = 0;
	int nfd, saved;

	if (!sa) {
		nfd = real_accept_any(fd, (struct sockaddr *)&ss, &sslen,
				      flags, four);
		peer = (struct sockaddr *)&ss;
		plen = sslen;
	} else {
		if (len)
			given = *len;
		nfd = real_accept_any(fd, sa, len, flags, four);
	}
	if (nfd < 0)
		return nfd;
	saved = errno;
	if (sa && len) {
		if (*len <= given) {
			peer = sa;
			plen = *len;
		} else if (getpeername(nfd, (struct sockaddr *)&ss,
				       &sslen) == 0) {
			peer = (struct sockaddr *)&ss;
			plen = sslen;
		}
	}
	kashim_after_accept(fd, nfd, peer, plen);
	errno = saved;
	return nfd;
}

/* The common case, a listener kashim configured, needs no peer address:
 * the accepted socket copies the listener's entry.  The log takes the
 * program's own copy when it asked for one, at no cost; it never asks the
 * kernel for one the program did not want (that costs 2-3% of an accept
 * here), since a dead socket still names its peer (report.c).
 * No errno is saved here: what could change it (init, a slow path) keeps
 * it itself, and right after the accept every instruction counts. */
KASHIM_HOT static int kashim_accept(int fd, struct sockaddr *sa,
				    socklen_t *len, int flags, int four)
{
	int nfd, need;

	need = kashim_active() ? kashim_before_accept(fd) : KASHIM_ACCEPT_PASS;
	if (need == KASHIM_ACCEPT_PASS)
		return real_accept_any(fd, sa, len, flags, four);
	if (need == KASHIM_ACCEPT_PEER || (sa && kashim_logging))
		return accept_with_peer(fd, sa, len, flags, four);
	nfd = real_accept_any(fd, sa, len, flags, four);
	if (nfd >= 0)
		kashim_after_accept(fd, nfd, NULL, 0);
	return nfd;
}

KASHIM_HOT KASHIM_EXPORT int accept(int fd, struct sockaddr *sa,
				     socklen_t *len)
{
	return kashim_accept(fd, sa, len, 0, 0);
}

KASHIM_HOT KASHIM_EXPORT int accept4(int fd, struct sockaddr *sa,
				      socklen_t *len, int flags)
{
	return kashim_accept(fd, sa, len, flags, 1);
}

/* ---- socket options ---------------------------------------------------- */

static int is_ip_level(int level)
{
	return level == IPPROTO_TCP || level == IPPROTO_IP ||
	       level == IPPROTO_IPV6;
}

/* An inherited socket is adopted before the program's own option goes
 * in, so that the program's value is the one left in force. */
KASHIM_EXPORT int setsockopt(int fd, int level, int name, const void *val,
			     socklen_t len)
{
	int r, saved = errno;

	if (is_ip_level(level) && kashim_active())
		kashim_adopt_if_unknown(fd);
	errno = saved;
	r = KASHIM_REAL(setsockopt)(fd, level, name, val, len);
	saved = errno;
	if (r == 0 && kashim_option_bit(level, name) && kashim_active())
		kashim_after_setsockopt(fd, level, name, val, len);
	errno = saved;
	return r;
}

/* Event loops learn a connection's fate from SO_ERROR after poll/epoll;
 * the program reads (and so consumes) it here, kashim only looks. */
KASHIM_EXPORT int getsockopt(int fd, int level, int name, void *val,
			     socklen_t *len)
{
	int r = KASHIM_REAL(getsockopt)(fd, level, name, val, len);
	int v, saved = errno;

	if (r == 0 && is_ip_level(level) && kashim_active())
		kashim_adopt_if_unknown(fd);
	errno = saved;
	if (r == 0 && level == SOL_SOCKET && name == SO_ERROR && val &&
	    *len >= sizeof(int)) {
		memcpy(&v, val, sizeof(v));
		if (is_dead_errno(v))
			kashim_report_dead(fd, v);
		/* 0: a non-blocking connect() is done.  (Not the other way:
		 * an ICMP soft error reads here while the SYNs go on.) */
		if (v == 0 && KASHIM_UNLIKELY(kashim_ut_some_waiting()))
			kashim_ut_check(fd);
		errno = saved;
	}
	return r;
}

/* ---- close and dup: keeping the fd table true -------------------------- */

/* close() leaves the fd's entry as it is.  Every hooked call that hands
 * out an fd number (socket, accept, dup) overwrites it, and an fd that
 * reaches the program some other way is told apart, before a line is
 * written, by its peer and options (report.c).  Wiping it here would cost a
 * getpid() per close to stay safe in vfork() children, which share our
 * memory but not our fds. */
KASHIM_HOT static __attribute__((noinline)) void closing(int fd)
{
	if (__atomic_load_n(&kashim_logging, __ATOMIC_RELAXED))
		kashim_report_on_close(fd);
	if (kashim_ut_some_waiting())
		kashim_ut_drop(fd);     /* it waits no more */
}

/* One load when there is no log and no connection waiting for its user
 * timeout (estab.h): then a tail jump to libc. */
KASHIM_HOT KASHIM_EXPORT int close(int fd)
{
	if (KASHIM_UNLIKELY(looking()))
		closing(fd);
	return KASHIM_REAL(close)(fd);
}

/* Daemons close everything at once; one getpid() per call keeps a vfork
 * child (Python's subprocess) from wiping its parent's entries. */
KASHIM_EXPORT int close_range(unsigned lo, unsigned hi, int flags)
{
	if (!(flags & CLOSE_RANGE_CLOEXEC))
		fdt_forget_range(lo, hi);
	return KASHIM_REAL(close_range)(lo, hi, flags);
}

static int copied(int from, int to)
{
	int saved = errno;

	if (to >= 0 && to != from) {
		fdt_copy(from, to);
		if (KASHIM_UNLIKELY(kashim_ut_some_waiting()))
			kashim_ut_copied(to);
	}
	errno = saved;
	return to;
}

KASHIM_EXPORT int dup(int fd)
{
	return copied(fd, KASHIM_REAL(dup)(fd));
}

/* "If oldfd is a valid file descriptor, and newfd has the same value as
 * oldfd, then dup2() does nothing" (dup(2)): copied() leaves it alone. */
KASHIM_EXPORT int dup2(int fd, int to)
{
	return copied(fd, KASHIM_REAL(dup2)(fd, to));
}

KASHIM_EXPORT int dup3(int fd, int to, int flags)
{
	return copied(fd, KASHIM_REAL(dup3)(fd, to, flags));
}

static int fcntl_result(int fd, int cmd, int r)
{
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return copied(fd, r);
	return r;
}

KASHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_result(fd, cmd, KASHIM_REAL(fcntl)(fd, cmd, arg));
}

KASHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_result(fd, cmd, KASHIM_REAL(fcntl64)(fd, cmd, arg));
}

/* ---- threads ----------------------------------------------------------- */

/* The watcher must know when main leaves with pthread_exit(): the process
 * then ends when the program's last thread does, not ours. */
KASHIM_EXPORT void pthread_exit(void *ret)
{
	if (syscall(SYS_gettid) == getpid())
		kashim_watch_main_exited();
	KASHIM_REAL(pthread_exit)(ret);
	__builtin_unreachable();
}

/* ---- the read and write families --------------------------------------- */

/* One definition per hook.  With no log to write a failure needs no look,
 * so the hook ends in a tail jump to libc: not even a return of its own
 * after the syscall.  Otherwise: call (directly where direct.h may), and
 * look closer only on failure.
 *
 * look_X does that out of line.  A call whose syscall takes three
 * arguments is made in the hook itself when it goes direct: the code
 * that runs right after the syscall then sits in the hook's own cache
 * lines (an EAGAIN read costs 1.5% less so).  One that takes more
 * (recvfrom, sendto, the mmsg calls) uses every free register for its
 * arguments; made in the hook, it would cost a saved register on the
 * fast path too, so it goes through look_X. */
#define KASHIM_LOOK_AS(direct, ret, name, params, args) \
	static __attribute__((noinline)) ret look_##name params \
	{ \
		if (direct && kashim_direct_now()) \
			return (ret)looked_kernel(fd, kernel_##name args); \
		return (ret)looked(fd, (long)KASHIM_REAL(name) args); \
	}

#define KASHIM_LOOK(...) KASHIM_LOOK_AS(1, __VA_ARGS__)

/* in_hook: 1 to make a direct call in the hook itself (three syscall
 * arguments; look_X then never makes one), 0 to leave it to look_X. */
#define KASHIM_IO_HOOK_AS(in_hook, ret, name, params, args) \
	KASHIM_LOOK_AS(!(in_hook), ret, name, params, args) \
	KASHIM_EXPORT ret name params \
	{ \
		if (KASHIM_LIKELY(!looking())) \
			return KASHIM_REAL(name) args; \
		if (in_hook && kashim_direct_now()) \
			return (ret)looked_kernel(fd, kernel_##name args); \
		return look_##name args; \
	}
#define KASHIM_IO_HOOK(...) KASHIM_IO_HOOK_AS(1, __VA_ARGS__)
#define KASHIM_IO_HOOK_WIDE(...) KASHIM_IO_HOOK_AS(0, __VA_ARGS__)

KASHIM_IO_HOOK(ssize_t, read, (int fd, void *b, size_t n), (fd, b, n))
KASHIM_IO_HOOK(ssize_t, readv, (int fd, const struct iovec *v, int n),
	       (fd, v, n))
KASHIM_IO_HOOK_WIDE(ssize_t, recv, (int fd, void *b, size_t n, int fl),
		    (fd, b, n, fl))
KASHIM_IO_HOOK_WIDE(ssize_t, recvfrom, (int fd, void *b, size_t n, int fl,
		    struct sockaddr *sa, socklen_t *len),
		    (fd, b, n, fl, sa, len))
KASHIM_IO_HOOK(ssize_t, recvmsg, (int fd, struct msghdr *m, int fl),
	       (fd, m, fl))
KASHIM_IO_HOOK_WIDE(int, recvmmsg, (int fd, struct mmsghdr *m, unsigned n,
		    KASHIM_MMSG_FLAGS fl, struct timespec *t),
		    (fd, m, n, fl, t))
KASHIM_IO_HOOK(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n))
KASHIM_IO_HOOK(ssize_t, writev, (int fd, const struct iovec *v, int n),
	       (fd, v, n))
KASHIM_IO_HOOK_WIDE(ssize_t, send, (int fd, const void *b, size_t n, int fl),
		    (fd, b, n, fl))
KASHIM_IO_HOOK_WIDE(int, sendmmsg, (int fd, struct mmsghdr *m, unsigned n,
		    KASHIM_MMSG_FLAGS fl), (fd, m, n, fl))
/* The fortified reads check the length against the buffer (libc aborts
 * the program when it is longer) and then read: only a call that passes
 * the check may be made directly, as the read it then is. */
#define KASHIM_CHK_HOOK(ret, name, params, args) \
	KASHIM_LOOK(ret, name, params, args) \
	KASHIM_EXPORT ret name params \
	{ \
		if (KASHIM_LIKELY(!looking()) || n > bl) \
			return KASHIM_REAL(name) args; \
		return look_##name args; \
	}

KASHIM_CHK_HOOK(ssize_t, __read_chk, (int fd, void *b, size_t n, size_t bl),
		(fd, b, n, bl))
KASHIM_CHK_HOOK(ssize_t, __recv_chk, (int fd, void *b, size_t n, size_t bl,
		int fl), (fd, b, n, bl, fl))
KASHIM_CHK_HOOK(ssize_t, __recvfrom_chk, (int fd, void *b, size_t n,
		size_t bl, int fl, struct sockaddr *sa, socklen_t *len),
		(fd, b, n, bl, fl, sa, len))
KASHIM_IO_HOOK(ssize_t, __read, (int fd, void *b, size_t n), (fd, b, n))
KASHIM_IO_HOOK(ssize_t, __write, (int fd, const void *b, size_t n),
	       (fd, b, n))
KASHIM_IO_HOOK_WIDE(ssize_t, __send, (int fd, const void *b, size_t n, int fl),
		    (fd, b, n, fl))
/* With offset -1 they read and write at the current position, which is
 * how they work on a socket.  Always through libc, which falls back to
 * preadv/pwritev on kernels without them. */
#define KASHIM_LIBC_IO_HOOK(ret, name, params, args) \
	KASHIM_EXPORT ret name params \
	{ \
		if (KASHIM_LIKELY(!looking())) \
			return KASHIM_REAL(name) args; \
		return (ret)looked(fd, (long)KASHIM_REAL(name) args); \
	}

KASHIM_LIBC_IO_HOOK(ssize_t, preadv2, (int fd, const struct iovec *v, int n,
		    off_t off, int fl), (fd, v, n, off, fl))
KASHIM_LIBC_IO_HOOK(ssize_t, pwritev2, (int fd, const struct iovec *v, int n,
		    off_t off, int fl), (fd, v, n, off, fl))

/* ---- splice and sendfile: two descriptors ------------------------------ */

/* Either end may be the socket (splice from it to a pipe, or a pipe to
 * it; sendfile to it, and from it on kernels that allow that): the one
 * kashim tracks is the one a line is about; the other is passed over by
 * its entry. */
static __attribute__((noinline)) long looked2(int a, int b, long r)
{
	if (KASHIM_UNLIKELY(r < 0 && errno == EPIPE)) {
		kashim_report_hidden_timeout(a);
		kashim_report_hidden_timeout(b);
	} else if (KASHIM_UNLIKELY(r < 0)) {
		check_failure(a);
		check_failure(b);
	} else if (KASHIM_UNLIKELY(kashim_ut_some_waiting())) {
		kashim_ut_check(a);
		kashim_ut_check(b);
	}
	return r;
}

KASHIM_EXPORT ssize_t splice(int in, loff_t *inoff, int out, loff_t *outoff,
			     size_t n, unsigned fl)
{
	if (KASHIM_LIKELY(!looking()))
		return KASHIM_REAL(splice)(in, inoff, out, outoff, n, fl);
	return looked2(in, out, KASHIM_REAL(splice)(in, inoff, out, outoff,
						    n, fl));
}

KASHIM_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
	if (KASHIM_LIKELY(!looking()))
		return KASHIM_REAL(sendfile)(out, in, off, n);
	return looked2(out, in, KASHIM_REAL(sendfile)(out, in, off, n));
}

KASHIM_EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t n)
{
	if (KASHIM_LIKELY(!looking()))
		return KASHIM_REAL(sendfile64)(out, in, off, n);
	return looked2(out, in, KASHIM_REAL(sendfile64)(out, in, off, n));
}

/* TCP Fast Open connects inside sendto()/sendmsg(MSG_FASTOPEN), without a
 * connect() call: configure the socket there, before the SYN leaves. */
static void fastopen(int fd, const struct sockaddr *sa, socklen_t len)
{
	int saved = errno;

	if (kashim_active() && kashim_before_connect(fd, sa, len))
		kashim_ut_counted();
	errno = saved;
}

KASHIM_LOOK(ssize_t, sendto, (int fd, const void *b, size_t n, int fl,
	    const struct sockaddr *sa, socklen_t len), (fd, b, n, fl, sa, len))
KASHIM_LOOK(ssize_t, sendmsg, (int fd, const struct msghdr *m, int fl),
	    (fd, m, fl))

KASHIM_EXPORT ssize_t sendto(int fd, const void *b, size_t n, int fl,
			     const struct sockaddr *sa, socklen_t len)
{
	if (KASHIM_UNLIKELY(fl & MSG_FASTOPEN))
		fastopen(fd, sa, len);
	if (KASHIM_LIKELY(!looking()))
		return KASHIM_REAL(sendto)(fd, b, n, fl, sa, len);
	return look_sendto(fd, b, n, fl, sa, len);
}

KASHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int fl)
{
	if (KASHIM_UNLIKELY(fl & MSG_FASTOPEN) && m)
		fastopen(fd, m->msg_name, m->msg_namelen);
	if (KASHIM_LIKELY(!looking()))
		return KASHIM_REAL(sendmsg)(fd, m, fl);
	return look_sendmsg(fd, m, fl);
}
