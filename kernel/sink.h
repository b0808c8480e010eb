/* kashim kernel mode — where the log reader's lines go.
 *
 * The same three sinks as the preload (shim/log.c), for a process of its
 * own: shim/log.c is built into the preload (its calls go through the
 * library's real-function table), so it cannot be linked here.  One line,
 * one write: a file line is open(O_APPEND)+write+close, a syslog line a
 * datagram to /dev/log (KASHIM_SYSLOG_SOCKET for tests) with LOG_DAEMON |
 * LOG_WARNING and ident kashim, a stderr line a write to fd 2.
 */
#ifndef KASHIM_KERNEL_SINK_H
#define KASHIM_KERNEL_SINK_H

#include "config.h"

/* Chooses the sink once, from cfg (sink and log_path). */
void kk_sink_init(const struct kashim_config *cfg);

/* One line "kashim[PID]: msg\n" (syslog: without the stamp prefix rules
 * of a file, as the preload writes it).  pid is the program's. */
void kk_sink_emit(long pid, const char *msg);

#endif
