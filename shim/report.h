/* kashim — how a death is recognised and reported.
 *
 * A tracked socket's call failed, the watcher saw it end, or the program
 * closes it: the report checks that the fd still names the socket kashim
 * configured (its peer, kashim's options on it), that the kernel ended it
 * (TCP_INFO), claims the connection's one line, and writes it through the
 * sink (sink.c).  Under KASHIM_DEBUG it also writes one line per decision.
 */
#ifndef KASHIM_REPORT_H
#define KASHIM_REPORT_H

#include "config.h"
#include "fdtable.h"
#include "plan.h"

/* 1 when dead-peer lines are wanted (KASHIM_LOG, or KASHIM_DEBUG). */
extern int kashim_logging;

/* Chooses the sink (sink.c) from cfg, once, at init, and keeps what the
 * report needs of cfg.  Returns kashim_logging. */
int kashim_report_init(const struct kashim_config *cfg, kashim_warn_fn warn);

/* A tracked socket's call failed with err (0: the watcher, which infers
 * it).  Writes the dead-peer line once per connection.  errno is kept. */
void kashim_report_dead(int fd, int err);

/* splice() or sendfile() into fd failed with EPIPE.  Moving pages to a
 * socket, the kernel returns the short count moved before the connection
 * died and drops its error (ETIMEDOUT) with it; the next call sees EPIPE.
 * EPIPE also follows a peer's orderly close, so the line (error=ETIMEDOUT,
 * inferred from TCP_INFO as the watcher does) is written only when the
 * connection died of a timeout.  errno is kept. */
void kashim_report_hidden_timeout(int fd);

/* The program is closing fd: if the kernel had ended the connection with
 * an error the program never read, write its line now.  Costs one poll()
 * per close of a configured socket old enough for the kernel's timers to
 * have ended it (the entry's look_ms), and only while logging is on. */
void kashim_report_on_close(int fd);

/* KASHIM_DEBUG: one line per decision.  what is "configured" or
 * "skipped"; reason names the filter that skipped it; p may be NULL.
 * Without KASHIM_DEBUG the test is inline: every connect and accept
 * makes one or two of these calls. */
extern int kashim_debug_lines;
void kashim_log_decision_line(int fd, const struct kashim_fd *e,
			      const char *what, const char *reason,
			      const struct kashim_plan *p);
static inline void kashim_log_decision(int fd, const struct kashim_fd *e,
				       const char *what, const char *reason,
				       const struct kashim_plan *p)
{
	if (__builtin_expect(kashim_debug_lines, 0))
		kashim_log_decision_line(fd, e, what, reason, p);
}


#endif
