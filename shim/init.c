/* kashim — start-up: real symbols, configuration, fork handling.
 *
 * kashim_init() runs once, from our constructor or from whichever hook is
 * called first (another library's constructor may call socket() before ours
 * runs).  It makes no syscall unless the configuration asks for one (a log
 * sink to check, a bad value to report), but one: the getsockopt that asks
 * whether fd 0 is a TCP connection (born.h), which is all a program
 * without TCP sockets sees of kashim.  The configuration stays here: each
 * module is handed, once, the settings it keeps (kashim_apply_init,
 * kashim_report_init, kashim_estab_init, kashim_watch_init), and the hooks
 * see only kashim_state (kashim.h).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "apply.h"
#include "born.h"
#include "clock.h"
#include "config.h"
#include "estab.h"
#include "fdtable.h"
#include "kashim.h"
#include "real.h"
#include "report.h"
#include "watch.h"

KASHIM_HOT_DATA int kashim_state;

/* Read by init alone: each module is handed what it keeps of it. */
static struct kashim_config cfg;

/* 0: not started, 1: running, 2: done.  Not pthread_once: glibc's wakes
 * waiters with a futex call even when there are none, and a program
 * without TCP sockets must see no syscall from kashim. */
static int init_state;
static __thread int in_init KASHIM_TLS;

/* Setting errors go straight to fd 2, once each, at start-up: the
 * program's stderr is still the user's terminal or journal then. */
static void warn_stderr(const char *line, void *ctx)
{
	char buf[KASHIM_PATH_MAX + 512];
	size_t n = strlen(line);

	(void)ctx; /* unused */
	if (n > sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	if (syscall(SYS_write, 2, buf, n) < 0)
		return;
}

static const char *env(const char *name)
{
	return getenv(name);
}

static void after_fork_child(void)
{
	fdt_after_fork();
	kashim_watch_after_fork();
}

/* errno as it was: init may run inside any hook, or before main (whose
 * errno a program may read), and its own calls fail by design (the fd 0
 * question answers ENOTSOCK to most processes). */
static void do_init(void)
{
	int saved = errno, logging;

	in_init = 1;
	kashim_resolve_all();
	kashim_config_load(&cfg, env, getauxval(AT_SECURE) != 0, warn_stderr,
			   NULL);
	if (!cfg.disable) {
		kashim_clock_init();
		kashim_apply_init(&cfg);
		logging = kashim_report_init(&cfg, warn_stderr);
		kashim_estab_init(logging);
		kashim_watch_init(cfg.watch && logging);
		pthread_atfork(kashim_watch_before_fork, NULL,
			       after_fork_child);
		kashim_adopt_born();
	}
	__atomic_store_n(&kashim_state, cfg.disable ? KASHIM_OFF : KASHIM_ON,
			 __ATOMIC_RELEASE);
	in_init = 0;
	errno = saved;
}

void kashim_init(void)
{
	int expected = 0;

	if (in_init || __atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2)
		return;
	if (__atomic_compare_exchange_n(&init_state, &expected, 1, 0,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		do_init();
		__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
		return;
	}
	/* Another thread is initialising; it takes microseconds. */
	while (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) != 2)
		sched_yield();
}

int kashim_active_slow(void)
{
	if (in_init)
		return 0;
	kashim_init();
	return __atomic_load_n(&kashim_state, __ATOMIC_ACQUIRE) == KASHIM_ON;
}

__attribute__((constructor)) static void kashim_constructor(void)
{
	kashim_init();
}
