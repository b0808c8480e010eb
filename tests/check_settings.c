/* check_settings — build/kashim-settings, and the wrapper that asks it.
 *
 * The wrapper's options are judged by the library's own parser: the
 * program links shim/config.c and names each invalid value in the
 * library's words minus "; using the default ...".  These tests compare its
 * lines with what the preloaded library itself prints for the same value,
 * show that the wrapper refuses exactly what that parser refuses (values an
 * older sh check let through included), that it hands the program only the
 * variables its options set, and what it does when the program is missing.
 *
 * Needs KASHIM_TOP (the checkout; make check sets it) and the library under
 * test (KASHIM_TESTLIB).  Nothing here needs root or the network beyond the
 * loopback connection tcpopts makes to itself.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define BOUND_MS 30000

/* ------------------------------------------------------------ helpers */

static const char *top(void)
{
	const char *t = getenv("KASHIM_TOP");

	ck_assert_msg(t && *t, "KASHIM_TOP is not set: run through make check");
	return t;
}

static char *settings_prog(void) { return kt_strf("%s/build/kashim-settings", top()); }
static char *wrapper(void) { return kt_strf("%s/scripts/kashim", top()); }
static const char *tcpopts(void) { return kt_prog("tcpopts"); }

/* argv[] run with exactly env, to the end (bounded); the process is left
 * in p for its status and output. */
static void run(struct kt_proc *p, char *const argv[], struct kt_env *e)
{
	kt_run(p, argv, e->v, NULL, 0, BOUND_MS);
	ck_assert_msg(!p->timed_out, "%s did not end within %d ms", argv[0],
		      BOUND_MS);
}

static int exit_status(const struct kt_proc *p)
{
	return WIFEXITED(p->status) ? WEXITSTATUS(p->status) : -1;
}

/* The wrapper's environment: PATH, LC_ALL, the library under test. */
static void wrapper_env(struct kt_env *e)
{
	kt_env_init(e, 0);
	kt_env_add(e, "KASHIM_LIB=%s", kt_testlib());
}

/* A test that runs a program through the wrapper needs KASHIM_TESTLIB to
 * be one library: the wrapper takes one file (KASHIM_LIB) and puts it
 * first, where a sanitizer build (make check-asan) needs its runtime. */
#define NEED_ONE_LIBRARY()						\
	do {								\
		if (strchr(kt_testlib(), ' ')) {			\
			kt_skip(__func__, "KASHIM_TESTLIB is a list of "	\
				"libraries; the wrapper takes one file");	\
			return;						\
		}							\
	} while (0)

/* The line the library itself prints, preloaded into tcpopts, for
 * NAME=VALUE, cut where its "; using the default" tail starts. */
static char *library_line(const char *name, const char *value)
{
	struct kt_proc p;
	struct kt_env e;
	char *start, *tail;

	kt_env_init(&e, 1);
	kt_env_add(&e, "%s=%s", name, value);
	run(&p, (char *[]){ (char *)tcpopts(), NULL }, &e);
	ck_assert_msg(exit_status(&p) == 0, "tcpopts: %s\n%s",
		      kt_status_str(&p), p.ebuf);
	start = strstr(p.ebuf, kt_strf("kashim: %s='", name));
	ck_assert_msg(start != NULL, "the library said nothing of %s='%s':\n%s",
		      name, value, p.ebuf);
	tail = strstr(start, "; using the default");
	ck_assert_msg(tail != NULL && tail < strchr(start, '\n'),
		      "no default named in: %s", start);
	return strndup(start, (size_t)(tail - start));
}

/* A fresh directory, for a stand-in helper or none. */
static char *mktmp(void)
{
	char *d = strdup("/tmp/kashim-settings.XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static void rm_rf(const char *dir)
{
	struct kt_proc p;
	struct kt_env e;

	kt_env_init(&e, 0);
	run(&p, (char *[]){ "/bin/rm", "-rf", "--", (char *)dir, NULL }, &e);
}

/* ------------------------------------------------------------ the program */

struct bad {
	const char *name, *value;
};

/* One of each kind (number, alias, word, list, path), and the IPv6 texts
 * the old sh check passed because it only looked at their characters. */
static const struct bad bads[] = {
	{ "KASHIM_IDLE", "5s" },
	{ "KASHIM_INTVL", "0" },
	{ "KASHIM_CNT", "99999999999999999999" },
	{ "KASHIM_USER_TIMEOUT", "AUTO" },
	{ "KASHIM_SYNCNT", "128" },
	{ "KASHIM_DIRECTION", "sideways" },
	{ "KASHIM_PORTS", "9-8" },
	{ "KASHIM_NETS", "10.0.0.0/33" },
	{ "KASHIM_NETS", "1:2:3:4:5:6:7:8:9" },
	{ "KASHIM_NETS", ":1::2" },
	{ "KASHIM_NETS", "1:2:3:4:5:6:7" },
	{ "KASHIM_NETS", "10.0.0.0/8,fd00::1::/64" },
	{ "KASHIM_LOG", "relative/file" },
	{ "KASHIM_OVERRIDE", "2" },
	{ "KASHIM_WATCH", "yes" },
	{ "KASHIM_DEBUG", "on" },
	{ "TCP_KEEPIDLE", "0" },
	{ "KEEPCNT", "300" },
	{ "DD_TCP_KEEPALIVE_INTVL", "x" },
	{ "KASHIM_IDLE", "\x1b[2Jcontrol characters and far more than sixty-four bytes of text" },
};

/* Exit 2 and exactly the library's line, for every kind of value. */
START_TEST(program_speaks_as_the_library)
{
	const struct bad *b = &bads[_i];
	char *want = library_line(b->name, b->value);
	struct kt_proc p;
	struct kt_env e = { 0 };

	kt_env_add(&e, "%s=%s", b->name, b->value);
	run(&p, (char *[]){ settings_prog(), NULL }, &e);
	ck_assert_msg(exit_status(&p) == 2, "%s='%s': %s", b->name, b->value,
		      kt_status_str(&p));
	ck_assert_str_eq(p.ebuf, kt_strf("%s\n", want));
	ck_assert_str_eq(p.obuf, "");
}
END_TEST

/* Valid values, and none at all, pass silently; every bad one is named,
 * not only the first; an argument is refused. */
START_TEST(program_valid_silent_each_bad_named)
{
	struct kt_proc p;
	struct kt_env e = { 0 };

	kt_env_add(&e, "KASHIM_IDLE=32767");
	kt_env_add(&e, "KASHIM_USER_TIMEOUT=auto");
	kt_env_add(&e, "KASHIM_NETS=::ffff:127.0.0.1/104,fd00::/8");
	kt_env_add(&e, "KASHIM_LOG=/var/log/kashim.log");
	run(&p, (char *[]){ settings_prog(), NULL }, &e);
	ck_assert_msg(exit_status(&p) == 0, "%s: %s", kt_status_str(&p), p.ebuf);
	ck_assert_str_eq(p.ebuf, "");
	kt_proc_free(&p);

	kt_env_free(&e);
	run(&p, (char *[]){ settings_prog(), NULL }, &e);
	ck_assert_int_eq(exit_status(&p), 0);
	ck_assert_str_eq(p.ebuf, "");
	kt_proc_free(&p);

	kt_env_add(&e, "KASHIM_CNT=0");
	kt_env_add(&e, "KASHIM_IDLE=0");
	run(&p, (char *[]){ settings_prog(), NULL }, &e);
	ck_assert_int_eq(exit_status(&p), 2);
	ck_assert_str_eq(p.ebuf, kt_strf("%s\n%s\n", library_line("KASHIM_IDLE", "0"),
				     library_line("KASHIM_CNT", "0")));
	kt_proc_free(&p);

	run(&p, (char *[]){ settings_prog(), "--idle", NULL }, &e);
	ck_assert_int_eq(exit_status(&p), 2);
	ck_assert_ptr_nonnull(strstr(p.ebuf, "kashim-settings: '--idle': no arguments"));
}
END_TEST

/* ------------------------------------------------------------ the wrapper */

struct opt_bad {
	const char *opt, *value, *var;
};

/* Accepted by the wrapper's former sh check, refused by config.c. */
static const struct opt_bad sh_let_through[] = {
	{ "--nets", "1:2:3:4:5:6:7:8:9", "KASHIM_NETS" },
	{ "--nets", ":1::2", "KASHIM_NETS" },
	{ "--nets", "1:2:3:4:5:6:7", "KASHIM_NETS" },
	{ "--nets", "10.0.0.0/8,fd00::1::/64", "KASHIM_NETS" },
};

/* Refused before exec (tcpopts never prints), exit 2, the library's line. */
START_TEST(wrapper_refuses_what_the_parser_refuses)
{
	const struct opt_bad *b = &sh_let_through[_i];
	char *want = library_line(b->var, b->value);
	struct kt_proc p;
	struct kt_env e;

	wrapper_env(&e);
	run(&p, (char *[]){ wrapper(), (char *)b->opt, (char *)b->value,
			    (char *)tcpopts(), NULL }, &e);
	ck_assert_msg(exit_status(&p) == 2, "%s %s: %s\n%s", b->opt, b->value,
		      kt_status_str(&p), p.ebuf);
	ck_assert_str_eq(p.ebuf, kt_strf("%s\n", want));
	ck_assert_str_eq(p.obuf, "");
}
END_TEST

/* A stand-in kashim-settings that writes down the environment it got and
 * exits with STATUS after printing LINE. */
static char *standin(const char *dir, int status, const char *line)
{
	char *path = kt_strf("%s/kashim-settings", dir), *seen = kt_strf("%s/seen", dir);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n/usr/bin/env >'%s'\nprintf '%%s\\n' '%s' >&2\n"
		"exit %d\n", seen, line, status);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
	return seen;
}

/* Does text hold a line that starts with prefix? */
static int has_line(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, prefix, n) == 0)
			return 1;
	return 0;
}

/* The program gets the options' variables and nothing else: not the
 * caller's own KASHIM_*, aliases, KASHIM_DISABLE, LD_PRELOAD or PATH; its
 * words are what the wrapper prints, its status 2 the wrapper's exit 2. */
START_TEST(wrapper_passes_only_option_variables)
{
	char *dir = mktmp(), *seen = standin(dir, 2, "judged by the stand-in");
	char *env_seen;
	struct kt_proc p, q;
	struct kt_env e;

	wrapper_env(&e);
	kt_env_add(&e, "KASHIM_HELPERS=%s", dir);
	kt_env_add(&e, "KASHIM_CNT=0");
	kt_env_add(&e, "TCP_KEEPIDLE=9");
	kt_env_add(&e, "KASHIM_DISABLE=1");
	kt_env_add(&e, "LD_PRELOAD=%s", kt_testlib());
	run(&p, (char *[]){ wrapper(), "-i", "5", "--ports=80", "-w", "--log",
			    "/tmp/a b", (char *)tcpopts(), NULL }, &e);
	env_seen = kt_read_file(seen, NULL);
	ck_assert_ptr_nonnull(env_seen);
	standin(dir, 7, "");
	run(&q, (char *[]){ wrapper(), "-i", "5", (char *)tcpopts(), NULL }, &e);
	rm_rf(dir);

	ck_assert_int_eq(exit_status(&p), 2);
	ck_assert_str_eq(p.ebuf, "judged by the stand-in\n");
	ck_assert_str_eq(p.obuf, "");
	ck_assert_msg(has_line(env_seen, "KASHIM_IDLE=5\n") &&
		      has_line(env_seen, "KASHIM_PORTS=80\n") &&
		      has_line(env_seen, "KASHIM_WATCH=1\n") &&
		      has_line(env_seen, "KASHIM_LOG=/tmp/a b\n"),
		      "the options' variables are not all there:\n%s", env_seen);
	const char *absent[] = { "KASHIM_CNT=", "TCP_KEEPIDLE=", "KASHIM_DISABLE=",
				 "LD_PRELOAD=", "PATH=", "KASHIM_LIB=",
				 "KASHIM_HELPERS=" };
	for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
		ck_assert_msg(!has_line(env_seen, absent[i]),
			      "%s reached the program:\n%s", absent[i], env_seen);
	/* a program that fails otherwise is not taken for a verdict */
	ck_assert_int_eq(exit_status(&q), 1);
	ck_assert_ptr_nonnull(strstr(q.ebuf, "kashim-settings failed (exit status 7)"));
	ck_assert_str_eq(q.obuf, "");
}
END_TEST

/* A bad value only in the caller's environment is the library's to judge,
 * as without the wrapper: the program runs, with that setting's default;
 * and KASHIM_DISABLE=1 there does not hide a bad option value. */
START_TEST(caller_environment_left_to_library)
{
	struct kt_proc p, q;
	struct kt_env e;

	NEED_ONE_LIBRARY();

	wrapper_env(&e);
	kt_env_add(&e, "KASHIM_CNT=0");
	run(&p, (char *[]){ wrapper(), "-i", "7", (char *)tcpopts(), NULL }, &e);
	ck_assert_msg(exit_status(&p) == 0, "%s\n%s", kt_status_str(&p), p.ebuf);
	ck_assert_int_eq(kt_kv_long(p.obuf, "out", "idle", -1), 7);
	ck_assert_int_eq(kt_kv_long(p.obuf, "out", "cnt", -1), 6);
	ck_assert_ptr_nonnull(strstr(p.ebuf, kt_strf("%s; using the default 6\n",
						 library_line("KASHIM_CNT", "0"))));

	kt_env_add(&e, "KASHIM_DISABLE=1");
	run(&q, (char *[]){ wrapper(), "-i", "0", (char *)tcpopts(), NULL }, &e);
	ck_assert_int_eq(exit_status(&q), 2);
	ck_assert_str_eq(q.ebuf, kt_strf("%s\n", library_line("KASHIM_IDLE", "0")));
	ck_assert_str_eq(q.obuf, "");
}
END_TEST

/* As the options come: a bad value is named before a later unknown
 * option, --help, or a second value for the same option; the last of two
 * good values wins. */
START_TEST(wrapper_bad_value_named_first)
{
	char *idle0 = kt_strf("%s\n", library_line("KASHIM_IDLE", "0"));
	const char *later[][3] = { { "--bogus", NULL, NULL }, { "--help", NULL, NULL },
				   { "--idle", "5", NULL }, { "--version", NULL, NULL },
				   { "--systemd", NULL, NULL } };
	struct kt_proc p;
	struct kt_env e;

	NEED_ONE_LIBRARY();

	wrapper_env(&e);
	for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
		run(&p, (char *[]){ wrapper(), "--idle", "0", (char *)later[i][0],
				    (char *)later[i][1], NULL }, &e);
		ck_assert_msg(exit_status(&p) == 2, "then %s: %s", later[i][0],
			      kt_status_str(&p));
		ck_assert_str_eq(p.ebuf, idle0);
		ck_assert_str_eq(p.obuf, "");
		kt_proc_free(&p);
	}
	run(&p, (char *[]){ wrapper(), "--idle", "5", "-i", "6", (char *)tcpopts(),
			    NULL }, &e);
	ck_assert_msg(exit_status(&p) == 0, "%s\n%s", kt_status_str(&p), p.ebuf);
	ck_assert_int_eq(kt_kv_long(p.obuf, "out", "idle", -1), 6);
}
END_TEST

/* No kashim-settings: an option value cannot be judged, so the wrapper
 * refuses in one line and runs nothing; without options it needs none;
 * --env and --systemd print their lines with a warning. */
START_TEST(wrapper_without_settings_program)
{
	char *dir = mktmp(), *missing = kt_strf("%s/kashim-settings", dir);
	struct kt_proc p, bare, env, unit, sub;
	struct kt_env e;

	NEED_ONE_LIBRARY();

	wrapper_env(&e);
	kt_env_add(&e, "KASHIM_HELPERS=%s", dir);
	run(&p, (char *[]){ wrapper(), "-i", "5", (char *)tcpopts(), NULL }, &e);
	run(&bare, (char *[]){ wrapper(), (char *)tcpopts(), NULL }, &e);
	run(&env, (char *[]){ wrapper(), "--env", "-i", "5", NULL }, &e);
	run(&unit, (char *[]){ wrapper(), "--systemd", "mydaemon", "-i", "5", NULL }, &e);
	run(&sub, (char *[]){ wrapper(), "-i", "5", "--check", (char *)tcpopts(), NULL }, &e);
	rm_rf(dir);

	ck_assert_int_eq(exit_status(&p), 1);
	ck_assert_str_eq(p.ebuf, kt_strf("kashim: checking the options' values needs %s, "
				     "which is not there (run make in the checkout)\n",
				     missing));
	ck_assert_str_eq(p.obuf, "");
	ck_assert_msg(exit_status(&bare) == 0, "%s\n%s", kt_status_str(&bare), bare.ebuf);
	ck_assert_int_eq(kt_kv_long(bare.obuf, "out", "idle", -1), 60);
	ck_assert_int_eq(exit_status(&env), 0);
	ck_assert_str_eq(env.obuf, kt_strf("LD_PRELOAD=%s\nKASHIM_IDLE=5\n", kt_testlib()));
	ck_assert_str_eq(env.ebuf, kt_strf("kashim: warning: the values are not checked: "
				       "%s is not there (run make in the checkout)\n",
				       missing));
	ck_assert_int_eq(exit_status(&unit), 0);
	ck_assert_ptr_nonnull(strstr(unit.obuf, "Environment=\"KASHIM_IDLE=5\"\n"));
	ck_assert_ptr_nonnull(strstr(unit.ebuf, "kashim: warning: the values are not checked"));
	ck_assert_int_eq(exit_status(&sub), 1);
	ck_assert_str_eq(sub.obuf, "");
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *settings_suite(void)
{
	Suite *s = suite_create("settings");
	TCase *t = tcase_create("program");

	tcase_set_timeout(t, 120);
	tcase_add_loop_test(t, program_speaks_as_the_library, 0,
			    (int)(sizeof bads / sizeof bads[0]));
	tcase_add_test(t, program_valid_silent_each_bad_named);
	suite_add_tcase(s, t);
	t = tcase_create("wrapper");
	tcase_set_timeout(t, 120);
	tcase_add_loop_test(t, wrapper_refuses_what_the_parser_refuses, 0,
			    (int)(sizeof sh_let_through / sizeof sh_let_through[0]));
	tcase_add_test(t, wrapper_passes_only_option_variables);
	tcase_add_test(t, caller_environment_left_to_library);
	tcase_add_test(t, wrapper_bad_value_named_first);
	tcase_add_test(t, wrapper_without_settings_program);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return kt_main(settings_suite());
}
