/* kashim — start-up's interface: kashim_init(), and whether kashim acts.
 *
 * kashim_init() (init.c) loads the configuration and hands each module the
 * settings it keeps (apply, report, estab, watch), then publishes
 * kashim_state; nothing here is read by the modules themselves.  Also the
 * few attributes the hooks, the real-function table and init share.
 */
#ifndef KASHIM_H
#define KASHIM_H

/* kashim's thread-locals live in the static TLS block (the library is
 * preloaded, so it is there at start-up); no __tls_get_addr, no malloc. */
#define KASHIM_TLS __attribute__((tls_model("initial-exec")))

/* The code every connection runs -- socket, connect, accept and close,
 * and what they call on their common path -- is kept together in one
 * section.  A connect() or accept() runs so much kernel code that little
 * of kashim is left in the caches and the TLB afterwards: each line and
 * page kashim touches is fetched again, and evicts one of the kernel's,
 * once per connection.  Spread over the library they were nine pages of
 * code; together, two. */
#define KASHIM_HOT __attribute__((section(".text.hot.kashim")))

/* The same for the words of state that path reads (flags, settings, the
 * table's owner, the clock): spread over the data, each beside colder
 * words, they were seven cache lines on three pages.  Marked with this
 * they share a section name, and the link (--sort-section=name, Makefile)
 * puts all sections of one name together: three lines, one page. */
#define KASHIM_HOT_DATA __attribute__((section(".data.hot.kashim")))

#define KASHIM_LIKELY(x) __builtin_expect(!!(x), 1)
#define KASHIM_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* kashim_state, atomic: KASHIM_STARTING until kashim_init() is done, then
 * KASHIM_ON, or KASHIM_OFF when the configuration disables kashim. */
enum {
	KASHIM_STARTING = 0,
	KASHIM_ON,
	KASHIM_OFF,
};
extern int kashim_state;

void kashim_init(void);

/* 1 when kashim should act on this call: initialised (or initialised now)
 * and not disabled.  0 while this thread is inside kashim's own init.
 * Once initialised, one load of one flag. */
int kashim_active_slow(void);
static inline int kashim_active(void)
{
	int s = __atomic_load_n(&kashim_state, __ATOMIC_ACQUIRE);

	if (KASHIM_LIKELY(s != KASHIM_STARTING))
		return s == KASHIM_ON;
	return kashim_active_slow();
}

#endif
