/* log_peer — one end of TCP connections for the dead-peer log tests.  It
 * knows nothing of kashim and sets no TCP option of its own; the test
 * process is the other end (or listens for it) and makes the peer dead.
 *
 *   log_peer out ADDR PORT ACTION [ARG]   connect to ADDR:PORT
 *   log_peer in  ADDR PORT ACTION [ARG]   listen on ADDR:PORT, print
 *                                         "listening", accept one
 *   log_peer in0 ADDR PORT ACTION [ARG]   the same, but accept() is asked
 *                                         for no address (NULL, NULL)
 *
 * then print "up pid=P fd=N local=A peer=B" (A from getsockname, written
 * as kashim writes it: 127.0.0.1:40312 or [::1]:40312) and run ACTION:
 *
 *   recv | read | readv | recvmsg | recvfrom | recvmmsg
 *                block in that call and report it
 *   epoll        epoll_wait (EPOLLIN|EPOLLRDHUP); on EPOLLERR read SO_ERROR
 *                and report that value
 *   idle MS      sleep MS ms without touching the socket, print "woke",
 *                then read() and report
 *   write        wait for a line on stdin, send 100 bytes, print
 *                "written", then recv() and report
 *   writeidle MS like write, but sleep MS after the send (only a watcher
 *                can notice the death), then recv() and report
 *   fill [CALL]  write 64 KiB chunks with CALL (send, write, writev,
 *                sendto, sendmsg, sendmmsg) until it fails; report that
 *   eof          recv() until it returns 0 or fails; report; close the
 *                socket and wait for stdin EOF
 *   close        wait for a line on stdin, close the socket, print
 *                "closed", wait for stdin EOF
 *   pollclose    poll() for POLLIN; report POLLERR/POLLHUP/POLLIN, then
 *                close the socket without reading it (as OpenBSD nc does)
 *                and wait for stdin EOF
 *   hold         wait for stdin EOF
 *
 * Environment knobs: see tweak().
 *
 * Other commands (each documented at its function): reuse, fclose, dup2,
 * fork, handoff, spawnclose, vfork, daemon, many, connfail.
 *
 * The report:  result=ETIMEDOUT elapsed_ms=3012 pid=P
 *   result: the errno name, EOF, DATA; elapsed_ms from connect()/accept()
 *   returning (from just before the send for "write").
 *
 * Built twice: log_peer (no fortification: read() is read) and
 * log_peer_fort (-O2 -D_FORTIFY_SOURCE=2: read() is __read_chk).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define PROG_NAME "log_peer"
#include "prog.h"

static char rbuf[512];
static size_t rlen = sizeof rbuf;       /* not a constant: see main() */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *ename(int e)
{
	const char *s = strerrorname_np(e);

	return s ? s : "?";
}

static void local_of(int fd, char *buf, size_t cap)
{
	if (prog_local_addr(fd, buf, cap) < 0)
		die("getsockname");
}

static void print_up(const char *tag, int fd, const char *peer)
{
	char local[80];

	local_of(fd, local, sizeof local);
	printf("%s pid=%ld fd=%d local=%s peer=%s\n", tag, (long)getpid(), fd,
	       local, peer);
}

static void report(ssize_t n, int err, long t0)
{
	printf("result=%s elapsed_ms=%ld pid=%ld\n",
	       n > 0 ? "DATA" : n == 0 ? "EOF" : ename(err), prog_now_ms() - t0,
	       (long)getpid());
}

/* recv() then report: errno is read after the call has returned */
static void recv_report(int fd, long t0)
{
	ssize_t r = recv(fd, rbuf, rlen, 0);

	report(r, errno, t0);
}

/* B took A's number (the reuse under test): "up2 ...", then recv, report,
 * with the age counted from now. */
static void second_up(int a, int b, const char *peer)
{
	long t0 = prog_now_ms();

	if (b != a)
		fprintf(stderr, "log_peer: fd %d, not %d\n", b, a);
	print_up("up2", b, peer);
	recv_report(b, t0);
}

static int connect_to(const char *addr, int port, char *peer, size_t cap)
{
	struct sockaddr_storage ss;
	int fd = prog_dial(addr, port, &ss);

	if (peer)
		prog_fmt_addr(&ss, peer, cap);
	return fd;
}

static void wait_stdin_eof(void)
{
	char line[64];

	while (fgets(line, sizeof line, stdin))
		;
}

static void wait_stdin_line(void)
{
	char line[64];

	if (!fgets(line, sizeof line, stdin))
		exit(0);
}

static void do_epoll(int fd, long t0)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	int ep = epoll_create1(EPOLL_CLOEXEC), err = 0;
	socklen_t len = sizeof err;

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll");
	for (;;) {
		int n = epoll_wait(ep, &ev, 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		if (ev.events & EPOLLERR) {
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				die("getsockopt SO_ERROR");
			printf("result=%s elapsed_ms=%ld pid=%ld so_error=1\n",
			       err ? ename(err) : "NONE", prog_now_ms() - t0,
			       (long)getpid());
			return;
		}
		if (ev.events & (EPOLLIN | EPOLLRDHUP)) {
			ssize_t r = recv(fd, rbuf, rlen, MSG_DONTWAIT);

			if (r > 0)
				continue;
			report(r, errno, t0);
			return;
		}
	}
}

/* One write of the chunk through the named call. */
static ssize_t put(const char *how, int fd, const void *b, size_t n)
{
	struct iovec v = { (void *)b, n };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = m };
	int r;

	if (!how || strcmp(how, "send") == 0)
		return send(fd, b, n, MSG_NOSIGNAL);
	if (strcmp(how, "write") == 0)
		return write(fd, b, n);
	if (strcmp(how, "writev") == 0)
		return writev(fd, &v, 1);
	if (strcmp(how, "sendto") == 0)
		return sendto(fd, b, n, MSG_NOSIGNAL, NULL, 0);
	if (strcmp(how, "sendmsg") == 0)
		return sendmsg(fd, &m, MSG_NOSIGNAL);
	if (strcmp(how, "sendmmsg") == 0) {
		r = sendmmsg(fd, &mm, 1, MSG_NOSIGNAL);
		return r < 0 ? -1 : (ssize_t)mm.msg_len;
	}
	fprintf(stderr, "log_peer: bad call %s\n", how);
	exit(2);
}

/* fill [CALL]: write 64 KiB chunks with CALL (send, write, writev, sendto,
 * sendmsg, sendmmsg; default send) until it fails. */
static void do_fill(int fd, const char *how, long t0)
{
	static char chunk[65536];
	ssize_t r;

	printf("filling\n");
	for (;;) {
		r = put(how, fd, chunk, sizeof chunk);
		if (r < 0) {
			report(r, errno, t0);
			return;
		}
	}
}

/* After a stdin line (the test has cut the peer off meanwhile), send 100
 * bytes the peer will not acknowledge and print "written".  Returns the
 * time of the send: the user timeout counts from there. */
static long send_on_go(int fd)
{
	static const char data[100];
	long t0;

	wait_stdin_line();
	t0 = prog_now_ms();
	if (send(fd, data, sizeof data, 0) != (ssize_t)sizeof data)
		die("send");
	printf("written\n");
	return t0;
}

static void action(const char *act, const char *arg, int fd, long t0)
{
	ssize_t r;

	if (strcmp(act, "recv") == 0) {
		r = recv(fd, rbuf, rlen, 0);
		report(r, errno, t0);
	} else if (strcmp(act, "read") == 0) {
		r = read(fd, rbuf, rlen);
		report(r, errno, t0);
	} else if (strcmp(act, "recvfrom") == 0) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;

		r = recvfrom(fd, rbuf, rlen, 0, (struct sockaddr *)&ss, &len);
		report(r, errno, t0);
	} else if (strcmp(act, "recvmmsg") == 0) {
		struct iovec v = { rbuf, rlen };
		struct mmsghdr mm = { .msg_hdr = { .msg_iov = &v,
						   .msg_iovlen = 1 } };
		int k = recvmmsg(fd, &mm, 1, 0, NULL);

		report(k < 0 ? -1 : (ssize_t)mm.msg_len, errno, t0);
	} else if (strcmp(act, "readv") == 0) {
		struct iovec v = { rbuf, rlen };

		r = readv(fd, &v, 1);
		report(r, errno, t0);
	} else if (strcmp(act, "recvmsg") == 0) {
		struct iovec v = { rbuf, rlen };
		struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };

		r = recvmsg(fd, &m, 0);
		report(r, errno, t0);
	} else if (strcmp(act, "epoll") == 0) {
		do_epoll(fd, t0);
	} else if (strcmp(act, "idle") == 0) {
		sleep_ms(arg ? atol(arg) : 5000);
		printf("woke\n");
		r = read(fd, rbuf, rlen);
		report(r, errno, t0);
	} else if (strcmp(act, "write") == 0) {
		t0 = send_on_go(fd);
		r = recv(fd, rbuf, rlen, 0);
		report(r, errno, t0);
	} else if (strcmp(act, "writeidle") == 0) {
		t0 = send_on_go(fd);
		fflush(stdout);
		sleep_ms(arg ? atol(arg) : 5000);
		printf("woke\n");
		r = recv(fd, rbuf, rlen, 0);
		report(r, errno, t0);
	} else if (strcmp(act, "fill") == 0) {
		do_fill(fd, arg, t0);
	} else if (strcmp(act, "eof") == 0) {
		do {
			r = recv(fd, rbuf, rlen, 0);
		} while (r > 0);
		report(r, errno, t0);
		close(fd);
		wait_stdin_eof();
	} else if (strcmp(act, "close") == 0) {
		wait_stdin_line();
		close(fd);
		printf("closed\n");
		wait_stdin_eof();
	} else if (strcmp(act, "pollclose") == 0) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };

		while (poll(&pf, 1, -1) < 0 && errno == EINTR)
			;
		printf("result=%s elapsed_ms=%ld pid=%ld\n",
		       pf.revents & POLLERR ? "POLLERR" :
		       pf.revents & POLLHUP ? "POLLHUP" : "POLLIN",
		       prog_now_ms() - t0, (long)getpid());
		fflush(stdout);
		close(fd);
		wait_stdin_eof();
	} else if (strcmp(act, "hold") == 0) {
		wait_stdin_eof();
	} else {
		fprintf(stderr, "log_peer: bad action %s\n", act);
		exit(2);
	}
}

/* reuse ADDR PORT1 PORT2: A to PORT1, "up"; after a stdin line (the test
 * has made A's peer dead long enough for A to be dead), close A, connect B
 * on the same fd number to PORT2, print "up2 ...", recv on B, report. */
static void cmd_reuse(const char *addr, int p1, int p2)
{
	char peer[80];
	int a = connect_to(addr, p1, peer, sizeof peer), b;

	print_up("up", a, peer);
	wait_stdin_line();
	close(a);
	b = connect_to(addr, p2, peer, sizeof peer);
	second_up(a, b, peer);
}

/* fclose ADDR PORT1 PORT2 HOW: A to PORT1, fdopen + fclose (libc closes
 * it behind any hook), then B on the same fd number to PORT2: made with
 * socket()+connect() when HOW is "socket", with raw syscalls (a socket
 * nobody saw being made) when HOW is "syscall".  "up2 ...", recv, report. */
static void cmd_fclose(const char *addr, int p1, int p2, const char *how)
{
	char peer[80];
	int a = connect_to(addr, p1, peer, sizeof peer), b;
	FILE *f;

	print_up("up", a, peer);
	f = fdopen(a, "r+");
	if (!f)
		die("fdopen");
	fclose(f);
	if (strcmp(how, "syscall") == 0) {
		struct sockaddr_storage ss;
		socklen_t len = prog_addr(addr, p2, &ss);

		b = (int)syscall(SYS_socket, ss.ss_family, SOCK_STREAM, 0);
		if (b < 0 || syscall(SYS_connect, b, &ss, len) < 0)
			die("syscall socket/connect");
		prog_fmt_addr(&ss, peer, sizeof peer);
	} else {
		b = connect_to(addr, p2, peer, sizeof peer);
	}
	second_up(a, b, peer);
}

/* dup2 ADDR PORT1 PORT2: A to PORT1, B to PORT2, dup2(B, A), close(B):
 * "up2 fd=A local=<B's> peer=<PORT2>", recv on A's number, report. */
static void cmd_dup2(const char *addr, int p1, int p2)
{
	char peer1[80], peer2[80];
	int a = connect_to(addr, p1, peer1, sizeof peer1);
	int b = connect_to(addr, p2, peer2, sizeof peer2);
	long t0 = prog_now_ms();

	print_up("up", a, peer1);
	if (dup2(b, a) != a)
		die("dup2");
	close(b);
	print_up("up2", a, peer2);
	recv_report(a, t0);
}

/* fork() with stdout flushed first, so that the child does not print the
 * parent's buffered lines again. */
static pid_t fork_flushed(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	return pid;
}

/* Wait for the child pid; "child status=N". */
static void reap_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	printf("child status=%d\n", st);
}

/* A child started with fork() or vfork() (how), as a spawner does: it
 * close()s fds 3..upto-1 and execs /bin/true.  Once it ended: "spawned
 * status=N". */
static void spawn_closing(const char *how, int upto)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = strcmp(how, "vfork") == 0 ? vfork() : fork();
	if (pid < 0)
		die(how);
	if (pid == 0) {
		char *argv[] = { "true", NULL };

		for (int fd = 3; fd < upto; fd++)
			close(fd);
		execv("/bin/true", argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	printf("spawned status=%d\n", st);
	fflush(stdout);
}

/* fork ADDR PORT ACT [MS]: connect A, fork; the child closes A and
 * connects its own B.  Each prints "up ..." and then runs ACT (recv, or
 * idle MS) on its own socket; the parent reaps the child and prints
 * "child status=N". */
static void cmd_fork(const char *addr, int port, const char *act,
		     const char *ms)
{
	char peer[80];
	int a = connect_to(addr, port, peer, sizeof peer);
	long t0 = prog_now_ms();
	pid_t pid = fork_flushed();

	if (pid == 0) {
		close(a);
		a = connect_to(addr, port, peer, sizeof peer);
		t0 = prog_now_ms();
	}
	print_up("up", a, peer);
	fflush(stdout);
	action(act, ms, a, t0);
	fflush(stdout);
	if (pid == 0)
		_exit(0);
	reap_child(pid);
}

/* handoff ADDR PORT MS: connect A, fork; the parent closes A and waits
 * for the child; the child, which makes no socket call of its own, prints
 * "up ..." and runs "idle MS" on the inherited A (as a forking server's
 * worker does with the connection it was handed). */
static void cmd_handoff(const char *addr, int port, const char *ms)
{
	char peer[80];
	int a = connect_to(addr, port, peer, sizeof peer);
	long t0 = prog_now_ms();
	pid_t pid = fork_flushed();

	if (pid == 0) {
		print_up("up", a, peer);
		action("idle", ms, a, t0);
		fflush(stdout);
		_exit(0);
	}
	close(a);
	reap_child(pid);
}

/* spawnclose ADDR PORT fork|vfork: connect A, "up"; after a stdin line
 * (the test has let A die meanwhile, unread), start a child with fork() or
 * vfork() that close()s fds 3..1023 (as a spawner that closes inherited
 * fds does) and execs /bin/true; then recv on A and report. */
static void cmd_spawnclose(const char *addr, int port, const char *how)
{
	char peer[80];
	int a = connect_to(addr, port, peer, sizeof peer);
	long t0 = prog_now_ms();

	print_up("up", a, peer);
	wait_stdin_line();
	spawn_closing(how, 1024);
	recv_report(a, t0);
}

/* vfork ADDR PORT: connect A; a vfork() child closes fds 3..63 with
 * close() (as a subprocess module does for close_fds) and execs
 * /bin/true; then recv on A and report. */
static void cmd_vfork(const char *addr, int port)
{
	char peer[80];
	int a = connect_to(addr, port, peer, sizeof peer);
	long t0 = prog_now_ms();

	print_up("up", a, peer);
	spawn_closing("vfork", 64);
	recv_report(a, t0);
}

/* daemon ADDR PORT_LIVE PORT_DEAD FILE: like a daemon, close fds 0..1023
 * after start; open /dev/null as 0 and 1; then fd 2 becomes the program's
 * own: a connection to PORT_LIVE (its "stream").  FILE (opened O_APPEND)
 * is its own log.  Its own text, only, goes to both: "up ...", and after
 * recv on a connection to PORT_DEAD ends, "result=...".  It then exits. */
static void cmd_daemon(const char *addr, int plive, int pdead,
		       const char *file)
{
	char peer[80], line[256];
	int own, d, n;
	long t0;

	for (int fd = 0; fd < 1024; fd++)
		close(fd);
	/* Two statements: each open takes the lowest free fd (0, then 1). */
	if (open("/dev/null", O_RDWR) != 0)
		_exit(3);
	if (open("/dev/null", O_RDWR) != 1)
		_exit(3);
	if (connect_to(addr, plive, NULL, 0) != 2)
		_exit(4);
	own = open(file, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (own < 0)
		_exit(5);
	d = connect_to(addr, pdead, peer, sizeof peer);
	t0 = prog_now_ms();
	n = snprintf(line, sizeof line, "daemon up fd=%d\n", d);
	if (write(own, line, (size_t)n) != n || write(2, line, (size_t)n) != n)
		_exit(6);
	n = (int)recv(d, rbuf, rlen, 0);
	n = snprintf(line, sizeof line, "daemon result=%s elapsed_ms=%ld\n",
		     n < 0 ? ename(errno) : "EOF", prog_now_ms() - t0);
	if (write(own, line, (size_t)n) != n || write(2, line, (size_t)n) != n)
		_exit(7);
	_exit(0);
}

/* many ADDR PORT N: N connections to PORT, "up n=N", then recv on each in
 * turn; "result errors=E eofs=F" at the end. */
static void cmd_many(const char *addr, int port, int n)
{
	int *fds = calloc((size_t)n, sizeof *fds), errs = 0, eofs = 0;

	if (!fds)
		die("calloc");
	for (int i = 0; i < n; i++)
		fds[i] = connect_to(addr, port, NULL, 0);
	printf("up n=%d\n", n);
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		ssize_t r = recv(fds[i], rbuf, rlen, 0);

		if (r < 0)
			errs++;
		else if (r == 0)
			eofs++;
	}
	printf("result errors=%d eofs=%d\n", errs, eofs);
}

/* connfail ADDR PORT MS: a non-blocking connect that must fail; poll up to
 * MS for POLLOUT, sleep 1.5 s more (the watcher has looked twice by then),
 * then read SO_ERROR and recv, and report both. */
static void cmd_connfail(const char *addr, int port, long ms)
{
	struct sockaddr_storage ss;
	socklen_t len = prog_addr(addr, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
	long t0 = prog_now_ms();
	ssize_t r;

	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&ss, len) == 0)
		die("connect succeeded");
	printf("connecting errno=%s\n", ename(errno));
	fflush(stdout);
	poll(&pf, 1, (int)ms);
	sleep_ms(1500);
	len = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		die("getsockopt");
	r = recv(fd, rbuf, rlen, 0);
	printf("result=%s elapsed_ms=%ld recv=%s\n", err ? ename(err) : "NONE",
	       prog_now_ms() - t0, r < 0 ? ename(errno) : r == 0 ? "EOF" : "DATA");
}

/* Environment knobs of this program (not kashim's), for out/in:
 *   LOG_PEER_MOVE_FD=N      move the socket to fd N (dup2 + close)
 *   LOG_PEER_STDERR_TO=PATH dup2 PATH (opened O_APPEND) onto fd 2, as a
 *                           daemon that sends its stderr to its own file */
static int tweak(int fd)
{
	const char *move = getenv("LOG_PEER_MOVE_FD");
	const char *to = getenv("LOG_PEER_STDERR_TO");

	if (move) {
		int n = atoi(move);

		if (dup2(fd, n) != n)
			die("dup2 LOG_PEER_MOVE_FD");
		close(fd);
		fd = n;
	}
	if (to) {
		int f = open(to, O_WRONLY | O_APPEND | O_CREAT, 0644);

		if (f < 0 || dup2(f, 2) != 2)
			die("LOG_PEER_STDERR_TO");
		close(f);
	}
	return fd;
}

int main(int argc, char **argv)
{
	char peer[80];
	int fd;
	long t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	/* a length the compiler cannot know: read() stays __read_chk in the
	 * fortified build */
	rlen = sizeof rbuf - (size_t)(argc > 100);
	if (argc < 4)
		goto usage;
	if (strcmp(argv[1], "reuse") == 0 && argc == 5) {
		cmd_reuse(argv[2], atoi(argv[3]), atoi(argv[4]));
	} else if (strcmp(argv[1], "fclose") == 0 && argc == 6) {
		cmd_fclose(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
	} else if (strcmp(argv[1], "dup2") == 0 && argc == 5) {
		cmd_dup2(argv[2], atoi(argv[3]), atoi(argv[4]));
	} else if (strcmp(argv[1], "fork") == 0 && argc >= 5) {
		cmd_fork(argv[2], atoi(argv[3]), argv[4], argv[5]);
	} else if (strcmp(argv[1], "handoff") == 0 && argc == 5) {
		cmd_handoff(argv[2], atoi(argv[3]), argv[4]);
	} else if (strcmp(argv[1], "spawnclose") == 0 && argc == 5) {
		cmd_spawnclose(argv[2], atoi(argv[3]), argv[4]);
	} else if (strcmp(argv[1], "vfork") == 0) {
		cmd_vfork(argv[2], atoi(argv[3]));
	} else if (strcmp(argv[1], "daemon") == 0 && argc == 6) {
		cmd_daemon(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
	} else if (strcmp(argv[1], "many") == 0 && argc == 5) {
		cmd_many(argv[2], atoi(argv[3]), atoi(argv[4]));
	} else if (strcmp(argv[1], "connfail") == 0 && argc == 5) {
		cmd_connfail(argv[2], atoi(argv[3]), atol(argv[4]));
	} else if ((strcmp(argv[1], "out") == 0 || strcmp(argv[1], "in") == 0 ||
		    strcmp(argv[1], "in0") == 0) && argc >= 5) {
		if (argv[1][0] == 'o')
			fd = connect_to(argv[2], atoi(argv[3]), peer,
					sizeof peer);
		else if (argv[1][2] == '0')
			fd = prog_accept_one_as(argv[2], atoi(argv[3]), 0,
						peer, sizeof peer);
		else
			fd = prog_accept_one(argv[2], atoi(argv[3]), peer,
				       sizeof peer);
		t0 = prog_now_ms();
		fd = tweak(fd);
		print_up("up", fd, peer);
		action(argv[4], argv[5], fd, t0);
	} else {
		goto usage;
	}
	return 0;
usage:
	fprintf(stderr, "usage: log_peer out|in|in0 ADDR PORT ACTION [ARG]\n");
	return 2;
}
