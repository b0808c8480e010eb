// SPDX-License-Identifier: GPL-2.0
/* kashim kernel mode — the BPF side.
 *
 *   kk_sockops      (cgroup sock_ops)   puts kashim's options on every TCP
 *                   socket of the cgroup: at TCP_CONNECT_CB (process
 *                   context, before the first SYN) for outbound ones, at
 *                   PASSIVE_ESTABLISHED_CB for accepted ones (the request
 *                   socket callbacks refuse bpf_setsockopt);
 *   kk_setsockopt   (cgroup setsockopt) sees the program's own
 *                   setsockopt() calls: records which options it chose
 *                   (they win), or under override puts kashim's value in
 *                   their place, and keeps the auto user timeout in step;
 *   kk_report       (tp_btf/inet_sk_error_report) one event per dead
 *                   connection into the ring buffer, for the log reader.
 *
 * The GPL licence is needed for bpf_skc_to_tcp_sock and the tracing
 * program; the loader itself is MIT like the rest of kashim.
 *
 * Kernel structs are declared here with only the fields read, marked
 * preserve_access_index: libbpf relocates each access against the running
 * kernel's BTF (CO-RE), so no vmlinux.h is needed to build.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "kashim_bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define IPPROTO_TCP 6
#define SOL_SOCKET 1
#define SO_KEEPALIVE 9
#define SOL_TCP 6
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_SYNCNT 7
#define TCP_USER_TIMEOUT 18
#define TCP_CLOSE 7
#define SOCK_KEEPOPEN 3         /* enum sock_flags */

#define CORE __attribute__((preserve_access_index))

struct in6_addr {
	__u8 s6_addr[16];
} CORE;

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	unsigned long skc_flags;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
} CORE;

struct inode {
	unsigned long i_ino;
} CORE;

struct file {
	struct inode *f_inode;
} CORE;

struct socket {
	struct file *file;
} CORE;

struct sock {
	struct sock_common __sk_common;
	int sk_err;
	struct socket *sk_socket;
} CORE;

struct inet_sock {
	struct sock sk;
} CORE;

struct inet_connection_sock {
	struct inet_sock icsk_inet;
	__u8 icsk_retransmits;
	__u8 icsk_syn_retries;
	__u8 icsk_probes_out;
	__u32 icsk_user_timeout;
} CORE;

struct tcp_sock {
	struct inet_connection_sock inet_conn;
	__u32 snd_wnd;
	__u8 keepalive_probes;
	unsigned int keepalive_time;
	unsigned int keepalive_intvl;
} CORE;

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kk_cfg);
} kk_config SEC(".maps");

/* BPF_F_CLONE: an accepted socket starts with its listener's state, so
 * the options the program chose on the listener stay its own. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct kk_sk);
} kk_sks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} kk_events SEC(".maps");

static __always_inline struct kk_cfg *config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&kk_config, &zero);
}

/* ---- selection (KASHIM_PORTS, KASHIM_NETS) --------------------------- */

static __always_inline int port_selected(const struct kk_cfg *c, __u16 port)
{
	int i, hit = 0;

	if (!c->ports_n)
		return 1;
	for (i = 0; i < KK_MAX_ITEMS; i++) {
		if (i >= c->ports_n)
			break;
		if (port >= c->ports[i].lo && port <= c->ports[i].hi) {
			hit = 1;
			break;
		}
	}
	return c->ports_exclude ? !hit : hit;
}

static __always_inline int net_hit(const struct kk_net *n, __u32 family,
				   const __u32 a[4])
{
	if (n->family != family)
		return 0;
	if (family == AF_INET)
		return (a[0] & n->mask[0]) == n->net[0];
	return (a[0] & n->mask[0]) == n->net[0] &&
	       (a[1] & n->mask[1]) == n->net[1] &&
	       (a[2] & n->mask[2]) == n->net[2] &&
	       (a[3] & n->mask[3]) == n->net[3];
}

/* An IPv4-mapped IPv6 peer (::ffff:a.b.c.d) also matches IPv4 prefixes,
 * as in the preload (kashim_net_selected). */
static __always_inline int net_selected(const struct kk_cfg *c, __u32 family,
					const __u32 a[4])
{
	__u32 v4[4] = { a[3], 0, 0, 0 };
	int mapped = family == AF_INET6 && a[0] == 0 && a[1] == 0 &&
		     a[2] == bpf_htonl(0xffff);
	int i, hit = 0;

	if (!c->nets_n)
		return 1;
	for (i = 0; i < KK_MAX_ITEMS; i++) {
		if (i >= c->nets_n)
			break;
		if (net_hit(&c->nets[i], family, a) ||
		    (mapped && net_hit(&c->nets[i], AF_INET, v4))) {
			hit = 1;
			break;
		}
	}
	return c->nets_exclude ? !hit : hit;
}

/* Each context field is read on its own, unconditionally: the verifier
 * refuses a load through a context pointer that the compiler computed
 * (as it does when it merges the IPv4 and IPv6 branches). */
static __always_inline void pick(__u32 family, __u32 v4, __u32 w0, __u32 w1,
				 __u32 w2, __u32 w3, __u32 a[4])
{
	if (family == AF_INET) {
		a[0] = v4;
		a[1] = a[2] = a[3] = 0;
		return;
	}
	a[0] = w0;
	a[1] = w1;
	a[2] = w2;
	a[3] = w3;
}

/* One end's address: side is remote or local (the context's field names
 * differ only in that word, and each must be a load of its own). */
#define ADDRESS_OF(side)                                                    \
	static __always_inline void side##_of(const struct bpf_sock_ops *s, \
					      __u32 a[4])                   \
	{                                                                   \
		__u32 v4 = s->side##_ip4, w0 = s->side##_ip6[0],            \
		      w1 = s->side##_ip6[1], w2 = s->side##_ip6[2],         \
		      w3 = s->side##_ip6[3];                                \
									    \
		barrier_var(v4);                                            \
		barrier_var(w3);                                            \
		pick(s->family, v4, w0, w1, w2, w3, a);                     \
	}
ADDRESS_OF(remote)
ADDRESS_OF(local)

/* ---- the options ------------------------------------------------------ */

/* KASHIM_USER_TIMEOUT=auto: (idle + intvl*cnt) * 1000, in 64 bits, capped
 * (kashim_auto_user_timeout). */
static __always_inline __u32 auto_ut(__u64 idle, __u64 intvl, __u64 cnt)
{
	__u64 ms = (idle + intvl * cnt) * 1000;

	return ms > 2147483647ULL ? 2147483647U : (__u32)ms;
}

static __always_inline __u32 ut_in_force(const struct kk_cfg *c,
					 const struct kk_sk *st)
{
	if (c->user_timeout == KK_UT_AUTO)
		return auto_ut(st->idle, st->intvl, st->cnt);
	return (__u32)c->user_timeout;
}

static __always_inline int sockops_get(struct bpf_sock_ops *s, int level,
				       int name)
{
	int v = 0;

	if (bpf_getsockopt(s, level, name, &v, sizeof(v)))
		return 0;
	return v;
}

static __always_inline void sockops_set(struct bpf_sock_ops *s, int level,
					int name, int v)
{
	bpf_setsockopt(s, level, name, &v, sizeof(v));
}

/* Which options the program chose itself: what kk_setsockopt saw, and,
 * for a socket that had them before kashim was attached (or inherited
 * them from its listener), the fields the kernel leaves 0 until set. */
static __always_inline __u8 own_options(struct tcp_sock *tp,
					const struct kk_sk *st)
{
	__u8 own = st->own;

	if (!tp)
		return own;
	if (tp->inet_conn.icsk_inet.sk.__sk_common.skc_flags &
	    (1UL << SOCK_KEEPOPEN))
		own |= KK_OWN_KEEPALIVE;
	if (tp->keepalive_time)
		own |= KK_OWN_IDLE;
	if (tp->keepalive_intvl)
		own |= KK_OWN_INTVL;
	if (tp->keepalive_probes)
		own |= KK_OWN_CNT;
	if (tp->inet_conn.icsk_user_timeout)
		own |= KK_OWN_UT;
	return own;
}

static __always_inline int syn_retries_set(struct tcp_sock *tp)
{
	return tp && tp->inet_conn.icsk_syn_retries;
}

/* The preload's plan (shim/plan.c), on one socket: kashim decides an
 * option when the program did not, or always under override. */
static __always_inline void configure(struct bpf_sock_ops *s,
				      const struct kk_cfg *c, struct kk_sk *st,
				      struct tcp_sock *tp, int outbound)
{
	__u8 own = c->override ? 0 : own_options(tp, st);
	__u32 ut;

	st->own |= own;
	st->idle = own & KK_OWN_IDLE ? sockops_get(s, SOL_TCP, TCP_KEEPIDLE)
				     : c->idle;
	st->intvl = own & KK_OWN_INTVL ? sockops_get(s, SOL_TCP, TCP_KEEPINTVL)
				       : c->intvl;
	st->cnt = own & KK_OWN_CNT ? sockops_get(s, SOL_TCP, TCP_KEEPCNT)
				   : c->cnt;
	/* SO_KEEPALIVE after the times: TCP_KEEPIDLE on a socket that has
	 * it re-arms the keepalive timer (tcp_sock_set_keepidle_locked),
	 * one __mod_timer per connection for nothing. */
	if (!(own & KK_OWN_IDLE))
		sockops_set(s, SOL_TCP, TCP_KEEPIDLE, c->idle);
	if (!(own & KK_OWN_INTVL))
		sockops_set(s, SOL_TCP, TCP_KEEPINTVL, c->intvl);
	if (!(own & KK_OWN_CNT))
		sockops_set(s, SOL_TCP, TCP_KEEPCNT, c->cnt);
	if (!(own & KK_OWN_KEEPALIVE))
		sockops_set(s, SOL_SOCKET, SO_KEEPALIVE, 1);
	/* SYNCNT outbound only: on a listener it would change the SYN-ACK
	 * retries.  When it is set, the SYN phase is bounded by the count,
	 * and the user timeout (which the kernel also applies to SYN_SENT)
	 * goes on once the connection is established. */
	if (outbound && c->syncnt && (c->override || !syn_retries_set(tp)))
		sockops_set(s, SOL_TCP, TCP_SYNCNT, c->syncnt);
	ut = ut_in_force(c, st);
	if (ut && !(own & KK_OWN_UT)) {
		if (outbound && c->syncnt)
			st->ut_pending = 1;
		else
			sockops_set(s, SOL_TCP, TCP_USER_TIMEOUT, ut);
	}
	st->configured = 1;
}

static __always_inline void remember_tuple(const struct bpf_sock_ops *s,
					   struct kk_sk *st)
{
	st->family = s->family;
	local_of(s, st->laddr);
	remote_of(s, st->raddr);
	st->lport = s->local_port;
	st->rport = bpf_ntohl(s->remote_port);
	st->established = 1;
}

static __always_inline void on_connect(struct bpf_sock_ops *s,
				       const struct kk_cfg *c, struct kk_sk *st,
				       struct tcp_sock *tp)
{
	__u32 ra[4];
	__u64 id = bpf_get_current_pid_tgid();

	st->born_ns = bpf_ktime_get_ns();
	st->pid = id >> 32;
	bpf_get_current_comm(st->comm, sizeof(st->comm));
	if (!(c->direction & KK_DIR_OUT))
		return;
	remote_of(s, ra);
	if (!port_selected(c, bpf_ntohl(s->remote_port)) ||
	    !net_selected(c, s->family, ra))
		return;
	st->dir = KK_DIR_OUT;
	configure(s, c, st, tp, 1);
}

static __always_inline void on_active_established(struct bpf_sock_ops *s,
						  const struct kk_cfg *c,
						  struct kk_sk *st)
{
	remember_tuple(s, st);
	if (!st->ut_pending)
		return;
	st->ut_pending = 0;
	if (!(st->own & KK_OWN_UT) || c->override)
		sockops_set(s, SOL_TCP, TCP_USER_TIMEOUT, ut_in_force(c, st));
}

static __always_inline void on_passive_established(struct bpf_sock_ops *s,
						   const struct kk_cfg *c,
						   struct kk_sk *st,
						   struct tcp_sock *tp)
{
	__u32 ra[4];

	st->born_ns = bpf_ktime_get_ns();
	st->pid = 0;            /* softirq: no process to name */
	st->comm[0] = '\0';
	st->configured = 0;
	st->dir = 0;
	remember_tuple(s, st);
	if (!(c->direction & KK_DIR_IN))
		return;
	remote_of(s, ra);
	if (!port_selected(c, s->local_port) || !net_selected(c, s->family, ra))
		return;
	st->dir = KK_DIR_IN;
	configure(s, c, st, tp, 0);
}

SEC("sockops")
int kk_sockops(struct bpf_sock_ops *s)
{
	struct kk_cfg *c;
	struct kk_sk *st;
	struct bpf_sock *sk;
	struct tcp_sock *tp;

	if (s->op != BPF_SOCK_OPS_TCP_CONNECT_CB &&
	    s->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB &&
	    s->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		return 1;
	if (s->family != AF_INET && s->family != AF_INET6)
		return 1;
	sk = s->sk;
	c = config();
	if (!sk || !c)
		return 1;
	st = bpf_sk_storage_get(&kk_sks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		return 1;
	tp = bpf_skc_to_tcp_sock(sk);
	if (s->op == BPF_SOCK_OPS_TCP_CONNECT_CB)
		on_connect(s, c, st, tp);
	else if (s->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		on_active_established(s, c, st);
	else
		on_passive_established(s, c, st, tp);
	return 1;
}

/* ---- the program's own setsockopt() ------------------------------------ */

static __always_inline __u8 option_bit(int level, int name)
{
	if (level == SOL_SOCKET)
		return name == SO_KEEPALIVE ? KK_OWN_KEEPALIVE : 0;
	if (level != SOL_TCP)
		return 0;
	switch (name) {
	case TCP_KEEPIDLE: return KK_OWN_IDLE;
	case TCP_KEEPINTVL: return KK_OWN_INTVL;
	case TCP_KEEPCNT: return KK_OWN_CNT;
	case TCP_USER_TIMEOUT: return KK_OWN_UT;
	}
	return 0;
}

/* kashim's value for the option the program is setting (override). */
static __always_inline int kashim_value(const struct kk_cfg *c, __u8 bit,
					int theirs)
{
	switch (bit) {
	case KK_OWN_KEEPALIVE: return 1;
	case KK_OWN_IDLE: return c->idle;
	case KK_OWN_INTVL: return c->intvl;
	case KK_OWN_CNT: return c->cnt;
	}
	if (c->user_timeout == KK_UT_AUTO)
		return auto_ut(c->idle, c->intvl, c->cnt);
	return c->user_timeout ? c->user_timeout : theirs;
}

SEC("cgroup/setsockopt")
int kk_setsockopt(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	int *val = ctx->optval;
	struct kk_cfg *c;
	struct kk_sk *st;
	__u32 ut;
	__u8 bit;

	if (!sk || sk->protocol != IPPROTO_TCP || sk->type != SOCK_STREAM ||
	    (sk->family != AF_INET && sk->family != AF_INET6))
		return 1;
	bit = option_bit(ctx->level, ctx->optname);
	if (!bit || ctx->optlen < (int)sizeof(int) ||
	    (void *)(val + 1) > ctx->optval_end)
		return 1;
	c = config();
	st = bpf_sk_storage_get(&kk_sks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!c || !st)
		return 1;
	if (st->configured && c->override) {
		*val = kashim_value(c, bit, *val);
		return 1;
	}
	st->own |= bit;
	if (bit == KK_OWN_IDLE)
		st->idle = *val;
	else if (bit == KK_OWN_INTVL)
		st->intvl = *val;
	else if (bit == KK_OWN_CNT)
		st->cnt = *val;
	else
		return 1;
	/* The auto user timeout follows the values in force. */
	if (!st->configured || c->user_timeout != KK_UT_AUTO ||
	    (st->own & KK_OWN_UT) || st->ut_pending)
		return 1;
	ut = auto_ut(st->idle, st->intvl, st->cnt);
	bpf_setsockopt(sk, SOL_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
	return 1;
}

/* ---- dead peers ------------------------------------------------------ */

SEC("tp_btf/inet_sk_error_report")
int BPF_PROG(kk_report, struct sock *sk)
{
	struct kk_event ev = {};
	struct tcp_sock *tp;
	struct kk_sk *st;

	st = bpf_sk_storage_get(&kk_sks, sk, 0, 0);
	if (!st || !st->configured || !st->established || st->logged)
		return 0;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return 0;
	/* An ICMP error on a live connection reports too; a death has put
	 * the socket in TCP_CLOSE first (tcp_done_with_error). */
	if (sk->__sk_common.skc_state != TCP_CLOSE)
		return 0;
	st->logged = 1;
	ev.age_ns = bpf_ktime_get_ns() - st->born_ns;
	ev.ino = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	ev.pid = st->pid;
	ev.err = sk->sk_err;
	ev.probes = tp->inet_conn.icsk_probes_out;
	ev.retransmits = tp->inet_conn.icsk_retransmits;
	ev.snd_wnd = tp->snd_wnd;
	ev.cnt = st->cnt;
	ev.user_timeout = tp->inet_conn.icsk_user_timeout;
	ev.dir = st->dir;
	ev.family = st->family;
	ev.lport = st->lport;
	ev.rport = st->rport;
	__builtin_memcpy(ev.laddr, st->laddr, sizeof(ev.laddr));
	__builtin_memcpy(ev.raddr, st->raddr, sizeof(ev.raddr));
	__builtin_memcpy(ev.comm, st->comm, sizeof(ev.comm));
	bpf_ringbuf_output(&kk_events, &ev, sizeof(ev), 0);
	return 0;
}
