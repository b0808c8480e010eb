/* log_threads — threads racing over the same fd numbers while connections
 * die, for the dead-peer log test under KASHIM_WATCH=1 (and under TSan:
 * this program is built on its own so that a -fsanitize=thread build can
 * reuse it).
 *
 *   log_threads ADDR DEADPORT D
 *
 * D "doomed" threads each connect to ADDR:DEADPORT (the test listens
 * there and later drops the port) and print "doomed local=A"; odd-numbered
 * ones block in recv() at once, even-numbered ones leave the socket idle
 * (only the watcher can notice it) and read it once the others are done.
 * Meanwhile churn threads connect to an in-process listener and close,
 * and an acceptor thread accepts and closes: fd numbers are reused all the
 * time, closes race accepts.  After "ready" the test makes the peer dead.
 * At the end: "result doomed=D dead=K churned=N", exit 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROG_NAME "log_threads"
#include "prog.h"

#define MAXD 64
#define CHURNERS 3

static struct sockaddr_storage dead_ss, churn_ss;
static socklen_t dead_len, churn_len;
static int lfd;
static int stop;                /* atomic */
static long churned;            /* atomic */
static int dead_count;          /* atomic */
static int recv_done;           /* atomic: readers finished */
static int ndoomed;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void say(const char *fmt, const char *arg)
{
	pthread_mutex_lock(&out_lock);
	printf(fmt, arg);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void local_str(int fd, char *buf, size_t cap)
{
	if (prog_local_addr(fd, buf, cap) < 0)
		die("getsockname");
}

static void count_result(ssize_t r)
{
	if (r < 0 && errno == ETIMEDOUT)
		__atomic_add_fetch(&dead_count, 1, __ATOMIC_RELAXED);
}

static void *doomed(void *arg)
{
	long i = (long)arg;
	char buf[64], local[80];
	int fd = socket(dead_ss.ss_family, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&dead_ss, dead_len) < 0)
		die("connect doomed");
	local_str(fd, local, sizeof local);
	say("doomed local=%s\n", local);
	if (i % 2) {
		count_result(recv(fd, buf, sizeof buf, 0));
		__atomic_add_fetch(&recv_done, 1, __ATOMIC_RELEASE);
	} else {
		/* idle: wait until every reader has its answer, and the
		 * watcher two more ticks, then look */
		while (__atomic_load_n(&recv_done, __ATOMIC_ACQUIRE) <
		       ndoomed / 2)
			usleep(20000);
		usleep(1200000);
		count_result(recv(fd, buf, sizeof buf, MSG_DONTWAIT));
	}
	close(fd);
	return NULL;
}

static void *churn(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		int fd = socket(churn_ss.ss_family, SOCK_STREAM, 0);

		if (fd < 0)
			die("socket churn");
		if (connect(fd, (struct sockaddr *)&churn_ss, churn_len) == 0)
			__atomic_add_fetch(&churned, 1, __ATOMIC_RELAXED);
		close(fd);
	}
	return NULL;
}

static void *acceptor(void *arg)
{
	struct pollfd pf = { .fd = lfd, .events = POLLIN };

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int fd;

		if (poll(&pf, 1, 50) != 1)
			continue;
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t d[MAXD], c[CHURNERS], a;
	int one = 1;

	if (argc != 4 || atoi(argv[3]) < 2 || atoi(argv[3]) > MAXD) {
		fprintf(stderr, "usage: log_threads ADDR DEADPORT D(2..%d)\n",
			MAXD);
		return 2;
	}
	ndoomed = atoi(argv[3]);
	dead_len = prog_addr(argv[1], atoi(argv[2]), &dead_ss);
	churn_len = prog_addr(argv[1], 0, &churn_ss);
	lfd = socket(churn_ss.ss_family, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&churn_ss, churn_len) < 0 ||
	    listen(lfd, 128) < 0)
		die("bind/listen");
	churn_len = sizeof churn_ss;
	if (getsockname(lfd, (struct sockaddr *)&churn_ss, &churn_len) < 0)
		die("getsockname");
	if (pthread_create(&a, NULL, acceptor, NULL) != 0)
		die("pthread_create");
	for (int i = 0; i < CHURNERS; i++)
		if (pthread_create(&c[i], NULL, churn, NULL) != 0)
			die("pthread_create");
	for (long i = 0; i < ndoomed; i++)
		if (pthread_create(&d[i], NULL, doomed, (void *)i) != 0)
			die("pthread_create");
	/* every doomed thread has printed its line before "ready" matters:
	 * the test waits for D "doomed" lines itself */
	say("%s\n", "ready");
	for (int i = 0; i < ndoomed; i++)
		pthread_join(d[i], NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < CHURNERS; i++)
		pthread_join(c[i], NULL);
	pthread_join(a, NULL);
	printf("result doomed=%d dead=%d churned=%ld\n", ndoomed,
	       __atomic_load_n(&dead_count, __ATOMIC_RELAXED),
	       __atomic_load_n(&churned, __ATOMIC_RELAXED));
	return 0;
}
