/* kashim tests — helpers for the dead-peer log tests (issue 3).
 *
 * On top of testlib: parse and judge "kashim[PID]: peer dead ..." lines,
 * wait for text on a program's stderr, and play the other end of a
 * program's connection from the test process (which sits in the same
 * network namespace and is never preloaded).
 */
#ifndef KASHIM_LOGUTIL_H
#define KASHIM_LOGUTIL_H

#include <stddef.h>

#include "testlib.h"

#define LU_PORT 5555
#define LU_THEORY_MS 3000          /* IDLE + INTVL*CNT = 1 + 1*2 s */
#define LU_MARGIN_MS 2000          /* late allowance on a loaded machine */
#define LU_EARLY_MS 300
#define LU_AGE_SLACK_MS 500        /* the line's age vs what the test saw */
#define LU_SETTLE_MS 1200          /* wait this long for a second line */

struct lu_rig {
	struct kt_proc p;
	int lfd, cfd;           /* the test's listener and its end */
	const char *addr, *prog;
	char local[80], peer[80];
	long pid;
	int fd;
	long t_up;              /* test clock when "up" was seen */
};

struct lu_want {
	const char *label;
	const char *dir, *error, *cause;
	long theory_ms;         /* from t0 (below) to the death */
	long late_ms;           /* allowance after it; 0: LU_MARGIN_MS */
};

/* One dead-peer line, split into its fields. */
struct lu_dead {
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
int lu_parse_dead(const char *line, struct lu_dead *d);

/* Every line of text that contains "peer dead": up to max parsed into
 * d[], the number of such lines returned; *bad counts the ones that did
 * not parse (torn, mixed or misformatted). */
int lu_dead_lines(const char *text, struct lu_dead *d, int max, int *bad);

/* Number of lines of text containing needle. */
int lu_count_lines(const char *text, const char *needle);

/* Wait until the program's stderr (which = 2) or stdout (1) contains
 * needle, up to ms.  Returns 0, or -1 at the bound or when the program
 * ended without it. */
int lu_wait_text(struct kt_proc *p, int which, const char *needle, int ms);

/* The last 1500 characters of s, for failure messages (Check refuses a
 * message longer than its limit and ends the test early). */
const char *lu_tail(const char *s);

/* Keep collecting the program's output for ms (to see what else comes). */
void lu_settle(struct kt_proc *p, int ms);

/* ---- the test process as the other end -------------------------------- */

/* accept() on lfd with a bound; -1 on timeout. */
int lu_accept(int lfd, int ms);
/* connect to addr:port (numeric), retrying up to ms while refused. */
int lu_connect(const char *addr, int port, int ms);
/* Close with an RST (SO_LINGER 0). */
void lu_abort(int fd);
/* "127.0.0.1:5555" / "[::1]:5555" for addr, port. */
void lu_fmt(char *buf, size_t cap, const char *addr, int port);
/* The local address of fd, written the same way. */
void lu_local(int fd, char *buf, size_t cap);

/* ---- a program under test with the test process as its peer ----------- */

/* Start PROG (build/tests/progs/PROG) as "PROG DIR ADDR LU_PORT ACT [ARG]"
 * with env (a NULL-terminated "NAME=value" list, winning over the
 * defaults KASHIM_IDLE=1 KASHIM_INTVL=1 KASHIM_CNT=2), preloaded when
 * preload != 0.  DIR "out": the test listens and accepts; "in": the test
 * connects.  Returns once the program printed "up ..." (fields copied into
 * r).  Fails the test on any error. */
void lu_start(struct lu_rig *r, const char *prog, const char *dir,
	      const char *addr, const char *act, const char *arg,
	      const char *const *env, int preload);
void lu_free(struct lu_rig *r);

/* Wait for the program's "up ..." line and copy its fields (local, peer,
 * pid, fd) and the time it came into r. */
void lu_read_up(struct lu_rig *r);

/* Drop LU_PORT (both directions) in this namespace; undo it. */
void lu_drop(void);
void lu_undrop(void);

/* Wait up to ms for the program's "result=X elapsed_ms=N"; X must be
 * want.  Returns N. */
long lu_result(struct lu_rig *r, const char *want, int ms);

/* Wait for the dead-peer line, then LU_SETTLE_MS more: exactly one line,
 * its pid, prog, fd, dir, local, peer, error and cause right, its age what
 * the test saw since "up" (within LU_AGE_SLACK_MS), and its arrival within
 * [theory - LU_EARLY_MS, theory + late] after t0 (test clock).  Prints a
 * MEASURE line; returns the arrival time after t0. */
long lu_judge(struct lu_rig *r, const struct lu_want *w, long t0);

#endif
