/* Unit tests of the configuration parser (shim/config.c), linked directly:
 * the environment is a fake getenv over a table, the warnings are collected
 * through the callback, and every expected warning is written out here in
 * full, so that the texts the wrapper script repeats cannot drift. */
#include <check.h>

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "choose.h"
#include "config.h"
#include "testlib.h"

#define TIMEOUT 10
#define MAX_WARN 8

/* ---------------------------------------------------------------- helpers */

/* cppcheck reads this file without the system headers; tell it what a
 * Check test is, or it loses track of the code after the first one. */
#ifndef START_TEST
#define START_TEST(name) static void name(int _i)
#define END_TEST
#endif

struct var {
	const char *name, *value;
};

/* The environment the parser sees; a NULL name ends it.  getenv has no
 * context argument, so the fake reads this file-level pointer. */
static const struct var *fake_env;
static int getenv_calls;

static const char *fake_getenv(const char *name)
{
	const struct var *v;

	getenv_calls++;
	for (v = fake_env; v && v->name; v++)
		if (strcmp(v->name, name) == 0)
			return v->value;
	return NULL;
}

struct warnings {
	int n;
	char line[MAX_WARN][1024];
};

static void collect(const char *line, void *ctx)
{
	struct warnings *w = ctx;

	ck_assert_ptr_nonnull(line);
	ck_assert_msg(strchr(line, '\n') == NULL, "newline in warning: %s", line);
	if (w->n < MAX_WARN)
		snprintf(w->line[w->n], sizeof w->line[0], "%s", line);
	w->n++;
}

static struct kashim_config cfg;
static struct warnings warns;

static void load_env(const struct var *env, int secure)
{
	memset(&cfg, 0xa5, sizeof cfg);         /* load must set every field */
	memset(&warns, 0, sizeof warns);
	fake_env = env;
	getenv_calls = 0;
	kashim_config_load(&cfg, fake_getenv, secure, collect, &warns);
}

static void load1(const char *name, const char *value)
{
	const struct var env[] = { { name, value }, { NULL, NULL } };

	load_env(env, 0);
}

static void assert_no_warning(void)
{
	ck_assert_msg(warns.n == 0, "unexpected warning: %s", warns.line[0]);
}

static void assert_one_warning(const char *expected)
{
	ck_assert_int_eq(warns.n, 1);
	ck_assert_str_eq(warns.line[0], expected);
}

static void assert_defaults(const struct kashim_config *c)
{
	ck_assert_int_eq(c->disable, 0);
	ck_assert_int_eq(c->idle, 60);
	ck_assert_int_eq(c->intvl, 10);
	ck_assert_int_eq(c->cnt, 6);
	ck_assert_int_eq(c->user_timeout, KASHIM_UT_AUTO);
	ck_assert_int_eq(c->syncnt, 0);
	ck_assert_int_eq(c->direction, KASHIM_DIR_BOTH);
	ck_assert_int_eq(c->ports.n, 0);
	ck_assert_int_eq(c->ports.exclude, 0);
	ck_assert_int_eq(c->nets.n, 0);
	ck_assert_int_eq(c->nets.exclude, 0);
	ck_assert_int_eq(c->override, 0);
	ck_assert_int_eq(c->watch, 0);
	ck_assert_int_eq(c->debug, 0);
	ck_assert_int_eq(c->sink, KASHIM_SINK_OFF);
}

/* ------------------------------------------------------- whole numbers */

START_TEST(defaults_fill_every_field)
{
	struct kashim_config c;

	memset(&c, 0xa5, sizeof c);
	kashim_config_defaults(&c);
	assert_defaults(&c);
}
END_TEST

START_TEST(empty_environment_gives_defaults_silently)
{
	const struct var env[] = { { NULL, NULL } };

	load_env(env, 0);
	assert_defaults(&cfg);
	assert_no_warning();
	ck_assert_int_gt(getenv_calls, 0);
}
END_TEST

START_TEST(unrelated_variables_are_ignored)
{
	const struct var env[] = { { "KASHIM", "1" }, { "KASHIM_IDLEX", "5" },
				   { "kashim_idle", "5" }, { "IDLE", "5" },
				   { NULL, NULL } };

	load_env(env, 0);
	assert_defaults(&cfg);
	assert_no_warning();
}
END_TEST

static const struct long_case {
	const char *s;
	long lo, hi;
	int ok;
	long value;
} long_cases[] = {
	{ "0", 0, 10, 1, 0 },
	{ "10", 0, 10, 1, 10 },
	{ "11", 0, 10, 0, 0 },
	{ "007", 0, 10, 1, 7 },         /* decimal, never octal */
	{ "9223372036854775807", 0, LONG_MAX, LONG_MAX > 2147483647L,
	  LONG_MAX },
	{ "9223372036854775808", 0, LONG_MAX, 0, 0 },
	{ "2147483647", 0, 2147483647L, 1, 2147483647L },
	{ "2147483648", 0, 2147483647L, 0, 0 },
	{ "", 0, 10, 0, 0 },
	{ " 5", 0, 10, 0, 0 },
	{ "5 ", 0, 10, 0, 0 },
	{ "+5", 0, 10, 0, 0 },
	{ "-1", -5, 10, 0, 0 },         /* no sign even where the range allows */
	{ "5s", 0, 10, 0, 0 },
	{ "0x10", 0, 100, 0, 0 },
	{ "1e2", 0, 1000, 0, 0 },
	{ "5\n", 0, 10, 0, 0 },
	{ "99999999999999999999", 0, LONG_MAX, 0, 0 },
};

static void check_long_case(int i)
{
	long v = -42;
	int rc = kashim_parse_long(long_cases[i].s, long_cases[i].lo,
				   long_cases[i].hi, &v);

	ck_assert_msg((rc == 0) == long_cases[i].ok, "'%s': rc %d",
		      long_cases[i].s, rc);
	if (long_cases[i].ok)
		ck_assert_int_eq(v, long_cases[i].value);
	else
		ck_assert_int_eq(v, -42);       /* untouched on failure */
}

START_TEST(parse_long_is_strict)
{
	check_long_case(_i);
}
END_TEST

START_TEST(parse_long_refuses_null)
{
	long v;

	ck_assert_int_eq(kashim_parse_long(NULL, 0, 10, &v), -1);
}
END_TEST

/* Every whole-number variable, at its bounds and with each kind of junk.
 * expected_tail is what follows "is not valid " in the warning. */
static const struct numvar {
	const char *name;
	size_t field;
	int is_long;
	long lo, hi, def;
	const char *max_plus_one;
	const char *tail;
} numvars[] = {
	{ "KASHIM_IDLE", offsetof(struct kashim_config, idle), 0, 1, 32767, 60,
	  "32768", "(expected a whole number from 1 to 32767); using the default 60" },
	{ "KASHIM_INTVL", offsetof(struct kashim_config, intvl), 0, 1, 32767, 10,
	  "32768", "(expected a whole number from 1 to 32767); using the default 10" },
	{ "KASHIM_CNT", offsetof(struct kashim_config, cnt), 0, 1, 127, 6,
	  "128", "(expected a whole number from 1 to 127); using the default 6" },
	{ "KASHIM_SYNCNT", offsetof(struct kashim_config, syncnt), 0, 0, 127, 0,
	  "128", "(expected a whole number from 0 to 127); using the default 0" },
	{ "KASHIM_USER_TIMEOUT", offsetof(struct kashim_config, user_timeout), 1,
	  0, 2147483647L, KASHIM_UT_AUTO, "2147483648",
	  "(expected auto or a whole number of milliseconds from 0 to 2147483647); using the default auto" },
	{ "KASHIM_OVERRIDE", offsetof(struct kashim_config, override), 0, 0, 1, 0,
	  "2", "(expected 0 or 1); using the default 0" },
	{ "KASHIM_WATCH", offsetof(struct kashim_config, watch), 0, 0, 1, 0,
	  "2", "(expected 0 or 1); using the default 0" },
	{ "KASHIM_DEBUG", offsetof(struct kashim_config, debug), 0, 0, 1, 0,
	  "2", "(expected 0 or 1); using the default 0" },
	{ "KASHIM_DISABLE", offsetof(struct kashim_config, disable), 0, 0, 1, 0,
	  "2", "(expected 0 or 1); using the default 0" },
};
#define N_NUMVARS ((int)(sizeof numvars / sizeof numvars[0]))

static long numvar_value(const struct numvar *nv)
{
	const char *p = (const char *)&cfg + nv->field;

	return nv->is_long ? *(const long *)(const void *)p
			   : *(const int *)(const void *)p;
}

static void assert_valid_number(const struct numvar *nv, long n)
{
	char text[32];

	snprintf(text, sizeof text, "%ld", n);
	load1(nv->name, text);
	assert_no_warning();
	ck_assert_msg(numvar_value(nv) == n, "%s=%s gave %ld", nv->name, text,
		      numvar_value(nv));
}

START_TEST(number_bounds_are_accepted)
{
	const struct numvar *nv = &numvars[_i];

	assert_valid_number(nv, nv->lo);
	assert_valid_number(nv, nv->hi);
	assert_valid_number(nv, (nv->lo + nv->hi) / 2);
}
END_TEST

static const char *const junk[] = {
	"abc", "", " 5", "5 ", "+5", "-1", "5s", "0x10",
	"99999999999999999999", "1.0", "\t1",
};

static void assert_rejected(const struct numvar *nv, const char *value,
			    const char *shown)
{
	char expected[1024];

	load1(nv->name, value);
	snprintf(expected, sizeof expected, "kashim: %s='%s' is not valid %s",
		 nv->name, shown, nv->tail);
	assert_one_warning(expected);
	ck_assert_int_eq(numvar_value(nv), nv->def);
}

START_TEST(number_junk_warns_once_and_keeps_default)
{
	const struct numvar *nv = &numvars[_i];
	size_t j;

	for (j = 0; j < sizeof junk / sizeof junk[0]; j++)
		assert_rejected(nv, junk[j], junk[j][0] == '\t' ? "?1" : junk[j]);
	assert_rejected(nv, nv->max_plus_one, nv->max_plus_one);
	if (nv->lo > 0) {
		char below[32];

		snprintf(below, sizeof below, "%ld", nv->lo - 1);
		assert_rejected(nv, below, below);
	}
}
END_TEST

START_TEST(warning_text_matches_the_header_example)
{
	load1("KASHIM_IDLE", "5s");
	assert_one_warning("kashim: KASHIM_IDLE='5s' is not valid (expected a "
			   "whole number from 1 to 32767); using the default 60");
	ck_assert_int_eq(cfg.idle, 60);
}
END_TEST

START_TEST(user_timeout_auto_and_zero)
{
	load1("KASHIM_USER_TIMEOUT", "auto");
	assert_no_warning();
	ck_assert_int_eq(cfg.user_timeout, KASHIM_UT_AUTO);
	load1("KASHIM_USER_TIMEOUT", "0");
	assert_no_warning();
	ck_assert_int_eq(cfg.user_timeout, 0);
	load1("KASHIM_USER_TIMEOUT", "AUTO");
	assert_one_warning("kashim: KASHIM_USER_TIMEOUT='AUTO' is not valid "
			   "(expected auto or a whole number of milliseconds "
			   "from 0 to 2147483647); using the default auto");
	ck_assert_int_eq(cfg.user_timeout, KASHIM_UT_AUTO);
	load1("KASHIM_USER_TIMEOUT", "auto ");
	ck_assert_int_eq(warns.n, 1);
}
END_TEST

START_TEST(each_bad_value_warns_once_in_table_order)
{
	const struct var env[] = {
		{ "KASHIM_PORTS", "x" }, { "KASHIM_IDLE", "abc" },
		{ "KASHIM_INTVL", "0" }, { "KASHIM_CNT", "7" },
		{ NULL, NULL } };

	load_env(env, 0);
	ck_assert_int_eq(warns.n, 3);
	ck_assert_str_eq(warns.line[0], "kashim: KASHIM_IDLE='abc' is not valid "
			 "(expected a whole number from 1 to 32767); using the default 60");
	ck_assert_str_eq(warns.line[1], "kashim: KASHIM_INTVL='0' is not valid "
			 "(expected a whole number from 1 to 32767); using the default 10");
	ck_assert_ptr_nonnull(strstr(warns.line[2], "KASHIM_PORTS='x'"));
	ck_assert_int_eq(cfg.idle, 60);
	ck_assert_int_eq(cfg.intvl, 10);
	ck_assert_int_eq(cfg.cnt, 7);          /* the good one still counts */
}
END_TEST

START_TEST(a_full_valid_environment)
{
	const struct var env[] = {
		{ "KASHIM_IDLE", "5" }, { "KASHIM_INTVL", "2" },
		{ "KASHIM_CNT", "3" }, { "KASHIM_USER_TIMEOUT", "12000" },
		{ "KASHIM_SYNCNT", "4" }, { "KASHIM_DIRECTION", "out" },
		{ "KASHIM_PORTS", "5432" }, { "KASHIM_NETS", "10.0.0.0/8" },
		{ "KASHIM_OVERRIDE", "1" }, { "KASHIM_WATCH", "1" },
		{ "KASHIM_DEBUG", "1" }, { "KASHIM_LOG", "/var/log/kashim.log" },
		{ "KASHIM_DISABLE", "0" }, { NULL, NULL } };

	load_env(env, 0);
	assert_no_warning();
	ck_assert_int_eq(cfg.disable, 0);
	ck_assert_int_eq(cfg.idle, 5);
	ck_assert_int_eq(cfg.intvl, 2);
	ck_assert_int_eq(cfg.cnt, 3);
	ck_assert_int_eq(cfg.user_timeout, 12000);
	ck_assert_int_eq(cfg.syncnt, 4);
	ck_assert_int_eq(cfg.direction, KASHIM_DIR_OUT);
	ck_assert_int_eq(cfg.ports.n, 1);
	ck_assert_int_eq(cfg.nets.n, 1);
	ck_assert_int_eq(cfg.override, 1);
	ck_assert_int_eq(cfg.watch, 1);
	ck_assert_int_eq(cfg.debug, 1);
	ck_assert_int_eq(cfg.sink, KASHIM_SINK_FILE);
	ck_assert_str_eq(cfg.log_path, "/var/log/kashim.log");
}
END_TEST

START_TEST(a_null_warn_callback_is_allowed)
{
	const struct var env[] = { { "KASHIM_IDLE", "x" }, { "KASHIM_CNT", "9" },
				   { NULL, NULL } };

	fake_env = env;
	kashim_config_load(&cfg, fake_getenv, 0, NULL, NULL);
	ck_assert_int_eq(cfg.idle, 60);
	ck_assert_int_eq(cfg.cnt, 9);
}
END_TEST

/* -------------------------------------------------- the shown value */

START_TEST(shown_value_is_cut_at_64_characters)
{
	char v64[65], v65[66], v200[201], expected[1024];

	memset(v64, 'a', 64);
	v64[64] = '\0';
	memset(v65, 'b', 65);
	v65[65] = '\0';
	memset(v200, 'c', 200);
	v200[200] = '\0';

	load1("KASHIM_DIRECTION", v64);
	snprintf(expected, sizeof expected, "kashim: KASHIM_DIRECTION='%s' is not "
		 "valid (expected out, in or both); using the default both", v64);
	assert_one_warning(expected);

	load1("KASHIM_DIRECTION", v65);
	snprintf(expected, sizeof expected, "kashim: KASHIM_DIRECTION='%.64s...' "
		 "is not valid (expected out, in or both); using the default "
		 "both", v65);
	assert_one_warning(expected);

	load1("KASHIM_DIRECTION", v200);
	snprintf(expected, sizeof expected, "kashim: KASHIM_DIRECTION='%.64s...' "
		 "is not valid (expected out, in or both); using the default "
		 "both", v200);
	assert_one_warning(expected);
}
END_TEST

START_TEST(shown_value_has_no_control_characters)
{
	load1("KASHIM_CNT", "1\nkashim[1]: peer dead\r\033[2J\x7f\x01");
	assert_one_warning("kashim: KASHIM_CNT='1?kashim[1]: peer dead?" "?[2J?" "?' is "
			   "not valid (expected a whole number from 1 to 127); "
			   "using the default 6");
}
END_TEST

START_TEST(shown_value_keeps_utf8_bytes)
{
	load1("KASHIM_DIRECTION", "sortie\xc3\xa9");
	assert_one_warning("kashim: KASHIM_DIRECTION='sortie\xc3\xa9' is not valid "
			   "(expected out, in or both); using the default both");
}
END_TEST

/* -------------------------------------------------------- aliases */

static const struct alias {
	const char *name;
	size_t field;
	int is_long;
} aliases[] = {
	{ "TCP_KEEPIDLE", offsetof(struct kashim_config, idle), 0 },
	{ "KEEPIDLE", offsetof(struct kashim_config, idle), 0 },
	{ "DD_TCP_KEEPALIVE_TIME", offsetof(struct kashim_config, idle), 0 },
	{ "TCP_KEEPINTVL", offsetof(struct kashim_config, intvl), 0 },
	{ "KEEPINTVL", offsetof(struct kashim_config, intvl), 0 },
	{ "DD_TCP_KEEPALIVE_INTVL", offsetof(struct kashim_config, intvl), 0 },
	{ "TCP_KEEPCNT", offsetof(struct kashim_config, cnt), 0 },
	{ "KEEPCNT", offsetof(struct kashim_config, cnt), 0 },
	{ "DD_TCP_KEEPALIVE_PROBES", offsetof(struct kashim_config, cnt), 0 },
	{ "TCP_USER_TIMEOUT", offsetof(struct kashim_config, user_timeout), 1 },
	{ "TCP_SYNCNT", offsetof(struct kashim_config, syncnt), 0 },
};

static void check_alias(int i)
{
	struct numvar nv = { aliases[i].name, aliases[i].field,
			     aliases[i].is_long, 0, 0, 0, NULL, NULL };

	load1(aliases[i].name, "7");
	assert_no_warning();
	ck_assert_int_eq(numvar_value(&nv), 7);
}

START_TEST(each_alias_sets_its_setting)
{
	check_alias(_i);
}
END_TEST

START_TEST(kashim_name_beats_aliases)
{
	const struct var env[] = {
		{ "DD_TCP_KEEPALIVE_TIME", "4" }, { "KEEPIDLE", "3" },
		{ "TCP_KEEPIDLE", "2" }, { "KASHIM_IDLE", "1" },
		{ "TCP_USER_TIMEOUT", "5" }, { "KASHIM_USER_TIMEOUT", "auto" },
		{ "TCP_SYNCNT", "5" }, { "KASHIM_SYNCNT", "0" },
		{ NULL, NULL } };

	load_env(env, 0);
	assert_no_warning();
	ck_assert_int_eq(cfg.idle, 1);
	ck_assert_int_eq(cfg.user_timeout, KASHIM_UT_AUTO);
	ck_assert_int_eq(cfg.syncnt, 0);
}
END_TEST

START_TEST(invalid_kashim_name_does_not_fall_back_to_alias)
{
	const struct var env[] = { { "KASHIM_INTVL", "" },
				   { "TCP_KEEPINTVL", "3" }, { NULL, NULL } };

	load_env(env, 0);
	assert_one_warning("kashim: KASHIM_INTVL='' is not valid (expected a "
			   "whole number from 1 to 32767); using the default 10");
	ck_assert_int_eq(cfg.intvl, 10);
}
END_TEST

/* msantos' name, then Busatto's, then libdontdie's. */
START_TEST(alias_precedence)
{
	const struct var all3[] = {
		{ "DD_TCP_KEEPALIVE_PROBES", "4" }, { "KEEPCNT", "3" },
		{ "TCP_KEEPCNT", "2" }, { NULL, NULL } };
	const struct var last2[] = {
		{ "DD_TCP_KEEPALIVE_INTVL", "4" }, { "KEEPINTVL", "3" },
		{ NULL, NULL } };
	const struct var first_last[] = {
		{ "DD_TCP_KEEPALIVE_TIME", "4" }, { "TCP_KEEPIDLE", "2" },
		{ NULL, NULL } };

	load_env(all3, 0);
	assert_no_warning();
	ck_assert_int_eq(cfg.cnt, 2);
	load_env(last2, 0);
	assert_no_warning();
	ck_assert_int_eq(cfg.intvl, 3);
	load_env(first_last, 0);
	assert_no_warning();
	ck_assert_int_eq(cfg.idle, 2);
}
END_TEST

START_TEST(warning_names_the_alias_read)
{
	const struct var env[] = { { "KEEPIDLE", "10m" },
				   { "DD_TCP_KEEPALIVE_TIME", "30" },
				   { NULL, NULL } };

	load_env(env, 0);
	assert_one_warning("kashim: KEEPIDLE='10m' is not valid (expected a whole "
			   "number from 1 to 32767); using the default 60");
	ck_assert_int_eq(cfg.idle, 60);
	load1("TCP_USER_TIMEOUT", "-5");
	assert_one_warning("kashim: TCP_USER_TIMEOUT='-5' is not valid (expected "
			   "auto or a whole number of milliseconds from 0 to "
			   "2147483647); using the default auto");
	load1("DD_TCP_KEEPALIVE_PROBES", "128");
	assert_one_warning("kashim: DD_TCP_KEEPALIVE_PROBES='128' is not valid "
			   "(expected a whole number from 1 to 127); using the "
			   "default 6");
}
END_TEST

START_TEST(keepalive_off_disables)
{
	load1("KEEPALIVE", "off");
	assert_no_warning();
	ck_assert_int_eq(cfg.disable, 1);
	load1("KEEPALIVE", "OFF");      /* the old shims compared ignoring case */
	assert_no_warning();
	ck_assert_int_eq(cfg.disable, 1);
	load1("KEEPALIVE", "on");
	assert_no_warning();
	ck_assert_int_eq(cfg.disable, 0);
}
END_TEST

START_TEST(keepalive_other_words_warn)
{
	load1("KEEPALIVE", "yes");
	assert_one_warning("kashim: KEEPALIVE='yes' is not valid (expected on or "
			   "off); using the default on");
	ck_assert_int_eq(cfg.disable, 0);
	load1("KEEPALIVE", "");
	assert_one_warning("kashim: KEEPALIVE='' is not valid (expected on or "
			   "off); using the default on");
	load1("KEEPALIVE", "0");
	ck_assert_int_eq(warns.n, 1);
	ck_assert_int_eq(cfg.disable, 0);
}
END_TEST

START_TEST(kashim_disable_beats_keepalive)
{
	const struct var env[] = { { "KEEPALIVE", "off" },
				   { "KASHIM_DISABLE", "0" }, { NULL, NULL } };

	load_env(env, 0);
	assert_no_warning();
	ck_assert_int_eq(cfg.disable, 0);
}
END_TEST

/* "kashim does nothing at all": once disabled it reads and says no more. */
START_TEST(disabled_reads_nothing_more)
{
	const struct var env[] = { { "KASHIM_DISABLE", "1" },
				   { "KASHIM_IDLE", "abc" }, { NULL, NULL } };
	const struct var old[] = { { "KEEPALIVE", "off" },
				   { "KEEPIDLE", "abc" }, { NULL, NULL } };

	load_env(env, 0);
	assert_no_warning();
	ck_assert_int_eq(cfg.disable, 1);
	ck_assert_int_eq(getenv_calls, 1);
	load_env(old, 0);
	assert_no_warning();
	ck_assert_int_eq(cfg.disable, 1);
}
END_TEST

/* ------------------------------------------------------ direction */

START_TEST(direction_words)
{
	load1("KASHIM_DIRECTION", "out");
	ck_assert_int_eq(cfg.direction, KASHIM_DIR_OUT);
	load1("KASHIM_DIRECTION", "in");
	ck_assert_int_eq(cfg.direction, KASHIM_DIR_IN);
	load1("KASHIM_DIRECTION", "both");
	ck_assert_int_eq(cfg.direction, KASHIM_DIR_BOTH);
	assert_no_warning();
	ck_assert_int_eq(kashim_parse_direction("OUT"), -1);
	ck_assert_int_eq(kashim_parse_direction("inout"), -1);
	ck_assert_int_eq(kashim_parse_direction(" in"), -1);
	ck_assert_int_eq(kashim_parse_direction(""), -1);
	ck_assert_int_eq(kashim_parse_direction(NULL), -1);
}
END_TEST

START_TEST(direction_invalid_warns)
{
	load1("KASHIM_DIRECTION", "outbound");
	assert_one_warning("kashim: KASHIM_DIRECTION='outbound' is not valid "
			   "(expected out, in or both); using the default both");
	ck_assert_int_eq(cfg.direction, KASHIM_DIR_BOTH);
	load1("KASHIM_DIRECTION", "");
	assert_one_warning("kashim: KASHIM_DIRECTION='' is not valid "
			   "(expected out, in or both); using the default both");
}
END_TEST

/* ---------------------------------------------------------- ports */

static const struct good_port_list {
	const char *s;
	int exclude, n;
	struct kashim_port_range r[3];
} good_ports[] = {
	{ "22", 0, 1, { { 22, 22 } } },
	{ "1", 0, 1, { { 1, 1 } } },
	{ "65535", 0, 1, { { 65535, 65535 } } },
	{ "1-65535", 0, 1, { { 1, 65535 } } },
	{ "8000-8000", 0, 1, { { 8000, 8000 } } },
	{ "5432,6379,8000-8100", 0, 3, { { 5432, 5432 }, { 6379, 6379 },
					 { 8000, 8100 } } },
	{ "!22,25", 1, 2, { { 22, 22 }, { 25, 25 } } },
	{ "!1-1023", 1, 1, { { 1, 1023 } } },
	{ "080", 0, 1, { { 80, 80 } } },
	{ "25,22,25", 0, 3, { { 25, 25 }, { 22, 22 }, { 25, 25 } } },
};

static void check_good_ports(int i)
{
	struct kashim_port_filter f;
	int j;

	memset(&f, 0xa5, sizeof f);
	ck_assert_int_eq(kashim_parse_ports(good_ports[i].s, &f), 0);
	ck_assert_int_eq(f.exclude, good_ports[i].exclude);
	ck_assert_int_eq(f.n, good_ports[i].n);
	for (j = 0; j < good_ports[i].n; j++) {
		ck_assert_int_eq(f.r[j].lo, good_ports[i].r[j].lo);
		ck_assert_int_eq(f.r[j].hi, good_ports[i].r[j].hi);
	}
}

START_TEST(ports_valid)
{
	check_good_ports(_i);
}
END_TEST

static const char *const bad_ports[] = {
	"", "!", "0", "65536", "0-5", "5-65536", "100-99", "!!22", "22,!25",
	"22!", "1,,2", "1,", ",1", "!,1", " 1", "1 ", "1, 2", "1- 2", "1--2",
	"-1", "1-", "-", "1-2-3", "+1", "0x10", "a", "99999999999999999999",
	"22;25", "1:2",
};

START_TEST(ports_invalid_leave_all)
{
	struct kashim_port_filter f;

	memset(&f, 0xa5, sizeof f);
	ck_assert_msg(kashim_parse_ports(bad_ports[_i], &f) == -1,
		      "'%s' accepted", bad_ports[_i]);
	ck_assert_int_eq(f.n, 0);
	ck_assert_int_eq(f.exclude, 0);
	ck_assert_int_eq(kashim_port_selected(&f, 22), 1);
}
END_TEST

static void make_list(char *buf, size_t cap, int items, int first)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < items; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%d",
					i ? "," : "", first + i);
}

START_TEST(ports_item_limit)
{
	struct kashim_port_filter f;
	char buf[1024];

	make_list(buf, sizeof buf, KASHIM_MAX_ITEMS, 1000);
	ck_assert_int_eq(kashim_parse_ports(buf, &f), 0);
	ck_assert_int_eq(f.n, KASHIM_MAX_ITEMS);
	ck_assert_int_eq(f.r[KASHIM_MAX_ITEMS - 1].lo, 1000 + KASHIM_MAX_ITEMS - 1);
	make_list(buf, sizeof buf, KASHIM_MAX_ITEMS + 1, 1000);
	ck_assert_int_eq(kashim_parse_ports(buf, &f), -1);
	ck_assert_int_eq(f.n, 0);
}
END_TEST

START_TEST(ports_selection)
{
	struct kashim_port_filter f;

	memset(&f, 0, sizeof f);
	ck_assert_int_eq(kashim_port_selected(&f, 1), 1);       /* n == 0: all */
	ck_assert_int_eq(kashim_port_selected(&f, 65535), 1);

	ck_assert_int_eq(kashim_parse_ports("5432,8000-8100", &f), 0);
	ck_assert_int_eq(kashim_port_selected(&f, 5432), 1);
	ck_assert_int_eq(kashim_port_selected(&f, 5431), 0);
	ck_assert_int_eq(kashim_port_selected(&f, 5433), 0);
	ck_assert_int_eq(kashim_port_selected(&f, 7999), 0);
	ck_assert_int_eq(kashim_port_selected(&f, 8000), 1);
	ck_assert_int_eq(kashim_port_selected(&f, 8050), 1);
	ck_assert_int_eq(kashim_port_selected(&f, 8100), 1);
	ck_assert_int_eq(kashim_port_selected(&f, 8101), 0);
	ck_assert_int_eq(kashim_port_selected(&f, 0), 0);

	ck_assert_int_eq(kashim_parse_ports("!22,25", &f), 0);
	ck_assert_int_eq(kashim_port_selected(&f, 22), 0);
	ck_assert_int_eq(kashim_port_selected(&f, 25), 0);
	ck_assert_int_eq(kashim_port_selected(&f, 23), 1);
	ck_assert_int_eq(kashim_port_selected(&f, 443), 1);

	ck_assert_int_eq(kashim_parse_ports("1,65535", &f), 0);
	ck_assert_int_eq(kashim_port_selected(&f, 1), 1);
	ck_assert_int_eq(kashim_port_selected(&f, 65535), 1);
	ck_assert_int_eq(kashim_port_selected(&f, 2), 0);
	ck_assert_int_eq(kashim_port_selected(&f, 65534), 0);
}
END_TEST

START_TEST(ports_through_the_loader)
{
	load1("KASHIM_PORTS", "!22");
	assert_no_warning();
	ck_assert_int_eq(cfg.ports.exclude, 1);
	ck_assert_int_eq(cfg.ports.n, 1);
	load1("KASHIM_PORTS", "5432,,6379");
	assert_one_warning("kashim: KASHIM_PORTS='5432,,6379' is not valid "
			   "(expected ports or ranges from 1 to 65535 separated "
			   "by commas, like 5432,8000-8100, optionally led by ! "
			   "to exclude them); using the default: all ports");
	ck_assert_int_eq(cfg.ports.n, 0);
	ck_assert_int_eq(cfg.ports.exclude, 0);
	load1("KASHIM_PORTS", "");
	ck_assert_int_eq(warns.n, 1);
	ck_assert_int_eq(cfg.ports.n, 0);
}
END_TEST

/* ----------------------------------------------------------- nets */

static void assert_prefix(const struct kashim_net_prefix *p, int family,
			  const char *addr, int bits)
{
	uint8_t want[16] = { 0 };

	ck_assert_int_eq(inet_pton(family, addr, want), 1);
	ck_assert_int_eq(p->family, family);
	ck_assert_int_eq(p->bits, bits);
	ck_assert_msg(memcmp(p->addr, want, sizeof want) == 0,
		      "stored address differs from %s", addr);
}

static const struct {
	const char *s;
	int family;
	int bits;
	const char *addr;       /* as stored: host bits cleared */
} good_nets[] = {
	{ "10.0.0.0/8", AF_INET, 8, "10.0.0.0" },
	{ "192.0.2.7", AF_INET, 32, "192.0.2.7" },
	{ "192.0.2.7/32", AF_INET, 32, "192.0.2.7" },
	{ "0.0.0.0/0", AF_INET, 0, "0.0.0.0" },
	{ "10.1.2.3/8", AF_INET, 8, "10.0.0.0" },       /* host bits cleared */
	{ "172.31.255.255/12", AF_INET, 12, "172.16.0.0" },
	{ "192.0.2.255/25", AF_INET, 25, "192.0.2.128" },
	{ "fd00::/8", AF_INET6, 8, "fd00::" },
	{ "::1", AF_INET6, 128, "::1" },
	{ "2001:db8::1/128", AF_INET6, 128, "2001:db8::1" },
	{ "::/0", AF_INET6, 0, "::" },
	{ "2001:db8:ffff::1/32", AF_INET6, 32, "2001:db8::" },
	{ "fdff:ffff::/9", AF_INET6, 9, "fd80::" },
	{ "::ffff:10.1.2.3/104", AF_INET6, 104, "::ffff:10.0.0.0" },
	{ "10.0.0.0/08", AF_INET, 8, "10.0.0.0" },
	{ "0000:0000:0000:0000:0000:ffff:255.255.255.255/128", AF_INET6,
	  128, "::ffff:255.255.255.255" },                /* longest form */
};

START_TEST(nets_valid)
{
	struct kashim_net_filter f;

	memset(&f, 0xa5, sizeof f);
	ck_assert_msg(kashim_parse_nets(good_nets[_i].s, &f) == 0, "'%s' refused",
		      good_nets[_i].s);
	ck_assert_int_eq(f.exclude, 0);
	ck_assert_int_eq(f.n, 1);
	assert_prefix(&f.p[0], good_nets[_i].family, good_nets[_i].addr,
		      good_nets[_i].bits);
}
END_TEST

START_TEST(nets_list_and_exclusion)
{
	struct kashim_net_filter f;

	ck_assert_int_eq(kashim_parse_nets("!10.0.0.0/8,fd00::/8,192.0.2.7", &f), 0);
	ck_assert_int_eq(f.exclude, 1);
	ck_assert_int_eq(f.n, 3);
	assert_prefix(&f.p[0], AF_INET, "10.0.0.0", 8);
	assert_prefix(&f.p[1], AF_INET6, "fd00::", 8);
	assert_prefix(&f.p[2], AF_INET, "192.0.2.7", 32);
}
END_TEST

static const char *const bad_nets[] = {
	"", "!", "!!10.0.0.0/8", "10.0.0.0/8,!fd00::/8", "10.0.0.0/33",
	"::/129", "10.0.0.0/", "/8", "10.0.0.0/+8", "10.0.0.0/-1",
	"10.0.0.0/8/8", "10.0.0.0/ 8", " 10.0.0.0/8", "10.0.0.0/8 ",
	"10.0.0.0/8,", ",10.0.0.0/8", "10.0.0.1,,10.0.0.2", "10.0.0",
	"10.0.0.256", "010.0.0.1", "10.0.0.0.0", "fe80::1%eth0", "abc",
	"localhost", "1:2:3:4:5:6:7:8:9", "2001:db8::/0x10",
	"0000:0000:0000:0000:0000:ffff:255.255.255.2555",       /* 46 chars */
	"00000000000000000000000000000000000000000000000000000000000000::1",
	"10.0.0.0/99999999999999999999", "10.0.0.0 /8", "10.0.0.0\n",
};

START_TEST(nets_invalid_leave_all)
{
	struct kashim_net_filter f;

	memset(&f, 0xa5, sizeof f);
	ck_assert_msg(kashim_parse_nets(bad_nets[_i], &f) == -1, "'%s' accepted",
		      bad_nets[_i]);
	ck_assert_int_eq(f.n, 0);
	ck_assert_int_eq(f.exclude, 0);
}
END_TEST

START_TEST(nets_item_limit)
{
	struct kashim_net_filter f;
	char buf[2048];
	size_t len = 0;
	int i;

	for (i = 0; i < KASHIM_MAX_ITEMS; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s10.0.%d.0/24",
					i ? "," : "", i);
	ck_assert_int_eq(kashim_parse_nets(buf, &f), 0);
	ck_assert_int_eq(f.n, KASHIM_MAX_ITEMS);
	snprintf(buf + len, sizeof buf - len, ",::1");
	ck_assert_int_eq(kashim_parse_nets(buf, &f), -1);
	ck_assert_int_eq(f.n, 0);
}
END_TEST

static int sel4(const struct kashim_net_filter *f, const char *addr)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, addr, &a), 1);
	return kashim_net_selected(f, AF_INET, &a);
}

static int sel6(const struct kashim_net_filter *f, const char *addr)
{
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, addr, &a), 1);
	return kashim_net_selected(f, AF_INET6, &a);
}

START_TEST(nets_selection_v4)
{
	struct kashim_net_filter f;

	memset(&f, 0, sizeof f);
	ck_assert_int_eq(sel4(&f, "192.0.2.1"), 1);     /* n == 0: all */
	ck_assert_int_eq(sel6(&f, "2001:db8::1"), 1);
	ck_assert_int_eq(kashim_net_selected(&f, AF_INET, NULL), 1);

	ck_assert_int_eq(kashim_parse_nets("10.1.2.3/8,192.0.2.7", &f), 0);
	ck_assert_int_eq(sel4(&f, "10.0.0.0"), 1);
	ck_assert_int_eq(sel4(&f, "10.255.255.255"), 1);
	ck_assert_int_eq(sel4(&f, "11.0.0.0"), 0);
	ck_assert_int_eq(sel4(&f, "9.255.255.255"), 0);
	ck_assert_int_eq(sel4(&f, "192.0.2.7"), 1);
	ck_assert_int_eq(sel4(&f, "192.0.2.6"), 0);
	ck_assert_int_eq(sel4(&f, "192.0.2.8"), 0);
	ck_assert_int_eq(kashim_net_selected(&f, AF_INET, NULL), 0);

	ck_assert_int_eq(kashim_parse_nets("192.0.2.128/25", &f), 0);
	ck_assert_int_eq(sel4(&f, "192.0.2.127"), 0);
	ck_assert_int_eq(sel4(&f, "192.0.2.128"), 1);
	ck_assert_int_eq(sel4(&f, "192.0.2.255"), 1);

	ck_assert_int_eq(kashim_parse_nets("0.0.0.0/0", &f), 0);
	ck_assert_int_eq(sel4(&f, "255.255.255.255"), 1);
	ck_assert_int_eq(sel6(&f, "2001:db8::1"), 0);   /* v4 prefix, v6 peer */
}
END_TEST

START_TEST(nets_selection_v6)
{
	struct kashim_net_filter f;

	ck_assert_int_eq(kashim_parse_nets("fd00::/8,2001:db8::1", &f), 0);
	ck_assert_int_eq(sel6(&f, "fd12:3456::1"), 1);
	ck_assert_int_eq(sel6(&f, "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 1);
	ck_assert_int_eq(sel6(&f, "fe00::"), 0);
	ck_assert_int_eq(sel6(&f, "fc00::1"), 0);
	ck_assert_int_eq(sel6(&f, "2001:db8::1"), 1);
	ck_assert_int_eq(sel6(&f, "2001:db8::2"), 0);
	ck_assert_int_eq(sel4(&f, "10.0.0.1"), 0);

	ck_assert_int_eq(kashim_parse_nets("::/0", &f), 0);
	ck_assert_int_eq(sel6(&f, "::1"), 1);
	ck_assert_int_eq(sel6(&f, "ffff::1"), 1);
	ck_assert_int_eq(sel4(&f, "10.0.0.1"), 0);      /* v6 prefix, v4 peer */

	ck_assert_int_eq(kashim_parse_nets("fd80::/9", &f), 0);
	ck_assert_int_eq(sel6(&f, "fd7f:ffff::1"), 0);
	ck_assert_int_eq(sel6(&f, "fd80::"), 1);
	ck_assert_int_eq(sel6(&f, "fdff::1"), 1);
}
END_TEST

/* A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d. */
START_TEST(nets_mapped_v4_matches_v4_prefixes)
{
	struct kashim_net_filter f;

	ck_assert_int_eq(kashim_parse_nets("10.0.0.0/8", &f), 0);
	ck_assert_int_eq(sel6(&f, "::ffff:10.9.8.7"), 1);
	ck_assert_int_eq(sel6(&f, "::ffff:11.9.8.7"), 0);
	ck_assert_int_eq(sel6(&f, "::10.9.8.7"), 0);    /* compatible, not mapped */
	ck_assert_int_eq(sel6(&f, "64:ff9b::10.9.8.7"), 0);

	ck_assert_int_eq(kashim_parse_nets("!127.0.0.0/8", &f), 0);
	ck_assert_int_eq(sel6(&f, "::ffff:127.0.0.1"), 0);
	ck_assert_int_eq(sel6(&f, "::ffff:192.0.2.1"), 1);
	ck_assert_int_eq(sel6(&f, "::1"), 1);

	ck_assert_int_eq(kashim_parse_nets("::ffff:0:0/96", &f), 0);
	ck_assert_int_eq(sel6(&f, "::ffff:10.9.8.7"), 1);
}
END_TEST

START_TEST(nets_exclusion_selection)
{
	struct kashim_net_filter f;

	ck_assert_int_eq(kashim_parse_nets("!10.0.0.0/8,::1", &f), 0);
	ck_assert_int_eq(sel4(&f, "10.1.1.1"), 0);
	ck_assert_int_eq(sel4(&f, "192.0.2.1"), 1);
	ck_assert_int_eq(sel6(&f, "::1"), 0);
	ck_assert_int_eq(sel6(&f, "::2"), 1);
	ck_assert_int_eq(kashim_net_selected(&f, AF_INET, NULL), 1);
	ck_assert_int_eq(kashim_net_selected(&f, AF_UNIX, "x"), 1);
}
END_TEST

START_TEST(nets_through_the_loader)
{
	load1("KASHIM_NETS", "10.0.0.0/8,fd00::/8");
	assert_no_warning();
	ck_assert_int_eq(cfg.nets.n, 2);
	load1("KASHIM_NETS", "10.0.0.0/33");
	assert_one_warning("kashim: KASHIM_NETS='10.0.0.0/33' is not valid "
			   "(expected IPv4 or IPv6 addresses or prefixes separated "
			   "by commas, like 10.0.0.0/8,fd00::/8, optionally led "
			   "by ! to exclude them); using the default: all peers");
	ck_assert_int_eq(cfg.nets.n, 0);
	ck_assert_int_eq(cfg.nets.exclude, 0);
	load1("KASHIM_NETS", "!");
	ck_assert_int_eq(warns.n, 1);
	ck_assert_int_eq(cfg.nets.exclude, 0);
}
END_TEST

/* ------------------------------------------------------------ log */

START_TEST(log_words_and_paths)
{
	char path[KASHIM_PATH_MAX] = "untouched";

	ck_assert_int_eq(kashim_parse_log("off", path, sizeof path), KASHIM_SINK_OFF);
	ck_assert_int_eq(kashim_parse_log("stderr", path, sizeof path),
			 KASHIM_SINK_STDERR);
	ck_assert_int_eq(kashim_parse_log("syslog", path, sizeof path),
			 KASHIM_SINK_SYSLOG);
	ck_assert_str_eq(path, "untouched");
	ck_assert_int_eq(kashim_parse_log("/tmp/k.log", path, sizeof path),
			 KASHIM_SINK_FILE);
	ck_assert_str_eq(path, "/tmp/k.log");
	ck_assert_int_eq(kashim_parse_log("/tmp/k.log", path, 10), -1);
	ck_assert_int_eq(kashim_parse_log("/tmp/k.log", path, 11), KASHIM_SINK_FILE);
	ck_assert_int_eq(kashim_parse_log(NULL, path, sizeof path), -1);
}
END_TEST

static const char *const bad_logs[] = {
	"", "OFF", "Stderr", "file", "k.log", "./k.log", "../k.log", "~/k.log",
	" /tmp/k.log", "syslog ",
};

START_TEST(log_invalid_warns)
{
	char expected[1024];

	load1("KASHIM_LOG", bad_logs[_i]);
	snprintf(expected, sizeof expected, "kashim: KASHIM_LOG='%s' is not valid "
		 "(expected off, stderr, syslog or an absolute file path); "
		 "using the default off", bad_logs[_i]);
	assert_one_warning(expected);
	ck_assert_int_eq(cfg.sink, KASHIM_SINK_OFF);
}
END_TEST

START_TEST(log_path_length_limit)
{
	char path[KASHIM_PATH_MAX + 1];

	memset(path, 'p', sizeof path);
	path[0] = '/';
	path[KASHIM_PATH_MAX - 1] = '\0';               /* 1023 characters */
	load1("KASHIM_LOG", path);
	assert_no_warning();
	ck_assert_int_eq(cfg.sink, KASHIM_SINK_FILE);
	ck_assert_str_eq(cfg.log_path, path);

	path[KASHIM_PATH_MAX - 1] = 'p';
	path[KASHIM_PATH_MAX] = '\0';                   /* 1024: too long */
	load1("KASHIM_LOG", path);
	ck_assert_int_eq(warns.n, 1);
	ck_assert_ptr_nonnull(strstr(warns.line[0], "is not valid (expected off"));
	ck_assert_ptr_nonnull(strstr(warns.line[0], "='/ppp"));
	ck_assert_ptr_nonnull(strstr(warns.line[0], "p...' is not"));
	ck_assert_int_eq(cfg.sink, KASHIM_SINK_OFF);
}
END_TEST

START_TEST(log_sinks_through_the_loader)
{
	load1("KASHIM_LOG", "stderr");
	ck_assert_int_eq(cfg.sink, KASHIM_SINK_STDERR);
	load1("KASHIM_LOG", "syslog");
	ck_assert_int_eq(cfg.sink, KASHIM_SINK_SYSLOG);
	load1("KASHIM_LOG", "off");
	ck_assert_int_eq(cfg.sink, KASHIM_SINK_OFF);
	load1("KASHIM_LOG", "/run/kashim/dead.log");
	ck_assert_int_eq(cfg.sink, KASHIM_SINK_FILE);
	ck_assert_str_eq(cfg.log_path, "/run/kashim/dead.log");
	assert_no_warning();
}
END_TEST

START_TEST(secure_mode_refuses_a_log_file)
{
	const struct var env[] = { { "KASHIM_LOG", "/etc/passwd" },
				   { NULL, NULL } };

	load_env(env, 1);
	assert_one_warning("kashim: KASHIM_LOG='/etc/passwd' is ignored in a setuid "
			   "or setgid program; logging is off");
	ck_assert_int_eq(cfg.sink, KASHIM_SINK_OFF);
	ck_assert_str_eq(cfg.log_path, "");
	load_env(env, 0);
	assert_no_warning();
	ck_assert_int_eq(cfg.sink, KASHIM_SINK_FILE);
}
END_TEST

START_TEST(secure_mode_keeps_stderr_and_syslog)
{
	const struct var e1[] = { { "KASHIM_LOG", "stderr" }, { NULL, NULL } };
	const struct var e2[] = { { "KASHIM_LOG", "syslog" }, { NULL, NULL } };
	const struct var e3[] = { { "KASHIM_LOG", "k.log" }, { NULL, NULL } };

	load_env(e1, 1);
	assert_no_warning();
	ck_assert_int_eq(cfg.sink, KASHIM_SINK_STDERR);
	load_env(e2, 1);
	assert_no_warning();
	ck_assert_int_eq(cfg.sink, KASHIM_SINK_SYSLOG);
	load_env(e3, 1);        /* invalid anyway: one warning, the usual one */
	assert_one_warning("kashim: KASHIM_LOG='k.log' is not valid (expected off, "
			   "stderr, syslog or an absolute file path); using the "
			   "default off");
}
END_TEST

START_TEST(secure_warning_sanitises_the_path)
{
	const struct var env[] = { { "KASHIM_LOG", "/tmp/x\nkashim: forged" },
				   { NULL, NULL } };

	load_env(env, 1);
	assert_one_warning("kashim: KASHIM_LOG='/tmp/x?kashim: forged' is ignored "
			   "in a setuid or setgid program; logging is off");
}
END_TEST

/* ------------------------------------------------- auto user timeout */

static const struct ut_case {
	long idle, intvl, cnt, ms;
} ut_cases[] = {
	{ 60, 10, 6, 120000 },                          /* the defaults */
	{ 1, 1, 1, 2000 },
	{ 0, 0, 0, 0 },
	{ 30, 5, 0, 30000 },
	{ 2147483, 0, 0, 2147483000L },                 /* last whole second */
	{ 2147484, 0, 0, 2147483647L },
	{ 2147483, 1, 1, 2147483647L },                 /* the sum crosses */
	{ 1, 2147483, 1, 2147483647L },
	{ 1, 2147482, 1, 2147483000L },
	{ 1, 1073741, 2, 2147483000L },
	{ 1, 1073742, 2, 2147483647L },
	{ 32767, 32767, 127, 2147483647L },             /* kernel maxima */
	{ 7200, 75, 9, 7875000 },                       /* Linux's defaults */
	{ LONG_MAX, 0, 0, 2147483647L },
	{ 0, LONG_MAX, LONG_MAX, 2147483647L },
	{ 0, 0, LONG_MAX, 0 },
	{ 0, LONG_MAX, 0, 0 },
	{ LONG_MAX, LONG_MAX, LONG_MAX, 2147483647L },
	{ 10, 2, 1000000, 2000010000L },
	{ 10, 2, 2000000, 2147483647L },
	{ -5, 10, 6, 60000 },                           /* negatives count as 0 */
};

static void check_auto_ut(int i)
{
	long ms = kashim_auto_user_timeout(ut_cases[i].idle, ut_cases[i].intvl,
					   ut_cases[i].cnt);

	ck_assert_msg(ms == ut_cases[i].ms, "(%ld + %ld * %ld) gave %ld, not %ld",
		      ut_cases[i].idle, ut_cases[i].intvl, ut_cases[i].cnt, ms,
		      ut_cases[i].ms);
}

START_TEST(auto_user_timeout)
{
	check_auto_ut(_i);
}
END_TEST

/* ------------------------------------------------------------ suite */

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = kt_tcase(s, "numbers", TIMEOUT);
	tcase_add_test(tc, defaults_fill_every_field);
	tcase_add_test(tc, empty_environment_gives_defaults_silently);
	tcase_add_test(tc, unrelated_variables_are_ignored);
	tcase_add_loop_test(tc, parse_long_is_strict, 0, N(long_cases));
	tcase_add_test(tc, parse_long_refuses_null);
	tcase_add_loop_test(tc, number_bounds_are_accepted, 0, N_NUMVARS);
	tcase_add_loop_test(tc, number_junk_warns_once_and_keeps_default, 0,
			    N_NUMVARS);
	tcase_add_test(tc, warning_text_matches_the_header_example);
	tcase_add_test(tc, user_timeout_auto_and_zero);
	tcase_add_test(tc, each_bad_value_warns_once_in_table_order);
	tcase_add_test(tc, a_full_valid_environment);
	tcase_add_test(tc, a_null_warn_callback_is_allowed);

	tc = kt_tcase(s, "shown value", TIMEOUT);
	tcase_add_test(tc, shown_value_is_cut_at_64_characters);
	tcase_add_test(tc, shown_value_has_no_control_characters);
	tcase_add_test(tc, shown_value_keeps_utf8_bytes);

	tc = kt_tcase(s, "aliases", TIMEOUT);
	tcase_add_loop_test(tc, each_alias_sets_its_setting, 0, N(aliases));
	tcase_add_test(tc, kashim_name_beats_aliases);
	tcase_add_test(tc, invalid_kashim_name_does_not_fall_back_to_alias);
	tcase_add_test(tc, alias_precedence);
	tcase_add_test(tc, warning_names_the_alias_read);
	tcase_add_test(tc, keepalive_off_disables);
	tcase_add_test(tc, keepalive_other_words_warn);
	tcase_add_test(tc, kashim_disable_beats_keepalive);
	tcase_add_test(tc, disabled_reads_nothing_more);

	tc = kt_tcase(s, "direction", TIMEOUT);
	tcase_add_test(tc, direction_words);
	tcase_add_test(tc, direction_invalid_warns);

	tc = kt_tcase(s, "ports", TIMEOUT);
	tcase_add_loop_test(tc, ports_valid, 0, N(good_ports));
	tcase_add_loop_test(tc, ports_invalid_leave_all, 0, N(bad_ports));
	tcase_add_test(tc, ports_item_limit);
	tcase_add_test(tc, ports_selection);
	tcase_add_test(tc, ports_through_the_loader);

	tc = kt_tcase(s, "nets", TIMEOUT);
	tcase_add_loop_test(tc, nets_valid, 0, N(good_nets));
	tcase_add_test(tc, nets_list_and_exclusion);
	tcase_add_loop_test(tc, nets_invalid_leave_all, 0, N(bad_nets));
	tcase_add_test(tc, nets_item_limit);
	tcase_add_test(tc, nets_selection_v4);
	tcase_add_test(tc, nets_selection_v6);
	tcase_add_test(tc, nets_mapped_v4_matches_v4_prefixes);
	tcase_add_test(tc, nets_exclusion_selection);
	tcase_add_test(tc, nets_through_the_loader);

	tc = kt_tcase(s, "log", TIMEOUT);
	tcase_add_test(tc, log_words_and_paths);
	tcase_add_loop_test(tc, log_invalid_warns, 0, N(bad_logs));
	tcase_add_test(tc, log_path_length_limit);
	tcase_add_test(tc, log_sinks_through_the_loader);
	tcase_add_test(tc, secure_mode_refuses_a_log_file);
	tcase_add_test(tc, secure_mode_keeps_stderr_and_syslog);
	tcase_add_test(tc, secure_warning_sanitises_the_path);

	tc = kt_tcase(s, "auto user timeout", TIMEOUT);
	tcase_add_loop_test(tc, auto_user_timeout, 0, N(ut_cases));
	return s;
}

int main(void)
{
	return kt_main(config_suite());
}
