/* kashim — hostile programs: signal handlers, early constructors,
 * vfork, dup2 over tracked sockets, fds closed behind libc's back, fd
 * exhaustion, more than 1024 fds, pthread_exit from main, many threads.
 *
 * Each program in tests/hostile/ runs twice, without and with the preload,
 * and its "same ..." lines (return values, errnos, fd numbers, counts) must
 * be identical: kashim changed nothing the program can see.  Its "opt ..."
 * lines (the kernel's keepalive options, read back) must show kashim's
 * values under the preload and the kernel's defaults without it, so each
 * case fails when kashim is absent or broken.
 *
 * Environment honoured (for make check-valgrind / check-asan / check-tsan):
 *   KASHIM_TEST_WRAPPER   a command (absolute path, blank-separated words)
 *                         put before every hostile program, e.g. valgrind;
 *                         the programs then get smaller round counts and
 *                         ten times the time bound;
 *   ASAN_OPTIONS, UBSAN_OPTIONS, TSAN_OPTIONS, LSAN_OPTIONS,
 *   VALGRIND_OPTS         passed on to the programs.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define BOUND_MS 20000

static const char *const passed_on[] = {
	"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS",
	"VALGRIND_OPTS", NULL
};

struct run {
	char *out, *err;
	int status;             /* waitpid status */
};

static int wrapped(void)
{
	const char *w = getenv("KASHIM_TEST_WRAPPER");

	return w && *w;
}

/* Rounds for loops: fewer under a wrapper such as valgrind. */
static const char *rounds(const char *n, const char *wrapped_n)
{
	return wrapped() ? wrapped_n : n;
}

/* preload: NULL for none, else the LD_PRELOAD value. */
static struct run run(const char *prog, const char *const *args,
		      const char *preload, const char *const *env)
{
	char *argv[48], *words = NULL, *save = NULL, *w;
	struct kt_env e;
	struct kt_proc p;
	struct run r;
	int n = 0, i, bound = wrapped() ? BOUND_MS * 10 : BOUND_MS;

	if (wrapped()) {
		const char *wrapper = getenv("KASHIM_TEST_WRAPPER");

		words = strdup(wrapper ? wrapper : "");
		for (w = strtok_r(words, " ", &save); w && n < 32;
		     w = strtok_r(NULL, " ", &save))
			argv[n++] = w;
	}
	argv[n++] = (char *)kt_prog(prog);
	for (i = 0; args[i] && n < 47; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	kt_env_init(&e, 0);
	if (preload)
		kt_env_add(&e, "LD_PRELOAD=%s", preload);
	for (i = 0; env[i]; i++)
		kt_env_add(&e, "%s", env[i]);
	for (i = 0; passed_on[i]; i++)
		if (getenv(passed_on[i]))
			kt_env_add(&e, "%s=%s", passed_on[i],
				   getenv(passed_on[i]));
	kt_run(&p, argv, e.v, NULL, 0, bound);
	if (preload)
		kt_assert_preloaded(&p);
	ck_assert_msg(!p.timed_out, "%s %s: still running after %d ms "
		      "(killed)\nstdout:\n%s\nstderr:\n%s", prog,
		      preload ? "preloaded" : "plain", bound, p.obuf, p.ebuf);
	r.out = strdup(p.obuf);
	r.err = strdup(p.ebuf);
	r.status = p.status;
	kt_proc_free(&p);
	kt_env_free(&e);
	free(words);
	return r;
}

static void expect_exit(const struct run *r, const char *what, int code)
{
	ck_assert_msg(WIFEXITED(r->status) && WEXITSTATUS(r->status) == code,
		      "%s: expected exit %d, got status 0x%x\nstdout:\n%s\n"
		      "stderr:\n%s", what, code, r->status, r->out, r->err);
}

/* The "same " lines of out, in order. */
static char *same_lines(const char *out)
{
	size_t cap = strlen(out) + 1, len = 0;
	char *s = calloc(1, cap);
	const char *line = out, *nl;

	while (*line) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		if (strncmp(line, "same ", 5) == 0) {
			memcpy(s + len, line, (size_t)(nl - line));
			len += (size_t)(nl - line);
			s[len++] = '\n';
		}
		line = *nl ? nl + 1 : nl;
	}
	return s;
}

/* Runs prog plain and preloaded (with env for both), checks both exit 0
 * and print the same "same" lines; returns the preloaded run's stdout in
 * *pre and the plain one's in *plain. */
static void both(const char *prog, const char *const *args,
		 const char *const *env, char **plain, char **pre)
{
	struct run a = run(prog, args, NULL, env);
	struct run b = run(prog, args, kt_testlib(), env);
	char *sa, *sb;

	expect_exit(&a, "plain run", 0);
	expect_exit(&b, "preloaded run", 0);
	sa = same_lines(a.out);
	sb = same_lines(b.out);
	ck_assert_msg(*sa != '\0', "%s printed no results:\n%s", prog, a.out);
	ck_assert_msg(strcmp(sa, sb) == 0, "%s: results differ under kashim"
		      "\nwithout:\n%swith:\n%s\nstderr with:\n%s", prog, sa,
		      sb, b.err);
	*plain = a.out;
	*pre = b.out;
}

/* "opt TAG ..." of out must read want (a prefix of the values). */
static void expect_opt(const char *out, const char *tag, const char *want)
{
	char head[64];
	const char *l;
	size_t hl;

	snprintf(head, sizeof head, "\nopt %s ", tag);
	hl = strlen(head);
	l = strstr(out, head);
	if (l)
		l += hl;
	else if (strncmp(out, head + 1, hl - 1) == 0)
		l = out + hl - 1;
	ck_assert_msg(l != NULL, "no 'opt %s' line in:\n%s", tag, out);
	ck_assert_msg(strncmp(l, want, strlen(want)) == 0,
		      "opt %s: expected '%s...', got '%.*s'", tag, want,
		      (int)strcspn(l, "\n"), l);
}

#define KASHIM_DEFAULTS "keepalive=1 idle=60 intvl=10 cnt=6 ut=120000"
#define KERNEL_DEFAULTS "keepalive=0 "
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NOARGS ((const char *const[]){ NULL })
#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NOENV ((const char *const[]){ NULL })

static char *tmp_log(void)
{
	char *path;

	if (asprintf(&path, "/tmp/kashim-hostile-%ld.log", (long)getpid()) < 0)
		abort();
	unlink(path);
	return path;
}

/* ---- signal handlers ---------------------------------------------------- */

static void signal_case(const char *const *env)
{
	const char *n = rounds("1000", "100");
	char *plain, *pre, want[64];

	both("h_signal", ARGS(n), env, &plain, &pre);
	ck_assert_msg(strstr(pre, "failures=0") && strstr(pre, "errno_broken=0"),
		      "%s", pre);
	snprintf(want, sizeof want, "count configured=%s\n", n);
	ck_assert_msg(strstr(pre, want) != NULL, "not every socket was "
		      "configured under kashim:\n%s", pre);
	ck_assert_msg(strstr(plain, "count configured=0\n"), "%s", plain);
	expect_opt(pre, "last", KASHIM_DEFAULTS);
	expect_opt(plain, "last", KERNEL_DEFAULTS);
}

START_TEST(t_signal_handler)
{
	signal_case(NOENV);
}
END_TEST

START_TEST(t_signal_handler_logging)
{
	char *log = tmp_log(), *e;

	if (asprintf(&e, "KASHIM_LOG=%s", log) < 0)
		abort();
	signal_case(ENV(e, "KASHIM_DEBUG=1", "KASHIM_WATCH=1"));
	unlink(log);
}
END_TEST

/* ---- constructors before kashim's ---------------------------------------- */

/* KASHIM_TESTLIB may be "RUNTIME... LIBKASHIM" (check-asan, check-tsan: a
 * sanitizer runtime that must come first in any preload list): the words
 * before the last one, with a blank after them, or "". */
static char *runtime_prefix(void)
{
	const char *lib = kt_testlib(), *last = strrchr(lib, ' ');
	char *s;

	if (asprintf(&s, "%.*s", last ? (int)(last - lib + 1) : 0, lib) < 0)
		abort();
	return s;
}

/* stderr shows "early: start", kashim's warning about KASHIM_CNT (printed
 * while kashim initialises, inside the early socket() call), "early:
 * done": the constructor did run first and its calls initialised kashim. */
static int early_first(const char *err)
{
	const char *s = strstr(err, "early: start");
	const char *k = strstr(err, "kashim: KASHIM_CNT='x'");
	const char *d = strstr(err, "early: done");

	return s && k && d && s < k && k < d;
}

static void expect_early_sockets(const struct run *with,
				 const struct run *without)
{
	expect_exit(without, "without kashim", 0);
	expect_exit(with, "with kashim", 0);
	ck_assert_str_eq(same_lines(without->out), same_lines(with->out));
	expect_opt(with->out, "early_out", KASHIM_DEFAULTS);
	expect_opt(with->out, "early_in", KASHIM_DEFAULTS);
	expect_opt(with->out, "main_out", KASHIM_DEFAULTS);
	expect_opt(without->out, "early_out", KERNEL_DEFAULTS);
	expect_opt(without->out, "early_in", KERNEL_DEFAULTS);
}

/* Which of two preloaded libraries initialises first is the loader's
 * choice: glibc runs the later one in LD_PRELOAD first, musl the earlier
 * one.  Both orders are tried; at least one must put the early library's
 * constructor before kashim's, and there its sockets must be configured. */
START_TEST(t_ctor_preloaded_before_kashim_init)
{
	const char *early = kt_prog("libh_early.so");
	char *orders[2], *early_only;
	struct run a, b;
	int i;

	if (asprintf(&orders[0], "%s %s", kt_testlib(), early) < 0 ||
	    asprintf(&orders[1], "%s%s %s", runtime_prefix(), early,
		     strrchr(kt_testlib(), ' ') ? strrchr(kt_testlib(), ' ') + 1
						: kt_testlib()) < 0 ||
	    asprintf(&early_only, "%s%s", runtime_prefix(), early) < 0)
		abort();
	a = run("h_main", NOARGS, early_only, ENV("KASHIM_CNT=x"));
	for (i = 0; i < 2; i++) {
		b = run("h_main", NOARGS, orders[i], ENV("KASHIM_CNT=x"));
		if (early_first(b.err)) {
			expect_early_sockets(&b, &a);
			return;
		}
	}
	ck_abort_msg("in no LD_PRELOAD order did the library's constructor "
		     "run before kashim's; stderr of the last:\n%s", b.err);
}
END_TEST

/* Linked into the program (DT_NEEDED): glibc initialises it before the
 * preloaded kashim, musl after; either way its sockets are configured. */
START_TEST(t_ctor_linked_library)
{
	struct run a = run("h_ctor", NOARGS, NULL, ENV("KASHIM_CNT=x"));
	struct run b = run("h_ctor", NOARGS, kt_testlib(), ENV("KASHIM_CNT=x"));

	printf("note: %s: the library's constructor ran %s kashim's\n",
	       __func__, early_first(b.err) ? "before" : "after");
	expect_early_sockets(&b, &a);
}
END_TEST

/* ---- vfork, dup2 ---------------------------------------------------------- */

START_TEST(t_vfork_child_edits_fds)
{
	char *plain, *pre;

	both("h_vfork", NOARGS, NOENV, &plain, &pre);
	ck_assert_msg(strstr(pre, "same child status=7"), "%s", pre);
	expect_opt(pre, "after", "keepalive=1 idle=5 intvl=10 cnt=6 ut=65000");
	expect_opt(plain, "after", "keepalive=0 idle=5 intvl=75 cnt=9 ut=0");
}
END_TEST

START_TEST(t_dup2_over_tracked)
{
	char *plain, *pre;

	both("h_dup2", NOARGS, NOENV, &plain, &pre);
	expect_opt(pre, "self", "keepalive=1 idle=5 intvl=10 cnt=6 ut=65000");
	expect_opt(pre, "fd50", KASHIM_DEFAULTS);
	expect_opt(pre, "via60", "keepalive=1 idle=7 intvl=10 cnt=6 ut=67000");
	expect_opt(pre, "via70", "keepalive=1 idle=7 intvl=2 cnt=6 ut=72000");
	expect_opt(plain, "self", KERNEL_DEFAULTS);
	expect_opt(plain, "fd50", KERNEL_DEFAULTS);
}
END_TEST

/* ---- closed behind libc's back -------------------------------------------- */

static const char *const behind[] = {
	"sysclose", "fclose", "close_range", "sys_close_range"
};

static void closebehind_case(const char *how, const char *dir)
{
	char *plain, *pre;

	both("h_closebehind", ARGS(how, dir), NOENV, &plain, &pre);
	expect_opt(pre, "first", KASHIM_DEFAULTS);
	expect_opt(plain, "reused", KERNEL_DEFAULTS);
	/* SPEC: a socket kashim did not see made is covered when it
	 * connects or accepts, whatever number it has. */
	expect_opt(pre, "reused", KASHIM_DEFAULTS);
}

START_TEST(t_closed_behind_then_connect)
{
	closebehind_case(behind[_i], "out");
}
END_TEST

START_TEST(t_closed_behind_then_accept)
{
	closebehind_case(behind[_i], "in");
}
END_TEST

/* ---- descriptors: exhaustion, many -------------------------------------- */

/* valgrind keeps its own descriptors near the limit and applies
 * RLIMIT_NOFILE itself: under a wrapper the limit is not the kernel's. */
static int limit_is_virtual(const char *name)
{
	if (!wrapped())
		return 0;
	kt_skip(name, "the fd limit is the wrapper's under KASHIM_TEST_WRAPPER");
	return 1;
}

START_TEST(t_emfile_is_the_programs)
{
	char *plain, *pre;

	if (limit_is_virtual("t_emfile_is_the_programs"))
		return;
	both("h_emfile", NOARGS, NOENV, &plain, &pre);
	ck_assert_msg(strstr(pre, "same filled=") && strstr(pre, "errno=24"),
		      "%s", pre);
	expect_opt(pre, "conn", KASHIM_DEFAULTS);
	expect_opt(plain, "conn", KERNEL_DEFAULTS);
}
END_TEST

/* The watcher runs beside a program at its fd limit: it must never take
 * the descriptor the program was about to get. */
START_TEST(t_emfile_with_watcher)
{
	char *log, *e, *plain, *pre;

	if (limit_is_virtual("t_emfile_with_watcher"))
		return;
	log = tmp_log();
	if (asprintf(&e, "KASHIM_LOG=%s", log) < 0)
		abort();
	both("h_emfile", NOARGS, ENV("KASHIM_WATCH=1", e), &plain, &pre);
	ck_assert_msg(strstr(pre, "same churn_fails=0 "), "%s", pre);
	expect_opt(pre, "conn", KASHIM_DEFAULTS);
	unlink(log);
}
END_TEST

START_TEST(t_more_than_1024_fds)
{
	char *plain, *pre;

	both("h_manyfds", NOARGS, NOENV, &plain, &pre);
	if (strstr(pre, "skip ")) {
		kt_skip(__func__, "hard RLIMIT_NOFILE below 4096");
		return;
	}
	expect_opt(pre, "high_out", KASHIM_DEFAULTS);
	expect_opt(pre, "high_in", KASHIM_DEFAULTS);
	expect_opt(pre, "fd3000", KASHIM_DEFAULTS);
	expect_opt(pre, "fd3000_idle",
		   "keepalive=1 idle=5 intvl=10 cnt=6 ut=65000");
	expect_opt(pre, "reused_out", KASHIM_DEFAULTS);
	expect_opt(plain, "high_out", KERNEL_DEFAULTS);
	expect_opt(plain, "fd3000", KERNEL_DEFAULTS);
}
END_TEST

/* ---- threads ---------------------------------------------------------- */

static void pthread_exit_case(const char *name, const char *code_arg,
			      int code)
{
	const char *const *args = code_arg ? ARGS(code_arg) : NOARGS;
	struct run a, b;

	/* ThreadSanitizer's runtime keeps a thread of its own, so under
	 * check-tsan such a program never ends even without kashim. */
	if (strstr(kt_testlib(), "libtsan")) {
		kt_skip(name, "ThreadSanitizer's own thread outlives main");
		return;
	}
	a = run("h_pthread_exit", args, NULL, NOENV);
	b = run("h_pthread_exit", args, kt_testlib(),
		ENV("KASHIM_WATCH=1", "KASHIM_LOG=stderr"));

	expect_exit(&a, "without kashim", code);
	expect_exit(&b, "with kashim's watcher", code);
	ck_assert_str_eq(same_lines(a.out), same_lines(b.out));
	expect_opt(b.out, "conn", KASHIM_DEFAULTS);
}

START_TEST(t_main_pthread_exit_watch)
{
	pthread_exit_case("t_main_pthread_exit_watch", NULL, 0);
}
END_TEST

START_TEST(t_main_pthread_exit_then_exit_code)
{
	pthread_exit_case("t_main_pthread_exit_then_exit_code", "7", 7);
}
END_TEST

START_TEST(t_threads)
{
	char *log = tmp_log(), *e, *plain, *pre, want[64];
	const char *r = rounds("300", "20");

	if (asprintf(&e, "KASHIM_LOG=%s", log) < 0)
		abort();
	both("h_threads", ARGS("4", r), ENV("KASHIM_WATCH=1", e), &plain,
	     &pre);
	ck_assert_msg(strstr(pre, "failures=0"), "%s", pre);
	snprintf(want, sizeof want, "count configured=%d\n", 4 * atoi(r));
	ck_assert_msg(strstr(pre, want), "want '%s' in:\n%s", want, pre);
	ck_assert_msg(strstr(plain, "count configured=0\n"), "%s", plain);
	unlink(log);
}
END_TEST

/* ---- another preload behind kashim, thread cancellation ----------------- */

/* A library placed after kashim in LD_PRELOAD sees every read, write,
 * recv and send the program makes, with kashim looking at each result
 * (the log on) as with kashim idle: kashim finds it behind its hooks and
 * calls it. */
START_TEST(t_preload_behind_kashim)
{
	const char *countio = kt_prog("libh_countio.so");
	char *log = tmp_log(), *e, *alone, *both_libs, *sa, *sb;
	struct run a, b;

	if (asprintf(&e, "KASHIM_LOG=%s", log) < 0 ||
	    asprintf(&alone, "%s%s", runtime_prefix(), countio) < 0 ||
	    asprintf(&both_libs, "%s %s", kt_testlib(), countio) < 0)
		abort();
	a = run("h_chain", NOARGS, alone, ENV(e));
	b = run("h_chain", NOARGS, both_libs, ENV(e));
	expect_exit(&a, "countio alone", 0);
	expect_exit(&b, "kashim, then countio", 0);
	sa = same_lines(a.out);
	sb = same_lines(b.out);
	ck_assert_msg(strstr(sa, "same countio=251\n"), "%s", a.out);
	ck_assert_str_eq(sa, sb);
	unlink(log);
}
END_TEST

/* read() is a cancellation point: a thread blocked in it on a quiet
 * connection ends at pthread_cancel, with the log on (the hooks look at
 * every result) as without kashim. */
START_TEST(t_cancel_blocked_read)
{
	char *log = tmp_log(), *e, *plain, *pre;

	if (asprintf(&e, "KASHIM_LOG=%s", log) < 0)
		abort();
	both("h_cancel", NOARGS, ENV(e), &plain, &pre);
	ck_assert_msg(strstr(pre, "same cancelled=1 read_returned=0\n"), "%s",
		      pre);
	unlink(log);
}
END_TEST

static Suite *hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("hostile");

	tcase_set_timeout(tc, wrapped() ? 900 : 60);
	tcase_add_test(tc, t_signal_handler);
	tcase_add_test(tc, t_signal_handler_logging);
	tcase_add_test(tc, t_ctor_preloaded_before_kashim_init);
	tcase_add_test(tc, t_ctor_linked_library);
	tcase_add_test(tc, t_vfork_child_edits_fds);
	tcase_add_test(tc, t_dup2_over_tracked);
	tcase_add_loop_test(tc, t_closed_behind_then_connect, 0, 4);
	tcase_add_loop_test(tc, t_closed_behind_then_accept, 0, 4);
	tcase_add_test(tc, t_emfile_is_the_programs);
	tcase_add_test(tc, t_emfile_with_watcher);
	tcase_add_test(tc, t_more_than_1024_fds);
	tcase_add_test(tc, t_main_pthread_exit_watch);
	tcase_add_test(tc, t_main_pthread_exit_then_exit_code);
	tcase_add_test(tc, t_threads);
	tcase_add_test(tc, t_preload_behind_kashim);
	tcase_add_test(tc, t_cancel_blocked_read);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return kt_main(hostile_suite());
}
