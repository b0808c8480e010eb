/* kashim — the real libc functions behind the hooks.
 *
 * Each real_X pointer starts out aimed at a trampoline that runs kashim's
 * one-time initialisation (symbol lookup, configuration) and then forwards
 * the call, so a hook that runs before our constructor — from another
 * library's constructor, say — still works.  After init the pointer holds
 * libc's function and a hook costs one indirect call.
 *
 * The functions are listed once, in hooks.def; this header declares a
 * real_X pointer for each entry there.
 */
#ifndef KASHIM_REAL_H
#define KASHIM_REAL_H

#include <fcntl.h>               /* loff_t (musl) */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>

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

/* recvmmsg/sendmmsg take flags as int in glibc, unsigned in musl: the
 * list uses the header's type, so that the hooks match its prototypes. */
#ifdef __GLIBC__
#define KASHIM_MMSG_FLAGS int
#else
#define KASHIM_MMSG_FLAGS unsigned
#endif

/* fcntl is variadic: its trampoline (real.c) passes the argument on as a
 * pointer-sized value, as glibc's own fcntl reads it. */
#define KASHIM_DECLARE_REAL(ret, name, params, args, sys) \
	extern ret (*real_##name) params;
#define KASHIM_HOOK KASHIM_DECLARE_REAL
#define KASHIM_REAL_ONLY KASHIM_DECLARE_REAL
#define KASHIM_HOOK_BY_HAND(ret, name, params) \
	KASHIM_DECLARE_REAL(ret, name, params, , )
#include "hooks.def"
#undef KASHIM_DECLARE_REAL

/* The current real function.  Relaxed is enough: a pointer is either a
 * trampoline or libc's function, and both are complete code. */
#define KASHIM_REAL(name) __atomic_load_n(&real_##name, __ATOMIC_RELAXED)

/* Aims every real_X at libc (or at the raw syscall when libc lacks it). */
void kashim_resolve_all(void);


#endif
