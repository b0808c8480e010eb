/* Fuzz kashim_config_load over a fuzzed environment.
 *
 * Input: one byte of flags (bit 0: secure execution), then records
 * "N value\0": N picks a variable name from the table below (every name
 * kashim reads, its aliases, and a few it must ignore), the value runs to
 * the next NUL, as it would in a real environment.  A later record for
 * the same name wins, as with setenv.
 *
 * Properties: whatever the environment, every setting ends within its
 * valid range (or at its default); each warning is one line that starts
 * with "kashim: ", names a variable that was set, fits the line size and
 * carries no control character (a value holding '\n' or ESC must not
 * forge a log line or drive a terminal); no variable is warned about
 * twice; secure execution never leaves a file sink; and loading twice
 * gives the same result. */
#include <sys/socket.h>

#include "config.h"
#include "fuzz.h"

static const char *const names[] = {
	"KASHIM_DISABLE", "KASHIM_IDLE", "KASHIM_INTVL", "KASHIM_CNT",
	"KASHIM_USER_TIMEOUT", "KASHIM_SYNCNT", "KASHIM_DIRECTION",
	"KASHIM_PORTS", "KASHIM_NETS", "KASHIM_OVERRIDE", "KASHIM_LOG",
	"KASHIM_WATCH", "KASHIM_DEBUG", "KEEPIDLE", "KEEPINTVL", "KEEPCNT",
	"KEEPALIVE", "DD_TCP_KEEPALIVE_TIME", "DD_TCP_KEEPALIVE_INTVL",
	"DD_TCP_KEEPALIVE_PROBES", "TCP_KEEPIDLE", "TCP_KEEPINTVL",
	"TCP_KEEPCNT", "TCP_USER_TIMEOUT", "TCP_SYNCNT", "KASHIM_SYSLOG_SOCKET",
	"KASHIM_", "PATH",
};
#define NNAMES (sizeof names / sizeof names[0])
#define MAX_WARN 64

static const char *values[NNAMES];      /* the fuzzed environment */

struct warnings {
	int n;
	char line[MAX_WARN][600];
};

static const char *fake_getenv(const char *name)
{
	size_t i;

	for (i = 0; i < NNAMES; i++)
		if (strcmp(names[i], name) == 0)
			return values[i];
	return NULL;
}

static void collect(const char *line, void *ctx)
{
	struct warnings *w = ctx;
	size_t len = strlen(line);

	FUZZ_CHECK(len < 600, "warning of %zu bytes", len);
	FUZZ_CHECK(w->n < MAX_WARN, "more than %d warnings", MAX_WARN);
	memcpy(w->line[w->n++], line, len + 1);
}

/* The variable a warning names: "kashim: NAME='...". */
static int named(const char *line)
{
	size_t i, len;

	FUZZ_CHECK(strncmp(line, "kashim: ", 8) == 0, "'%s'", line);
	for (i = 0; i < NNAMES; i++) {
		len = strlen(names[i]);
		if (strncmp(line + 8, names[i], len) == 0 &&
		    line[8 + len] == '=')
			return (int)i;
	}
	FUZZ_CHECK(0, "warning names no variable: '%s'", line);
	return -1;
}

static void check_warnings(const struct warnings *w)
{
	int seen[NNAMES] = { 0 }, i, v;

	for (i = 0; i < w->n; i++) {
		FUZZ_CHECK(fuzz_printable(w->line[i], strlen(w->line[i])),
			   "control character in '%s'", w->line[i]);
		v = named(w->line[i]);
		FUZZ_CHECK(values[v] != NULL, "warned about unset %s", names[v]);
		FUZZ_CHECK(!seen[v], "%s warned twice", names[v]);
		seen[v] = 1;
	}
}

static void check_config(const struct kashim_config *c, int secure)
{
	unsigned i;

	FUZZ_CHECK(c->disable == 0 || c->disable == 1, "disable %d", c->disable);
	if (c->disable)
		return;
	FUZZ_CHECK(c->idle >= 1 && c->idle <= 32767, "idle %d", c->idle);
	FUZZ_CHECK(c->intvl >= 1 && c->intvl <= 32767, "intvl %d", c->intvl);
	FUZZ_CHECK(c->cnt >= 1 && c->cnt <= 127, "cnt %d", c->cnt);
	FUZZ_CHECK(c->user_timeout == KASHIM_UT_AUTO ||
		   (c->user_timeout >= 0 && c->user_timeout <= 2147483647L),
		   "user_timeout %ld", c->user_timeout);
	FUZZ_CHECK(c->syncnt >= 0 && c->syncnt <= 127, "syncnt %d", c->syncnt);
	FUZZ_CHECK(c->direction >= KASHIM_DIR_OUT &&
		   c->direction <= KASHIM_DIR_BOTH, "direction %d",
		   c->direction);
	FUZZ_CHECK(c->override == 0 || c->override == 1, "override");
	FUZZ_CHECK(c->watch == 0 || c->watch == 1, "watch");
	FUZZ_CHECK(c->debug == 0 || c->debug == 1, "debug");
	FUZZ_CHECK(c->sink >= KASHIM_SINK_OFF && c->sink <= KASHIM_SINK_FILE,
		   "sink %d", c->sink);
	if (c->sink == KASHIM_SINK_FILE) {
		FUZZ_CHECK(!secure, "file sink in secure mode");
		FUZZ_CHECK(c->log_path[0] == '/' &&
			   memchr(c->log_path, '\0', sizeof c->log_path),
			   "log path");
	}
	FUZZ_CHECK(c->ports.n <= KASHIM_MAX_ITEMS, "ports.n %u", c->ports.n);
	for (i = 0; i < c->ports.n; i++)
		FUZZ_CHECK(c->ports.r[i].lo >= 1 &&
			   c->ports.r[i].lo <= c->ports.r[i].hi, "port range");
	FUZZ_CHECK(c->nets.n <= KASHIM_MAX_ITEMS, "nets.n %u", c->nets.n);
	for (i = 0; i < c->nets.n; i++)
		FUZZ_CHECK(c->nets.p[i].family == AF_INET ||
			   c->nets.p[i].family == AF_INET6, "net family");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kashim_config a, b;
	static struct warnings wa, wb;
	char *text = fuzz_cstr(data, size);     /* owns the value strings */
	size_t pos = 1;
	int secure = size > 0 && (data[0] & 1);

	memset(values, 0, sizeof values);
	/* fuzz_cstr ended the copy at size; records end at each NUL. */
	while (pos + 1 <= size) {
		unsigned idx = data[pos] % NNAMES;

		values[idx] = text + pos + 1;
		pos += 1 + strlen(text + pos + 1) + 1;
	}
	wa.n = wb.n = 0;
	kashim_config_load(&a, fake_getenv, secure, collect, &wa);
	check_config(&a, secure);
	check_warnings(&wa);
	kashim_config_load(&b, fake_getenv, secure, collect, &wb);
	/* kashim_config_load starts with a memset of the whole struct, so
	 * the padding is zero too and the bytes compare exactly. */
	FUZZ_CHECK(memcmp(&a, &b, sizeof a) == 0, /* NOLINT(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c) */
		   "two loads differ");
	FUZZ_CHECK(wa.n == wb.n, "warnings differ between loads");
	kashim_config_load(&b, fake_getenv, secure, NULL, NULL);
	FUZZ_CHECK(memcmp(&a, &b, sizeof a) == 0, /* NOLINT(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c) */
		   "no-callback load differs");
	free(text);
	return 0;
}
