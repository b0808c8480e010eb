/* kashim — kernel mode: build/kashim-kernel puts kashim's
 * options on the TCP sockets of a cgroup with BPF, whatever the program is
 * written in, and reports dead peers.
 *
 * Every case runs in its own network namespace on loopback, with
 * KASHIM_IDLE=1 INTVL=1 CNT=2 (theory: 3000 ms) unless it says otherwise.
 * Detection cases start the program twice: under `kashim-kernel run` (K)
 * and plainly, outside any kashim cgroup (P), both connected to a listener
 * of the test; the port is then dropped with nftables.  K must report
 * ETIMEDOUT within theory + MARGIN_MS and not before theory - EARLY_MS; P
 * must still be blocked then.  Each `run` makes and removes its own
 * cgroup; the attach cases make their own cgroups below the cgroup v2
 * mount and remove them, and what they attached, also when they fail
 * (atexit: a failing Check test exits).
 *
 * Every case needs root (it skips visibly without), the kernel features
 * kashim-kernel checks, and the programs in build/tests/progs/k*.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* snprintf that fails the test when the text does not fit. */
__attribute__((format(printf, 3, 4)))
static void pathf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	ck_assert_msg(n >= 0 && (size_t)n < cap, "path too long: %s", buf);
}

#define PORT_K 5555
#define PORT_P 5556
#define MARGIN_MS 2000
#define EARLY_MS 300
#define THEORY_MS 3000

/* ---- set-up and cleanup ---------------------------------------------- */

static char kk_path[PATH_MAX], cg_root[PATH_MAX];

static const char *kk_bin(void)
{
	char *slash;

	if (kk_path[0])
		return kk_path;
	/* build/tests/progs/X → build/kashim-kernel */
	snprintf(kk_path, sizeof(kk_path), "%s", kt_prog("x"));
	slash = strrchr(kk_path, '/');
	*slash = '\0';
	slash = strrchr(kk_path, '/');
	*slash = '\0';
	slash = strrchr(kk_path, '/');
	snprintf(slash, sizeof(kk_path) - (size_t)(slash - kk_path),
		 "/kashim-kernel");
	return kk_path;
}

static int find_cg_root(void)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char dev[256], dir[PATH_MAX], type[64];
	int r = -1;

	while (f && fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
		if (strcmp(type, "cgroup2") == 0) {
			snprintf(cg_root, sizeof(cg_root), "%s", dir);
			r = 0;
			break;
		}
	if (f)
		fclose(f);
	return r;
}

/* What a test starts and makes is written down in a file of the runner's
 * (the Check process that forks the tests): a failing test's process ends
 * at once (no atexit, no checked teardown), so the runner's unchecked
 * teardown, after each test case, ends what is left and removes it:
 *   run PID    a kashim-kernel run: SIGTERM (it passes it on and cleans
 *              up), then its process group killed, its cgroup emptied
 *              (cgroup.kill), detached and removed
 *   proc PID   another program: its process group killed
 *   cg PATH    a cgroup of the test: emptied, detached, removed
 *   file PATH  a log file: removed */
static void track_path(char *buf, size_t cap, long runner)
{
	pathf(buf, cap, "/tmp/kashim-check-kernel.%ld", runner);
}

static void track(const char *what, const char *arg)
{
	char p[PATH_MAX];
	FILE *f;

	track_path(p, sizeof(p), (long)getppid());
	f = fopen(p, "ae");
	ck_assert_msg(f != NULL, "%s: %s", p, strerror(errno));
	fprintf(f, "%s %s\n", what, arg);
	fclose(f);
}

static void track_pid(const char *what, pid_t pid)
{
	char s[24];

	snprintf(s, sizeof(s), "%ld", (long)pid);
	track(what, s);
}

/* Run argv (bounded), quietly; its exit status, or -1. */
static int quiet_run(const char *const *argv)
{
	struct kt_proc p;
	struct kt_env e;
	int r;

	kt_env_init(&e, 0);
	r = kt_run(&p, (char *const *)argv, e.v, NULL, 0, 15000);
	kt_proc_free(&p);
	kt_env_free(&e);
	return r;
}

static void empty_and_remove(const char *cg)
{
	char p[PATH_MAX];
	const char *argv[] = { kk_bin(), "detach", "--cgroup", cg, NULL };
	struct stat st;
	FILE *f;
	int i;

	if (stat(cg, &st) != 0)
		return;
	pathf(p, sizeof(p), "%s/cgroup.kill", cg);
	f = fopen(p, "we");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	quiet_run(argv);
	for (i = 0; i < 100 && rmdir(cg) != 0 && errno == EBUSY; i++)
		kt_sleep_ms(20);
}

static void gone_or_killed(pid_t pid, int wait_ms)
{
	long t0 = kt_now_ms();

	while (kill(pid, 0) == 0 && kt_now_ms() - t0 < wait_ms)
		kt_sleep_ms(20);
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

static void runner_cleanup(void)
{
	char p[PATH_MAX], what[16], arg[PATH_MAX];
	FILE *f;

	find_cg_root();
	track_path(p, sizeof(p), (long)getpid());
	f = fopen(p, "re");
	if (!f)
		return;
	while (fscanf(f, "%15s %4095s", what, arg) == 2) {
		pid_t pid = (pid_t)atol(arg);

		if (strcmp(what, "run") == 0) {
			char cg[PATH_MAX];

			if (kill(pid, SIGTERM) == 0)
				gone_or_killed(pid, 3000);
			pathf(cg, sizeof(cg), "%s/kashim-run-%ld", cg_root,
			      (long)pid);
			empty_and_remove(cg);
		} else if (strcmp(what, "proc") == 0) {
			gone_or_killed(pid, 0);
		} else if (strcmp(what, "cg") == 0) {
			empty_and_remove(arg);
		} else if (strcmp(what, "file") == 0) {
			unlink(arg);
		}
	}
	fclose(f);
	unlink(p);
}

/* Root, kashim-kernel built, cgroup v2 found, and a netns: else skip. */
#define KK_SETUP()							\
	do {								\
		if (geteuid() != 0) {					\
			kt_skip(__func__, "kernel mode needs root");	\
			return;						\
		}							\
		ck_assert_msg(access(kk_bin(), X_OK) == 0, "%s missing",\
			      kk_bin());				\
		ck_assert_msg(find_cg_root() == 0, "no cgroup v2");	\
		KT_NETNS();						\
	} while (0)

/* A cgroup of the test's own, below the v2 mount. */
static const char *new_cgroup(const char *name)
{
	static char paths[8][PATH_MAX];
	static int n;
	char *p = paths[n++ % 8];

	pathf(p, PATH_MAX, "%s/kashim-test-%ld-%s", cg_root, (long)getpid(),
	      name);
	track("cg", p);
	ck_assert_msg(mkdir(p, 0755) == 0, "mkdir %s: %s", p, strerror(errno));
	return p;
}

static void env_fast(struct kt_env *e)
{
	kt_env_init(e, 0);
	kt_env_add(e, "KASHIM_IDLE=1");
	kt_env_add(e, "KASHIM_INTVL=1");
	kt_env_add(e, "KASHIM_CNT=2");
}

/* argv: kashim-kernel run -- PROG ARGS (run != 0), or PROG ARGS. */
static void spawn(struct kt_proc *p, char *const envp[], int run,
		  const char *const *args)
{
	const char *argv[16];
	int n = 0, i;

	if (run) {
		argv[n++] = kk_bin();
		argv[n++] = "run";
		argv[n++] = "--";
	}
	for (i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	ck_assert_msg(kt_spawn(p, (char *const *)argv, envp, NULL, 0) == 0,
		      "spawn %s: %s", argv[0], strerror(errno));
	track_pid(run ? "run" : "proc", p->pid);
}

static void need_line(struct kt_proc *p, const char *who, const char *prefix,
		      int ms, char *line, size_t cap)
{
	ck_assert_msg(kt_wait_line(p, prefix, ms, line, cap) == 0,
		      "%s: no '%s' line within %d ms (%s); stdout: %s stderr: %s",
		      who, prefix, ms, kt_status_str(p), p->obuf, p->ebuf);
}

static int accept_one(int l)
{
	struct timeval tv = { 5, 0 };
	int fd;

	setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fd = accept(l, NULL, NULL);
	ck_assert_msg(fd >= 0, "accept: %s", strerror(errno));
	return fd;
}

static void drop_ports(const char *ports)
{
	char err[512];

	ck_assert_msg(kt_nft_drop_ports(ports, err, sizeof(err)) == 0,
		      "nft: %s", err);
}

/* The cgroup and the pin of the run with pid `run` are gone. */
static void assert_run_gone(pid_t run)
{
	char p[PATH_MAX];
	struct stat st;

	pathf(p, sizeof(p), "%s/kashim-run-%ld", cg_root, (long)run);
	ck_assert_msg(stat(p, &st) != 0, "%s left behind", p);
	snprintf(p, sizeof(p), "/sys/fs/bpf/kashim/run%ld", (long)run);
	ck_assert_msg(stat(p, &st) != 0, "%s left behind", p);
}

static long opt_of(const char *text, const char *key)
{
	return kt_kv_long(text, "opts", key, -999);
}

/* ---- detection, by kind of program ---------------------------------- */

struct dcase {
	const char *label;
	const char *host;
	const char *prog;       /* in build/tests/progs */
	const char *opt;        /* an option for the program, or NULL */
	int go;                 /* argument HOST:PORT */
	int server;             /* the program accepts; the test connects */
	const char *env;        /* one more KASHIM_* setting, or NULL */
	const char *wrap[6];    /* run the program through these first */
};

static void make_args(const struct dcase *c, int port, const char **args,
		      char *hp, size_t cap, char *ps)
{
	int n = 0, i;

	for (i = 0; c->wrap[i]; i++)
		args[n++] = c->wrap[i];
	args[n++] = c->prog[0] == '/' ? c->prog : kt_prog(c->prog);
	if (c->opt)
		args[n++] = c->opt;
	snprintf(ps, 8, "%d", port);
	if (c->go) {
		snprintf(hp, cap, c->host[0] == ':' ? "[%s]:%d" : "%s:%d",
			 c->host, port);
		args[n++] = hp;
	} else {
		args[n++] = c->host;
		args[n++] = ps;
	}
	args[n] = NULL;
}

static int connect_to(const char *host, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, host, &a->sin6_addr);
		a->sin6_port = htons((uint16_t)port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		inet_pton(AF_INET, host, &a->sin_addr);
		a->sin_port = htons((uint16_t)port);
		len = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	ck_assert_msg(connect(fd, (struct sockaddr *)&ss, len) == 0,
		      "connect %s:%d: %s", host, port, strerror(errno));
	return fd;
}

static void detect(const struct dcase *c)
{
	static struct kt_proc k, p;
	struct kt_env e;
	const char *ak[12], *ap[12];
	char hk[64], hp[64], pk[8], pp[8], line[512];
	int lk = -1, lp = -1, fk, fp, port;
	long t0, ms;
	pid_t run;

	env_fast(&e);
	if (c->env)
		kt_env_add(&e, "%s", c->env);
	make_args(c, PORT_K, ak, hk, sizeof(hk), pk);
	make_args(c, PORT_P, ap, hp, sizeof(hp), pp);
	if (!c->server) {
		lk = kt_listener(c->host, PORT_K, &port);
		lp = kt_listener(c->host, PORT_P, &port);
		ck_assert(lk >= 0 && lp >= 0);
	}
	spawn(&k, e.v, 1, ak);
	run = k.pid;
	spawn(&p, e.v, 0, ap);
	if (c->server) {
		need_line(&k, "K", "listening", 10000, NULL, 0);
		need_line(&p, "P", "listening", 10000, NULL, 0);
		fk = connect_to(c->host, PORT_K);
		fp = connect_to(c->host, PORT_P);
	} else {
		fk = accept_one(lk);
		fp = accept_one(lp);
	}
	need_line(&k, "K", "opts", 10000, line, sizeof(line));
	need_line(&p, "P", "opts", 10000, NULL, 0);
	if (!c->go) {
		ck_assert_msg(opt_of(k.obuf, "ka") == 1 &&
			      opt_of(k.obuf, "idle") == 1 &&
			      opt_of(k.obuf, "ut") == THEORY_MS,
			      "%s: kashim's options not on it: %s", c->label, line);
		ck_assert_msg(opt_of(p.obuf, "ka") == 0,
			      "%s: the plain copy got keepalive: %s", c->label,
			      p.obuf);
	}
	if (c->wrap[0])         /* the setuid case: it did run as root */
		ck_assert_msg(opt_of(k.obuf, "euid") == 0, "%s: %s", c->label,
			      k.obuf);
	drop_ports("5555, 5556");
	t0 = kt_now_ms();
	need_line(&k, "K", "dead", THEORY_MS + MARGIN_MS, line, sizeof(line));
	ms = kt_now_ms() - t0;
	printf("MEASURE: kernel mode %s: dead after %ld ms (theory %d): %s\n",
	       c->label, ms, THEORY_MS, line);
	ck_assert_msg(strstr(line, "err=ETIMEDOUT"), "%s: %s", c->label, line);
	ck_assert_msg(ms >= THEORY_MS - EARLY_MS, "%s: after %ld ms, before "
		      "IDLE + INTVL*CNT", c->label, ms);
	ck_assert_msg(kt_running(&p) && !strstr(p.obuf, "dead"),
		      "%s: the copy outside the cgroup is not stuck: %s",
		      c->label, p.obuf);
	ck_assert_msg(kt_wait(&k, 5000) == 0 && WIFEXITED(k.status) &&
		      WEXITSTATUS(k.status) == 0, "%s: run ended %s: %s",
		      c->label, kt_status_str(&k), k.ebuf);
	assert_run_gone(run);
	kt_kill(&p);
	close(fk);
	close(fp);
	if (lk >= 0)
		close(lk);
	if (lp >= 0)
		close(lp);
	kt_env_free(&e);
}

#define DCASE(name, ...)						\
	static const struct dcase c_##name = { __VA_ARGS__ };		\
	START_TEST(t_##name)						\
	{								\
		KK_SETUP();						\
		detect(&c_##name);					\
	}								\
	END_TEST

DCASE(dynamic, "dynamic C client", "127.0.0.1", "kclient", NULL, 0, 0, NULL,
      { NULL })
DCASE(static, "static C client", "127.0.0.1", "kclient_static", NULL, 0, 0,
      NULL, { NULL })
DCASE(syscall, "syscall(SYS_connect) client", "127.0.0.1", "kclient", "-s",
      0, 0, NULL, { NULL })
DCASE(uring, "io_uring client", "127.0.0.1", "kuring", NULL, 0, 0, NULL,
      { NULL })
/* Go's net.Dial sets 15 s idle and interval itself right after connect:
 * without override a dead peer takes (15 + 15*2) s (t_go_override checks
 * those values); with it, kashim's hold. */
DCASE(go, "Go net.Dial client, KASHIM_OVERRIDE=1", "127.0.0.1", "kgo", NULL,
      1, 0, "KASHIM_OVERRIDE=1", { NULL })
DCASE(server, "accepting server", "127.0.0.1", "kserver", NULL, 0, 1, NULL,
      { NULL })
DCASE(ipv6, "dynamic C client over ::1", "::1", "kclient", NULL, 0, 0, NULL,
      { NULL })

/* A setuid-root program run by an unprivileged user: the loader drops
 * LD_PRELOAD for it, the cgroup still covers it. */
START_TEST(t_setuid)
{
	char copy[PATH_MAX];
	struct dcase c = { "setuid program run by uid 65534", "127.0.0.1",
			   NULL, NULL, 0, 0, NULL, { "/usr/bin/setpriv", "--reuid=65534",
					       "--regid=65534", "--clear-groups",
					       NULL } };

	KK_SETUP();
	pathf(copy, sizeof(copy), "%s_setuid", kt_prog("kclient"));
	{
		const char *cp[] = { "/bin/cp", kt_prog("kclient"), copy, NULL };

		ck_assert(quiet_run(cp) == 0);
		ck_assert(chown(copy, 0, 0) == 0 && chmod(copy, 04755) == 0);
	}
	c.prog = copy;
	detect(&c);
	unlink(copy);
}
END_TEST

/* ---- the same rules as the preload ----------------------------------- */

/* Run PROG ARGS (NULL-terminated, after the program) under `run` with the
 * fast settings plus extra ("K=V" or NULL), the program connecting to a
 * listener of the test on PORT_K; returns its output (static). */
static const char *opts_of(const char *prog, const char *const *extra,
			   const char *const *pargs)
{
	static struct kt_proc k;
	static char out[4096];
	const char *args[16];
	char ps[8];
	struct kt_env e;
	int l, port, n = 0, i;

	env_fast(&e);
	for (i = 0; extra && extra[i]; i++)
		kt_env_add(&e, "%s", extra[i]);
	l = kt_listener("127.0.0.1", PORT_K, &port);
	ck_assert(l >= 0);
	args[n++] = kt_prog(prog);
	for (i = 0; pargs && pargs[i]; i++)
		args[n++] = pargs[i];
	snprintf(ps, sizeof(ps), "%d", PORT_K);
	if (strcmp(prog, "kgo") == 0) {
		static char hp[32];

		snprintf(hp, sizeof(hp), "127.0.0.1:%d", PORT_K);
		args[n++] = hp;
		args[n++] = "-q";
	} else {
		args[n++] = "-q";
		args[n++] = "127.0.0.1";
		args[n++] = ps;
	}
	args[n] = NULL;
	spawn(&k, e.v, 1, args);
	ck_assert_msg(kt_wait(&k, 15000) == 0, "run did not end: %s", k.ebuf);
	snprintf(out, sizeof(out), "%s%s", k.obuf, k.ebuf);
	ck_assert_msg(strstr(out, "opts "), "no options printed: %s", out);
	close(l);
	kt_env_free(&e);
	return out;
}

#define ASSERT_OPTS(out, ka, idle, intvl, cnt, ut)			\
	ck_assert_msg(opt_of(out, "ka") == (ka) &&			\
		      opt_of(out, "idle") == (idle) &&			\
		      opt_of(out, "intvl") == (intvl) &&		\
		      opt_of(out, "cnt") == (cnt) &&			\
		      opt_of(out, "ut") == (ut),			\
		      "expected ka=%d idle=%d intvl=%d cnt=%d ut=%d: %s",	\
		      ka, idle, intvl, cnt, ut, out)

/* The kernel's own values (no keepalive, the sysctl defaults). */
#define ASSERT_UNTOUCHED(out)						\
	ck_assert_msg(opt_of(out, "ka") == 0 && opt_of(out, "ut") == 0 &&	\
		      opt_of(out, "idle") == 7200, "touched: %s", out)

/* The accepted side of a connection the test makes to kserver. */
static const char *server_opts(const char *const *extra)
{
	static struct kt_proc k;
	static char out[4096];
	const char *args[] = { kt_prog("kserver"), "127.0.0.1", "5557", NULL };
	struct kt_env e;
	int fd;

	env_fast(&e);
	for (int i = 0; extra && extra[i]; i++)
		kt_env_add(&e, "%s", extra[i]);
	spawn(&k, e.v, 1, args);
	need_line(&k, "kserver", "listening", 10000, NULL, 0);
	fd = connect_to("127.0.0.1", 5557);
	need_line(&k, "kserver", "opts", 10000, NULL, 0);
	close(fd);
	ck_assert(kt_wait(&k, 10000) == 0);
	snprintf(out, sizeof(out), "%s", k.obuf);
	kt_env_free(&e);
	return out;
}

/* One connection's options: prog (kclient, kgo; kserver: the side it
 * accepts) run with env ("K=V" or NULL) and its own args, and what the
 * kernel must then say: the kernel's own values when untouched. */
struct opt_row {
	const char *prog, *env, *args[6];
	int untouched, ka, idle, intvl, cnt, ut;
};

#define OPTS(ka, idle, intvl, cnt, ut) 0, ka, idle, intvl, cnt, ut
#define UNTOUCHED 1, 0, 0, 0, 0, 0

/* One test a row of opt_cases: its connections, in order. */
static const struct {
	struct opt_row rows[6];       /* ends at the first without prog */
} opt_cases[] = {
	/* Before connect: its IDLE and INTVL win, CNT is kashim's, the auto
	 * user timeout follows the values in force: (7 + 3*2) * 1000. */
	{ {	/* own options win */
		{ "kclient", NULL, { "-o", "7,3,0" }, OPTS(1, 7, 3, 2, 13000) },
		{ "kclient", NULL, { "-o", "7,3,0", "-t", "5000" },
		  OPTS(1, 7, 3, 2, 5000) },
		{ "kclient", "KASHIM_OVERRIDE=1", { "-o", "7,3,0", "-t", "5000" },
		  OPTS(1, 1, 1, 2, 3000) } } },
	/* As Go's net.Dial does, in C: its values win, and the user timeout
	 * follows them: (15 + 15*2) * 1000.  Override: the cgroup setsockopt
	 * program puts kashim's back. */
	{ {	/* options after connect */
		{ "kclient", NULL, { "-a", "15,15" }, OPTS(1, 15, 15, 2, 45000) },
		{ "kclient", "KASHIM_OVERRIDE=1", { "-a", "15,15" },
		  OPTS(1, 1, 1, 2, 3000) } } },
	/* The real Go program: net.Dial sets SO_KEEPALIVE, TCP_KEEPINTVL and
	 * TCP_KEEPIDLE (15 s) right after connect. */
	{ {	/* go override */
		{ "kgo", NULL, { NULL }, OPTS(1, 15, 15, 2, 45000) },
		{ "kgo", "KASHIM_OVERRIDE=1", { NULL }, OPTS(1, 1, 1, 2, 3000) } } },
	{ {	/* user timeout values */
		{ "kclient", "KASHIM_USER_TIMEOUT=7000", { NULL },
		  OPTS(1, 1, 1, 2, 7000) },
		{ "kclient", "KASHIM_USER_TIMEOUT=0", { NULL },
		  OPTS(1, 1, 1, 2, 0) } } },
	{ {	/* filters */
		{ "kclient", "KASHIM_PORTS=!5555", { NULL }, UNTOUCHED },
		{ "kclient", "KASHIM_PORTS=22,5550-5560", { NULL },
		  OPTS(1, 1, 1, 2, 3000) },
		{ "kclient", "KASHIM_NETS=10.0.0.0/8,::1", { NULL }, UNTOUCHED },
		{ "kclient", "KASHIM_NETS=10.0.0.0/8,127.0.0.0/8", { NULL },
		  OPTS(1, 1, 1, 2, 3000) },
		{ "kclient", "KASHIM_NETS=!127.0.0.1", { NULL }, UNTOUCHED } } },
	{ {	/* direction */
		{ "kclient", "KASHIM_DIRECTION=in", { NULL }, UNTOUCHED },
		{ "kserver", "KASHIM_DIRECTION=in", { NULL },
		  OPTS(1, 1, 1, 2, 3000) },
		{ "kclient", "KASHIM_DIRECTION=out", { NULL },
		  OPTS(1, 1, 1, 2, 3000) },
		{ "kserver", "KASHIM_DIRECTION=out", { NULL }, UNTOUCHED } } },
};

START_TEST(t_options)
{
	KK_SETUP();
	for (const struct opt_row *r = opt_cases[_i].rows; r->prog; r++) {
		const char *extra[] = { r->env, NULL };
		const char *out = strcmp(r->prog, "kserver") == 0 ?
				  server_opts(extra) :
				  opts_of(r->prog, extra, r->args);

		if (r->untouched)
			ASSERT_UNTOUCHED(out);
		else
			ASSERT_OPTS(out, r->ka, r->idle, r->intvl, r->cnt,
				    r->ut);
	}
}
END_TEST

START_TEST(t_nontcp_untouched)
{
	const char *udp[] = { "-u", NULL };
	const char *ov[] = { "KASHIM_OVERRIDE=1", NULL };
	const char *out;

	KK_SETUP();
	out = opts_of("kclient", ov, udp);
	ck_assert_msg(kt_kv_long(out, "udp", "ka", -1) == 0, "%s", out);
}
END_TEST

/* KASHIM_SYNCNT: outbound only, and with it the SYN phase is bounded by
 * the SYN count, the user timeout going on once established.  IDLE 1,
 * INTVL 1, CNT 1: user timeout 2000 ms; SYNCNT 1: the SYN and one
 * retransmission, given up after 1 + 2 = 3 s. */
START_TEST(t_syncnt)
{
	static struct kt_proc k;
	const char *sync[] = { "KASHIM_SYNCNT=3", NULL };
	const char *args[] = { kt_prog("kclient"), "127.0.0.1", "5559", NULL };
	const char *out;
	struct kt_env e;
	long t0, ms_sync, ms_ut;
	int l, port;

	KK_SETUP();
	out = opts_of("kclient", sync, NULL);
	ck_assert_msg(opt_of(out, "syncnt") == 3 && opt_of(out, "ut") == 3000,
		      "%s", out);
	out = server_opts(sync);
	ck_assert_msg(opt_of(out, "syncnt") == 6, "a listener's SYN-ACK "
		      "retries changed: %s", out);
	l = kt_listener("127.0.0.1", 5559, &port);
	ck_assert(l >= 0);
	drop_ports("5559");
	for (int round = 0; round < 2; round++) {
		kt_env_init(&e, 0);
		kt_env_add(&e, "KASHIM_IDLE=1");
		kt_env_add(&e, "KASHIM_INTVL=1");
		kt_env_add(&e, "KASHIM_CNT=1");
		if (round == 0)
			kt_env_add(&e, "KASHIM_SYNCNT=1");
		t0 = kt_now_ms();
		spawn(&k, e.v, 1, args);
		need_line(&k, "kclient", "connect err=ETIMEDOUT", 10000, NULL, 0);
		if (round == 0)
			ms_sync = kt_now_ms() - t0;
		else
			ms_ut = kt_now_ms() - t0;
		kt_wait(&k, 5000);
		kt_env_free(&e);
	}
	printf("MEASURE: kernel mode connect to a dropped port: SYNCNT=1 "
	       "%ld ms (theory 3000), user timeout 2000 alone %ld ms\n",
	       ms_sync, ms_ut);
	ck_assert_msg(ms_sync >= 2800, "SYNCNT=1: gave up after %ld ms: the "
		      "user timeout (2000) cut the SYN phase", ms_sync);
	ck_assert_msg(ms_ut < 2800, "no SYNCNT: the user timeout did not "
		      "bound the SYN phase (%ld ms)", ms_ut);
	close(l);
}
END_TEST

/* Kernel mode is shipped beside the preload, never inside it: the
 * library's only dependency stays libc. */
START_TEST(t_library_without_libbpf)
{
	/* KASHIM_TESTLIB may list a sanitizer runtime first: the last word. */
	const char *lib = strrchr(kt_testlib(), ' ');
	const char *argv[] = { "/usr/bin/readelf", "-d",
			       lib ? lib + 1 : kt_testlib(), NULL };
	struct kt_proc p;
	struct kt_env e;

	kt_env_init(&e, 0);
	ck_assert_msg(kt_run(&p, (char *const *)argv, e.v, NULL, 0, 15000) == 0,
		      "readelf: %s", p.ebuf);
	ck_assert_msg(strstr(p.obuf, "(NEEDED)") && !strstr(p.obuf, "libbpf"),
		      "%s", p.obuf);
	kt_proc_free(&p);
	kt_env_free(&e);
}
END_TEST

/* ---- the dead-peer line ---------------------------------------------- */

static char log_path[PATH_MAX];

static void log_env(struct kt_env *e)
{
	env_fast(e);
	snprintf(log_path, sizeof(log_path), "/tmp/kashim-kernel-test-%ld.log",
		 (long)getpid());
	unlink(log_path);
	track("file", log_path);
	kt_env_add(e, "KASHIM_LOG=%s", log_path);
}

/* The end of a log case: the program is told to finish (its stdin
 * closed) and given 5 s, the test's connection fd and listener l (either
 * -1 when there is none) are closed, the log file goes. */
static void log_case_end(struct kt_proc *k, int fd, int l, struct kt_env *e)
{
	kt_close_stdin(k);
	kt_wait(k, 5000);
	if (fd >= 0)
		close(fd);
	if (l >= 0)
		close(l);
	unlink(log_path);
	kt_env_free(e);
}

/* The log file's text once it has a line, waiting up to ms; then a
 * second more, so that a second line would be seen. */
static const char *log_text(int ms)
{
	static char buf[8192];
	long t0 = kt_now_ms();
	ssize_t n;
	int fd, seen = 0;

	buf[0] = '\0';
	while (kt_now_ms() - t0 < ms + (seen ? 1000 : 0)) {
		fd = open(log_path, O_RDONLY);
		if (fd >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[n > 0 ? n : 0] = '\0';
		}
		if (!seen && strstr(buf, "peer dead")) {
			seen = 1;
			t0 = kt_now_ms() - ms;
		}
		kt_sleep_ms(50);
	}
	return buf;
}

static int count(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, what)); p++)
		n++;
	return n;
}

/* One death of kind mode ("keepalive", "user_timeout", "reset") of a
 * kclient connection: exactly one line, with that cause. */
static void log_case(const char *mode)
{
	static struct kt_proc k;
	const char *args[6] = { kt_prog("kclient"), "-k", "127.0.0.1", "5555",
				NULL };
	struct linger lg = { 1, 0 };
	const char *text;
	char want[128];
	struct kt_env e;
	int l, port, fd;

	if (strcmp(mode, "user_timeout") == 0)
		args[1] = "-kw";
	log_env(&e);
	l = kt_listener("127.0.0.1", PORT_K, &port);
	ck_assert(l >= 0);
	spawn(&k, e.v, 1, args);
	fd = accept_one(l);
	need_line(&k, "kclient", "opts", 10000, NULL, 0);
	if (strcmp(mode, "reset") == 0) {
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);      /* an RST */
		fd = -1;
	} else {
		drop_ports("5555");
		if (strcmp(mode, "user_timeout") == 0)
			ck_assert(kt_send(&k, "go\n") == 0);
	}
	need_line(&k, "kclient", "dead", THEORY_MS + MARGIN_MS, NULL, 0);
	text = log_text(3000);
	printf("MEASURE: kernel mode log, %s: %s", mode, text);
	ck_assert_msg(count(text, "peer dead") == 1, "%s: not one line: '%s'",
		      mode, text);
	snprintf(want, sizeof(want), " cause=%s ", mode);
	ck_assert_msg(strstr(text, want), "%s: %s", mode, text);
	ck_assert_msg(strstr(text, "prog=kclient fd=3 dir=out local=127.0.0.1:")
		      && strstr(text, " peer=127.0.0.1:5555 error=") &&
		      strstr(text, "]: peer dead"), "%s: fields: %s", mode, text);
	ck_assert_msg(strstr(text, strcmp(mode, "reset") ? "error=ETIMEDOUT"
							  : "error=ECONNRESET"),
		      "%s: %s", mode, text);
	log_case_end(&k, fd, l, &e);
}

/* The accepting side: configured in softirq context, its line names the
 * process that holds the socket (found by its inode), dir=in, and the
 * local address is the listener's. */
START_TEST(t_log_inbound)
{
	static struct kt_proc k;
	const char *args[] = { kt_prog("kserver"), "-k", "127.0.0.1", "5557",
			       NULL };
	const char *text;
	struct kt_env e;
	int fd;

	KK_SETUP();
	log_env(&e);
	spawn(&k, e.v, 1, args);
	need_line(&k, "kserver", "listening", 10000, NULL, 0);
	fd = connect_to("127.0.0.1", 5557);
	need_line(&k, "kserver", "opts", 10000, NULL, 0);
	drop_ports("5557");
	need_line(&k, "kserver", "dead", THEORY_MS + MARGIN_MS, NULL, 0);
	text = log_text(3000);
	printf("MEASURE: kernel mode log, inbound: %s", text);
	ck_assert_msg(count(text, "peer dead") == 1 &&
		      strstr(text, "prog=kserver fd=4 dir=in "
			     "local=127.0.0.1:5557 peer=127.0.0.1:") &&
		      strstr(text, "error=ETIMEDOUT cause=keepalive"), "'%s'",
		      text);
	log_case_end(&k, fd, -1, &e);
}
END_TEST

START_TEST(t_log_keepalive)
{
	KK_SETUP();
	log_case("keepalive");
}
END_TEST

START_TEST(t_log_user_timeout)
{
	KK_SETUP();
	log_case("user_timeout");
}
END_TEST

START_TEST(t_log_reset)
{
	KK_SETUP();
	log_case("reset");
}
END_TEST

/* ---- cleanup: exit, signals, SIGKILL leftovers ------------------------ */

static void start_idle_run(struct kt_proc *k, int *l, int *fd)
{
	const char *args[] = { kt_prog("kclient"), "127.0.0.1", "5555", NULL };
	struct kt_env e;
	int port;

	env_fast(&e);
	*l = kt_listener("127.0.0.1", PORT_K, &port);
	ck_assert(*l >= 0);
	spawn(k, e.v, 1, args);
	*fd = accept_one(*l);
	need_line(k, "kclient", "opts", 10000, NULL, 0);
	kt_env_free(&e);
}

static void signal_case(int sig)
{
	static struct kt_proc k;
	int l, fd;
	pid_t run;

	start_idle_run(&k, &l, &fd);
	run = k.pid;
	kill(run, sig);
	ck_assert_msg(kt_wait(&k, 5000) == 0, "run still there after signal %d",
		      sig);
	ck_assert_msg(WIFSIGNALED(k.status) && WTERMSIG(k.status) == sig,
		      "run ended %s, not of the signal", kt_status_str(&k));
	assert_run_gone(run);
	close(fd);
	close(l);
}

START_TEST(t_run_sigterm)
{
	KK_SETUP();
	signal_case(SIGTERM);
}
END_TEST

START_TEST(t_run_sigint)
{
	KK_SETUP();
	signal_case(SIGINT);
}
END_TEST

/* Run kashim-kernel SUB ARGS; its stdout+stderr (static). */
static const char *kk(int *status, const char *const *args,
		      const char *const *wrap)
{
	static struct kt_proc p;
	static char out[8192];
	const char *argv[16];
	struct kt_env e;
	int n = 0, i;

	kt_env_init(&e, 0);
	for (i = 0; wrap && wrap[i]; i++)
		argv[n++] = wrap[i];
	argv[n++] = kk_bin();
	for (i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	kt_run(&p, (char *const *)argv, e.v, NULL, 0, 15000);
	*status = WIFEXITED(p.status) ? WEXITSTATUS(p.status) : 255;
	snprintf(out, sizeof(out), "%s%s", p.obuf, p.ebuf);
	kt_proc_free(&p);
	kt_env_free(&e);
	return out;
}

START_TEST(t_sigkill_leftovers)
{
	static struct kt_proc k;
	const char *list[] = { "list", NULL }, *all[] = { "detach", "--all",
							  NULL };
	char cg[PATH_MAX], want[64];
	const char *out;
	struct stat st;
	int l, fd, status;
	pid_t run;

	KK_SETUP();
	start_idle_run(&k, &l, &fd);
	run = k.pid;
	kill(run, SIGKILL);     /* the run only: the program stays */
	kt_sleep_ms(300);
	pathf(cg, sizeof(cg), "%s/kashim-run-%ld", cg_root, (long)run);
	ck_assert_msg(stat(cg, &st) == 0, "expected a leftover %s", cg);
	out = kk(&status, list, NULL);
	snprintf(want, sizeof(want), "stale (run pid=%ld gone)", (long)run);
	ck_assert_msg(status == 0 && strstr(out, want) && strstr(out, cg),
		      "list: %s", out);
	out = kk(&status, all, NULL);
	ck_assert_msg(status == 0, "detach --all: %s", out);
	assert_run_gone(run);
	out = kk(&status, list, NULL);
	ck_assert_msg(!strstr(out, want), "still listed: %s", out);
	close(fd);
	close(l);
	kt_kill(&k);
}
END_TEST

/* ---- attach, detach, siblings, refusals, systemd ---------------------- */

/* How many of kashim's programs bpftool sees on cgroup cg. */
static int attached_progs(const char *cg)
{
	const char *argv[] = { "/usr/sbin/bpftool", "cgroup", "show", cg, NULL };
	struct kt_proc p;
	struct kt_env e;
	int n;

	kt_env_init(&e, 0);
	ck_assert_msg(kt_run(&p, (char *const *)argv, e.v, NULL, 0, 15000) == 0,
		      "bpftool: %s", p.ebuf);
	n = count(p.obuf, "kk_");
	kt_proc_free(&p);
	kt_env_free(&e);
	return n;
}

/* kclient -q in cgroup cg (the shell enters it, then execs). */
static const char *opts_in(const char *cg)
{
	static struct kt_proc k;
	static char out[4096];
	char script[PATH_MAX + 128];
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct kt_env e;
	int l, port;

	l = kt_listener("127.0.0.1", PORT_K, &port);
	ck_assert(l >= 0);
	snprintf(script, sizeof(script), "echo $$ >'%s/cgroup.procs' && "
		 "exec '%s' -q 127.0.0.1 %d", cg, kt_prog("kclient"), PORT_K);
	kt_env_init(&e, 0);
	ck_assert(kt_run(&k, (char *const *)argv, e.v, NULL, 0, 10000) == 0);
	snprintf(out, sizeof(out), "%s%s", k.obuf, k.ebuf);
	kt_proc_free(&k);
	kt_env_free(&e);
	close(l);
	return out;
}

START_TEST(t_attach_detach_sibling)
{
	const char *a, *b, *out;
	char pins[PATH_MAX];
	int status;
	struct stat st;

	KK_SETUP();
	a = new_cgroup("a");
	b = new_cgroup("b");
	{
		const char *args[] = { "attach", "--cgroup", a, NULL };
		const char *wrap[] = { "/usr/bin/env", "KASHIM_IDLE=9", NULL };

		out = kk(&status, args, wrap);
		ck_assert_msg(status == 0, "attach: %s", out);
	}
	ck_assert_int_eq(attached_progs(a), 2);
	ck_assert_int_eq(attached_progs(b), 0);
	ck_assert_msg(stat(a, &st) == 0, "stat");
	snprintf(pins, sizeof(pins), "/sys/fs/bpf/kashim/cg%llu",
		 (unsigned long long)st.st_ino);
	ck_assert_msg(stat(pins, &st) == 0, "no pins at %s", pins);
	out = opts_in(a);
	ck_assert_msg(opt_of(out, "idle") == 9 && opt_of(out, "ka") == 1,
		      "attached cgroup: %s", out);
	ASSERT_UNTOUCHED(opts_in(b));
	{
		const char *args[] = { "list", NULL };

		out = kk(&status, args, NULL);
		ck_assert_msg(strstr(out, "attached cgroup=") && strstr(out, a)
			      && strstr(out, "idle=9 "), "list: %s", out);
	}
	{
		const char *args[] = { "attach", "--cgroup", a, NULL };

		out = kk(&status, args, NULL);
		ck_assert_msg(status != 0 && strstr(out, "already covered"),
			      "second attach: %s", out);
	}
	{
		const char *args[] = { "detach", "--cgroup", a, NULL };

		out = kk(&status, args, NULL);
		ck_assert_msg(status == 0, "detach: %s", out);
	}
	ck_assert_int_eq(attached_progs(a), 0);
	ck_assert_msg(stat(pins, &st) != 0, "%s left behind", pins);
	ASSERT_UNTOUCHED(opts_in(a));
	{
		/* kashim's own bpffs directory goes with its last pin */
		const char *args[] = { "list", NULL };

		out = kk(&status, args, NULL);
		ck_assert_msg(*out != '\0' ||
			      stat("/sys/fs/bpf/kashim", &st) != 0,
			      "nothing attached, /sys/fs/bpf/kashim left behind");
	}
}
END_TEST

START_TEST(t_refusals)
{
	const char *a, *out;
	char msg[PATH_MAX + 64];
	int status;

	KK_SETUP();
	a = new_cgroup("r");
	{
		const char *args[] = { "attach", "--cgroup", a, NULL };
		const char *user[] = { "/usr/bin/setpriv", "--reuid=65534",
				       "--regid=65534", "--clear-groups", NULL };
		const char *nocap[] = { "/usr/bin/setpriv", "--bounding-set=-all",
					"--inh-caps=-all", NULL };

		out = kk(&status, args, user);
		ck_assert_msg(status != 0 && strstr(out, "kashim-kernel: kernel "
			      "mode needs root"), "unprivileged: %s", out);
		out = kk(&status, args, nocap);
		ck_assert_msg(status != 0 && strstr(out, "CAP_BPF is missing"),
			      "no capabilities: %s", out);
		ck_assert_int_eq(attached_progs(a), 0);
	}
	{
		const char *args[] = { "attach", "--cgroup", cg_root, NULL };

		out = kk(&status, args, NULL);
		snprintf(msg, sizeof(msg), "is the root cgroup");
		ck_assert_msg(status != 0 && strstr(out, msg), "root: %s", out);
	}
	{
		const char *args[] = { "attach", "--cgroup", "/tmp", NULL };

		out = kk(&status, args, NULL);
		ck_assert_msg(status != 0 && strstr(out, "not a cgroup v2"),
			      "/tmp: %s", out);
	}
	{
		const char *args[] = { "run", "--", "true", NULL };
		const char *user[] = { "/usr/bin/setpriv", "--reuid=65534",
				       "--regid=65534", "--clear-groups", NULL };

		out = kk(&status, args, user);
		ck_assert_msg(status != 0 && strstr(out, "needs root"),
			      "run unprivileged: %s", out);
	}
	{
		const char *args[] = { "run", "--", kt_prog("kclient"), "-q",
				       "127.0.0.1", "1", NULL };
		const char *bad[] = { "/usr/bin/env", "KASHIM_IDLE=5s", NULL };

		out = kk(&status, args, bad);
		ck_assert_msg(strstr(out, "kashim: KASHIM_IDLE='5s' is not valid "
				     "(expected a whole number from 1 to 32767); "
				     "using the default 60"), "bad value: %s",
			      out);
	}
}
END_TEST

/* systemd: the drop-in attaches at every start (ExecStartPre= runs in the
 * unit's new cgroup); a restart gives the unit a new cgroup at the same
 * path, and the attach replaces what was left on the old one. */
/* The kernel and the mounts kernel mode needs: a kernel that says it is
 * 2.6 (setarch's UNAME26 personality), and no cgroup v2 mounted (a mount
 * namespace where it is unmounted).  One line that names what is missing,
 * a non-zero exit, nothing attached. */
START_TEST(t_refusals_kernel_and_mounts)
{
	const char *a, *out;
	char script[PATH_MAX + 64];
	int status;

	KK_SETUP();
	a = new_cgroup("old");
	snprintf(script, sizeof(script), "umount -l '%s' && exec \"$@\"",
		 cg_root);
	{
		const char *old[] = { "/usr/bin/setarch", "--uname-2.6", NULL };
		const char *nocg[] = { "/usr/bin/unshare", "-m", "--propagation",
				       "private", "/bin/sh", "-c", script, "sh",
				       NULL };
		const char *const *wraps[] = { old, nocg };
		const char *want[] = {
			"kashim-kernel: kernel mode needs Linux 6.0 or newer "
			"(this is 2.6.",
			"kashim-kernel: no cgroup v2 file system is mounted",
		};
		const char *attach[] = { "attach", "--cgroup", a, NULL };
		const char *run[] = { "run", "--", "true", NULL };
		const char *const *cmds[] = { attach, run };

		for (size_t w = 0; w < 2; w++)
			for (size_t c = 0; c < 2; c++) {
				out = kk(&status, cmds[c], wraps[w]);
				ck_assert_msg(status != 0 && strstr(out, want[w]),
					      "%s %s: %s", wraps[w][0], cmds[c][0],
					      out);
			}
	}
	ck_assert_int_eq(attached_progs(a), 0);
	{
		const char *args[] = { "list", NULL };

		out = kk(&status, args, NULL);
		ck_assert_msg(!strstr(out, a), "left attached: %s", out);
	}
}
END_TEST

START_TEST(t_systemd_restart)
{
	const char *a, *out;
	int status;

	KK_SETUP();
	{
		const char *args[] = { "systemd", "web.service", NULL };
		const char *wrap[] = { "/usr/bin/env", "KASHIM_IDLE=9", NULL };
		char want[PATH_MAX + 128];

		out = kk(&status, args, wrap);
		snprintf(want, sizeof(want), "ExecStartPre=+/usr/bin/env "
			 "KASHIM_IDLE=9 %s attach --unit web.service\n",
			 kk_bin());
		ck_assert_msg(status == 0 && strstr(out, "[Service]\n") &&
			      strstr(out, want) &&
			      strstr(out, "detach --unit web.service\n"),
			      "drop-in: %s", out);
	}
	a = new_cgroup("unit");
	for (int start = 0; start < 2; start++) {
		const char *args[] = { "attach", "--cgroup", a, NULL };
		const char *wrap[] = { "/usr/bin/env", "KASHIM_IDLE=9", NULL };

		if (start) {    /* the restart: a new cgroup, same path */
			ck_assert(rmdir(a) == 0 && mkdir(a, 0755) == 0);
		}
		out = kk(&status, args, wrap);
		ck_assert_msg(status == 0, "start %d: %s", start, out);
		out = opts_in(a);
		ck_assert_msg(opt_of(out, "idle") == 9, "start %d: %s", start,
			      out);
	}
	{
		const char *args[] = { "list", NULL };

		char line[PATH_MAX + 64];

		out = kk(&status, args, NULL);
		pathf(line, sizeof(line), "attached cgroup=%s ", a);
		ck_assert_msg(count(out, a) == 1 && strstr(out, line),
			      "list after restart: %s", out);
	}
}
END_TEST

/* ---- with the preload, through the wrapper, the reader ------------------ */

/* The preload inside a covered cgroup: the program's options are the
 * preload's setsockopt calls, which the BPF side leaves alone (they are
 * the same values); the run keeps the preload quiet, so one line. */
START_TEST(t_preload_inside)
{
	static struct kt_proc k;
	char pre[PATH_MAX + 16];
	const char *args[] = { "/usr/bin/env", pre, kt_prog("kclient"), "-k",
			       "127.0.0.1", "5555", NULL };
	const char *text;
	struct kt_env e;
	int l, port, fd;

	KK_SETUP();
	pathf(pre, sizeof(pre), "LD_PRELOAD=%s", kt_testlib());
	log_env(&e);
	l = kt_listener("127.0.0.1", PORT_K, &port);
	ck_assert(l >= 0);
	spawn(&k, e.v, 1, args);
	fd = accept_one(l);
	need_line(&k, "kclient", "opts", 10000, NULL, 0);
	kt_assert_preloaded(&k);
	ASSERT_OPTS(k.obuf, 1, 1, 1, 2, 3000);
	drop_ports("5555");
	need_line(&k, "kclient", "dead", THEORY_MS + MARGIN_MS, NULL, 0);
	text = log_text(3000);
	ck_assert_msg(count(text, "peer dead") == 1 &&
		      strstr(text, "cause=keepalive"), "'%s'", text);
	log_case_end(&k, fd, l, &e);
}
END_TEST

static const char *wrapper(void)
{
	static char p[PATH_MAX];
	const char *top = getenv("KASHIM_TOP");

	if (top)
		pathf(p, sizeof(p), "%s/scripts/kashim", top);
	else    /* build/kashim-kernel → scripts/kashim */
		pathf(p, sizeof(p), "%.*s/../scripts/kashim",
		      (int)(strrchr(kk_bin(), '/') - kk_bin()), kk_bin());
	return p;
}

/* kashim --kernel and kashim attach: the wrapper's options reach the
 * BPF program. */
START_TEST(t_wrapper)
{
	static struct kt_proc k;
	const char *args[] = { wrapper(), "--kernel", "-i", "7", "--cnt=3",
			       "--", kt_prog("kclient"), "-q", "127.0.0.1",
			       "5555", NULL };
	const char *a, *out;
	struct kt_env e;
	int l, port, status;

	KK_SETUP();
	kt_env_init(&e, 0);
	l = kt_listener("127.0.0.1", PORT_K, &port);
	ck_assert(l >= 0);
	ck_assert_msg(kt_run(&k, (char *const *)args, e.v, NULL, 0, 15000) == 0,
		      "kashim --kernel: %s %s", k.obuf, k.ebuf);
	ASSERT_OPTS(k.obuf, 1, 7, 10, 3, 37000);
	kt_proc_free(&k);
	close(l);
	a = new_cgroup("w");
	{
		const char *att[] = { wrapper(), "attach", "--cgroup", a, "-i",
				      "8", NULL };

		ck_assert_msg(kt_run(&k, (char *const *)att, e.v, NULL, 0,
				     15000) == 0, "kashim attach: %s", k.ebuf);
		kt_proc_free(&k);
	}
	{
		const char *list[] = { "list", NULL };

		out = kk(&status, list, NULL);
		ck_assert_msg(strstr(out, a) && strstr(out, "idle=8 "), "%s", out);
	}
	kt_env_free(&e);
}
END_TEST

/* kashim log: the reader of attached cgroups, in the foreground. */
START_TEST(t_log_reader)
{
	static struct kt_proc reader;
	char script[PATH_MAX + 128];
	const char *sh[] = { "/bin/sh", "-c", script, NULL };
	const char *rd[] = { kk_bin(), "log", NULL };
	static struct kt_proc k;
	const char *a, *text, *out;
	struct kt_env e;
	int l, port, fd, status;

	KK_SETUP();
	a = new_cgroup("log");
	{
		const char *att[] = { "attach", "--cgroup", a, NULL };
		const char *wrap[] = { "/usr/bin/env", "KASHIM_IDLE=1",
				       "KASHIM_INTVL=1", "KASHIM_CNT=2", NULL };

		out = kk(&status, att, wrap);
		ck_assert_msg(status == 0, "attach: %s", out);
	}
	log_env(&e);
	spawn(&reader, e.v, 0, rd);
	l = kt_listener("127.0.0.1", PORT_K, &port);
	ck_assert(l >= 0);
	pathf(script, sizeof(script), "echo $$ >'%s/cgroup.procs' && "
	      "exec '%s' -k 127.0.0.1 %d", a, kt_prog("kclient"), PORT_K);
	spawn(&k, e.v, 0, sh);
	fd = accept_one(l);
	need_line(&k, "kclient", "opts", 10000, NULL, 0);
	kt_sleep_ms(1000);      /* the reader looks for attachments twice a second */
	drop_ports("5555");
	need_line(&k, "kclient", "dead", THEORY_MS + MARGIN_MS, NULL, 0);
	text = log_text(3000);
	ck_assert_msg(count(text, "peer dead") == 1 &&
		      strstr(text, "prog=kclient fd=3 dir=out") &&
		      strstr(text, "cause=keepalive"), "'%s' (reader: %s)", text,
		      reader.ebuf);
	kill(reader.pid, SIGTERM);
	ck_assert_msg(kt_wait(&reader, 5000) == 0 && WIFEXITED(reader.status) &&
		      WEXITSTATUS(reader.status) == 0, "reader: %s",
		      kt_status_str(&reader));
	log_case_end(&k, fd, l, &e);
}
END_TEST

/* ---- suite ------------------------------------------------------------- */

static Suite *kernel_suite(void)
{
	Suite *s = suite_create("kernel");
	TCase *tc = tcase_create("detect");

#define KK_TCASE(tc) tcase_add_unchecked_fixture(tc, NULL, runner_cleanup)
	KK_TCASE(tc);

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_dynamic);
	tcase_add_test(tc, t_static);
	tcase_add_test(tc, t_syscall);
	tcase_add_test(tc, t_uring);
	tcase_add_test(tc, t_go);
	tcase_add_test(tc, t_setuid);
	tcase_add_test(tc, t_server);
	tcase_add_test(tc, t_ipv6);
	suite_add_tcase(s, tc);
	tc = tcase_create("rules");
	KK_TCASE(tc);
	tcase_set_timeout(tc, 90);
	tcase_add_loop_test(tc, t_options, 0, KT_N(opt_cases));
	tcase_add_test(tc, t_nontcp_untouched);
	tcase_add_test(tc, t_syncnt);
	tcase_add_test(tc, t_library_without_libbpf);
	suite_add_tcase(s, tc);
	tc = tcase_create("log");
	KK_TCASE(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_log_keepalive);
	tcase_add_test(tc, t_log_user_timeout);
	tcase_add_test(tc, t_log_reset);
	tcase_add_test(tc, t_log_inbound);
	tcase_add_test(tc, t_preload_inside);
	tcase_add_test(tc, t_log_reader);
	suite_add_tcase(s, tc);
	tc = tcase_create("lifecycle");
	KK_TCASE(tc);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_run_sigterm);
	tcase_add_test(tc, t_run_sigint);
	tcase_add_test(tc, t_sigkill_leftovers);
	tcase_add_test(tc, t_attach_detach_sibling);
	tcase_add_test(tc, t_refusals);
	tcase_add_test(tc, t_refusals_kernel_and_mounts);
	tcase_add_test(tc, t_systemd_restart);
	tcase_add_test(tc, t_wrapper);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return kt_main(kernel_suite());
}
