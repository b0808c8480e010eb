/* Unit tests of the option plan (shim/plan.c), linked directly with
 * shim/plan.c and shim/config.c (no preload): which setsockopt calls kashim
 * makes on a socket for a given configuration and for what the program set
 * itself, in which order, and what it sets again after the program's own
 * setsockopt; plus the TCP classification of socket() arguments and the
 * option bits. */
#include <check.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "config.h"
#include "fdtable.h"
#include "plan.h"

#define TIMEOUT 10
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* cppcheck reads this file without the system headers; tell it what a
 * Check test is, or it loses track of the code after the first one. */
#ifndef START_TEST
#define START_TEST(name) static void name(int _i)
#define END_TEST
#endif

/* ---------------------------------------------------------------- helpers */

/* The options kashim manages, in the order kashim must set them. */
static const struct {
	int level, name, bit;
	const char *text;
} order[] = {
	{ SOL_SOCKET, SO_KEEPALIVE, OPT_KEEPALIVE, "SO_KEEPALIVE" },
	{ IPPROTO_TCP, TCP_KEEPIDLE, OPT_IDLE, "TCP_KEEPIDLE" },
	{ IPPROTO_TCP, TCP_KEEPINTVL, OPT_INTVL, "TCP_KEEPINTVL" },
	{ IPPROTO_TCP, TCP_KEEPCNT, OPT_CNT, "TCP_KEEPCNT" },
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, OPT_UT, "TCP_USER_TIMEOUT" },
	{ IPPROTO_TCP, TCP_SYNCNT, OPT_SYNCNT, "TCP_SYNCNT" },
};

static int rank_of(const struct kashim_opt *o)
{
	int i;

	for (i = 0; i < N(order); i++)
		if (order[i].level == o->level && order[i].name == o->name)
			return i;
	return -1;
}

/* The plan's calls as text, "SO_KEEPALIVE=1 TCP_KEEPIDLE=60 ...", so that a
 * failing assertion shows the whole plan at once. */
static const char *show(const struct kashim_plan *p)
{
	static char text[512];
	size_t len = 0;
	int i;

	text[0] = '\0';
	for (i = 0; i < p->n && i < N(p->opt); i++) {
		int r = rank_of(&p->opt[i]);

		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s%s=%d", i ? " " : "",
					r < 0 ? "?" : order[r].text,
					p->opt[i].value);
		if (len >= sizeof(text))
			break;
	}
	return text;
}

static void fresh_plan(struct kashim_plan *p)
{
	/* Garbage, so that a plan function that forgets a field shows. */
	memset(p, 0x5a, sizeof(*p));
}

static struct kashim_config defaults(void)
{
	struct kashim_config cfg;

	kashim_config_defaults(&cfg);
	return cfg;
}

/* An entry for a socket the program did not touch. */
static struct kashim_fd untouched(int role)
{
	struct kashim_fd e;

	memset(&e, 0, sizeof(e));
	e.kind = KIND_TCP;
	e.family = AF_INET;
	e.role = (uint8_t)role;
	return e;
}

/* The value the plan sets for (level, name), or -1 when it sets nothing. */
static int planned(const struct kashim_plan *p, int level, int name)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (p->opt[i].level == level && p->opt[i].name == name)
			return p->opt[i].value;
	return -1;
}

/* Every plan: at most 6 calls, each a known option, no option twice, and
 * in kashim's fixed order. */
static void assert_well_formed(const struct kashim_plan *p)
{
	int i, last = -1;

	ck_assert_int_ge(p->n, 0);
	ck_assert_int_le(p->n, N(p->opt));
	for (i = 0; i < p->n; i++) {
		int r = rank_of(&p->opt[i]);

		ck_assert_msg(r >= 0, "unknown option %d/%d in plan",
			      p->opt[i].level, p->opt[i].name);
		ck_assert_msg(r > last, "out of order or twice: %s", show(p));
		last = r;
	}
}

/* The plan is exactly the text given. */
#define ck_assert_plan(p, want)                                             \
	do {                                                                \
		assert_well_formed(p);                                      \
		ck_assert_str_eq(show(p), (want));                          \
	} while (0)

/* ------------------------------------------------------- kashim_is_tcp */

static const struct {
	int domain, type, protocol, tcp;
} sockets[] = {
	{ AF_INET, SOCK_STREAM, 0, 1 },
	{ AF_INET, SOCK_STREAM, IPPROTO_TCP, 1 },
	{ AF_INET6, SOCK_STREAM, 0, 1 },
	{ AF_INET6, SOCK_STREAM, IPPROTO_TCP, 1 },
	{ AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0, 1 },
	{ AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, 1 },
	{ AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, 1 },
	{ AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP, 1 },
	{ AF_INET, SOCK_DGRAM, 0, 0 },
	{ AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0 },
	{ AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0 },
	{ AF_INET, SOCK_SEQPACKET, 0, 0 },
	{ AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP, 0 },
	{ AF_INET6, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, 0 },
	{ AF_INET, SOCK_RAW, IPPROTO_TCP, 0 },
	{ AF_INET6, SOCK_RAW, 0, 0 },
	{ AF_INET, SOCK_RDM, 0, 0 },
	{ AF_INET, SOCK_STREAM, IPPROTO_MPTCP, 0 },
	{ AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_MPTCP, 0 },
	{ AF_INET, SOCK_STREAM, IPPROTO_SCTP, 0 },
	{ AF_INET, SOCK_STREAM, IPPROTO_UDP, 0 },
	{ AF_INET, SOCK_STREAM, -1, 0 },
	{ AF_UNIX, SOCK_STREAM, 0, 0 },
	{ AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0 },
	{ AF_UNIX, SOCK_SEQPACKET, 0, 0 },
	{ AF_NETLINK, SOCK_RAW, 0, 0 },
	{ AF_PACKET, SOCK_RAW, 0, 0 },
	{ AF_UNSPEC, SOCK_STREAM, 0, 0 },
	{ AF_INET, 0, 0, 0 },
	{ AF_INET, SOCK_NONBLOCK | SOCK_CLOEXEC, 0, 0 },
	/* SOCK_STREAM plus some other high bit is not a stream socket
	 * (the kernel refuses it with EINVAL). */
	{ AF_INET, SOCK_STREAM | 0x100, 0, 0 },
	{ AF_INET, SOCK_STREAM | SOCK_DGRAM, 0, 0 },
};

START_TEST(is_tcp_table)
{
	ck_assert_msg(kashim_is_tcp(sockets[_i].domain, sockets[_i].type,
				    sockets[_i].protocol) == sockets[_i].tcp,
		      "socket(%d, %#x, %d): want is_tcp=%d",
		      sockets[_i].domain, (unsigned)sockets[_i].type,
		      sockets[_i].protocol, sockets[_i].tcp);
}
END_TEST

/* -------------------------------------------------- kashim_option_bit */

START_TEST(option_bits_of_managed_options)
{
	int i;

	for (i = 0; i < N(order); i++)
		ck_assert_msg(kashim_option_bit(order[i].level, order[i].name) ==
			      order[i].bit, "%s", order[i].text);
	/* SOL_TCP is the same level under its Linux name. */
	ck_assert_int_eq(kashim_option_bit(SOL_TCP, TCP_KEEPIDLE), OPT_IDLE);
}
END_TEST

START_TEST(option_bits_are_distinct)
{
	int i, seen = 0;

	for (i = 0; i < N(order); i++) {
		ck_assert_int_ne(order[i].bit, 0);
		ck_assert_int_eq(order[i].bit & (order[i].bit - 1), 0);
		ck_assert_int_eq(seen & order[i].bit, 0);
		seen |= order[i].bit;
	}
}
END_TEST

START_TEST(option_bits_of_other_options)
{
	/* Options kashim does not manage. */
	ck_assert_int_eq(kashim_option_bit(IPPROTO_TCP, TCP_NODELAY), 0);
	ck_assert_int_eq(kashim_option_bit(IPPROTO_TCP, TCP_MAXSEG), 0);
	ck_assert_int_eq(kashim_option_bit(IPPROTO_TCP, TCP_INFO), 0);
	ck_assert_int_eq(kashim_option_bit(IPPROTO_TCP, TCP_CONGESTION), 0);
	ck_assert_int_eq(kashim_option_bit(SOL_SOCKET, SO_REUSEADDR), 0);
	ck_assert_int_eq(kashim_option_bit(SOL_SOCKET, SO_LINGER), 0);
	ck_assert_int_eq(kashim_option_bit(SOL_SOCKET, SO_RCVBUF), 0);
	/* The right number at the wrong level: TCP_KEEPIDLE (4) at
	 * SOL_SOCKET is SO_REUSEADDR's neighbour, SO_KEEPALIVE (9) at
	 * IPPROTO_TCP is TCP_DEFER_ACCEPT; the IP and IPv6 levels are not
	 * kashim's at all. */
	ck_assert_int_eq(kashim_option_bit(SOL_SOCKET, TCP_KEEPIDLE), 0);
	ck_assert_int_eq(kashim_option_bit(SOL_SOCKET, TCP_USER_TIMEOUT), 0);
	ck_assert_int_eq(kashim_option_bit(IPPROTO_TCP, SO_KEEPALIVE), 0);
	ck_assert_int_eq(kashim_option_bit(IPPROTO_IP, TCP_KEEPIDLE), 0);
	ck_assert_int_eq(kashim_option_bit(IPPROTO_IPV6, TCP_KEEPCNT), 0);
	ck_assert_int_eq(kashim_option_bit(IPPROTO_IP, SO_KEEPALIVE), 0);
	ck_assert_int_eq(kashim_option_bit(-1, TCP_KEEPIDLE), 0);
	ck_assert_int_eq(kashim_option_bit(IPPROTO_TCP, -1), 0);
}
END_TEST

/* ------------------------------------------------- kashim_plan_first */

START_TEST(first_defaults_inbound)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_IN);
	struct kashim_plan p;

	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 0, &p);
	ck_assert_plan(&p, "SO_KEEPALIVE=1 TCP_KEEPIDLE=60 TCP_KEEPINTVL=10 "
		       "TCP_KEEPCNT=6 TCP_USER_TIMEOUT=120000");
	ck_assert_int_eq(p.idle, 60);
	ck_assert_int_eq(p.intvl, 10);
	ck_assert_int_eq(p.cnt, 6);
	ck_assert_int_eq(p.user_timeout, 120000);
}
END_TEST

START_TEST(first_defaults_outbound_has_no_syncnt)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;

	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 1, &p);
	ck_assert_plan(&p, "SO_KEEPALIVE=1 TCP_KEEPIDLE=60 TCP_KEEPINTVL=10 "
		       "TCP_KEEPCNT=6 TCP_USER_TIMEOUT=120000");
}
END_TEST

START_TEST(first_syncnt_outbound_only)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd out = untouched(ROLE_OUT);
	struct kashim_fd in = untouched(ROLE_IN);
	struct kashim_fd lis = untouched(ROLE_LISTEN);
	struct kashim_plan p;

	cfg.syncnt = 3;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &out, 1, &p);
	/* The user timeout waits for the handshake: on Linux it would
	 * replace the SYN count as the SYN phase's bound. */
	ck_assert_plan(&p, "SO_KEEPALIVE=1 TCP_KEEPIDLE=60 TCP_KEEPINTVL=10 "
		       "TCP_KEEPCNT=6 TCP_SYNCNT=3");
	ck_assert_int_eq(p.ut_later, 1);
	ck_assert_int_eq(p.user_timeout, 120000);

	/* On an accepted socket or a listener it would change the SYN-ACK
	 * retries instead: never. */
	fresh_plan(&p);
	kashim_plan_first(&cfg, &in, 0, &p);
	ck_assert_int_eq(planned(&p, IPPROTO_TCP, TCP_SYNCNT), -1);
	ck_assert_int_eq(p.n, 5);
	ck_assert_int_eq(p.ut_later, 0);
	fresh_plan(&p);
	kashim_plan_first(&cfg, &lis, 0, &p);
	ck_assert_int_eq(planned(&p, IPPROTO_TCP, TCP_SYNCNT), -1);
	ck_assert_int_eq(p.n, 5);
	ck_assert_int_eq(p.ut_later, 0);

	cfg.syncnt = 127;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &out, 1, &p);
	ck_assert_int_eq(planned(&p, IPPROTO_TCP, TCP_SYNCNT), 127);
}
END_TEST

START_TEST(first_user_timeout_zero_is_omitted)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;

	cfg.user_timeout = 0;
	cfg.syncnt = 2;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 1, &p);
	ck_assert_plan(&p, "SO_KEEPALIVE=1 TCP_KEEPIDLE=60 TCP_KEEPINTVL=10 "
		       "TCP_KEEPCNT=6 TCP_SYNCNT=2");
	ck_assert_int_eq(p.user_timeout, 0);
}
END_TEST

START_TEST(first_fixed_user_timeout)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_IN);
	struct kashim_plan p;

	cfg.user_timeout = 5000;
	cfg.idle = 1;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 0, &p);
	ck_assert_plan(&p, "SO_KEEPALIVE=1 TCP_KEEPIDLE=1 TCP_KEEPINTVL=10 "
		       "TCP_KEEPCNT=6 TCP_USER_TIMEOUT=5000");
	ck_assert_int_eq(p.user_timeout, 5000);

	cfg.user_timeout = 2147483647L;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 0, &p);
	ck_assert_int_eq(planned(&p, IPPROTO_TCP, TCP_USER_TIMEOUT), 2147483647);
}
END_TEST

START_TEST(first_configured_values)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;

	cfg.idle = 5;
	cfg.intvl = 2;
	cfg.cnt = 3;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 1, &p);
	ck_assert_plan(&p, "SO_KEEPALIVE=1 TCP_KEEPIDLE=5 TCP_KEEPINTVL=2 "
		       "TCP_KEEPCNT=3 TCP_USER_TIMEOUT=11000");
	ck_assert_int_eq(p.idle, 5);
	ck_assert_int_eq(p.intvl, 2);
	ck_assert_int_eq(p.cnt, 3);
	ck_assert_int_eq(p.user_timeout, 11000);

	cfg.idle = cfg.intvl = cfg.cnt = 1;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 1, &p);
	ck_assert_int_eq(planned(&p, IPPROTO_TCP, TCP_USER_TIMEOUT), 2000);
}
END_TEST

START_TEST(first_auto_user_timeout_is_capped)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_IN);
	struct kashim_plan p;

	/* (32767 + 32767*127) * 1000 does not fit in an int. */
	cfg.idle = 32767;
	cfg.intvl = 32767;
	cfg.cnt = 127;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 0, &p);
	ck_assert_int_eq(p.user_timeout, 2147483647L);
	ck_assert_int_eq(planned(&p, IPPROTO_TCP, TCP_USER_TIMEOUT), 2147483647);

	/* Just under the cap: 2147483 s. */
	cfg.idle = 32767;
	cfg.intvl = 32767;
	cfg.cnt = 64;           /* 32767 * 65 = 2129855 s */
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 0, &p);
	ck_assert_int_eq(planned(&p, IPPROTO_TCP, TCP_USER_TIMEOUT),
			 2129855000);
}
END_TEST

START_TEST(first_program_idle_wins_and_feeds_auto)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;

	e.user_set = OPT_IDLE;
	e.idle = 30;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 1, &p);
	ck_assert_plan(&p, "SO_KEEPALIVE=1 TCP_KEEPINTVL=10 TCP_KEEPCNT=6 "
		       "TCP_USER_TIMEOUT=90000");
	ck_assert_int_eq(p.idle, 30);
	ck_assert_int_eq(p.user_timeout, 90000);
}
END_TEST

START_TEST(first_program_values_all_feed_auto)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_IN);
	struct kashim_plan p;

	e.user_set = OPT_IDLE | OPT_INTVL | OPT_CNT;
	e.idle = 7;
	e.intvl = 3;
	e.cnt = 4;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 0, &p);
	ck_assert_plan(&p, "SO_KEEPALIVE=1 TCP_USER_TIMEOUT=19000");
	ck_assert_int_eq(p.idle, 7);
	ck_assert_int_eq(p.intvl, 3);
	ck_assert_int_eq(p.cnt, 4);
	ck_assert_int_eq(p.user_timeout, 19000);

	/* Only the count of the program's: 60 + 10*20. */
	e.user_set = OPT_CNT;
	e.cnt = 20;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 0, &p);
	ck_assert_plan(&p, "SO_KEEPALIVE=1 TCP_KEEPIDLE=60 TCP_KEEPINTVL=10 "
		       "TCP_USER_TIMEOUT=260000");
}
END_TEST

START_TEST(first_program_keepalive_and_timeout_win)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;

	/* The program turned keepalive off itself: kashim leaves it off. */
	e.user_set = OPT_KEEPALIVE;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 1, &p);
	ck_assert_plan(&p, "TCP_KEEPIDLE=60 TCP_KEEPINTVL=10 TCP_KEEPCNT=6 "
		       "TCP_USER_TIMEOUT=120000");

	e.user_set = OPT_UT;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 1, &p);
	ck_assert_plan(&p, "SO_KEEPALIVE=1 TCP_KEEPIDLE=60 TCP_KEEPINTVL=10 "
		       "TCP_KEEPCNT=6");

	/* The program's own SYN count is in force: kashim's user timeout
	 * waits for the handshake as it does for KASHIM_SYNCNT. */
	cfg.syncnt = 4;
	e.user_set = OPT_SYNCNT;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 1, &p);
	ck_assert_plan(&p, "SO_KEEPALIVE=1 TCP_KEEPIDLE=60 TCP_KEEPINTVL=10 "
		       "TCP_KEEPCNT=6");
	ck_assert_int_eq(p.ut_later, 1);
	cfg.syncnt = 0;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 1, &p);
	ck_assert_int_eq(p.n, 4);
	ck_assert_int_eq(p.ut_later, 1);
}
END_TEST

START_TEST(first_program_set_everything)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;

	cfg.syncnt = 4;
	e.user_set = OPT_KEEPALIVE | OPT_IDLE | OPT_INTVL | OPT_CNT | OPT_UT |
		     OPT_SYNCNT;
	e.idle = 100;
	e.intvl = 20;
	e.cnt = 2;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 1, &p);
	ck_assert_int_eq(p.n, 0);
	ck_assert_int_eq(p.idle, 100);
	ck_assert_int_eq(p.intvl, 20);
	ck_assert_int_eq(p.cnt, 2);
}
END_TEST

START_TEST(first_override_sets_everything_of_kashims)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;

	cfg.override = 1;
	cfg.syncnt = 4;
	cfg.idle = 20;
	e.user_set = OPT_KEEPALIVE | OPT_IDLE | OPT_INTVL | OPT_CNT | OPT_UT |
		     OPT_SYNCNT;
	e.idle = 100;
	e.intvl = 20;
	e.cnt = 2;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, 1, &p);
	/* The auto timeout follows kashim's values, not the program's. */
	ck_assert_plan(&p, "SO_KEEPALIVE=1 TCP_KEEPIDLE=20 TCP_KEEPINTVL=10 "
		       "TCP_KEEPCNT=6 TCP_SYNCNT=4");
	ck_assert_int_eq(p.ut_later, 1);
	ck_assert_int_eq(p.idle, 20);
	ck_assert_int_eq(p.intvl, 10);
	ck_assert_int_eq(p.cnt, 6);
	ck_assert_int_eq(p.user_timeout, 80000);
}
END_TEST

/* Every combination of what the program set, with and without override,
 * in both directions: an option is in the plan exactly when kashim decides
 * it, always with the value in force, in the fixed order. */
START_TEST(first_every_user_set_combination)
{
	int user_set = _i & 0x3f;
	int override = (_i >> 6) & 1;
	int outbound = (_i >> 7) & 1;
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(outbound ? ROLE_OUT : ROLE_IN);
	struct kashim_plan p;
	long idle, intvl, cnt, ut;
	int i, want;

	cfg.override = override;
	cfg.syncnt = 5;
	cfg.idle = 45;
	cfg.intvl = 15;
	cfg.cnt = 9;
	e.user_set = (uint8_t)user_set;
	e.idle = 11;
	e.intvl = 12;
	e.cnt = 13;
	fresh_plan(&p);
	kashim_plan_first(&cfg, &e, outbound, &p);
	assert_well_formed(&p);

	idle = (!override && (user_set & OPT_IDLE)) ? 11 : 45;
	intvl = (!override && (user_set & OPT_INTVL)) ? 12 : 15;
	cnt = (!override && (user_set & OPT_CNT)) ? 13 : 9;
	ut = (idle + intvl * cnt) * 1000;
	ck_assert_int_eq(p.idle, idle);
	ck_assert_int_eq(p.intvl, intvl);
	ck_assert_int_eq(p.cnt, cnt);
	if (override || !(user_set & OPT_UT))
		ck_assert_int_eq(p.user_timeout, ut);

	for (i = 0; i < N(order); i++) {
		int decided = override || !(user_set & order[i].bit);

		if (order[i].bit == OPT_SYNCNT)
			decided = decided && outbound;
		/* cfg.syncnt is set: outbound, the user timeout waits */
		if (order[i].bit == OPT_UT && outbound) {
			ck_assert_int_eq(p.ut_later, decided);
			decided = 0;
		}
		switch (order[i].bit) {
		case OPT_KEEPALIVE: want = 1; break;
		case OPT_IDLE: want = (int)idle; break;
		case OPT_INTVL: want = (int)intvl; break;
		case OPT_CNT: want = (int)cnt; break;
		case OPT_UT: want = (int)ut; break;
		default: want = 5; break;
		}
		ck_assert_msg(planned(&p, order[i].level, order[i].name) ==
			      (decided ? want : -1),
			      "user_set=%#x override=%d outbound=%d: %s in "
			      "plan '%s'", user_set, override, outbound,
			      order[i].text, show(&p));
	}
}
END_TEST

/* -------------------------------------------- kashim_plan_after_user */

START_TEST(after_idle_change_sets_new_auto_timeout)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;

	e.flags = FD_DECIDED | FD_CONFIGURED;
	e.user_set = OPT_IDLE;
	e.idle = 30;
	fresh_plan(&p);
	kashim_plan_after_user(&cfg, &e, OPT_IDLE, &p);
	ck_assert_plan(&p, "TCP_USER_TIMEOUT=90000");
	ck_assert_int_eq(p.idle, 30);
	ck_assert_int_eq(p.user_timeout, 90000);
}
END_TEST

START_TEST(after_intvl_and_cnt_changes_set_new_auto_timeout)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_IN);
	struct kashim_plan p;

	e.user_set = OPT_INTVL;
	e.intvl = 1;
	fresh_plan(&p);
	kashim_plan_after_user(&cfg, &e, OPT_INTVL, &p);
	ck_assert_plan(&p, "TCP_USER_TIMEOUT=66000");

	/* Both of the program's values count. */
	e.user_set = OPT_INTVL | OPT_CNT;
	e.cnt = 100;
	fresh_plan(&p);
	kashim_plan_after_user(&cfg, &e, OPT_CNT, &p);
	ck_assert_plan(&p, "TCP_USER_TIMEOUT=160000");
	ck_assert_int_eq(p.intvl, 1);
	ck_assert_int_eq(p.cnt, 100);
}
END_TEST

START_TEST(after_change_keeps_programs_user_timeout)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;

	e.user_set = OPT_IDLE | OPT_UT;
	e.idle = 30;
	fresh_plan(&p);
	kashim_plan_after_user(&cfg, &e, OPT_IDLE, &p);
	ck_assert_int_eq(p.n, 0);
}
END_TEST

START_TEST(after_change_with_fixed_or_no_user_timeout)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;

	e.user_set = OPT_IDLE;
	e.idle = 30;
	cfg.user_timeout = 5000;        /* does not depend on the values */
	fresh_plan(&p);
	kashim_plan_after_user(&cfg, &e, OPT_IDLE, &p);
	ck_assert_int_eq(p.n, 0);

	cfg.user_timeout = 0;           /* kernel default: never touched */
	fresh_plan(&p);
	kashim_plan_after_user(&cfg, &e, OPT_IDLE, &p);
	ck_assert_int_eq(p.n, 0);
}
END_TEST

START_TEST(after_other_options_set_nothing)
{
	static const int bits[] = { OPT_KEEPALIVE, OPT_UT, OPT_SYNCNT, 0 };
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;
	int i;

	cfg.syncnt = 3;
	for (i = 0; i < N(bits); i++) {
		e.user_set = (uint8_t)bits[i];
		fresh_plan(&p);
		kashim_plan_after_user(&cfg, &e, bits[i], &p);
		ck_assert_msg(p.n == 0, "bit %#x: %s", bits[i], show(&p));
	}
}
END_TEST

START_TEST(after_override_puts_back_just_that_option)
{
	static const struct {
		int bit;
		const char *want;
	} cases[] = {
		{ OPT_KEEPALIVE, "SO_KEEPALIVE=1" },
		{ OPT_IDLE, "TCP_KEEPIDLE=20" },
		{ OPT_INTVL, "TCP_KEEPINTVL=10" },
		{ OPT_CNT, "TCP_KEEPCNT=6" },
		{ OPT_UT, "TCP_USER_TIMEOUT=80000" },
		{ OPT_SYNCNT, "TCP_SYNCNT=4" },
	};
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;
	int i;

	cfg.override = 1;
	cfg.idle = 20;
	cfg.syncnt = 4;
	for (i = 0; i < N(cases); i++) {
		e.user_set = (uint8_t)cases[i].bit;
		e.idle = 300;
		e.intvl = 1;
		e.cnt = 1;
		fresh_plan(&p);
		kashim_plan_after_user(&cfg, &e, cases[i].bit, &p);
		ck_assert_plan(&p, cases[i].want);
		ck_assert_int_eq(p.idle, 20);
		ck_assert_int_eq(p.intvl, 10);
		ck_assert_int_eq(p.cnt, 6);
		ck_assert_int_eq(p.user_timeout, 80000);
	}
}
END_TEST

/* A connection whose user timeout waits for the handshake: a change of
 * the keepalive values (or, under override, of the user timeout) must not
 * put it on early -- in SYN_SENT it would bound the SYN phase. */
START_TEST(after_change_while_ut_waits)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;

	cfg.syncnt = 2;
	e.flags = FD_DECIDED | FD_CONFIGURED | FD_UT_LATER;
	e.user_set = OPT_IDLE;
	e.idle = 30;
	fresh_plan(&p);
	kashim_plan_after_user(&cfg, &e, OPT_IDLE, &p);
	ck_assert_int_eq(p.n, 0);
	ck_assert_int_eq(p.ut_later, 1);
	ck_assert_int_eq(p.user_timeout, 90000);

	cfg.override = 1;
	e.user_set = OPT_UT;
	fresh_plan(&p);
	kashim_plan_after_user(&cfg, &e, OPT_UT, &p);
	ck_assert_int_eq(p.n, 0);
	e.user_set = OPT_SYNCNT;
	fresh_plan(&p);
	kashim_plan_after_user(&cfg, &e, OPT_SYNCNT, &p);
	ck_assert_plan(&p, "TCP_SYNCNT=2");
}
END_TEST

/* Once established: the user timeout from the values in force, unless the
 * program set its own (and kashim does not override). */
START_TEST(established_sets_user_timeout)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd e = untouched(ROLE_OUT);
	struct kashim_plan p;

	cfg.syncnt = 2;
	e.flags = FD_DECIDED | FD_CONFIGURED | FD_UT_LATER;
	fresh_plan(&p);
	kashim_plan_established(&cfg, &e, &p);
	ck_assert_plan(&p, "TCP_USER_TIMEOUT=120000");

	e.user_set = OPT_IDLE | OPT_CNT;
	e.idle = 5;
	e.cnt = 2;
	fresh_plan(&p);
	kashim_plan_established(&cfg, &e, &p);
	ck_assert_plan(&p, "TCP_USER_TIMEOUT=25000");

	e.user_set = OPT_UT;
	fresh_plan(&p);
	kashim_plan_established(&cfg, &e, &p);
	ck_assert_int_eq(p.n, 0);
	cfg.override = 1;
	fresh_plan(&p);
	kashim_plan_established(&cfg, &e, &p);
	ck_assert_plan(&p, "TCP_USER_TIMEOUT=120000");

	cfg.override = 0;
	cfg.user_timeout = 0;
	e.user_set = 0;
	fresh_plan(&p);
	kashim_plan_established(&cfg, &e, &p);
	ck_assert_int_eq(p.n, 0);
	cfg.user_timeout = 4000;
	fresh_plan(&p);
	kashim_plan_established(&cfg, &e, &p);
	ck_assert_plan(&p, "TCP_USER_TIMEOUT=4000");
}
END_TEST

START_TEST(after_override_respects_direction_and_zero_settings)
{
	struct kashim_config cfg = defaults();
	struct kashim_fd in = untouched(ROLE_IN);
	struct kashim_fd out = untouched(ROLE_OUT);
	struct kashim_plan p;

	cfg.override = 1;
	cfg.syncnt = 4;
	/* TCP_SYNCNT is never kashim's on an accepted socket. */
	in.user_set = OPT_SYNCNT;
	fresh_plan(&p);
	kashim_plan_after_user(&cfg, &in, OPT_SYNCNT, &p);
	ck_assert_int_eq(p.n, 0);

	/* syncnt 0 and user timeout 0 mean "kernel default": kashim has no
	 * value of its own to put back. */
	cfg.syncnt = 0;
	out.user_set = OPT_SYNCNT;
	fresh_plan(&p);
	kashim_plan_after_user(&cfg, &out, OPT_SYNCNT, &p);
	ck_assert_int_eq(p.n, 0);
	cfg.user_timeout = 0;
	out.user_set = OPT_UT;
	fresh_plan(&p);
	kashim_plan_after_user(&cfg, &out, OPT_UT, &p);
	ck_assert_int_eq(p.n, 0);
	ck_assert_int_eq(p.user_timeout, 0);

	/* A fixed user timeout is put back as it is. */
	cfg.user_timeout = 7000;
	fresh_plan(&p);
	kashim_plan_after_user(&cfg, &out, OPT_UT, &p);
	ck_assert_plan(&p, "TCP_USER_TIMEOUT=7000");
}
END_TEST

/* ------------------------------------------------------------- suite */

static TCase *tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, TIMEOUT);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc;

	tc = tcase(s, "is_tcp");
	tcase_add_loop_test(tc, is_tcp_table, 0, N(sockets));

	tc = tcase(s, "option bits");
	tcase_add_test(tc, option_bits_of_managed_options);
	tcase_add_test(tc, option_bits_are_distinct);
	tcase_add_test(tc, option_bits_of_other_options);

	tc = tcase(s, "first");
	tcase_add_test(tc, first_defaults_inbound);
	tcase_add_test(tc, first_defaults_outbound_has_no_syncnt);
	tcase_add_test(tc, first_syncnt_outbound_only);
	tcase_add_test(tc, first_user_timeout_zero_is_omitted);
	tcase_add_test(tc, first_fixed_user_timeout);
	tcase_add_test(tc, first_configured_values);
	tcase_add_test(tc, first_auto_user_timeout_is_capped);
	tcase_add_test(tc, first_program_idle_wins_and_feeds_auto);
	tcase_add_test(tc, first_program_values_all_feed_auto);
	tcase_add_test(tc, first_program_keepalive_and_timeout_win);
	tcase_add_test(tc, first_program_set_everything);
	tcase_add_test(tc, first_override_sets_everything_of_kashims);
	tcase_add_loop_test(tc, first_every_user_set_combination, 0, 256);

	tc = tcase(s, "after user");
	tcase_add_test(tc, after_idle_change_sets_new_auto_timeout);
	tcase_add_test(tc, after_intvl_and_cnt_changes_set_new_auto_timeout);
	tcase_add_test(tc, after_change_keeps_programs_user_timeout);
	tcase_add_test(tc, after_change_with_fixed_or_no_user_timeout);
	tcase_add_test(tc, after_other_options_set_nothing);
	tcase_add_test(tc, after_override_puts_back_just_that_option);
	tcase_add_test(tc, after_override_respects_direction_and_zero_settings);
	tcase_add_test(tc, after_change_while_ut_waits);
	tcase_add_test(tc, established_sets_user_timeout);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(plan_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
