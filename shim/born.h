/* kashim — connected sockets a program is born with.
 *
 * An inetd-style service (inetd, xinetd, tcpserver, systemd-socket-activate
 * --inetd, a systemd unit with Accept=yes and StandardInput=socket) gets
 * its connection on stdin/stdout, and a unit with Accept=yes without that
 * gets it as fd 3 with LISTEN_FDS=1; such a program may never call a hook
 * on it (it just reads stdin).  At start-up kashim covers them with the
 * rules of inherited sockets (apply.c: the parent's or program's keepalive
 * wins, the direction is guessed from the ports):
 *
 *   - fd 0, with one getsockopt(SO_PROTOCOL): ENOTSOCK for a terminal, a
 *     pipe or a file, 0 for a Unix socket, and that is all a process
 *     without TCP pays.  When fd 0 is TCP, fd 1 is looked at too.  (A TCP
 *     socket on fd 1 alone -- a shell's >/dev/tcp/... -- is not looked for:
 *     that would cost every process a second call.)
 *   - the fds LISTEN_FDS names, from 3 on, only when LISTEN_PID (read from
 *     the environment, no syscall) is set and is this process (one
 *     getpid() to compare): connected ones are adopted now, listeners at
 *     their first accept as before.
 */
#ifndef KASHIM_BORN_H
#define KASHIM_BORN_H

/* Called once by kashim_init(), after the configuration is loaded. */
void kashim_adopt_born(void);

#endif
