/* tcpopts — a plain TCP program (it knows nothing of kashim) that connects
 * to itself over loopback and reports the keepalive options the kernel has
 * on its three sockets.
 *
 *   tcpopts [-6] [-l ADDR] [-c ADDR] [-b ADDR] [-p PORT] [-L FD] [-f nc]
 *           [-P PROTO] [-4] [-s OPT=V]... [-S OPT=V]... [-a OPT=V]... [-q]
 *
 *   -6        use ::1 (default 127.0.0.1)
 *   -l ADDR   listen on ADDR;  -c ADDR  connect to ADDR (default: -l)
 *   -b ADDR   bind the client socket to source address ADDR first
 *   -p PORT   listen port (default 0: any)
 *   -L FD     accept on the inherited, already listening socket FD instead
 *             of making one (no socket/bind/listen calls at all)
 *   -C FD     connect the inherited, unconnected TCP socket FD instead of
 *             making one (a socket from before kashim was loaded)
 *   -f FLAGS  client socket type flags: n = SOCK_NONBLOCK, c = SOCK_CLOEXEC
 *   -P PROTO  client socket protocol (default 0)
 *   -4        accept with accept4(SOCK_NONBLOCK|SOCK_CLOEXEC)
 *   -s OPT=V  setsockopt on the client before connect()
 *   -S OPT=V  setsockopt on the client after connect()
 *   -a OPT=V  setsockopt on the accepted socket
 *             OPT: keepalive idle intvl cnt ut syncnt; a call that fails
 *             prints "setopt failed=ERRNO" and the program goes on
 *   -q        quiet: make no getsockopt and print only "ok" (strace counts)
 *
 * Output, one line per socket (lis = listener, when made here):
 *   out keepalive=1 idle=60 intvl=10 cnt=6 ut=120000 syncnt=6
 *   in keepalive=1 ...
 *   lis keepalive=1 ...
 * Exit 0, or 2 with a message on stderr when a call fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#define PROG_NAME "tcpopts"
#include "prog.h"

#define MAXSET 16

struct setopt {
	int level, name, val;
};

struct opts {
	int v6, port, lfd, cfd, flags, proto, acc4, quiet;
	const char *laddr, *caddr, *baddr;
	struct setopt before[MAXSET], after[MAXSET], accepted[MAXSET];
	int nbefore, nafter, naccepted;
};

static void usage(const char *what)
{
	fprintf(stderr, "tcpopts: bad usage: %s\n", what);
	exit(2);
}

static int parse_setopt(const char *arg, struct setopt *o)
{
	static const struct { const char *name; int level, opt; } tab[] = {
		{ "keepalive", SOL_SOCKET, SO_KEEPALIVE },
		{ "idle", IPPROTO_TCP, TCP_KEEPIDLE },
		{ "intvl", IPPROTO_TCP, TCP_KEEPINTVL },
		{ "cnt", IPPROTO_TCP, TCP_KEEPCNT },
		{ "ut", IPPROTO_TCP, TCP_USER_TIMEOUT },
		{ "syncnt", IPPROTO_TCP, TCP_SYNCNT },
	};
	const char *eq = strchr(arg, '=');

	if (!eq)
		return -1;
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		if (strlen(tab[i].name) == (size_t)(eq - arg) &&
		    strncmp(arg, tab[i].name, (size_t)(eq - arg)) == 0) {
			o->level = tab[i].level;
			o->name = tab[i].opt;
			o->val = atoi(eq + 1);
			return 0;
		}
	}
	return -1;
}

static void add_setopt(struct setopt *arr, int *n, const char *arg)
{
	if (*n >= MAXSET || parse_setopt(arg, &arr[*n]) < 0)
		usage(arg);
	(*n)++;
}

/* A failing setsockopt of the program's is reported and ignored, as many
 * programs do: "setopt failed=EINVAL". */
static void apply(int fd, const struct setopt *arr, int n)
{
	for (int i = 0; i < n; i++)
		if (setsockopt(fd, arr[i].level, arr[i].name, &arr[i].val,
			       sizeof arr[i].val) < 0)
			printf("setopt failed=%s\n", strerrorname_np(errno));
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof *o);
	o->lfd = o->cfd = -1;
	while ((c = getopt(argc, argv, "6l:c:b:p:L:C:f:P:4s:S:a:q")) != -1) {
		switch (c) {
		case '6': o->v6 = 1; break;
		case 'l': o->laddr = optarg; break;
		case 'c': o->caddr = optarg; break;
		case 'b': o->baddr = optarg; break;
		case 'p': o->port = atoi(optarg); break;
		case 'L': o->lfd = atoi(optarg); break;
		case 'C': o->cfd = atoi(optarg); break;
		case 'f':
			if (strchr(optarg, 'n'))
				o->flags |= SOCK_NONBLOCK;
			if (strchr(optarg, 'c'))
				o->flags |= SOCK_CLOEXEC;
			break;
		case 'P': o->proto = atoi(optarg); break;
		case '4': o->acc4 = 1; break;
		case 's': add_setopt(o->before, &o->nbefore, optarg); break;
		case 'S': add_setopt(o->after, &o->nafter, optarg); break;
		case 'a': add_setopt(o->accepted, &o->naccepted, optarg); break;
		case 'q': o->quiet = 1; break;
		default: usage("unknown option");
		}
	}
	if (!o->laddr)
		o->laddr = o->v6 ? "::1" : "127.0.0.1";
	if (!o->caddr)
		o->caddr = o->laddr;
}

static socklen_t make_addr(const char *addr, int port,
			   struct sockaddr_storage *ss)
{
	socklen_t len = kt_make_addr(addr, port, ss);

	if (!len) {
		usage(addr);
	}
	return len;
}

static int get_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	memset(&ss, 0, sizeof ss);      /* analyzers do not model getsockname */
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		die("getsockname");
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int make_listener(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(o->laddr, o->port, &ss);
	int one = 1;
	int fd = socket(ss.ss_family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket (listener)");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		die("setsockopt SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die("bind (listener)");
	if (listen(fd, 8) < 0)
		die("listen");
	return fd;
}

static void wait_connected(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
	int err = 0;
	socklen_t len = sizeof err;

	if (poll(&pf, 1, 10000) != 1)
		die("poll (connect)");
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		die("getsockopt SO_ERROR");
	errno = err;
	if (err)
		die("connect (non-blocking)");
}

static int make_client(const struct opts *o, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(o->caddr, port, &ss);
	int fd = o->cfd >= 0 ? o->cfd :
		 socket(ss.ss_family, SOCK_STREAM | o->flags, o->proto);

	if (fd < 0)
		die("socket (client)");
	if (o->baddr) {
		struct sockaddr_storage bs;
		socklen_t blen = make_addr(o->baddr, 0, &bs);

		if (bind(fd, (struct sockaddr *)&bs, blen) < 0)
			die("bind (client)");
	}
	apply(fd, o->before, o->nbefore);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		if (errno != EINPROGRESS)
			die("connect");
		wait_connected(fd);
	}
	apply(fd, o->after, o->nafter);
	return fd;
}

static int getint(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof v;

	if (getsockopt(fd, level, name, &v, &len) < 0)
		die("getsockopt");
	return v;
}

static void report(const char *tag, int fd)
{
	printf("%s keepalive=%d idle=%d intvl=%d cnt=%d ut=%d syncnt=%d\n",
	       tag, getint(fd, SOL_SOCKET, SO_KEEPALIVE),
	       getint(fd, IPPROTO_TCP, TCP_KEEPIDLE),
	       getint(fd, IPPROTO_TCP, TCP_KEEPINTVL),
	       getint(fd, IPPROTO_TCP, TCP_KEEPCNT),
	       getint(fd, IPPROTO_TCP, TCP_USER_TIMEOUT),
	       getint(fd, IPPROTO_TCP, TCP_SYNCNT));
}

static int do_accept(const struct opts *o, int lfd)
{
	struct pollfd pf = { .fd = lfd, .events = POLLIN };
	int fd;

	if (poll(&pf, 1, 10000) != 1)
		die("poll (accept)");
	if (o->acc4)
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	else
		fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	apply(fd, o->accepted, o->naccepted);
	return fd;
}

int main(int argc, char **argv)
{
	struct opts o;
	int lfd, cfd, afd;

	parse_args(argc, argv, &o);
	lfd = o.lfd >= 0 ? o.lfd : make_listener(&o);
	cfd = make_client(&o, get_port(lfd));
	afd = do_accept(&o, lfd);
	if (o.quiet) {
		printf("ok\n");
		return 0;
	}
	report("out", cfd);
	report("in", afd);
	if (o.lfd < 0)
		report("lis", lfd);
	return 0;
}
