/* kashim-adopt — configure the TCP sockets a running process already has.
 *
 * `kashim adopt [options] PID...` execs `kashim-adopt adopt [--dry-run]
 * PID...` with the common options exported as KASHIM_* variables.  Each
 * socket of the target is taken with pidfd_getfd() (Linux >= 5.6, ptrace
 * access to the target), which gives this process a second descriptor of
 * the same socket: socket options belong to the socket, not to the
 * descriptor, so options set through the duplicate are the target's.  The
 * duplicate is closed at once.  The target is never stopped, signalled or
 * attached to, and its descriptor table does not change.
 *
 * main.c    arguments, settings, the one-line refusals
 * target.c  a process: pidfd, its descriptors, why access is refused
 * socket.c  one socket: describe it, decide, set, report
 */
#ifndef KASHIM_ADOPT_H
#define KASHIM_ADOPT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

#define ADOPT_ME "kashim adopt"

/* Exit status, as the wrapper's: 1 cannot do it, 2 usage. */
#define ADOPT_EXIT_ERR 1
#define ADOPT_EXIT_USAGE 2

/* A descriptor of the target that is a socket: its number and the inode
 * that /proc/PID/fd/N named ("socket:[N]"). */
struct adopt_sock {
	int fd;
	uint64_t ino;
};

struct adopt_target {
	pid_t pid;
	int pidfd;
	char comm[64];
	int nfds;                       /* every descriptor it had */
	int nsocks;
	struct adopt_sock *socks;       /* ascending fd order */
	uint8_t listening[65536 / 8];   /* local ports in LISTEN, its netns */
};

struct adopt_count {
	int tcp, configured, skipped, failed;
};

/* Open pid: pidfd, its socket descriptors, a check that they can be
 * taken.  0, or -1 with one line (no newline) in why[cap]. */
int target_open(struct adopt_target *t, pid_t pid, char *why, size_t cap);
void target_close(struct adopt_target *t);

/* Take descriptor fd of the target: a new fd in this process, or -1 with
 * errno (EBADF: the target closed it meanwhile). */
int target_getfd(const struct adopt_target *t, int fd);

/* Why pidfd_getfd() or /proc/PID/fd refused (err is its errno): the
 * line to print, naming what is missing. */
void target_explain(const struct adopt_target *t, int err, char *why,
		    size_t cap);

/* Describe, decide and (unless dry_run) configure the target's socket s;
 * print its line on stdout and count it. */
void adopt_socket(const struct kashim_config *cfg,
		  const struct adopt_target *t, const struct adopt_sock *s,
		  int dry_run, struct adopt_count *n);

#endif
