/* kashim — an I/O call made the way libc makes it, without libc's frame.
 *
 * While the log is on, the read/write hooks call libc and then look at the
 * result.  That costs more than the few instructions of the look: on
 * kernels that refill the return-stack predictor on every entry (the
 * "Safe RET" and "RSB filling" mitigations), every return whose address
 * was pushed before the syscall is mispredicted afterwards.  A hook that
 * tail-jumps to libc has one such return (libc's); a hook that calls libc
 * and returns itself has two, about 13 ns more per call here, 2-3% of a
 * read that fails with EAGAIN.
 *
 * So, where that is exactly what libc would do, the hook makes the system
 * call itself: glibc's read, write, readv, writev, recv, recvfrom,
 * recvmsg, send, sendto and sendmsg are one system call and an errno when
 * the process has a single thread (glibc then skips the cancellation
 * bookkeeping: no other thread can cancel it).  Only then, and only when
 * every function kashim found behind its hooks is glibc's own (real.c
 * checks: another preload between kashim and libc gets its calls as
 * before), and only on the architectures written out below.  Anywhere
 * else kashim_direct_now() is 0 and the hooks call libc.
 */
#ifndef KASHIM_DIRECT_H
#define KASHIM_DIRECT_H

#include "real.h"

#if defined(__GLIBC__) && \
	(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32)) && \
	(defined(__x86_64__) || defined(__aarch64__))
#include <sys/single_threaded.h>
#define KASHIM_DIRECT_ARCH 1
#else
#define KASHIM_DIRECT_ARCH 0
#endif

/* Set by kashim_resolve_all() (real.c): glibc's own functions are behind
 * every hook. */
extern int kashim_direct;

/* For the calls that are no cancellation point -- socket(), setsockopt():
 * glibc's are one bare system call and an errno in any process, threaded
 * or not.  kashim makes its own option calls this way, and the socket()
 * hook its call: no return through libc that the syscall left the return
 * predictor unable to foresee (about 10 ns each here). */
static inline int kashim_direct_plain(void)
{
#if KASHIM_DIRECT_ARCH
	return __atomic_load_n(&kashim_direct, __ATOMIC_RELAXED);
#else
	return 0;
#endif
}

static inline int kashim_direct_now(void)
{
#if KASHIM_DIRECT_ARCH
	return __atomic_load_n(&kashim_direct, __ATOMIC_RELAXED) &&
	       __libc_single_threaded;
#else
	return 0;
#endif
}

#if KASHIM_DIRECT_ARCH && defined(__x86_64__)
/* Three arguments leave r8-r10 free: the hook keeps its fd there across
 * the call instead of saving a register on its fast path too. */
static inline long kashim_sys3(long n, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

static inline long kashim_sys6(long n, long a, long b, long c, long d,
			       long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}
#elif KASHIM_DIRECT_ARCH && defined(__aarch64__)
static inline long kashim_sys6(long n, long a, long b, long c, long d,
			       long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory", "cc");
	return x0;
}

static inline long kashim_sys3(long n, long a, long b, long c)
{
	return kashim_sys6(n, a, b, c, 0, 0, 0);
}
#endif

/* kernel_X(args): the system call of hooks.def's X, padded to six
 * arguments (the kernel ignores the ones a call does not take); it
 * returns what the kernel does, a result or -errno.  Only called when
 * kashim_direct_now() is 1. */
#if KASHIM_DIRECT_ARCH
#define KASHIM_SYS_6(n, a, b, c, d, e, f, ...) \
	kashim_sys6((long)(n), (long)(a), (long)(b), (long)(c), (long)(d), \
		    (long)(e), (long)(f))
#define KASHIM_SYS_3(n, a, b, c, ...) \
	kashim_sys3((long)(n), (long)(a), (long)(b), (long)(c))
/* The call with its arguments counted: three or fewer, or up to six. */
#define KASHIM_SYS_PICK(n, a, b, c, d, e, f, which, ...) which
#define KASHIM_SYS(...) \
	KASHIM_SYS_PICK(__VA_ARGS__, KASHIM_SYS_6, KASHIM_SYS_6, \
			KASHIM_SYS_6, KASHIM_SYS_3, KASHIM_SYS_3, \
			KASHIM_SYS_3, KASHIM_SYS_3) \
	(__VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define KASHIM_KERNEL_CALL(ret, name, params, args, sys) \
	static inline long kernel_##name params \
	{ \
		return KASHIM_SYS sys; \
	}
#else /* never called: kashim_direct_now() is 0 */
#define KASHIM_KERNEL_CALL(ret, name, params, args, sys) \
	static inline long kernel_##name params \
	{ \
		return (long)KASHIM_REAL(name) args; \
	}
#endif
/* The fortified variants' buffer size has no syscall counterpart. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define KASHIM_HOOK KASHIM_KERNEL_CALL
#define KASHIM_REAL_ONLY KASHIM_KERNEL_CALL
#define KASHIM_HOOK_BY_HAND(ret, name, params)
#include "hooks.def"
#undef KASHIM_KERNEL_CALL
#pragma GCC diagnostic pop

/* A kernel result that is an error, -4095..-1, as libc tells them. */
static inline int kashim_kernel_failed(long r)
{
	return (unsigned long)r > -4096UL;
}

#endif
