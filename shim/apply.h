/* kashim — what happens to a TCP socket at each step of its life: the
 * options of the plan (plan.h) put on the sockets choose.h picks.
 *
 * The hooks call these after deciding the call is kashim's business; each
 * one keeps errno as it found it and never changes what the program's own
 * call returns.  The only syscalls are the setsockopt calls of the plan,
 * plus, for sockets kashim did not see being made (inherited ones), the
 * getsockopt calls that tell whether they are TCP.
 */
#ifndef KASHIM_APPLY_H
#define KASHIM_APPLY_H

#include <sys/socket.h>

struct kashim_config;
struct kashim_fd;

/* At init, before any hook acts: the settings the filters and the plan
 * use, copied (from need not outlive the call). */
void kashim_apply_init(const struct kashim_config *from);

void kashim_on_socket(int fd, int domain, int type, int protocol);
/* Returns 1 when fd's user timeout waits for the handshake (estab.h): the
 * hook must then count it (kashim_ut_counted) and pass connect()'s result
 * to kashim_ut_after_connect. */
int kashim_before_connect(int fd, const struct sockaddr *sa, socklen_t len);
void kashim_before_listen(int fd);

/* What accept() on this listener needs: nothing (not a TCP listener), or
 * kashim's work afterwards, with or without the peer's address (for a net
 * filter, or a listener kashim has not seen yet, which the peer's family
 * then tells apart from a Unix one without a syscall). */
enum {
	KASHIM_ACCEPT_PASS = 0,
	KASHIM_ACCEPT_TRACK,
	KASHIM_ACCEPT_PEER,
};
int kashim_before_accept(int lfd);
/* peer may be NULL when not needed. */
void kashim_after_accept(int lfd, int nfd, const struct sockaddr *peer,
			 socklen_t len);

/* fd had an IP- or TCP-level option set or read: if kashim has never seen
 * it, find out whether it is a connected TCP socket and track it. */
void kashim_adopt_if_unknown(int fd);

void kashim_after_setsockopt(int fd, int level, int name, const void *val,
			     socklen_t len);

/* fd, whose user timeout waited for the handshake (estab.h), is
 * established: make the setsockopt calls now due, from e (errors
 * ignored). */
void kashim_set_established(int fd, const struct kashim_fd *e);

#endif
