/* kashim — integration tests: unmodified programs run under the preload and
 * the kernel's view of their sockets (getsockopt, read back by the program).
 *
 * Each case runs build/tests/progs/tcpopts (a program that connects to
 * itself and prints the keepalive options of its outbound, accepted and
 * listening sockets) with a controlled environment, and compares with the
 * same program run without the preload where "untouched" is the claim.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define ARGS(...) ((const char *[]){ __VA_ARGS__, NULL })
#define NOARGS ((const char *[]){ NULL })
#define ENV(...) ((const char *[]){ __VA_ARGS__, NULL })
#define NOENV ((const char *[]){ NULL })

/* Run progs/<prog> with args, the preload when preload != 0, the extra
 * environment entries env, handing over keep[0..nkeep).  Asserts a clean
 * exit within 10 s and returns its stdout (leaked: the test process ends). */
static char *run_keep(const char *prog, int preload, const char **env,
		      const char **args, const int *keep, int nkeep)
{
	struct kt_env e;
	struct kt_proc p;
	const char *argv[32];
	int n = 0, rc;
	char *out;

	argv[n++] = kt_prog(prog);
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	kt_env_init(&e, preload);
	for (int i = 0; env[i]; i++)
		kt_env_add(&e, "%s", env[i]);
	rc = kt_run(&p, (char *const *)argv, e.v, keep, nkeep, 10000);
	if (preload)
		kt_assert_preloaded(&p);
	ck_assert_msg(rc == 0, "%s (%s) failed: %s\nstdout: %s\nstderr: %s",
		      prog, preload ? "preloaded" : "plain", kt_status_str(&p),
		      p.obuf, p.ebuf);
	out = strdup(p.obuf);
	kt_proc_free(&p);
	kt_env_free(&e);
	return out;
}

static char *run(const char *prog, int preload, const char **env,
		 const char **args)
{
	return run_keep(prog, preload, env, args, NULL, 0);
}

/* The options line of tag (out/in/lis) must read exactly these values. */
static void expect(const char *out, const char *tag, int ka, int idle,
		   int intvl, int cnt, int ut)
{
	char want[256], line[256];

	snprintf(want, sizeof want,
		 "%s keepalive=%d idle=%d intvl=%d cnt=%d ut=%d", tag, ka,
		 idle, intvl, cnt, ut);
	ck_assert_msg(kt_line(out, tag, line, sizeof line) == 0,
		      "no '%s' line in:\n%s", tag, out);
	ck_assert_msg(strncmp(line, want, strlen(want)) == 0 &&
		      line[strlen(want)] == ' ',
		      "expected '%s ...', got '%s'", want, line);
}

/* Configured with the SPEC defaults 60/10/6/auto. */
static void expect_default(const char *out, const char *tag)
{
	expect(out, tag, 1, 60, 10, 6, 120000);
}

/* The line of tag is the same as in the run without kashim. */
static void expect_untouched(const char *out, const char *plain,
			     const char *tag)
{
	char a[256], b[256];

	ck_assert_msg(kt_line(out, tag, a, sizeof a) == 0, "no %s in %s",
		      tag, out);
	ck_assert_msg(kt_line(plain, tag, b, sizeof b) == 0, "no %s in %s",
		      tag, plain);
	ck_assert_msg(strcmp(a, b) == 0,
		      "%s socket was touched: '%s', without kashim '%s'",
		      tag, a, b);
	ck_assert_msg(kt_kv_long(out, tag, "keepalive", -1) == 0,
		      "%s: keepalive on without kashim?", a);
}

static void need_ipv6(const char *name, int *skip)
{
	*skip = !kt_have_ipv6();
	if (*skip)
		kt_skip(name, "no IPv6 on lo (::1)");
}

/* ---- outbound and accepted sockets ------------------------------------ */

START_TEST(t_defaults_v4)
{
	char *plain = run("tcpopts", 0, NOENV, NOARGS);
	char *out = run("tcpopts", 1, NOENV, NOARGS);

	ck_assert_int_eq(kt_kv_long(plain, "out", "keepalive", -1), 0);
	expect_default(out, "out");
	expect_default(out, "in");
}
END_TEST

START_TEST(t_defaults_v6)
{
	int skip;
	char *out;

	need_ipv6(__func__, &skip);
	if (skip)
		return;
	out = run("tcpopts", 1, NOENV, ARGS("-6"));
	expect_default(out, "out");
	expect_default(out, "in");
}
END_TEST

START_TEST(t_custom_values)
{
	const char **env = ENV("KASHIM_IDLE=7", "KASHIM_INTVL=3",
			       "KASHIM_CNT=4");
	char *out = run("tcpopts", 1, env, NOARGS);

	expect(out, "out", 1, 7, 3, 4, (7 + 3 * 4) * 1000);
	expect(out, "in", 1, 7, 3, 4, (7 + 3 * 4) * 1000);
	if (kt_have_ipv6()) {
		out = run("tcpopts", 1, env, ARGS("-6"));
		expect(out, "out", 1, 7, 3, 4, 19000);
		expect(out, "in", 1, 7, 3, 4, 19000);
	}
}
END_TEST

/* SOCK_NONBLOCK|SOCK_CLOEXEC on socket(), accept4() with both flags. */
START_TEST(t_flags_accept4)
{
	char *out = run("tcpopts", 1, NOENV, ARGS("-f", "nc", "-4"));

	expect_default(out, "out");
	expect_default(out, "in");
	if (kt_have_ipv6()) {
		out = run("tcpopts", 1, NOENV, ARGS("-6", "-f", "nc", "-4"));
		expect_default(out, "out");
		expect_default(out, "in");
	}
	out = run("tcpopts", 1, NOENV, ARGS("-f", "c"));
	expect_default(out, "out");
}
END_TEST

START_TEST(t_proto_tcp)
{
	char *out = run("tcpopts", 1, NOENV, ARGS("-P", "6"));

	expect_default(out, "out");
	expect_default(out, "in");
}
END_TEST

/* The listener is made here, without kashim, and inherited already
 * listening (socket activation): the program never calls socket/listen. */
static void inherited(const char *addr, const char *v6flag)
{
	char fdarg[16], *out;
	int port, fd = kt_listener(addr, 0, &port);

	ck_assert_msg(fd >= 0, "listener on %s", addr);
	snprintf(fdarg, sizeof fdarg, "%d", fd);
	out = v6flag ? run_keep("tcpopts", 1, NOENV,
				ARGS("-L", fdarg, v6flag, "-4"), &fd, 1)
		     : run_keep("tcpopts", 1, NOENV, ARGS("-L", fdarg), &fd, 1);
	expect_default(out, "out");
	expect_default(out, "in");
	close(fd);
}

START_TEST(t_inherited_listener)
{
	inherited("127.0.0.1", NULL);
	if (kt_have_ipv6())
		inherited("::1", "-6");
}
END_TEST

/* A TCP socket made here, before kashim was loaded in the program, and
 * connected there: covered when it connects (SPEC). */
static char *inherited_client(const char **env)
{
	char fdarg[16], *out;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert(fd >= 0);
	snprintf(fdarg, sizeof fdarg, "%d", fd);
	out = run_keep("tcpopts", 1, env, ARGS("-C", fdarg), &fd, 1);
	close(fd);
	return out;
}

START_TEST(t_inherited_client)
{
	char *out = inherited_client(NOENV);

	expect_default(out, "out");
	expect_default(out, "in");
	out = inherited_client(ENV("KASHIM_SYNCNT=2", "KASHIM_IDLE=9"));
	expect(out, "out", 1, 9, 10, 6, 69000);
	ck_assert_int_eq(kt_kv_long(out, "out", "syncnt", -1), 2);
}
END_TEST

START_TEST(t_syncnt)
{
	char *plain = run("tcpopts", 0, NOENV, NOARGS);
	char *out = run("tcpopts", 1, ENV("KASHIM_SYNCNT=3"), NOARGS);
	long def = kt_kv_long(plain, "out", "syncnt", -1);

	ck_assert_int_eq(kt_kv_long(out, "out", "syncnt", -1), 3);
	/* inbound only gets what it would have: not on accepted sockets,
	 * not on the listener (there it would change SYN-ACK retries) */
	ck_assert_int_eq(kt_kv_long(out, "in", "syncnt", -1), def);
	ck_assert_int_eq(kt_kv_long(out, "lis", "syncnt", -1), def);
	out = run("tcpopts", 1, NOENV, NOARGS);
	ck_assert_int_eq(kt_kv_long(out, "out", "syncnt", -1), def);
}
END_TEST

START_TEST(t_user_timeout_values)
{
	char *out = run("tcpopts", 1, ENV("KASHIM_USER_TIMEOUT=4321"), NOARGS);

	expect(out, "out", 1, 60, 10, 6, 4321);
	expect(out, "in", 1, 60, 10, 6, 4321);
	out = run("tcpopts", 1, ENV("KASHIM_USER_TIMEOUT=0"), NOARGS);
	expect(out, "out", 1, 60, 10, 6, 0);
	expect(out, "in", 1, 60, 10, 6, 0);
	/* auto in 64 bits, capped: 32767 + 32767*127 s does not fit in ms */
	out = run("tcpopts", 1, ENV("KASHIM_IDLE=32767", "KASHIM_INTVL=32767",
				    "KASHIM_CNT=127"), NOARGS);
	expect(out, "out", 1, 32767, 32767, 127, 2147483647);
}
END_TEST

/* ---- options the program sets itself ---------------------------------- */

START_TEST(t_program_before_connect)
{
	char *out = run("tcpopts", 1, NOENV, ARGS("-s", "idle=100"));

	/* auto user timeout follows the program's idle: (100 + 10*6) s */
	expect(out, "out", 1, 100, 10, 6, 160000);
	expect_default(out, "in");
	out = run("tcpopts", 1, NOENV, ARGS("-s", "cnt=2", "-s", "intvl=5"));
	expect(out, "out", 1, 60, 5, 2, 70000);
	out = run("tcpopts", 1, NOENV, ARGS("-s", "ut=5000"));
	expect(out, "out", 1, 60, 10, 6, 5000);
	out = run("tcpopts", 1, NOENV, ARGS("-s", "keepalive=0"));
	ck_assert_int_eq(kt_kv_long(out, "out", "keepalive", -1), 0);
	/* a program that turns keepalive on and leaves the kernel's 7200 s:
	 * kashim still brings the timing */
	out = run("tcpopts", 1, NOENV, ARGS("-s", "keepalive=1"));
	expect_default(out, "out");
}
END_TEST

/* A setsockopt of the program's that the kernel refused set nothing: the
 * program's error stays, and kashim's own value is in force. */
START_TEST(t_program_option_refused)
{
	char *out = run("tcpopts", 1, NOENV, ARGS("-s", "idle=0"));

	ck_assert_msg(strstr(out, "setopt failed=EINVAL\n") != NULL, "%s", out);
	expect_default(out, "out");
	out = run("tcpopts", 1, NOENV, ARGS("-S", "cnt=1000", "-S", "ut=-5"));
	ck_assert_msg(strstr(out, "setopt failed=EINVAL\nsetopt failed=EINVAL\n")
		      != NULL, "%s", out);
	expect_default(out, "out");
}
END_TEST

START_TEST(t_program_after_connect)
{
	char *out = run("tcpopts", 1, NOENV, ARGS("-S", "idle=100"));

	/* the user timeout kashim set before connect is recomputed */
	expect(out, "out", 1, 100, 10, 6, 160000);
	out = run("tcpopts", 1, NOENV, ARGS("-S", "cnt=2"));
	expect(out, "out", 1, 60, 10, 2, 80000);
	out = run("tcpopts", 1, NOENV, ARGS("-S", "ut=7000", "-S", "idle=30"));
	expect(out, "out", 1, 30, 10, 6, 7000);
	out = run("tcpopts", 1, NOENV, ARGS("-S", "keepalive=0"));
	ck_assert_int_eq(kt_kv_long(out, "out", "keepalive", -1), 0);
}
END_TEST

START_TEST(t_program_accepted)
{
	char *out = run("tcpopts", 1, NOENV, ARGS("-a", "idle=100"));

	expect(out, "in", 1, 100, 10, 6, 160000);
	expect_default(out, "out");
}
END_TEST

START_TEST(t_override)
{
	const char **env = ENV("KASHIM_OVERRIDE=1");
	char *out = run("tcpopts", 1, env, ARGS("-s", "idle=100"));

	expect_default(out, "out");
	out = run("tcpopts", 1, env, ARGS("-s", "keepalive=0", "-s", "ut=5"));
	expect_default(out, "out");
	out = run("tcpopts", 1, env, ARGS("-S", "idle=100", "-S", "cnt=2"));
	expect_default(out, "out");
	out = run("tcpopts", 1, env, ARGS("-a", "idle=100"));
	expect_default(out, "in");
}
END_TEST

/* ---- what is configured ------------------------------------------------ */

START_TEST(t_disable)
{
	char *plain = run("tcpopts", 0, NOENV, NOARGS);
	char *out = run("tcpopts", 1, ENV("KASHIM_DISABLE=1", "KASHIM_IDLE=5",
					  "KASHIM_SYNCNT=2"), NOARGS);

	ck_assert_str_eq(out, plain);
	out = run("tcpopts", 1, ENV("KASHIM_DISABLE=1"), ARGS("-S", "idle=77"));
	plain = run("tcpopts", 0, NOENV, ARGS("-S", "idle=77"));
	ck_assert_str_eq(out, plain);
}
END_TEST

START_TEST(t_direction)
{
	char *plain = run("tcpopts", 0, NOENV, NOARGS);
	char *out = run("tcpopts", 1, ENV("KASHIM_DIRECTION=out"), NOARGS);

	expect_default(out, "out");
	expect_untouched(out, plain, "in");
	out = run("tcpopts", 1, ENV("KASHIM_DIRECTION=in"), NOARGS);
	expect_untouched(out, plain, "out");
	expect_default(out, "in");
	out = run("tcpopts", 1, ENV("KASHIM_DIRECTION=both"), NOARGS);
	expect_default(out, "out");
	expect_default(out, "in");
}
END_TEST

/* A filter chose each direction of out or not: a chosen one has kashim's
 * defaults, the other is as in plain (the run without kashim). */
static void expect_chosen(const char *out, int want_out, int want_in,
			  const char *plain)
{
	if (want_out)
		expect_default(out, "out");
	else
		expect_untouched(out, plain, "out");
	if (want_in)
		expect_default(out, "in");
	else
		expect_untouched(out, plain, "in");
}

/* KASHIM_PORTS: the remote port of outbound, the local port of inbound.
 * Both are the listener's port P here (the client's own port is random). */
static void ports_case(int port, const char *ports, int want_out, int want_in,
		       const char *plain)
{
	char env[64], parg[16], *out;

	snprintf(env, sizeof env, "KASHIM_PORTS=%s", ports);
	snprintf(parg, sizeof parg, "%d", port);
	out = run("tcpopts", 1, ENV(env), ARGS("-p", parg));
	expect_chosen(out, want_out, want_in, plain);
}

START_TEST(t_ports)
{
	char *plain = run("tcpopts", 0, NOENV, NOARGS);
	int p = kt_free_port(), q = p == 65535 ? p - 1 : p + 1;
	char s[64];

	ck_assert_int_gt(p, 0);
	snprintf(s, sizeof s, "%d", p);
	ports_case(p, s, 1, 1, plain);
	snprintf(s, sizeof s, "%d", q);
	ports_case(p, s, 0, 0, plain);
	snprintf(s, sizeof s, "!%d", p);
	ports_case(p, s, 0, 0, plain);
	snprintf(s, sizeof s, "!%d", q);
	ports_case(p, s, 1, 1, plain);
	snprintf(s, sizeof s, "1,%d-%d", p - 1, p);
	ports_case(p, s, 1, 1, plain);
	snprintf(s, sizeof s, "%d,%d", q, 1);
	ports_case(p, s, 0, 0, plain);
}
END_TEST

/* KASHIM_NETS: the peer's address.  The program listens on LADDR and its
 * client binds to BADDR, so the outbound peer is LADDR and the inbound
 * peer is BADDR. */
static void nets_case(const char *nets, const char **args, int want_out,
		      int want_in, const char *plain)
{
	char env[128], *out;

	snprintf(env, sizeof env, "KASHIM_NETS=%s", nets);
	out = run("tcpopts", 1, ENV(env), args);
	expect_chosen(out, want_out, want_in, plain);
}

START_TEST(t_nets_v4)
{
	const char **a = ARGS("-l", "127.0.0.2", "-b", "127.0.0.3");
	char *plain = run("tcpopts", 0, NOENV, a);

	nets_case("127.0.0.2", a, 1, 0, plain);
	nets_case("127.0.0.3/32", a, 0, 1, plain);
	nets_case("!127.0.0.2", a, 0, 1, plain);
	nets_case("127.0.0.0/8", a, 1, 1, plain);
	nets_case("127.0.0.2/31", a, 1, 1, plain);   /* .2 and .3 */
	nets_case("10.0.0.0/8", a, 0, 0, plain);
	nets_case("10.0.0.0/8,127.0.0.3", a, 0, 1, plain);
	nets_case("!10.0.0.0/8,127.0.0.3", a, 1, 0, plain);
	nets_case("::1", a, 0, 0, plain);
}
END_TEST

START_TEST(t_nets_v6)
{
	const char **a = ARGS("-6");
	const char **m = ARGS("-6", "-l", "::", "-c", "::ffff:127.0.0.2",
			      "-b", "::ffff:127.0.0.3");
	char *plain;
	int skip;

	need_ipv6(__func__, &skip);
	if (skip)
		return;
	plain = run("tcpopts", 0, NOENV, a);
	nets_case("::1", a, 1, 1, plain);
	nets_case("::1/128,10.0.0.0/8", a, 1, 1, plain);
	nets_case("!::1", a, 0, 0, plain);
	nets_case("fd00::/8", a, 0, 0, plain);
	nets_case("127.0.0.1", a, 0, 0, plain);
	/* IPv4-mapped peers of a dual-stack socket are IPv4 peers */
	plain = run("tcpopts", 0, NOENV, m);
	nets_case("127.0.0.2", m, 1, 0, plain);
	nets_case("127.0.0.3", m, 0, 1, plain);
}
END_TEST

/* ---- transparency: other sockets, errno and return values ------------- */

START_TEST(t_other_sockets)
{
	int ufd = socket(AF_INET, SOCK_DGRAM, 0);
	char fdarg[16], *plain, *out;
	char *tags[] = { "udp4", "udp6", "unix_stream", "unix_dgram",
			 "unix_seqpacket", "unix_pair", "raw4_tcp", "mptcp4",
			 "inherited_udp" };

	ck_assert(ufd >= 0);
	snprintf(fdarg, sizeof fdarg, "%d", ufd);
	plain = run_keep("othersocks", 0, NOENV, ARGS("-i", fdarg), &ufd, 1);
	out = run_keep("othersocks", 1, NOENV, ARGS("-i", fdarg), &ufd, 1);

	ck_assert_str_eq(out, plain);
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
		char line[256], val[32];

		if (kt_kv(out, tags[i], "keepalive", val, sizeof val) < 0) {
			kt_line(out, tags[i], line, sizeof line);
			printf("NOTE: %s: %s (no keepalive to read here)\n",
			       tags[i], line);
			continue;
		}
		ck_assert_msg(strcmp(val, "0") == 0, "%s keepalive=%s",
			      tags[i], val);
	}
}
END_TEST

/* What a plain program sees on this kernel; kashim must not change a byte
 * of it (the preloaded run must print exactly this too). */
static const char errnos_expected[] =
	"socket4 ret=fd errno=12345\n"
	"socket6 ret=fd errno=12345\n"
	"socket4_nonblock ret=fd errno=12345\n"
	"socket_udp_proto ret=-1 errno=EPROTONOSUPPORT\n"
	"socket_bad_type ret=-1 errno=EINVAL\n"
	"socket_bad_family ret=-1 errno=EAFNOSUPPORT\n"
	"setsockopt_ok ret=0 errno=12345\n"
	"setsockopt_einval ret=-1 errno=EINVAL\n"
	"setsockopt_badfd ret=-1 errno=EBADF\n"
	"getsockopt_ok ret=0 errno=12345\n"
	"getsockopt_badfd ret=-1 errno=EBADF\n"
	"listen_badfd ret=-1 errno=EBADF\n"
	"close_ok ret=0 errno=12345\n"
	"close_badfd ret=-1 errno=EBADF\n"
	"connect_refused ret=-1 errno=ECONNREFUSED\n"
	"connect_badfd ret=-1 errno=EBADF\n"
	"connect_notsock ret=-1 errno=ENOTSOCK\n"
	"connect_short_len ret=-1 errno=EINVAL\n"
	"connect_null_0 ret=-1 errno=EINVAL\n"
	"connect_null_16 ret=-1 errno=EFAULT\n"
	"connect_family_mismatch ret=-1 errno=EAFNOSUPPORT\n"
	"listen_ok ret=0 errno=12345\n"
	"connect_ok ret=0 errno=12345\n"
	"connect_again ret=-1 errno=EISCONN\n"
	"accept_ok ret=fd errno=12345\n"
	"accept4_ok ret=fd errno=12345\n"
	"accept4_bad_flags ret=-1 errno=EINVAL\n"
	"accept_badfd ret=-1 errno=EBADF\n"
	"accept_notsock ret=-1 errno=ENOTSOCK\n"
	"accept_not_listening ret=-1 errno=EINVAL\n"
	"accept_nonblock_empty ret=-1 errno=EAGAIN\n"
	"write ret=5 errno=12345\n"
	"read ret=5 errno=12345\n"
	"send ret=2 errno=12345\n"
	"recv ret=2 errno=12345\n"
	"recv_empty_dontwait ret=-1 errno=EAGAIN\n"
	"read_badfd ret=-1 errno=EBADF\n"
	"dup ret=fd errno=12345\n"
	"fcntl_getfl ret=0 errno=12345\n"
	"accept_short_addr ret=fd errno=12345 len=16 family=2\n"
	"accept_addr ret=fd errno=12345 len=16 family=2 port_ok=1\n"
	"connect_nonblock ret=-1 errno=EINPROGRESS\n"
	"connect_nonblock_done ret=0 errno=12345 so_error=0\n"
	"connect_nonblock_refused ret=-1 errno=EINPROGRESS\n"
	"connect_nonblock_refused_done ret=0 errno=12345 "
	"so_error=ECONNREFUSED\n";

/* Line by line, so that a failure names the call. */
static void expect_errnos(const char *out, const char *how)
{
	const char *e = errnos_expected, *o = out;

	while (*e) {
		size_t el = strcspn(e, "\n"), ol = strcspn(o, "\n");

		ck_assert_msg(el == ol && strncmp(e, o, el) == 0,
			      "%s: expected '%.*s', got '%.*s'", how, (int)el,
			      e, (int)ol, o);
		e += el + 1;
		o += ol + (o[ol] ? 1 : 0);
	}
	ck_assert_msg(*o == '\0', "%s: unexpected output: %s", how, o);
}

/* _i = 0: without kashim (the expectations are right), 1: with it. */
START_TEST(t_errnos)
{
	char *out = run("errnos", _i, NOENV, NOARGS);

	expect_errnos(out, _i ? "with kashim" : "without kashim");
}
END_TEST

START_TEST(t_errnos_filters)
{
	/* the same under filters and settings that make kashim skip, take
	 * the peer address or set SYNCNT */
	static const char *envs[][3] = {
		{ "KASHIM_NETS=127.0.0.0/8", "KASHIM_SYNCNT=2", NULL },
		{ "KASHIM_NETS=!127.0.0.1", "KASHIM_DIRECTION=in", NULL },
		{ "KASHIM_PORTS=1", "KASHIM_OVERRIDE=1", NULL },
		{ "KASHIM_DISABLE=1", NULL, NULL },
		/* the hooks look at every result (direct.h's calls) */
		{ "KASHIM_LOG=/dev/null", NULL, NULL },
		{ "KASHIM_LOG=/dev/null", "KASHIM_WATCH=1", NULL },
	};

	for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
		char *out = run("errnos", 1, (const char **)envs[i], NOARGS);
		char how[128];

		snprintf(how, sizeof how, "with %s %s", envs[i][0],
			 envs[i][1] ? envs[i][1] : "");
		expect_errnos(out, how);
	}
}
END_TEST

static Suite *core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("options");
	TCase *tr = tcase_create("transparency");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_defaults_v4);
	tcase_add_test(tc, t_defaults_v6);
	tcase_add_test(tc, t_custom_values);
	tcase_add_test(tc, t_flags_accept4);
	tcase_add_test(tc, t_proto_tcp);
	tcase_add_test(tc, t_inherited_listener);
	tcase_add_test(tc, t_inherited_client);
	tcase_add_test(tc, t_syncnt);
	tcase_add_test(tc, t_user_timeout_values);
	tcase_add_test(tc, t_program_before_connect);
	tcase_add_test(tc, t_program_option_refused);
	tcase_add_test(tc, t_program_after_connect);
	tcase_add_test(tc, t_program_accepted);
	tcase_add_test(tc, t_override);
	tcase_add_test(tc, t_disable);
	tcase_add_test(tc, t_direction);
	tcase_add_test(tc, t_ports);
	tcase_add_test(tc, t_nets_v4);
	tcase_add_test(tc, t_nets_v6);
	suite_add_tcase(s, tc);

	tcase_set_timeout(tr, 60);
	tcase_add_test(tr, t_other_sockets);
	tcase_add_loop_test(tr, t_errnos, 0, 2);
	tcase_add_test(tr, t_errnos_filters);
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	return kt_main(core_suite());
}
