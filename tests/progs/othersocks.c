/* othersocks — makes sockets that are not TCP (or look almost like TCP),
 * connects them where that makes sense, and reports SO_KEEPALIVE on each,
 * or the errno of the call that failed.  kashim must leave all of them
 * exactly as they are.
 *
 *   othersocks [-q] [-p PORT] [-i FD]
 *     -q       no getsockopt, print only the socket() results
 *     -p PORT  a TCP port listening on 127.0.0.1 to aim the look-alikes at;
 *              without it the program makes its own listener (a TCP
 *              socket, which kashim may configure: the strace test gives
 *              a port, so that this program has no TCP socket at all)
 *     -i FD    also connect the inherited UDP socket FD (made before kashim
 *              was loaded, so kashim never saw it created) to 127.0.0.1
 *
 * Output, one line per case:
 *   udp4 socket=ok connect=ok keepalive=0
 *   seqpacket4 socket=EPROTONOSUPPORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

static int quiet;

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "?";
}

static void loop4(struct sockaddr_in *a, int port)
{
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static void report_keepalive(int fd)
{
	int v = -1;
	socklen_t len = sizeof v;

	if (quiet)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len) < 0)
		printf(" keepalive=%s", ename(errno));
	else
		printf(" keepalive=%d", v);
}

/* socket(), then connect() to addr when given, then SO_KEEPALIVE. */
static int one(const char *tag, int dom, int type, int proto,
	       const struct sockaddr *addr, socklen_t alen)
{
	int fd = socket(dom, type, proto);

	printf("%s socket=%s", tag, fd < 0 ? ename(errno) : "ok");
	if (fd >= 0 && addr) {
		int r = connect(fd, addr, alen);

		printf(" connect=%s", r < 0 ? ename(errno) : "ok");
	}
	if (fd >= 0)
		report_keepalive(fd);
	printf("\n");
	return fd;
}

/* A UDP pair on 127.0.0.1 that exchanges a datagram. */
static void udp4(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int rfd = socket(AF_INET, SOCK_DGRAM, 0);
	int fd;
	char buf[8];

	loop4(&a, 0);
	if (rfd < 0 || bind(rfd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    getsockname(rfd, (struct sockaddr *)&a, &len) < 0) {
		printf("udp4 setup=%s\n", ename(errno));
		return;
	}
	fd = one("udp4", AF_INET, SOCK_DGRAM, 0, (struct sockaddr *)&a,
		 sizeof a);
	if (fd >= 0 && send(fd, "x", 1, 0) == 1 &&
	    recv(rfd, buf, sizeof buf, 0) == 1)
		printf("udp4 exchange=ok\n");
}

static void udp6(void)
{
	struct sockaddr_in6 a;

	memset(&a, 0, sizeof a);
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(9);
	a.sin6_addr = in6addr_loopback;
	one("udp6", AF_INET6, SOCK_DGRAM, IPPROTO_UDP, (struct sockaddr *)&a,
	    sizeof a);
}

static void unix_socks(void)
{
	int sv[2];
	char c;

	one("unix_stream", AF_UNIX, SOCK_STREAM, 0, NULL, 0);
	one("unix_dgram", AF_UNIX, SOCK_DGRAM, 0, NULL, 0);
	one("unix_seqpacket", AF_UNIX, SOCK_SEQPACKET, 0, NULL, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 &&
	    write(sv[0], "y", 1) == 1 && read(sv[1], &c, 1) == 1) {
		printf("unix_pair exchange=ok");
		report_keepalive(sv[0]);
		printf("\n");
	}
}

/* An AF_INET listener to aim the look-alikes at. */
static int tcp_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	loop4(&a, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    listen(fd, 4) < 0 || getsockname(fd, (struct sockaddr *)&a, &len))
		return 0;
	return ntohs(a.sin_port);
}

/* A socket kashim never saw created: it has to find out it is not TCP. */
static void inherited_udp(int fd)
{
	struct sockaddr_in a;
	int r;

	loop4(&a, 9);
	r = connect(fd, (struct sockaddr *)&a, sizeof a);
	printf("inherited_udp connect=%s", r < 0 ? ename(errno) : "ok");
	report_keepalive(fd);
	printf("\n");
}

static void lookalikes(int port)
{
	struct sockaddr_in a;

	loop4(&a, port ? port : tcp_port());
	/* SOCK_SEQPACKET & SOCK_STREAM != 0 and SOCK_RAW & SOCK_STREAM != 0:
	 * a bitmask test would take these for TCP. */
	one("seqpacket4", AF_INET, SOCK_SEQPACKET, 0, (struct sockaddr *)&a,
	    sizeof a);
	one("raw4_tcp", AF_INET, SOCK_RAW, IPPROTO_TCP, (struct sockaddr *)&a,
	    sizeof a);
	one("mptcp4", AF_INET, SOCK_STREAM, IPPROTO_MPTCP,
	    (struct sockaddr *)&a, sizeof a);
	one("stream_udp4", AF_INET, SOCK_STREAM, IPPROTO_UDP, NULL, 0);
	one("dgram_tcp4", AF_INET, SOCK_DGRAM, IPPROTO_TCP, NULL, 0);
}

int main(int argc, char **argv)
{
	int c, port = 0, ifd = -1;

	while ((c = getopt(argc, argv, "qp:i:")) != -1) {
		if (c == 'q')
			quiet = 1;
		else if (c == 'p')
			port = atoi(optarg);
		else if (c == 'i')
			ifd = atoi(optarg);
		else
			return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	udp4();
	udp6();
	unix_socks();
	lookalikes(port);
	if (ifd >= 0)
		inherited_udp(ifd);
	return 0;
}
