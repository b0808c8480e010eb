/* Fuzz kashim_parse_ports and kashim_port_selected (KASHIM_PORTS).
 *
 * Properties: an accepted list has 1..KASHIM_MAX_ITEMS ranges, each within
 * 1..65535 with lo <= hi, and selection agrees with a plain re-reading of
 * the ranges; a refused list leaves the filter "all ports" (all zero). */
#include "choose.h"
#include "config.h"
#include "fuzz.h"

static int listed(const struct kashim_port_filter *f, unsigned port)
{
	unsigned i;

	for (i = 0; i < f->n; i++)
		if (port >= f->r[i].lo && port <= f->r[i].hi)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct kashim_port_filter zero;
	struct kashim_port_filter f;
	char *s = fuzz_cstr(data, size);
	unsigned i, port;

	memset(&f, 0xa5, sizeof f);             /* no help from a clean start */
	if (kashim_parse_ports(s, &f) != 0) {
		FUZZ_CHECK(memcmp(&f, &zero, sizeof f) == 0,
			   "refused '%s' but the filter is not 'all'", s);
		FUZZ_CHECK(kashim_port_selected(&f, 1) == 1, "'all' skips 1");
		free(s);
		return 0;
	}
	FUZZ_CHECK(f.n >= 1 && f.n <= KASHIM_MAX_ITEMS, "'%s' gave n=%u", s,
		   f.n);
	FUZZ_CHECK(f.exclude == (s[0] == '!'), "'%s' exclude=%u", s, f.exclude);
	for (i = 0; i < f.n; i++)
		FUZZ_CHECK(f.r[i].lo >= 1 && f.r[i].lo <= f.r[i].hi,
			   "'%s' range %u is %u-%u", s, i, f.r[i].lo, f.r[i].hi);
	/* Every port that is an edge of some range, and 0 and 65535. */
	for (i = 0; i < f.n; i++) {
		const unsigned edges[4] = { f.r[i].lo - 1u, f.r[i].lo, f.r[i].hi,
				      f.r[i].hi + 1u };
		unsigned k;

		for (k = 0; k < 4; k++) {
			port = edges[k] & 0xffff;
			FUZZ_CHECK(kashim_port_selected(&f, (uint16_t)port) ==
				   (f.exclude ? !listed(&f, port)
					      : listed(&f, port)),
				   "'%s' port %u", s, port);
		}
	}
	free(s);
	return 0;
}
