/* kashim — the end-to-end matrix: real, unmodified programs (socat, OpenBSD
 * nc, curl, OpenSSH's sshd, inetd-style services under
 * systemd-socket-activate and tcpserver) and small ordinary ones at scale (1,000
 * connections each way), with threads, a forking server and a daemon.
 *
 * Each case is a POSIX sh script in tests/e2e/ (see tests/e2e/lib.sh): it
 * enters its own network namespace (unshare -n), runs the program with
 * kashim preloaded next to the same program without it, makes the peers
 * vanish with an nftables drop, and exits 0 with "PASS" only when the
 * kashim side was freed within IDLE + INTVL*CNT + margin with exactly the
 * log lines due and the plain side was still stuck.  So every case fails
 * when kashim is missing or broken (try KASHIM_TESTLIB=/lib/x86_64-linux-
 * gnu/libm.so.6).
 *
 * The cases wait for timers, not for the CPU, so they run in LANES lanes at
 * once: an unchecked fixture starts one runner process per lane before the
 * tests; each runner runs its cases one after another (each bounded by
 * CASE_MS) and leaves NAME.out and NAME.rc in a private directory.  Each
 * Check test then waits (bounded) for its case's files and judges them.
 * The scripts' "MEASURE:" lines are printed for docs/demo.md.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define LANES 3
#define CASE_MS 60000           /* one case, start to end */
#define WAIT_MS (CASE_MS * 4 + 30000) /* the longest lane, with slack */

struct e2e_case {
	const char *name;       /* tests/e2e/NAME.sh */
	int lane;
};

/* Slow ones first, spread over the lanes. */
static const struct e2e_case cases[] = {
	{ "scale-server", 0 }, { "scale-client", 1 }, { "sshd", 2 },
	{ "socat", 0 },        { "curl", 1 },         { "forksrv", 2 },
	{ "nc", 0 },           { "threads", 1 },      { "daemon", 2 },
	{ "inetd", 0 },        { "listenfds", 1 },
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

static char dir[64];            /* results: NAME.out, NAME.rc */
static char skip_why[256];      /* set when namespaces are not permitted */
static pid_t lanes[LANES];

/* ---- paths and environment -------------------------------------------- */

static const char *top(void)
{
	const char *t = getenv("KASHIM_TOP");

	return t && *t ? t : ".";
}

static void case_env(struct kt_env *e, const char *name)
{
	char progs[4096];
	const char *p = kt_prog("e2e_net");
	const char *slash = strrchr(p, '/');

	snprintf(progs, sizeof progs, "%.*s", slash ? (int)(slash - p) : 1,
		 slash ? p : ".");
	kt_env_init(e, 0);      /* the scripts preload kashim themselves */
	kt_env_add(e, "KASHIM_TESTLIB=%s", kt_testlib());
	kt_env_add(e, "E2E_PROGS=%s", progs);
	kt_env_add(e, "E2E_DIR=%s/tests/e2e", top());
	kt_env_add(e, "E2E_TMP=%s/%s.tmp", dir, name);
}

/* ---- the runners ------------------------------------------------------ */

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return;
	if (write(fd, text, len) < 0)
		perror(path);
	close(fd);
}

/* Run one case (bounded), then write NAME.out and, last, NAME.rc. */
static void run_case(const struct e2e_case *c)
{
	char script[4096], path[256], tmp[256], rc[64];
	const char *argv[] = { "/bin/sh", script, NULL };
	struct kt_proc p;
	struct kt_env e;

	snprintf(script, sizeof script, "%s/tests/e2e/%s.sh", top(), c->name);
	snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, c->name);
	mkdir(tmp, 0755);
	case_env(&e, c->name);
	kt_run(&p, (char *const *)argv, e.v, NULL, 0, CASE_MS);
	kt_env_free(&e);
	snprintf(path, sizeof path, "%s/%s.out", dir, c->name);
	write_file(path, p.obuf, p.olen);
	snprintf(path, sizeof path, "%s/%s.err", dir, c->name);
	write_file(path, p.ebuf, p.elen);
	snprintf(rc, sizeof rc, "%s\n", p.timed_out ? "timeout"
		 : kt_status_str(&p));
	snprintf(path, sizeof path, "%s/%s.rc", dir, c->name);
	write_file(path, rc, strlen(rc));
	kt_proc_free(&p);
}

static void run_lane(int lane)
{
	int i;

	for (i = 0; i < NCASES; i++)
		if (cases[i].lane == lane)
			run_case(&cases[i]);
	_exit(0);
}

/* May this process make network namespaces?  Tried in a child, so that
 * this one stays where it is. */
static int netns_ok(void)
{
	int fds[2];
	pid_t pid;
	ssize_t n;

	if (pipe(fds) < 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		char why[256];
		int r = kt_netns_enter(why, sizeof why);

		if (r != 0 && write(fds[1], why, strlen(why)) < 0)
			_exit(2);
		_exit(r == 0 ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], skip_why, sizeof skip_why - 1);
	skip_why[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid > 0 && skip_why[0] == '\0';
}

static void start_all(void)
{
	int i;

	snprintf(dir, sizeof dir, "/tmp/kashim-e2e.XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(skip_why, sizeof skip_why, "mkdtemp: %s",
			 strerror(errno));
		return;
	}
	chmod(dir, 0755);       /* sshd's session reads its key file here */
	if (!netns_ok()) {
		if (skip_why[0] == '\0')
			snprintf(skip_why, sizeof skip_why, "no netns");
		return;
	}
	fflush(stdout);
	for (i = 0; i < LANES; i++) {
		lanes[i] = fork();
		if (lanes[i] == 0)
			run_lane(i);
	}
}

static void stop_all(void)
{
	const char *argv[] = { "rm", "-rf", dir, NULL };
	struct kt_proc p;
	struct kt_env e;
	int i;

	for (i = 0; i < LANES; i++)
		if (lanes[i] > 0)
			waitpid(lanes[i], NULL, 0);
	if (dir[0] == '\0' || getenv("E2E_KEEP"))
		return;
	kt_env_init(&e, 0);
	kt_run(&p, (char *const *)argv, e.v, NULL, 0, 20000);
	kt_env_free(&e);
	kt_proc_free(&p);
}

/* ---- judging ---------------------------------------------------------- */

/* A file the case script may not have written yet reads as empty. */
static const char *text_of(const char *path)
{
	const char *text = kt_read_file(path, NULL);

	return text ? text : "";
}

static void print_measures(const char *name, const char *out)
{
	const char *l = out;

	while (l && *l) {
		const char *nl = strchr(l, '\n');
		int len = nl ? (int)(nl - l) : (int)strlen(l);

		if (strncmp(l, "MEASURE: ", 9) == 0)
			printf("%s: %.*s\n", name, len, l);
		l = nl ? nl + 1 : NULL;
	}
	fflush(stdout);
}

START_TEST(t_case)
{
	const struct e2e_case *c = &cases[_i];
	char path[256], rc[64];
	const char *out;
	long end = kt_now_ms() + WAIT_MS;

	if (skip_why[0]) {
		char name[64];

		snprintf(name, sizeof name, "e2e %s", c->name);
		kt_skip(name, skip_why);
		return;
	}
	snprintf(path, sizeof path, "%s/%s.rc", dir, c->name);
	while (access(path, F_OK) != 0 && kt_now_ms() < end)
		kt_sleep_ms(100);
	ck_assert_msg(access(path, F_OK) == 0, "%s: no result after %d ms",
		      c->name, WAIT_MS);
	snprintf(rc, sizeof rc, "%s", text_of(path));
	snprintf(path, sizeof path, "%s/%s.out", dir, c->name);
	out = text_of(path);
	print_measures(c->name, out);
	if (strcmp(rc, "exit 0\n") != 0 || !strstr(out, "\nPASS\n")) {
		printf("---- %s: %s%s---- stderr:\n", c->name, rc, out);
		snprintf(path, sizeof path, "%s/%s.err", dir, c->name);
		printf("%s----\n", text_of(path));
		fflush(stdout);
	}
	ck_assert_msg(strcmp(rc, "exit 0\n") == 0, "%s: %s", c->name, rc);
	ck_assert_msg(strstr(out, "\nPASS\n") != NULL, "%s: no PASS",
		      c->name);
}
END_TEST

static Suite *e2e_suite(void)
{
	Suite *s = suite_create("e2e");
	TCase *tc = tcase_create("e2e");

	tcase_add_unchecked_fixture(tc, start_all, stop_all);
	tcase_set_timeout(tc, WAIT_MS / 1000.0 + 30);
	tcase_add_loop_test(tc, t_case, 0, NCASES);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return kt_main(e2e_suite());
}
