/* spliced — one end of a TCP connection that moves its data with the
 * calls that bypass read() and write(): splice, sendfile, preadv2,
 * pwritev2, and glibc's public aliases __read, __write, __send.  Knows
 * nothing of kashim and sets no TCP option of its own; the test process
 * is the other end (testlib's kt_rig_start protocol).
 *
 *   spliced out ADDR PORT ACTION     connect to ADDR:PORT
 *   spliced in  ADDR PORT ACTION     listen, print "listening", accept one
 *
 * then print "up pid=P fd=N local=A peer=B" and run ACTION:
 *
 *   splice      block in splice() from the socket into a pipe
 *   splicew     splice() from a full pipe into the socket until it fails
 *   sendfile    sendfile() 1 MiB of a memfd to the socket until it fails
 *   sendfile64  the same with sendfile64()
 *   preadv2     block in preadv2(offset -1) on the socket
 *   pwritev2    pwritev2(offset -1) 64 KiB chunks until it fails
 *   __read      block in glibc's __read()
 *   __write     __write() 64 KiB chunks until it fails
 *   __send      __send() 64 KiB chunks until it fails
 *
 * and report "result=ERRNO elapsed_ms=N pid=P" (N from "up").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PROG_NAME "spliced"
#include "prog.h"

/* glibc exports these (GLIBC_2.2.5) without declaring them. */
ssize_t __read(int fd, void *b, size_t n);
ssize_t __write(int fd, const void *b, size_t n);
ssize_t __send(int fd, const void *b, size_t n, int fl);

static char chunk[65536];

static int connection(const char *dir, const char *addr, int port,
		      char *peer, size_t cap)
{
	struct sockaddr_storage ss;
	int fd;

	if (strcmp(dir, "out") != 0)
		return prog_accept_one(addr, port, peer, cap);
	fd = prog_dial(addr, port, &ss);
	prog_fmt_addr(&ss, peer, cap);
	return fd;
}

/* The call's result as the program sees it. */
static void report(ssize_t r, int err, long t0)
{
	const char *name = r < 0 ? strerrorname_np(err) : r == 0 ? "EOF" :
			   "DATA";

	printf("result=%s elapsed_ms=%ld pid=%ld\n", name ? name : "?",
	       prog_now_ms() - t0, (long)getpid());
}

static int memfd_mib(void)
{
	int m = memfd_create("spliced", 0);

	if (m < 0)
		die("memfd_create");
	for (int i = 0; i < 16; i++)
		if (write(m, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
			die("write memfd");
	return m;
}

/* Write until the call fails; its result. */
static ssize_t writer(const char *act, int fd)
{
	struct iovec v = { chunk, sizeof chunk };
	int p[2] = { -1, -1 }, m = -1;
	ssize_t r, inpipe = 0;

	if (strcmp(act, "splicew") == 0 && pipe(p) < 0)
		die("pipe");
	if (strncmp(act, "sendfile", 8) == 0)
		m = memfd_mib();
	for (;;) {
		if (strcmp(act, "splicew") == 0) {
			if (inpipe == 0) {
				if (write(p[1], chunk, sizeof chunk) !=
				    (ssize_t)sizeof chunk)
					die("write pipe");
				inpipe = sizeof chunk;
			}
			r = splice(p[0], NULL, fd, NULL, (size_t)inpipe, 0);
			if (r > 0)
				inpipe -= r;
		} else if (strcmp(act, "sendfile") == 0) {
			off_t off = 0;

			r = sendfile(fd, m, &off, 16 * sizeof chunk);
		} else if (strcmp(act, "sendfile64") == 0) {
			off64_t off = 0;

			r = sendfile64(fd, m, &off, 16 * sizeof chunk);
		} else if (strcmp(act, "pwritev2") == 0) {
			r = pwritev2(fd, &v, 1, -1, 0);
		} else if (strcmp(act, "__write") == 0) {
			r = __write(fd, chunk, sizeof chunk);
		} else {
			r = __send(fd, chunk, sizeof chunk, MSG_NOSIGNAL);
		}
		if (r < 0)
			return r;
	}
}

int main(int argc, char **argv)
{
	const char *act;
	char peer[80], local[80];
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	struct iovec v = { chunk, sizeof chunk };
	int fd, p[2];
	ssize_t r;
	long t0;

	if (argc != 5) {
		fprintf(stderr, "usage: spliced out|in ADDR PORT ACTION\n");
		return 2;
	}
	act = argv[4];
	signal(SIGPIPE, SIG_IGN);
	fd = connection(argv[1], argv[2], atoi(argv[3]), peer, sizeof peer);
	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		die("getsockname");
	prog_fmt_addr(&ss, local, sizeof local);
	printf("up pid=%ld fd=%d local=%s peer=%s\n", (long)getpid(), fd, local,
	       peer);
	fflush(stdout);
	t0 = prog_now_ms();
	if (strcmp(act, "splice") == 0) {
		if (pipe(p) < 0)
			die("pipe");
		r = splice(fd, NULL, p[1], NULL, sizeof chunk, 0);
	} else if (strcmp(act, "preadv2") == 0) {
		r = preadv2(fd, &v, 1, -1, 0);
	} else if (strcmp(act, "__read") == 0) {
		r = __read(fd, chunk, sizeof chunk);
	} else if (strcmp(act, "splicew") == 0 ||
		   strcmp(act, "sendfile") == 0 ||
		   strcmp(act, "sendfile64") == 0 ||
		   strcmp(act, "pwritev2") == 0 ||
		   strcmp(act, "__write") == 0 || strcmp(act, "__send") == 0) {
		r = writer(act, fd);
	} else {
		fprintf(stderr, "spliced: bad action %s\n", act);
		return 2;
	}
	report(r, errno, t0);
	fflush(stdout);
	/* stay until the test is done: the line may come at close() */
	for (;;)
		pause();
}
