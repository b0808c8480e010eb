/* kashim — which options go on a socket (pure logic, no syscalls).
 *
 * The hooks describe the socket (what the program set itself, which way it
 * goes); the plan says which setsockopt calls to make and which values are
 * then in force.  Options the program set win unless KASHIM_OVERRIDE=1, and
 * nothing is set that is already in force.
 */
#ifndef KASHIM_PLAN_H
#define KASHIM_PLAN_H

#include "config.h"
#include "fdtable.h"

struct kashim_opt {
	int level, name, value;
};

struct kashim_plan {
	int n;
	struct kashim_opt opt[6];
	int idle, intvl, cnt;   /* in force afterwards */
	long user_timeout;      /* in force afterwards; 0 = kernel default */
	int ut_later;           /* user_timeout is kashim's, but waits for the
				 * handshake: a SYN count is in force */
};

/* The OPT_* bit for a (level, name) kashim manages, or 0. */
int kashim_option_bit(int level, int name);

/* The first configuration of a socket described by e (its user_set bits
 * and the program's own values); outbound adds TCP_SYNCNT.  While a SYN
 * count is in force (kashim's or the program's) the user timeout is left
 * out and ut_later set: on Linux a TCP_USER_TIMEOUT replaces the SYN
 * count as the bound of the SYN phase, so it goes on once the connection
 * is established (kashim_plan_established). */
void kashim_plan_first(const struct kashim_config *cfg,
		       const struct kashim_fd *e, int outbound,
		       struct kashim_plan *p);

/* The program has just set option `bit` on a socket kashim configured
 * (e is already updated): what kashim must set again — its own value under
 * override, or the auto user timeout that follows the new values. */
void kashim_plan_after_user(const struct kashim_config *cfg,
			    const struct kashim_fd *e, int bit,
			    struct kashim_plan *p);

/* The connection kashim left waiting (FD_UT_LATER) is established: the
 * user timeout now due, from the values in force. */
void kashim_plan_established(const struct kashim_config *cfg,
			     const struct kashim_fd *e, struct kashim_plan *p);

#endif
