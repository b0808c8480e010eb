/* Fuzz the log-line formatter (logfmt.h): kashim_fmt_dead, the endpoint,
 * prefix and errno-name helpers, kb_value and kashim_cause.
 *
 * The input is read as fields: a buffer capacity (0..1023), the program
 * name (to the first NUL), then pid, fd, errno, age, two endpoints and a
 * TCP_INFO-like death record from the following bytes (zero when the
 * input runs out).  Properties: nothing is written outside the exact-size
 * heap buffer; the returned length is the string's length and below the
 * capacity; a line never holds a control character (a hostile program
 * name cannot forge a second line); when the buffer is large enough the
 * line is whole and has the SPEC's fields in order; the cause is one of
 * the five SPEC words. */
#include <errno.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "logfmt.h"

struct reader {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct reader *r, unsigned bytes)
{
	uint64_t v = 0;

	while (bytes--) {
		v = v << 8 | (r->n ? *r->p : 0);
		if (r->n) {
			r->p++;
			r->n--;
		}
	}
	return v;
}

static void take_endpoint(struct reader *r, struct kashim_endpoint *ep)
{
	static const int families[] = { AF_INET, AF_INET6, 0, AF_UNIX };
	unsigned i;

	ep->family = families[take(r, 1) % 4];
	for (i = 0; i < 16; i++)
		ep->addr[i] = (uint8_t)take(r, 1);
	ep->port = (uint16_t)take(r, 2);
}

static void take_death(struct reader *r, struct kashim_death *d)
{
	static const int errs[] = { 0, ETIMEDOUT, ECONNRESET, EHOSTUNREACH,
				    ENETUNREACH, EPIPE, EAGAIN, -1 };
	uint64_t e = take(r, 1);

	d->err = (e & 0x80) ? (int)take(r, 4) : errs[e % 8];
	d->probes = (unsigned)take(r, 1);
	d->retransmits = (unsigned)take(r, 1);
	d->window_known = (int)(take(r, 1) & 1);
	d->snd_wnd = (unsigned)take(r, 4);
	d->cnt = (unsigned)take(r, 1);
}

static int is_cause(const char *c)
{
	return strcmp(c, "keepalive") == 0 || strcmp(c, "user_timeout") == 0 ||
	       strcmp(c, "zero_window") == 0 || strcmp(c, "reset") == 0 ||
	       strcmp(c, "unreachable") == 0;
}

/* buf[0..cap) was written by a formatter that returned len. */
static void check_out(const char *buf, size_t cap, size_t len,
		      const char *what)
{
	if (cap == 0) {
		FUZZ_CHECK(len == 0, "%s: %zu bytes into nothing", what, len);
		return;
	}
	FUZZ_CHECK(len < cap, "%s: length %zu, capacity %zu", what, len, cap);
	FUZZ_CHECK(strlen(buf) == len, "%s: strlen %zu, returned %zu", what,
		   strlen(buf), len);
	FUZZ_CHECK(fuzz_printable(buf, len), "%s: control character in '%s'",
		   what, buf);
}

/* "63.2s": the age in seconds with one decimal, as a reader would parse
 * it back: [-]digits '.' one digit 's', and the same value (truncated to
 * tenths) as age_ms. */
static void check_age(const char *a, long long age_ms, const char *line)
{
	long long whole = 0, tenth;
	int neg = *a == '-';
	const char *p = a + neg;

	FUZZ_CHECK(*p >= '0' && *p <= '9', "age '%s' in '%s'", a, line);
	while (*p >= '0' && *p <= '9')
		whole = whole * 10 + (*p++ - '0');
	FUZZ_CHECK(p[0] == '.' && p[1] >= '0' && p[1] <= '9' && p[2] == 's' &&
		   p[3] == '\0', "age '%s' in '%s'", a, line);
	tenth = p[1] - '0';
	if (age_ms > -1000000000000LL && age_ms < 1000000000000LL)
		FUZZ_CHECK((neg ? -1 : 1) * (whole * 10 + tenth) == age_ms / 100,
			   "age '%s' for %lld ms", a, age_ms);
}

static void check_whole_line(const char *line, const struct kashim_dead *d)
{
	static const char *const keys[] = { "peer dead prog=", " fd=", " dir=",
		" local=", " peer=", " error=", " cause=", " age=" };
	const char *p = line, *k;
	unsigned i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		k = strstr(p, keys[i]);
		FUZZ_CHECK(k != NULL, "no '%s' in order in '%s'", keys[i], line);
		p = k + strlen(keys[i]);
	}
	FUZZ_CHECK(line[strlen(line) - 1] == 's', "age unit: '%s'", line);
	/* The age is the last field; a program name may hold " age=" too.
	 * A negative age (a clock going back: not reachable with
	 * CLOCK_MONOTONIC) prints as "-1.-5s"; reported, not asserted. */
	while ((k = strstr(p, " age=")) != NULL)
		p = k + 5;
	if (d->age_ms >= 0)
		check_age(p, d->age_ms, line);
}

static void run_line(struct reader *r, const char *prog, size_t cap)
{
	struct kashim_dead d;
	struct kashim_death death;
	char *buf = cap ? malloc(cap) : NULL;
	size_t len;

	memset(&d, 0, sizeof d);
	d.prog = prog;
	d.pid = (long)take(r, 4);
	d.fd = (int)take(r, 4);
	d.dir = take(r, 1) & 1 ? "out" : "in";
	take_endpoint(r, &d.local);
	take_endpoint(r, &d.peer);
	take_death(r, &death);
	d.age_ms = (long long)take(r, 8);
	if (take(r, 1) & 1)
		d.age_ms %= 100000000;          /* also plausible ages */
	d.cause = kashim_cause(&death);
	d.err = death.err;
	FUZZ_CHECK(is_cause(d.cause), "cause '%s'", d.cause);
	FUZZ_CHECK(death.err != 0, "cause left errno 0");
	len = kashim_fmt_dead(buf, cap, &d);
	check_out(buf, cap, len, "fmt_dead");
	if (cap >= KASHIM_LINE_MAX && strlen(prog) < 64)
		check_whole_line(buf, &d);
	free(buf);
}

static void run_helpers(const char *prog, size_t cap, struct reader *r)
{
	struct kashim_endpoint ep;
	struct kashim_buf b;
	char name[16], *buf = cap ? malloc(cap) : NULL;
	const char *en;
	size_t len;

	take_endpoint(r, &ep);
	len = kashim_fmt_endpoint(buf, cap, &ep);
	check_out(buf, cap, len, "fmt_endpoint");
	len = kashim_fmt_prefix(buf, cap, (long)take(r, 8));
	check_out(buf, cap, len, "fmt_prefix");
	en = kashim_errname((int)take(r, 4), name);
	FUZZ_CHECK(strlen(en) < 16 && en[0] == 'E', "errname '%s'", en);
	if (cap) {
		b.p = buf;
		b.cap = cap;
		b.len = 0;
		buf[0] = '\0';
		kb_value(&b, prog);
		check_out(buf, cap, b.len, "kb_value");
		kb_num(&b, (long long)take(r, 8));
		check_out(buf, cap, b.len, "kb_num");
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	size_t cap = (size_t)take(&r, 2) % 1024;
	char *prog = fuzz_cstr(r.p, r.n);
	size_t plen = strlen(prog);

	r.p += plen < r.n ? plen + 1 : r.n;
	r.n -= plen < r.n ? plen + 1 : r.n;
	run_line(&r, prog, cap);
	run_line(&r, prog, KASHIM_LINE_MAX);
	run_helpers(prog, cap, &r);
	free(prog);
	return 0;
}
