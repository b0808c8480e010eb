/* kashim e2e — small, ordinary network programs for the end-to-end matrix.
 *
 * Nothing here knows about kashim: the tests run these programs with or
 * without LD_PRELOAD and judge what they print (and what `ss` and the
 * kashim log say).  One binary, one mode per shape of program:
 *
 *   e2e_net server  ADDR PORT          epoll server: accepts everything,
 *                                      reads and discards; prints one line
 *                                      per connection that ends in an error
 *   e2e_net clients ADDR PORT N        N idle connections, epoll on all of
 *                                      them; one line per error; exits 0
 *                                      once every one has failed
 *   e2e_net threads ADDR PORT ITER     16 threads: ITER connect+close each,
 *                                      then one idle connection each that
 *                                      must end in an error
 *   e2e_net forksrv ADDR PORT          accept, fork one child per connection;
 *                                      the child reads until an error
 *   e2e_net daemon  ADDR PORT FILE     double fork, setsid, close every fd,
 *                                      then one idle connection; reports to
 *                                      FILE (stdout is gone)
 *
 * Lines are "word key=value ..." and each is written with one write(2), so
 * that lines of several processes sharing stdout never mix.  "opts" lines
 * read the keepalive options back from the kernel:
 *   opts keepalive=1 idle=2 intvl=1 cnt=3 user_timeout=5000
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#define PROG_NAME "e2e_net"
#include "prog.h"

#define NTHREADS 16

static const char *errname(int e)
{
	switch (e) {
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNRESET: return "ECONNRESET";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case EPIPE: return "EPIPE";
	case 0: return "EOF";
	default: return "OTHER";
	}
}

/* Room for a thousand connections on each side. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static socklen_t make_addr(const char *addr, int port,
			   struct sockaddr_storage *ss)
{
	socklen_t len = kt_make_addr(addr, port, ss);

	if (!len) {
		errno = EINVAL;
		die(addr);
	}
	return len;
}

static int dial(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(addr, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		die("connect");
	return fd;
}

static int listen_on(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(addr, port, &ss);
	int one = 1;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die("bind");
	if (listen(fd, 4096) < 0)
		die("listen");
	return fd;
}

/* The kernel's view of fd's keepalive options, as "keepalive=.. ..." */
static void opts_str(int fd, char *buf, size_t cap)
{
	int ka = -1, idle = -1, intvl = -1, cnt = -1, uto = -1;
	socklen_t l;

	l = sizeof ka;
	getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &ka, &l);
	l = sizeof idle;
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &l);
	l = sizeof intvl;
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, &l);
	l = sizeof cnt;
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, &l);
	l = sizeof uto;
	getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, &l);
	snprintf(buf, cap, "keepalive=%d idle=%d intvl=%d cnt=%d "
		 "user_timeout=%d", ka, idle, intvl, cnt, uto);
}

/* Read fd until it fails or ends; the errno (0 at EOF). */
static int drain(int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);

		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return errno;
		if (n < 0 && errno == EAGAIN)
			return -1;      /* nonblocking: nothing more now */
	}
}

/* ---- server ------------------------------------------------------------ */

static void epoll_add(int ep, int fd, long tag)
{
	struct epoll_event ev = { .events = EPOLLIN };

	ev.data.u64 = (unsigned long)tag;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl");
}

static int mode_server(const char *addr, int port)
{
	int lfd = listen_on(addr, port);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	long failed = 0;

	if (ep < 0)
		die("epoll_create1");
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	epoll_add(ep, lfd, -1);
	prog_say(1, "listening port=%d", port);
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, -1), i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			int fd = (int)(long)evs[i].data.u64, e;

			if (fd == -1) {
				int c;

				while ((c = accept4(lfd, NULL, NULL,
						    SOCK_NONBLOCK |
						    SOCK_CLOEXEC)) >= 0) {
					epoll_add(ep, c, c);
				}
				continue;
			}
			e = drain(fd);
			if (e < 0)
				continue;
			if (e > 0)
				prog_say(1, "error fd=%d errno=%s n=%ld", fd,
				    errname(e), ++failed);
			close(fd);
		}
	}
}

/* ---- clients ----------------------------------------------------------- */

static int mode_clients(const char *addr, int port, int n)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), i, left = n;
	char o[160];

	if (ep < 0)
		die("epoll_create1");
	for (i = 0; i < n; i++) {
		int fd = dial(addr, port);

		if (i == 0) {
			opts_str(fd, o, sizeof o);
			prog_say(1, "opts %s", o);
		}
		fcntl(fd, F_SETFL, O_NONBLOCK);
		epoll_add(ep, fd, fd);
	}
	prog_say(1, "connected n=%d", n);
	while (left > 0) {
		struct epoll_event evs[256];
		int m = epoll_wait(ep, evs, 256, -1);

		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0)
			die("epoll_wait");
		for (i = 0; i < m; i++) {
			int fd = (int)(long)evs[i].data.u64;
			int e = drain(fd);

			if (e < 0)
				continue;
			prog_say(1, "error fd=%d errno=%s", fd, errname(e));
			close(fd);
			left--;
		}
	}
	prog_say(1, "all-failed n=%d", n);
	return 0;
}

/* ---- threads ----------------------------------------------------------- */

struct tjob {
	const char *addr;
	int port, iter, idx;
	int mismatch;           /* sockets whose options differ from first */
	char first[160];
};

static pthread_barrier_t barrier;

static void *thread_main(void *arg)
{
	struct tjob *j = arg;
	char o[160];
	int i, fd, e;

	pthread_barrier_wait(&barrier);
	for (i = 0; i < j->iter; i++) {
		fd = dial(j->addr, j->port);
		opts_str(fd, o, sizeof o);
		if (i == 0)
			snprintf(j->first, sizeof j->first, "%s", o);
		else if (strcmp(o, j->first) != 0)
			j->mismatch++;
		close(fd);
	}
	fd = dial(j->addr, j->port);
	pthread_barrier_wait(&barrier);         /* main: "holding" */
	e = drain(fd);
	prog_say(1, "thread i=%d errno=%s", j->idx, errname(e));
	close(fd);
	return NULL;
}

static int mode_threads(const char *addr, int port, int iter)
{
	pthread_t t[NTHREADS];
	struct tjob j[NTHREADS];
	int i, mismatch = 0;

	pthread_barrier_init(&barrier, NULL, NTHREADS + 1);
	for (i = 0; i < NTHREADS; i++) {
		j[i] = (struct tjob){ addr, port, iter, i, 0, "" };
		if (pthread_create(&t[i], NULL, thread_main, &j[i]) != 0)
			die("pthread_create");
	}
	pthread_barrier_wait(&barrier);         /* all start together */
	pthread_barrier_wait(&barrier);         /* all churned, all holding */
	for (i = 0; i < NTHREADS; i++) {
		mismatch += j[i].mismatch;
		if (strcmp(j[i].first, j[0].first) != 0)
			mismatch++;
	}
	prog_say(1, "opts %s", j[0].first);
	prog_say(1, "churned conns=%d mismatch=%d", NTHREADS * iter, mismatch);
	prog_say(1, "holding n=%d", NTHREADS);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	prog_say(1, "done n=%d", NTHREADS);
	return 0;
}

/* ---- forking server ---------------------------------------------------- */

static void fork_child(int lfd, int c) __attribute__((noreturn));
static void fork_child(int lfd, int c)
{
	char o[160];
	int e;

	close(lfd);
	opts_str(c, o, sizeof o);
	prog_say(1, "child pid=%ld opts %s", (long)getpid(), o);
	e = drain(c);
	prog_say(1, "child-done pid=%ld errno=%s", (long)getpid(), errname(e));
	_exit(0);
}

static int mode_forksrv(const char *addr, int port)
{
	int lfd = listen_on(addr, port);

	signal(SIGCHLD, SIG_IGN);       /* children are reaped by the kernel */
	prog_say(1, "listening port=%d", port);
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		pid_t pid;

		if (c < 0 && errno == EINTR)
			continue;
		if (c < 0)
			die("accept");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			fork_child(lfd, c);
		close(c);
	}
}

/* ---- daemon ------------------------------------------------------------ */

static void report(const char *file, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void report(const char *file, const char *fmt, ...)
{
	char buf[400];
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	prog_say(fd, "%s", buf);
	close(fd);
}

/* What daemon(3)-style code does: every descriptor goes, 0-2 become
 * /dev/null.  close() one by one up to the limit, as old daemons do. */
static void close_everything(void)
{
	struct rlimit rl;
	long fd, max = 1024;
	int nul;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = (long)rl.rlim_cur;
	for (fd = 0; fd < max; fd++)
		close((int)fd);
	nul = open("/dev/null", O_RDWR);
	if (nul == 0) {
		dup2(0, 1);
		dup2(0, 2);
	}
}

static int mode_daemon(const char *addr, int port, const char *file)
{
	pid_t pid;
	char o[160];
	int fd, e;

	/* A connection before daemonizing, so that whatever kashim started
	 * in this process (its watcher) has to survive the forks. */
	fd = dial(addr, port);
	close(fd);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid > 0) {
		int st;

		waitpid(pid, &st, 0);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	if (setsid() < 0)
		die("setsid");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		_exit(3);
	umask(022);
	close_everything();
	fd = dial(addr, port);
	opts_str(fd, o, sizeof o);
	report(file, "daemon pid=%ld opts %s", (long)getpid(), o);
	e = drain(fd);
	report(file, "daemon-done pid=%ld errno=%s", (long)getpid(),
	       errname(e));
	return 0;
}

/* ---- main -------------------------------------------------------------- */

static void usage(void)
{
	prog_say(2, "usage: e2e_net server|clients|threads|forksrv|daemon "
	       "ADDR PORT [N|ITER|FILE]");
	exit(2);
}

int main(int argc, char **argv)
{
	int port;

	if (argc < 4)
		usage();
	port = atoi(argv[3]);
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(argv[1], "server") == 0)
		return mode_server(argv[2], port);
	if (strcmp(argv[1], "forksrv") == 0)
		return mode_forksrv(argv[2], port);
	if (argc < 5)
		usage();
	if (strcmp(argv[1], "clients") == 0)
		return mode_clients(argv[2], port, atoi(argv[4]));
	if (strcmp(argv[1], "threads") == 0)
		return mode_threads(argv[2], port, atoi(argv[4]));
	if (strcmp(argv[1], "daemon") == 0)
		return mode_daemon(argv[2], port, argv[4]);
	usage();
	return 2;
}
