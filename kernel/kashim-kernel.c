/* kashim-kernel — kashim's kernel mode: a BPF program on a cgroup.
 *
 *   kashim-kernel run -- COMMAND [ARG...]
 *   kashim-kernel attach --cgroup PATH | --unit NAME
 *   kashim-kernel detach --cgroup PATH | --unit NAME | --all
 *   kashim-kernel list
 *   kashim-kernel log [--cgroup PATH]
 *   kashim-kernel systemd UNIT
 *
 * Run by the wrapper (kashim --kernel, kashim attach, ...), which has
 * validated the common options and exported them as KASHIM_*; the
 * settings are read here with the library's own parser (shim/config.c).
 * See kashim-kernel(8).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "kk.h"
#include "sink.h"

static int usage(void)
{
	fputs("usage: kashim-kernel run -- COMMAND [ARG...]\n"
	      "       kashim-kernel attach --cgroup PATH | --unit NAME\n"
	      "       kashim-kernel detach --cgroup PATH | --unit NAME | --all\n"
	      "       kashim-kernel list\n"
	      "       kashim-kernel log [--cgroup PATH]\n"
	      "       kashim-kernel systemd UNIT\n", stderr);
	return KK_EXIT_USAGE;
}

static int checks(void)
{
	if (kk_check_privilege() != 0 || kk_check_kernel() != 0)
		return -1;
	return 0;
}

/* ---- options ----------------------------------------------------------- */

struct opts {
	const char *cgroup, *unit;
	int all;
};

static int parse_opts(int argc, char **argv, struct opts *o, int allow_all)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], **slot = NULL;
		size_t n = 0;

		if (strncmp(a, "--cgroup", 8) == 0)
			slot = &o->cgroup, n = 8;
		else if (strncmp(a, "--unit", 6) == 0)
			slot = &o->unit, n = 6;
		else if (allow_all && strcmp(a, "--all") == 0) {
			o->all = 1;
			continue;
		} else {
			kk_err("unknown argument '%s'", a);
			return -1;
		}
		if (a[n] == '=')
			*slot = a + n + 1;
		else if (a[n] == '\0' && i + 1 < argc)
			*slot = argv[++i];
		else {
			kk_err("option '%s' needs a value", a);
			return -1;
		}
	}
	if (!!o->cgroup + !!o->unit + o->all != 1) {
		kk_err("give exactly one of --cgroup PATH, --unit NAME%s",
		       allow_all ? ", --all" : "");
		return -1;
	}
	return 0;
}

/* The cgroup path the options name (not checked for existence). */
static int target_path(const struct opts *o, char *buf, size_t cap)
{
	if (o->unit)
		return kk_unit_cgroup(o->unit, buf, cap);
	if (kk_fmt(buf, cap, "%s", o->cgroup) != 0)
		return -1;
	return 0;
}

/* ---- attachments in bpffs -------------------------------------------- */

/* Is pid a live kashim-kernel (not a zombie, not a reused pid)? */
static int run_alive(pid_t pid)
{
	char p[64], buf[512], *rp;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return 0;
	kk_fmt(p, sizeof(p), "/proc/%ld/stat", (long)pid);
	f = fopen(p, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "PID (COMM) STATE ...": COMM may hold anything, so from the end. */
	rp = strrchr(buf, ')');
	if (!rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X')
		return 0;
	*rp = '\0';
	return strstr(buf, "(kashim-kernel") != NULL;
}

/* Is the attachment in dir gone stale: its run ended without cleaning up,
 * or its cgroup was removed (a restarted unit gets a new one)? */
static const char *state_of(const struct kk_cfg *kc, char *buf, size_t cap)
{
	struct stat st;

	if (kc->kind == KK_KIND_RUN) {
		if (run_alive(kc->owner))
			kk_fmt(buf, cap, "running pid=%d", kc->owner);
		else
			kk_fmt(buf, cap, "stale (run pid=%d gone)", kc->owner);
		return buf;
	}
	if (stat(kc->cgroup, &st) != 0 || (uint64_t)st.st_ino != kc->cgid)
		kk_fmt(buf, cap, "stale (cgroup gone)");
	else
		kk_fmt(buf, cap, "attached");
	return buf;
}

static int is_stale(const struct kk_cfg *kc)
{
	char s[64];

	return strncmp(state_of(kc, s, sizeof(s)), "stale", 5) == 0;
}

/* Remove one attachment: its pins (which detaches it) and, for a run
 * that a SIGKILL left behind, its cgroup. */
static int remove_inst(const char *dir, const struct kk_cfg *kc)
{
	char parent[KK_PATH_MAX];
	int r = 0;

	if (kc->kind == KK_KIND_RUN)
		r = kk_parent_of(kc->cgroup, parent, sizeof(parent)) != 0 ? -1 :
		    kk_cgroup_remove(kc->cgroup, parent);
	if (kk_unpin_dir(dir) != 0)
		r = -1;
	return r;
}

typedef int (*inst_fn)(const char *dir, const struct kk_cfg *kc, void *ctx);

static int each_inst(const char *base, inst_fn fn, void *ctx)
{
	struct dirent **list;
	char dir[KK_PATH_MAX];
	struct kk_cfg kc;
	int i, n, r = 0;

	n = scandir(base, &list, NULL, alphasort);
	if (n < 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.') {
			kk_fmt(dir, sizeof(dir), "%s/%s", base,
				 list[i]->d_name);
			if (kk_read_pinned(dir, &kc) == 0)
				r |= fn(dir, &kc, ctx);
		}
		free(list[i]);
	}
	free(list);
	return r;
}

/* ---- attach ---------------------------------------------------------- */

struct match {
	const char *path;
	int found, failed;
};

static int drop_same_path(const char *dir, const struct kk_cfg *kc, void *ctx)
{
	struct match *m = ctx;

	if (strcmp(kc->cgroup, m->path) != 0)
		return 0;
	m->found++;
	if (remove_inst(dir, kc) != 0)
		m->failed = 1;
	return 0;
}

static int do_attach(int argc, char **argv)
{
	struct kashim_config cfg;
	struct kk_cfg kc;
	struct kk_inst in;
	struct opts o;
	struct match m;
	char given[KK_PATH_MAX], path[KK_PATH_MAX], base[KK_PATH_MAX],
	     dir[KK_PATH_MAX + 32];
	uint64_t ino;
	int cgfd;

	if (parse_opts(argc, argv, &o, 0) != 0)
		return KK_EXIT_USAGE;
	kk_load_config(&cfg);
	if (checks() != 0 || target_path(&o, given, sizeof(given)) != 0 ||
	    kk_resolve_cgroup(given, path, sizeof(path), &ino) != 0 ||
	    kk_bpffs_dir(base, sizeof(base), 1) != 0)
		return KK_EXIT_ERR;
	kk_fmt(dir, sizeof(dir), "%s/cg%llu", base, (unsigned long long)ino);
	if (access(dir, F_OK) == 0) {
		kk_err("%s is already covered (%s); detach it first", path, dir);
		return KK_EXIT_ERR;
	}
	/* A unit restarted gets a new cgroup at the same path: what was
	 * attached to the old one is stale, and replaced. */
	m.path = path;
	m.found = m.failed = 0;
	each_inst(base, drop_same_path, &m);
	if (m.failed)
		return KK_EXIT_ERR;
	kk_cfg_from(&kc, &cfg);
	kc.kind = KK_KIND_ATTACH;
	kc.cgid = ino;
	kk_fmt(kc.cgroup, sizeof(kc.cgroup), "%s", path);
	kk_fmt(kc.unit, sizeof(kc.unit), "%s", o.unit ? o.unit : "");
	cgfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		kk_err("cannot open %s: %s", path, strerror(errno));
		return KK_EXIT_ERR;
	}
	if (kk_inst_attach(&in, &kc, cgfd) != 0) {
		close(cgfd);
		return KK_EXIT_ERR;
	}
	close(cgfd);
	if (kk_inst_pin(&in, dir, 1) != 0) {
		kk_inst_close(&in);
		return KK_EXIT_ERR;
	}
	kk_inst_close(&in);     /* the pins keep it attached */
	printf("kashim: covering %s (%s)\n", path, dir);
	return 0;
}

/* ---- detach -------------------------------------------------------- */

struct detach_ctx {
	const char *path;       /* NULL: --all */
	const char *unit;       /* --unit whose cgroup is gone: by name */
	int found, failed, live_runs;
};

static int detach_one(const char *dir, const struct kk_cfg *kc, void *ctx)
{
	struct detach_ctx *d = ctx;

	if (d->unit && strcmp(kc->unit, d->unit) != 0)
		return 0;
	if (!d->unit && d->path && strcmp(kc->cgroup, d->path) != 0)
		return 0;
	if (kc->kind == KK_KIND_RUN && !is_stale(kc)) {
		d->live_runs++;   /* its own command removes it */
		return 0;
	}
	d->found++;
	if (remove_inst(dir, kc) != 0)
		d->failed = 1;
	else
		printf("kashim: detached %s (%s)\n", kc->cgroup, dir);
	return 0;
}

static int do_detach(int argc, char **argv)
{
	struct detach_ctx d = { NULL, NULL, 0, 0, 0 };
	char given[KK_PATH_MAX], path[PATH_MAX], base[KK_PATH_MAX];
	struct opts o;

	if (parse_opts(argc, argv, &o, 1) != 0)
		return KK_EXIT_USAGE;
	if (kk_check_privilege() != 0)
		return KK_EXIT_ERR;
	if (o.unit && kk_unit_cgroup_quiet(o.unit, given, sizeof(given)) != 0) {
		/* The unit is stopped and its cgroup gone (ExecStopPost=
		 * may run late): what was attached for it, by its name. */
		d.unit = o.unit;
		kk_fmt(path, sizeof(path), "unit %s", o.unit);
	} else if (!o.all) {
		if (!o.unit && target_path(&o, given, sizeof(given)) != 0)
			return KK_EXIT_ERR;
		/* The cgroup may be gone already: match the path as given
		 * when it cannot be resolved. */
		if (!realpath(given, path))
			kk_fmt(path, sizeof(path), "%s", given);
		d.path = path;
	}
	if (kk_bpffs_dir(base, sizeof(base), 0) != 0)
		return o.all ? 0 : KK_EXIT_ERR;
	each_inst(base, detach_one, &d);
	if (d.failed)
		return KK_EXIT_ERR;
	if (!o.all && !d.found) {
		kk_err("nothing of kashim is attached to %s%s", path,
		       d.live_runs ? " (a kashim --kernel run owns it)" : "");
		return KK_EXIT_ERR;
	}
	return 0;
}

/* ---- list --------------------------------------------------------------- */

static int list_one(const char *dir, const struct kk_cfg *kc, void *ctx)
{
	char settings[1200], state[64], when[32];
	time_t t = (time_t)kc->attached;
	struct tm tm;

	(void)ctx; /* unused */
	kk_fmt_settings(kc, settings, sizeof(settings));
	if (!gmtime_r(&t, &tm) ||
	    !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		kk_fmt(when, sizeof(when), "?");
	printf("%s cgroup=%s%s%s %s since=%s pins=%s\n",
	       state_of(kc, state, sizeof(state)), kc->cgroup,
	       kc->unit[0] ? " unit=" : "", kc->unit, settings, when, dir);
	return 0;
}

static int do_list(int argc, char **argv)
{
	char base[KK_PATH_MAX];

	(void)argv; /* unused */
	if (argc > 0) {
		kk_err("list takes no arguments");
		return KK_EXIT_USAGE;
	}
	if (kk_check_privilege() != 0)
		return KK_EXIT_ERR;
	if (kk_bpffs_dir(base, sizeof(base), 0) != 0)
		return 0;       /* no bpffs: nothing attached */
	each_inst(base, list_one, NULL);
	return 0;
}

/* ---- log ----------------------------------------------------------------- */

static int do_log(int argc, char **argv)
{
	char path[PATH_MAX];
	const char *only = NULL;

	if (argc == 2 && strcmp(argv[0], "--cgroup") == 0)
		only = argv[1];
	else if (argc == 1 && strncmp(argv[0], "--cgroup=", 9) == 0)
		only = argv[0] + 9;
	else if (argc != 0) {
		kk_err("log takes only --cgroup PATH");
		return KK_EXIT_USAGE;
	}
	if (only && realpath(only, path))
		only = path;
	return kk_log_main(only);
}

/* ---- systemd ------------------------------------------------------------- */

/* The settings in force, as an env(1) prefix for ExecStartPre=. */
static void env_words(char *buf, size_t cap)
{
	static const char *const names[] = {
		"KASHIM_IDLE", "KASHIM_INTVL", "KASHIM_CNT",
		"KASHIM_USER_TIMEOUT", "KASHIM_SYNCNT", "KASHIM_DIRECTION",
		"KASHIM_PORTS", "KASHIM_NETS", "KASHIM_OVERRIDE", "KASHIM_LOG",
	};
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(names[i]);

		/* Validated values have no blank, quote or '%'. */
		if (v && *v && !strpbrk(v, " \t\"'\\%$") && len < cap)
			len += (size_t)snprintf(buf + len, cap - len, " %s=%s",
						names[i], v);
	}
}

static int do_systemd(int argc, char **argv)
{
	struct kashim_config cfg;
	char self[PATH_MAX], env[1024];
	ssize_t n;
	const char *unit;

	if (argc != 1) {
		kk_err("systemd takes one UNIT");
		return KK_EXIT_USAGE;
	}
	unit = argv[0];
	if (strspn(unit, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789:_.@\\-") != strlen(unit) || !*unit) {
		kk_err("'%s' is not a unit name", unit);
		return KK_EXIT_USAGE;
	}
	kk_load_config(&cfg);   /* the same warnings as at attach time */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		kk_err("cannot find my own path: %s", strerror(errno));
		return KK_EXIT_ERR;
	}
	self[n] = '\0';
	env_words(env, sizeof(env));
	printf("# kashim kernel mode for %s: every TCP socket of the unit's\n"
	       "# processes, whatever they are written in.  Save as\n"
	       "# /etc/systemd/system/%s.d/kashim.conf, then run:\n"
	       "#   systemctl daemon-reload && systemctl restart %s\n"
	       "# ExecStartPre= runs in the unit's new cgroup at every start,\n"
	       "# so each restart is covered; '+' gives it root.  Dead-peer\n"
	       "# lines: run 'kashim log' (e.g. as a service of its own).\n"
	       "[Service]\n"
	       "ExecStartPre=+/usr/bin/env%s %s attach --unit %s\n"
	       "ExecStopPost=+%s detach --unit %s\n",
	       unit, unit, unit, env, self, unit, self, unit);
	return 0;
}

/* ---- run ------------------------------------------------------------------ */

struct run {
	char cgroup[KK_PATH_MAX], parent[KK_PATH_MAX], pins[KK_PATH_MAX + 32];
	struct kk_inst in;
	struct ring_buffer *rb;
	struct kk_reader reader;
	int have_inst;
};

static int make_run_cgroup(struct run *r)
{
	char root[KK_PATH_MAX], own[KK_PATH_MAX];

	if (kk_cgroup2_root(root, sizeof(root)) != 0)
		return -1;
	if (kk_own_cgroup(own, sizeof(own)) != 0) {
		kk_err("cannot find this process's cgroup v2 in /proc/self/cgroup");
		return -1;
	}
	if (strcmp(own, "/") == 0)
		own[0] = '\0';
	kk_fmt(r->parent, sizeof(r->parent), "%s%s", root, own);
	if (kk_fmt(r->cgroup, sizeof(r->cgroup), "%s/kashim-run-%ld",
		   r->parent, (long)getpid()) != 0) {
		kk_err("cgroup path too long: %s", r->parent);
		r->cgroup[0] = '\0';
		return -1;
	}
	if (mkdir(r->cgroup, 0755) != 0) {
		kk_err("cannot create cgroup %s: %s", r->cgroup, strerror(errno));
		r->cgroup[0] = '\0';
		return -1;
	}
	return 0;
}

static void run_cleanup(struct run *r)
{
	if (r->rb) {
		ring_buffer__consume(r->rb);
		ring_buffer__free(r->rb);
		r->rb = NULL;
	}
	if (r->have_inst)
		kk_inst_close(&r->in);
	r->have_inst = 0;
	if (r->cgroup[0])
		kk_cgroup_remove(r->cgroup, r->parent);
	if (r->pins[0])
		kk_unpin_dir(r->pins);
}

static int run_setup(struct run *r, const struct kashim_config *cfg)
{
	char base[KK_PATH_MAX];
	struct kk_cfg kc;
	struct stat st;
	int cgfd;

	if (kk_bpffs_dir(base, sizeof(base), 1) != 0 || make_run_cgroup(r) != 0)
		return -1;
	kk_cfg_from(&kc, cfg);
	kc.kind = KK_KIND_RUN;
	kc.owner = (int32_t)getpid();
	if (stat(r->cgroup, &st) == 0)
		kc.cgid = st.st_ino;
	kk_fmt(kc.cgroup, sizeof(kc.cgroup), "%s", r->cgroup);
	cgfd = open(r->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0 || kk_inst_attach(&r->in, &kc, cgfd) != 0) {
		if (cgfd >= 0)
			close(cgfd);
		return -1;
	}
	close(cgfd);
	r->have_inst = 1;
	/* Only the settings are pinned: the links live with this process
	 * (a SIGKILL detaches them), the pin is what `kashim list` finds. */
	kk_fmt(r->pins, sizeof(r->pins), "%s/run%ld", base, (long)getpid());
	if (kk_inst_pin(&r->in, r->pins, 0) != 0) {
		r->pins[0] = '\0';
		return -1;
	}
	if (cfg->sink != KASHIM_SINK_OFF) {
		kashim_sink_init(cfg->sink, cfg->log_path, NULL);
		kk_fmt(r->reader.cgroup, sizeof(r->reader.cgroup), "%s",
			 r->cgroup);
		r->rb = ring_buffer__new(kk_inst_events_fd(&r->in), kk_on_event,
					 &r->reader, NULL);
		if (!r->rb) {
			kk_err("cannot read the dead-peer events: %s",
			       strerror(errno));
			return -1;
		}
	}
	return 0;
}

static const int fwd_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
				SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP, SIGTTIN,
				SIGTTOU, SIGALRM, SIGPIPE };

static void fwd_set(sigset_t *s)
{
	size_t i;

	sigemptyset(s);
	for (i = 0; i < sizeof(fwd_sigs) / sizeof(fwd_sigs[0]); i++)
		sigaddset(s, fwd_sigs[i]);
}

/* The child: into the cgroup, the caller's signal mask back, exec. */
static void run_child(const struct run *r, char **argv, const sigset_t *old)
{
	char p[KK_PATH_MAX + 16];
	int fd;

	kk_fmt(p, sizeof(p), "%s/cgroup.procs", r->cgroup);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0\n", 2) != 2) {
		kk_err("cannot enter cgroup %s: %s", r->cgroup, strerror(errno));
		_exit(126);
	}
	close(fd);
	/* The kernel-mode reader writes the dead-peer lines: a preload in
	 * the command (kashim inside kashim --kernel) keeps quiet, so each
	 * death gives one line. */
	unsetenv("KASHIM_LOG");
	sigprocmask(SIG_SETMASK, old, NULL);
	execvp(argv[0], argv);
	kk_err("cannot run %s: %s", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Wait for the child, passing on the signals sent to this process. */
static int run_wait(struct run *r, pid_t child, int sfd)
{
	int pfd = (int)syscall(SYS_pidfd_open, child, 0), status = 0;
	struct pollfd fds[3];
	nfds_t n = 2;

	fds[0].fd = sfd;
	fds[1].fd = pfd;
	fds[2].fd = r->rb ? ring_buffer__epoll_fd(r->rb) : -1;
	if (r->rb)
		n = 3;
	for (int i = 0; i < 3; i++)
		fds[i].events = POLLIN;
	for (;;) {
		struct signalfd_siginfo si;

		if (poll(fds, n, pfd < 0 ? 100 : -1) < 0 && errno != EINTR)
			break;
		if (r->rb)
			ring_buffer__consume(r->rb);
		/* Sent by a process (kill, sigqueue: code <= 0): pass it
		 * on.  The kernel's own (a terminal's ^C, ^\, a window
		 * change, a SIGPIPE of this process) reached the command's
		 * process group already, or is not the command's. */
		while (read(sfd, &si, sizeof(si)) == sizeof(si))
			if (si.ssi_code <= 0)
				kill(child, (int)si.ssi_signo);
		if (waitpid(child, &status, WNOHANG) == child)
			break;
	}
	if (pfd >= 0)
		close(pfd);
	return status;
}

static int do_run(int argc, char **argv)
{
	static struct run r;
	struct kashim_config cfg;
	sigset_t fwd, old;
	pid_t child;
	int sfd, status;

	if (argc > 0 && strcmp(argv[0], "--") == 0)
		argc--, argv++;
	if (argc < 1) {
		kk_err("run: no COMMAND given");
		return KK_EXIT_USAGE;
	}
	kk_load_config(&cfg);
	if (cfg.disable) {      /* KASHIM_DISABLE=1: kashim does nothing */
		execvp(argv[0], argv);
		kk_err("cannot run %s: %s", argv[0], strerror(errno));
		return errno == ENOENT ? 127 : 126;
	}
	if (checks() != 0)
		return KK_EXIT_ERR;
	fwd_set(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, &old);
	sfd = signalfd(-1, &fwd, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0 || run_setup(&r, &cfg) != 0) {
		run_cleanup(&r);
		return KK_EXIT_ERR;
	}
	child = fork();
	if (child == 0)
		run_child(&r, argv, &old);
	if (child < 0) {
		kk_err("fork: %s", strerror(errno));
		run_cleanup(&r);
		return KK_EXIT_ERR;
	}
	status = run_wait(&r, child, sfd);
	run_cleanup(&r);
	close(sfd);
	if (WIFSIGNALED(status)) {
		/* Die of the same signal, as a shell would report it. */
		int sig = WTERMSIG(status);

		signal(sig, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		sigdelset(&old, sig);
		kill(getpid(), sig);
		sigsuspend(&old);
		return 128 + sig;
	}
	return WEXITSTATUS(status);
}

/* ---- main -------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "run", do_run }, { "attach", do_attach },
		{ "detach", do_detach }, { "list", do_list },
		{ "log", do_log }, { "systemd", do_systemd },
	};
	size_t i;

	if (argc < 2)
		return usage();
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 2, argv + 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage();
		return 0;
	}
	kk_err("unknown subcommand '%s'", argv[1]);
	return usage();
}
