/* kashim — a descriptor reused behind kashim's back.
 *
 * kashim reads no inode when a connection is made: the table entry of an
 * fd number is rewritten by every hooked call that hands the number out,
 * and before a line is written the entry must fit the socket now on that
 * number (its peer, and the keepalive options the entry says are in
 * force).  Each case here reuses a connection's number in one way and
 * checks the lines: the new socket's own when kashim saw it arrive, none
 * when it did not, and never the old connection's.  check_log_more has
 * the other ways (close and reuse, fclose, dup2, fork, vfork).
 *
 * Each case in its own network namespace on 127.0.0.1; the test process is
 * the other end; IDLE/INTVL/CNT = 1/1/2 (theory 3 s).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define PORT2 5556

static const char *const log_env[] = { "KASHIM_LOG=stderr", NULL };
static const char *const watch_env[] = { "KASHIM_LOG=stderr",
					 "KASHIM_WATCH=1", NULL };

/* The test's listener on KT_PORT, then the program (argv) started as the
 * rig starts one, with KASHIM_LOG=stderr and, when watch, the watcher.
 * Returns the listener. */
static int listen_and_spawn(struct kt_proc *p, const char *const *argv,
			    int watch)
{
	int l = kt_listener("127.0.0.1", KT_PORT, NULL);

	ck_assert(l >= 0);
	kt_rig_spawn(p, argv, watch ? watch_env : log_env);
	return l;
}

/* The program, the test's end a and its listener l go. */
static void done(struct kt_proc *p, int a, int l)
{
	kt_proc_free(p);
	close(a);
	close(l);
}

static void up(struct kt_proc *p, const char *tag)
{
	ck_assert_msg(kt_wait_line(p, tag, 5000, NULL, 0) == 0, "no %s: %s %s",
		      tag, kt_tail(p->obuf), kt_tail(p->ebuf));
}

static int accept_or_fail(struct kt_proc *p, int lfd, const char *what)
{
	int fd = kt_accept(lfd, 5000);

	ck_assert_msg(fd >= 0, "no %s: %s", what, kt_tail(p->ebuf));
	return fd;
}

/* The program's recv on B ends with want; then, after a settle, exactly
 * n dead-peer lines. */
static void finish(struct kt_proc *p, const char *want, int n,
		   const char *label)
{
	char res[64];
	int bad, got;
	struct kt_dead d[4];

	snprintf(res, sizeof res, "result=%s", want);
	ck_assert_msg(kt_wait_line(p, res, 8000, NULL, 0) == 0,
		      "%s: no %s: %s", label, res, kt_tail(p->obuf));
	kt_settle(p, KT_SETTLE_MS);
	got = kt_dead_lines(p->ebuf, d, 4, &bad);
	ck_assert_msg(got == n && bad == 0, "%s: %d lines, want %d:\n%s",
		      label, got, n, kt_tail(p->ebuf));
}

/* A closed behind kashim's back, then B made on A's number where kashim
 * cannot see it, to the same server, so the peer alone would match A's
 * entry.  Each row: how A goes and B comes (reuse_peer's mode).  B is
 * reset: no line.
 *   rawsame:    A closed by a raw syscall; B a raw socket with keepalive
 *               on at the kernel's times (the options do not match).
 *   closerange: libc's close_range() over A (hooked: the entry goes);
 *               B by raw syscalls with every option kashim had put on A
 *               (nothing but the hook tells them apart). */
static const struct {
	const char *mode, *label;
} same_peer_rows[] = {
	{ "rawsame", "raw close, same peer" },
	{ "closerange", "close_range, then a socket kashim never saw" },
};

START_TEST(t_reused_same_peer)
{
	const char *argv[] = { kt_prog("reuse_peer"), same_peer_rows[_i].mode,
			       "127.0.0.1", "5555", NULL };
	int l, a, b;
	struct kt_proc p;

	KT_NETNS();
	l = listen_and_spawn(&p, argv, 1);
	a = accept_or_fail(&p, l, "A");
	up(&p, "up ");
	b = accept_or_fail(&p, l, "B");
	up(&p, "up2 ");
	kt_abort(b);
	finish(&p, "ECONNRESET", 0, same_peer_rows[_i].label);
	done(&p, a, l);
}
END_TEST

/* A closed by a raw syscall; B = a raw accept4 on a listener kashim
 * configured, so B carries kashim's very options, on A's number.  B is
 * reset: no line (kashim did not see B arrive), and nothing of A's
 * (its peer does not match B's). */
START_TEST(t_rawaccept)
{
	const char *argv[] = { kt_prog("reuse_peer"), "rawaccept", "127.0.0.1",
			       "5555", "5557", NULL };
	int l, a, b;
	struct kt_proc p;

	KT_NETNS();
	l = listen_and_spawn(&p, argv, 1);
	up(&p, "listening");
	a = accept_or_fail(&p, l, "A");
	up(&p, "up ");
	b = kt_connect("127.0.0.1", 5557, 5000);
	ck_assert_msg(b >= 0, "no connection to the program's listener");
	up(&p, "up2 ");
	kt_abort(b);
	finish(&p, "ECONNRESET", 0, "raw accept4");
	done(&p, a, l);
}
END_TEST

/* A accepted with no address asked for, so its entry holds no peer;
 * closed by a raw syscall; B a raw socket with keepalive on at the
 * kernel's times on A's number.  B is reset: no line (its options are
 * not the ones A's entry says are in force). */
START_TEST(t_accepted_no_peer)
{
	const char *argv[] = { kt_prog("reuse_peer"), "inrawsame", "127.0.0.1",
			       "5555", "5557", NULL };
	int l, a, b;
	struct kt_proc p;

	KT_NETNS();
	l = listen_and_spawn(&p, argv, 1);
	up(&p, "listening");
	a = kt_connect("127.0.0.1", 5557, 5000);
	ck_assert_msg(a >= 0, "no connection to the program's listener");
	up(&p, "up ");
	b = accept_or_fail(&p, l, "B");
	up(&p, "up2 ");
	kt_abort(b);
	finish(&p, "ECONNRESET", 0, "accepted without address, raw reuse");
	done(&p, a, l);
}
END_TEST

/* dup3(B, A): A's number holds B.  B's reset: one line, B's (its peer,
 * its local address, a young age) on A's number; A itself was closed by
 * dup3 and gives nothing when it goes. */
START_TEST(t_dup3)
{
	const char *argv[] = { kt_prog("reuse_peer"), "dup3", "127.0.0.1",
			       "5555", NULL };
	int l1, l2, a, b;
	struct kt_dead d;
	struct kt_proc p;
	char local[80], fd[16];
	int bad;

	KT_NETNS();
	l1 = kt_listener("127.0.0.1", KT_PORT, NULL);
	l2 = kt_listener("127.0.0.1", PORT2, NULL);
	ck_assert(l1 >= 0 && l2 >= 0);
	kt_rig_spawn(&p, argv, watch_env);
	a = accept_or_fail(&p, l1, "A");
	b = accept_or_fail(&p, l2, "B");
	up(&p, "up2 ");
	kt_abort(b);
	finish(&p, "ECONNRESET", 1, "dup3 over a tracked socket");
	ck_assert(kt_dead_lines(p.ebuf, &d, 1, &bad) == 1);
	ck_assert(kt_kv(p.obuf, "up2", "local", local, sizeof local) == 0);
	ck_assert(kt_kv(p.obuf, "up2", "fd", fd, sizeof fd) == 0);
	ck_assert_str_eq(d.peer, "127.0.0.1:5556");
	ck_assert_str_eq(d.local, local);
	ck_assert_int_eq(d.fd, atoi(fd));
	ck_assert_str_eq(d.cause, "reset");
	ck_assert_msg(d.age_ms < 1500, "age %ld ms: not B's", d.age_ms);
	kt_abort(a);
	kt_settle(&p, KT_SETTLE_MS);
	ck_assert_int_eq(kt_count_lines(p.ebuf, "peer dead"), 1);
	kt_proc_free(&p);
	close(l1);
	close(l2);
}
END_TEST

/* fcntl(A, F_DUPFD, 100) = D, then close(A): D is the connection.  Its
 * peer dies unseen and the program's recv on D reports it: one line, on
 * D's number, with A's peer and the connection's age. */
START_TEST(t_dupfd_close)
{
	static const char label[] = "F_DUPFD then close";
	const char *argv[] = { kt_prog("reuse_peer"), "dupfd", "127.0.0.1",
			       "5555", "close", NULL };
	int l, a;
	struct kt_dead d;
	struct kt_proc p;
	char fd[16];
	long el;
	int bad;

	KT_NETNS();
	l = listen_and_spawn(&p, argv, 0);
	a = accept_or_fail(&p, l, "A");
	up(&p, "up2 ");
	kt_drop_port();
	finish(&p, "ETIMEDOUT", 1, label);
	ck_assert(kt_dead_lines(p.ebuf, &d, 1, &bad) == 1);
	ck_assert(kt_kv(p.obuf, "up2", "fd", fd, sizeof fd) == 0);
	ck_assert_int_eq(d.fd, atoi(fd));
	ck_assert_int_ge(d.fd, 100);
	ck_assert_str_eq(d.peer, "127.0.0.1:5555");
	ck_assert_str_eq(d.error, "ETIMEDOUT");
	ck_assert_msg(d.age_ms >= KT_THEORY_MS - KT_EARLY_MS,
		      "age %ld ms, the connection is older", d.age_ms);
	el = kt_kv_long(p.obuf, "result=ETIMEDOUT", "elapsed_ms", -1);
	ck_assert_msg(el >= KT_THEORY_MS - KT_EARLY_MS &&
		      el <= KT_THEORY_MS + KT_MARGIN_MS,
		      "recv on D ended after %ld ms, theory %d", el,
		      KT_THEORY_MS);
	printf("MEASURE: %s: theory %d ms, recv on D failed after %ld ms, "
	       "line age %ld ms\n", label, KT_THEORY_MS, el, d.age_ms);
	kt_undrop_port();
	done(&p, a, l);
}
END_TEST

/* F_DUPFD, both numbers kept, nothing read: the watcher sees both die,
 * and writes one line for the one connection. */
START_TEST(t_dupfd_keep_watch)
{
	const char *argv[] = { kt_prog("reuse_peer"), "dupfd", "127.0.0.1",
			       "5555", "keep", NULL };
	int l, a, bad, n;
	struct kt_dead d[4];
	struct kt_proc p;

	KT_NETNS();
	l = listen_and_spawn(&p, argv, 1);
	a = accept_or_fail(&p, l, "A");
	up(&p, "up2 ");
	kt_drop_port();
	ck_assert_msg(kt_wait_text(&p, 2, "peer dead", KT_THEORY_MS + 500 +
				   KT_MARGIN_MS) == 0,
		      "the watcher wrote nothing: %s", kt_tail(p.ebuf));
	kt_settle(&p, KT_SETTLE_MS + 500);   /* another tick for the copy */
	n = kt_dead_lines(p.ebuf, d, 4, &bad);
	ck_assert_msg(n == 1 && bad == 0, "%d lines for one connection:\n%s",
		      n, kt_tail(p.ebuf));
	ck_assert_str_eq(d[0].peer, "127.0.0.1:5555");
	kt_undrop_port();
	done(&p, a, l);
}
END_TEST

static Suite *reuse_suite(void)
{
	Suite *s = suite_create("reuse");
	TCase *behind = kt_tcase(s, "behind", 30);

	tcase_add_loop_test(behind, t_reused_same_peer, 0,
			    KT_N(same_peer_rows));
	tcase_add_test(behind, t_rawaccept);
	tcase_add_test(behind, t_accepted_no_peer);
	tcase_add_test(behind, t_dup3);
	tcase_add_test(behind, t_dupfd_close);
	tcase_add_test(behind, t_dupfd_keep_watch);
	return s;
}

int main(void)
{
	return kt_main(reuse_suite());
}
