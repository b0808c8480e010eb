/* reuse_peer — a TCP connection's fd number reused in the ways a program
 * can, seen by kashim's hooks or not, for check_reuse.  It
 * knows nothing of kashim.  The test process is the other end: it listens
 * on 127.0.0.1 PORT (and PORT+1), and resets or drops what it must.
 *
 *   reuse_peer rawsame ADDR PORT     A to PORT; close(A) by raw syscall;
 *       B, made by raw syscalls on A's number, to PORT again, keepalive
 *       on (the kernel's own times), also by raw syscall
 *   reuse_peer rawaccept ADDR PORT LPORT   listen on LPORT (listen(), so
 *       kashim configures the listener), print "listening"; A to PORT;
 *       close(A) by raw syscall; B = raw accept4 on the listener: A's
 *       number, with the options the listener hands down
 *   reuse_peer inrawsame ADDR PORT LPORT   listen on LPORT as rawaccept;
 *       A = accept(NULL, NULL) of the test's connection (so kashim holds
 *       no peer for it); close(A) by raw syscall; B as in rawsame
 *   reuse_peer closerange ADDR PORT  A to PORT; libc's close_range(A, A);
 *       B by raw syscalls to PORT on A's number, with every option kashim
 *       had put on A (keepalive 1, idle 1, intvl 1, cnt 2, user timeout
 *       3000 ms: what the test's KASHIM_* give), by raw syscalls
 *   reuse_peer dup3 ADDR PORT        A to PORT, B to PORT+1; dup3(B, A,
 *       O_CLOEXEC); close(B)
 *   reuse_peer dupfd ADDR PORT close|keep   A to PORT; D = fcntl(A,
 *       F_DUPFD, 100); "close": close(A), then D is the connection;
 *       "keep": both stay open and nothing reads them
 *
 * Each prints "up pid=P fd=N local=L peer=R" for A, then "up2 ..." for
 * the socket the number (or D) now holds, then recv()s on it and prints
 * "result=ERRNAME elapsed_ms=N pid=P" (dupfd keep: waits for stdin EOF).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#define PROG_NAME "reuse_peer"
#include "prog.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

int close_range(unsigned lo, unsigned hi, int flags); /* NOLINT(readability-redundant-declaration) */

static void print_up(const char *tag, int fd)
{
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof l, rl = sizeof r;
	char local[64], peer[64];

	memset(&l, 0, sizeof l);
	memset(&r, 0, sizeof r);
	if (getsockname(fd, (struct sockaddr *)&l, &ll) != 0 ||
	    getpeername(fd, (struct sockaddr *)&r, &rl) != 0)
		die("getsockname/getpeername");
	prog_fmt_addr(&l, local, sizeof local);
	prog_fmt_addr(&r, peer, sizeof peer);
	printf("%s pid=%ld fd=%d local=%s peer=%s\n", tag, (long)getpid(), fd,
	       local, peer);
}

static void recv_report(int fd, long t0)
{
	char buf[64];
	ssize_t r = recv(fd, buf, sizeof buf, 0);
	const char *e = r < 0 ? strerrorname_np(errno) : r == 0 ? "EOF" : "DATA";

	printf("result=%s elapsed_ms=%ld pid=%ld\n", e ? e : "?",
	       prog_now_ms() - t0, (long)getpid());
}

static int connect_to(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = kt_make_addr(addr, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM, 0);

	if (!len || fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0)
		die("connect");
	return fd;
}

/* A socket kashim never sees being made or connected. */
static int raw_connect(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = kt_make_addr(addr, port, &ss);
	int fd = (int)syscall(SYS_socket, ss.ss_family, SOCK_STREAM, 0);

	if (!len || fd < 0 || syscall(SYS_connect, fd, &ss, len) != 0)
		die("raw socket/connect");
	return fd;
}

static void raw_opt(int fd, int level, int name, int v)
{
	if (syscall(SYS_setsockopt, fd, level, name, &v, sizeof v) != 0)
		die("raw setsockopt");
}

/* A listener on addr:port made with listen(), so kashim configures it;
 * prints "listening". */
static int listen_on(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = kt_make_addr(addr, port, &ss);
	int one = 1, l = socket(ss.ss_family, SOCK_STREAM, 0);

	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof one) != 0 ||
	    bind(l, (struct sockaddr *)&ss, len) != 0 || listen(l, 4))
		die("listen");
	printf("listening\n");
	return l;
}

static void same_number(int got, int want)
{
	if (got != want) {
		fprintf(stderr, "reuse_peer: fd %d, not %d\n", got, want);
		exit(3);
	}
}

static void wait_eof(void)
{
	char line[64];

	while (fgets(line, sizeof line, stdin))
		;
}

int main(int argc, char **argv)
{
	const char *cmd, *addr;
	int port, a, b;
	long t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 4)
		goto usage;
	cmd = argv[1];
	addr = argv[2];
	port = atoi(argv[3]);
	if (strcmp(cmd, "rawaccept") == 0 && argc == 5) {
		int l = listen_on(addr, atoi(argv[4]));

		a = connect_to(addr, port);
		print_up("up", a);
		syscall(SYS_close, a);
		b = (int)syscall(SYS_accept4, l, NULL, NULL, 0);
		if (b < 0)
			die("raw accept4");
	} else if (strcmp(cmd, "inrawsame") == 0 && argc == 5) {
		int l = listen_on(addr, atoi(argv[4]));

		a = accept(l, NULL, NULL);
		if (a < 0)
			die("accept");
		print_up("up", a);
		syscall(SYS_close, a);
		b = raw_connect(addr, port);
		raw_opt(b, SOL_SOCKET, SO_KEEPALIVE, 1);
	} else if (strcmp(cmd, "rawsame") == 0) {
		a = connect_to(addr, port);
		print_up("up", a);
		syscall(SYS_close, a);
		b = raw_connect(addr, port);
		raw_opt(b, SOL_SOCKET, SO_KEEPALIVE, 1);
	} else if (strcmp(cmd, "closerange") == 0) {
		a = connect_to(addr, port);
		print_up("up", a);
		if (close_range((unsigned)a, (unsigned)a, 0) != 0)
			die("close_range");
		b = raw_connect(addr, port);
		raw_opt(b, SOL_SOCKET, SO_KEEPALIVE, 1);
		raw_opt(b, IPPROTO_TCP, TCP_KEEPIDLE, 1);
		raw_opt(b, IPPROTO_TCP, TCP_KEEPINTVL, 1);
		raw_opt(b, IPPROTO_TCP, TCP_KEEPCNT, 2);
		raw_opt(b, IPPROTO_TCP, TCP_USER_TIMEOUT, 3000);
	} else if (strcmp(cmd, "dup3") == 0) {
		a = connect_to(addr, port);
		print_up("up", a);
		b = connect_to(addr, port + 1);
		if (dup3(b, a, O_CLOEXEC) != a)
			die("dup3");
		close(b);
		b = a;
	} else if (strcmp(cmd, "dupfd") == 0 && argc == 5) {
		a = connect_to(addr, port);
		print_up("up", a);
		b = fcntl(a, F_DUPFD, 100);
		if (b < 100)
			die("fcntl F_DUPFD");
		if (strcmp(argv[4], "keep") == 0) {
			print_up("up2", b);
			wait_eof();
			return 0;
		}
		close(a);
		print_up("up2", b);
		recv_report(b, prog_now_ms());
		return 0;
	} else {
		goto usage;
	}
	t0 = prog_now_ms();
	same_number(b, a);
	print_up("up2", b);
	recv_report(b, t0);
	return 0;
usage:
	fprintf(stderr, "usage: reuse_peer rawsame|rawaccept|inrawsame|closerange|dup3|"
			"dupfd ADDR PORT [ARG]\n");
	return 2;
}
