/* kashim tests — shared helpers for Check test binaries.
 *
 * The test binaries are never preloaded with kashim.  They start small test
 * programs (build/tests/progs/NAME) with a controlled environment, usually
 * LD_PRELOAD=$KASHIM_TESTLIB plus some KASHIM_* variables, and judge what
 * those programs print and what the kernel says.  This header gives them:
 *
 *   - paths: the library under test and the test programs;
 *   - kt_env: a small environment list built from scratch (nothing of the
 *     caller's environment leaks in except PATH);
 *   - kt_proc: start a program with captured stdout/stderr and a stdin pipe,
 *     wait for a line, wait for its exit with a bound, kill it;
 *   - "key=value" parsing of the programs' output lines;
 *   - network namespaces: KT_NETNS() enters a fresh one (with lo up) in the
 *     current Check-forked test process, or prints "SKIP: reason" and returns
 *     from the test when that is not permitted;
 *   - nftables drop rules inside that namespace (kt_nft_*);
 *   - a monotonic stopwatch.
 *
 * Every wait takes a bound in milliseconds; a program still running when a
 * bound ends is reported, never waited for forever.
 */
#ifndef KASHIM_TESTLIB_H
#define KASHIM_TESTLIB_H

#include <stddef.h>
#include <sys/types.h>

/* ---- paths ------------------------------------------------------------ */

/* The library to preload: $KASHIM_TESTLIB, else ../libkashim.so next to the
 * running test binary (build/tests/X → build/libkashim.so). */
const char *kt_testlib(void);

/* build/tests/progs/NAME, found next to the running test binary.  The string
 * is allocated and lives until the test process ends. */
const char *kt_prog(const char *name);

/* printf into a new string that lives until the test process ends (aborts
 * when out of memory). */
char *kt_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- environment lists ------------------------------------------------ */

#define KT_ENV_MAX 64

struct kt_env {
	int n;
	char *v[KT_ENV_MAX + 1];        /* NULL-terminated */
};

/* PATH=/usr/sbin:/usr/bin:/sbin:/bin and LC_ALL=C, plus
 * LD_PRELOAD=<kt_testlib()> when preload != 0. */
void kt_env_init(struct kt_env *e, int preload);
/* Add one "NAME=value" entry, printf-style. */
void kt_env_add(struct kt_env *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kt_env_free(struct kt_env *e);

/* ---- processes -------------------------------------------------------- */

struct kt_proc {
	pid_t pid;              /* 0 once reaped */
	int in;                 /* write end of the child's stdin, or -1 */
	int out, err;           /* read ends, -1 at EOF */
	char *obuf, *ebuf;      /* captured output, always NUL-terminated */
	size_t olen, elen, ocap, ecap;
	int status;             /* waitpid status once reaped */
	int timed_out;          /* kt_run: killed because the bound ended */
	long t0_ms;             /* kt_now_ms() at spawn */
};

/* Start argv[0] with exactly envp.  The child gets a new process group, a
 * stdin pipe (p->in), captured stdout/stderr, and no other descriptor of the
 * caller except those listed in keep[0..nkeep) (same numbers; used to hand
 * an already-listening socket to a program).  Returns 0, or -1 with errno. */
int kt_spawn(struct kt_proc *p, char *const argv[], char *const envp[],
	     const int *keep, int nkeep);

/* Wait until stdout has a complete line starting with prefix; copy that line
 * (without the newline) into line[cap] when line != NULL.  Returns 0, or -1
 * when the program ended or timeout_ms passed first. */
int kt_wait_line(struct kt_proc *p, const char *prefix, int timeout_ms,
		 char *line, size_t cap);

/* Write s to the program's stdin.  Returns 0 or -1. */
int kt_send(struct kt_proc *p, const char *s);
/* Close the program's stdin (it reads EOF). */
void kt_close_stdin(struct kt_proc *p);

/* Wait up to timeout_ms for the program to exit, collecting its output.
 * Returns 0 when it exited (p->status set), -1 when it is still running. */
int kt_wait(struct kt_proc *p, int timeout_ms);

/* Is the program still running (not exited, not reaped)?  Collects output. */
int kt_running(struct kt_proc *p);

/* SIGKILL the program's process group, reap it, collect its output. */
void kt_kill(struct kt_proc *p);

/* Release buffers and descriptors (kills the program if still running). */
void kt_proc_free(struct kt_proc *p);

/* spawn + close stdin + wait up to timeout_ms; on timeout the program is
 * killed and p->timed_out set.  Returns 0 when it exited with status 0. */
int kt_run(struct kt_proc *p, char *const argv[], char *const envp[],
	   const int *keep, int nkeep, int timeout_ms);

/* "exit 0", "exit 3", "signal 9", "running" — for messages. */
const char *kt_status_str(const struct kt_proc *p);

/* ---- output parsing --------------------------------------------------- */

/* In text, find the first line whose first word is tag and copy the value
 * of " key=value" (up to the next blank) into val[cap].  Returns 0 or -1. */
int kt_kv(const char *text, const char *tag, const char *key,
	  char *val, size_t cap);
/* The same as a number; dflt when absent or not a number. */
long kt_kv_long(const char *text, const char *tag, const char *key,
		long dflt);
/* The whole first line whose first word is tag, copied into buf[cap]. */
int kt_line(const char *text, const char *tag, char *buf, size_t cap);

/* ---- sockets in the test process -------------------------------------- */

/* A TCP listener on addr (numeric, v4 or v6), port (0 = any), not
 * close-on-exec so that it can be handed to a program.  Sets *port_out.
 * Returns the fd or -1. */
int kt_listener(const char *addr, int port, int *port_out);
/* A TCP port on 127.0.0.1 that was free a moment ago. */
int kt_free_port(void);
/* Does this host have ::1 (IPv6 on lo)? */
int kt_have_ipv6(void);

/* ---- network namespaces and nftables ---------------------------------- */

/* Enter a new network namespace (the current process only: call it inside a
 * Check test, which runs in its own forked process) and bring lo up.
 * Returns 0; 1 with why[] set when namespaces are not permitted (not root);
 * -1 with why[] set on any other failure. */
int kt_netns_enter(char *why, size_t cap);

/* Use at the top of a test: enter a fresh namespace, or print
 * "SKIP: <test>: <reason>" on stdout and return from the test. */
#define KT_NETNS()							\
	do {								\
		char kt_why_[256];					\
		int kt_r_ = kt_netns_enter(kt_why_, sizeof kt_why_);	\
		if (kt_r_ > 0) {					\
			kt_skip(__func__, kt_why_);			\
			return;						\
		}							\
		ck_assert_msg(kt_r_ == 0, "netns: %s", kt_why_);	\
	} while (0)

/* Print "SKIP: name: reason" on stdout, visibly. */
void kt_skip(const char *name, const char *reason);

/* Run `nft -f -` with ruleset on stdin (bounded).  Returns 0, or -1 with
 * nft's message in err[cap]. */
int kt_nft(const char *ruleset, char *err, size_t cap);
/* Drop every TCP segment from or to any of the ports (e.g. "5555" or
 * "5555, 5556") at the input hook, IPv4 and IPv6, in table inet kashim_test.
 * On lo this makes both directions silent: the sender's transmit succeeds,
 * nothing arrives. */
int kt_nft_drop_ports(const char *ports, char *err, size_t cap);
/* Remove table inet kashim_test. */
int kt_nft_undrop(char *err, size_t cap);

/* ---- time ------------------------------------------------------------- */

/* CLOCK_MONOTONIC in milliseconds. */
long kt_now_ms(void);

struct kt_watch {
	long t0;
};
static inline void kt_watch_start(struct kt_watch *w) { w->t0 = kt_now_ms(); }
static inline long kt_watch_ms(const struct kt_watch *w)
{
	return kt_now_ms() - w->t0;
}

/* Sleep ms milliseconds (restarting after signals). */
void kt_sleep_ms(long ms);

/* ---- Check glue ------------------------------------------------------- */

/* Fail the test when a program that should have been preloaded was not:
 * ld.so says "cannot be preloaded" on its stderr. */
void kt_assert_preloaded(const struct kt_proc *p);

/* Run a Check suite in fork mode; returns the process exit status. */
struct Suite;
int kt_main(struct Suite *s);

#endif
