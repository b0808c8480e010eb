/* kashim — the dead-peer log: each dead-peer case gives exactly
 * one line, with every field right, through each kind of call, for IPv4
 * and IPv6, outbound and inbound, for each cause, and from the watcher;
 * a connection that ends normally or never starts gives none.
 *
 * Each case runs in its own network namespace.  The program under test is
 * build/tests/progs/log_peer (preloaded, KASHIM_LOG=stderr unless said
 * otherwise, IDLE/INTVL/CNT = 1/1/2 so a silent peer is dead after 3 s);
 * the test process itself is the other end of its connection, and makes
 * the peer dead with an nftables drop of the port.  Lines are read from
 * the program's stderr.  Measured times are printed as "MEASURE:" lines.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* Most cases: the line on stderr, the watcher off. */
static const char *const log_env[] = { "KASHIM_LOG=stderr", NULL };
/* The watcher cases: the line on stderr, the watcher on. */
static const char *const watch_env[] = { "KASHIM_LOG=stderr",
					 "KASHIM_WATCH=1", NULL };

/* The peer goes silent right after "up"; the program blocks in act. */
static void silent_case(const char *prog, const char *dir, const char *addr,
			const char *act, const struct kt_want *w)
{
	struct kt_rig r;
	long el;

	if (strchr(addr, ':') && !kt_have_ipv6()) {
		kt_skip(w->label, "no IPv6 on lo (::1) in the namespace");
		return;
	}
	kt_rig_start(&r, prog, dir, addr, act, NULL, log_env, 1);
	el = kt_rig_silent(&r, w, w->error, 3000);
	/* the line is written when the call reports: the call's own clock */
	ck_assert_msg(el >= KT_THEORY_MS - KT_EARLY_MS, "%s: elapsed %ld", w->label,
		      el);
	kt_rig_free(&r);
}

/* One row per kind of call: the program blocks in act on a connection in
 * direction dir over addr. */
static const struct {
	const char *label, *dir, *addr, *act;
} silent_rows[] = {
	{ "out IPv4 recv keepalive", "out", "127.0.0.1", "recv" },
	{ "out IPv6 recv keepalive", "out", "::1", "recv" },
	{ "in IPv4 read keepalive", "in", "127.0.0.1", "read" },
	{ "in IPv6 recv keepalive", "in", "::1", "recv" },
	{ "out IPv4 readv keepalive", "out", "127.0.0.1", "readv" },
	{ "in IPv4 recvmsg keepalive", "in", "127.0.0.1", "recvmsg" },
	/* "in0": accept() asked for no address, and kashim asks for none:
	 * the line's peer is read from the dead socket itself. */
	{ "in0 IPv4 recv keepalive", "in0", "127.0.0.1", "recv" },
	{ "in0 IPv6 read keepalive", "in0", "::1", "read" },
};

START_TEST(t_silent)
{
	const char *dir = silent_rows[_i].dir[0] == 'i' ? "in" : "out";
	const struct kt_want w = KT_WANT_KEEPALIVE(silent_rows[_i].label, dir);

	KT_NETNS();
	silent_case("log_peer", silent_rows[_i].dir, silent_rows[_i].addr,
		    silent_rows[_i].act, &w);
}
END_TEST

/* Run nm -u on a program (no shell: the path is an argument, not a
 * command line); 1 when it references sym. */
static int references(const char *path, const char *sym)
{
	char line[256];
	FILE *f;
	int found = 0, pfd[2], st;
	pid_t pid;

	ck_assert_msg(pipe(pfd) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (dup2(pfd[1], 1) < 0 || null < 0 || dup2(null, 2) < 0)
			_exit(127);
		close(pfd[0]);
		close(pfd[1]);
		close(null);
		execlp("nm", "nm", "-u", path, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	ck_assert_msg(f != NULL, "fdopen: %s", strerror(errno));
	while (fgets(line, sizeof line, f))
		if (strstr(line, sym))
			found = 1;
	fclose(f);
	ck_assert_msg(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		      WEXITSTATUS(st) == 0, "nm -u %s failed (binutils?)", path);
	return found;
}

/* read() in a program built with -O2 -D_FORTIFY_SOURCE=2 is glibc's
 * __read_chk: kashim must see it too. */
START_TEST(t_fortified_read)
{
	static const struct kt_want w =
		KT_WANT_KEEPALIVE("out IPv4 __read_chk keepalive", "out");

	ck_assert_msg(references(kt_prog("log_peer_fort"), "__read_chk"),
		      "log_peer_fort does not call __read_chk: the case "
		      "would prove nothing");
	ck_assert_msg(!references(kt_prog("log_peer"), "__read_chk"),
		      "log_peer calls __read_chk: the plain read case "
		      "would not test read()");
	KT_NETNS();
	silent_case("log_peer_fort", "out", "127.0.0.1", "read", &w);
}
END_TEST

/* The rest of the hooked calls, one row each: the reads on a silent peer
 * (keepalive), the writes on a peer that never reads (zero_window; the
 * failing call is the write itself).  Rows of log_peer_fort name the
 * fortified symbol the program must really call. */
struct call_row {
	const char *prog, *dir, *act, *arg, *chk, *cause;
	long late_ms;
};

static const struct call_row call_rows[] = {
	{ "log_peer", "out", "recvfrom", NULL, NULL, "keepalive", 0 },
	{ "log_peer", "in", "recvmmsg", NULL, NULL, "keepalive", 0 },
	{ "log_peer_fort", "out", "recv", NULL, "__recv_chk", "keepalive", 0 },
	{ "log_peer_fort", "in", "recvfrom", NULL, "__recvfrom_chk",
	  "keepalive", 0 },
	{ "log_peer", "out", "fill", "write", NULL, "zero_window", 6000 },
	{ "log_peer", "in", "fill", "writev", NULL, "zero_window", 6000 },
	{ "log_peer", "out", "fill", "sendto", NULL, "zero_window", 6000 },
	{ "log_peer", "in", "fill", "sendmsg", NULL, "zero_window", 6000 },
	{ "log_peer", "out", "fill", "sendmmsg", NULL, "zero_window", 6000 },
};

START_TEST(t_call_rows)
{
	const struct call_row *c = &call_rows[_i];
	char label[96];
	struct kt_want w;
	struct kt_rig r;
	int small = 4096;

	snprintf(label, sizeof label, "%s %s %s%s%s", c->prog, c->dir, c->act,
		 c->arg ? " " : "", c->arg ? c->arg : "");
	if (c->chk)
		ck_assert_msg(references(kt_prog(c->prog), c->chk),
			      "%s does not call %s", c->prog, c->chk);
	w = (struct kt_want){ label, c->dir, "ETIMEDOUT", c->cause,
			      KT_THEORY_MS, c->late_ms };
	KT_NETNS();
	kt_rig_start(&r, c->prog, c->dir, "127.0.0.1", c->act, c->arg, log_env,
		     1);
	if (c->arg)     /* a writer: the peer stays, reading nothing */
		setsockopt(r.cfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	else
		kt_drop_port();
	kt_rig_judge(&r, &w, r.t_up);
	kt_rig_result(&r, "ETIMEDOUT", 3000);
	kt_rig_free(&r);
}
END_TEST

/* An event loop: epoll_wait says EPOLLERR, the program reads SO_ERROR
 * (and so consumes it): the line comes from that getsockopt. */
START_TEST(t_epoll_so_error)
{
	static const struct kt_want w =
		KT_WANT_KEEPALIVE("out IPv4 epoll+SO_ERROR keepalive", "out");
	struct kt_rig r;

	KT_NETNS();
	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", "epoll", NULL, log_env,
		     1);
	kt_rig_silent(&r, &w, "ETIMEDOUT", 3000);
	ck_assert_msg(strstr(r.p.obuf, "so_error=1"),
		      "the program did not learn it through SO_ERROR: %s",
		      kt_tail(r.p.obuf));
	kt_rig_free(&r);
}
END_TEST

/* The program learns of the death from poll() (POLLERR) and closes the
 * socket without reading it: no call of it ever reports the errno, yet the
 * connection died: one line, at close(). */
START_TEST(t_poll_then_close)
{
	static const struct kt_want w =
		KT_WANT_KEEPALIVE("poll POLLERR then close", "out");
	struct kt_rig r;

	KT_NETNS();
	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", "pollclose", NULL,
		     log_env, 1);
	kt_rig_silent(&r, &w, "POLLERR", 3000);
	kt_rig_free(&r);
}
END_TEST

/* The watcher alone: the program sleeps and never touches the socket.
 * The line must come within theory + one watcher tick (500 ms) + margin;
 * then the program's own read still gets ETIMEDOUT (the watcher did not
 * consume the error) and no second line follows. */
static void watch_case(const char *dir, const char *addr, const char *label)
{
	struct kt_want w = { label, dir, "ETIMEDOUT", "keepalive",
			     KT_THEORY_MS, 500 + KT_MARGIN_MS };
	struct kt_rig r;
	struct kt_dead d;
	int bad;

	if (strchr(addr, ':') && !kt_have_ipv6()) {
		kt_skip(label, "no IPv6 on lo (::1) in the namespace");
		return;
	}
	kt_rig_start(&r, "log_peer", dir, addr, "idle", "7000", watch_env, 1);
	kt_rig_watched(&r, &w, 7000);
	kt_settle(&r.p, 700);
	ck_assert_msg(kt_dead_lines(r.p.ebuf, &d, 1, &bad) == 1,
		      "%s: a second line after the program's read:\n%s",
		      label, kt_tail(r.p.ebuf));
	kt_rig_free(&r);
}

START_TEST(t_watch_out4)
{
	KT_NETNS();
	watch_case("out", "127.0.0.1", "watcher out IPv4 idle");
}
END_TEST

START_TEST(t_watch_in6)
{
	KT_NETNS();
	watch_case("in", "::1", "watcher in IPv6 idle");
}
END_TEST

/* The peer is made dead by cut(), then the program writes: the death
 * clock starts at the write, and the program's write reports w->error. */
static void write_case(const struct kt_want *w, void (*cut)(void))
{
	struct kt_rig r;
	long t0;

	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", "write", NULL, log_env,
		     1);
	cut();
	t0 = kt_now_ms();
	ck_assert(kt_send(&r.p, "go\n") == 0);
	kt_rig_judge(&r, w, t0);
	kt_rig_result(&r, w->error, 3000);
	kt_rig_free(&r);
}

/* The peer's host answers every segment to KT_PORT with ICMP
 * host-unreachable. */
static void reject_unreachable(void)
{
	char err[512];

	ck_assert_msg(kt_nft("table inet kashim_test {\n chain in {\n"
			     "  type filter hook input priority 0;\n"
			     "  tcp dport 5555 reject with icmpx "
			     "host-unreachable\n }\n}\n", err,
			     sizeof err) == 0, "nft: %s", err);
}

/* The peer vanishes without a word: the path is dropped, then the test's
 * end is aborted (its RST dropped too), so no state is left of it. */
static void peer_vanishes(struct kt_rig *r)
{
	kt_drop_port();
	kt_abort(r->cfd);
	r->cfd = -1;
}

/* cause=user_timeout: the peer goes silent, then the program writes; its
 * data is retransmitted until TCP_USER_TIMEOUT (auto: 3000 ms). */
START_TEST(t_cause_user_timeout)
{
	static const struct kt_want w = { "user_timeout: unacked data", "out",
				       "ETIMEDOUT", "user_timeout",
				       KT_THEORY_MS, 0 };

	KT_NETNS();
	write_case(&w, kt_drop_port);
}
END_TEST

/* cause=zero_window: the peer is alive but never reads; the program
 * writes until blocked; the peer's window stays 0 past the user timeout.
 * The kernel's zero-window probe backoff (200 ms doubling) decides when
 * after 3 s, hence the wider late allowance. */
START_TEST(t_cause_zero_window)
{
	static const struct kt_want w = { "zero_window: peer not reading",
					  "out", "ETIMEDOUT", "zero_window",
					  KT_THEORY_MS, 6000 };
	struct kt_rig r;
	int small = 4096;

	KT_NETNS();
	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", "fill", NULL, log_env,
		     1);
	setsockopt(r.cfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	kt_rig_judge(&r, &w, r.t_up);
	kt_rig_result(&r, "ETIMEDOUT", 3000);
	kt_rig_free(&r);
}
END_TEST

/* The peer vanishes and is back without state before the first keepalive
 * probe (env sets IDLE=3): the probe meets an RST; the program, blocked in
 * act (arg), reads ECONNRESET within ms. */
static void reset_case(const char *const *env, const struct kt_want *w,
		       const char *act, const char *arg, int ms)
{
	struct kt_rig r;

	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", act, arg, env, 1);
	peer_vanishes(&r);
	kt_undrop_port();
	ck_assert_msg(kt_now_ms() - r.t_up < 2500,
		      "setup took longer than IDLE: the case proves nothing");
	kt_rig_judge(&r, w, r.t_up);
	kt_rig_result(&r, "ECONNRESET", ms);
	kt_rig_free(&r);
}

/* cause=reset: the peer vanishes (its RST is dropped) and comes back
 * without state; the first keepalive probe (IDLE=3) meets an RST. */
START_TEST(t_cause_reset)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_IDLE=3", NULL };
	static const struct kt_want w = { "reset: peer back without state",
				       "out", "ECONNRESET", "reset", 3000, 0 };

	KT_NETNS();
	reset_case(env, &w, "recv", NULL, 3000);
}
END_TEST

/* cause=unreachable: the peer's host answers the program's data with ICMP
 * host-unreachable (a keepalive probe cannot show this: the kernel ignores
 * ICMP quoting a sequence number outside the window, and a probe's is
 * snd_una - 1); at the user timeout the kernel reports EHOSTUNREACH. */
START_TEST(t_cause_unreachable)
{
	static const struct kt_want w = { "unreachable: ICMP host unreachable",
					  "out", "EHOSTUNREACH", "unreachable",
					  KT_THEORY_MS, 0 };

	KT_NETNS();
	write_case(&w, reject_unreachable);
}
END_TEST

/* The watcher, cause=reset: the peer vanishes (its RST dropped) and is back
 * without state before the first probe (IDLE=3): the probe meets an RST.
 * The program sleeps; the watcher's line must say what the program later
 * reads: ECONNRESET, reset. */
START_TEST(t_watch_reset_first_probe)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", "KASHIM_IDLE=3",
					   NULL };
	static const struct kt_want w = { "watcher reset at the 1st probe",
					  "out", "ECONNRESET", "reset", 3000,
					  500 + KT_MARGIN_MS };

	KT_NETNS();
	reset_case(env, &w, "idle", "7000", 7000);
}
END_TEST

/* The same, but the peer is back only after the first probe was lost: the
 * last probe (CNT=2, INTVL=2: at 1 s and 3 s; the count would end at 5 s)
 * meets the RST.  The kernel reports ECONNRESET; so must the watcher. */
START_TEST(t_watch_reset_last_probe)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", "KASHIM_INTVL=2",
					   NULL };
	static const struct kt_want w = { "watcher reset at the last probe",
					  "out", "ECONNRESET", "reset", 3000,
					  500 + KT_MARGIN_MS };
	struct kt_rig r;

	KT_NETNS();
	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", "idle", "8000", env, 1);
	peer_vanishes(&r);
	ck_assert_msg(kt_now_ms() - r.t_up < 800, "the drop came after the "
		      "first probe (%ld ms): the case proves nothing",
		      kt_now_ms() - r.t_up);
	kt_sleep_ms(2000 - (kt_now_ms() - r.t_up));    /* probe 1 lost */
	kt_undrop_port();
	ck_assert_msg(kt_now_ms() - r.t_up < 2700, "setup too slow");
	kt_rig_judge(&r, &w, r.t_up);
	kt_rig_result(&r, "ECONNRESET", 8000);
	kt_rig_free(&r);
}
END_TEST

/* A program with many fds: the socket at fd 15000 (beyond the table's
 * first page), found by the hooks and by the watcher. */
START_TEST(t_high_fd_recv)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "LOG_PEER_MOVE_FD=15000", NULL };
	static const struct kt_want w = KT_WANT_KEEPALIVE("fd 15000 recv", "out");
	struct kt_rig r;

	KT_NETNS();
	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", "recv", NULL, env, 1);
	ck_assert_int_eq(r.fd, 15000);
	kt_rig_silent(&r, &w, "ETIMEDOUT", 3000);
	kt_rig_free(&r);
}
END_TEST

START_TEST(t_high_fd_watch)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1",
					   "LOG_PEER_MOVE_FD=15000", NULL };
	static const struct kt_want w = { "fd 15000 watcher", "out",
					  "ETIMEDOUT", "keepalive",
					  KT_THEORY_MS, 500 + KT_MARGIN_MS };
	struct kt_rig r;

	KT_NETNS();
	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", "idle", "7000", env, 1);
	ck_assert_int_eq(r.fd, 15000);
	kt_rig_watched(&r, &w, 7000);
	kt_rig_free(&r);
}
END_TEST

/* KASHIM_LOG=stderr, but the program has put its own file on fd 2 (dup2,
 * as daemons do): kashim's line must not land in that file. */
START_TEST(t_stderr_redirected)
{
	char path[64], envs[100], *text;
	const char *env[] = { "KASHIM_LOG=stderr", "KASHIM_WATCH=1", envs,
			      NULL };
	struct kt_rig r;
	size_t n;

	KT_NETNS();
	strcpy(path, "/tmp/kashim-log-XXXXXX");
	ck_assert(mkdtemp(path) != NULL);
	strcat(path, "/err");
	snprintf(envs, sizeof envs, "LOG_PEER_STDERR_TO=%s", path);
	kt_rig_recv_timeout(&r, env);
	kt_wait(&r.p, 3000);
	text = kt_read_file(path, &n);
	ck_assert(text != NULL);
	ck_assert_msg(n == 0, "the program's own fd 2 file got:\n%s", text);
	ck_assert_msg(strstr(r.p.ebuf, "kashim") == NULL, "%s", kt_tail(r.p.ebuf));
	free(text);
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
	kt_rig_free(&r);
}
END_TEST

/* A program name with a blank and a quote is written logfmt-quoted, so it
 * cannot forge fields: prog="my \"prog" (here through a symlink: the name
 * is argv[0]'s). */
START_TEST(t_prog_name_quoted)
{
	char dir[64], link[128];
	const char *argv[] = { link, "out", "127.0.0.1", "5555", "recv", NULL };
	struct kt_env e;
	struct kt_proc p;
	int lfd, c;

	KT_NETNS();
	strcpy(dir, "/tmp/kashim-log-XXXXXX");
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(link, sizeof link, "%s/my \"prog", dir);
	ck_assert(symlink(kt_prog("log_peer"), link) == 0);
	lfd = kt_listener("127.0.0.1", KT_PORT, NULL);
	kt_rig_env(&e, 1, log_env);
	ck_assert(kt_spawn(&p, (char *const *)argv, e.v, NULL, 0) == 0);
	c = kt_accept(lfd, 5000);
	ck_assert(c >= 0);
	ck_assert(kt_wait_line(&p, "up ", 5000, NULL, 0) == 0);
	kt_drop_port();
	ck_assert_msg(kt_wait_text(&p, 2, "peer dead", KT_THEORY_MS +
				   KT_MARGIN_MS + 2000) == 0, "%s",
		      kt_tail(p.ebuf));
	kt_settle(&p, 300);
	ck_assert_msg(strstr(p.ebuf, ": peer dead prog=\"my \\\"prog\" fd="),
		      "not quoted: %s", kt_tail(p.ebuf));
	ck_assert_int_eq(kt_count_lines(p.ebuf, "peer dead"), 1);
	kt_proc_free(&p);
	kt_env_free(&e);
	close(c);
	close(lfd);
	unlink(link);
	rmdir(dir);
}
END_TEST

/* ---- nothing to log ------------------------------------------------------ */

static void assert_no_line(struct kt_rig *r, const char *label)
{
	ck_assert_msg(kt_count_lines(r->p.ebuf, "peer dead") == 0,
		      "%s: a line was logged:\n%s", label, kt_tail(r->p.ebuf));
}

/* The peer closes normally: the program reads EOF, closes; the watcher is
 * on and looks for 2 s more.  Nothing. */
START_TEST(t_peer_closes_nothing)
{
	struct kt_rig r;

	KT_NETNS();
	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", "eof", NULL, watch_env,
		     1);
	close(r.cfd);
	r.cfd = -1;
	kt_rig_result(&r, "EOF", 3000);
	kt_settle(&r.p, KT_THEORY_MS + 1000);
	assert_no_line(&r, "peer closed");
	kt_rig_free(&r);
}
END_TEST

/* The program closes normally, then the peer's port is dropped: whatever
 * happens to the peer's socket, the program has nothing to log. */
START_TEST(t_prog_closes_nothing)
{
	struct kt_rig r;

	KT_NETNS();
	kt_rig_start(&r, "log_peer", "in", "127.0.0.1", "close", NULL,
		     watch_env, 1);
	ck_assert(kt_send(&r.p, "close\n") == 0);
	ck_assert(kt_wait_line(&r.p, "closed", 3000, NULL, 0) == 0);
	kt_drop_port();
	kt_settle(&r.p, KT_THEORY_MS + 1500);
	assert_no_line(&r, "program closed");
	kt_rig_free(&r);
}
END_TEST

/* A connection never established logs nothing: refused, and timed out
 * in SYN_SENT (KASHIM_SYNCNT=1: SYN at 0 and 1 s, ETIMEDOUT at ~3 s), with
 * the watcher looking all along. */
static void connfail_case(int dropped, const char *want)
{
	const char *argv[] = { kt_prog("log_peer"), "connfail", "127.0.0.1",
			       "5555", "8000", NULL };
	struct kt_env e;
	struct kt_proc p;
	char res[32];

	kt_env_init(&e, 1);
	kt_env_add(&e, "KASHIM_LOG=stderr");
	kt_env_add(&e, "KASHIM_WATCH=1");
	kt_env_add(&e, "KASHIM_SYNCNT=1");
	if (dropped)
		kt_drop_port();
	ck_assert(kt_run(&p, (char *const *)argv, e.v, NULL, 0, 15000) == 0);
	kt_assert_preloaded(&p);
	ck_assert_msg(kt_kv(p.obuf, "connecting", "errno", res,
			    sizeof res) == 0 && strcmp(res, "EINPROGRESS") == 0,
		      "connect: %s", kt_tail(p.obuf));
	ck_assert_msg(strstr(p.obuf, want) != NULL, "want %s: %s", want,
		      kt_tail(p.obuf));
	ck_assert_msg(kt_count_lines(p.ebuf, "peer dead") == 0,
		      "a connection never established was logged (%s):\n%s",
		      want, kt_tail(p.ebuf));
	kt_proc_free(&p);
	kt_env_free(&e);
}

START_TEST(t_connect_refused_nothing)
{
	KT_NETNS();
	connfail_case(0, "result=ECONNREFUSED");
}
END_TEST

START_TEST(t_connect_timeout_nothing)
{
	KT_NETNS();
	connfail_case(1, "result=ETIMEDOUT");
}
END_TEST

/* A SYN answered by ICMP host-unreachable: SO_ERROR is EHOSTUNREACH (a
 * dead-peer errno, through the getsockopt hook), but the connection never
 * existed: nothing. */
START_TEST(t_connect_unreachable_nothing)
{
	KT_NETNS();
	reject_unreachable();
	connfail_case(0, "result=EHOSTUNREACH");
}
END_TEST

/* ---- the same cases, proven able to fail --------------------------------- */

/* KASHIM_LOG unset: kashim still configures (the program gets ETIMEDOUT)
 * but writes no line. */
START_TEST(t_control_log_off)
{
	static const char *const env[] = { "KASHIM_WATCH=1", NULL };
	struct kt_rig r;

	KT_NETNS();
	kt_rig_recv_timeout(&r, env);
	kt_settle(&r.p, 700);
	ck_assert_msg(strstr(r.p.ebuf, "kashim") == NULL,
		      "KASHIM_LOG unset, yet: %s", kt_tail(r.p.ebuf));
	kt_rig_free(&r);
}
END_TEST

/* Without the preload: no line, and the program is still blocked. */
START_TEST(t_control_no_preload)
{
	struct kt_rig r;

	KT_NETNS();
	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", "recv", NULL,
		     watch_env, 0);
	kt_drop_port();
	kt_settle(&r.p, KT_THEORY_MS + KT_MARGIN_MS);
	ck_assert_msg(kt_running(&r.p) && !strstr(r.p.obuf, "result="),
		      "without kashim the program learnt it: %s", kt_tail(r.p.obuf));
	assert_no_line(&r, "no preload");
	kt_rig_free(&r);
}
END_TEST

/* ---- KASHIM_DEBUG ---------------------------------------------------------- */

/* KASHIM_DEBUG=1 with KASHIM_LOG off: a "configured" line per decision and
 * the dead-peer line, both on stderr. */
START_TEST(t_debug_configured)
{
	static const char *const env[] = { "KASHIM_DEBUG=1", NULL };
	static const struct kt_want w =
		KT_WANT_KEEPALIVE("debug: dead line with log off", "out");
	const char *line;
	char want[256];
	struct kt_rig r;

	KT_NETNS();
	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", "recv", NULL, env, 1);
	snprintf(want, sizeof want, "kashim[%ld]: configured prog=log_peer "
		 "fd=%d dir=out peer=%s idle=1 intvl=1 cnt=2 "
		 "user_timeout=3000 options_set=", r.pid, r.fd, r.peer);
	ck_assert_msg(kt_wait_text(&r.p, 2, want, 2000) == 0,
		      "no '%s...' in:\n%s", want, kt_tail(r.p.ebuf));
	line = strstr(r.p.ebuf, want) + strlen(want);
	ck_assert_msg(atoi(line) == 5 && line[1] == '\n',
		      "options_set: SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, "
		      "TCP_KEEPCNT and TCP_USER_TIMEOUT make 5:\n%s", kt_tail(r.p.ebuf));
	kt_drop_port();
	kt_rig_judge(&r, &w, r.t_up);
	kt_rig_free(&r);
}
END_TEST

/* The program's outbound connection was left alone for reason: its
 * "skipped" debug line says so. */
static void assert_skipped(struct kt_rig *r, const char *reason)
{
	char want[256];

	snprintf(want, sizeof want, "kashim[%ld]: skipped prog=log_peer "
		 "fd=%d dir=out peer=%s reason=%s\n", r->pid, r->fd, r->peer,
		 reason);
	ck_assert_msg(kt_wait_text(&r->p, 2, want, 2000) == 0,
		      "no '%s' in:\n%s", want, kt_tail(r->p.ebuf));
}

/* A connection left alone by a filter: "skipped ... reason=ports", and
 * no dead-peer line for it (it was never configured: it does not die). */
START_TEST(t_debug_skipped)
{
	static const char *const env[] = { "KASHIM_DEBUG=1",
					   "KASHIM_LOG=stderr",
					   "KASHIM_PORTS=!5555", NULL };
	struct kt_rig r;

	KT_NETNS();
	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", "recv", NULL, env, 1);
	assert_skipped(&r, "ports");
	ck_assert_msg(strstr(r.p.ebuf, "configured") == NULL, "%s",
		      kt_tail(r.p.ebuf));
	kt_rig_free(&r);
}
END_TEST

START_TEST(t_debug_skipped_direction)
{
	static const char *const env[] = { "KASHIM_DEBUG=1",
					   "KASHIM_DIRECTION=in", NULL };
	struct kt_rig r;

	KT_NETNS();
	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", "recv", NULL, env, 1);
	assert_skipped(&r, "direction");
	kt_rig_free(&r);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *calls = kt_tcase(s, "calls", 30);
	TCase *causes = kt_tcase(s, "causes", 30);
	TCase *none = kt_tcase(s, "nothing", 30);
	TCase *debug = kt_tcase(s, "debug", 30);

	tcase_add_loop_test(calls, t_silent, 0, KT_N(silent_rows));
	tcase_add_test(calls, t_fortified_read);
	tcase_add_test(calls, t_epoll_so_error);
	tcase_add_test(calls, t_poll_then_close);
	tcase_add_loop_test(calls, t_call_rows, 0, KT_N(call_rows));
	tcase_add_test(calls, t_watch_out4);
	tcase_add_test(calls, t_watch_in6);
	tcase_add_test(calls, t_watch_reset_first_probe);
	tcase_add_test(calls, t_watch_reset_last_probe);
	tcase_add_test(calls, t_high_fd_recv);
	tcase_add_test(calls, t_high_fd_watch);
	tcase_add_test(calls, t_stderr_redirected);
	tcase_add_test(calls, t_prog_name_quoted);

	tcase_add_test(causes, t_cause_user_timeout);
	tcase_add_test(causes, t_cause_zero_window);
	tcase_add_test(causes, t_cause_reset);
	tcase_add_test(causes, t_cause_unreachable);

	tcase_add_test(none, t_peer_closes_nothing);
	tcase_add_test(none, t_prog_closes_nothing);
	tcase_add_test(none, t_connect_refused_nothing);
	tcase_add_test(none, t_connect_timeout_nothing);
	tcase_add_test(none, t_connect_unreachable_nothing);
	tcase_add_test(none, t_control_log_off);
	tcase_add_test(none, t_control_no_preload);

	tcase_add_test(debug, t_debug_configured);
	tcase_add_test(debug, t_debug_skipped);
	tcase_add_test(debug, t_debug_skipped_direction);
	return s;
}

int main(void)
{
	return kt_main(log_suite());
}
