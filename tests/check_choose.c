/* Unit tests of which sockets kashim touches (shim/choose.c), linked
 * directly (no preload): the filters in their order with the reason
 * KASHIM_DEBUG prints, the service port in network order, a listener's
 * missing peer address, and the direction guessed for an inherited
 * connection.  kashim_is_tcp has its table in check_plan; the port and net
 * lists' own matching rules theirs in check_config. */
#include <check.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "choose.h"
#include "config.h"
#include "fdtable.h"
#include "testlib.h"

#define TIMEOUT 10

/* cppcheck reads this file without the system headers; tell it what a
 * Check test is, or it loses track of the code after the first one. */
#ifndef START_TEST
#define START_TEST(name) static void name(int _i)
#define END_TEST
#endif

/* ------------------------------------------------------ kashim_filtered_out */

static const struct {
	const char *direction, *ports, *nets;   /* NULL: not set */
	int dir;
	int port;                               /* host order */
	const char *peer;                       /* NULL: not known */
	const char *want;                       /* NULL: configured */
} filters[] = {
	{ NULL, NULL, NULL, KASHIM_DIR_OUT, 80, "192.0.2.1", NULL },
	{ NULL, NULL, NULL, KASHIM_DIR_IN, 80, NULL, NULL },
	{ "out", NULL, NULL, KASHIM_DIR_IN, 80, "192.0.2.1", "direction" },
	{ "in", NULL, NULL, KASHIM_DIR_OUT, 80, "192.0.2.1", "direction" },
	{ "in", NULL, NULL, KASHIM_DIR_IN, 80, "192.0.2.1", NULL },
	{ NULL, "5432", NULL, KASHIM_DIR_OUT, 5432, "192.0.2.1", NULL },
	{ NULL, "5432", NULL, KASHIM_DIR_OUT, 5433, "192.0.2.1", "ports" },
	/* network order matters: 80 is 0x5000 swapped, 20480 in host order */
	{ NULL, "20480", NULL, KASHIM_DIR_OUT, 80, "192.0.2.1", "ports" },
	{ NULL, NULL, "10.0.0.0/8", KASHIM_DIR_OUT, 80, "10.1.2.3", NULL },
	{ NULL, NULL, "10.0.0.0/8", KASHIM_DIR_OUT, 80, "192.0.2.1", "nets" },
	{ NULL, NULL, "10.0.0.0/8", KASHIM_DIR_OUT, 80, "::ffff:10.9.9.9",
	  NULL },
	{ NULL, NULL, "!fd00::/8", KASHIM_DIR_IN, 22, "fd00::1", "nets" },
	/* a listener decides before it has peers: nets wait for accept */
	{ NULL, NULL, "10.0.0.0/8", KASHIM_DIR_IN, 80, NULL, NULL },
	/* the first filter that refuses is the reason */
	{ "out", "22", "10.0.0.0/8", KASHIM_DIR_IN, 80, "192.0.2.1",
	  "direction" },
	{ NULL, "22", "10.0.0.0/8", KASHIM_DIR_OUT, 80, "192.0.2.1", "ports" },
};

START_TEST(filters_in_order)
{
	struct kashim_config cfg;
	uint8_t addr[16];
	int family = 0;
	const char *got;

	kashim_config_defaults(&cfg);
	if (filters[_i].direction)
		cfg.direction = kashim_parse_direction(filters[_i].direction);
	ck_assert(cfg.direction > 0);
	ck_assert(!filters[_i].ports ||
		  kashim_parse_ports(filters[_i].ports, &cfg.ports) == 0);
	ck_assert(!filters[_i].nets ||
		  kashim_parse_nets(filters[_i].nets, &cfg.nets) == 0);
	memset(addr, 0, sizeof(addr));
	if (filters[_i].peer) {
		family = strchr(filters[_i].peer, ':') ? AF_INET6 : AF_INET;
		ck_assert_int_eq(inet_pton(family, filters[_i].peer, addr), 1);
	}
	got = kashim_filtered_out(&cfg, filters[_i].dir,
				  htons((uint16_t)filters[_i].port), family,
				  filters[_i].peer ? addr : NULL);
	/* what the hot path may skip the call for: no filter set, or one
	 * that cannot refuse this direction -- never one that refuses */
	if (!filters[_i].ports && !filters[_i].nets && !filters[_i].want)
		ck_assert_msg(kashim_unfiltered(&cfg, filters[_i].dir),
			      "row %d: no filter applies", _i);
	if (kashim_unfiltered(&cfg, filters[_i].dir))
		ck_assert_msg(got == NULL, "row %d: unfiltered but %s", _i,
			      got);
	if (filters[_i].want)
		ck_assert_msg(got && strcmp(got, filters[_i].want) == 0,
			      "row %d: got %s, want %s", _i,
			      got ? got : "(configured)", filters[_i].want);
	else
		ck_assert_msg(got == NULL, "row %d: skipped for %s", _i, got);
}
END_TEST

/* -------------------------------------------------------- kashim_guess_role */

static const struct {
	int local, peer, want;
} roles[] = {
	{ 40000, 443, ROLE_OUT },     /* ephemeral to a service: connected */
	{ 22, 51000, ROLE_IN },       /* a service and its client: accepted */
	{ 32768, 32767, ROLE_OUT },   /* the edges of the ephemeral range */
	{ 32767, 32767, ROLE_IN },
	{ 40000, 32768, ROLE_IN },    /* both ephemeral: cannot tell, in */
	{ 80, 8080, ROLE_IN },        /* neither ephemeral: in */
};

START_TEST(role_from_ports)
{
	ck_assert_int_eq(kashim_guess_role((uint16_t)roles[_i].local,
					   (uint16_t)roles[_i].peer),
			 roles[_i].want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("choose");
	TCase *tc = tcase_create("choose");

	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_loop_test(tc, filters_in_order, 0, KT_N(filters));
	tcase_add_loop_test(tc, role_from_ports, 0, KT_N(roles));
	suite_add_tcase(s, tc);
	return kt_main(s);
}
