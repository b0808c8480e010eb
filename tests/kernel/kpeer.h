/* Shared by the kernel-mode test programs (tests/kernel/k*.c): address
 * parsing, the "opts" line and the "dead" line the tests read.  They
 * know nothing of kashim. */
#ifndef KASHIM_TESTS_KPEER_H
#define KASHIM_TESTS_KPEER_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../progs/prog.h"

/* kt_make_addr (prog.h, shared with the other test programs), or exit 2. */
static inline socklen_t kp_addr(const char *host, int port,
				struct sockaddr_storage *ss)
{
	socklen_t len = kt_make_addr(host, port, ss);

	if (len == 0) {
		fprintf(stderr, "bad address %s\n", host);
		exit(2);
	}
	return len;
}

static inline int kp_get(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, name, &v, &len) != 0)
		return -1;
	return v;
}

/* opts ka=1 idle=60 intvl=10 cnt=6 ut=120000 syncnt=6 */
static inline void kp_opts(const char *tag, int fd)
{
	printf("%s ka=%d idle=%d intvl=%d cnt=%d ut=%d syncnt=%d euid=%d\n",
	       tag, kp_get(fd, SOL_SOCKET, SO_KEEPALIVE),
	       kp_get(fd, IPPROTO_TCP, TCP_KEEPIDLE),
	       kp_get(fd, IPPROTO_TCP, TCP_KEEPINTVL),
	       kp_get(fd, IPPROTO_TCP, TCP_KEEPCNT),
	       kp_get(fd, IPPROTO_TCP, TCP_USER_TIMEOUT),
	       kp_get(fd, IPPROTO_TCP, TCP_SYNCNT), (int)geteuid());
	fflush(stdout);
}

static inline void kp_dead(long r, int err)
{
	if (r == 0)
		printf("dead err=EOF\n");
	else if (r > 0)
		printf("dead err=DATA\n");
	else
		printf("dead err=%s\n", strerrorname_np(err));
	fflush(stdout);
}

#endif
