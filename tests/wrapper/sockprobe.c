/* sockprobe — a program for the wrapper tests to run through scripts/kashim.
 *
 *   sockprobe probe [own]      loopback connect + accept, print the options
 *   sockprobe hold             as probe, print "ready", wait for EOF on stdin
 *   sockprobe reset            as probe, then the peer resets: read sees it
 *   sockprobe spawn PROG ARG.. as probe, then run PROG and wait for it
 *   sockprobe maps             only the preload lines
 *
 * Output lines (what the tests parse):
 *   out keepalive=1 idle=60 intvl=10 cnt=6 user_timeout=120000 syncnt=6
 *   in keepalive=1 idle=60 ...         (the accepted socket)
 *   preload=<LD_PRELOAD or (unset)>
 *   maps <path of each mapped libkashim.so / libwrap_dummy.so, in order>
 *   env KASHIM_X=... for each KASHIM_ variable
 * "own" sets TCP_KEEPIDLE=1111 on the outbound socket before connect, as a
 * program with its own keepalive settings would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG_NAME "sockprobe"
#define PROG_DIE_STATUS 1
#include "../progs/prog.h"

static int opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof v;

	if (getsockopt(fd, level, name, &v, &len) != 0)
		return -1;
	return v;
}

static void print_opts(const char *tag, int fd)
{
	printf("%s keepalive=%d idle=%d intvl=%d cnt=%d user_timeout=%d "
	       "syncnt=%d\n", tag, opt(fd, SOL_SOCKET, SO_KEEPALIVE),
	       opt(fd, IPPROTO_TCP, TCP_KEEPIDLE),
	       opt(fd, IPPROTO_TCP, TCP_KEEPINTVL),
	       opt(fd, IPPROTO_TCP, TCP_KEEPCNT),
	       opt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT),
	       opt(fd, IPPROTO_TCP, TCP_SYNCNT));
}

static void print_maps(void)
{
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	const char *last = "";
	static char seen[4096];

	printf("maps");
	while (f && fgets(line, sizeof line, f)) {
		char *path = strchr(line, '/');

		if (!path || (!strstr(path, "/libkashim.so") &&
			      !strstr(path, "/libwrap_dummy.so")))
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (strcmp(path, last) == 0)
			continue;
		snprintf(seen, sizeof seen, "%s", path);
		last = seen;
		printf(" %s", path);
	}
	printf("\n");
	if (f)
		fclose(f);
}

static void print_env(void)
{
	const char *p = getenv("LD_PRELOAD");

	printf("preload=%s\n", p ? p : "(unset)");
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "KASHIM_", 7) == 0)
			printf("env %s\n", *e);
}

/* Connects *c to a fresh listener on 127.0.0.1 and accepts it into *a. */
static void pair(int own, int *c, int *a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int l = socket(AF_INET, SOCK_STREAM, 0), idle = 1111;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    listen(l, 4) != 0 ||
	    getsockname(l, (struct sockaddr *)&sin, &len) != 0)
		die("listen");
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (*c < 0)
		die("socket");
	if (own && setsockopt(*c, IPPROTO_TCP, TCP_KEEPIDLE, &idle,
			      sizeof idle) != 0)
		die("setsockopt");
	if (connect(*c, (struct sockaddr *)&sin, sizeof sin) != 0)
		die("connect");
	*a = accept(l, NULL, NULL);
	if (*a < 0)
		die("accept");
	close(l);
}

/* The accepted side resets the connection; the client's read reports it. */
static void reset(int c, int a)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char b;

	setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(a);
	if (read(c, &b, 1) < 0)
		printf("read errno=%s\n", errno == ECONNRESET ? "ECONNRESET"
							    : strerror(errno));
}

static int spawn(char **argv)
{
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		die("spawn");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "probe";
	int c, a;
	char b;

	print_env();
	print_maps();
	if (strcmp(mode, "maps") == 0)
		return 0;
	pair(argc > 2 && strcmp(argv[2], "own") == 0, &c, &a);
	print_opts("out", c);
	print_opts("in", a);
	if (strcmp(mode, "reset") == 0)
		reset(c, a);
	if (strcmp(mode, "spawn") == 0 && argc > 2)
		return spawn(argv + 2);
	if (strcmp(mode, "hold") == 0) {
		printf("ready\n");
		fflush(stdout);
		while (read(0, &b, 1) > 0)
			;
	}
	return 0;
}
