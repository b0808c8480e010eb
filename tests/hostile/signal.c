/* hostile: hooked functions called from a signal handler.
 *
 * A SIGALRM handler fires every 200 us and makes socket(), a non-blocking
 * connect() (to a second listener that nobody accepts on), dup(), close(),
 * write() and close(-1), while the main loop connects, accepts, writes and
 * reads over loopback, so the handler interrupts kashim's own hooks midway
 * (a held fd-table entry, a half-made decision).  Nothing may deadlock,
 * crash or change a result, and errno in the interrupted code must be what
 * the main loop's calls left.
 *
 *   signal [ROUNDS]     (default 2000)
 *
 * Output: "same loop rounds=N failures=0", "same handler errno_kept=1",
 * "opt last ..." (the last round's client) and "same configured=N" counts
 * under "opt-count" so the test can tell kashim acted on every socket.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>

#include "hostile.h"

static int side_port, wake[2];
static volatile sig_atomic_t handled, errno_broken;

static void on_alarm(int sig)
{
	int saved = errno, s, d, marker = 1000 + sig;
	struct sockaddr_in sa = prog_loopback4(side_port);

	errno = marker;
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s >= 0) {
		(void)connect(s, (struct sockaddr *)&sa, sizeof sa);
		d = dup(s);
		close(s);
		if (d >= 0)
			close(d);
	}
	close(-1);                      /* EBADF, as always */
	if (write(wake[1], "x", 1) < 0 && errno != EAGAIN)
		errno_broken = 1;
	handled++;
	errno = saved;
}

static int one_round(int lis, int port)
{
	char buf[4];
	int c, a, ok;

	c = h_client(port);
	a = accept(lis, NULL, NULL);
	if (a < 0)
		die("accept");
	ok = write(c, "ping", 4) == 4 && read(a, buf, 4) == 4 &&
	     memcmp(buf, "ping", 4) == 0;
	ok = ok && h_getopt(c, SOL_SOCKET, SO_KEEPALIVE) >= 0;
	if (h_getopt(c, SOL_SOCKET, SO_KEEPALIVE) == 1 &&
	    h_getopt(a, SOL_SOCKET, SO_KEEPALIVE) == 1)
		ok |= 2;
	/* errno across calls that succeed must stay what the program set */
	errno = 4242;
	if (h_getopt(c, IPPROTO_TCP, TCP_NODELAY) < 0 || errno != 4242)
		ok = 0;
	close(a);
	if (close(c) != 0)
		ok = 0;
	return ok;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 2000, lis, side, port, i, r;
	int failures = 0, configured = 0;
	char drain[256];

	lis = h_listener(&port);
	side = h_listener(&side_port);
	if (pipe2(wake, O_NONBLOCK | O_CLOEXEC) != 0)
		die("pipe");
	h_alarm_start(on_alarm, 200);
	for (i = 0; i < rounds; i++) {
		r = one_round(lis, port);
		if (!(r & 1))
			failures++;
		if (r & 2)
			configured++;
		while (read(wake[0], drain, sizeof drain) > 0)
			;
	}
	h_alarm_stop();
	h_say("same loop rounds=%d failures=%d", rounds, failures);
	h_say("same handler errno_broken=%d", (int)errno_broken);
	h_say("note handled=%d", (int)handled);
	h_say("count configured=%d", configured);
	r = h_client(port);
	h_opts("last", r);
	close(side);
	close(lis);
	return 0;
}
