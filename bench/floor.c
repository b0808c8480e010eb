/* kashim-floor: the least a keepalive preload can do, for `make bench`.
 *
 * It hooks socket() alone and puts kashim's five default options
 * (floor.h) on every TCP socket it makes, there and then: five setsockopt
 * calls per socket, no table, no log, no filter, no respect for the
 * program's own options.  An accepted socket
 * inherits the listener's.  The bench runs it as the "floor" variant, so
 * its connect row is the cost no keepalive preload can avoid (the calls
 * and the kernel's keepalive timers); kashim's rows are read against it.
 * Built by mk/bench.mk; never installed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "floor.h"

#define FLOOR_EXPORT __attribute__((visibility("default")))

static int (*real_socket)(int, int, int);

__attribute__((constructor)) static void floor_init(void)
{
	real_socket = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
}

static void keepalive(int fd)
{
	int i;

	for (i = 0; i < FLOOR_NOPTS; i++)
		setsockopt(fd, floor_opts[i][0], floor_opts[i][1],
			   &floor_opts[i][2], sizeof(int));
}

FLOOR_EXPORT int socket(int domain, int type, int protocol)
{
	int fd, saved;

	if (!real_socket)
		floor_init();
	fd = real_socket(domain, type, protocol);
	if (fd >= 0 && (domain == AF_INET || domain == AF_INET6) &&
	    (type & 0xf) == SOCK_STREAM &&
	    (protocol == 0 || protocol == IPPROTO_TCP)) {
		saved = errno;
		keepalive(fd);
		errno = saved;
	}
	return fd;
}
