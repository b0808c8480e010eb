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

#include "choose.h"
#include "config.h"
#include "fdtable.h"
#include "plan.h"
#include "testlib.h"

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

/* Options kashim does not manage: each has no bit. */
static const struct {
	int level, opt;
	const char *name;
} not_ours[] = {
#define NOT_OURS(level, opt) { level, opt, #level ", " #opt }
	NOT_OURS(IPPROTO_TCP, TCP_NODELAY),
	NOT_OURS(IPPROTO_TCP, TCP_MAXSEG),
	NOT_OURS(IPPROTO_TCP, TCP_INFO),
	NOT_OURS(IPPROTO_TCP, TCP_CONGESTION),
	NOT_OURS(SOL_SOCKET, SO_REUSEADDR),
	NOT_OURS(SOL_SOCKET, SO_LINGER),
	NOT_OURS(SOL_SOCKET, SO_RCVBUF),
	/* The right number at the wrong level: TCP_KEEPIDLE (4) at
	 * SOL_SOCKET is SO_REUSEADDR's neighbour, SO_KEEPALIVE (9) at
	 * IPPROTO_TCP is TCP_DEFER_ACCEPT; the IP and IPv6 levels are not
	 * kashim's at all. */
	NOT_OURS(SOL_SOCKET, TCP_KEEPIDLE),
	NOT_OURS(SOL_SOCKET, TCP_USER_TIMEOUT),
	NOT_OURS(IPPROTO_TCP, SO_KEEPALIVE),
	NOT_OURS(IPPROTO_IP, TCP_KEEPIDLE),
	NOT_OURS(IPPROTO_IPV6, TCP_KEEPCNT),
	NOT_OURS(IPPROTO_IP, SO_KEEPALIVE),
	NOT_OURS(-1, TCP_KEEPIDLE),
	NOT_OURS(IPPROTO_TCP, -1),
#undef NOT_OURS
};

START_TEST(option_bits_of_other_options)
{
	for (int i = 0; i < N(not_ours); i++)
		ck_assert_msg(kashim_option_bit(not_ours[i].level,
						not_ours[i].opt) == 0,
			      "kashim_option_bit(%s) is not 0", not_ours[i].name);
}
END_TEST

/* ------------------------------------------------ plan cases as tables
 *
 * A case is one socket entry and one configuration, both starting from the
 * SPEC defaults (untouched(role), defaults()), and up to PLAN_STEPS steps.
 * A step first changes some fields ("set"), then asks one plan function
 * ("call"), then checks the plan: the exact text and its form ("plan",
 * NULL: neither checked) and single values ("want").
 * Changes carry over to the next step, so a row reads like the test it
 * replaced.
 *
 *   set:  cfg.idle= cfg.intvl= cfg.cnt= cfg.ut= cfg.syncnt= cfg.override=
 *         e.role=in|out|listen  e.user_set=BITS  e.flags=FLAGS
 *         e.idle= e.intvl= e.cnt=
 *         (BITS: keepalive|idle|intvl|cnt|ut|syncnt, all or 0;
 *          FLAGS: decided|configured|ut_later or 0)
 *   want: n= idle= intvl= cnt= user_timeout= ut_later= (the plan's fields)
 *         TCP_SYNCNT= TCP_USER_TIMEOUT= ... (the value the plan sets for
 *         that option, -1 when it sets nothing)
 */

#define PLAN_STEPS 6

/* FIRST_IN/FIRST_OUT: kashim_plan_first with outbound 0/1 (a listener is
 * FIRST_IN, as accepted sockets are); AFTER: kashim_plan_after_user;
 * ESTABLISHED: kashim_plan_established. */
enum plan_call { FIRST_IN, FIRST_OUT, AFTER, ESTABLISHED };

struct plan_step {
	enum plan_call call;
	int bit;                /* AFTER: the option the program just set */
	const char *set, *plan, *want;
};

struct plan_case {
	const char *name;
	int role;
	struct plan_step step[PLAN_STEPS];
};

#define DEFAULT_PLAN "SO_KEEPALIVE=1 TCP_KEEPIDLE=60 TCP_KEEPINTVL=10 " \
		     "TCP_KEEPCNT=6"

static const struct plan_case first_cases[] = {
	{ "first_defaults_inbound", ROLE_IN, {
		{ FIRST_IN, 0, "", DEFAULT_PLAN " TCP_USER_TIMEOUT=120000",
		  "idle=60 intvl=10 cnt=6 user_timeout=120000" } } },
	{ "first_defaults_outbound_has_no_syncnt", ROLE_OUT, {
		{ FIRST_OUT, 0, "", DEFAULT_PLAN " TCP_USER_TIMEOUT=120000",
		  "" } } },
	/* The user timeout waits for the handshake: on Linux it would
	 * replace the SYN count as the SYN phase's bound.  On an accepted
	 * socket or a listener TCP_SYNCNT would change the SYN-ACK retries
	 * instead: never. */
	{ "first_syncnt_outbound_only", ROLE_OUT, {
		{ FIRST_OUT, 0, "cfg.syncnt=3", DEFAULT_PLAN " TCP_SYNCNT=3",
		  "ut_later=1 user_timeout=120000" },
		{ FIRST_IN, 0, "e.role=in", NULL,
		  "TCP_SYNCNT=-1 n=5 ut_later=0" },
		{ FIRST_IN, 0, "e.role=listen", NULL,
		  "TCP_SYNCNT=-1 n=5 ut_later=0" },
		{ FIRST_OUT, 0, "cfg.syncnt=127 e.role=out", NULL,
		  "TCP_SYNCNT=127" } } },
	{ "first_user_timeout_zero_is_omitted", ROLE_OUT, {
		{ FIRST_OUT, 0, "cfg.ut=0 cfg.syncnt=2",
		  DEFAULT_PLAN " TCP_SYNCNT=2", "user_timeout=0" } } },
	{ "first_fixed_user_timeout", ROLE_IN, {
		{ FIRST_IN, 0, "cfg.ut=5000 cfg.idle=1",
		  "SO_KEEPALIVE=1 TCP_KEEPIDLE=1 TCP_KEEPINTVL=10 "
		  "TCP_KEEPCNT=6 TCP_USER_TIMEOUT=5000", "user_timeout=5000" },
		{ FIRST_IN, 0, "cfg.ut=2147483647", NULL,
		  "TCP_USER_TIMEOUT=2147483647" } } },
	{ "first_configured_values", ROLE_OUT, {
		{ FIRST_OUT, 0, "cfg.idle=5 cfg.intvl=2 cfg.cnt=3",
		  "SO_KEEPALIVE=1 TCP_KEEPIDLE=5 TCP_KEEPINTVL=2 "
		  "TCP_KEEPCNT=3 TCP_USER_TIMEOUT=11000",
		  "idle=5 intvl=2 cnt=3 user_timeout=11000" },
		{ FIRST_OUT, 0, "cfg.idle=1 cfg.intvl=1 cfg.cnt=1", NULL,
		  "TCP_USER_TIMEOUT=2000" } } },
	/* (32767 + 32767*127) * 1000 does not fit in an int; just under
	 * the cap: 32767 * 65 = 2129855 s. */
	{ "first_auto_user_timeout_is_capped", ROLE_IN, {
		{ FIRST_IN, 0, "cfg.idle=32767 cfg.intvl=32767 cfg.cnt=127",
		  NULL, "user_timeout=2147483647 TCP_USER_TIMEOUT=2147483647" },
		{ FIRST_IN, 0, "cfg.cnt=64", NULL,
		  "TCP_USER_TIMEOUT=2129855000" } } },
	{ "first_program_idle_wins_and_feeds_auto", ROLE_OUT, {
		{ FIRST_OUT, 0, "e.user_set=idle e.idle=30",
		  "SO_KEEPALIVE=1 TCP_KEEPINTVL=10 TCP_KEEPCNT=6 "
		  "TCP_USER_TIMEOUT=90000", "idle=30 user_timeout=90000" } } },
	/* Then only the count of the program's: 60 + 10*20. */
	{ "first_program_values_all_feed_auto", ROLE_IN, {
		{ FIRST_IN, 0, "e.user_set=idle|intvl|cnt e.idle=7 e.intvl=3 "
		  "e.cnt=4", "SO_KEEPALIVE=1 TCP_USER_TIMEOUT=19000",
		  "idle=7 intvl=3 cnt=4 user_timeout=19000" },
		{ FIRST_IN, 0, "e.user_set=cnt e.cnt=20",
		  "SO_KEEPALIVE=1 TCP_KEEPIDLE=60 TCP_KEEPINTVL=10 "
		  "TCP_USER_TIMEOUT=260000", "" } } },
	/* The program turned keepalive off itself: kashim leaves it off.
	 * The program's own SYN count is in force: kashim's user timeout
	 * waits for the handshake as it does for KASHIM_SYNCNT. */
	{ "first_program_keepalive_and_timeout_win", ROLE_OUT, {
		{ FIRST_OUT, 0, "e.user_set=keepalive",
		  "TCP_KEEPIDLE=60 TCP_KEEPINTVL=10 TCP_KEEPCNT=6 "
		  "TCP_USER_TIMEOUT=120000", "" },
		{ FIRST_OUT, 0, "e.user_set=ut", DEFAULT_PLAN, "" },
		{ FIRST_OUT, 0, "cfg.syncnt=4 e.user_set=syncnt", DEFAULT_PLAN,
		  "ut_later=1" },
		{ FIRST_OUT, 0, "cfg.syncnt=0", NULL, "n=4 ut_later=1" } } },
	{ "first_program_set_everything", ROLE_OUT, {
		{ FIRST_OUT, 0, "cfg.syncnt=4 e.user_set=all e.idle=100 "
		  "e.intvl=20 e.cnt=2", NULL,
		  "n=0 idle=100 intvl=20 cnt=2" } } },
	/* The auto timeout follows kashim's values, not the program's. */
	{ "first_override_sets_everything_of_kashims", ROLE_OUT, {
		{ FIRST_OUT, 0, "cfg.override=1 cfg.syncnt=4 cfg.idle=20 "
		  "e.user_set=all e.idle=100 e.intvl=20 e.cnt=2",
		  "SO_KEEPALIVE=1 TCP_KEEPIDLE=20 TCP_KEEPINTVL=10 "
		  "TCP_KEEPCNT=6 TCP_SYNCNT=4",
		  "ut_later=1 idle=20 intvl=10 cnt=6 user_timeout=80000" } } },
};

#define OVERRIDE_BACK(bit, name, text)					\
	{ AFTER, bit, "cfg.override=1 cfg.idle=20 cfg.syncnt=4 "	\
	  "e.user_set=" name " e.idle=300 e.intvl=1 e.cnt=1", text,	\
	  "idle=20 intvl=10 cnt=6 user_timeout=80000" }

static const struct plan_case after_cases[] = {
	{ "after_idle_change_sets_new_auto_timeout", ROLE_OUT, {
		{ AFTER, OPT_IDLE, "e.flags=decided|configured "
		  "e.user_set=idle e.idle=30", "TCP_USER_TIMEOUT=90000",
		  "idle=30 user_timeout=90000" } } },
	/* Then both of the program's values count. */
	{ "after_intvl_and_cnt_changes_set_new_auto_timeout", ROLE_IN, {
		{ AFTER, OPT_INTVL, "e.user_set=intvl e.intvl=1",
		  "TCP_USER_TIMEOUT=66000", "" },
		{ AFTER, OPT_CNT, "e.user_set=intvl|cnt e.cnt=100",
		  "TCP_USER_TIMEOUT=160000", "intvl=1 cnt=100" } } },
	{ "after_change_keeps_programs_user_timeout", ROLE_OUT, {
		{ AFTER, OPT_IDLE, "e.user_set=idle|ut e.idle=30", NULL,
		  "n=0" } } },
	/* A fixed user timeout does not depend on the values; 0 (kernel
	 * default) is never touched. */
	{ "after_change_with_fixed_or_no_user_timeout", ROLE_OUT, {
		{ AFTER, OPT_IDLE, "e.user_set=idle e.idle=30 cfg.ut=5000",
		  NULL, "n=0" },
		{ AFTER, OPT_IDLE, "cfg.ut=0", NULL, "n=0" } } },
	{ "after_other_options_set_nothing", ROLE_OUT, {
		{ AFTER, OPT_KEEPALIVE, "cfg.syncnt=3 e.user_set=keepalive",
		  NULL, "n=0" },
		{ AFTER, OPT_UT, "e.user_set=ut", NULL, "n=0" },
		{ AFTER, OPT_SYNCNT, "e.user_set=syncnt", NULL, "n=0" },
		{ AFTER, 0, "e.user_set=0", NULL, "n=0" } } },
	{ "after_override_puts_back_just_that_option", ROLE_OUT, {
		OVERRIDE_BACK(OPT_KEEPALIVE, "keepalive", "SO_KEEPALIVE=1"),
		OVERRIDE_BACK(OPT_IDLE, "idle", "TCP_KEEPIDLE=20"),
		OVERRIDE_BACK(OPT_INTVL, "intvl", "TCP_KEEPINTVL=10"),
		OVERRIDE_BACK(OPT_CNT, "cnt", "TCP_KEEPCNT=6"),
		OVERRIDE_BACK(OPT_UT, "ut", "TCP_USER_TIMEOUT=80000"),
		OVERRIDE_BACK(OPT_SYNCNT, "syncnt", "TCP_SYNCNT=4") } },
	/* TCP_SYNCNT is never kashim's on an accepted socket.  syncnt 0 and
	 * user timeout 0 mean "kernel default": kashim has no value of its
	 * own to put back.  A fixed user timeout is put back as it is. */
	{ "after_override_respects_direction_and_zero_settings", ROLE_IN, {
		{ AFTER, OPT_SYNCNT, "cfg.override=1 cfg.syncnt=4 "
		  "e.user_set=syncnt", NULL, "n=0" },
		{ AFTER, OPT_SYNCNT, "cfg.syncnt=0 e.role=out "
		  "e.user_set=syncnt", NULL, "n=0" },
		{ AFTER, OPT_UT, "cfg.ut=0 e.user_set=ut", NULL,
		  "n=0 user_timeout=0" },
		{ AFTER, OPT_UT, "cfg.ut=7000", "TCP_USER_TIMEOUT=7000",
		  "" } } },
	/* A connection whose user timeout waits for the handshake: a change
	 * of the keepalive values (or, under override, of the user timeout)
	 * must not put it on early -- in SYN_SENT it would bound the SYN
	 * phase. */
	{ "after_change_while_ut_waits", ROLE_OUT, {
		{ AFTER, OPT_IDLE, "cfg.syncnt=2 "
		  "e.flags=decided|configured|ut_later e.user_set=idle "
		  "e.idle=30", NULL, "n=0 ut_later=1 user_timeout=90000" },
		{ AFTER, OPT_UT, "cfg.override=1 e.user_set=ut", NULL, "n=0" },
		{ AFTER, OPT_SYNCNT, "e.user_set=syncnt", "TCP_SYNCNT=2",
		  "" } } },
	/* Once established: the user timeout from the values in force,
	 * unless the program set its own (and kashim does not override). */
	{ "established_sets_user_timeout", ROLE_OUT, {
		{ ESTABLISHED, 0, "cfg.syncnt=2 "
		  "e.flags=decided|configured|ut_later",
		  "TCP_USER_TIMEOUT=120000", "" },
		{ ESTABLISHED, 0, "e.user_set=idle|cnt e.idle=5 e.cnt=2",
		  "TCP_USER_TIMEOUT=25000", "" },
		{ ESTABLISHED, 0, "e.user_set=ut", NULL, "n=0" },
		{ ESTABLISHED, 0, "cfg.override=1", "TCP_USER_TIMEOUT=120000",
		  "" },
		{ ESTABLISHED, 0, "cfg.override=0 cfg.ut=0 e.user_set=0", NULL,
		  "n=0" },
		{ ESTABLISHED, 0, "cfg.ut=4000", "TCP_USER_TIMEOUT=4000",
		  "" } } },
};

static const struct {
	const char *word;
	int value;
} plan_words[] = {
	{ "keepalive", OPT_KEEPALIVE }, { "idle", OPT_IDLE },
	{ "intvl", OPT_INTVL }, { "cnt", OPT_CNT }, { "ut", OPT_UT },
	{ "syncnt", OPT_SYNCNT },
	{ "all", OPT_KEEPALIVE | OPT_IDLE | OPT_INTVL | OPT_CNT | OPT_UT |
		 OPT_SYNCNT },
	{ "decided", FD_DECIDED }, { "configured", FD_CONFIGURED },
	{ "ut_later", FD_UT_LATER },
	{ "in", ROLE_IN }, { "out", ROLE_OUT }, { "listen", ROLE_LISTEN },
};

/* One word of plan_words; fails the test for any other. */
static int plan_word(const char *word)
{
	int i;

	for (i = 0; i < N(plan_words); i++)
		if (strcmp(word, plan_words[i].word) == 0)
			return plan_words[i].value;
	ck_abort_msg("unknown word '%s'", word);
	return 0;
}

/* "idle|cnt" → OPT_IDLE | OPT_CNT; a number stands for itself. */
static long plan_value(const char *v)
{
	long sum = 0;
	char word[32];

	if ((*v >= '0' && *v <= '9') || *v == '-')
		return strtol(v, NULL, 10);
	while (*v) {
		size_t len = strcspn(v, "|");

		ck_assert_msg(len < sizeof(word), "word too long: %s", v);
		memcpy(word, v, len);
		word[len] = '\0';
		sum |= plan_word(word);
		v += len + (v[len] == '|');
	}
	return sum;
}

/* Split "key=value key=value" and hand each pair to fn. */
static void plan_pairs(const char *list, void (*fn)(const char *key,
		       long value, void *arg), void *arg)
{
	char buf[256], *save = NULL, *tok;

	ck_assert_msg(strlen(list) < sizeof(buf), "too long: %s", list);
	strcpy(buf, list);
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		ck_assert_msg(eq != NULL, "no '=' in '%s'", tok);
		*eq = '\0';
		fn(tok, plan_value(eq + 1), arg);
	}
}

struct plan_state {
	struct kashim_config cfg;
	struct kashim_fd e;
	struct kashim_plan p;
	const char *where;      /* "case step N" for messages */
};

static void plan_set(const char *key, long v, void *arg)
{
	struct plan_state *s = arg;

	if (strcmp(key, "cfg.idle") == 0) s->cfg.idle = (int)v;
	else if (strcmp(key, "cfg.intvl") == 0) s->cfg.intvl = (int)v;
	else if (strcmp(key, "cfg.cnt") == 0) s->cfg.cnt = (int)v;
	else if (strcmp(key, "cfg.ut") == 0) s->cfg.user_timeout = v;
	else if (strcmp(key, "cfg.syncnt") == 0) s->cfg.syncnt = (int)v;
	else if (strcmp(key, "cfg.override") == 0) s->cfg.override = (int)v;
	else if (strcmp(key, "e.role") == 0) s->e.role = (uint8_t)v;
	else if (strcmp(key, "e.user_set") == 0) s->e.user_set = (uint8_t)v;
	else if (strcmp(key, "e.flags") == 0) s->e.flags = (uint8_t)v;
	else if (strcmp(key, "e.idle") == 0) s->e.idle = (uint16_t)v;
	else if (strcmp(key, "e.intvl") == 0) s->e.intvl = (uint16_t)v;
	else if (strcmp(key, "e.cnt") == 0) s->e.cnt = (uint8_t)v;
	else ck_abort_msg("%s: unknown setting '%s'", s->where, key);
}

/* The row of order[] for "TCP_SYNCNT" etc.; fails the test for any other
 * name. */
static int order_index(const char *text, const char *where)
{
	int i;

	for (i = 0; i < N(order); i++)
		if (strcmp(text, order[i].text) == 0)
			return i;
	ck_abort_msg("%s: unknown result '%s'", where, text);
	return 0;
}

static void plan_want(const char *key, long want, void *arg)
{
	const struct plan_state *s = arg;
	const struct kashim_plan *p = &s->p;
	long got;
	int i;

	if (strcmp(key, "n") == 0) got = p->n;
	else if (strcmp(key, "idle") == 0) got = p->idle;
	else if (strcmp(key, "intvl") == 0) got = p->intvl;
	else if (strcmp(key, "cnt") == 0) got = p->cnt;
	else if (strcmp(key, "user_timeout") == 0) got = p->user_timeout;
	else if (strcmp(key, "ut_later") == 0) got = p->ut_later;
	else {
		i = order_index(key, s->where);
		got = planned(p, order[i].level, order[i].name);
	}
	ck_assert_msg(got == want, "%s: %s is %ld, want %ld (plan '%s')",
		      s->where, key, got, want, show(p));
}

static void plan_run(const struct plan_case *c)
{
	static char where[128];
	struct plan_state s;
	int i;

	s.cfg = defaults();
	s.e = untouched(c->role);
	s.where = where;
	for (i = 0; i < PLAN_STEPS && c->step[i].set; i++) {
		const struct plan_step *st = &c->step[i];

		snprintf(where, sizeof(where), "%s step %d", c->name, i + 1);
		plan_pairs(st->set, plan_set, &s);
		fresh_plan(&s.p);
		if (st->call == AFTER)
			kashim_plan_after_user(&s.cfg, &s.e, st->bit, &s.p);
		else if (st->call == ESTABLISHED)
			kashim_plan_established(&s.cfg, &s.e, &s.p);
		else
			kashim_plan_first(&s.cfg, &s.e, st->call == FIRST_OUT,
					  &s.p);
		if (st->plan) {
			assert_well_formed(&s.p);
			ck_assert_msg(strcmp(show(&s.p), st->plan) == 0,
				      "%s: plan '%s', want '%s'", where,
				      show(&s.p), st->plan);
		}
		plan_pairs(st->want, plan_want, &s);
	}
}

START_TEST(first_table)
{
	plan_run(&first_cases[_i]);
}
END_TEST

START_TEST(after_table)
{
	plan_run(&after_cases[_i]);
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

/* ------------------------------------------------------------- suite */

static Suite *plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc;

	tc = kt_tcase(s, "is_tcp", TIMEOUT);
	tcase_add_loop_test(tc, is_tcp_table, 0, N(sockets));

	tc = kt_tcase(s, "option bits", TIMEOUT);
	tcase_add_test(tc, option_bits_of_managed_options);
	tcase_add_test(tc, option_bits_are_distinct);
	tcase_add_test(tc, option_bits_of_other_options);

	tc = kt_tcase(s, "first", TIMEOUT);
	tcase_add_loop_test(tc, first_table, 0, N(first_cases));
	tcase_add_loop_test(tc, first_every_user_set_combination, 0, 256);

	tc = kt_tcase(s, "after user", TIMEOUT);
	tcase_add_loop_test(tc, after_table, 0, N(after_cases));
	return s;
}

int main(void)
{
	return kt_main(plan_suite());
}
