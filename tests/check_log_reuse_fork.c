/* kashim — the dead-peer line names the right socket when fds and
 * processes change hands: fd reuse (close, fclose of an fdopen'ed socket,
 * dup2), fork, vfork (and Python's subprocess), and threads racing
 * close/accept under the watcher.
 *
 * As in check_log.c: one network namespace per case, the test process is
 * the other end of every connection (testlib's rig), IDLE/INTVL/CNT =
 * 1/1/2.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define PORT2 5556

/* The "TAG ... key=value" of the line of text that starts with TAG and
 * has pid=PID. */
static int kv_of_pid(const char *text, const char *tag, long pid,
		     const char *key, char *val, size_t cap)
{
	char pat[64];
	const char *s = text;

	snprintf(pat, sizeof pat, "%s pid=%ld ", tag, pid);
	while (s && *s) {
		if (strncmp(s, pat, strlen(pat)) == 0)
			return kt_kv(s, tag, key, val, cap);
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return -1;
}

/* ---- fd reuse ---------------------------------------------------------- */

/* Start a program that makes two connections: A to KT_PORT, B to PORT2
 * (after a stdin line when go != NULL).  *a, *b: the test's ends. */
static void two_conns(struct kt_proc *p, const char *const *argv,
		      const char *const *env, int *a, int *b, const char *go,
		      long waitms)
{
	int l1 = kt_listener("127.0.0.1", KT_PORT, NULL);
	int l2 = kt_listener("127.0.0.1", PORT2, NULL);

	ck_assert(l1 >= 0 && l2 >= 0);
	kt_rig_spawn(p, argv, env);
	*a = kt_accept(l1, 5000);
	ck_assert_msg(*a >= 0, "no A: %s", kt_tail(p->ebuf));
	ck_assert(kt_wait_line(p, "up ", 5000, NULL, 0) == 0);
	if (go) {
		kt_drop_port();
		kt_sleep_ms(waitms);
		ck_assert(kt_send(p, go) == 0);
	}
	*b = kt_accept(l2, 5000);
	ck_assert_msg(*b >= 0, "no B: %s", kt_tail(p->ebuf));
	ck_assert_msg(kt_wait_line(p, "up2 ", 5000, NULL, 0) == 0,
		      "no up2: %s %s", kt_tail(p->obuf), kt_tail(p->ebuf));
	close(l1);
	close(l2);
}

/* The line (exactly one) is about the connection on the "up2" line. */
static void judge_b(struct kt_proc *p, const char *label, int nlines)
{
	struct kt_dead d[4];
	char local[80], fd[16];
	int bad, n;

	ck_assert_msg(kt_wait_text(p, 2, "peer=127.0.0.1:5556", 5000) == 0,
		      "%s: no line for B:\n%s", label, kt_tail(p->ebuf));
	kt_settle(p, KT_SETTLE_MS);
	n = kt_dead_lines(p->ebuf, d, 4, &bad);
	ck_assert_msg(n == nlines && bad == 0, "%s: %d lines, want %d:\n%s",
		      label, n, nlines, kt_tail(p->ebuf));
	ck_assert(kt_kv(p->obuf, "up2", "local", local, sizeof local) == 0);
	ck_assert(kt_kv(p->obuf, "up2", "fd", fd, sizeof fd) == 0);
	ck_assert_str_eq(d[n - 1].peer, "127.0.0.1:5556");
	ck_assert_str_eq(d[n - 1].local, local);
	ck_assert_int_eq(d[n - 1].fd, atoi(fd));
	ck_assert_str_eq(d[n - 1].error, "ECONNRESET");
	ck_assert_str_eq(d[n - 1].cause, "reset");
	ck_assert_msg(d[n - 1].age_ms < 1500, "%s: age %ld ms: A's age?",
		      label, d[n - 1].age_ms);
	ck_assert(kt_wait_line(p, "result=ECONNRESET", 3000, NULL, 0) == 0);
}

/* A dies and is closed; B gets its fd number and is reset: its line is
 * B's own, nothing of A's.
 *   - without the watcher, kashim writes A's line as the program closes A
 *     (the kernel had ended it with an error nobody read);
 *   - with it, the watcher logs A's death, and B on the same number still
 *     gets its own line: the "logged" mark of A did not stick to the fd
 *     number. */
struct reuse_close_row {
	const char *label, *missing;
	const char *const env[3];
	long wait_ms;           /* after A's drop, before "next" */
	const char *a_error;    /* A's error, or NULL: not checked */
	int same_number;        /* check that B had A's number */
};

static const struct reuse_close_row reuse_close_rows[] = {
	{ "close then reuse", "A was not logged at close",
	  { "KASHIM_LOG=stderr", NULL }, KT_THEORY_MS + 1000, "ETIMEDOUT", 1 },
	{ "close then reuse, watcher", "the watcher did not log A",
	  { "KASHIM_LOG=stderr", "KASHIM_WATCH=1", NULL },
	  KT_THEORY_MS + 500 + KT_MARGIN_MS, NULL, 0 },
};

START_TEST(t_reuse_close)
{
	const char *argv[] = { kt_prog("log_peer"), "reuse", "127.0.0.1",
			       "5555", "5556", NULL };
	const struct reuse_close_row *row = &reuse_close_rows[_i];
	struct kt_dead d;
	struct kt_proc p;
	char local[80];
	int a, b, bad;

	KT_NETNS();
	two_conns(&p, argv, row->env, &a, &b, "next\n", row->wait_ms);
	ck_assert_msg(kt_dead_lines(p.ebuf, &d, 1, &bad) == 1 && bad == 0,
		      "%s:\n%s", row->missing, kt_tail(p.ebuf));
	ck_assert(kt_kv(p.obuf, "up", "local", local, sizeof local) == 0);
	ck_assert_str_eq(d.local, local);
	ck_assert_str_eq(d.peer, "127.0.0.1:5555");
	if (row->a_error)
		ck_assert_str_eq(d.error, row->a_error);
	kt_abort(b);
	judge_b(&p, row->label, 2);
	if (row->same_number)
		ck_assert(strstr(p.ebuf, "fd ") == NULL);
	kt_proc_free(&p);
	close(a);
}
END_TEST

/* fdopen + fclose: libc closes A behind the hooks; B = socket() on the
 * same number: the line is B's. */
static void judge_fclose_socket(struct kt_proc *p, int a, int b)
{
	(void)a; /* unused */
	kt_abort(b);
	judge_b(p, "fclose then socket()", 1);
	ck_assert(strstr(p->ebuf, "fd ") == NULL);
}

/* fdopen + fclose, then a socket kashim never saw (raw syscalls) on that
 * number is reset: kashim did not configure it, and A's stale entry must
 * not produce a line about A (nor about B). */
static void judge_fclose_syscall(struct kt_proc *p, int a, int b)
{
	(void)a; /* unused */
	ck_assert(strstr(p->ebuf, "fd ") == NULL);
	kt_abort(b);
	ck_assert(kt_wait_line(p, "result=ECONNRESET", 3000, NULL, 0) == 0);
	kt_settle(p, KT_SETTLE_MS);
	ck_assert_msg(kt_count_lines(p->ebuf, "peer dead") == 0,
		      "a stale line:\n%s", kt_tail(p->ebuf));
}

/* dup2(B, A): A's number now holds B; B's reset gives one line, B's (its
 * peer, local address and age), on A's number. */
static void judge_dup2(struct kt_proc *p, int a, int b)
{
	kt_abort(b);
	judge_b(p, "dup2 over a tracked socket", 1);
	kt_abort(a);            /* A itself was closed by dup2: nothing */
	kt_settle(p, KT_SETTLE_MS);
	ck_assert_int_eq(kt_count_lines(p->ebuf, "peer dead"), 1);
}

/* "log_peer ACT 127.0.0.1 5555 5556 [HOW]" with the watcher, both
 * connections up at once; then the row's judge. */
static const struct {
	const char *act, *how;
	void (*judge)(struct kt_proc *p, int a, int b);
	int close_a;            /* the test's end of A is still open */
} reuse_rows[] = {
	{ "fclose", "socket", judge_fclose_socket, 1 },
	{ "fclose", "syscall", judge_fclose_syscall, 1 },
	{ "dup2", NULL, judge_dup2, 0 },
};

START_TEST(t_reuse)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", NULL };
	const char *argv[] = { kt_prog("log_peer"), reuse_rows[_i].act,
			       "127.0.0.1", "5555", "5556", reuse_rows[_i].how,
			       NULL };
	struct kt_proc p;
	int a, b;

	KT_NETNS();
	two_conns(&p, argv, env, &a, &b, NULL, 0);
	reuse_rows[_i].judge(&p, a, b);
	kt_proc_free(&p);
	if (reuse_rows[_i].close_a)
		close(a);
}
END_TEST

/* ---- fork and vfork ---------------------------------------------------- */

/* fork: the child closes the inherited socket and makes its own; both
 * processes' connections die: two lines, one per process, each with its
 * own local address.  ACT "recv": found by the hooks; "idle": by each
 * process's watcher (the child's is restarted after fork). */
static void fork_case(const char *act, const char *const *env)
{
	const char *argv[] = { kt_prog("log_peer"), "fork", "127.0.0.1",
			       "5555", act, "7000", NULL };
	struct kt_dead d[4];
	struct kt_proc p;
	long pids[2] = { -1, -1 }, t0;
	int lfd, c[3], bad, n;
	const char *s;

	KT_NETNS();
	lfd = kt_listener("127.0.0.1", KT_PORT, NULL);
	kt_rig_spawn(&p, argv, env);
	c[0] = kt_accept(lfd, 5000);
	c[1] = kt_accept(lfd, 5000);
	ck_assert_msg(c[0] >= 0 && c[1] >= 0, "connections: %s", kt_tail(p.ebuf));
	for (long end = kt_now_ms() + 5000;
	     kt_count_lines(p.obuf, "up pid=") < 2 && kt_now_ms() < end;)
		kt_settle(&p, 20);
	ck_assert_msg(kt_count_lines(p.obuf, "up pid=") == 2, "%s", kt_tail(p.obuf));
	s = p.obuf;
	for (int i = 0; i < 2; i++) {
		s = strstr(s, "up pid=");
		pids[i] = atol(s + 7);
		s++;
	}
	kt_drop_port();
	t0 = kt_now_ms();
	for (long end = t0 + KT_THEORY_MS + KT_MARGIN_MS + 1000;
	     kt_count_lines(p.ebuf, "peer dead") < 2 && kt_now_ms() < end;)
		kt_settle(&p, 20);
	printf("MEASURE: fork %s: theory %d ms, 2nd line after %ld ms\n",
	       act, KT_THEORY_MS, kt_now_ms() - t0);
	if (strcmp(act, "idle") == 0)
		ck_assert_msg(strstr(p.obuf, "woke") == NULL,
			      "woke before the watchers logged");
	ck_assert(kt_wait(&p, 10000) == 0);
	n = kt_dead_lines(p.ebuf, d, 4, &bad);
	ck_assert_msg(n == 2 && bad == 0, "%d lines, want 2:\n%s", n, kt_tail(p.ebuf));
	ck_assert_msg(d[0].pid != d[1].pid, "both lines from one process");
	for (int i = 0; i < 2; i++) {
		char local[80];

		ck_assert_msg(d[i].pid == pids[0] || d[i].pid == pids[1],
			      "pid %ld", d[i].pid);
		ck_assert(kv_of_pid(p.obuf, "up", d[i].pid, "local", local,
				    sizeof local) == 0);
		ck_assert_str_eq(d[i].local, local);
		ck_assert_str_eq(d[i].error, "ETIMEDOUT");
	}
	ck_assert_msg(kt_count_lines(p.obuf, "result=ETIMEDOUT") == 2, "%s",
		      kt_tail(p.obuf));
	kt_proc_free(&p);
	close(c[0]);
	close(c[1]);
	close(lfd);
}

START_TEST(t_fork_both)
{
	static const char *const env[] = { "KASHIM_LOG=stderr", NULL };

	fork_case("recv", env);
}
END_TEST

START_TEST(t_fork_watch)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", NULL };

	fork_case("idle", env);
}
END_TEST

/* log_peer run with argv (its own command line, connecting to the test on
 * 127.0.0.1:KT_PORT): the test accepts, and r holds the "up" fields. */
static void start_out(struct kt_rig *r, const char *const *argv,
		      const char *const *env)
{
	memset(r, 0, sizeof *r);
	r->prog = "log_peer";
	r->lfd = kt_listener("127.0.0.1", KT_PORT, NULL);
	kt_rig_spawn(&r->p, argv, env);
	r->cfd = kt_accept(r->lfd, 5000);
	ck_assert(r->cfd >= 0);
	kt_rig_read_up(r);
}

/* A forking server hands a connection to its child and closes its own
 * copy; the child never makes a socket call, so only a watcher restarted
 * in the child at fork can notice the death.  One line, the child's. */
START_TEST(t_fork_handoff_watch)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", NULL };
	static const struct kt_want w = { "watcher in a fork child", "out",
					  "ETIMEDOUT", "keepalive",
					  KT_THEORY_MS, 500 + KT_MARGIN_MS };
	const char *argv[] = { kt_prog("log_peer"), "handoff", "127.0.0.1",
			       "5555", "7000", NULL };
	struct kt_rig r;

	KT_NETNS();
	start_out(&r, argv, env);
	ck_assert(r.pid != r.p.pid);    /* the child's */
	kt_rig_watched(&r, &w, 7000);
	kt_rig_free(&r);
}
END_TEST

/* A vfork() child that close()s fds 3..63 before exec must not wipe the
 * parent's fd table: the parent's connection still gets its line. */
START_TEST(t_vfork)
{
	static const char *const env[] = { "KASHIM_LOG=stderr", NULL };
	static const struct kt_want w =
		KT_WANT_KEEPALIVE("vfork child closed fds", "out");
	const char *argv[] = { kt_prog("log_peer"), "vfork", "127.0.0.1",
			       "5555", NULL };
	struct kt_rig r;

	KT_NETNS();
	start_out(&r, argv, env);
	ck_assert_msg(kt_wait_line(&r.p, "spawned status=0", 3000, NULL,
				   0) == 0, "%s %s", kt_tail(r.p.obuf), kt_tail(r.p.ebuf));
	kt_rig_silent(&r, &w, "ETIMEDOUT", 3000);
	kt_rig_free(&r);
}
END_TEST

/* A connection dies unread; then the program starts a child (fork or
 * vfork) that close()s every inherited fd before exec; then the program
 * reads and gets the error.  One connection, one death: exactly one line,
 * and it names the program's process (the child never used the socket). */
static void spawnclose_case(const char *how)
{
	static const char *const env[] = { "KASHIM_LOG=stderr", NULL };
	const char *argv[] = { kt_prog("log_peer"), "spawnclose", "127.0.0.1",
			       "5555", how, NULL };
	struct kt_dead d[4];
	struct kt_proc p;
	char local[80];
	int lfd, c, n, bad;
	long pid;

	KT_NETNS();
	lfd = kt_listener("127.0.0.1", KT_PORT, NULL);
	kt_rig_spawn(&p, argv, env);
	c = kt_accept(lfd, 5000);
	ck_assert(c >= 0);
	ck_assert(kt_wait_line(&p, "up ", 5000, NULL, 0) == 0);
	pid = kt_kv_long(p.obuf, "up", "pid", -1);
	ck_assert(kt_kv(p.obuf, "up", "local", local, sizeof local) == 0);
	kt_drop_port();
	kt_sleep_ms(KT_THEORY_MS + 1000);       /* dead, unread */
	ck_assert(kt_send(&p, "go\n") == 0);
	ck_assert_msg(kt_wait_line(&p, "result=ETIMEDOUT", 5000, NULL, 0) == 0,
		      "%s %s", kt_tail(p.obuf), kt_tail(p.ebuf));
	kt_settle(&p, KT_SETTLE_MS);
	n = kt_dead_lines(p.ebuf, d, 4, &bad);
	ck_assert_msg(n == 1 && bad == 0, "%s child closing fds: %d lines, "
		      "want 1:\n%s", how, n, kt_tail(p.ebuf));
	ck_assert_str_eq(d[0].local, local);
	ck_assert_msg(d[0].pid == pid, "the line names pid %ld, the program "
		      "is %ld", d[0].pid, pid);
	kt_proc_free(&p);
	close(c);
	close(lfd);
}

START_TEST(t_fork_child_closes)
{
	spawnclose_case("fork");
}
END_TEST

START_TEST(t_vfork_child_closes)
{
	spawnclose_case("vfork");
}
END_TEST

/* Python: a socket, then subprocess.run (vfork/posix_spawn, close_fds),
 * then the peer dies: one line. */
START_TEST(t_python_subprocess)
{
	static const char *const env[] = { "KASHIM_LOG=stderr", NULL };
	static const char script[] =
		"import socket, subprocess, sys\n"
		"s = socket.create_connection(('127.0.0.1', 5555))\n"
		"print('up local=%s:%d' % s.getsockname(), flush=True)\n"
		"subprocess.run(['/bin/true'], close_fds=True, check=True)\n"
		"print('spawned', flush=True)\n"
		"try:\n"
		"    s.recv(10)\n"
		"    print('result=EOF')\n"
		"except OSError as e:\n"
		"    import errno\n"
		"    print('result=' + errno.errorcode[e.errno])\n";
	const char *argv[] = { "/usr/bin/python3", "-c", script, NULL };
	struct kt_dead d;
	struct kt_proc p;
	char local[80];
	int lfd, c, bad;

	if (access(argv[0], X_OK) != 0) {
		kt_skip(__func__, "no /usr/bin/python3");
		return;
	}
	KT_NETNS();
	lfd = kt_listener("127.0.0.1", KT_PORT, NULL);
	kt_rig_spawn(&p, argv, env);
	c = kt_accept(lfd, 10000);
	ck_assert_msg(c >= 0, "python: %s", kt_tail(p.ebuf));
	ck_assert_msg(kt_wait_line(&p, "spawned", 10000, NULL, 0) == 0,
		      "python: %s %s", kt_tail(p.obuf), kt_tail(p.ebuf));
	kt_drop_port();
	ck_assert_msg(kt_wait_line(&p, "result=", KT_THEORY_MS +
				   KT_MARGIN_MS + 2000, NULL, 0) == 0, "%s",
		      kt_tail(p.ebuf));
	ck_assert_msg(strstr(p.obuf, "result=ETIMEDOUT"), "%s", kt_tail(p.obuf));
	kt_wait(&p, 3000);
	ck_assert_msg(kt_dead_lines(p.ebuf, &d, 1, &bad) == 1 && bad == 0,
		      "want one line:\n%s", kt_tail(p.ebuf));
	ck_assert(kt_kv(p.obuf, "up", "local", local, sizeof local) == 0);
	ck_assert_str_eq(d.local, local);
	ck_assert_str_eq(d.peer, "127.0.0.1:5555");
	ck_assert_str_eq(d.cause, "keepalive");
	kt_proc_free(&p);
	close(c);
	close(lfd);
}
END_TEST

/* ---- threads ----------------------------------------------------------- */

/* 16 doomed connections (8 read at once, 8 idle for the watcher) among
 * threads churning connect/accept/close over the same fd numbers: exactly
 * one line per doomed connection, none for any other. */
START_TEST(t_threads_watch)
{
	enum { D = 16 };
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", NULL };
	const char *argv[] = { kt_prog("log_threads"), "127.0.0.1", "5555",
			       "16", NULL };
	struct kt_dead d[D + 8];
	struct kt_proc p;
	int lfd, c[D], n = 0, bad;
	long t0, pid;

	KT_NETNS();
	lfd = kt_listener("127.0.0.1", KT_PORT, NULL);
	kt_rig_spawn(&p, argv, env);
	pid = p.pid;
	while (n < D) {
		c[n] = kt_accept(lfd, 5000);
		ck_assert_msg(c[n] >= 0, "accepted %d: %s", n, kt_tail(p.ebuf));
		n++;
	}
	for (long end = kt_now_ms() + 5000;
	     kt_count_lines(p.obuf, "doomed local=") < D &&
	     kt_now_ms() < end;)
		kt_settle(&p, 20);
	ck_assert(kt_count_lines(p.obuf, "doomed local=") == D);
	kt_drop_port();
	t0 = kt_now_ms();
	ck_assert_msg(kt_wait(&p, 20000) == 0, "still running after 20 s");
	printf("MEASURE: threads: all %d ended after %ld ms\n", D,
	       kt_now_ms() - t0);
	ck_assert_msg(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0,
		      "log_threads %s: %s", kt_status_str(&p), kt_tail(p.ebuf));
	ck_assert_msg(strstr(p.obuf, "result doomed=16 dead=16"), "%s",
		      kt_tail(p.obuf));
	n = kt_dead_lines(p.ebuf, d, D + 8, &bad);
	ck_assert_msg(n == D && bad == 0, "%d lines (%d malformed), want %d:"
		      "\n%s", n, bad, D, kt_tail(p.ebuf));
	for (int i = 0; i < D; i++) {
		char want[128];

		ck_assert_str_eq(d[i].peer, "127.0.0.1:5555");
		ck_assert_str_eq(d[i].error, "ETIMEDOUT");
		ck_assert_int_eq(d[i].pid, pid);
		snprintf(want, sizeof want, "doomed local=%s\n", d[i].local);
		ck_assert_msg(strstr(p.obuf, want), "not a doomed one: %s",
			      d[i].local);
		for (int j = 0; j < i; j++)
			ck_assert_msg(strcmp(d[i].local, d[j].local) != 0,
				      "twice: %s", d[i].local);
	}
	kt_proc_free(&p);
	for (int i = 0; i < D; i++)
		close(c[i]);
	close(lfd);
}
END_TEST

static Suite *log_reuse_fork_suite(void)
{
	Suite *s = suite_create("log_reuse_fork");
	TCase *reuse = kt_tcase(s, "reuse", 30);
	TCase *procs = kt_tcase(s, "procs", 40);

	tcase_add_loop_test(reuse, t_reuse_close, 0, KT_N(reuse_close_rows));
	tcase_add_loop_test(reuse, t_reuse, 0, KT_N(reuse_rows));

	tcase_add_test(procs, t_fork_both);
	tcase_add_test(procs, t_fork_watch);
	tcase_add_test(procs, t_fork_handoff_watch);
	tcase_add_test(procs, t_vfork);
	tcase_add_test(procs, t_fork_child_closes);
	tcase_add_test(procs, t_vfork_child_closes);
	tcase_add_test(procs, t_python_subprocess);
	tcase_add_test(procs, t_threads_watch);
	return s;
}

int main(void)
{
	return kt_main(log_reuse_fork_suite());
}
