/* kashim — dead peers: an unmodified program learns that its peer vanished
 * within IDLE + INTVL*CNT (or the user timeout), and without kashim the same
 * program does not.
 *
 * Each case runs in its own network namespace on loopback.  Two connections
 * are made with build/tests/progs/dpeer: pair K on port 5555, whose watching
 * side is preloaded, and pair P on port 5556, the same programs and the same
 * environment without LD_PRELOAD.  The peer is made dead with an nftables
 * drop of both ports (both directions: on lo the input hook sees every
 * segment).  K must report the error within theory + MARGIN_MS (and not
 * before theory - EARLY_MS); P must still be blocked at theory + MARGIN_MS.
 *
 * Measured times are printed as "MEASURE: ..." lines for the closing note.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define PORT_K 5555
#define PORT_P 5556
#define MARGIN_MS 2000  /* late allowance: timers, a loaded CI machine */
#define EARLY_MS 300    /* the kernel's clock starts before ours does */

enum watcher { CLIENT, SERVER };

struct pair {
	struct kt_proc server, client;
	long t_up;              /* test clock: both ends connected */
};

struct dcase {
	const char *label;      /* "(a) ..." for the MEASURE line */
	const char *addr;       /* 127.0.0.1 or ::1 */
	int idle, intvl, cnt;
	enum watcher who;       /* the side preloaded in K, judged in both */
	const char *server_mode, *client_mode;
	const char *want;       /* errno name the watcher must report */
	long theory_ms;         /* when the kernel must give up */
};

static void start(struct kt_proc *p, const struct dcase *c, int preload,
		  const char *role, int port, const char *mode)
{
	char portarg[16];
	const char *argv[] = { kt_prog("dpeer"), role, c->addr, portarg,
			       mode, NULL };
	struct kt_env e;

	snprintf(portarg, sizeof portarg, "%d", port);
	kt_env_init(&e, preload);
	kt_env_add(&e, "KASHIM_IDLE=%d", c->idle);
	kt_env_add(&e, "KASHIM_INTVL=%d", c->intvl);
	kt_env_add(&e, "KASHIM_CNT=%d", c->cnt);
	ck_assert_msg(kt_spawn(p, (char *const *)argv, e.v, NULL, 0) == 0,
		      "spawn dpeer");
	kt_env_free(&e);
}

static void need_line(struct kt_proc *p, const char *what, const char *line)
{
	ck_assert_msg(kt_wait_line(p, line, 5000, NULL, 0) == 0,
		      "dpeer %s: no '%s' (%s)\nstdout: %s\nstderr: %s", what,
		      line, kt_status_str(p), p->obuf, p->ebuf);
}

/* Start a connected pair; preload the watching side when preload != 0. */
static void pair_up(struct pair *pr, const struct dcase *c, int preload,
		    int port)
{
	start(&pr->server, c, preload && c->who == SERVER, "server", port,
	      c->server_mode);
	need_line(&pr->server, "server", "listening");
	start(&pr->client, c, preload && c->who == CLIENT, "client", port,
	      c->client_mode);
	need_line(&pr->client, "client", "connected");
	need_line(&pr->server, "server", "accepted");
	pr->t_up = kt_now_ms();
}

static struct kt_proc *watcher(struct pair *pr, const struct dcase *c)
{
	return c->who == CLIENT ? &pr->client : &pr->server;
}

static void drop(int on)
{
	char err[512];
	int r = on ? kt_nft_drop_ports("5555, 5556", err, sizeof err)
		   : kt_nft_undrop(err, sizeof err);

	ck_assert_msg(r == 0, "nft: %s", err);
}

/* The watcher of K reports c->want in [theory - EARLY, theory + MARGIN]. */
static long judge_kashim(struct pair *k, const struct dcase *c)
{
	struct kt_proc *w = watcher(k, c);
	char res[32];
	long ms;

	if (kt_wait_line(w, "result=", (int)(c->theory_ms + MARGIN_MS + 3000),
			 NULL, 0) < 0) {
		printf("MEASURE: %s: with kashim: NOT DETECTED after %ld ms "
		       "(theory %ld ms)\n", c->label, kt_now_ms() - k->t_up,
		       c->theory_ms);
		fflush(stdout);
		ck_abort_msg("%s: with kashim the program is still blocked "
			     "after %ld ms (theory %ld ms); stderr: %s",
			     c->label, kt_now_ms() - k->t_up, c->theory_ms,
			     w->ebuf);
	}
	kt_assert_preloaded(w);
	ck_assert_msg(sscanf(strstr(w->obuf, "result="),
			     "result=%31s elapsed_ms=%ld", res, &ms) == 2,
		      "bad report: %s", w->obuf);
	printf("MEASURE: %s: theory %ld ms, measured %ld ms (%s)\n",
	       c->label, c->theory_ms, ms, res);
	fflush(stdout);
	ck_assert_msg(strcmp(res, c->want) == 0, "%s: got %s, want %s",
		      c->label, res, c->want);
	ck_assert_msg(ms >= c->theory_ms - EARLY_MS,
		      "%s: detected too early: %ld ms < %ld - %d ms",
		      c->label, ms, c->theory_ms, EARLY_MS);
	ck_assert_msg(ms <= c->theory_ms + MARGIN_MS,
		      "%s: detected too late: %ld ms > %ld + %d ms",
		      c->label, ms, c->theory_ms, MARGIN_MS);
	return ms;
}

/* The watcher of P is still blocked at t0 + theory + MARGIN. */
static void judge_plain(struct pair *p, const struct dcase *c, long t0)
{
	struct kt_proc *w = watcher(p, c);
	long until = t0 + c->theory_ms + MARGIN_MS;

	if (kt_now_ms() < until)
		kt_sleep_ms(until - kt_now_ms());
	ck_assert_msg(kt_running(w) && strstr(w->obuf, "result=") == NULL,
		      "%s: without kashim the program learnt it anyway (%s): "
		      "%s", c->label, kt_status_str(w), w->obuf);
	printf("MEASURE: %s: without kashim still blocked after %ld ms\n",
	       c->label, kt_now_ms() - t0);
	fflush(stdout);
}

static void pairs_free(struct pair *k, struct pair *p)
{
	kt_proc_free(&k->client);
	kt_proc_free(&k->server);
	kt_proc_free(&p->client);
	kt_proc_free(&p->server);
}

/* (a), (b), (e): an idle connection, the peer goes silent. */
static const struct dcase idle_cases[] = {
	{ "(a) client recv, idle, IPv4", "127.0.0.1", 1, 1, 2, CLIENT,
	  "hold", "recv", "ETIMEDOUT", 3000 },
	{ "(b) server recv, idle, IPv4", "127.0.0.1", 1, 1, 2, SERVER,
	  "recv", "hold", "ETIMEDOUT", 3000 },
	{ "(e) client recv, idle, IPv6 ::1", "::1", 1, 1, 2, CLIENT,
	  "hold", "recv", "ETIMEDOUT", 3000 },
};

START_TEST(t_idle)
{
	const struct dcase *c = &idle_cases[_i];
	struct pair k, p;

	KT_NETNS();
	if (strchr(c->addr, ':') && !kt_have_ipv6()) {
		kt_skip(c->label, "no IPv6 on lo (::1) in the namespace");
		return;
	}
	pair_up(&k, c, 1, PORT_K);
	pair_up(&p, c, 0, PORT_P);
	drop(1);
	judge_kashim(&k, c);
	judge_plain(&p, c, p.t_up);
	pairs_free(&k, &p);
}
END_TEST

/* (c) unacknowledged data: drop, then the client writes.  The user timeout
 * (auto: (1 + 1*2) * 1000 = 3000 ms) ends the retransmissions. */
static const struct dcase case_c = {
	"(c) client write, data unacknowledged, IPv4", "127.0.0.1", 1, 1, 2,
	CLIENT, "hold", "write", "ETIMEDOUT", 3000,
};

START_TEST(t_c_unacked_data)
{
	struct pair k, p;
	long tk, tp;

	KT_NETNS();
	pair_up(&k, &case_c, 1, PORT_K);
	pair_up(&p, &case_c, 0, PORT_P);
	drop(1);
	tk = kt_now_ms();
	ck_assert(kt_send(&k.client, "go\n") == 0);
	tp = kt_now_ms();
	ck_assert(kt_send(&p.client, "go\n") == 0);
	need_line(&k.client, "client", "written");
	need_line(&p.client, "client", "written");
	k.t_up = tk;
	judge_kashim(&k, &case_c);
	judge_plain(&p, &case_c, tp);
	pairs_free(&k, &p);
}
END_TEST

/* (d) the peer vanishes and comes back without state: while the path is
 * dropped the server aborts its connection (SO_LINGER 0: its RST is
 * dropped too, no state is left), then the path is restored.  The first
 * keepalive probe, at IDLE, meets an RST. */
static const struct dcase case_d = {
	"(d) peer back without state, first probe meets RST, IPv4",
	"127.0.0.1", 3, 1, 2, CLIENT, "hold", "recv", "ECONNRESET", 3000,
};

START_TEST(t_d_peer_rebooted)
{
	struct pair k, p;

	KT_NETNS();
	pair_up(&k, &case_d, 1, PORT_K);
	pair_up(&p, &case_d, 0, PORT_P);
	drop(1);
	ck_assert(kt_send(&k.server, "reset\n") == 0);
	ck_assert(kt_send(&p.server, "reset\n") == 0);
	need_line(&k.server, "server", "reset");
	need_line(&p.server, "server", "reset");
	drop(0);
	ck_assert_msg(kt_now_ms() - k.t_up < case_d.idle * 1000 - 500,
		      "setup took longer than IDLE: the case proves nothing");
	ck_assert_msg(strstr(k.client.obuf, "result=") == NULL,
		      "the client saw the reset before any probe: %s",
		      k.client.obuf);
	judge_kashim(&k, &case_d);
	judge_plain(&p, &case_d, p.t_up);
	pairs_free(&k, &p);
}
END_TEST

static Suite *deadpeer_suite(void)
{
	Suite *s = suite_create("deadpeer");
	TCase *tc = kt_tcase(s, "deadpeer", 40);

	tcase_add_loop_test(tc, t_idle, 0, KT_N(idle_cases));
	tcase_add_test(tc, t_c_unacked_data);
	tcase_add_test(tc, t_d_peer_rebooted);
	return s;
}

int main(void)
{
	return kt_main(deadpeer_suite());
}
