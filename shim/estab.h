/* kashim — a user timeout that waits for the handshake.
 *
 * On Linux a TCP_USER_TIMEOUT, once set, is also the only bound of the SYN
 * phase (tcp_write_timeout() passes it to retransmits_timed_out(), which
 * then ignores the SYN count), so KASHIM_SYNCNT would do nothing under the
 * default auto user timeout.  While a SYN count is in force on an outbound
 * socket, kashim therefore puts its user timeout on once the connection is
 * established (see plan.h), at the first point it can see that:
 *
 *   - connect() returning 0 (a blocking connect), or EISCONN;
 *   - getsockopt(SO_ERROR) reading 0 on it (how event loops learn that a
 *     non-blocking connect is done), when getpeername() agrees;
 *   - the first read or write call on it that succeeds, same check.
 *
 * The I/O hooks stay a tail jump to libc while no socket waits and no log
 * is wanted: they test one word, kashim_io_look, which is
 * (logging ? 1 : 0) + 2 * (sockets waiting).  The count may stay high when
 * a waiting socket's number is reused where kashim cannot see it (closed
 * behind libc); the I/O hooks then look at one entry word per call, and
 * nothing else changes.
 */
#ifndef KASHIM_ESTAB_H
#define KASHIM_ESTAB_H

extern int kashim_io_look;

static inline int kashim_io_looking(void)
{
	return __atomic_load_n(&kashim_io_look, __ATOMIC_RELAXED);
}

/* Some socket waits: the slow path of the I/O hooks checks its fd. */
static inline int kashim_ut_some_waiting(void)
{
	return kashim_io_looking() > 1;
}

/* At init, after the log: the I/O hooks look when logging. */
void kashim_estab_init(int logging);

/* fd's entry was marked FD_UT_LATER (by kashim_before_connect) or a copy
 * of such an entry was made (dup): count it. */
void kashim_ut_counted(void);

/* connect() on a waiting socket returned r, errno err. */
void kashim_ut_after_connect(int fd, int r, int err);

/* A call on fd succeeded (read/write families, SO_ERROR == 0): if fd
 * waits and is established, put the user timeout on now. */
void kashim_ut_check(int fd);

/* fd is closed, or its connect failed: it no longer waits. */
void kashim_ut_drop(int fd);

/* dup2 and friends made `to` a copy of a waiting entry. */
void kashim_ut_copied(int to);

#endif
