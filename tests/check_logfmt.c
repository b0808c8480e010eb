/* Unit tests of the dead-peer line and the cause classification
 * (shim/logfmt.c), linked directly (no preload).  The line is checked
 * whole, its endpoints (IPv6 in brackets), errno names and logfmt quoting
 * of hostile program names are checked piece by piece, every line is read
 * back with a small logfmt parser, and every formatter is run at every
 * buffer size with a canary after the buffer to show it never writes past
 * cap. */
#include <check.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "logfmt.h"
#include "testlib.h"

#define TIMEOUT 10
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define CANARY 32
#define CANARY_BYTE 0xa5

/* cppcheck reads this file without the system headers; tell it what a
 * Check test is, or it loses track of the code after the first one. */
#ifndef START_TEST
#define START_TEST(name) static void name(int _i)
#define END_TEST
#endif

/* ---------------------------------------------------------------- helpers */

static struct kashim_endpoint endpoint(int family, const char *ip,
				       uint16_t port)
{
	struct kashim_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	ep.family = family;
	ep.port = port;
	ck_assert_int_eq(inet_pton(family, ip, ep.addr), 1);
	return ep;
}

static struct kashim_endpoint ep4(const char *ip, uint16_t port)
{
	return endpoint(AF_INET, ip, port);
}

static struct kashim_endpoint ep6(const char *ip, uint16_t port)
{
	return endpoint(AF_INET6, ip, port);
}

/* The SPEC's example line. */
static struct kashim_dead example(void)
{
	struct kashim_dead d;

	memset(&d, 0, sizeof(d));
	d.prog = "NAME";
	d.pid = 4242;
	d.fd = 7;
	d.dir = "out";
	d.local = ep4("127.0.0.1", 40312);
	d.peer = ep4("127.0.0.1", 5555);
	d.err = ETIMEDOUT;
	d.cause = "keepalive";
	d.age_ms = 63200;
	return d;
}

static const char *line_of(const struct kashim_dead *d)
{
	static char buf[4096];
	size_t n;

	memset(buf, CANARY_BYTE, sizeof(buf));
	n = kashim_fmt_dead(buf, sizeof(buf), d);
	ck_assert_uint_lt(n, sizeof(buf) - 1);
	ck_assert_uint_eq(strlen(buf), n);
	return buf;
}

/* A logfmt reader, as a log shipper would read the line: "peer dead", then
 * key=value pairs separated by one blank; a value is bare (up to the next
 * blank) or double-quoted with \" and \\ escapes. */
#define MAX_PAIRS 16
struct pairs {
	int n;
	char key[MAX_PAIRS][32];
	char value[MAX_PAIRS][4096];
};

static int parse_line(const char *s, struct pairs *out)
{
	static const char head[] = "peer dead ";

	out->n = 0;
	if (strncmp(s, head, strlen(head)) != 0)
		return -1;
	s += strlen(head);
	while (*s) {
		char *k, *v;
		size_t len = 0;

		if (out->n == MAX_PAIRS)
			return -1;
		k = out->key[out->n];
		v = out->value[out->n];
		while (*s && *s != '=' && *s != ' ' && *s != '"') {
			if (len + 1 >= sizeof(out->key[0]))
				return -1;
			k[len++] = *s++;
		}
		k[len] = '\0';
		if (len == 0 || *s != '=')
			return -1;
		s++;
		len = 0;
		if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (!*s)
					return -1;      /* unterminated */
				if (*s == '\\') {
					s++;
					if (*s != '"' && *s != '\\')
						return -1;
				}
				v[len++] = *s;
			}
			s++;
		} else {
			while (*s && *s != ' ' && *s != '"')
				v[len++] = *s++;
		}
		v[len] = '\0';
		out->n++;
		if (*s == ' ')
			s++;
		else if (*s)
			return -1;
	}
	return 0;
}

static const char *const keys[] = {
	"prog", "fd", "dir", "local", "peer", "error", "cause", "age",
};

/* The line parses and has exactly the SPEC's keys, in order, once each. */
static void assert_line_shape(const char *line, struct pairs *p)
{
	int i;

	ck_assert_msg(parse_line(line, p) == 0, "not logfmt: %s", line);
	ck_assert_msg(p->n == N(keys), "%d pairs in: %s", p->n, line);
	for (i = 0; i < N(keys); i++)
		ck_assert_str_eq(p->key[i], keys[i]);
	ck_assert_msg(strchr(line, '\n') == NULL, "newline in: %s", line);
	for (i = 0; line[i]; i++)
		ck_assert_msg((unsigned char)line[i] >= ' ' &&
			      (unsigned char)line[i] != 0x7f,
			      "control byte %#x at %d", (unsigned)line[i], i);
}

/* The line of d, which must be well formed: the value of its field i. */
static const char *field_of(const struct kashim_dead *d, int i)
{
	static struct pairs p;

	assert_line_shape(line_of(d), &p);
	return p.value[i];
}

/* Run fmt at every cap from 0 to a few past the full length, into a buffer
 * followed by a canary: the result is the longest prefix of the full text
 * that fits in cap - 1, NUL-ended, and nothing is written at or past cap. */
typedef size_t (*fmt_fn)(char *buf, size_t cap, const void *arg);

static void assert_truncates(fmt_fn fmt, const void *arg)
{
	static char full[8192], buf[8192 + CANARY];
	size_t len, cap, i;

	len = fmt(full, sizeof(full), arg);
	ck_assert_uint_lt(len, sizeof(full) - 1);
	ck_assert_uint_eq(strlen(full), len);
	for (cap = 0; cap <= len + 3; cap++) {
		size_t n, want;

		memset(buf, CANARY_BYTE, cap + CANARY);
		n = fmt(buf, cap, arg);
		want = cap == 0 ? 0 : (len < cap - 1 ? len : cap - 1);
		ck_assert_msg(n == want, "cap %zu: returned %zu, want %zu",
			      cap, n, want);
		if (cap > 0) {
			ck_assert_msg(buf[n] == '\0', "cap %zu: no NUL", cap);
			ck_assert_msg(memcmp(buf, full, n) == 0,
				      "cap %zu: not a prefix", cap);
		}
		for (i = cap; i < cap + CANARY; i++)
			ck_assert_msg((unsigned char)buf[i] == CANARY_BYTE,
				      "cap %zu: byte %zu past the buffer "
				      "written", cap, i - cap);
	}
}

static size_t fmt_dead(char *buf, size_t cap, const void *arg)
{
	return kashim_fmt_dead(buf, cap, arg);
}

static size_t fmt_endpoint(char *buf, size_t cap, const void *arg)
{
	return kashim_fmt_endpoint(buf, cap, arg);
}

static size_t fmt_prefix(char *buf, size_t cap, const void *arg)
{
	return kashim_fmt_prefix(buf, cap, *(const long *)arg);
}

static size_t fmt_value(char *buf, size_t cap, const void *arg)
{
	struct kashim_buf b = { buf, cap, 0 };

	if (cap)
		buf[0] = '\0';
	kb_value(&b, arg);
	return b.len;
}

/* ------------------------------------------------------------- the line */

START_TEST(line_spec_example)
{
	struct kashim_dead d = example();

	ck_assert_str_eq(line_of(&d),
			 "peer dead prog=NAME fd=7 dir=out "
			 "local=127.0.0.1:40312 peer=127.0.0.1:5555 "
			 "error=ETIMEDOUT cause=keepalive age=63.2s");
}
END_TEST

START_TEST(line_inbound_ipv6_reset)
{
	struct kashim_dead d = example();

	d.prog = "postgres";
	d.fd = 1025;
	d.dir = "in";
	d.local = ep6("::1", 5432);
	d.peer = ep6("2001:db8::1", 51000);
	d.err = ECONNRESET;
	d.cause = "reset";
	d.age_ms = 5;
	ck_assert_str_eq(line_of(&d),
			 "peer dead prog=postgres fd=1025 dir=in "
			 "local=[::1]:5432 peer=[2001:db8::1]:51000 "
			 "error=ECONNRESET cause=reset age=0.0s");
}
END_TEST

START_TEST(line_unknown_local_and_missing_name)
{
	struct kashim_dead d = example();

	d.prog = NULL;
	memset(&d.local, 0, sizeof(d.local));
	d.err = EHOSTUNREACH;
	d.cause = "unreachable";
	ck_assert_str_eq(line_of(&d),
			 "peer dead prog=? fd=7 dir=out local=- "
			 "peer=127.0.0.1:5555 error=EHOSTUNREACH "
			 "cause=unreachable age=63.2s");
}
END_TEST

static const struct {
	long long ms;
	const char *text;
} ages[] = {
	{ 0, "0.0s" },
	{ 99, "0.0s" },
	{ 100, "0.1s" },
	{ 999, "0.9s" },
	{ 1000, "1.0s" },
	{ 63200, "63.2s" },
	{ 63299, "63.2s" },
	{ 120000, "120.0s" },
	{ 86400000LL * 365, "31536000.0s" },
};

START_TEST(line_age)
{
	struct kashim_dead d = example();

	d.age_ms = ages[_i].ms;
	ck_assert_str_eq(field_of(&d, 7), ages[_i].text);
}
END_TEST

START_TEST(line_fd_extremes)
{
	struct kashim_dead d = example();

	d.fd = 0;
	ck_assert_str_eq(field_of(&d, 1), "0");
	d.fd = INT_MAX;
	ck_assert_str_eq(field_of(&d, 1), "2147483647");
	d.fd = 1048575;
	ck_assert_str_eq(field_of(&d, 1), "1048575");
}
END_TEST

START_TEST(line_fits_worst_realistic_case)
{
	struct kashim_dead d = example();
	char buf[KASHIM_LINE_MAX];
	struct pairs p;
	size_t n;

	/* A 15-byte comm of characters that all need escaping, the longest
	 * IPv6 texts, the longest errno name, a long age. */
	d.prog = "\"\"\"\"\"\"\"\"\\\\\\\\\\\\\\";
	d.fd = INT_MAX;
	d.local = ep6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	d.peer = ep6("::ffff:255.255.255.255", 65535);
	d.err = EHOSTUNREACH;
	d.cause = "user_timeout";
	d.age_ms = LLONG_MAX;
	n = kashim_fmt_dead(buf, sizeof(buf), &d);
	ck_assert_uint_lt(n, sizeof(buf) - 1);
	assert_line_shape(buf, &p);
	ck_assert_str_eq(p.value[0], d.prog);
	ck_assert_str_eq(p.value[3], "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	ck_assert_str_eq(p.value[4], "[::ffff:255.255.255.255]:65535");
	ck_assert_str_eq(p.value[7], "9223372036854775.8s");
}
END_TEST

/* --------------------------------------------------------------- endpoints */

static const struct {
	int family;
	uint16_t port;
	const char *ip;
	const char *text;
} endpoints[] = {
	{ AF_INET, 40312, "127.0.0.1", "127.0.0.1:40312" },
	{ AF_INET, 0, "0.0.0.0", "0.0.0.0:0" },
	{ AF_INET, 65535, "255.255.255.255", "255.255.255.255:65535" },
	{ AF_INET, 80, "192.0.2.7", "192.0.2.7:80" },
	{ AF_INET6, 5555, "::1", "[::1]:5555" },
	{ AF_INET6, 0, "::", "[::]:0" },
	{ AF_INET6, 5555, "2001:db8::1", "[2001:db8::1]:5555" },
	{ AF_INET6, 1, "2001:0DB8:0:0:1:0:0:1", "[2001:db8::1:0:0:1]:1" },
	{ AF_INET6, 65535, "2001:db8:1:2:3:4:5:6",
	  "[2001:db8:1:2:3:4:5:6]:65535" },
	{ AF_INET6, 22, "fe80::1", "[fe80::1]:22" },
	{ AF_INET6, 443, "::ffff:192.0.2.7", "[::ffff:192.0.2.7]:443" },
};

START_TEST(endpoint_text)
{
	struct kashim_endpoint ep;
	char buf[128];
	size_t n;

	ep = endpoints[_i].family == AF_INET
		? ep4(endpoints[_i].ip, endpoints[_i].port)
		: ep6(endpoints[_i].ip, endpoints[_i].port);
	n = kashim_fmt_endpoint(buf, sizeof(buf), &ep);
	ck_assert_str_eq(buf, endpoints[_i].text);
	ck_assert_uint_eq(n, strlen(endpoints[_i].text));
	assert_truncates(fmt_endpoint, &ep);
}
END_TEST

START_TEST(endpoint_unknown_family)
{
	static const int families[] = { 0, AF_UNIX, AF_PACKET, -1, 12345 };
	struct kashim_endpoint ep;
	char buf[64];
	int i;

	for (i = 0; i < N(families); i++) {
		memset(&ep, 0x7f, sizeof(ep));
		ep.family = families[i];
		ck_assert_uint_eq(kashim_fmt_endpoint(buf, sizeof(buf), &ep), 1);
		ck_assert_str_eq(buf, "-");
	}
}
END_TEST

START_TEST(endpoint_port_is_host_order)
{
	struct kashim_endpoint ep = ep4("10.0.0.1", 0x1234);
	char buf[64];

	kashim_fmt_endpoint(buf, sizeof(buf), &ep);
	ck_assert_str_eq(buf, "10.0.0.1:4660");
}
END_TEST

/* ------------------------------------------------------------ errno names */

START_TEST(errno_names)
{
	static const struct {
		int err;
		const char *name;
	} known[] = {
		{ ETIMEDOUT, "ETIMEDOUT" },
		{ ECONNRESET, "ECONNRESET" },
		{ EHOSTUNREACH, "EHOSTUNREACH" },
		{ ENETUNREACH, "ENETUNREACH" },
		{ EPIPE, "EPIPE" },
	};
	char buf[16];
	int i;

	for (i = 0; i < N(known); i++)
		ck_assert_str_eq(kashim_errname(known[i].err, buf),
				 known[i].name);
}
END_TEST

START_TEST(errno_numbers_for_the_rest)
{
	static const struct {
		int err;
		const char *name;
	} rest[] = {
		{ 0, "E0" },
		{ 9999, "E9999" },
		{ -1, "E-1" },
		{ INT_MAX, "E2147483647" },
		{ INT_MIN, "E-2147483648" },
	};
	char buf[16 + CANARY];
	int i, j;

	for (i = 0; i < N(rest); i++) {
		const char *s;

		memset(buf, CANARY_BYTE, sizeof(buf));
		s = kashim_errname(rest[i].err, buf);
		ck_assert_str_eq(s, rest[i].name);
		ck_assert_ptr_eq(s, buf);
		for (j = 16; j < N(buf); j++)
			ck_assert_int_eq((unsigned char)buf[j], CANARY_BYTE);
	}
}
END_TEST

START_TEST(errno_name_in_line)
{
	struct kashim_dead d = example();
	struct pairs p;

	d.err = 9999;
	ck_assert_str_eq(field_of(&d, 5), "E9999");
	d.err = ENETUNREACH;
	d.cause = "unreachable";
	assert_line_shape(line_of(&d), &p);
	ck_assert_str_eq(p.value[5], "ENETUNREACH");
	ck_assert_str_eq(p.value[6], "unreachable");
}
END_TEST

/* ------------------------------------------------------- program names */

/* name, how it must appear in the line, what a logfmt reader gets back */
static const struct {
	const char *name, *shown, *read;
} names[] = {
	{ "curl", "curl", "curl" },
	{ "python3.11", "python3.11", "python3.11" },
	{ "a-b_c+d:e/f", "a-b_c+d:e/f", "a-b_c+d:e/f" },
	{ "", "\"\"", "" },
	{ "my prog", "\"my prog\"", "my prog" },
	{ "a=b", "\"a=b\"", "a=b" },
	{ "say\"hi", "\"say\\\"hi\"", "say\"hi" },
	{ "back\\slash", "\"back\\\\slash\"", "back\\slash" },
	{ "trailing\\", "\"trailing\\\\\"", "trailing\\" },
	{ "tab\there", "\"tab?here\"", "tab?here" },
	{ "del\x7f", "\"del?\"", "del?" },
	{ "\x1b[31mred", "\"?[31mred\"", "?[31mred" },
	/* A name made to forge a second line or extra fields. */
	{ "x\nkashim[1]: peer dead prog=y",
	  "\"x?kashim[1]: peer dead prog=y\"",
	  "x?kashim[1]: peer dead prog=y" },
	{ "x peer=6.6.6.6:1 error=EFAKE cause=reset",
	  "\"x peer=6.6.6.6:1 error=EFAKE cause=reset\"",
	  "x peer=6.6.6.6:1 error=EFAKE cause=reset" },
	{ "x\" peer=6.6.6.6:1 \"",
	  "\"x\\\" peer=6.6.6.6:1 \\\"\"",
	  "x\" peer=6.6.6.6:1 \"" },
	{ "\r\n", "\"??\"", "??" },
};

START_TEST(prog_name_quoting)
{
	struct kashim_dead d = example();
	struct pairs p;
	char want[512];

	d.prog = names[_i].name;
	snprintf(want, sizeof(want),
		 "peer dead prog=%s fd=7 dir=out local=127.0.0.1:40312 "
		 "peer=127.0.0.1:5555 error=ETIMEDOUT cause=keepalive "
		 "age=63.2s", names[_i].shown);
	ck_assert_str_eq(line_of(&d), want);
	assert_line_shape(line_of(&d), &p);
	ck_assert_str_eq(p.value[0], names[_i].read);
	ck_assert_str_eq(p.value[4], "127.0.0.1:5555");
	ck_assert_str_eq(p.value[5], "ETIMEDOUT");
	assert_truncates(fmt_value, names[_i].name);
}
END_TEST

START_TEST(prog_name_utf8_survives)
{
	struct kashim_dead d = example();

	/* Bytes >= 0x80 are neither blanks nor controls: kept as they are,
	 * quoted or not. */
	d.prog = "caf\xc3\xa9-\xe2\x9c\x93";
	ck_assert_str_eq(field_of(&d, 0), d.prog);
}
END_TEST

/* Every byte value in a name: the line stays one well-formed line. */
START_TEST(prog_name_every_byte)
{
	struct kashim_dead d = example();
	struct pairs p;
	char name[4];
	int c = _i + 1;

	name[0] = 'a';
	name[1] = (char)c;
	name[2] = 'z';
	name[3] = '\0';
	d.prog = name;
	assert_line_shape(line_of(&d), &p);
	ck_assert_uint_eq(strlen(p.value[0]), 3);
	ck_assert_int_eq(p.value[0][0], 'a');
	ck_assert_int_eq(p.value[0][2], 'z');
	if (c < ' ' || c == 0x7f)
		ck_assert_int_eq(p.value[0][1], '?');
	else
		ck_assert_int_eq((unsigned char)p.value[0][1], c);
}
END_TEST

/* ------------------------------------------------------------ truncation */

START_TEST(truncate_line_v4)
{
	struct kashim_dead d = example();

	assert_truncates(fmt_dead, &d);
}
END_TEST

START_TEST(truncate_line_v6_quoted_name)
{
	struct kashim_dead d = example();

	d.prog = "evil \"name\"\\\n=";
	d.local = ep6("2001:db8:1:2:3:4:5:6", 65535);
	d.peer = ep6("::ffff:192.0.2.7", 1);
	d.err = -12345;
	d.cause = "zero_window";
	d.fd = INT_MIN;
	d.age_ms = LLONG_MAX;
	assert_truncates(fmt_dead, &d);
}
END_TEST

/* A very long program name is cut to KASHIM_PROG_MAX characters, so the
 * fields after it (peer, error, cause, age) always make it into the line. */
START_TEST(long_name_is_capped_and_line_complete)
{
	static char name[5000];
	struct kashim_dead d = example();
	char buf[KASHIM_LINE_MAX + CANARY], want[KASHIM_PROG_MAX + 32];
	size_t n;
	int i;

	memset(name, 'x', sizeof(name) - 1);
	d.prog = name;
	memset(buf, CANARY_BYTE, sizeof(buf));
	n = kashim_fmt_dead(buf, KASHIM_LINE_MAX, &d);
	ck_assert_uint_lt(n, KASHIM_LINE_MAX - 1);
	ck_assert_uint_eq(strlen(buf), n);
	memset(want, 0, sizeof(want));
	memcpy(want, "peer dead prog=", 15);
	memset(want + 15, 'x', KASHIM_PROG_MAX);
	memcpy(want + 15 + KASHIM_PROG_MAX, " fd=", 4);
	ck_assert_msg(strncmp(buf, want, strlen(want)) == 0, "got: %s", buf);
	ck_assert_ptr_nonnull(strstr(buf, " cause="));
	ck_assert_ptr_nonnull(strstr(buf, " age="));
	for (i = KASHIM_LINE_MAX; i < N(buf); i++)
		ck_assert_int_eq((unsigned char)buf[i], CANARY_BYTE);
}
END_TEST

START_TEST(truncate_prefix)
{
	static const long pids[] = { 1, 4242, 4194304, LONG_MAX, LONG_MIN };
	char buf[64];
	int i;

	ck_assert_uint_eq(kashim_fmt_prefix(buf, sizeof(buf), 4242), 14);
	ck_assert_str_eq(buf, "kashim[4242]: ");
	for (i = 0; i < N(pids); i++)
		assert_truncates(fmt_prefix, &pids[i]);
}
END_TEST

START_TEST(appender_numbers)
{
	static const struct {
		long long v;
		const char *text;
	} nums[] = {
		{ 0, "0" },
		{ 7, "7" },
		{ -1, "-1" },
		{ 1234567890123LL, "1234567890123" },
		{ LLONG_MAX, "9223372036854775807" },
		{ LLONG_MIN, "-9223372036854775808" },
	};
	char buf[64];
	struct kashim_buf b;
	int i;

	for (i = 0; i < N(nums); i++) {
		b.p = buf;
		b.cap = sizeof(buf);
		b.len = 0;
		buf[0] = '\0';
		kb_num(&b, nums[i].v);
		ck_assert_str_eq(buf, nums[i].text);
		ck_assert_uint_eq(b.len, strlen(nums[i].text));
	}
}
END_TEST

START_TEST(appender_stops_at_cap)
{
	char buf[8 + CANARY];
	struct kashim_buf b = { buf, 8, 0 };
	int i;

	memset(buf, CANARY_BYTE, sizeof(buf));
	buf[0] = '\0';
	kb_str(&b, "abc");
	kb_num(&b, -123456789);
	kb_value(&b, "q q");
	kb_str(&b, "more");
	ck_assert_uint_eq(b.len, 7);
	ck_assert_str_eq(buf, "abc-123");
	for (i = 8; i < N(buf); i++)
		ck_assert_int_eq((unsigned char)buf[i], CANARY_BYTE);

	/* cap 0: nothing is written at all. */
	memset(buf, CANARY_BYTE, sizeof(buf));
	b.p = buf;
	b.cap = 0;
	b.len = 0;
	kb_str(&b, "abc");
	kb_num(&b, 5);
	ck_assert_uint_eq(b.len, 0);
	for (i = 0; i < N(buf); i++)
		ck_assert_int_eq((unsigned char)buf[i], CANARY_BYTE);
}
END_TEST

/* ------------------------------------------------------------------ causes */

struct cause_case {
	struct kashim_death in;
	const char *cause;
	int err;                        /* d->err afterwards */
};

#define DEATH(e, pr, rt, wk, wnd, c) \
	{ .err = (e), .probes = (pr), .retransmits = (rt), \
	  .window_known = (wk), .snd_wnd = (wnd), .cnt = (c) }
#define DEATH_UT(e, pr, rt, wk, wnd, c, ut, ack) \
	{ .err = (e), .probes = (pr), .retransmits = (rt), \
	  .window_known = (wk), .snd_wnd = (wnd), .cnt = (c), \
	  .user_timeout = (ut), .since_ack = (ack) }

static const struct cause_case causes[] = {
	/* The error the program saw decides first. */
	{ DEATH(ECONNRESET, 0, 0, 1, 65535, 6), "reset", ECONNRESET },
	{ DEATH(ECONNRESET, 6, 5, 1, 0, 6), "reset", ECONNRESET },
	{ DEATH(EPIPE, 0, 0, 1, 1000, 6), "reset", EPIPE },
	{ DEATH(EHOSTUNREACH, 0, 0, 1, 1000, 6), "unreachable", EHOSTUNREACH },
	{ DEATH(EHOSTUNREACH, 6, 3, 1, 0, 6), "unreachable", EHOSTUNREACH },
	{ DEATH(ENETUNREACH, 0, 0, 0, 0, 6), "unreachable", ENETUNREACH },
	{ DEATH(ENETUNREACH, 2, 7, 1, 0, 6), "unreachable", ENETUNREACH },
	/* ETIMEDOUT: which timer fired. */
	{ DEATH(ETIMEDOUT, 6, 0, 1, 65535, 6), "keepalive", ETIMEDOUT },
	{ DEATH(ETIMEDOUT, 0, 0, 1, 65535, 6), "keepalive", ETIMEDOUT },
	{ DEATH(ETIMEDOUT, 0, 0, 0, 0, 6), "keepalive", ETIMEDOUT },
	{ DEATH(ETIMEDOUT, 3, 0, 0, 0, 6), "keepalive", ETIMEDOUT },
	{ DEATH(ETIMEDOUT, 0, 4, 1, 65535, 6), "user_timeout", ETIMEDOUT },
	{ DEATH(ETIMEDOUT, 0, 1, 0, 0, 6), "user_timeout", ETIMEDOUT },
	{ DEATH(ETIMEDOUT, 6, 15, 1, 1, 6), "user_timeout", ETIMEDOUT },
	{ DEATH(ETIMEDOUT, 2, 0, 1, 0, 6), "zero_window", ETIMEDOUT },
	{ DEATH(ETIMEDOUT, 0, 0, 1, 0, 6), "zero_window", ETIMEDOUT },
	{ DEATH(ETIMEDOUT, 0, 5, 1, 0, 6), "zero_window", ETIMEDOUT },
	/* err 0 (the watcher): the errno is inferred too. */
	{ DEATH(0, 0, 3, 1, 65535, 6), "user_timeout", ETIMEDOUT },
	{ DEATH(0, 0, 1, 0, 0, 6), "user_timeout", ETIMEDOUT },
	{ DEATH(0, 0, 0, 1, 0, 6), "zero_window", ETIMEDOUT },
	{ DEATH(0, 6, 0, 1, 65535, 6), "keepalive", ETIMEDOUT },
	{ DEATH(0, 9, 0, 0, 0, 6), "keepalive", ETIMEDOUT },
	{ DEATH(0, 1, 0, 1, 65535, 1), "keepalive", ETIMEDOUT },
	{ DEATH(0, 5, 0, 1, 65535, 6), "reset", ECONNRESET },
	{ DEATH(0, 0, 0, 1, 65535, 6), "reset", ECONNRESET },
	{ DEATH(0, 0, 0, 0, 0, 6), "reset", ECONNRESET },
	{ DEATH(0, 0, 0, 0, 0, 0), "reset", ECONNRESET },
	/* err 0 with a user timeout in force: a connection that went without
	 * an acknowledgement for all of it timed out, whatever the probe
	 * count (a timeout shorter than the keepalive schedule ends it after
	 * 2 of 5 probes, measured on Linux 6.18); one that died sooner, even
	 * with data being retransmitted, was reset. */
	{ DEATH_UT(0, 2, 0, 1, 65535, 5, 2500, 2600), "keepalive", ETIMEDOUT },
	{ DEATH_UT(0, 1, 0, 1, 65535, 5, 1500, 1700), "keepalive", ETIMEDOUT },
	{ DEATH_UT(0, 1, 0, 1, 65535, 5, 7000, 3100), "reset", ECONNRESET },
	{ DEATH_UT(0, 0, 4, 1, 65535, 6, 3000, 3400), "user_timeout", ETIMEDOUT },
	{ DEATH_UT(0, 0, 4, 1, 65535, 6, 3000, 1200), "reset", ECONNRESET },
	{ DEATH_UT(0, 0, 2, 1, 0, 6, 3000, 100), "zero_window", ETIMEDOUT },
};

START_TEST(cause_table)
{
	struct kashim_death d = causes[_i].in;
	const char *cause = kashim_cause(&d);

	ck_assert_msg(cause && strcmp(cause, causes[_i].cause) == 0,
		      "case %d (err %d probes %u retrans %u window %d/%u cnt "
		      "%u): cause %s, want %s", _i, causes[_i].in.err,
		      causes[_i].in.probes, causes[_i].in.retransmits,
		      causes[_i].in.window_known, causes[_i].in.snd_wnd,
		      causes[_i].in.cnt, cause ? cause : "(null)",
		      causes[_i].cause);
	ck_assert_int_eq(d.err, causes[_i].err);
	/* The facts themselves are left alone. */
	ck_assert_uint_eq(d.probes, causes[_i].in.probes);
	ck_assert_uint_eq(d.retransmits, causes[_i].in.retransmits);
	ck_assert_uint_eq(d.snd_wnd, causes[_i].in.snd_wnd);
}
END_TEST

/* ------------------------------------------------------------- suite */

static Suite *logfmt_suite(void)
{
	Suite *s = suite_create("logfmt");
	TCase *tc;

	tc = kt_tcase(s, "line", TIMEOUT);
	tcase_add_test(tc, line_spec_example);
	tcase_add_test(tc, line_inbound_ipv6_reset);
	tcase_add_test(tc, line_unknown_local_and_missing_name);
	tcase_add_loop_test(tc, line_age, 0, N(ages));
	tcase_add_test(tc, line_fd_extremes);
	tcase_add_test(tc, line_fits_worst_realistic_case);

	tc = kt_tcase(s, "endpoints", TIMEOUT);
	tcase_add_loop_test(tc, endpoint_text, 0, N(endpoints));
	tcase_add_test(tc, endpoint_unknown_family);
	tcase_add_test(tc, endpoint_port_is_host_order);

	tc = kt_tcase(s, "errno names", TIMEOUT);
	tcase_add_test(tc, errno_names);
	tcase_add_test(tc, errno_numbers_for_the_rest);
	tcase_add_test(tc, errno_name_in_line);

	tc = kt_tcase(s, "program names", TIMEOUT);
	tcase_add_loop_test(tc, prog_name_quoting, 0, N(names));
	tcase_add_test(tc, prog_name_utf8_survives);
	tcase_add_loop_test(tc, prog_name_every_byte, 0, 255);

	tc = kt_tcase(s, "truncation", TIMEOUT);
	tcase_add_test(tc, truncate_line_v4);
	tcase_add_test(tc, truncate_line_v6_quoted_name);
	tcase_add_test(tc, long_name_is_capped_and_line_complete);
	tcase_add_test(tc, truncate_prefix);
	tcase_add_test(tc, appender_numbers);
	tcase_add_test(tc, appender_stops_at_cap);

	tc = kt_tcase(s, "cause", TIMEOUT);
	tcase_add_loop_test(tc, cause_table, 0, N(causes));
	return s;
}

int main(void)
{
	return kt_main(logfmt_suite());
}
