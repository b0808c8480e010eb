/* kashim — where a line is written: the file, syslog and stderr sinks.
 *
 * The sink is chosen once, at set-up.  kashim keeps no file descriptor
 * open: a file line is open+write+close (O_APPEND, one write: line-atomic
 * across processes), a syslog line goes through a fresh datagram socket,
 * and the stderr sink checks that fd 2 is still the file it was at
 * set-up, so a daemon that closed its fds or reused fd 2 never gets
 * kashim's text in its own files or sockets.
 *
 * Built into the preload, its calls go through the real-function table
 * (real.h); built with -DKASHIM_SINK_LIBC it calls libc directly, for a
 * program of its own.
 */
#ifndef KASHIM_SINK_H
#define KASHIM_SINK_H

#include "config.h"

/* Chooses the sink: want is an enum kashim_sink, path the file's
 * (KASHIM_SINK_FILE).  A stderr that is missing or a TCP connection
 * leaves no sink; so does a file that cannot be opened for appending,
 * after one line to warn.  warn NULL: the file is not tried at set-up (a
 * long-running reader whose file may appear later tries it per line).
 * Returns the sink in effect. */
int kashim_sink_init(int want, const char *path, kashim_warn_fn warn);

/* One line, "kashim[PID]: msg" (syslog: with its priority and stamp),
 * written whole in one write.  pid is the program's.  errno may change. */
void kashim_sink_emit(long pid, const char *msg);

#endif
