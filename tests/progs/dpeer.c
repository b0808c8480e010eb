/* dpeer — one end of a plain TCP connection, for the dead-peer tests.  It
 * knows nothing of kashim and sets no socket option of its own (only
 * SO_REUSEADDR on the listener, and SO_LINGER for "reset").
 *
 *   dpeer server ADDR PORT MODE      listen, print "listening port=N",
 *                                    accept one, print "accepted", then MODE
 *   dpeer client ADDR PORT MODE      connect, print "connected", then MODE
 *
 * MODE
 *   recv   block in recv() and report how it ended
 *   write  wait for a line on stdin, send 100 bytes, print "written n=100",
 *          then block in recv() and report how it ended
 *   hold   keep the connection idle, reading stdin: the line "reset" aborts
 *          the connection (SO_LINGER 0, so an RST and no state is left) and
 *          closes the listener, then prints "reset"; EOF ends the program
 *
 * The report:  result=ETIMEDOUT elapsed_ms=3012
 *   result: the errno name, EOF (recv returned 0) or DATA; elapsed_ms counts
 *   from connect()/accept() returning (recv) or from just before the send
 *   (write), on CLOCK_MONOTONIC.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#define PROG_NAME "dpeer"
#include "prog.h"

static void wait_recv(int fd, long t0)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof buf, 0);
	const char *res = n > 0 ? "DATA" : n == 0 ? "EOF" :
			  strerrorname_np(errno);

	printf("result=%s elapsed_ms=%ld\n", res ? res : "?", prog_now_ms() - t0);
}

static void hold(int fd, int lfd)
{
	char line[64];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	while (fgets(line, sizeof line, stdin)) {
		if (strcmp(line, "reset\n") != 0)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
			die("setsockopt SO_LINGER");
		close(fd);
		if (lfd >= 0)
			close(lfd);
		printf("reset\n");
	}
}

static void run_mode(const char *mode, int fd, int lfd, long t0)
{
	char line[64];

	if (strcmp(mode, "recv") == 0) {
		wait_recv(fd, t0);
	} else if (strcmp(mode, "write") == 0) {
		static const char data[100];

		if (!fgets(line, sizeof line, stdin))
			return;
		t0 = prog_now_ms();
		if (send(fd, data, sizeof data, 0) != (ssize_t)sizeof data)
			die("send");
		printf("written n=%zu\n", sizeof data);
		wait_recv(fd, t0);
	} else if (strcmp(mode, "hold") == 0) {
		hold(fd, lfd);
	} else {
		fprintf(stderr, "dpeer: bad mode %s\n", mode);
		exit(2);
	}
}

static int server(const char *addr, int port, int *lfd_out)
{
	struct sockaddr_storage ss;
	int lfd = prog_listen(addr, port, &ss), fd;

	printf("listening port=%d\n", port);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	*lfd_out = lfd;
	return fd;
}

static int client(const char *addr, int port)
{
	struct sockaddr_storage ss;

	return prog_dial(addr, port, &ss);
}

int main(int argc, char **argv)
{
	int fd, lfd = -1;
	long t0;

	if (argc != 5) {
		fprintf(stderr, "usage: dpeer server|client ADDR PORT MODE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "server") == 0) {
		fd = server(argv[2], atoi(argv[3]), &lfd);
		t0 = prog_now_ms();
		printf("accepted\n");
	} else {
		fd = client(argv[2], atoi(argv[3]));
		t0 = prog_now_ms();
		printf("connected\n");
	}
	run_mode(argv[4], fd, lfd, t0);
	return 0;
}
