/* kashim — the watcher (KASHIM_WATCH=1).
 *
 * A thread that notices dead peers on sockets the program never touches
 * again (an idle pool connection).  It only looks: poll() with no events
 * shows POLLERR for a socket the kernel ended with an error, TCP_INFO says
 * why — neither consumes the pending error the program will read.  It is
 * started on the first configured socket or listener (never in a process
 * without TCP sockets), again in a fork child, blocks every signal, and never keeps a
 * process alive.
 */
#ifndef KASHIM_WATCH_H
#define KASHIM_WATCH_H

/* At init: want is 1 when KASHIM_WATCH=1 and there is a log (report.h);
 * without a call the watcher never starts. */
void kashim_watch_init(int want);

/* Start the watcher in this process if it is wanted and not running. */
void kashim_watch_ensure(void);

/* The main thread called pthread_exit(). */
void kashim_watch_main_exited(void);

/* Before fork(): let a watcher that is starting finish its start-up. */
void kashim_watch_before_fork(void);

/* In a fork child: the parent's watcher thread does not exist here. */
void kashim_watch_after_fork(void);

#endif
