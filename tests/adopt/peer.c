/* kashim tests — the programs `kashim adopt` is tried on.  Never
 * preloaded and never linked with anything of kashim: an unmodified
 * program whose sockets are configured from outside.  Built dynamic
 * (build/tests/adopt/peer) and -static (peer_static).
 *
 *   peer client ADDR PORT        connect, print "connected fd=N", then block
 *                                in read(); print "result=ERRNO elapsed_ms=T"
 *                                (ms since connected) when it returns
 *   peer server ADDR PORT        listen ("listening fd=N"), accept forever;
 *                                per connection "accepted fd=N " + its
 *                                options as the program reads them; a
 *                                connection that fails: "dead fd=N
 *                                result=ERRNO"
 *   peer clients ADDR PORT N     make N connections ("connected n=N"), then
 *                                hold them until stdin ends
 *   peer holder ADDR PORT        one plain TCP connection, one with the
 *                                program's own keepalive, a UDP socket, a
 *                                Unix socket pair, a pipe and a file
 *                                ("fds tcp=.. own=.. udp=.. unix=.. pipe=..
 *                                file=.."); each stdin line "report" prints
 *                                "opts NAME ka=.. idle=.. intvl=.. cnt=..
 *                                ut=.." for the sockets, then "end"
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
#include <time.h>
#include <unistd.h>

#define PROG_NAME "peer"
/* Its caller reads "error WHAT: ..." on stdout. */
#define PROG_DIE_PREFIX "error "
#define PROG_DIE_FD 1
#define PROG_DIE_STATUS 1
#include "../progs/prog.h"

#define MAXCONN 1100

static const char *errname(int e)
{
	static char buf[16];

	switch (e) {
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNRESET: return "ECONNRESET";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case EPIPE: return "EPIPE";
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static int dial(const char *addr, int port)
{
	struct sockaddr_storage ss;

	return prog_dial(addr, port, &ss);
}

static int opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	getsockopt(fd, level, name, &v, &len);
	return v;
}

static void print_opts(const char *head, int fd, int tcp)
{
	printf("%s ka=%d", head, opt(fd, SOL_SOCKET, SO_KEEPALIVE));
	if (tcp)
		printf(" idle=%d intvl=%d cnt=%d ut=%d",
		       opt(fd, IPPROTO_TCP, TCP_KEEPIDLE),
		       opt(fd, IPPROTO_TCP, TCP_KEEPINTVL),
		       opt(fd, IPPROTO_TCP, TCP_KEEPCNT),
		       opt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT));
	printf("\n");
	fflush(stdout);
}

static int client(const char *addr, int port)
{
	char c;
	ssize_t n;
	long t0;
	int fd = dial(addr, port);

	printf("connected fd=%d\n", fd);
	fflush(stdout);
	t0 = prog_now_ms();
	n = read(fd, &c, 1);
	if (n < 0)
		printf("result=%s elapsed_ms=%ld\n", errname(errno),
		       prog_now_ms() - t0);
	else
		printf("result=%s elapsed_ms=%ld\n", n ? "data" : "eof",
		       prog_now_ms() - t0);
	return 0;
}

static int listener(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = prog_addr(addr, port, &ss);
	int one = 1, fd = socket(ss.ss_family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1024) < 0)
		die("listen");
	return fd;
}

static void server_event(struct pollfd *p, int *n, int i)
{
	char buf[256], head[64];
	ssize_t r;

	if (i == 0) {
		int c = accept(p[0].fd, NULL, NULL);

		if (c < 0 || *n >= MAXCONN)
			die("accept");
		snprintf(head, sizeof(head), "accepted fd=%d", c);
		print_opts(head, c, 1);
		p[*n].fd = c;
		p[*n].events = POLLIN;
		(*n)++;
		return;
	}
	r = read(p[i].fd, buf, sizeof(buf));
	if (r > 0)
		return;
	printf("dead fd=%d result=%s\n", p[i].fd, r < 0 ? errname(errno) :
	       "eof");
	fflush(stdout);
	close(p[i].fd);
	p[i] = p[--(*n)];
}

static int server(const char *addr, int port)
{
	static struct pollfd p[MAXCONN + 1];
	int n = 1, i;

	p[0].fd = listener(addr, port);
	p[0].events = POLLIN;
	printf("listening fd=%d\n", p[0].fd);
	fflush(stdout);
	for (;;) {
		int r = poll(p, (nfds_t)n, -1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		for (i = n - 1; i >= 0; i--)
			if (p[i].revents)
				server_event(p, &n, i);
	}
	die("poll");
	return 1;
}

static int clients(const char *addr, int port, int count)
{
	char c;
	int i;

	for (i = 0; i < count; i++)
		dial(addr, port);
	printf("connected n=%d\n", count);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

static int holder(const char *addr, int port)
{
	char line[64];
	int one = 1, idle = 600, sv[2], pfd[2];
	int tcp = dial(addr, port), own = dial(addr, port);
	int udp = socket(AF_INET, SOCK_DGRAM, 0);
	int file = open("/proc/self/cmdline", O_RDONLY);

	if (udp < 0 || file < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    pipe(pfd) < 0)
		die("holder fds");
	if (setsockopt(own, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0 ||
	    setsockopt(own, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0)
		die("own keepalive");
	printf("fds tcp=%d own=%d udp=%d unix=%d pipe=%d file=%d\n", tcp, own,
	       udp, sv[0], pfd[0], file);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (strncmp(line, "report", 6) != 0)
			continue;
		print_opts("opts tcp", tcp, 1);
		print_opts("opts own", own, 1);
		print_opts("opts udp", udp, 0);
		print_opts("opts unix", sv[0], 0);
		printf("end\n");
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "client") == 0)
		return client(argv[2], atoi(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "server") == 0)
		return server(argv[2], atoi(argv[3]));
	if (argc >= 5 && strcmp(argv[1], "clients") == 0)
		return clients(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc >= 4 && strcmp(argv[1], "holder") == 0)
		return holder(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: peer client|server|holder ADDR PORT | "
		"clients ADDR PORT N\n");
	return 2;
}
