/* kashim — finding libc's functions behind our hooks.
 *
 * Every real_X pointer (one per entry of hooks.def) is first aimed at
 * tramp_X, which initialises kashim and forwards the call.
 * kashim_resolve_all() replaces the pointers with what dlsym(RTLD_NEXT)
 * finds.  A symbol that is missing (close_range on an old libc, __read_chk
 * on musl) or that resolves back into this library is replaced by sys_X,
 * the same call made as a raw syscall.  The entries marked BY_HAND there
 * (fcntl, fcntl64, pthread_exit) are written out below.
 */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif
#include <stdarg.h>
#include <unistd.h>

#include "direct.h"
#include "kashim.h"
#include "real.h"

static __thread int resolving KASHIM_TLS;

/* The fortified variants' buffer size has no syscall counterpart. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define KASHIM_SYS_FALLBACK(ret, name, params, args, sys) \
	static ret sys_##name params { return (ret)syscall sys; }
#define KASHIM_HOOK KASHIM_SYS_FALLBACK
#define KASHIM_REAL_ONLY KASHIM_SYS_FALLBACK
#define KASHIM_HOOK_BY_HAND(ret, name, params)
#include "hooks.def"
#undef KASHIM_SYS_FALLBACK
#pragma GCC diagnostic pop

/* While this thread looks symbols up, a call that comes back into us goes
 * straight to the kernel; otherwise initialise and forward. */
#define KASHIM_TRAMPOLINE(ret, name, params, args, sys) \
	static ret tramp_##name params \
	{ \
		if (resolving) \
			return sys_##name args; \
		kashim_init(); \
		return KASHIM_REAL(name) args; \
	} \
	ret (*real_##name) params = tramp_##name;
#define KASHIM_HOOK KASHIM_TRAMPOLINE
#define KASHIM_REAL_ONLY KASHIM_TRAMPOLINE
#define KASHIM_HOOK_BY_HAND(ret, name, params)
#include "hooks.def"
#undef KASHIM_TRAMPOLINE

static int sys_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return (int)syscall(SYS_fcntl, fd, cmd, arg);
}

static int tramp_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (resolving)
		return sys_fcntl(fd, cmd, arg);
	kashim_init();
	return KASHIM_REAL(fcntl)(fd, cmd, arg);
}

int (*real_fcntl)(int fd, int cmd, ...) = tramp_fcntl;

/* pthread_exit() has no syscall of its own; without libc's (which every
 * threaded program has) ending the thread is the closest. */
static void sys_pthread_exit(void *ret)
{
	(void)ret; /* unused */
	for (;;)
		syscall(SYS_exit, 0);
}

static void tramp_pthread_exit(void *ret)
{
	kashim_init();
	KASHIM_REAL(pthread_exit)(ret);
}

void (*real_pthread_exit)(void *ret) = tramp_pthread_exit;

/* Where this library and glibc lie in memory, found once per lookup pass
 * by walking the loaded objects: a pointer into this very library would
 * make a hook call itself, and direct.h wants to know that glibc's own
 * function is behind every hook.  (dladdr() answers the same question
 * but searches symbol tables: 100,000 instructions a call, 60 calls.) */
struct span {
	uintptr_t lo, hi;
};

static struct span ours, glibc;

static int holds(const struct span *s, const void *p)
{
	return (uintptr_t)p >= s->lo && (uintptr_t)p < s->hi;
}

static int note_object(struct dl_phdr_info *info, size_t size, void *unused)
{
	struct span s = { UINTPTR_MAX, 0 };

	(void)size;
	(void)unused;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (lo < s.lo)
			s.lo = lo;
		if (lo + ph->p_memsz > s.hi)
			s.hi = lo + ph->p_memsz;
	}
	if (holds(&s, (const void *)kashim_resolve_all))
		ours = s;
#ifdef __GLIBC__
	if (holds(&s, (const void *)gnu_get_libc_version))
		glibc = s;
#endif
	return 0;
}

static void find_objects(void)
{
	ours = glibc = (struct span){ 0, 0 };
	dl_iterate_phdr(note_object, NULL);
}

/* direct.h: 1 once every function found is glibc's own, so that a hook
 * may make the call as glibc would without passing over another preload
 * that stands between kashim and libc. */
KASHIM_HOT_DATA int kashim_direct;
static int all_glibc;

static void *lookup(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p && holds(&ours, p))
		p = NULL;
	if (p && !holds(&glibc, p))
		all_glibc = 0;
	return p;
}

static void *lookup_or(const char *name, void *fallback)
{
	void *p = lookup(name);

	return p ? p : fallback;
}

#define KASHIM_RESOLVE(ret, name, params, args, sys) \
	{ \
		ret (*fn_##name) params; \
		*(void **)&fn_##name = lookup_or(#name, (void *)sys_##name); \
		__atomic_store_n(&real_##name, fn_##name, __ATOMIC_RELEASE); \
	}

void kashim_resolve_all(void)
{
	int (*fcntl_fn)(int, int, ...);
	void (*exit_fn)(void *) = sys_pthread_exit;

	resolving = 1;
	find_objects();
	all_glibc = 1;
#define KASHIM_HOOK KASHIM_RESOLVE
#define KASHIM_REAL_ONLY KASHIM_RESOLVE
#define KASHIM_HOOK_BY_HAND(ret, name, params)
#include "hooks.def"
	*(void **)&fcntl_fn = lookup_or("fcntl", (void *)sys_fcntl);
	__atomic_store_n(&real_fcntl, fcntl_fn, __ATOMIC_RELEASE);
	*(void **)&fcntl_fn = lookup_or("fcntl64", (void *)fcntl_fn);
	__atomic_store_n(&real_fcntl64, fcntl_fn, __ATOMIC_RELEASE);
	*(void **)&exit_fn = lookup_or("pthread_exit", (void *)exit_fn);
	__atomic_store_n(&real_pthread_exit, exit_fn, __ATOMIC_RELEASE);
	__atomic_store_n(&kashim_direct, all_glibc, __ATOMIC_RELAXED);
	resolving = 0;
}

/* glibc >= 2.28 also exports fcntl64 (the LFS name programs built with
 * _FILE_OFFSET_BITS=64 call); it behaves as fcntl where it is missing. */
int (*real_fcntl64)(int fd, int cmd, ...) = tramp_fcntl;
