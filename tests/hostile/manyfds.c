/* hostile: more than 1024 descriptors.
 *
 * kashim's fd table keeps fds 0..1023 in its first page and maps later
 * pages on first use.  The program raises RLIMIT_NOFILE to 4096, fills the
 * low numbers with /dev/null, and then makes, connects and accepts TCP
 * sockets whose numbers lie in the second and third pages; it also dup2()s
 * a socket to 3000, and close_range()s across the pages.  Each socket must
 * be configured as one below 1024 would be, and every return value must
 * be the same as without kashim.
 *
 * Output: "same ..." fd numbers and results, "opt ..." per socket.
 */
#include <fcntl.h>
#include <sys/resource.h>

#include "hostile.h"

#define LIMIT 4096
#define FLOOR 1100

int main(void)
{
	struct rlimit rl;
	int lis, port, fd, c, a, t;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < LIMIT) {
		h_say("skip hard limit %ld is below %d", (long)rl.rlim_max,
		      LIMIT);
		return 0;
	}
	rl.rlim_cur = LIMIT;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("setrlimit");
	lis = h_listener(&port);
	do {
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0)
			die("open");
	} while (fd < FLOOR);
	c = h_client(port);
	a = accept(lis, NULL, NULL);
	h_say("same high_client=%d high_accepted=%d", c, a);
	h_opts("high_out", c);
	h_opts("high_in", a);
	/* A socket moved to page 2 before it connects. */
	t = socket(AF_INET, SOCK_STREAM, 0);
	h_say("same dup2_3000=%d", dup2(t, 3000));
	close(t);
	h_say("same connect3000=%d", H_RES(h_connect_fd(3000, port)));
	t = accept(lis, NULL, NULL);
	h_opts("fd3000", 3000);
	h_setint(3000, IPPROTO_TCP, TCP_KEEPIDLE, 5);
	h_opts("fd3000_idle", 3000);
	close(t);
	/* Close everything from 1000 up, across pages, then reuse. */
	h_say("same close_range=%d", H_RES(h_close_range(1000, ~0U)));
	h_say("same after_range_closed=%d", fcntl(3000, F_GETFD) == -1 &&
	      errno == EBADF);
	c = h_client(port);
	a = accept(lis, NULL, NULL);
	h_say("same reused_client=%d reused_accepted=%d", c, a);
	h_opts("reused_out", c);
	close(a);
	close(c);
	close(lis);
	return 0;
}
