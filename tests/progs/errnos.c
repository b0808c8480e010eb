/* errnos — calls the socket API the way programs do, failing and succeeding,
 * and prints what each call returned and what errno was afterwards.  Before
 * every call errno is set to 12345, so a library that touches errno on a
 * successful call shows up as "errno=<something else>".
 *
 * Output, one line per case:   NAME ret=R errno=E [extra]
 *   R: 0, -1, fd (a descriptor), or a byte count
 *   E: the errno name (ECONNREFUSED...) or the number (12345 = untouched)
 * Exit 0 (the judging is done by the test).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "prog.h"

#define MARK 12345

static void out(const char *name, long ret, int isfd, const char *extra)
{
	int e = errno;          /* read first: printf may change it */
	const char *en = e == MARK ? NULL : strerrorname_np(e);
	char rbuf[32];

	if (isfd && ret >= 0)
		snprintf(rbuf, sizeof rbuf, "fd");
	else
		snprintf(rbuf, sizeof rbuf, "%ld", ret);
	if (en)
		printf("%s ret=%s errno=%s%s%s\n", name, rbuf, en,
		       extra ? " " : "", extra ? extra : "");
	else
		printf("%s ret=%s errno=%d%s%s\n", name, rbuf, e,
		       extra ? " " : "", extra ? extra : "");
}

/* A step that only prepares a case (a bind, a connect to our own listener):
 * it cannot fail on a working loopback, and if it does the cases after it
 * mean nothing, so say which and stop (the test then fails on the exit). */
static void setup(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(1);
	}
}

#define CALL(name, isfd, expr) do { errno = MARK; long r_ = (long)(expr); \
		out(name, r_, isfd, NULL); } while (0)

static int port_of(int fd)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof a;

	setup(getsockname(fd, (struct sockaddr *)&a, &len) == 0,
	      "errnos: getsockname");
	return ntohs(a.sin_port);
}

/* A port that nothing listens on: bound, never listened, kept open. */
static int closed_port(void)
{
	struct sockaddr_in a = prog_loopback4(0);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	setup(bind(fd, (struct sockaddr *)&a, sizeof a) == 0, "errnos: bind");
	return port_of(fd);
}

static void sockets(void)
{
	int fd, one = 1, zero = 0, v;
	socklen_t len = sizeof v;

	CALL("socket4", 1, fd = socket(AF_INET, SOCK_STREAM, 0));
	CALL("socket6", 1, socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
	CALL("socket4_nonblock", 1,
	     socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP));
	CALL("socket_udp_proto", 1, socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
	CALL("socket_bad_type", 1, socket(AF_INET, 12345, 0));
	CALL("socket_bad_family", 1, socket(12345, SOCK_STREAM, 0));
	CALL("setsockopt_ok", 0,
	     setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &one, sizeof one));
	CALL("setsockopt_einval", 0,
	     setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &zero, sizeof zero));
	CALL("setsockopt_badfd", 0,
	     setsockopt(9999, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one));
	CALL("getsockopt_ok", 0,
	     getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len));
	CALL("getsockopt_badfd", 0,
	     getsockopt(9999, SOL_SOCKET, SO_KEEPALIVE, &v, &len));
	CALL("listen_badfd", 0, listen(9999, 1));
	CALL("close_ok", 0, close(fd));
	CALL("close_badfd", 0, close(9999));
}

static void connects(void)
{
	int nul = open("/dev/null", O_RDONLY);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = prog_loopback4(closed_port());
	struct sockaddr_in6 a6;

	memset(&a6, 0, sizeof a6);
	a6.sin6_family = AF_INET6;
	a6.sin6_addr = in6addr_loopback;
	CALL("connect_refused", 0, connect(fd, (struct sockaddr *)&a, sizeof a));
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CALL("connect_badfd", 0, connect(9999, (struct sockaddr *)&a, sizeof a));
	CALL("connect_notsock", 0, connect(nul, (struct sockaddr *)&a, sizeof a));
	CALL("connect_short_len", 0, connect(fd, (struct sockaddr *)&a, 1));
	CALL("connect_null_0", 0, connect(fd, NULL, 0));
	CALL("connect_null_16", 0, connect(fd, NULL, sizeof a));
	CALL("connect_family_mismatch", 0,
	     connect(fd, (struct sockaddr *)&a6, sizeof a6));
	close(fd);
	close(nul);
}

static void so_error(const char *name, int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
	int err = -1;
	socklen_t len = sizeof err;
	char extra[64];

	poll(&pf, 1, 5000);
	errno = MARK;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	snprintf(extra, sizeof extra, "so_error=%s",
		 err ? strerrorname_np(err) : "0");
	out(name, 0, 0, extra);
}

static void nonblocking(int lfd)
{
	struct sockaddr_in a = prog_loopback4(port_of(lfd));
	struct sockaddr_in c = prog_loopback4(closed_port());
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	CALL("connect_nonblock", 0, connect(fd, (struct sockaddr *)&a, sizeof a));
	so_error("connect_nonblock_done", fd);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CALL("connect_nonblock_refused", 0,
	     connect(fd, (struct sockaddr *)&c, sizeof c));
	so_error("connect_nonblock_refused_done", fd);
	close(fd);
	fd = accept(lfd, NULL, NULL);   /* the first one, above */
	close(fd);
}

static void accept_addr(int lfd)
{
	struct sockaddr_in a = prog_loopback4(port_of(lfd)), peer;
	socklen_t len;
	int fd = socket(AF_INET, SOCK_STREAM, 0), afd;
	char extra[64];

	setup(connect(fd, (struct sockaddr *)&a, sizeof a) == 0,
	      "errnos: connect");
	memset(&peer, 0, sizeof peer);
	len = 4;                /* too small: truncated, real size returned */
	errno = MARK;
	afd = accept(lfd, (struct sockaddr *)&peer, &len);
	snprintf(extra, sizeof extra, "len=%u family=%d", (unsigned)len,
		 peer.sin_family);
	out("accept_short_addr", afd, 1, extra);
	close(afd);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setup(connect(fd, (struct sockaddr *)&a, sizeof a) == 0,
	      "errnos: connect");
	len = sizeof peer;
	errno = MARK;
	afd = accept(lfd, (struct sockaddr *)&peer, &len);
	snprintf(extra, sizeof extra, "len=%u family=%d port_ok=%d",
		 (unsigned)len, peer.sin_family,
		 ntohs(peer.sin_port) == port_of(fd));
	out("accept_addr", afd, 1, extra);
	close(afd);
	close(fd);
}

static void io(int cfd, int afd)
{
	char buf[16];

	CALL("write", 0, write(cfd, "hello", 5));
	CALL("read", 0, read(afd, buf, sizeof buf));
	CALL("send", 0, send(afd, "ok", 2, 0));
	CALL("recv", 0, recv(cfd, buf, sizeof buf, 0));
	CALL("recv_empty_dontwait", 0, recv(cfd, buf, sizeof buf, MSG_DONTWAIT));
	CALL("read_badfd", 0, read(9999, buf, sizeof buf));
	CALL("dup", 1, dup(cfd));
	CALL("fcntl_getfl", 0, fcntl(cfd, F_GETFL) & O_NONBLOCK);
}

static void accepts(void)
{
	int nul = open("/dev/null", O_RDONLY);
	struct sockaddr_in a = prog_loopback4(0);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), cfd, afd, c2, nl;

	setup(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0, "errnos: bind");
	CALL("listen_ok", 0, listen(lfd, 8));
	a = prog_loopback4(port_of(lfd));
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	CALL("connect_ok", 0, connect(cfd, (struct sockaddr *)&a, sizeof a));
	CALL("connect_again", 0, connect(cfd, (struct sockaddr *)&a, sizeof a));
	CALL("accept_ok", 1, afd = accept(lfd, NULL, NULL));
	c2 = socket(AF_INET, SOCK_STREAM, 0);
	setup(connect(c2, (struct sockaddr *)&a, sizeof a) == 0,
	      "errnos: connect");
	CALL("accept4_ok", 1, accept4(lfd, NULL, NULL, SOCK_CLOEXEC));
	CALL("accept4_bad_flags", 1, accept4(lfd, NULL, NULL, 0x7));
	CALL("accept_badfd", 1, accept(9999, NULL, NULL));
	CALL("accept_notsock", 1, accept(nul, NULL, NULL));
	nl = socket(AF_INET, SOCK_STREAM, 0);
	CALL("accept_not_listening", 1, accept(nl, NULL, NULL));
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	CALL("accept_nonblock_empty", 1, accept(lfd, NULL, NULL));
	fcntl(lfd, F_SETFL, 0);
	io(cfd, afd);
	accept_addr(lfd);
	nonblocking(lfd);
	close(nul);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	sockets();
	connects();
	accepts();
	return 0;
}
