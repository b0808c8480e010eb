/* hostile: reads and writes through a second preloaded library
 * (libh_countio.so, after kashim in LD_PRELOAD), then asks it how many of
 * them it saw.  Succeeding calls, and reads that fail with EAGAIN.
 *
 * Output: "same results ok=200 eagain=50" (what the calls returned) and
 * "same countio=251" (the calls the other library saw: four per round,
 * one per EAGAIN read, and the write of the first line).
 */
#include <dlfcn.h>
#include <fcntl.h>

#include "hostile.h"

#define ROUNDS 50

int main(void)
{
	long (*calls)(void);
	int lis, port, c, a, i, ok = 0, again = 0;
	char buf[4];

	*(void **)&calls = dlsym(RTLD_DEFAULT, "h_countio_calls");
	if (!calls)
		die("libh_countio.so is not preloaded");
	lis = h_listener(&port);
	c = h_client(port);
	a = accept(lis, NULL, NULL);
	if (a < 0 || fcntl(a, F_SETFL, O_NONBLOCK) != 0)
		die("accept");
	for (i = 0; i < ROUNDS; i++) {
		ok += write(c, "ping", 4) == 4;
		ok += recv(a, buf, 4, 0) == 4;
		ok += send(a, "pong", 4, 0) == 4;
		ok += read(c, buf, 4) == 4;
	}
	for (i = 0; i < ROUNDS; i++)
		again += read(a, buf, 1) < 0 && errno == EAGAIN;
	h_say("same results ok=%d eagain=%d", ok, again);
	h_say("same countio=%ld", calls());
	close(a);
	close(c);
	close(lis);
	return 0;
}
