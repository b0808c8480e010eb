/* kashim kernel mode — settings and attachments (kk.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kashim.skel.h"
#include "kk.h"

/* ---- settings ---------------------------------------------------------- */

static const char *env_get(const char *name)
{
	return getenv(name);
}

static void warn_stderr(const char *line, void *ctx)
{
	(void)ctx; /* unused */
	fprintf(stderr, "%s\n", line);
}

void kk_load_config(struct kashim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	kashim_config_load(cfg, env_get, getauxval(AT_SECURE) != 0,
			   warn_stderr, NULL);
}

/* Prefix bits → the net and mask words the BPF side compares. */
static void net_from(struct kk_net *n, const struct kashim_net_prefix *p)
{
	uint8_t mask[16] = { 0 };
	unsigned i, len = p->family == AF_INET ? 4 : 16;

	for (i = 0; i < len && i * 8 < p->bits; i++)
		mask[i] = p->bits - i * 8 >= 8 ? 0xff
					       : (uint8_t)(0xff << (8 - (p->bits - i * 8)));
	n->family = p->family;
	memcpy(n->mask, mask, sizeof(n->mask));
	memset(n->net, 0, sizeof(n->net));
	memcpy(n->net, p->addr, len);
	for (i = 0; i < 4; i++)
		n->net[i] &= n->mask[i];
}

void kk_cfg_from(struct kk_cfg *kc, const struct kashim_config *cfg)
{
	const char *v;
	int i;

	memset(kc, 0, sizeof(*kc));
	kc->idle = (uint32_t)cfg->idle;
	kc->intvl = (uint32_t)cfg->intvl;
	kc->cnt = (uint32_t)cfg->cnt;
	kc->user_timeout = cfg->user_timeout == KASHIM_UT_AUTO
				   ? KK_UT_AUTO : (int32_t)cfg->user_timeout;
	kc->syncnt = (uint32_t)cfg->syncnt;
	kc->direction = (uint32_t)cfg->direction;
	kc->override = (uint32_t)cfg->override;
	kc->ports_exclude = cfg->ports.exclude;
	kc->ports_n = cfg->ports.n;
	for (i = 0; i < cfg->ports.n && i < KK_MAX_ITEMS; i++) {
		kc->ports[i].lo = cfg->ports.r[i].lo;
		kc->ports[i].hi = cfg->ports.r[i].hi;
	}
	kc->nets_exclude = cfg->nets.exclude;
	kc->nets_n = cfg->nets.n;
	for (i = 0; i < cfg->nets.n && i < KK_MAX_ITEMS; i++)
		net_from(&kc->nets[i], &cfg->nets.p[i]);
	kc->attached = (uint64_t)time(NULL);
	/* The lists as given, for `kashim list` (validated above). */
	v = getenv("KASHIM_PORTS");
	kk_fmt(kc->env, sizeof(kc->env), "ports=%s nets=%s",
		 cfg->ports.n && v ? v : "all",
		 cfg->nets.n && getenv("KASHIM_NETS") ? getenv("KASHIM_NETS")
						      : "all");
}

void kk_fmt_settings(const struct kk_cfg *kc, char *buf, size_t cap)
{
	char ut[24];
	static const char *const dirs[] = { "none", "out", "in", "both" };

	if (kc->user_timeout == KK_UT_AUTO)
		kk_fmt(ut, sizeof(ut), "auto");
	else
		kk_fmt(ut, sizeof(ut), "%d", kc->user_timeout);
	kk_fmt(buf, cap,
		 "idle=%u intvl=%u cnt=%u user_timeout=%s syncnt=%u "
		 "direction=%s %.*s override=%u",
		 kc->idle, kc->intvl, kc->cnt, ut, kc->syncnt,
		 dirs[kc->direction & 3], (int)sizeof(kc->env), kc->env,
		 kc->override);
}

/* ---- loading and attaching --------------------------------------------- */

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	const char *debug = getenv("KASHIM_DEBUG");

	if (level != LIBBPF_WARN || !debug || strcmp(debug, "1") != 0)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static struct bpf_link *attach_cg(struct bpf_program *p, int cgfd,
				  const char *what)
{
	struct bpf_link *l = bpf_program__attach_cgroup(p, cgfd);

	if (!l)
		kk_err("cannot attach the %s program to the cgroup: %s", what,
		       strerror(errno));
	return l;
}

int kk_inst_attach(struct kk_inst *in, const struct kk_cfg *kc, int cgfd)
{
	uint32_t zero = 0;
	int err;

	memset(in, 0, sizeof(*in));
	libbpf_set_print(libbpf_quiet);
	in->skel = kashim_bpf__open();
	if (!in->skel) {
		kk_err("cannot open kashim's BPF object: %s", strerror(errno));
		return -1;
	}
	err = kashim_bpf__load(in->skel);
	if (err) {
		kk_err("the kernel refused kashim's BPF programs (%s); kernel "
		       "mode needs Linux 6.0 or newer with BTF "
		       "(KASHIM_DEBUG=1 shows the verifier's log)",
		       strerror(-err));
		goto fail;
	}
	if (bpf_map_update_elem(bpf_map__fd(in->skel->maps.kk_config), &zero,
				kc, BPF_ANY) != 0) {
		kk_err("cannot write the settings map: %s", strerror(errno));
		goto fail;
	}
	in->report = bpf_program__attach_trace(in->skel->progs.kk_report);
	if (!in->report) {
		kk_err("cannot attach to tp_btf/inet_sk_error_report: %s",
		       strerror(errno));
		goto fail;
	}
	in->sockopt = attach_cg(in->skel->progs.kk_setsockopt, cgfd,
				"setsockopt");
	if (!in->sockopt)
		goto fail;
	in->ops = attach_cg(in->skel->progs.kk_sockops, cgfd, "sock_ops");
	if (!in->ops)
		goto fail;
	return 0;
fail:
	kk_inst_close(in);
	return -1;
}

void kk_inst_close(struct kk_inst *in)
{
	/* sock_ops first: from then on no socket is configured. */
	bpf_link__destroy(in->ops);
	bpf_link__destroy(in->sockopt);
	bpf_link__destroy(in->report);
	kashim_bpf__destroy(in->skel);
	memset(in, 0, sizeof(*in));
}

int kk_inst_events_fd(const struct kk_inst *in)
{
	return bpf_map__fd(in->skel->maps.kk_events);
}

static int pin_link(struct bpf_link *l, const char *dir, const char *name)
{
	char p[KK_PATH_MAX + 32];

	kk_fmt(p, sizeof(p), "%s/%s", dir, name);
	return bpf_link__pin(l, p);
}

static int pin_map(struct bpf_map *m, const char *dir, const char *name)
{
	char p[KK_PATH_MAX + 32];

	kk_fmt(p, sizeof(p), "%s/%s", dir, name);
	return bpf_map__pin(m, p);
}

/* The attachment's own directory in kashim's.  That one goes with the
 * last detach, maybe between kk_bpffs_dir() and now: make it again. */
static int make_pin_dir(const char *dir)
{
	char parent[KK_PATH_MAX];

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != ENOENT || kk_parent_of(dir, parent, sizeof(parent)) != 0)
		return -1;
	if (mkdir(parent, 0700) != 0 && errno != EEXIST)
		return -1;
	return mkdir(dir, 0700);
}

int kk_inst_pin(struct kk_inst *in, const char *dir, int links)
{
	int err;

	if (make_pin_dir(dir) != 0) {
		kk_err("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	err = pin_map(in->skel->maps.kk_config, dir, "config");
	if (!err && links)
		err = pin_map(in->skel->maps.kk_events, dir, "events");
	if (!err && links)
		err = pin_link(in->ops, dir, "sock_ops");
	if (!err && links)
		err = pin_link(in->sockopt, dir, "setsockopt");
	if (!err && links)
		err = pin_link(in->report, dir, "error_report");
	if (err) {
		kk_err("cannot pin in %s: %s", dir, strerror(-err));
		kk_unpin_dir(dir);
		return -1;
	}
	return 0;
}

int kk_read_pinned(const char *dir, struct kk_cfg *kc)
{
	char p[KK_PATH_MAX + 32];
	uint32_t zero = 0;
	int fd, r;

	kk_fmt(p, sizeof(p), "%s/config", dir);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return -1;
	r = bpf_map_lookup_elem(fd, &zero, kc);
	close(fd);
	return r ? -1 : 0;
}
