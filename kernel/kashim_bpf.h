/* kashim kernel mode — what the BPF programs and their loader share.
 *
 * One struct kk_cfg is the settings of one attachment (the "cfg" array map,
 * one entry): the values kashim_config_load() parsed from KASHIM_*, turned
 * into what the BPF side can test cheaply (net masks precomputed), plus
 * bookkeeping that only the loader reads (which cgroup, which run).
 * One struct kk_event goes through the ring buffer per dead connection.
 * Both sides include this file: fixed-width types only.
 */
#ifndef KASHIM_KERNEL_BPF_H
#define KASHIM_KERNEL_BPF_H

#include <linux/types.h>

#define KK_MAX_ITEMS 64         /* = KASHIM_MAX_ITEMS in shim/config.h */
#define KK_PATH_MAX 512
#define KK_COMM 16

#define KK_UT_AUTO (-1)         /* KASHIM_USER_TIMEOUT=auto */

#define KK_DIR_OUT 1
#define KK_DIR_IN 2

/* Options the program set itself (struct kk_sk.own). */
#define KK_OWN_KEEPALIVE 0x01
#define KK_OWN_IDLE 0x02
#define KK_OWN_INTVL 0x04
#define KK_OWN_CNT 0x08
#define KK_OWN_UT 0x10

#define KK_KIND_ATTACH 1        /* kashim attach: pinned, stays */
#define KK_KIND_RUN 2           /* kashim --kernel: lives with its run */

struct kk_port {
	__u16 lo, hi;
};

/* An address matches when (addr & mask) == net, word by word (network
 * order); IPv4 uses word 0 only. */
struct kk_net {
	__u32 family;           /* AF_INET 2, AF_INET6 10 */
	__u32 net[4];
	__u32 mask[4];
};

struct kk_cfg {
	__u32 idle, intvl, cnt; /* seconds, seconds, probes */
	__s32 user_timeout;     /* KK_UT_AUTO, 0 (leave it) or ms */
	__u32 syncnt;           /* 0: leave it */
	__u32 direction;        /* KK_DIR_OUT | KK_DIR_IN */
	__u32 override;
	__u8 ports_exclude, ports_n, nets_exclude, nets_n;
	struct kk_port ports[KK_MAX_ITEMS];
	struct kk_net nets[KK_MAX_ITEMS];
	/* Bookkeeping, read by the loader only. */
	__u32 kind;             /* KK_KIND_* */
	__s32 owner;            /* pid of the kashim --kernel run */
	__u64 cgid;             /* the cgroup's inode number at attach */
	__u64 attached;         /* CLOCK_REALTIME seconds */
	char cgroup[KK_PATH_MAX];       /* absolute path of the cgroup */
	char unit[256];                 /* --unit NAME, or "" */
	char env[768];          /* the KASHIM_* settings, "K=V K=V" */
};

/* Per-socket state (socket storage). */
struct kk_sk {
	__u64 born_ns;          /* bpf_ktime_get_ns() at connect/establish */
	__u32 pid;              /* who connected, when known (else 0) */
	__u8 own;               /* KK_OWN_* */
	__u8 dir;               /* KK_DIR_*, 0 while undecided */
	__u8 configured;        /* kashim's options are on it */
	__u8 established;       /* the 4-tuple below is set */
	__u8 logged;
	__u8 family;
	__u8 ut_pending;        /* SYNCNT set: user timeout at establish */
	__u8 pad[3];
	__u32 idle, intvl, cnt; /* in force: the program's or kashim's */
	__u16 lport, rport;     /* host order */
	__u32 laddr[4], raddr[4];
	char comm[KK_COMM];
};

struct kk_event {
	__u64 age_ns;
	__u64 ino;              /* the socket's inode while a file holds it */
	__u32 pid;
	__s32 err;              /* sk_err: ETIMEDOUT, ECONNRESET, ... */
	__u32 probes;           /* icsk_probes_out */
	__u32 retransmits;      /* icsk_retransmits */
	__u32 snd_wnd;
	__u32 cnt;              /* TCP_KEEPCNT in force (0: the sysctl) */
	__u32 user_timeout;     /* ms, 0 = none */
	__u8 dir, family, pad[2];
	__u16 lport, rport;
	__u32 laddr[4], raddr[4];
	char comm[KK_COMM];
};

#endif
