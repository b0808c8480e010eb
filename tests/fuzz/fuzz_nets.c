/* Fuzz kashim_parse_nets and kashim_net_selected (KASHIM_NETS).
 *
 * The input is "LIST\0ADDRESS-BYTES": the list text, then up to 16 bytes
 * used as a peer address.  Properties: an accepted list has 1..64 prefixes
 * of the right family and length with every host bit clear, each prefix's
 * own network address is selected by an include list (and not by an
 * exclude list), and a peer is selected exactly as a bit-by-bit reference
 * says; a refused list leaves "all peers". */
#include <netinet/in.h>
#include <sys/socket.h>

#include "choose.h"
#include "config.h"
#include "fuzz.h"

static int bit(const uint8_t *a, unsigned i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

static int in_prefix(const struct kashim_net_prefix *p, const uint8_t *a)
{
	unsigned i;

	for (i = 0; i < p->bits; i++)
		if (bit(a, i) != bit(p->addr, i))
			return 0;
	return 1;
}

/* Reference: the same rule as the SPEC, written the slow way. */
static int ref_listed(const struct kashim_net_filter *f, int family,
		      const uint8_t *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0xff, 0xff };
	unsigned i;

	for (i = 0; i < f->n; i++) {
		const struct kashim_net_prefix *p = &f->p[i];

		if (p->family == family && in_prefix(p, a))
			return 1;
		if (p->family == AF_INET && family == AF_INET6 &&
		    memcmp(a, mapped, 12) == 0 && in_prefix(p, a + 12))
			return 1;
	}
	return 0;
}

static void check_host_bits(const struct kashim_net_prefix *p)
{
	unsigned size = p->family == AF_INET ? 32 : 128, i;

	for (i = p->bits; i < size; i++)
		FUZZ_CHECK(!bit(p->addr, i), "host bit %u set in /%u", i,
			   p->bits);
	for (i = size / 8; i < 16; i++)
		FUZZ_CHECK(p->addr[i] == 0, "byte %u beyond the address", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct kashim_net_filter zero;
	struct kashim_net_filter f;
	/* config.h: addr points at a struct in_addr or in6_addr, so it is
	 * aligned as one (IN6_IS_ADDR_V4MAPPED reads 32-bit words). */
	union {
		struct in6_addr a6;
		uint8_t b[16];
	} peer_mem, own;
	uint8_t *peer = peer_mem.b;
	char *s = fuzz_cstr(data, size);
	size_t slen = strlen(s);
	unsigned i;
	int fam;

	memset(&peer_mem, 0, sizeof peer_mem);
	if (slen + 1 < size)
		memcpy(peer, data + slen + 1,
		       size - slen - 1 > 16 ? 16 : size - slen - 1);
	memset(&f, 0x5a, sizeof f);
	if (kashim_parse_nets(s, &f) != 0) {
		FUZZ_CHECK(memcmp(&f, &zero, sizeof f) == 0,
			   "refused '%s' but the filter is not 'all'", s);
		free(s);
		return 0;
	}
	FUZZ_CHECK(f.n >= 1 && f.n <= KASHIM_MAX_ITEMS, "'%s' n=%u", s, f.n);
	FUZZ_CHECK(f.exclude == (s[0] == '!'), "'%s' exclude", s);
	for (i = 0; i < f.n; i++) {
		const struct kashim_net_prefix *p = &f.p[i];

		FUZZ_CHECK(p->family == AF_INET || p->family == AF_INET6,
			   "'%s' family %u", s, p->family);
		FUZZ_CHECK(p->bits <= (p->family == AF_INET ? 32 : 128),
			   "'%s' /%u", s, p->bits);
		check_host_bits(p);
		memcpy(own.b, p->addr, sizeof own.b);   /* aligned copy */
		FUZZ_CHECK(kashim_net_selected(&f, p->family, own.b) ==
			   !f.exclude, "'%s': prefix %u's own address", s, i);
	}
	for (fam = 0; fam < 3; fam++) {
		int family = fam == 0 ? AF_INET : fam == 1 ? AF_INET6 : AF_UNIX;
		int want = ref_listed(&f, family, peer);

		FUZZ_CHECK(kashim_net_selected(&f, family, peer) ==
			   (f.exclude ? !want : want), "'%s' family %d", s,
			   family);
	}
	FUZZ_CHECK(kashim_net_selected(&f, AF_INET, NULL) == f.exclude,
		   "'%s': unknown peer", s);
	free(s);
	return 0;
}
