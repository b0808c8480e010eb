/* kashim-adopt — arguments, settings, refusals (see adopt.h).
 *
 *   kashim-adopt adopt [--dry-run] PID...
 *
 * Settings come from the environment through the library's own parser
 * (shim/config.c), with its messages.  A bad value is refused here
 * (settings/strict.c), as the wrapper refuses it, rather than replaced by
 * the default: changing a running daemon's sockets with values nobody
 * asked for is worse than not changing them.  Every target is opened and its access checked before
 * any socket is changed, so a refusal leaves every process as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "logfmt.h"
#include "strict.h"

static const char *env(const char *name)
{
	return getenv(name);
}

/* Settings that only the library, inside a program, can act on. */
static void notes(const struct kashim_config *cfg)
{
	if (cfg->sink != KASHIM_SINK_OFF)
		fprintf(stderr, "%s: note: KASHIM_LOG (--log) has no effect: "
			"dead-peer lines come from the library inside a program "
			"started under kashim\n", ADOPT_ME);
	if (cfg->watch)
		fprintf(stderr, "%s: note: KASHIM_WATCH (--watch) has no effect: "
			"the watcher runs inside a program started under "
			"kashim\n", ADOPT_ME);
	if (cfg->syncnt)
		fprintf(stderr, "%s: note: KASHIM_SYNCNT (--syncnt) has no "
			"effect: adopted sockets are past their SYN\n", ADOPT_ME);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: kashim adopt [options] [--dry-run] PID...\n"
		"Gives the TCP sockets that the running processes PID... have "
		"now kashim's\nkeepalive settings (the options of kashim(1), "
		"as KASHIM_* variables).\nSee kashim-adopt(1).\n");
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "%s: %s '%s'\n", ADOPT_ME, msg, arg);
	fprintf(stderr, "Try 'kashim --help'.\n");
	return ADOPT_EXIT_USAGE;
}

/* PID_MAX_LIMIT (include/linux/threads.h) on 64-bit kernels. */
#define PID_LIMIT 4194304

struct args {
	int dry_run;
	int npids;
	pid_t *pids;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	int i, opts = 1;

	memset(a, 0, sizeof(*a));
	if (argc < 2 || strcmp(argv[1], "adopt") != 0) {
		usage(stderr);
		return ADOPT_EXIT_USAGE;
	}
	a->pids = calloc((size_t)argc, sizeof(*a->pids));
	if (!a->pids)
		return ADOPT_EXIT_ERR;
	for (i = 2; i < argc; i++) {
		long v;

		if (opts && strcmp(argv[i], "--") == 0) {
			opts = 0;
		} else if (opts && strcmp(argv[i], "--dry-run") == 0) {
			a->dry_run = 1;
		} else if (opts && (strcmp(argv[i], "-h") == 0 ||
				    strcmp(argv[i], "--help") == 0)) {
			usage(stdout);
			free(a->pids);
			exit(0);
		} else if (opts && argv[i][0] == '-') {
			return usage_error("unknown option", argv[i]);
		} else if (kashim_parse_long(argv[i], 1, PID_LIMIT, &v) != 0) {
			fprintf(stderr, "%s: '%s' is not a process id (expected "
				"a whole number from 1 to %d)\n", ADOPT_ME,
				argv[i], PID_LIMIT);
			return ADOPT_EXIT_USAGE;
		} else {
			a->pids[a->npids++] = (pid_t)v;
		}
	}
	if (a->npids == 0) {
		fprintf(stderr, "%s: no PID given\nTry 'kashim --help'.\n",
			ADOPT_ME);
		return ADOPT_EXIT_USAGE;
	}
	return 0;
}

/* The sockets of t, then its summary line.  Returns how many failed. */
static int adopt_target(const struct kashim_config *cfg,
			const struct adopt_target *t, int dry_run)
{
	struct adopt_count n;
	char prog[KASHIM_PROG_MAX + 8];
	struct kashim_buf b = { prog, sizeof(prog), 0 };
	int i;

	memset(&n, 0, sizeof(n));
	prog[0] = '\0';
	for (i = 0; i < t->nsocks; i++)
		adopt_socket(cfg, t, &t->socks[i], dry_run, &n);
	kb_prog(&b, t->comm);
	printf("summary pid=%d prog=%s fds=%d sockets=%d tcp=%d configured=%d "
	       "skipped=%d failed=%d dry_run=%d\n", (int)t->pid, prog, t->nfds,
	       t->nsocks, n.tcp, n.configured, n.skipped, n.failed, dry_run);
	fflush(stdout);
	return n.failed;
}

/* Open every target (nothing changed yet), then adopt each. */
static int run(const struct kashim_config *cfg, const struct args *a)
{
	struct adopt_target *t = calloc((size_t)a->npids, sizeof(*t));
	char why[512];
	int i, failed = 0;

	if (!t)
		return ADOPT_EXIT_ERR;
	for (i = 0; i < a->npids; i++) {
		if (target_open(&t[i], a->pids[i], why, sizeof(why)) == 0)
			continue;
		fprintf(stderr, "%s\n", why);
		while (i-- > 0)
			target_close(&t[i]);
		free(t);
		return ADOPT_EXIT_ERR;
	}
	for (i = 0; i < a->npids; i++) {
		failed += adopt_target(cfg, &t[i], a->dry_run);
		target_close(&t[i]);
	}
	free(t);
	return failed ? ADOPT_EXIT_ERR : 0;
}

int main(int argc, char **argv)
{
	struct kashim_config cfg;
	struct args a;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc == 0) {
		memset(&cfg, 0, sizeof(cfg));
		if (settings_load_strict(&cfg, env) != 0) {
			rc = ADOPT_EXIT_USAGE;
		} else if (cfg.disable) {
			fprintf(stderr, "%s: KASHIM_DISABLE=1 (or KEEPALIVE=off): "
				"nothing changed\n", ADOPT_ME);
		} else {
			notes(&cfg);
			rc = run(&cfg, &a);
		}
	}
	free(a.pids);
	return rc;
}
