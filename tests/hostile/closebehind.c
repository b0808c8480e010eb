/* hostile: fds closed behind libc's back, then their numbers reused.
 *
 * kashim learns of a close through its close()/close_range() hooks.  Here a
 * configured connection is closed by other means: the raw syscall, fclose()
 * of an fdopen()ed stream (glibc closes inside libc, not through the
 * close symbol), close_range() both through libc and as a raw syscall.
 * Then a TCP socket that kashim did not see being made (a raw socket
 * syscall: like one inherited from a parent) takes the same number and is
 * connected, or made a listener and accepted on.  SPEC: such sockets are
 * covered when they connect or accept, so each must end up configured
 * (opt ... keepalive=1 under the preload), whatever the stale entry said.
 *
 *   closebehind [sysclose|fclose|close_range|sys_close_range] [out|in]
 *
 * Output: "same ..." results, "opt reused ..." of the new connection.
 */
#include <sys/syscall.h>

#include "hostile.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static int lis, port;

static int accepted(int l)
{
	int a = accept(l, NULL, NULL);

	if (a < 0)
		die("accept");
	return a;
}

static int close_behind(const char *how, int fd)
{
	FILE *f;

	if (strcmp(how, "sysclose") == 0)
		return (int)syscall(SYS_close, fd);
	if (strcmp(how, "fclose") == 0) {
		f = fdopen(fd, "r+");
		if (!f)
			die("fdopen");
		return fclose(f);
	}
	if (strcmp(how, "close_range") == 0)
		return h_close_range((unsigned)fd, (unsigned)fd);
	return (int)syscall(SYS_close_range, fd, fd, 0);
}

/* A TCP socket kashim has not seen, on number want. */
static int unseen_socket(int want)
{
	int fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("raw socket");
	if (fd != want) {
		h_say("note raw socket got %d, not %d", fd, want);
		if (syscall(SYS_dup2, fd, want) != want)
			die("raw dup2");
		syscall(SYS_close, fd);
	}
	return want;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "sysclose";
	int inbound = argc > 2 && strcmp(argv[2], "in") == 0;
	int c, a, n, l2, p2, peer;
	struct sockaddr_in sa = prog_loopback4(0);
	socklen_t len = sizeof sa;

	lis = h_listener(&port);
	c = h_client(port);
	a = accepted(lis);
	h_opts("first", c);
	h_say("same close_behind=%d", close_behind(how, c));
	close(a);
	n = unseen_socket(c);
	if (!inbound) {
		h_say("same reused_connect=%d", H_RES(h_connect_fd(n, port)));
		a = accepted(lis);
		h_opts("reused", n);
		close(a);
		close(n);
		close(lis);
		return 0;
	}
	/* The reused number becomes a listener. */
	h_say("same bind=%d", H_RES(bind(n, (struct sockaddr *)&sa, sizeof sa)));
	h_say("same listen=%d", H_RES(listen(n, 8)));
	if (getsockname(n, (struct sockaddr *)&sa, &len) != 0)
		die("getsockname");
	p2 = ntohs(sa.sin_port);
	peer = h_client(p2);
	l2 = n;
	a = accepted(l2);
	h_opts("reused", a);
	close(a);
	close(peer);
	close(l2);
	close(lis);
	return 0;
}
