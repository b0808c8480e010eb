/* kashim — process-wide state shared by the hooks.
 *
 * The configuration is written once, by kashim_init(), before `ready` is
 * published; after that it is read-only and needs no lock.
 */
#ifndef KASHIM_H
#define KASHIM_H

#include <sys/types.h>

#include "config.h"

/* kashim's thread-locals live in the static TLS block (the library is
 * preloaded, so it is there at start-up); no __tls_get_addr, no malloc. */
#define KASHIM_TLS __attribute__((tls_model("initial-exec")))

#define KASHIM_LIKELY(x) __builtin_expect(!!(x), 1)
#define KASHIM_UNLIKELY(x) __builtin_expect(!!(x), 0)

extern struct kashim_config kashim_cfg;
extern int kashim_ready;        /* atomic: 1 once kashim_cfg is loaded */

void kashim_init(void);

/* 1 when kashim should act on this call: initialised (or initialised now)
 * and not disabled.  0 while this thread is inside kashim's own init. */
int kashim_active_slow(void);
static inline int kashim_active(void)
{
	if (KASHIM_LIKELY(__atomic_load_n(&kashim_ready, __ATOMIC_ACQUIRE)))
		return !kashim_cfg.disable;
	return kashim_active_slow();
}

#endif
