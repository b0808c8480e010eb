/* kashim — deaths reported by the calls that move data without read() or
 * write() are logged too: splice (from a socket into a pipe and back),
 * sendfile and sendfile64 (to a socket with data in flight), preadv2 and
 * pwritev2 (offset -1: the current position, how they work on a socket),
 * and glibc's public aliases __read, __write and __send.
 *
 * Each row runs in its own network namespace: build/tests/progs/spliced
 * (preloaded, KASHIM_LOG=stderr, IDLE/INTVL/CNT = 1/1/2: 3 s) is one end,
 * the test process the other; an nftables drop of the port makes the peer
 * dead right after "up".  A reader blocks in its call (keepalive gives
 * up), a writer keeps writing into the dropped connection (its data stays
 * unacknowledged: the user timeout gives up).  The line must come from the
 * call itself (the program never closes the socket), exactly once, with
 * every field right (testlib's kt_rig_judge); then the program reports what
 * its call returned.
 */
#include <check.h>
#include <stdio.h>

#include "testlib.h"

/* seen: what the program's call returns.  Moving pages into a socket
 * (splice from a pipe, sendfile), the kernel returns the short count moved
 * before the connection died and drops its ETIMEDOUT with it: the next
 * call sees EPIPE.  The line still says ETIMEDOUT, the error the
 * connection ended with (shim/report.h, kashim_report_hidden_timeout). */
struct row {
	const char *act, *dir, *cause, *seen;
};

static const struct row rows[] = {
	{ "splice", "out", "keepalive", "ETIMEDOUT" },
	{ "splice", "in", "keepalive", "ETIMEDOUT" },
	{ "splicew", "out", "user_timeout", "EPIPE" },
	{ "sendfile", "out", "user_timeout", "EPIPE" },
	{ "sendfile", "in", "user_timeout", "EPIPE" },
	{ "sendfile64", "out", "user_timeout", "EPIPE" },
	{ "preadv2", "out", "keepalive", "ETIMEDOUT" },
	{ "pwritev2", "in", "user_timeout", "ETIMEDOUT" },
	{ "__read", "in", "keepalive", "ETIMEDOUT" },
	{ "__write", "out", "user_timeout", "ETIMEDOUT" },
	{ "__send", "in", "user_timeout", "ETIMEDOUT" },
};

START_TEST(t_rows)
{
	static const char *const env[] = { "KASHIM_LOG=stderr", NULL };
	const struct row *c = &rows[_i];
	char label[96];
	struct kt_want w;
	struct kt_rig r;

	snprintf(label, sizeof label, "%s %s %s", c->act, c->dir, c->cause);
	w = (struct kt_want){ label, c->dir, "ETIMEDOUT", c->cause,
			      KT_THEORY_MS, 0 };
	KT_NETNS();
	kt_rig_start(&r, "spliced", c->dir, "127.0.0.1", c->act, NULL, env, 1);
	kt_rig_silent(&r, &w, c->seen, 3000);
	kt_rig_free(&r);
}
END_TEST

static Suite *splice_suite(void)
{
	Suite *s = suite_create("splice");
	TCase *tc = kt_tcase(s, "calls", 30);

	tcase_add_loop_test(tc, t_rows, 0, KT_N(rows));
	return s;
}

int main(void)
{
	return kt_main(splice_suite());
}
