/* hostile: a library whose constructor uses sockets before kashim's runs.
 *
 * Built as libh_early.so.  Placed after libkashim in LD_PRELOAD, or linked
 * into a program, its constructor runs before kashim's own constructor
 * (the loader runs the later-loaded objects' initialisers first), so the
 * socket(), connect() and accept() below reach kashim's hooks before
 * kashim was initialised.  They must still work, and the sockets must still
 * get kashim's options.  Its stderr lines let the test see the order:
 * "early: start", then (with a bad KASHIM_ value) kashim's warning, which
 * kashim prints while initialising (in the first hooked call, here
 * socket()), then "early: done".
 */
#include <sys/syscall.h>

#include "hostile.h"

/* The markers bypass libc's write(), which kashim hooks: a hooked write
 * would itself initialise kashim before the marker got out. */
static void mark(const char *s)
{
	if (syscall(SYS_write, 2, s, strlen(s)) < 0)
		_exit(3);
}

__attribute__((constructor)) static void early_ctor(void)
{
	int lis, port, c, a, saved;

	mark("early: start\n");
	errno = 0;
	lis = h_listener(&port);
	c = h_client(port);
	a = accept(lis, NULL, NULL);
	saved = errno;
	if (a < 0)
		die("early accept");
	h_say("same early errno=%d", saved);
	h_opts("early_out", c);
	h_opts("early_in", a);
	close(a);
	close(c);
	close(lis);
	mark("early: done\n");
}
