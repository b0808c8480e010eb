/* hostile: dup2() and friends over tracked sockets.
 *
 * kashim's fd table copies an entry on dup/dup2/dup3/fcntl(F_DUPFD) and
 * clears the target of a dup2.  Each step below is followed by a probe
 * that tells whether kashim still knows the socket behind the number:
 * setting TCP_KEEPIDLE on a socket kashim configured makes it recompute
 * TCP_USER_TIMEOUT (auto) as (IDLE + 10*6)*1000.
 *
 * Output: "same ..." results and errnos of every call, "opt ..." per probe.
 */
#include <fcntl.h>

#include "hostile.h"

static int lis, port;

static int accepted(void)
{
	int a = accept(lis, NULL, NULL);

	if (a < 0)
		die("accept");
	return a;
}

/* dup2(fd, fd) "does nothing" (dup(2)): the entry must survive. */
static void self_dup(void)
{
	int c = h_client(port), a = accepted();

	h_say("same dup2_self=%d", dup2(c, c) == c);
	h_setint(c, IPPROTO_TCP, TCP_KEEPIDLE, 5);
	h_opts("self", c);
	close(a);
	close(c);
}

/* A UDP socket dup2'ed over a TCP connection: the number is UDP now and
 * kashim must leave it alone (a connect sets nothing, errors are UDP's). */
static void udp_over_tcp(void)
{
	int c = h_client(port), a = accepted();
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = prog_loopback4(port);

	h_say("same udp_over_tcp=%d", dup2(u, c) == c);
	h_say("same udp_connect=%d",
	      H_RES(connect(c, (struct sockaddr *)&sa, sizeof sa)));
	h_say("same udp_keepalive=%d", h_getopt(c, SOL_SOCKET, SO_KEEPALIVE));
	h_say("same udp_setidle=%d",
	      H_RES(h_setint(c, IPPROTO_TCP, TCP_KEEPIDLE, 5)));
	close(u);
	close(c);
	close(a);
}

/* A fresh TCP socket dup2'ed high, connected through the copy only. */
static void connect_through_copy(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0), a;

	h_say("same dup2_high=%d", dup2(t, 50));
	close(t);
	h_say("same connect50=%d", H_RES(h_connect_fd(50, port)));
	a = accepted();
	h_opts("fd50", 50);
	close(50);
	close(a);
}

/* dup3 and fcntl(F_DUPFD): options set through a copy count for all. */
static void copies(void)
{
	int c = h_client(port), a = accepted();

	h_say("same dup3=%d", dup3(c, 60, O_CLOEXEC));
	h_say("same f_dupfd=%d", fcntl(c, F_DUPFD, 70));
	h_say("same f_dupfd_cloexec=%d", fcntl(c, F_DUPFD_CLOEXEC, 80));
	close(c);                       /* the copies live on */
	h_setint(70, IPPROTO_TCP, TCP_KEEPIDLE, 7);
	h_opts("via60", 60);
	close(80);
	h_setint(60, IPPROTO_TCP, TCP_KEEPINTVL, 2);
	h_opts("via70", 70);
	close(60);
	close(70);
	close(a);
}

/* A pipe over a connection: no socket calls succeed on it any more. */
static void pipe_over_tcp(void)
{
	int c = h_client(port), a = accepted(), p[2];

	if (pipe(p) != 0)
		die("pipe");
	h_say("same pipe_over_tcp=%d", dup2(p[1], c) == c);
	h_say("same pipe_connect=%d", H_RES(h_connect_fd(c, port)));
	h_say("same pipe_setidle=%d",
	      H_RES(h_setint(c, IPPROTO_TCP, TCP_KEEPIDLE, 5)));
	h_say("same pipe_write=%zd", write(c, "x", 1));
	close(p[0]);
	close(p[1]);
	close(c);
	close(a);
}

/* Errors are the kernel's, unchanged. */
static void errors(void)
{
	int c = socket(AF_INET, SOCK_STREAM, 0), r;

	errno = 0;
	r = dup2(c, -1);
	h_say("same dup2_neg=%d errno=%d", r, errno);
	errno = 0;
	r = dup2(987, 5);
	h_say("same dup2_bad=%d errno=%d", r, errno);
	errno = 0;
	r = dup2(c, 1 << 30);
	h_say("same dup2_huge=%d errno=%d", r, errno);
	errno = 0;
	r = dup3(c, c, 0);
	h_say("same dup3_same=%d errno=%d", r, errno);
	errno = 0;
	r = fcntl(c, F_DUPFD, -1);
	h_say("same dupfd_neg=%d errno=%d", r, errno);
	errno = 0;
	r = dup(986);
	h_say("same dup_bad=%d errno=%d", r, errno);
	errno = 0;
	r = dup2(985, 985);
	h_say("same dup2_self_bad=%d errno=%d", r, errno);
	errno = 1234;
	r = dup2(c, c);
	h_say("same dup_ok=%d errno=%d", r == c, errno);
	close(c);
}

int main(void)
{
	lis = h_listener(&port);
	self_dup();
	udp_over_tcp();
	connect_through_copy();
	copies();
	pipe_over_tcp();
	errors();
	close(lis);
	return 0;
}
