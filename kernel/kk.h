/* kashim kernel mode — the loader's parts (kashim-kernel).
 *
 *   kk_sys.c     what the machine offers: privileges, kernel version,
 *                the cgroup v2 and bpffs mounts, cgroup directories
 *   kk_attach.c  settings from KASHIM_*, loading and attaching the BPF
 *                programs, the pinned attachments under bpffs
 *   kk_log.c     the dead-peer reader: ring buffer events to lines,
 *                written by the preload's own sinks (shim/sink.c)
 *   kashim-kernel.c  the subcommands
 *
 * Every failure is one line on stderr, "kashim-kernel: ...", and a
 * non-zero return; nothing is left half done.
 */
#ifndef KASHIM_KERNEL_KK_H
#define KASHIM_KERNEL_KK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "kashim_bpf.h"

#define KK_EXIT_ERR 1           /* cannot do its job */
#define KK_EXIT_USAGE 2

void kk_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* snprintf that says whether it all fit: 0, or -1 when cut. */
int kk_fmt(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- kk_sys.c ---------------------------------------------------------- */

/* Root, or the capabilities: CAP_SYS_ADMIN, or CAP_BPF + CAP_NET_ADMIN +
 * CAP_PERFMON.  0, or -1 after saying which is missing. */
int kk_check_privilege(void);
/* Kernel version and BTF.  0 or -1 (said). */
int kk_check_kernel(void);
/* The cgroup v2 mount point (from /proc/self/mounts) into buf.  0 or -1. */
int kk_cgroup2_root(char *buf, size_t cap);
/* kashim's directory in bpffs (mounting bpffs at /sys/fs/bpf when no
 * bpffs is mounted), created when create != 0.  0 or -1 (said). */
int kk_bpffs_dir(char *buf, size_t cap, int create);
/* A cgroup the user named: its real path inside the v2 mount, not the
 * root; *ino its id.  0 or -1 (said). */
int kk_resolve_cgroup(const char *given, char *buf, size_t cap,
		      uint64_t *ino);
/* The cgroup of a systemd unit (systemctl show -p ControlGroup). */
int kk_unit_cgroup(const char *unit, char *buf, size_t cap);
/* The same, saying nothing when there is none. */
int kk_unit_cgroup_quiet(const char *unit, char *buf, size_t cap);
/* The v2 cgroup this process is in, as a path under the mount. */
int kk_own_cgroup(char *buf, size_t cap);
/* Move every process of cgroup dir into dest, then rmdir dir (a few
 * tries while the last exits finish).  0 or -1. */
int kk_cgroup_remove(const char *dir, const char *dest);
/* Remove a bpffs directory and the pins in it, and kashim's directory
 * with the last of them.  0 or -1. */
int kk_unpin_dir(const char *dir);

/* The directory part of path (no trailing name) into buf.  0 or -1. */
int kk_parent_of(const char *path, char *buf, size_t cap);

/* ---- kk_attach.c ------------------------------------------------------- */

struct kashim_bpf;
struct bpf_link;

struct kk_inst {
	struct kashim_bpf *skel;
	struct bpf_link *ops, *sockopt, *report;
};

/* kashim_config_load() over the environment, warnings to stderr. */
void kk_load_config(struct kashim_config *cfg);
/* The BPF-side settings from cfg. */
void kk_cfg_from(struct kk_cfg *kc, const struct kashim_config *cfg);
/* Open, load and attach to the cgroup dir (fd cgfd).  0 or -1 (said);
 * on -1 nothing is attached. */
int kk_inst_attach(struct kk_inst *in, const struct kk_cfg *kc, int cgfd);
/* Pin the attachment's links and maps into dir (created).  0 or -1
 * (said; dir is removed again). */
int kk_inst_pin(struct kk_inst *in, const char *dir, int links);
/* Detach (links destroyed) and free. */
void kk_inst_close(struct kk_inst *in);
/* The ring buffer map's fd. */
int kk_inst_events_fd(const struct kk_inst *in);

/* Read the pinned settings of one attachment directory.  0 or -1. */
int kk_read_pinned(const char *dir, struct kk_cfg *kc);
/* One line of settings: "idle=60 intvl=10 ...". */
void kk_fmt_settings(const struct kk_cfg *kc, char *buf, size_t cap);

/* ---- kk_log.c ------------------------------------------------------- */

struct ring_buffer;

/* The reader's per-map context: the cgroup whose processes own the
 * sockets of that attachment. */
struct kk_reader {
	char cgroup[KK_PATH_MAX];
};

/* ring_buffer callback: one event → one line to the sink. */
int kk_on_event(void *ctx, void *data, size_t size);
/* kashim-kernel log [--cgroup PATH]: until SIGINT/SIGTERM. */
int kk_log_main(const char *only);

#endif
