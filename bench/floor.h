/* kashim-floor's five options, kashim's defaults: shared by the floor
 * preload (floor.c) and the bench's in-process floor (connect-paired), so
 * the two can only ever set the same ones.  SO_KEEPALIVE 1, TCP_KEEPIDLE
 * 60, TCP_KEEPINTVL 10, TCP_KEEPCNT 6, TCP_USER_TIMEOUT 120000 ms (the
 * auto value for those). */
#ifndef KASHIM_BENCH_FLOOR_H
#define KASHIM_BENCH_FLOOR_H

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define FLOOR_NOPTS 5

static const int floor_opts[FLOOR_NOPTS][3] = {
	{ SOL_SOCKET, SO_KEEPALIVE, 1 },
	{ IPPROTO_TCP, TCP_KEEPIDLE, 60 },
	{ IPPROTO_TCP, TCP_KEEPINTVL, 10 },
	{ IPPROTO_TCP, TCP_KEEPCNT, 6 },
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, 120000 },
};

#endif
