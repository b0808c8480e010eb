/* kashim — the real libc functions behind the hooks.
 *
 * Each real_X pointer starts out aimed at a trampoline that runs kashim's
 * one-time initialisation (symbol lookup, configuration) and then forwards
 * the call, so a hook that runs before our constructor — from another
 * library's constructor, say — still works.  After init the pointer holds
 * libc's function and a hook costs one indirect call.
 *
 * The list is kept once, as an X-macro:
 *   X(return type, name, (parameters), (arguments), (raw syscall))
 * The raw syscall is what the trampoline does when kashim's own symbol
 * lookup re-enters it on the same thread (a dlsym that fails calls malloc,
 * and a preloaded malloc may read a file): the call then bypasses libc but
 * behaves the same, instead of waiting forever for its own init.
 */
#ifndef KASHIM_REAL_H
#define KASHIM_REAL_H

#include <fcntl.h>               /* loff_t (musl) */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "kashim.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
/* sendfile64 is sendfile where off_t is 64 bits already. */
#ifndef SYS_sendfile64
#define SYS_sendfile64 SYS_sendfile
#endif
/* preadv2/pwritev2 take the offset as two longs (low, high). */
#define KASHIM_LO_HI(off) (long)(off), \
	(long)((unsigned long long)(off) >> (4 * sizeof(long)) >> \
	       (4 * sizeof(long)))

#define KASHIM_REAL_FUNCS(X) \
	X(int, socket, (int domain, int type, int protocol), \
	  (domain, type, protocol), (SYS_socket, domain, type, protocol)) \
	X(int, connect, (int fd, const struct sockaddr *sa, socklen_t len), \
	  (fd, sa, len), (SYS_connect, fd, sa, len)) \
	X(int, listen, (int fd, int backlog), (fd, backlog), \
	  (SYS_listen, fd, backlog)) \
	X(int, accept, (int fd, struct sockaddr *sa, socklen_t *len), \
	  (fd, sa, len), (SYS_accept4, fd, sa, len, 0)) \
	X(int, accept4, (int fd, struct sockaddr *sa, socklen_t *len, int fl), \
	  (fd, sa, len, fl), (SYS_accept4, fd, sa, len, fl)) \
	X(int, setsockopt, (int fd, int lvl, int name, const void *v, \
	  socklen_t len), (fd, lvl, name, v, len), \
	  (SYS_setsockopt, fd, lvl, name, v, len)) \
	X(int, getsockopt, (int fd, int lvl, int name, void *v, \
	  socklen_t *len), (fd, lvl, name, v, len), \
	  (SYS_getsockopt, fd, lvl, name, v, len)) \
	X(int, getsockname, (int fd, struct sockaddr *sa, socklen_t *len), \
	  (fd, sa, len), (SYS_getsockname, fd, sa, len)) \
	X(int, close, (int fd), (fd), (SYS_close, fd)) \
	X(int, close_range, (unsigned lo, unsigned hi, int fl), (lo, hi, fl), \
	  (SYS_close_range, lo, hi, fl)) \
	X(int, dup, (int fd), (fd), (SYS_dup, fd)) \
	X(int, dup2, (int fd, int to), (fd, to), (SYS_dup2, fd, to)) \
	X(int, dup3, (int fd, int to, int fl), (fd, to, fl), \
	  (SYS_dup3, fd, to, fl)) \
	X(ssize_t, read, (int fd, void *b, size_t n), (fd, b, n), \
	  (SYS_read, fd, b, n)) \
	X(ssize_t, readv, (int fd, const struct iovec *v, int n), (fd, v, n), \
	  (SYS_readv, fd, v, n)) \
	X(ssize_t, recv, (int fd, void *b, size_t n, int fl), (fd, b, n, fl), \
	  (SYS_recvfrom, fd, b, n, fl, NULL, NULL)) \
	X(ssize_t, recvfrom, (int fd, void *b, size_t n, int fl, \
	  struct sockaddr *sa, socklen_t *len), (fd, b, n, fl, sa, len), \
	  (SYS_recvfrom, fd, b, n, fl, sa, len)) \
	X(ssize_t, recvmsg, (int fd, struct msghdr *m, int fl), (fd, m, fl), \
	  (SYS_recvmsg, fd, m, fl)) \
	X(int, recvmmsg, (int fd, struct mmsghdr *m, unsigned n, int fl, \
	  struct timespec *t), (fd, m, n, fl, t), \
	  (SYS_recvmmsg, fd, m, n, fl, t)) \
	X(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n), \
	  (SYS_write, fd, b, n)) \
	X(ssize_t, writev, (int fd, const struct iovec *v, int n), (fd, v, n), \
	  (SYS_writev, fd, v, n)) \
	X(ssize_t, send, (int fd, const void *b, size_t n, int fl), \
	  (fd, b, n, fl), (SYS_sendto, fd, b, n, fl, NULL, 0)) \
	X(ssize_t, sendto, (int fd, const void *b, size_t n, int fl, \
	  const struct sockaddr *sa, socklen_t len), (fd, b, n, fl, sa, len), \
	  (SYS_sendto, fd, b, n, fl, sa, len)) \
	X(ssize_t, sendmsg, (int fd, const struct msghdr *m, int fl), \
	  (fd, m, fl), (SYS_sendmsg, fd, m, fl)) \
	X(int, sendmmsg, (int fd, struct mmsghdr *m, unsigned n, int fl), \
	  (fd, m, n, fl), (SYS_sendmmsg, fd, m, n, fl)) \
	X(ssize_t, __read_chk, (int fd, void *b, size_t n, size_t bl), \
	  (fd, b, n, bl), (SYS_read, fd, b, n)) \
	X(ssize_t, __recv_chk, (int fd, void *b, size_t n, size_t bl, int fl), \
	  (fd, b, n, bl, fl), (SYS_recvfrom, fd, b, n, fl, NULL, NULL)) \
	X(ssize_t, __recvfrom_chk, (int fd, void *b, size_t n, size_t bl, \
	  int fl, struct sockaddr *sa, socklen_t *len), \
	  (fd, b, n, bl, fl, sa, len), (SYS_recvfrom, fd, b, n, fl, sa, len)) \
	X(ssize_t, __read, (int fd, void *b, size_t n), (fd, b, n), \
	  (SYS_read, fd, b, n)) \
	X(ssize_t, __write, (int fd, const void *b, size_t n), (fd, b, n), \
	  (SYS_write, fd, b, n)) \
	X(ssize_t, __send, (int fd, const void *b, size_t n, int fl), \
	  (fd, b, n, fl), (SYS_sendto, fd, b, n, fl, NULL, 0)) \
	X(ssize_t, preadv2, (int fd, const struct iovec *v, int n, off_t off, \
	  int fl), (fd, v, n, off, fl), \
	  (SYS_preadv2, fd, v, n, KASHIM_LO_HI(off), fl)) \
	X(ssize_t, pwritev2, (int fd, const struct iovec *v, int n, off_t off, \
	  int fl), (fd, v, n, off, fl), \
	  (SYS_pwritev2, fd, v, n, KASHIM_LO_HI(off), fl)) \
	X(ssize_t, splice, (int in, loff_t *inoff, int out, loff_t *outoff, \
	  size_t n, unsigned fl), (in, inoff, out, outoff, n, fl), \
	  (SYS_splice, in, inoff, out, outoff, n, fl)) \
	X(ssize_t, sendfile, (int out, int in, off_t *off, size_t n), \
	  (out, in, off, n), (SYS_sendfile, out, in, off, n)) \
	X(ssize_t, sendfile64, (int out, int in, off64_t *off, size_t n), \
	  (out, in, off, n), (SYS_sendfile64, out, in, off, n))

#define KASHIM_DECLARE_REAL(ret, name, params, args, sys) \
	extern ret (*real_##name) params;
KASHIM_REAL_FUNCS(KASHIM_DECLARE_REAL)
#undef KASHIM_DECLARE_REAL

/* fcntl is variadic, so it is declared by hand; the argument travels as a
 * pointer-sized value, as glibc's own fcntl reads it. */
extern int (*real_fcntl)(int fd, int cmd, ...);
extern int (*real_fcntl64)(int fd, int cmd, ...);
extern void (*real_pthread_exit)(void *ret);

/* The current real function.  Relaxed is enough: a pointer is either a
 * trampoline or libc's function, and both are complete code. */
#define KASHIM_REAL(name) __atomic_load_n(&real_##name, __ATOMIC_RELAXED)

/* Aims every real_X at libc (or at the raw syscall when libc lacks it). */
void kashim_resolve_all(void);


#endif
