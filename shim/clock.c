/* kashim — where the log's clock is read from (see clock.h).
 *
 * glibc's clock_gettime is a wrapper that finds the vDSO's function in
 * ld.so's data and calls it: two more pages (one of libc's code, one of
 * ld.so's data) touched between the syscalls of every connect, accept and
 * close while logging.  Those syscalls run so much kernel code that each
 * user page or cache line touched around them is fetched again afterwards
 * and evicts one of the kernel's (see KASHIM_HOT in kashim.h), so kashim
 * calls the vDSO itself.  glibc lists the vDSO as a loaded object named
 * linux-vdso.so.1, so dlopen(RTLD_NOLOAD) finds it without loading
 * anything.  The name and version looked up are x86's (i386 and x86_64);
 * elsewhere (other names, musl, which calls the vDSO directly already, a
 * kernel without one, valgrind, which hides it) the pointer stays NULL
 * and libc's function is used.
 */
#include <dlfcn.h>

#include "clock.h"
#include "kashim.h"

KASHIM_HOT_DATA kashim_clock_fn kashim_vdso_clock;

void kashim_clock_init(void)
{
#ifdef __GLIBC__
	void *vdso = dlopen("linux-vdso.so.1", RTLD_NOW | RTLD_NOLOAD);
	struct timespec ts;
	kashim_clock_fn fn;

	if (!vdso)
		return;
	fn = (kashim_clock_fn)dlvsym(vdso, "__vdso_clock_gettime",
				     "LINUX_2.6");
	/* Trust it only once it has answered the one clock kashim reads. */
	if (fn && fn(CLOCK_MONOTONIC_COARSE, &ts) == 0)
		__atomic_store_n(&kashim_vdso_clock, fn, __ATOMIC_RELAXED);
#endif
}
