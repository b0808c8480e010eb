/* kashim — the clock of the log: ages and the close() look-up time.
 *
 * Milliseconds of CLOCK_MONOTONIC_COARSE (the time of the last tick, a few
 * ms old at most): all the log needs, and a fifth of the precise clock's
 * cost.  It is read at every connect, accept and close while logging, so
 * it is read straight from the vDSO where clock.c found it (see there);
 * libc's clock_gettime is the fallback.
 */
#ifndef KASHIM_CLOCK_H
#define KASHIM_CLOCK_H

#include <time.h>

typedef int (*kashim_clock_fn)(clockid_t, struct timespec *);

/* The vDSO's clock_gettime, or NULL; set once by kashim_clock_init. */
extern kashim_clock_fn kashim_vdso_clock;

/* Looks the vDSO's clock_gettime up; at init, before any hook reads the
 * clock.  Finding none is not an error: libc's is used. */
void kashim_clock_init(void);

static inline long long kashim_now_ms(void)
{
	struct timespec ts;
	kashim_clock_fn vdso =
		__atomic_load_n(&kashim_vdso_clock, __ATOMIC_RELAXED);

	if (!vdso || vdso(CLOCK_MONOTONIC_COARSE, &ts) != 0)
		clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
