/* kashim — which sockets kashim touches (see choose.h).  Pure: no
 * syscalls, no state; the caller asks the kernel what it needs to. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "choose.h"
#include "fdtable.h"
#include "kashim.h"

/* ---- TCP --------------------------------------------------------------- */

KASHIM_HOT int kashim_is_tcp(int domain, int type, int protocol)
{
	if (domain != AF_INET && domain != AF_INET6)
		return 0;
	if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM)
		return 0;
	return protocol == 0 || protocol == IPPROTO_TCP;
}

/* ---- ports ------------------------------------------------------------- */

int kashim_port_selected(const struct kashim_port_filter *f, uint16_t port)
{
	int listed = 0;
	unsigned i;

	if (f->n == 0)
		return 1;
	for (i = 0; i < f->n && !listed; i++)
		listed = port >= f->r[i].lo && port <= f->r[i].hi;
	return f->exclude ? !listed : listed;
}

/* ---- networks ---------------------------------------------------------- */

/* Does addr (bytes in network order) start with the stored prefix?  The
 * prefix has its host bits cleared already. */
static int prefix_matches(const struct kashim_net_prefix *p,
			  const uint8_t *addr)
{
	unsigned whole = p->bits / 8, rest = p->bits % 8;
	uint8_t mask;

	if (memcmp(p->addr, addr, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xffu << (8 - rest));
	return (addr[whole] & mask) == p->addr[whole];
}

/* A dual-stack server sees IPv4 clients as ::ffff:a.b.c.d, and a user who
 * wrote 10.0.0.0/8 means those clients too, so such a peer is also compared
 * with the IPv4 prefixes. */
static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					     0xff, 0xff };

static int net_listed(const struct kashim_net_filter *f, int family,
		      const uint8_t *addr)
{
	const uint8_t *v4 = NULL, *v6 = NULL;
	unsigned i;

	if (family == AF_INET) {
		v4 = addr;
	} else if (family == AF_INET6) {
		v6 = addr;
		/* ::ffff:a.b.c.d, compared bytewise: addr need not be
		 * aligned for struct in6_addr. */
		if (memcmp(addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0)
			v4 = addr + 12;
	}
	for (i = 0; i < f->n; i++) {
		const uint8_t *peer = f->p[i].family == AF_INET ? v4 : v6;

		if (peer && prefix_matches(&f->p[i], peer))
			return 1;
	}
	return 0;
}

/* With no address at hand (NULL) or an unknown family the peer is in no
 * listed network: an include list skips it, an exclude list keeps it. */
int kashim_net_selected(const struct kashim_net_filter *f, int family,
			const void *addr)
{
	int listed;

	if (f->n == 0)
		return 1;
	listed = addr != NULL && net_listed(f, family, addr);
	return f->exclude ? !listed : listed;
}

/* ---- the filters, in order --------------------------------------------- */

const char *kashim_filtered_out(const struct kashim_config *cfg, int dir,
				uint16_t port, int family, const void *addr)
{
	if (!(cfg->direction & dir))
		return "direction";
	if (cfg->ports.n && !kashim_port_selected(&cfg->ports, ntohs(port)))
		return "ports";
	if (addr && cfg->nets.n &&
	    !kashim_net_selected(&cfg->nets, family, addr))
		return "nets";
	return NULL;
}

int kashim_unfiltered(const struct kashim_config *cfg, int dir)
{
	return (cfg->direction & dir) && !cfg->ports.n && !cfg->nets.n;
}

/* ---- inherited sockets ------------------------------------------------- */

int kashim_guess_role(uint16_t local, uint16_t peer)
{
	return local >= 32768 && peer < 32768 ? ROLE_OUT : ROLE_IN;
}
