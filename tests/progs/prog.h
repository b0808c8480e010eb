/* kashim test programs — the few helpers they share.
 *
 * The programs in tests/progs/, tests/hostile/, tests/wrapper/ and
 * tests/adopt/ run under LD_PRELOAD=libkashim.so, so they stay plain
 * single-file programs: no Check, no testlib, only these static inline
 * helpers over libc (testlib uses kt_make_addr too).  They build with
 * glibc and musl.
 *
 * A program that uses die() defines PROG_NAME first ("dpeer"); die() then
 * writes "PROG_NAME: what: strerror(errno)" to stderr and exits 2.
 * PROG_DIE_PREFIX (instead of "PROG_NAME: "), PROG_DIE_FD and
 * PROG_DIE_STATUS change that for a program whose callers expect another
 * line, descriptor or status.
 */
#ifndef KASHIM_TEST_PROG_H
#define KASHIM_TEST_PROG_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* CLOCK_MONOTONIC in milliseconds: the programs' elapsed_ms and ages. */
static inline long prog_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The length of the address written into *ss, or 0 when addr is neither
 * IPv4 nor IPv6. */
static inline socklen_t kt_make_addr(const char *addr, int port,
				     struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		return sizeof *a4;
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return sizeof *a6;
	}
	return 0;
}

/* "127.0.0.1:40312" or "[::1]:40312"; "-" for any other family. */
static inline void prog_fmt_addr(const struct sockaddr_storage *ss,
				 char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
		snprintf(buf, cap, "%s:%d", ip, ntohs(a->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
		snprintf(buf, cap, "[%s]:%d", ip, ntohs(a->sin6_port));
	} else {
		snprintf(buf, cap, "-");
	}
}

/* fd's local address, written as prog_fmt_addr does.  Returns 0, or -1
 * (buf "-") when getsockname fails. */
static inline int prog_local_addr(int fd, char *buf, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	memset(&ss, 0, sizeof ss);      /* analyzers do not model getsockname */
	snprintf(buf, cap, "-");
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	prog_fmt_addr(&ss, buf, cap);
	return 0;
}

/* 127.0.0.1:port. */
static inline struct sockaddr_in prog_loopback4(int port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

/* One whole line (fmt plus a newline) in one write(2) to fd, unbuffered:
 * safe to mix with fork, vfork and signal handlers, and nothing is lost
 * when a program ends oddly.  Returns 0, or -1 when the write failed. */
static inline int prog_vsay(int fd, const char *fmt, va_list ap)
{
	char line[512];
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);

	if (n < 0)
		return 0;
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	return write(fd, line, (size_t)n) < 0 ? -1 : 0;
}

__attribute__((format(printf, 2, 3)))
static inline int prog_say(int fd, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = prog_vsay(fd, fmt, ap);
	va_end(ap);
	return r;
}

#ifdef PROG_NAME
#ifndef PROG_DIE_PREFIX
#define PROG_DIE_PREFIX PROG_NAME ": "
#endif
#ifndef PROG_DIE_FD
#define PROG_DIE_FD 2
#endif
#ifndef PROG_DIE_STATUS
#define PROG_DIE_STATUS 2
#endif

/* A call that cannot fail did: say which, and end.  What the program
 * printed on stdout before goes out first. */
__attribute__((noreturn))
static inline void die(const char *what)
{
	int e = errno;

	fflush(stdout);
	prog_say(PROG_DIE_FD, PROG_DIE_PREFIX "%s: %s", what, strerror(e));
	exit(PROG_DIE_STATUS);
}

/* kt_make_addr, or PROG_DIE_PREFIX "bad address ADDR" and exit 2 (a
 * usage error). */
static inline socklen_t prog_addr(const char *addr, int port,
				  struct sockaddr_storage *ss)
{
	socklen_t len = kt_make_addr(addr, port, ss);

	if (!len) {
		fflush(stdout);
		prog_say(PROG_DIE_FD, PROG_DIE_PREFIX "bad address %s", addr);
		exit(2);
	}
	return len;
}

/* A TCP socket connected to addr:port (blocking); dies on failure. */
static inline int prog_dial(const char *addr, int port,
			    struct sockaddr_storage *ss)
{
	socklen_t len = prog_addr(addr, port, ss);
	int fd = socket(ss->ss_family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)ss, len) < 0)
		die("connect");
	return fd;
}

/* A TCP listener on addr:port with SO_REUSEADDR, backlog 4; dies on
 * failure. */
static inline int prog_listen(const char *addr, int port,
			      struct sockaddr_storage *ss)
{
	socklen_t len = prog_addr(addr, port, ss);
	int one = 1, fd = socket(ss->ss_family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		die("setsockopt SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)ss, len) < 0 || listen(fd, 4) < 0)
		die("bind/listen");
	return fd;
}

/* Listen on addr:port, print "listening" (flushed: the test connects once
 * it has read it), accept one connection and close the listener.  The
 * peer's address goes into peer[cap]; dies on failure.  ask 0: accept()
 * is asked for no address (NULL, NULL), and getpeername() gives it. */
static inline int prog_accept_one_as(const char *addr, int port, int ask,
				     char *peer, size_t cap)
{
	struct sockaddr_storage ss;
	int listen_fd = prog_listen(addr, port, &ss), fd;
	socklen_t len = sizeof ss;

	printf("listening\n");
	fflush(stdout);
	fd = ask ? accept(listen_fd, (struct sockaddr *)&ss, &len)
		 : accept(listen_fd, NULL, NULL);
	if (fd < 0 || (!ask && getpeername(fd, (struct sockaddr *)&ss,
					    &len) != 0))
		die("accept");
	prog_fmt_addr(&ss, peer, cap);
	close(listen_fd);
	return fd;
}

static inline int prog_accept_one(const char *addr, int port, char *peer,
				  size_t cap)
{
	return prog_accept_one_as(addr, port, 1, peer, cap);
}
#endif

#endif
