/* kashim — the clock of the log: ages and the close() look-up time.
 *
 * Milliseconds of CLOCK_MONOTONIC_COARSE (vDSO: no syscall; it lags the
 * precise clock by less than one tick).  The coarse clock (the time of the
 * last tick, a few ms old at most) is all the log needs, and costs a fifth
 * of the precise one: it is read at every connect, accept and close while
 * logging.  No state: any module may read it.
 */
#ifndef KASHIM_CLOCK_H
#define KASHIM_CLOCK_H

#include <time.h>

static inline long long kashim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
