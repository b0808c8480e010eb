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
 *   - a monotonic stopwatch;
 *   - dead-peer log lines, and a "rig": a program under test with the test
 *     process as the other end of its connection (kt_rig_*).
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

/* ---- files ------------------------------------------------------------ */

/* The whole file at path, NUL-terminated, in a new buffer that lives until
 * the test process ends (free() it where that matters); its length in *len
 * when len != NULL.  NULL, with errno, when it cannot be opened or read. */
char *kt_read_file(const char *path, size_t *len);

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
/* kt_spawn with the program started in cwd (NULL: the caller's own), which
 * the child enters just before exec.  A cwd that is not a directory fails
 * here: -1 with errno, p left safe for kt_proc_free. */
int kt_spawn_in(struct kt_proc *p, const char *cwd, char *const argv[],
		char *const envp[], const int *keep, int nkeep);

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

/* A new test case called name in s, each of its tests bounded to seconds
 * (Check's tcase_set_timeout): a deadlock fails instead of hanging. */
struct Suite;
struct TCase;
struct TCase *kt_tcase(struct Suite *s, const char *name, int seconds);

/* The number of rows of a table, for tcase_add_loop_test. */
#define KT_N(table) ((int)(sizeof(table) / sizeof((table)[0])))

/* Run a Check suite in fork mode; returns the process exit status. */
int kt_main(struct Suite *s);

/* ---- dead-peer lines, and the test process as a program's peer ------ */

/* For the dead-peer log tests: parse and judge "kashim[PID]: peer dead ..."
 * lines, wait for text on a program's stderr, and play the other end of a
 * program's connection from the test process (which sits in the same
 * network namespace and is never preloaded). */

#define KT_PORT 5555
#define KT_THEORY_MS 3000          /* IDLE + INTVL*CNT = 1 + 1*2 s */
#define KT_MARGIN_MS 2000          /* late allowance on a loaded machine */
#define KT_EARLY_MS 300
#define KT_AGE_SLACK_MS 500        /* the line's age vs what the test saw */
#define KT_SETTLE_MS 1200          /* wait this long for a second line */

struct kt_rig {
	struct kt_proc p;
	int lfd, cfd;           /* the test's listener and its end */
	const char *addr, *prog;
	char local[80], peer[80];
	long pid;
	int fd;
	long t_up;              /* test clock when "up" was seen */
};

struct kt_want {
	const char *label;
	const char *dir, *error, *cause;
	long theory_ms;         /* from t0 (below) to the death */
	long late_ms;           /* allowance after it; 0: KT_MARGIN_MS */
};

/* The common case: a keepalive death (ETIMEDOUT) in direction dir ("in",
 * "out") after KT_THEORY_MS, with the default allowance. */
#define KT_WANT_KEEPALIVE(label, dir)					\
	{ (label), (dir), "ETIMEDOUT", "keepalive", KT_THEORY_MS, 0 }

/* One dead-peer line, split into its fields. */
struct kt_dead {
	long pid;
	char prog[64];
	int fd;
	char dir[8];
	char local[80], peer[80];
	char error[24], cause[24];
	long age_ms;            /* age=63.2s → 63200 */
};

/* Parse one line (without its newline) of the exact form
 *   kashim[PID]: peer dead prog=NAME fd=N dir=in|out local=A peer=B
 *   error=EXXX cause=C age=S.Ds
 * Returns 0, or -1 when any part is missing, extra or malformed. */
int kt_parse_dead(const char *line, struct kt_dead *d);

/* Every line of text that contains "peer dead": up to max parsed into
 * d[], the number of such lines returned; *bad counts the ones that did
 * not parse (torn, mixed or misformatted). */
int kt_dead_lines(const char *text, struct kt_dead *d, int max, int *bad);

/* Number of lines of text containing needle. */
int kt_count_lines(const char *text, const char *needle);

/* Wait until the program's stderr (which = 2) or stdout (1) contains
 * needle, up to ms.  Returns 0, or -1 at the bound or when the program
 * ended without it. */
int kt_wait_text(struct kt_proc *p, int which, const char *needle, int ms);

/* The last 1500 characters of s, for failure messages (Check refuses a
 * message longer than its limit and ends the test early). */
const char *kt_tail(const char *s);

/* Keep collecting the program's output for ms (to see what else comes). */
void kt_settle(struct kt_proc *p, int ms);

/* ---- the test process as the other end -------------------------------- */

/* accept() on lfd with a bound; -1 on timeout. */
int kt_accept(int lfd, int ms);
/* connect to addr:port (numeric), retrying up to ms while refused. */
int kt_connect(const char *addr, int port, int ms);
/* Close with an RST (SO_LINGER 0). */
void kt_abort(int fd);
/* "127.0.0.1:5555" / "[::1]:5555" for addr, port. */
void kt_fmt_addr(char *buf, size_t cap, const char *addr, int port);
/* The local address of fd, written the same way. */
void kt_local_addr(int fd, char *buf, size_t cap);

/* ---- a program under test with the test process as its peer ----------- */

/* The rig's environment: kt_env_init(preload), then env (a
 * NULL-terminated "NAME=value" list, first so that it wins), then
 * KASHIM_IDLE=1 KASHIM_INTVL=1 KASHIM_CNT=2. */
void kt_rig_env(struct kt_env *e, int preload, const char *const *env);
/* Start argv preloaded with that environment; fails the test when it
 * cannot. */
void kt_rig_spawn(struct kt_proc *p, const char *const *argv,
		  const char *const *env);

/* Start PROG (build/tests/progs/PROG) as "PROG DIR ADDR KT_PORT ACT [ARG]"
 * with env (a NULL-terminated "NAME=value" list, winning over the
 * defaults KASHIM_IDLE=1 KASHIM_INTVL=1 KASHIM_CNT=2), preloaded when
 * preload != 0.  DIR "out": the test listens and accepts; "in": the test
 * connects.  Returns once the program printed "up ..." (fields copied into
 * r).  Fails the test on any error. */
void kt_rig_start(struct kt_rig *r, const char *prog, const char *dir,
		  const char *addr, const char *act, const char *arg,
		  const char *const *env, int preload);
void kt_rig_free(struct kt_rig *r);

/* Wait for the program's "up ..." line and copy its fields (local, peer,
 * pid, fd) and the time it came into r. */
void kt_rig_read_up(struct kt_rig *r);

/* Drop KT_PORT (both directions) in this namespace; undo it. */
void kt_drop_port(void);
void kt_undrop_port(void);

/* Wait up to ms for the program's "result=X elapsed_ms=N"; X must be
 * want.  Returns N. */
long kt_rig_result(struct kt_rig *r, const char *want, int ms);

/* The common dead-peer case: the peer goes silent right after "up"
 * (KT_PORT dropped), the line is judged from r->t_up (kt_rig_judge, below),
 * then the program's call must report seen within ms.  Returns the
 * program's elapsed_ms. */
long kt_rig_silent(struct kt_rig *r, const struct kt_want *w,
		   const char *seen, int ms);
/* The same for a program that sleeps through the death ("idle MS": it
 * prints "woke" when it wakes, then reads), so that only the watcher can
 * have written the line: the line must come while the program still
 * sleeps, and its read then reports ETIMEDOUT within ms. */
long kt_rig_watched(struct kt_rig *r, const struct kt_want *w, int ms);
/* log_peer blocked in recv on an outbound IPv4 connection (env as for
 * kt_rig_start), KT_PORT dropped, its recv reporting ETIMEDOUT within
 * theory + margin + 2 s: for the cases that look for the line elsewhere (a
 * file, the syslog socket) or want none at all. */
void kt_rig_recv_timeout(struct kt_rig *r, const char *const *env);

/* Wait for the dead-peer line, then KT_SETTLE_MS more: exactly one line,
 * its pid, prog, fd, dir, local, peer, error and cause right, its age what
 * the test saw since "up" (within KT_AGE_SLACK_MS), and its arrival within
 * [theory - KT_EARLY_MS, theory + late] after t0 (test clock).  Prints a
 * MEASURE line; returns the arrival time after t0. */
long kt_rig_judge(struct kt_rig *r, const struct kt_want *w, long t0);

#endif
