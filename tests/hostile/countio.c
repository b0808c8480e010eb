/* hostile: another preload that hooks the read/write calls kashim hooks,
 * the way a tracing or faking library does.
 *
 * Built as libh_countio.so.  Placed after libkashim in LD_PRELOAD, it is
 * what kashim's lookup finds behind kashim's own read(), write(), recv()
 * and send(): each call the program makes must still reach it, log on or
 * off.  A library that made the system call itself on the way would pass
 * it by, and h_chain's counts would be 0.  h_countio_calls() tells the
 * program how many calls arrived.
 */
#include <dlfcn.h>

#include "hostile.h"

static long calls;      /* atomic */

long h_countio_calls(void);
long h_countio_calls(void)
{
	return __atomic_load_n(&calls, __ATOMIC_RELAXED);
}

#define COUNTED(ret, name, params, args) \
	ret name params \
	{ \
		static ret (*next) params; \
		if (!next) \
			*(void **)&next = dlsym(RTLD_NEXT, #name); \
		__atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED); \
		return next args; \
	}

COUNTED(ssize_t, read, (int fd, void *b, size_t n), (fd, b, n))
COUNTED(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n))
COUNTED(ssize_t, recv, (int fd, void *b, size_t n, int fl), (fd, b, n, fl))
COUNTED(ssize_t, send, (int fd, const void *b, size_t n, int fl),
	(fd, b, n, fl))
