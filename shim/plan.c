/* kashim — which options go on a socket (see plan.h). */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "plan.h"

int kashim_option_bit(int level, int name)
{
	if (level == SOL_SOCKET)
		return name == SO_KEEPALIVE ? OPT_KEEPALIVE : 0;
	if (level != IPPROTO_TCP)
		return 0;
	switch (name) {
	case TCP_KEEPIDLE: return OPT_IDLE;
	case TCP_KEEPINTVL: return OPT_INTVL;
	case TCP_KEEPCNT: return OPT_CNT;
	case TCP_USER_TIMEOUT: return OPT_UT;
	case TCP_SYNCNT: return OPT_SYNCNT;
	}
	return 0;
}

static void add(struct kashim_plan *p, int level, int name, int value)
{
	p->opt[p->n].level = level;
	p->opt[p->n].name = name;
	p->opt[p->n].value = value;
	p->n++;
}

/* kashim decides an option when the program did not, or under override. */
static int ours(const struct kashim_config *cfg, const struct kashim_fd *e,
		int bit)
{
	return cfg->override || !(e->user_set & bit);
}

static void values_in_force(const struct kashim_config *cfg,
			    const struct kashim_fd *e, struct kashim_plan *p)
{
	p->idle = ours(cfg, e, OPT_IDLE) ? cfg->idle : e->idle;
	p->intvl = ours(cfg, e, OPT_INTVL) ? cfg->intvl : e->intvl;
	p->cnt = ours(cfg, e, OPT_CNT) ? cfg->cnt : e->cnt;
	if (cfg->user_timeout == KASHIM_UT_AUTO)
		p->user_timeout = kashim_auto_user_timeout(p->idle, p->intvl,
							   p->cnt);
	else
		p->user_timeout = cfg->user_timeout;
}

/* While a SYN count is in force, a user timeout would bound the SYN phase
 * instead of it (the kernel's tcp_write_timeout() uses the user timeout
 * alone when there is one): kashim's waits for the handshake. */
static int syn_count_in_force(const struct kashim_config *cfg,
			      const struct kashim_fd *e, int outbound)
{
	return outbound && (cfg->syncnt > 0 || (e->user_set & OPT_SYNCNT));
}

void kashim_plan_first(const struct kashim_config *cfg,
		       const struct kashim_fd *e, int outbound,
		       struct kashim_plan *p)
{
	p->n = 0;
	p->ut_later = 0;
	values_in_force(cfg, e, p);
	if (ours(cfg, e, OPT_KEEPALIVE))
		add(p, SOL_SOCKET, SO_KEEPALIVE, 1);
	if (ours(cfg, e, OPT_IDLE))
		add(p, IPPROTO_TCP, TCP_KEEPIDLE, p->idle);
	if (ours(cfg, e, OPT_INTVL))
		add(p, IPPROTO_TCP, TCP_KEEPINTVL, p->intvl);
	if (ours(cfg, e, OPT_CNT))
		add(p, IPPROTO_TCP, TCP_KEEPCNT, p->cnt);
	if (p->user_timeout > 0 && ours(cfg, e, OPT_UT)) {
		if (syn_count_in_force(cfg, e, outbound))
			p->ut_later = 1;
		else
			add(p, IPPROTO_TCP, TCP_USER_TIMEOUT,
			    (int)p->user_timeout);
	}
	if (outbound && cfg->syncnt > 0 && ours(cfg, e, OPT_SYNCNT))
		add(p, IPPROTO_TCP, TCP_SYNCNT, cfg->syncnt);
}

/* Everything but a user timeout that is waiting for the handshake. */
static void drop_waiting_ut(const struct kashim_fd *e, struct kashim_plan *p)
{
	int i, k = 0;

	if (!(e->flags & FD_UT_LATER))
		return;
	for (i = 0; i < p->n; i++)
		if (p->opt[i].name != TCP_USER_TIMEOUT ||
		    p->opt[i].level != IPPROTO_TCP)
			p->opt[k++] = p->opt[i];
	p->n = k;
	p->ut_later = 1;
}

static void plan_after_user(const struct kashim_config *cfg,
			    const struct kashim_fd *e, int bit,
			    struct kashim_plan *p)
{
	values_in_force(cfg, e, p);
	if (cfg->override) {
		struct kashim_fd none = *e;
		struct kashim_plan all;
		int i;

		/* Put back kashim's value of just this option (a user
		 * timeout that waits for the handshake is dropped below). */
		none.user_set = 0;
		kashim_plan_first(cfg, &none, e->role == ROLE_OUT, &all);
		if (all.ut_later)
			add(&all, IPPROTO_TCP, TCP_USER_TIMEOUT,
			    (int)all.user_timeout);
		for (i = 0; i < all.n; i++)
			if (kashim_option_bit(all.opt[i].level,
					      all.opt[i].name) == bit)
				add(p, all.opt[i].level, all.opt[i].name,
				    all.opt[i].value);
		return;
	}
	if (!(bit & (OPT_IDLE | OPT_INTVL | OPT_CNT)))
		return;
	if (cfg->user_timeout == KASHIM_UT_AUTO && !(e->user_set & OPT_UT))
		add(p, IPPROTO_TCP, TCP_USER_TIMEOUT, (int)p->user_timeout);
}

void kashim_plan_after_user(const struct kashim_config *cfg,
			    const struct kashim_fd *e, int bit,
			    struct kashim_plan *p)
{
	p->n = 0;
	p->ut_later = 0;
	plan_after_user(cfg, e, bit, p);
	drop_waiting_ut(e, p);
}

void kashim_plan_established(const struct kashim_config *cfg,
			     const struct kashim_fd *e, struct kashim_plan *p)
{
	p->n = 0;
	p->ut_later = 0;
	values_in_force(cfg, e, p);
	if (p->user_timeout > 0 && ours(cfg, e, OPT_UT))
		add(p, IPPROTO_TCP, TCP_USER_TIMEOUT, (int)p->user_timeout);
}
