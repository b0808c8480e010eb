/* hostile: running out of file descriptors.
 *
 * With RLIMIT_NOFILE at 64 the program fills its table with TCP sockets,
 * then checks that socket(), accept(), dup() and fcntl(F_DUPFD) fail with
 * EMFILE exactly where they would without kashim (kashim must never hold
 * a descriptor of the program's, nor fail a call of its own), and that
 * freeing one descriptor makes the next call succeed — repeatedly, for
 * CHURN_MS, while kashim's watcher (KASHIM_WATCH=1) runs: a descriptor the
 * watcher borrowed at that moment would make the program's socket() fail.
 *
 * Output: "same ..." counts and errnos, "opt conn ..." of the connection.
 */
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>

#include "hostile.h"

#define LIMIT 64
#define CHURN_MS 3000

int main(void)
{
	struct rlimit rl;
	int lis, port, c, a, fill[LIMIT], n = 0, fd, last_errno, i;
	long t0, rounds = 0, fails = 0, first_fail_errno = 0, retries = 0;

	/* The soft limit only: valgrind refuses to change the hard one. */
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	rl.rlim_cur = LIMIT;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("setrlimit");
	lis = h_listener(&port);
	c = h_client(port);
	a = accept(lis, NULL, NULL);
	if (a < 0)
		die("accept");
	h_opts("conn", c);
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			break;
		fill[n++] = fd;
	}
	last_errno = errno;
	if (n < 2)
		die("fewer than two sockets fit");
	h_say("same filled=%d errno=%d", n, last_errno);
	errno = 0;
	fd = dup(c);
	h_say("same dup=%d errno=%d", fd, errno);
	errno = 0;
	fd = fcntl(c, F_DUPFD, 0);
	h_say("same dupfd=%d errno=%d", fd, errno);
	/* One free slot: a client connects, then the table is full again. */
	close(fill[--n]);
	fill[n] = h_client(port);
	errno = 0;
	fd = accept(lis, NULL, NULL);
	last_errno = errno;
	h_say("same accept_full=%d errno=%d", fd, last_errno);
	close(fill[n]);
	fd = accept(lis, NULL, NULL);
	h_say("same accept_free=%d", fd >= 0);
	if (fd >= 0)
		close(fd);
	fill[n] = socket(AF_INET, SOCK_STREAM, 0);
	h_say("same refilled=%d", fill[n] >= 0);
	n += fill[n] >= 0;
	/* Churn: free one, take one. */
	t0 = prog_now_ms();
	while (prog_now_ms() - t0 < CHURN_MS) {
		i = (int)(rounds % n);
		close(fill[i]);
		fill[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fill[i] < 0) {
			if (!fails)
				first_fail_errno = errno;
			fails++;
			while (fill[i] < 0 && retries++ < 100000)
				fill[i] = socket(AF_INET, SOCK_STREAM, 0);
			if (fill[i] < 0)
				die("socket, again and again");
		}
		rounds++;
	}
	h_say("same churn_fails=%ld first_errno=%ld", fails, first_fail_errno);
	h_say("note churn_rounds=%ld", rounds);
	for (i = 0; i < n; i++)
		close(fill[i]);
	close(a);
	close(c);
	close(lis);
	return 0;
}
