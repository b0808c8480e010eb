/* kashim — connected sockets a program is born with (see born.h). */
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apply.h"
#include "born.h"
#include "config.h"
#include "real.h"

/* systemd's own limit is far lower; this only bounds a bogus value. */
#define BORN_MAX_LISTEN_FDS 4096
#define SD_LISTEN_FDS_START 3

static int sockopt_int(int fd, int name, int *v)
{
	socklen_t len = sizeof(*v);

	return KASHIM_REAL(getsockopt)(fd, SOL_SOCKET, name, v, &len);
}

static void stdin_stdout(void)
{
	int proto = 0;

	if (sockopt_int(0, SO_PROTOCOL, &proto) != 0 || proto != IPPROTO_TCP)
		return;
	kashim_adopt_if_unknown(0);
	kashim_adopt_if_unknown(1);
}

static void listen_fds(void)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	long pid, n;
	int fd, listening;

	if (!pid_s || !fds_s ||
	    kashim_parse_long(pid_s, 1, 0x7fffffffL, &pid) != 0 ||
	    kashim_parse_long(fds_s, 1, BORN_MAX_LISTEN_FDS, &n) != 0 ||
	    pid != (long)getpid())
		return;
	for (fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
		listening = 0;
		if (sockopt_int(fd, SO_ACCEPTCONN, &listening) != 0 || listening)
			continue;       /* not a socket, or adopted at accept */
		kashim_adopt_if_unknown(fd);
	}
}

void kashim_adopt_born(void)
{
	stdin_stdout();
	listen_fds();
}
