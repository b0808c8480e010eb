/* kclient — one TCP connection, for the kernel-mode tests.
 *
 *   kclient [options] HOST PORT
 *     -s        connect through syscall(SYS_connect), not libc's connect()
 *     -o I,N,C  set TCP_KEEPIDLE/INTVL/CNT itself before connect (0: skip)
 *     -a I,N    set SO_KEEPALIVE, TCP_KEEPIDLE and TCP_KEEPINTVL after
 *               connect (as Go's net.Dial does)
 *     -t MS     set TCP_USER_TIMEOUT itself before connect
 *     -w        send 100 bytes once stdin gives a line, then wait
 *     -q        print the options and exit
 *     -u        also make a UDP socket, try SO_KEEPALIVE on it, print it
 *     -k        after "dead", keep the socket open until stdin ends
 *
 * Prints "up" + the options ("opts ..."), then blocks in recv() and
 * prints "dead err=ETIMEDOUT" (or the connect error as "connect err=").
 */
#include <sys/syscall.h>

#include "kpeer.h"

static void three(const char *s, int v[3])
{
	v[0] = v[1] = v[2] = 0;
	sscanf(s, "%d,%d,%d", &v[0], &v[1], &v[2]);
}

static void set(int fd, int level, int name, int v)
{
	if (v > 0 && setsockopt(fd, level, name, &v, sizeof(v)) != 0)
		perror("setsockopt");
}

int main(int argc, char **argv)
{
	int before[3] = { 0 }, after[3] = { 0 }, ut = 0, sys = 0, wr = 0,
	    quit = 0, udp = 0, keep = 0, c, fd;
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[256];
	long r;

	while ((c = getopt(argc, argv, "so:a:t:wquk")) != -1) {
		switch (c) {
		case 's': sys = 1; break;
		case 'o': three(optarg, before); break;
		case 'a': three(optarg, after); break;
		case 't': ut = atoi(optarg); break;
		case 'w': wr = 1; break;
		case 'q': quit = 1; break;
		case 'u': udp = 1; break;
		case 'k': keep = 1; break;
		default: return 2;
		}
	}
	if (argc - optind != 2)
		return 2;
	len = kp_addr(argv[optind], atoi(argv[optind + 1]), &ss);
	if (udp) {
		int u = socket(ss.ss_family, SOCK_DGRAM, 0);

		printf("udp ka=%d\n", kp_get(u, SOL_SOCKET, SO_KEEPALIVE));
		close(u);
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	set(fd, IPPROTO_TCP, TCP_KEEPIDLE, before[0]);
	set(fd, IPPROTO_TCP, TCP_KEEPINTVL, before[1]);
	set(fd, IPPROTO_TCP, TCP_KEEPCNT, before[2]);
	set(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, ut);
	kp_opts("pre", fd);
	r = sys ? syscall(SYS_connect, fd, (struct sockaddr *)&ss, len)
		: connect(fd, (struct sockaddr *)&ss, len);
	if (r != 0) {
		printf("connect err=%s\n", strerrorname_np(errno));
		return 1;
	}
	if (after[0]) {
		set(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
		set(fd, IPPROTO_TCP, TCP_KEEPINTVL, after[1]);
		set(fd, IPPROTO_TCP, TCP_KEEPIDLE, after[0]);
	}
	printf("up fd=%d\n", fd);
	kp_opts("opts", fd);
	if (quit)
		return 0;
	if (wr && fgets(buf, sizeof(buf), stdin)) {
		memset(buf, 'x', 100);
		if (send(fd, buf, 100, 0) != 100)
			perror("send");
		printf("written\n");
		fflush(stdout);
	}
	r = recv(fd, buf, sizeof(buf), 0);
	kp_dead(r, errno);
	while (keep && fgets(buf, sizeof(buf), stdin))
		;
	return 0;
}
