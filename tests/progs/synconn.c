/* synconn — connect() timing for the SYNCNT tests.  Knows nothing of
 * kashim and sets no TCP option of its own.
 *
 *   synconn MODE ADDR PORT [hold]
 *
 * MODE says how the connect is made and how its end is learnt:
 *   block    a blocking connect()
 *   nbso     non-blocking: EINPROGRESS, poll(POLLOUT), getsockopt(SO_ERROR)
 *            (what event loops do)
 *   nbwrite  non-blocking: EINPROGRESS, poll(POLLOUT), then no SO_ERROR:
 *            the first send() is the first call on the socket
 *
 * Without "hold": print "result=ERRNO elapsed_ms=N" for the connect's end
 * (ERRNO is OK when it succeeded), N counted from just before connect().
 * With "hold" (an established connection is wanted): print "up", wait for
 * a line on stdin (the test makes the peer dead meanwhile), send 100 bytes
 * (nbwrite: the first call on the socket), then recv() and print
 * "result=ERRNO elapsed_ms=N" with N counted from just before the send.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROG_NAME "synconn"
#include "prog.h"

static const char *ename(int e)
{
	const char *s = e ? strerrorname_np(e) : "OK";

	return s ? s : "?";
}

static void result(int err, long t0)
{
	printf("result=%s elapsed_ms=%ld\n", ename(err), prog_now_ms() - t0);
	fflush(stdout);
}

/* 0 or the connect's errno. */
static int connect_mode(const char *mode, int fd, struct sockaddr *sa,
			socklen_t len)
{
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
	int err = 0;
	socklen_t elen = sizeof err;

	if (strcmp(mode, "block") == 0)
		return connect(fd, sa, len) == 0 ? 0 : errno;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl");
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	while (poll(&pf, 1, -1) < 0)
		if (errno != EINTR)
			die("poll");
	if (strcmp(mode, "nbso") == 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			die("getsockopt");
		return err;
	}
	if (pf.revents & (POLLERR | POLLHUP)) {
		/* the connect failed: the first call reads why */
		if (recv(fd, &err, 1, 0) < 0)
			return errno;
		return EIO;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	static const char data[100];
	char buf[64], line[64];
	int fd, err, hold;
	long t0;

	if (argc < 4 || (strcmp(argv[1], "block") != 0 &&
			 strcmp(argv[1], "nbso") != 0 &&
			 strcmp(argv[1], "nbwrite") != 0)) {
		fprintf(stderr, "usage: synconn block|nbso|nbwrite ADDR PORT "
				"[hold]\n");
		return 2;
	}
	hold = argc > 4 && strcmp(argv[4], "hold") == 0;
	len = kt_make_addr(argv[2], atoi(argv[3]), &ss);
	if (!len)
		die("address");
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	t0 = prog_now_ms();
	err = connect_mode(argv[1], fd, (struct sockaddr *)&ss, len);
	if (!hold || err) {
		result(err, t0);
		return 0;
	}
	printf("up\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		return 0;
	t0 = prog_now_ms();
	if (send(fd, data, sizeof data, MSG_NOSIGNAL) != (ssize_t)sizeof data)
		die("send");
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof buf, 0);

		if (r > 0)
			continue;
		if (r < 0 && errno == EAGAIN) {
			struct pollfd pf = { .fd = fd, .events = POLLIN };

			poll(&pf, 1, -1);
			continue;
		}
		result(r == 0 ? EPIPE : errno, t0);
		return 0;
	}
}
