/* hostile: vfork() and exec, with the child editing fds first.
 *
 * A vfork child shares the parent's memory, kashim's fd table included,
 * until it execs.  Here it closes a tracked connection and dup2()s the
 * listener over its number (what posix_spawn file actions and shells do),
 * then execs itself (argv[0], a full path: /proc/self/exe would be
 * valgrind under check-valgrind), which exits 7 (itself, not /bin/sh: under
 * check-musl the preloaded library is a musl one, which a glibc program
 * such as sh cannot load).  In the kernel those edits are the
 * child's alone, so kashim's table must keep describing the parent's
 * sockets: after the child is gone the parent sets TCP_KEEPIDLE on the
 * connection, and kashim (which knows it configured that socket) must
 * recompute TCP_USER_TIMEOUT from it (SPEC: auto uses the program's own
 * values): ut = (5 + 10*6) * 1000 = 65000 under the preload.
 *
 * Output: "same child status=7", "same parent echo=1", "opt after ...".
 */
#include <sys/wait.h>

#include "hostile.h"

int main(int argc, char **argv)
{
	int lis, port, c, a, status = -1, echo;
	char buf[4];
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "exit7") == 0)
		return 7;               /* the exec'ed child */
	lis = h_listener(&port);
	c = h_client(port);
	a = accept(lis, NULL, NULL);
	if (a < 0)
		die("accept");
	pid = vfork();
	if (pid < 0)
		die("vfork");
	if (pid == 0) {
		close(c);
		dup2(lis, c);
		close(a);
		execl(argv[0], argv[0], "exit7", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	h_say("same child status=%d", WIFEXITED(status) ? WEXITSTATUS(status)
						      : -1);
	echo = write(c, "ping", 4) == 4 && read(a, buf, 4) == 4;
	h_say("same parent echo=%d", echo);
	h_opts("before", c);
	h_say("same setidle=%d", H_RES(h_setint(c, IPPROTO_TCP, TCP_KEEPIDLE, 5)));
	h_opts("after", c);
	close(a);
	close(c);
	close(lis);
	return 0;
}
