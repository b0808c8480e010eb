/* kashim — where log lines go, and the dead-peer report.
 *
 * Sinks are chosen once at init.  kashim keeps no file descriptor open:
 * a file line is open+write+close (O_APPEND, one write: line-atomic across
 * processes), a syslog line goes through a fresh datagram socket, and the
 * stderr sink checks that fd 2 is still the file it was at start-up, so a
 * daemon that closed its fds or reused fd 2 never gets kashim's text in its
 * own files or sockets.
 */
#ifndef KASHIM_LOG_H
#define KASHIM_LOG_H

#include "config.h"
#include "fdtable.h"
#include "plan.h"

/* 1 when dead-peer lines are wanted (KASHIM_LOG, or KASHIM_DEBUG). */
extern int kashim_logging;

void kashim_log_init(kashim_warn_fn warn);

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
 * "skipped"; reason names the filter that skipped it; p may be NULL. */
void kashim_log_decision(int fd, const struct kashim_fd *e, const char *what,
			 const char *reason, const struct kashim_plan *p);


#endif
