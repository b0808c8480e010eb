/* kashim hostile programs — shared helpers.
 *
 * Each hostile program is a plain program (it knows nothing of kashim) that
 * does something a shim can get wrong.  tests/check_hostile.c runs it twice,
 * with and without LD_PRELOAD=<libkashim>, and judges its output:
 *
 *   same ...   lines that must be identical in both runs (return values,
 *              errnos, fd numbers, counts): kashim changed nothing;
 *   opt TAG k=v ...  the kernel's keepalive options on one socket, read
 *              back with getsockopt: what kashim did (keepalive=1 under the
 *              preload, 0 without), so that a test cannot pass with kashim
 *              absent or broken;
 *   note ...   free text for the log, never compared.
 *
 * Exit 0 when the program ran to its end; 2 with a message when a call
 * that cannot fail did.  Everything is loopback (127.0.0.1) only.
 */
#ifndef KASHIM_HOSTILE_H
#define KASHIM_HOSTILE_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* die(): "what: strerror", status 2. */
#define PROG_NAME "hostile"
#define PROG_DIE_PREFIX ""
#include "../progs/prog.h"

/* One whole line per write(2) on stdout (prog_vsay); a program that
 * cannot write its result ends with status 3. */
__attribute__((format(printf, 1, 2)))
static inline void h_say(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = prog_vsay(1, fmt, ap);
	va_end(ap);
	if (r < 0)
		_exit(3);
}

/* "0" or the errno's name-free number, so both runs print the same. */
#define H_RES(r) ((r) < 0 ? errno : 0)

/* A TCP listener on 127.0.0.1, any port; *port gets the port. */
static inline int h_listener(int *port)
{
	struct sockaddr_in sa = prog_loopback4(0);
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		die("listener");
	*port = ntohs(sa.sin_port);
	return fd;
}

static inline int h_connect_fd(int fd, int port)
{
	struct sockaddr_in sa = prog_loopback4(port);

	return connect(fd, (struct sockaddr *)&sa, sizeof sa);
}

/* A connected TCP client to 127.0.0.1:port. */
static inline int h_client(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || h_connect_fd(fd, port) != 0)
		die("client");
	return fd;
}

static inline int h_getopt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof v;

	if (getsockopt(fd, level, name, &v, &len) != 0)
		return -errno;
	return v;
}

/* "opt TAG keepalive=1 idle=60 intvl=10 cnt=6 ut=120000" */
static inline void h_opts(const char *tag, int fd)
{
	h_say("opt %s keepalive=%d idle=%d intvl=%d cnt=%d ut=%d", tag,
	      h_getopt(fd, SOL_SOCKET, SO_KEEPALIVE),
	      h_getopt(fd, IPPROTO_TCP, TCP_KEEPIDLE),
	      h_getopt(fd, IPPROTO_TCP, TCP_KEEPINTVL),
	      h_getopt(fd, IPPROTO_TCP, TCP_KEEPCNT),
	      h_getopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT));
}

/* close_range(2) through libc where libc has it (glibc 2.34+: the call
 * goes through kashim's hook); musl has no such function, so there it is
 * the raw syscall, which the test then treats like any close behind
 * kashim's back. */
#ifdef __GLIBC__
#define H_LIBC_CLOSE_RANGE 1
static inline int h_close_range(unsigned lo, unsigned hi)
{
	return close_range(lo, hi, 0);
}
#else
#include <sys/syscall.h>
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#define H_LIBC_CLOSE_RANGE 0
static inline int h_close_range(unsigned lo, unsigned hi)
{
	return (int)syscall(SYS_close_range, lo, hi, 0);
}
#endif

/* SIGALRM to handler every usec microseconds, with SA_RESTART, so that
 * the signal keeps landing inside the program's (and kashim's) calls. */
static inline void h_alarm_start(void (*handler)(int), long usec)
{
	struct itimerval it = { { 0, usec }, { 0, usec } };
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static inline void h_alarm_stop(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
}

static inline int h_setint(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof v);
}

#endif
