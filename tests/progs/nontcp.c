/* nontcp — a program with no TCP socket at all that still goes through every
 * call kashim hooks (socket, connect, setsockopt, getsockopt, the read/write
 * family, close, dup*, fcntl, close_range) on UDP and Unix sockets and a
 * file.  Run under strace with and without kashim, the two traces must be
 * the same: kashim costs such a program no syscall.
 *
 * The first syscall of main() is access("kashim-nontcp-main", F_OK), a
 * marker that splits the trace into "before main" (the loader and
 * constructors) and "the program".  Deterministic: no time, pid or random
 * value reaches a syscall argument.  Exit 0 when every step worked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		dprintf(2, "nontcp: %s failed: %s\n", what, strerror(errno));
		failures++;
	}
}

static void udp(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int r = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	int one = 1, v = 0;
	char buf[16];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	check(bind(r, (struct sockaddr *)&a, sizeof a) == 0, "bind");
	check(getsockname(r, (struct sockaddr *)&a, &len) == 0, "getsockname");
	check(setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) == 0,
	      "setsockopt");
	len = sizeof v;
	check(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len) == 0, "getsockopt");
	check(connect(s, (struct sockaddr *)&a, sizeof a) == 0, "connect");
	check(send(s, "a", 1, 0) == 1, "send");
	check(recv(r, buf, sizeof buf, 0) == 1, "recv");
	check(sendto(s, "bb", 2, 0, NULL, 0) == 2, "sendto");
	check(recvfrom(r, buf, sizeof buf, 0, NULL, NULL) == 2, "recvfrom");
	check(write(s, "ccc", 3) == 3, "write");
	check(recvmsg(r, &mh, 0) == 3, "recvmsg");
	close(s);
	close(r);
}

static void unix_pair(void)
{
	int sv[2], d, d2;
	char buf[16];
	struct iovec iov[2] = { { "he", 2 }, { "llo", 3 } };

	check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	check(writev(sv[0], iov, 2) == 5, "writev");
	check(read(sv[1], buf, sizeof buf) == 5, "read");
	d = dup(sv[0]);
	check(d >= 0, "dup");
	check(dup2(d, 20) == 20, "dup2");
	check(dup3(20, 21, O_CLOEXEC) == 21, "dup3");
	d2 = fcntl(21, F_DUPFD_CLOEXEC, 30);
	check(d2 >= 30, "fcntl F_DUPFD_CLOEXEC");
	check(send(d2, "x", 1, 0) == 1, "send (dup)");
	iov[0].iov_base = buf;
	iov[0].iov_len = sizeof buf;
	check(readv(sv[1], iov, 1) == 1, "readv");
	check(close_range(20, 21, 0) == 0, "close_range");
	close(d2);
	close(d);
	close(sv[0]);
	close(sv[1]);
}

static void file(const char *self)
{
	char buf[4];
	int fd = open(self, O_RDONLY | O_CLOEXEC);

	check(fd >= 0, "open");
	check(read(fd, buf, 4) == 4 && memcmp(buf, "\177ELF", 4) == 0, "read");
	check(close(fd) == 0, "close");
	check(close(fd) == -1 && errno == EBADF, "close twice");
}

int main(int argc, char **argv)
{
	(void)argc;
	/* Only the syscall matters (the trace marker); the file does not
	 * exist and what access returns is of no interest. */
	(void)access("kashim-nontcp-main", F_OK);
	udp();
	unix_pair();
	file(argv[0]);
	check(write(1, "done\n", 5) == 5, "write stdout");
	return failures ? 1 : 0;
}
