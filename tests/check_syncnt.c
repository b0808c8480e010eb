/* kashim — KASHIM_SYNCNT bounds the SYN phase, whatever the user timeout,
 * and the user timeout still ends a stuck established connection.
 *
 * On Linux a TCP_USER_TIMEOUT replaces the SYN count as the bound of the
 * SYN phase (tcp_write_timeout() -> retransmits_timed_out() with the user
 * timeout).  kashim's rule: while a SYN count is in force, its user timeout
 * goes on once the connection is established.
 *
 * Each case runs in its own network namespace; every SYN to the port is
 * dropped by nftables, and build/tests/progs/synconn (preloaded) times the
 * failed connect.  The SYN backoff: the first retransmission after 1 s,
 * and connect() gives up 2^(N+1) - 1 s after the first SYN for N
 * retransmissions (the kernel models it that way whatever its linear
 * timeouts: N = 1 -> 3 s, N = 2 -> 7 s).
 *
 * Each case is run blocking, non-blocking with SO_ERROR (as event loops
 * learn a connect's end) and non-blocking with a first send() instead.
 * Measured times are printed as "MEASURE:" lines.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

#define PORT 5555
#define EARLY_MS 300            /* the kernel's clock starts before ours */
#define LATE_MS 1500            /* timers on a loaded machine; < the gaps */

/* IDLE 5 + INTVL 1 * CNT 2: the auto user timeout is 7000 ms. */
#define UT_AUTO_MS 7000

static void drop_syns(void)
{
	char err[512];

	ck_assert_msg(kt_nft_drop_ports("5555", err, sizeof err) == 0,
		      "nft: %s", err);
}

/* synconn MODE 127.0.0.1 PORT under kashim with env: its result line. */
static long timed_connect(const char *mode, const char *const *env,
			  const char *want, const char *label)
{
	const char *argv[] = { kt_prog("synconn"), mode, "127.0.0.1", "5555",
			       NULL };
	struct kt_env e;
	struct kt_proc p;
	char res[32];
	long el;

	kt_env_init(&e, 1);
	kt_env_add(&e, "KASHIM_IDLE=5");
	kt_env_add(&e, "KASHIM_INTVL=1");
	kt_env_add(&e, "KASHIM_CNT=2");
	for (int i = 0; env[i]; i++)
		kt_env_add(&e, "%s", env[i]);
	ck_assert(kt_run(&p, (char *const *)argv, e.v, NULL, 0, 20000) == 0);
	kt_assert_preloaded(&p);
	ck_assert_msg(sscanf(p.obuf, "result=%31s elapsed_ms=%ld", res, &el) == 2,
		      "%s: no result: %s %s", label, p.obuf, p.ebuf);
	ck_assert_msg(strcmp(res, want) == 0, "%s: result %s, want %s", label,
		      res, want);
	printf("MEASURE: %s: %s after %ld ms\n", label, res, el);
	kt_proc_free(&p);
	kt_env_free(&e);
	return el;
}

static void expect_syn_phase(const char *mode, const char *const *env,
			     long theory, const char *label)
{
	long el = timed_connect(mode, env, "ETIMEDOUT", label);

	ck_assert_msg(el >= theory - EARLY_MS && el <= theory + LATE_MS,
		      "%s: connect() failed after %ld ms; the SYN backoff says "
		      "%ld ms", label, el, theory);
}

/* SYNCNT=1 (3 s) with the auto user timeout (7 s) and with none. */
static void syncnt_one(const char *mode)
{
	char l1[96], l2[96];

	snprintf(l1, sizeof l1, "%s SYNCNT=1, user timeout auto (7 s)", mode);
	snprintf(l2, sizeof l2, "%s SYNCNT=1, user timeout off", mode);
	drop_syns();
	expect_syn_phase(mode, (const char *[]){ "KASHIM_SYNCNT=1", NULL },
			 3000, l1);
	expect_syn_phase(mode, (const char *[]){ "KASHIM_SYNCNT=1",
			 "KASHIM_USER_TIMEOUT=0", NULL }, 3000, l2);
}

START_TEST(t_block_syncnt)
{
	KT_NETNS();
	syncnt_one("block");
}
END_TEST

START_TEST(t_nbso_syncnt)
{
	KT_NETNS();
	syncnt_one("nbso");
}
END_TEST

START_TEST(t_nbwrite_syncnt)
{
	KT_NETNS();
	syncnt_one("nbwrite");
}
END_TEST

/* A user timeout shorter than the SYN phase does not cut it short either:
 * SYNCNT=2 (7 s) with a 2 s user timeout. */
static void short_ut(const char *mode)
{
	char l[96];

	snprintf(l, sizeof l, "%s SYNCNT=2, user timeout 2000 ms", mode);
	drop_syns();
	expect_syn_phase(mode, (const char *[]){ "KASHIM_SYNCNT=2",
			 "KASHIM_USER_TIMEOUT=2000", NULL }, 7000, l);
}

START_TEST(t_block_short_ut)
{
	KT_NETNS();
	short_ut("block");
}
END_TEST

START_TEST(t_nbso_short_ut)
{
	KT_NETNS();
	short_ut("nbso");
}
END_TEST

/* ---- the user timeout after the handshake -------------------------------- */

static int accept_bounded(int lfd, int ms)
{
	struct pollfd pf = { .fd = lfd, .events = POLLIN };

	if (poll(&pf, 1, ms) != 1)
		return -1;
	return accept(lfd, NULL, NULL);
}

/* Connected with SYNCNT=1 and the auto user timeout; the peer (this
 * process) goes silent; the program sends 100 bytes and reads: with the
 * user timeout in force the kernel gives up UT_AUTO_MS after the send
 * (keepalive does not probe while data is unacknowledged); without it,
 * only after tcp_retries2 (about 15 minutes). */
static void established(const char *mode)
{
	const char *argv[] = { kt_prog("synconn"), mode, "127.0.0.1", "5555",
			       "hold", NULL };
	struct kt_env e;
	struct kt_proc p;
	char res[32], label[96], err[512];
	int lfd, port, afd;
	long el;

	lfd = kt_listener("127.0.0.1", PORT, &port);
	ck_assert(lfd >= 0);
	kt_env_init(&e, 1);
	kt_env_add(&e, "KASHIM_IDLE=5");
	kt_env_add(&e, "KASHIM_INTVL=1");
	kt_env_add(&e, "KASHIM_CNT=2");
	kt_env_add(&e, "KASHIM_SYNCNT=1");
	ck_assert(kt_spawn(&p, (char *const *)argv, e.v, NULL, 0) == 0);
	afd = accept_bounded(lfd, 5000);
	ck_assert_msg(afd >= 0, "the program did not connect");
	ck_assert_msg(kt_wait_line(&p, "up", 5000, NULL, 0) == 0,
		      "no up: %s %s", p.obuf, p.ebuf);
	kt_assert_preloaded(&p);
	ck_assert_msg(kt_nft_drop_ports("5555", err, sizeof err) == 0,
		      "nft: %s", err);
	ck_assert(kt_send(&p, "go\n") == 0);
	ck_assert_msg(kt_wait_line(&p, "result=", UT_AUTO_MS + LATE_MS + 1500,
				   NULL, 0) == 0,
		      "%s: the stuck connection was not ended within %d ms: "
		      "no user timeout in force", mode, UT_AUTO_MS + LATE_MS + 1500);
	ck_assert(sscanf(strstr(p.obuf, "result="), "result=%31s elapsed_ms=%ld",
			 res, &el) == 2);
	snprintf(label, sizeof label, "%s established, then silent: data "
		 "unacknowledged", mode);
	printf("MEASURE: %s: %s after %ld ms (user timeout %d ms)\n", label,
	       res, el, UT_AUTO_MS);
	ck_assert_msg(strcmp(res, "ETIMEDOUT") == 0, "%s: %s", label, res);
	ck_assert_msg(el >= UT_AUTO_MS - EARLY_MS &&
		      el <= UT_AUTO_MS + LATE_MS, "%s: after %ld ms", label, el);
	kt_proc_free(&p);
	kt_env_free(&e);
	close(afd);
	close(lfd);
}

START_TEST(t_block_established)
{
	KT_NETNS();
	established("block");
}
END_TEST

START_TEST(t_nbso_established)
{
	KT_NETNS();
	established("nbso");
}
END_TEST

START_TEST(t_nbwrite_established)
{
	KT_NETNS();
	established("nbwrite");
}
END_TEST

static Suite *syncnt_suite(void)
{
	Suite *s = suite_create("syncnt");
	TCase *tc = tcase_create("syn phase");
	TCase *te = tcase_create("established");

	tcase_set_timeout(tc, 40);
	tcase_add_test(tc, t_block_syncnt);
	tcase_add_test(tc, t_nbso_syncnt);
	tcase_add_test(tc, t_nbwrite_syncnt);
	tcase_add_test(tc, t_block_short_ut);
	tcase_add_test(tc, t_nbso_short_ut);
	suite_add_tcase(s, tc);

	tcase_set_timeout(te, 30);
	tcase_add_test(te, t_block_established);
	tcase_add_test(te, t_nbso_established);
	tcase_add_test(te, t_nbwrite_established);
	suite_add_tcase(s, te);
	return s;
}

int main(void)
{
	return kt_main(syncnt_suite());
}
