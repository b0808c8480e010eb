/* kashim — which sockets kashim touches (pure logic, no syscalls).
 *
 * A socket is kashim's when it is TCP over IPv4 or IPv6 and passes the
 * filters, in this order: KASHIM_DIRECTION, KASHIM_PORTS (the service
 * port: the peer's for an outbound connection, the local one for an
 * inbound), KASHIM_NETS (the peer's address).  A socket inherited already
 * connected has no connect() or accept() to say which way it goes: its
 * ports tell (kashim_guess_role).  The caller asks the kernel for what it
 * needs (getsockopt, getsockname) and passes the answers here.
 */
#ifndef KASHIM_CHOOSE_H
#define KASHIM_CHOOSE_H

#include <stdint.h>

#include "config.h"

/* AF_INET/AF_INET6, SOCK_STREAM whatever the SOCK_NONBLOCK/SOCK_CLOEXEC
 * flags, protocol 0 or IPPROTO_TCP.  Exact: SOCK_SEQPACKET, SOCK_RAW and
 * IPPROTO_MPTCP are not TCP. */
int kashim_is_tcp(int domain, int type, int protocol);

/* Selection.  port in host byte order; addr points at a struct in_addr or
 * in6_addr.  An IPv4-mapped IPv6 peer (::ffff:a.b.c.d) also matches IPv4
 * prefixes. */
int kashim_port_selected(const struct kashim_port_filter *f, uint16_t port);
int kashim_net_selected(const struct kashim_net_filter *f, int family,
			const void *addr);

/* Which filter of cfg leaves this connection alone ("direction", "ports",
 * "nets": the reason KASHIM_DEBUG prints), or NULL to configure it.  dir
 * is KASHIM_DIR_OUT or KASHIM_DIR_IN; port the service port in network
 * order; addr the peer's address, or NULL when not known (a listener
 * decides before it has peers: the net filter is then left for later). */
const char *kashim_filtered_out(const struct kashim_config *cfg, int dir,
				uint16_t port, int family, const void *addr);

/* 1 when kashim_filtered_out() returns NULL for every connection of
 * direction dir: no filter of cfg applies to it, so the hot path may skip
 * the call. */
int kashim_unfiltered(const struct kashim_config *cfg, int dir);

/* The direction of a connection kashim did not see being made: the side
 * with the ephemeral port (Linux's default range starts at 32768) is the
 * one that connected.  Ports in host byte order; ROLE_OUT or ROLE_IN. */
int kashim_guess_role(uint16_t local, uint16_t peer);

#endif
