/* kashim — `kashim adopt PID`: a running, unmodified program (no preload)
 * whose peer vanished learns it within IDLE + INTVL*CNT of the adopt,
 * while the same program not adopted stays blocked; and adopt touches
 * nothing else.
 *
 * Each network case runs in its own network namespace on loopback
 * (KT_NETNS); peers are made dead with an nftables drop of their ports.
 * The programs are build/tests/adopt/peer (dynamic), peer_static
 * (-static) and goclient (Go); the helper is build/kashim-adopt, run
 * directly with KASHIM_* variables or through scripts/kashim.
 *
 * Settings: IDLE 1, INTVL 1, CNT 2, so the auto user timeout is 3000 ms:
 * the kernel gives up when nothing has come back for 3000 ms, counted from
 * the last segment received (the connection's set-up here), and it probes
 * at once a connection idle longer than IDLE (TCP_KEEPIDLE counts the idle
 * time already past).  So the death comes at most THEORY_MS after the
 * adopt, and not before THEORY_MS after the connection went quiet.
 * Measured times are printed as "MEASURE: ..." lines.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define THEORY_MS 3000  /* (IDLE + INTVL*CNT) * 1000 */
#define MARGIN_MS 2000  /* late allowance: timers, a loaded machine */
#define EARLY_MS 300    /* the kernel's clock starts before ours does */
#define NCONN 1000

/* ---- paths -------------------------------------------------------------- */

/* DIR of the running test binary (build/tests) + "/" + rel. */
static const char *near(const char *rel)
{
	static char self[PATH_MAX];
	char *path, *slash;
	ssize_t n;

	if (!self[0]) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		ck_assert_msg(n > 0, "readlink /proc/self/exe");
		self[n] = '\0';
		slash = strrchr(self, '/');
		ck_assert(slash != NULL);
		*slash = '\0';
	}
	if (asprintf(&path, "%s/%s", self, rel) < 0)
		abort();
	return path;
}

/* A system program: kt_spawn does not search PATH. */
static const char *sysprog(const char *name)
{
	static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/sbin",
					    "/sbin" };
	char *path;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (asprintf(&path, "%s/%s", dirs[i], name) < 0)
			abort();
		if (access(path, X_OK) == 0)
			return path;
		free(path);
	}
	return name;
}

static const char *adopt_bin(void) { return near("../kashim-adopt"); }

static const char *wrapper(void)
{
	const char *top = getenv("KASHIM_TOP");
	char *path;

	if (!top || !*top)
		return near("../../scripts/kashim");
	if (asprintf(&path, "%s/scripts/kashim", top) < 0)
		abort();
	return path;
}

/* ---- programs ----------------------------------------------------------- */

/* The loopback address the programs use: 127.0.0.1, or ::1 (t_client_v6). */
static const char *addr = "127.0.0.1";

static void spawn(struct kt_proc *p, const char *prog, const char *mode,
		  const char *port, const char *extra)
{
	const char *argv[] = { near(prog), mode, addr, port, extra, NULL };
	struct kt_env e;

	if (strcmp(prog, "adopt/goclient") == 0)
		argv[1] = addr, argv[2] = port, argv[3] = NULL;
	kt_env_init(&e, 0);             /* never preloaded */
	ck_assert_msg(kt_spawn(p, (char *const *)argv, e.v, NULL, 0) == 0,
		      "spawn %s: %s", argv[0], strerror(errno));
	kt_env_free(&e);
}

static void need_line(struct kt_proc *p, const char *prefix, int ms)
{
	ck_assert_msg(kt_wait_line(p, prefix, ms, NULL, 0) == 0,
		      "no '%s' line (%s)\nstdout: %s\nstderr: %s", prefix,
		      kt_status_str(p), p->obuf, p->ebuf);
}

static void server(struct kt_proc *p, const char *port)
{
	spawn(p, "adopt/peer", "server", port, NULL);
	need_line(p, "listening", 5000);
}

/* The common settings, as the wrapper exports them. */
static void adopt_env(struct kt_env *e)
{
	kt_env_init(e, 0);
	kt_env_add(e, "KASHIM_IDLE=1");
	kt_env_add(e, "KASHIM_INTVL=1");
	kt_env_add(e, "KASHIM_CNT=2");
}

/* kashim-adopt adopt [opt] PID with e (adopt_env when NULL); bounded. */
static void run_adopt_env(struct kt_proc *a, struct kt_env *e,
			  const char *opt, pid_t pid)
{
	char pidarg[16];
	const char *argv[] = { adopt_bin(), "adopt", pidarg, NULL, NULL };
	struct kt_env own;

	snprintf(pidarg, sizeof(pidarg), "%d", (int)pid);
	if (opt)
		argv[2] = opt, argv[3] = pidarg;
	if (!e) {
		adopt_env(&own);
		e = &own;
	}
	kt_run(a, (char *const *)argv, e->v, NULL, 0, 30000);
	ck_assert_msg(!a->timed_out, "kashim-adopt did not finish in 30 s");
	if (e == &own)
		kt_env_free(&own);
}

static void run_adopt(struct kt_proc *a, const char *opt, pid_t pid)
{
	run_adopt_env(a, NULL, opt, pid);
}

static int exit_code(const struct kt_proc *p)
{
	return WIFEXITED(p->status) ? WEXITSTATUS(p->status) : -1;
}

static void adopt_ok(struct kt_proc *a)
{
	ck_assert_msg(exit_code(a) == 0, "kashim-adopt: %s\nstdout: %s\n"
		      "stderr: %s", kt_status_str(a), a->obuf, a->ebuf);
}

#define GOT "got=keepalive:on,idle:1,intvl:1,cnt:2,user_timeout:3000"

/* ---- the target's descriptor table -------------------------------------- */

static int by_name(const struct dirent **x, const struct dirent **y)
{
	return atoi((*x)->d_name) - atoi((*y)->d_name);
}

static int numeric(const struct dirent *d)
{
	return d->d_name[0] >= '0' && d->d_name[0] <= '9';
}

/* Append "/proc/PID/fdinfo/N" minus its mnt_id and ino lines (they name
 * nothing that adopt could change, and pos/flags are what matter). */
static void add_fdinfo(FILE *out, pid_t pid, const char *name)
{
	char path[320], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, name);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "pos:", 4) == 0 ||
		    strncmp(line, "flags:", 6) == 0)
			fprintf(out, "  %s", line);
	fclose(f);
}

/* Every "N -> target" of /proc/PID/fd, with position and flags. */
static char *fd_table(pid_t pid)
{
	struct dirent **ents;
	char dir[64], *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int i, n;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	n = scandir(dir, &ents, numeric, by_name);
	ck_assert_msg(n >= 0 && out, "scandir %s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		char path[320], link[256];
		ssize_t l;

		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		l = readlink(path, link, sizeof(link) - 1);
		link[l > 0 ? l : 0] = '\0';
		fprintf(out, "%s -> %s\n", ents[i]->d_name, link);
		add_fdinfo(out, pid, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	fclose(out);
	return buf;
}

static void same_table(const char *before, pid_t pid)
{
	char *after = fd_table(pid);

	ck_assert_msg(strcmp(before, after) == 0, "/proc/%d/fd changed:\n"
		      "before:\n%s\nafter:\n%s", (int)pid, before, after);
	free(after);
}

/* ---- dead peers ----------------------------------------------------------- */

static void drop(const char *ports)
{
	char err[512];

	ck_assert_msg(kt_nft_drop_ports(ports, err, sizeof err) == 0, "nft: %s",
		      err);
}

/* p prints "result=..." between connect + THEORY - EARLY and adopt +
 * THEORY + MARGIN; returns ms from the adopt. */
static long judge_freed(struct kt_proc *p, const char *label, long t_conn,
			long t_adopt)
{
	char line[256], res[32];
	long now, bound = t_adopt + THEORY_MS + MARGIN_MS;

	if (kt_wait_line(p, "result=", (int)(bound - kt_now_ms()), line,
			 sizeof line) != 0)
		ck_abort_msg("%s: still blocked %ld ms after the adopt (theory "
			     "%d ms): %s %s", label, kt_now_ms() - t_adopt,
			     THEORY_MS, p->obuf, p->ebuf);
	now = kt_now_ms();
	ck_assert(sscanf(line, "result=%31s", res) == 1);
	printf("MEASURE: %s: freed %ld ms after the adopt, %ld ms after it "
	       "went quiet (theory: at most %d after the adopt), %s\n", label,
	       now - t_adopt, now - t_conn, THEORY_MS, res);
	fflush(stdout);
	ck_assert_msg(strcmp(res, "ETIMEDOUT") == 0, "%s: got %s", label, res);
	ck_assert_msg(now - t_conn >= THEORY_MS - EARLY_MS, "%s: freed too "
		      "early: %ld ms after it went quiet", label, now - t_conn);
	return now - t_adopt;
}

/* The twin that was not adopted: still blocked at t_adopt + THEORY +
 * MARGIN. */
static void judge_blocked(struct kt_proc *p, const char *label, long t_adopt)
{
	long until = t_adopt + THEORY_MS + MARGIN_MS;

	if (kt_now_ms() < until)
		kt_sleep_ms(until - kt_now_ms());
	ck_assert_msg(kt_running(p) && !strstr(p->obuf, "result="),
		      "%s: without adopt it learnt it anyway (%s): %s", label,
		      kt_status_str(p), p->obuf);
	printf("MEASURE: %s: not adopted, still blocked %ld ms after the "
	       "adopt\n", label, kt_now_ms() - t_adopt);
	fflush(stdout);
}

enum how { DIRECT, WRAPPER };

static void adopt_via_wrapper(struct kt_proc *a, pid_t pid)
{
	char pidarg[16], helpers[PATH_MAX];
	const char *argv[] = { wrapper(), "adopt", "--idle", "1", "--intvl=1",
			       "-c", "2", pidarg, NULL };
	struct kt_env e;

	snprintf(pidarg, sizeof(pidarg), "%d", (int)pid);
	snprintf(helpers, sizeof(helpers), "%s", adopt_bin());
	*strrchr(helpers, '/') = '\0';
	kt_env_init(&e, 0);             /* no KASHIM_* from the test */
	kt_env_add(&e, "KASHIM_HELPERS=%s", helpers);
	kt_run(a, (char *const *)argv, e.v, NULL, 0, 30000);
	kt_env_free(&e);
	ck_assert_msg(!a->timed_out, "kashim adopt did not finish in 30 s");
}

/* An unmodified client blocked in read; the server vanishes; adopt
 * frees it in time, the same client not adopted stays blocked. */
static void client_case(const char *prog, const char *label, enum how how)
{
	struct kt_proc srv, cli, twin, a;
	char *before, want[64];
	long t_conn, t_adopt;

	KT_NETNS();
	server(&srv, "5555");
	spawn(&cli, prog, "client", "5555", NULL);
	spawn(&twin, prog, "client", "5555", NULL);
	need_line(&cli, "connected", 5000);
	need_line(&twin, "connected", 5000);
	need_line(&srv, "accepted", 5000);
	t_conn = kt_now_ms();
	before = fd_table(cli.pid);
	drop("5555");
	t_adopt = kt_now_ms();
	if (how == WRAPPER)
		adopt_via_wrapper(&a, cli.pid);
	else
		run_adopt(&a, NULL, cli.pid);
	adopt_ok(&a);
	ck_assert_msg(strstr(a.obuf, GOT) && strstr(a.obuf, "dir=out"),
		      "%s: adopt did not configure it: %s", label, a.obuf);
	snprintf(want, sizeof(want), "summary pid=%d ", (int)cli.pid);
	ck_assert_msg(strstr(a.obuf, want) && strstr(a.obuf, " configured=1 "),
		      "%s: summary: %s", label, a.obuf);
	same_table(before, cli.pid);
	judge_freed(&cli, label, t_conn, t_adopt);
	judge_blocked(&twin, label, t_adopt);
	free(before);
	kt_proc_free(&a);
	kt_proc_free(&twin);
	kt_proc_free(&cli);
	kt_proc_free(&srv);
}

START_TEST(t_client)
{
	client_case("adopt/peer", "client (C, dynamic)", DIRECT);
}
END_TEST

START_TEST(t_client_v6)
{
	if (!kt_have_ipv6()) {
		kt_skip(__func__, "no ::1 on this host");
		return;
	}
	addr = "::1";
	client_case("adopt/peer", "client (C, dynamic) over ::1", DIRECT);
}
END_TEST

START_TEST(t_client_static)
{
	client_case("adopt/peer_static", "client (C, -static)", DIRECT);
}
END_TEST

/* .ci/run installs golang-go (scripts/deps), so in CI this must run. */
START_TEST(t_client_go)
{
	if (access(near("adopt/goclient"), X_OK) != 0) {
		ck_assert_msg(!getenv("CI"), "CI: %s was not built (is golang-go "
			      "installed? scripts/deps)", near("adopt/goclient"));
		kt_skip(__func__, "go is not installed: no Go test program");
		return;
	}
	client_case("adopt/goclient", "client (Go)", DIRECT);
}
END_TEST

START_TEST(t_wrapper)
{
	client_case("adopt/peer", "client via scripts/kashim adopt", WRAPPER);
}
END_TEST

/* ---- a server with 1,000 connections whose clients vanish -------------- */

/* Established TCP sockets with local port `port` (ss, in this netns). */
static int established(const char *port)
{
	char filter[64];
	const char *argv[] = { sysprog("ss"), "-Htn", "state", "established", filter,
			       NULL };
	struct kt_proc p;
	struct kt_env e;
	int n = 0;
	const char *s;

	snprintf(filter, sizeof(filter), "( sport = :%s )", port);
	kt_env_init(&e, 0);
	ck_assert_msg(kt_run(&p, (char *const *)argv, e.v, NULL, 0, 10000) == 0,
		      "ss: %s %s", kt_status_str(&p), p.ebuf);
	for (s = p.obuf; (s = strchr(s, '\n')) != NULL; s++)
		n++;
	kt_proc_free(&p);
	kt_env_free(&e);
	return n;
}

static int count_lines(const char *text, const char *prefix)
{
	size_t len = strlen(prefix);
	int n = 0;
	const char *s = text;

	while (s && *s) {
		if (strncmp(s, prefix, len) == 0)
			n++;
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return n;
}

static void wait_accepted(struct kt_proc *srv, int n)
{
	long until = kt_now_ms() + 20000;

	while (count_lines(srv->obuf, "accepted ") < n && kt_now_ms() < until) {
		kt_running(srv);
		kt_sleep_ms(50);
	}
	ck_assert_msg(count_lines(srv->obuf, "accepted ") == n,
		      "the server accepted %d of %d connections",
		      count_lines(srv->obuf, "accepted "), n);
}

START_TEST(t_server_many)
{
	struct kt_proc srv, cl, twin, twin_cl, a;
	long t_adopt, t_zero = -1, t_done;
	int left = -1;

	KT_NETNS();
	server(&srv, "5555");
	server(&twin, "5556");          /* the same, not adopted */
	spawn(&cl, "adopt/peer", "clients", "5555", "1000");
	spawn(&twin_cl, "adopt/peer", "clients", "5556", "100");
	need_line(&cl, "connected n=", 20000);
	need_line(&twin_cl, "connected n=", 20000);
	wait_accepted(&srv, NCONN);
	wait_accepted(&twin, 100);
	ck_assert_int_eq(established("5555"), NCONN);
	drop("5555, 5556");
	t_adopt = kt_now_ms();
	run_adopt(&a, NULL, srv.pid);
	t_done = kt_now_ms();
	adopt_ok(&a);
	ck_assert_msg(strstr(a.obuf, " tcp=1001 configured=1001 "),
		      "adopt: %s", strstr(a.obuf, "summary") ?
		      strstr(a.obuf, "summary") : a.ebuf);
	while (kt_now_ms() < t_adopt + THEORY_MS + MARGIN_MS) {
		left = established("5555");
		if (left == 0) {
			t_zero = kt_now_ms();
			break;
		}
		kt_sleep_ms(100);
	}
	printf("MEASURE: %d connections: adopt took %ld ms; ss shows 0 left "
	       "%ld ms after the adopt (theory: at most %d)\n", NCONN,
	       t_done - t_adopt, t_zero < 0 ? -1 : t_zero - t_adopt, THEORY_MS);
	fflush(stdout);
	ck_assert_msg(left == 0, "%d of %d connections still established %ld "
		      "ms after the adopt", left, NCONN, kt_now_ms() - t_adopt);
	ck_assert_int_eq(established("5556"), 100);
	kt_proc_free(&a);
	kt_proc_free(&twin_cl);
	kt_proc_free(&cl);
	kt_proc_free(&twin);
	kt_proc_free(&srv);
}
END_TEST

/* ---- an adopted listener ----------------------------------------------- */

START_TEST(t_listener)
{
	struct kt_proc srv, twin, cli, twin_cli, a;
	char line[256];
	long t_acc, t_dead;

	KT_NETNS();
	server(&srv, "5555");
	server(&twin, "5556");
	run_adopt(&a, NULL, srv.pid);
	adopt_ok(&a);
	ck_assert_msg(strstr(a.obuf, "state=listen dir=listen") &&
		      strstr(a.obuf, GOT), "listener: %s", a.obuf);
	spawn(&cli, "adopt/peer", "client", "5555", NULL);
	spawn(&twin_cli, "adopt/peer", "client", "5556", NULL);
	ck_assert_msg(kt_wait_line(&srv, "accepted", 5000, line,
				   sizeof line) == 0, "no accept");
	t_acc = kt_now_ms();
	need_line(&twin, "accepted", 5000);
	ck_assert_msg(strstr(line, "ka=1 idle=1 intvl=1 cnt=2 ut=3000"),
		      "accepted after the adopt: %s", line);
	ck_assert_msg(strstr(twin.obuf, "ka=0 "), "twin: %s", twin.obuf);
	drop("5555, 5556");
	ck_assert_msg(kt_wait_line(&srv, "dead", THEORY_MS + MARGIN_MS, line,
				   sizeof line) == 0, "accepted connection "
		      "still alive %ld ms after its accept: %s",
		      kt_now_ms() - t_acc, srv.obuf);
	t_dead = kt_now_ms();
	printf("MEASURE: listener adopted: a connection accepted afterwards "
	       "died %ld ms after its accept (theory %d): %s\n",
	       t_dead - t_acc, THEORY_MS, line);
	fflush(stdout);
	ck_assert_msg(strstr(line, "result=ETIMEDOUT"), "%s", line);
	ck_assert_msg(t_dead - t_acc >= THEORY_MS - EARLY_MS, "too early");
	ck_assert_msg(!strstr(twin.obuf, "dead"), "twin: %s", twin.obuf);
	kt_proc_free(&a);
	kt_proc_free(&twin_cli);
	kt_proc_free(&cli);
	kt_proc_free(&twin);
	kt_proc_free(&srv);
}
END_TEST

/* ---- what adopt leaves alone -------------------------------------------- */

struct holder {
	struct kt_proc srv, h;
};

static void holder_up(struct holder *x)
{
	server(&x->srv, "5555");
	spawn(&x->h, "adopt/peer", "holder", "5555", NULL);
	need_line(&x->h, "fds ", 5000);
}

/* The holder's "opts NAME ..." line, as the program itself reads it. */
static void report(struct holder *x, const char *name, char *out, size_t cap)
{
	char tag[32];
	const char *s, *e;

	x->h.olen = 0;
	x->h.obuf[0] = '\0';
	ck_assert(kt_send(&x->h, "report\n") == 0);
	need_line(&x->h, "end", 5000);
	snprintf(tag, sizeof(tag), "opts %s ", name);
	s = strstr(x->h.obuf, tag);
	ck_assert_msg(s != NULL, "no %s in %s", tag, x->h.obuf);
	e = strchr(s, '\n');
	snprintf(out, cap, "%.*s", (int)(e - s), s);
}

/* kashim's options at the fast settings, as the holder reports them. */
#define KASHIMS "ka=1 idle=1 intvl=1 cnt=2 ut=3000"

/* The holder's socket name reports want among its options; why opens the
 * failure message. */
static void expect_opts(struct holder *x, const char *name, const char *want,
			const char *why)
{
	char opts[256];

	report(x, name, opts, sizeof opts);
	ck_assert_msg(strstr(opts, want), "%s%s", why, opts);
}

static void holder_free(struct holder *x)
{
	kt_proc_free(&x->h);
	kt_proc_free(&x->srv);
}

START_TEST(t_untouched)
{
	static const char *const names[] = { "own", "udp", "unix" };
	char before[3][256], after[256], *table;
	struct holder x;
	struct kt_proc a;
	int i;

	KT_NETNS();
	holder_up(&x);
	for (i = 0; i < 3; i++)
		report(&x, names[i], before[i], sizeof before[i]);
	ck_assert_msg(strstr(before[0], "ka=1 idle=600 "), "%s", before[0]);
	table = fd_table(x.h.pid);
	run_adopt(&a, NULL, x.h.pid);
	adopt_ok(&a);
	same_table(table, x.h.pid);
	for (i = 0; i < 3; i++) {
		report(&x, names[i], after, sizeof after);
		ck_assert_msg(strcmp(before[i], after) == 0, "adopt changed "
			      "%s:\nbefore: %s\nafter:  %s", names[i], before[i],
			      after);
	}
	/* ... and the plain TCP connection beside them did get the options. */
	expect_opts(&x, "tcp", KASHIMS, "");
	ck_assert_msg(count_lines(a.obuf, "socket ") == 5 &&
		      strstr(a.obuf, "proto=udp skipped=\"not TCP\"") &&
		      strstr(a.obuf, "proto=unix skipped=\"not TCP\"") &&
		      strstr(a.obuf, "keepalive already on") &&
		      strstr(a.obuf, " sockets=5 tcp=2 configured=1 skipped=4 "),
		      "adopt output: %s", a.obuf);
	free(table);
	kt_proc_free(&a);
	holder_free(&x);
}
END_TEST

/* --override: the program's own keepalive gives way. */
START_TEST(t_override)
{
	struct holder x;
	struct kt_proc a;
	struct kt_env e;

	KT_NETNS();
	holder_up(&x);
	adopt_env(&e);
	kt_env_add(&e, "KASHIM_OVERRIDE=1");
	run_adopt_env(&a, &e, NULL, x.h.pid);
	kt_env_free(&e);
	adopt_ok(&a);
	expect_opts(&x, "own", KASHIMS, "");
	kt_proc_free(&a);
	holder_free(&x);
}
END_TEST

/* --dry-run shows the same lines and changes nothing. */
START_TEST(t_dry_run)
{
	struct holder x;
	struct kt_proc a;

	KT_NETNS();
	holder_up(&x);
	run_adopt(&a, "--dry-run", x.h.pid);
	adopt_ok(&a);
	ck_assert_msg(strstr(a.obuf, "would=keepalive:on,idle:1,intvl:1,cnt:2,"
			     "user_timeout:3000") &&
		      strstr(a.obuf, " configured=1 ") &&
		      strstr(a.obuf, " dry_run=1"), "%s", a.obuf);
	expect_opts(&x, "tcp", "ka=0 idle=7200 ", "dry run changed: ");
	kt_proc_free(&a);
	holder_free(&x);
}
END_TEST

/* Adopt from another network namespace: the sockets are reached through
 * the target, whatever namespace they live in. */
START_TEST(t_other_netns)
{
	char pidarg[16];
	const char *argv[] = { sysprog("unshare"), "-n", "--", adopt_bin(),
			       "adopt", pidarg, NULL };
	struct holder x;
	struct kt_proc a;
	struct kt_env e;

	KT_NETNS();
	holder_up(&x);
	snprintf(pidarg, sizeof(pidarg), "%d", (int)x.h.pid);
	adopt_env(&e);
	kt_run(&a, (char *const *)argv, e.v, NULL, 0, 30000);
	kt_env_free(&e);
	adopt_ok(&a);
	ck_assert_msg(strstr(a.obuf, GOT), "%s", a.obuf);
	expect_opts(&x, "tcp", KASHIMS, "");
	kt_proc_free(&a);
	holder_free(&x);
}
END_TEST

/* A bad value: the library's message, exit 2, nothing changed. */
START_TEST(t_bad_value)
{
	struct holder x;
	struct kt_proc a;
	struct kt_env e;

	KT_NETNS();
	holder_up(&x);
	kt_env_init(&e, 0);
	kt_env_add(&e, "KASHIM_IDLE=5s");
	run_adopt_env(&a, &e, NULL, x.h.pid);
	kt_env_free(&e);
	ck_assert_int_eq(exit_code(&a), 2);
	ck_assert_str_eq(a.ebuf, "kashim: KASHIM_IDLE='5s' is not valid "
			 "(expected a whole number from 1 to 32767)\n");
	ck_assert_str_eq(a.obuf, "");
	expect_opts(&x, "tcp", "ka=0 ", "changed: ");
	kt_proc_free(&a);
	holder_free(&x);
}
END_TEST

/* ---- refusals ----------------------------------------------------------- */

static void one_line(const struct kt_proc *a, int code, const char *has)
{
	ck_assert_msg(exit_code(a) == code, "exit %s, want %d: %s",
		      kt_status_str(a), code, a->ebuf);
	ck_assert_msg(strchr(a->ebuf, '\n') == a->ebuf + strlen(a->ebuf) - 1,
		      "not one line: %s", a->ebuf);
	ck_assert_msg(strstr(a->ebuf, has), "'%s' not in: %s", has, a->ebuf);
	ck_assert_str_eq(a->obuf, "");
}

START_TEST(t_refuse_no_process)
{
	struct kt_proc a;
	char want[64];
	pid_t pid = fork();

	ck_assert(pid >= 0);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);          /* gone now */
	run_adopt(&a, NULL, pid);
	snprintf(want, sizeof(want), "kashim adopt: no process %d\n", (int)pid);
	one_line(&a, 1, want);
	kt_proc_free(&a);
}
END_TEST

START_TEST(t_refuse_not_a_pid)
{
	struct kt_proc a;
	const char *argv[] = { adopt_bin(), "adopt", "12ab", NULL };
	struct kt_env e;

	kt_env_init(&e, 0);
	kt_run(&a, (char *const *)argv, e.v, NULL, 0, 10000);
	kt_env_free(&e);
	one_line(&a, 2, "kashim adopt: '12ab' is not a process id");
	kt_proc_free(&a);
}
END_TEST

/* cp FROM TO; TO gets mode 0755. */
static void copy_exec(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);

	ck_assert_msg(in >= 0 && out >= 0, "copy %s to %s: %s", from, to,
		      strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert(write(out, buf, (size_t)n) == n);
	ck_assert(n == 0 && fchmod(out, 0755) == 0);
	close(in);
	ck_assert(close(out) == 0);
}

/* An unprivileged user against a root process: refused with what is
 * missing, and the target's sockets are as they were. */
START_TEST(t_refuse_other_user)
{
	char dir[] = "/tmp/kashim-adopt-XXXXXX", bin[64], pidarg[16];
	const char *argv[] = { sysprog("setpriv"), "--reuid=65534", "--regid=65534",
			       "--clear-groups", "--", bin, "adopt", pidarg,
			       NULL };
	struct kt_proc a, dry;
	struct kt_env e;
	struct holder x;

	if (geteuid() != 0) {
		kt_skip(__func__, "needs root (to start a root target and "
			"become another user)");
		return;
	}
	KT_NETNS();
	holder_up(&x);
	/* A copy any user may run: the checkout may sit in a private home. */
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(bin, sizeof(bin), "%s/kashim-adopt", dir);
	copy_exec(adopt_bin(), bin);
	ck_assert(chmod(dir, 0755) == 0);
	snprintf(pidarg, sizeof(pidarg), "%d", (int)x.h.pid);
	adopt_env(&e);
	kt_run(&a, (char *const *)argv, e.v, NULL, 0, 10000);
	kt_env_free(&e);
	unlink(bin);
	rmdir(dir);
	one_line(&a, 1, "permission denied");
	ck_assert_msg(strstr(a.ebuf, "uid 0") && strstr(a.ebuf, "uid 65534") &&
		      strstr(a.ebuf, "CAP_SYS_PTRACE") &&
		      strstr(a.ebuf, "ptrace"), "%s", a.ebuf);
	run_adopt(&dry, "--dry-run", x.h.pid);
	ck_assert_msg(strstr(dry.obuf, "had=keepalive:off"), "%s", dry.obuf);
	kt_proc_free(&dry);
	kt_proc_free(&a);
	holder_free(&x);
}
END_TEST

/* A kernel older than the call: this test process (Check forks one per
 * test) and what it starts get ENOSYS from syscall nr, as Linux before
 * 5.3 (pidfd_open) or 5.6 (pidfd_getfd) answers. */
#if defined(__x86_64__)
#define KT_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define KT_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

static int without_syscall(long nr)
{
#ifdef KT_AUDIT_ARCH
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, KT_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
	       prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0 ? 0 : -1;
#else
	(void)nr; /* unused */
	errno = ENOTSUP;
	return -1;
#endif
}

static void old_kernel(long nr, const char *call)
{
	struct holder x;
	struct kt_proc a;
	char want[64];

	KT_NETNS();
	holder_up(&x);
	if (without_syscall(nr) != 0) {
		kt_skip(__func__, "no seccomp filter for this architecture");
		holder_free(&x);
		return;
	}
	run_adopt(&a, NULL, x.h.pid);
	one_line(&a, 1, "needs Linux 5.6 or newer");
	snprintf(want, sizeof(want), "has no %s (Linux ", call);
	ck_assert_msg(strstr(a.ebuf, want), "%s", a.ebuf);
	expect_opts(&x, "tcp", "ka=0 ", "changed: ");
	kt_proc_free(&a);
	holder_free(&x);
}

START_TEST(t_refuse_old_kernel_getfd)
{
	old_kernel(SYS_pidfd_getfd, "pidfd_getfd");
}
END_TEST

START_TEST(t_refuse_old_kernel_open)
{
	old_kernel(SYS_pidfd_open, "pidfd_open");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("adopt");
	TCase *c = kt_tcase(s, "adopt", 90);

	tcase_add_test(c, t_client);
	tcase_add_test(c, t_client_v6);
	tcase_add_test(c, t_client_static);
	tcase_add_test(c, t_client_go);
	tcase_add_test(c, t_wrapper);
	tcase_add_test(c, t_server_many);
	tcase_add_test(c, t_listener);
	tcase_add_test(c, t_untouched);
	tcase_add_test(c, t_override);
	tcase_add_test(c, t_dry_run);
	tcase_add_test(c, t_other_netns);
	tcase_add_test(c, t_bad_value);
	tcase_add_test(c, t_refuse_no_process);
	tcase_add_test(c, t_refuse_not_a_pid);
	tcase_add_test(c, t_refuse_other_user);
	tcase_add_test(c, t_refuse_old_kernel_getfd);
	tcase_add_test(c, t_refuse_old_kernel_open);
	return s;
}

int main(void)
{
	return kt_main(suite());
}
