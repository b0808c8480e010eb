/* kashim — the dead-peer log (issue 3), continued: the sinks (syslog, a
 * file written by two processes at once, an unopenable path, a setuid
 * program), a daemon that closes its fds, fd reuse (close, fclose of an
 * fdopen'ed socket, dup2), fork, vfork (and Python's subprocess), and
 * threads racing close/accept under the watcher.
 *
 * As in check_log.c: one network namespace per case, the test process is
 * the other end of every connection, IDLE/INTVL/CNT = 1/1/2.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "logutil.h"

#define PORT2 5556

static void env_std(struct kt_env *e, int preload, const char *const *env)
{
	kt_env_init(e, preload);
	for (; env && *env; env++)
		kt_env_add(e, "%s", *env);
	kt_env_add(e, "KASHIM_IDLE=1");
	kt_env_add(e, "KASHIM_INTVL=1");
	kt_env_add(e, "KASHIM_CNT=2");
}

static void spawn(struct kt_proc *p, const char *const *argv,
		  const char *const *env)
{
	struct kt_env e;

	env_std(&e, 1, env);
	ck_assert_msg(kt_spawn(p, (char *const *)argv, e.v, NULL, 0) == 0,
		      "spawn %s", argv[0]);
	kt_env_free(&e);
}

static char *tmpdir(void)
{
	static char dir[64];

	strcpy(dir, "/tmp/kashim-log-XXXXXX");
	ck_assert(mkdtemp(dir) != NULL);
	ck_assert(chmod(dir, 0755) == 0);
	return dir;
}

/* Remove path and the tmpdir() it is in. */
static void rm_tmp(const char *path)
{
	char dir[128];

	unlink(path);
	snprintf(dir, sizeof dir, "%s", path);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	rmdir(dir);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return NULL;
	n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return strdup("");
	}
	return buf;
}

/* The "TAG ... key=value" of the line of text that starts with TAG and
 * has pid=PID. */
static int kv_of_pid(const char *text, const char *tag, long pid,
		     const char *key, char *val, size_t cap)
{
	char pat[64];
	const char *s = text;

	snprintf(pat, sizeof pat, "%s pid=%ld ", tag, pid);
	while (s && *s) {
		if (strncmp(s, pat, strlen(pat)) == 0)
			return kt_kv(s, tag, key, val, cap);
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return -1;
}

/* ---- syslog ------------------------------------------------------------ */

/* KASHIM_LOG=syslog with the test hook KASHIM_SYSLOG_SOCKET: one datagram
 * "<28>Mmm dd hh:mm:ss kashim[PID]: peer dead ..." (LOG_DAEMON|
 * LOG_WARNING), nothing on stderr, nothing more. */
START_TEST(t_sink_syslog)
{
	static const struct lu_want w = { "syslog", "out", "ETIMEDOUT",
					  "keepalive", LU_THEORY_MS, 0 };
	char path[128], envs[160], msg[1024];
	const char *env[] = { "KASHIM_LOG=syslog", envs, NULL };
	struct sockaddr_un sun;
	struct pollfd pf;
	struct lu_dead d;
	struct lu_rig r;
	regex_t re;
	ssize_t n;
	int s;

	KT_NETNS();
	snprintf(path, sizeof path, "%s/log", tmpdir());
	snprintf(envs, sizeof envs, "KASHIM_SYSLOG_SOCKET=%s", path);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	ck_assert(bind(s, (struct sockaddr *)&sun, sizeof sun) == 0);
	lu_start(&r, "log_peer", "out", "127.0.0.1", "recv", NULL, env, 1);
	lu_drop();
	pf = (struct pollfd){ .fd = s, .events = POLLIN };
	ck_assert_msg(poll(&pf, 1, LU_THEORY_MS + LU_MARGIN_MS + 2000) == 1,
		      "no syslog datagram; stderr: %s", lu_tail(r.p.ebuf));
	printf("MEASURE: syslog: theory %d ms, datagram after %ld ms\n",
	       LU_THEORY_MS, kt_now_ms() - r.t_up);
	n = recv(s, msg, sizeof msg - 1, 0);
	ck_assert(n > 0);
	msg[n] = '\0';
	ck_assert(regcomp(&re, "^<28>(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|"
			  "Oct|Nov|Dec) [ 123][0-9] [012][0-9]:[0-5][0-9]:"
			  "[0-6][0-9] kashim\\[[0-9]+\\]: peer dead ",
			  REG_EXTENDED | REG_NOSUB) == 0);
	ck_assert_msg(regexec(&re, msg, 0, NULL, 0) == 0, "datagram: '%s'",
		      msg);
	regfree(&re);
	{
		/* the stamp is today's (local time = UTC here: no TZ given) */
		char day[16];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(day, sizeof day, "%b %e", &tm);
		ck_assert_msg(strncmp(msg + 4, day, strlen(day)) == 0,
			      "stamp '%.15s', today is '%s'", msg + 4, day);
	}
	ck_assert_msg(msg[n - 1] != '\n', "a syslog datagram ends without "
		      "a newline: '%s'", msg);
	ck_assert_msg(lu_parse_dead(strstr(msg, "kashim["), &d) == 0,
		      "fields: '%s'", msg);
	ck_assert(d.pid == r.pid);
	ck_assert_str_eq(d.local, r.local);
	ck_assert_str_eq(d.peer, r.peer);
	ck_assert_str_eq(d.error, w.error);
	ck_assert_str_eq(d.cause, w.cause);
	lu_result(&r, "ETIMEDOUT", 3000);
	pf.revents = 0;
	ck_assert_msg(poll(&pf, 1, LU_SETTLE_MS) == 0,
		      "a second datagram");
	ck_assert_msg(strstr(r.p.ebuf, "kashim") == NULL,
		      "syslog sink, yet on stderr: %s", lu_tail(r.p.ebuf));
	lu_free(&r);
	close(s);
	rm_tmp(path);
}
END_TEST

/* ---- file -------------------------------------------------------------- */

/* Two processes, 100 connections each, all reset at once by the test: 200
 * lines in one file, each whole and well-formed, 100 per pid, each local
 * address once. */
START_TEST(t_sink_file_two_procs)
{
	enum { PER = 100, N = 2 * PER };
	char path[128], envs[160], *text;
	const char *env[] = { envs, NULL };
	const char *argv[] = { kt_prog("log_peer"), "many", "127.0.0.1",
			       "5555", "100", NULL };
	struct kt_proc p[2];
	static struct lu_dead d[N + 10];
	int fds[N], n = 0, lfd, bad, one = 1, lines;
	long pid[2];
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(5555) };
	long end;

	KT_NETNS();
	snprintf(path, sizeof path, "%s/dead.log", tmpdir());
	snprintf(envs, sizeof envs, "KASHIM_LOG=%s", path);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	ck_assert(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0);
	ck_assert(listen(lfd, 512) == 0);
	spawn(&p[0], argv, env);
	spawn(&p[1], argv, env);
	pid[0] = p[0].pid;
	pid[1] = p[1].pid;
	end = kt_now_ms() + 15000;
	while (n < N && kt_now_ms() < end) {
		int fd = lu_accept(lfd, 200);

		if (fd >= 0)
			fds[n++] = fd;
	}
	ck_assert_msg(n == N, "accepted %d of %d", n, N);
	for (int i = 0; i < 2; i++)
		ck_assert_msg(kt_wait_line(&p[i], "up n=100", 5000, NULL,
					   0) == 0, "no 'up': %s", lu_tail(p[i].ebuf));
	for (int i = 0; i < N; i++)
		lu_abort(fds[i]);
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(kt_wait(&p[i], 15000) == 0, "still running");
		kt_assert_preloaded(&p[i]);
		ck_assert_msg(strstr(p[i].obuf, "result errors=100 eofs=0"),
			      "program: %s", lu_tail(p[i].obuf));
	}
	text = slurp(path);
	ck_assert_msg(text != NULL, "no log file %s", path);
	lines = lu_count_lines(text, "");
	n = lu_dead_lines(text, d, N + 10, &bad);
	ck_assert_msg(n == N && bad == 0 && lines == N,
		      "%d dead-peer lines (%d malformed) of %d lines, want %d",
		      n, bad, lines, N);
	ck_assert(text[strlen(text) - 1] == '\n');
	{
		int per0 = 0;

		for (int i = 0; i < N; i++) {
			ck_assert_msg(d[i].pid == pid[0] || d[i].pid == pid[1],
				      "pid %ld", d[i].pid);
			ck_assert_str_eq(d[i].error, "ECONNRESET");
			ck_assert_str_eq(d[i].cause, "reset");
			ck_assert_str_eq(d[i].peer, "127.0.0.1:5555");
			for (int j = 0; j < i; j++)
				ck_assert_msg(strcmp(d[i].local,
						     d[j].local) != 0 ||
					      d[i].pid != d[j].pid,
					      "twice: %s", d[i].local);
			if (d[i].pid == d[0].pid)
				per0++;
		}
		ck_assert_msg(per0 == PER, "%d lines for pid %ld", per0,
			      d[0].pid);
	}
	for (int i = 0; i < 2; i++)
		kt_proc_free(&p[i]);
	free(text);
	rm_tmp(path);
	close(lfd);
}
END_TEST

/* KASHIM_DEBUG=1 with a file sink: the decision lines and the dead-peer
 * line go to the file, nothing to stderr. */
START_TEST(t_sink_file_debug)
{
	char path[128], envs[160], want[256], *text;
	const char *env[] = { envs, "KASHIM_DEBUG=1", NULL };
	struct lu_dead d;
	struct lu_rig r;
	int bad;

	KT_NETNS();
	snprintf(path, sizeof path, "%s/dead.log", tmpdir());
	snprintf(envs, sizeof envs, "KASHIM_LOG=%s", path);
	lu_start(&r, "log_peer", "out", "127.0.0.1", "recv", NULL, env, 1);
	lu_drop();
	lu_result(&r, "ETIMEDOUT", LU_THEORY_MS + LU_MARGIN_MS + 2000);
	kt_wait(&r.p, 3000);
	text = slurp(path);
	ck_assert(text != NULL);
	snprintf(want, sizeof want, "kashim[%ld]: configured prog=log_peer "
		 "fd=%d dir=out peer=%s idle=1 intvl=1 cnt=2 user_timeout=3000 "
		 "options_set=", r.pid, r.fd, r.peer);
	ck_assert_msg(strstr(text, want) != NULL, "no '%s' in the file:\n%s",
		      want, lu_tail(text));
	ck_assert_msg(lu_dead_lines(text, &d, 1, &bad) == 1 && bad == 0,
		      "the file:\n%s", lu_tail(text));
	ck_assert_str_eq(d.local, r.local);
	ck_assert_msg(r.p.ebuf[0] == '\0', "stderr: %s", lu_tail(r.p.ebuf));
	free(text);
	rm_tmp(path);
	lu_free(&r);
}
END_TEST

/* An unopenable path: one stderr line at start-up, the program runs on,
 * and logs nothing anywhere. */
START_TEST(t_sink_file_unopenable)
{
	static const char *const env[] = {
		"KASHIM_LOG=/no/such/dir/x.log", "KASHIM_WATCH=1", NULL };
	static const char want[] = "kashim: KASHIM_LOG='/no/such/dir/x.log' "
		"cannot be opened for appending (ENOENT); expected off, "
		"stderr, syslog or a writable absolute file path; using the "
		"default off\n";
	struct lu_rig r;

	KT_NETNS();
	lu_start(&r, "log_peer", "out", "127.0.0.1", "recv", NULL, env, 1);
	lu_drop();
	lu_result(&r, "ETIMEDOUT", LU_THEORY_MS + LU_MARGIN_MS + 2000);
	kt_wait(&r.p, 3000);
	ck_assert_msg(strcmp(r.p.ebuf, want) == 0,
		      "stderr:\n%s\nwant exactly:\n%s", lu_tail(r.p.ebuf), want);
	lu_free(&r);
}
END_TEST

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;         /* a short copy is a failed copy */
			break;
		}
	close(in);
	close(out);
	if (n < 0 || chown(to, 0, 0) < 0 || chmod(to, mode) < 0)
		return -1;
	return 0;
}

/* A setuid-root copy of log_peer run by nobody (setpriv): AT_SECURE.  The
 * dynamic loader then preloads only setuid libraries from its trusted
 * directories, so in a private mount namespace the library (a setuid
 * copy) is bind-mounted over an existing file there (libcheck.a, which
 * this test's build needs anyway).  KASHIM_LOG=<file> must be refused with
 * one stderr line and the file never created.  The same binary run by
 * root (not secure) does create it: the refusal is what made the
 * difference. */
START_TEST(t_sink_file_setuid)
{
	static const char *const targets[] = {
		"/usr/lib/x86_64-linux-gnu/libcheck.a",
		"/usr/lib/aarch64-linux-gnu/libcheck.a",
		"/usr/lib/libcheck.a", NULL };
	const char *target = NULL, *dir;
	char prog[128], lib[128], logp[128], envl[160], want[300];
	const char *env[] = { envl, NULL };
	struct kt_env e;
	struct kt_proc p;
	int i;

	if (getuid() != 0) {
		kt_skip(__func__, "needs root (setuid copy, mount namespace)");
		return;
	}
	if (access("/usr/bin/setpriv", X_OK) != 0) {
		kt_skip(__func__, "no setpriv (util-linux) to run as nobody");
		return;
	}
	/* The test copies the preloaded library as one file; under
	 * make check-asan KASHIM_TESTLIB is "<sanitizer runtime> <kashim>". */
	if (strpbrk(kt_testlib(), " \t") != NULL) {
		kt_skip(__func__, "KASHIM_TESTLIB is a list of libraries, "
			"not one file to copy setuid");
		return;
	}
	for (i = 0; targets[i]; i++)
		if (access(targets[i], F_OK) == 0)
			break;
	target = targets[i];
	if (!target) {
		kt_skip(__func__, "no libcheck.a in a trusted directory to "
			"bind the setuid library over");
		return;
	}
	KT_NETNS();
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		kt_skip(__func__, "no private mount namespace");
		return;
	}
	dir = tmpdir();
	snprintf(prog, sizeof prog, "%s/log_peer", dir);
	snprintf(lib, sizeof lib, "%s/libkashim.so", dir);
	snprintf(logp, sizeof logp, "%s/dead.log", dir);
	snprintf(envl, sizeof envl, "KASHIM_LOG=%s", logp);
	ck_assert(copy_file(kt_prog("log_peer"), prog, 04755) == 0);
	ck_assert(copy_file(kt_testlib(), lib, 04755) == 0);
	ck_assert_msg(mount(lib, target, NULL, MS_BIND, NULL) == 0,
		      "bind %s: %s", target, strerror(errno));
	{
		/* setpriv and env run unpreloaded (a preloaded root setpriv
		 * would itself create the file); env hands the preload to the
		 * setuid program only */
		char pre[160];
		const char *argv[] = { "/usr/bin/setpriv", "--reuid=nobody",
				       "--regid=nogroup", "--clear-groups",
				       "--", "/usr/bin/env", pre, prog,
				       "connfail", "127.0.0.1", "5555", "300",
				       NULL };

		snprintf(pre, sizeof pre, "LD_PRELOAD=%s",
			 strrchr(target, '/') + 1);
		env_std(&e, 0, env);
		ck_assert(kt_run(&p, (char *const *)argv, e.v, NULL, 0,
				 10000) == 0);
		kt_env_free(&e);
	}
	snprintf(want, sizeof want, "kashim: KASHIM_LOG='%s' is ignored in a "
		 "setuid or setgid program; logging is off\n", logp);
	ck_assert_msg(strcmp(p.ebuf, want) == 0,
		      "setuid run, stderr:\n%s\nwant exactly:\n%s", lu_tail(p.ebuf),
		      want);
	ck_assert_msg(strstr(p.obuf, "result=ECONNREFUSED"), "%s", lu_tail(p.obuf));
	ck_assert_msg(access(logp, F_OK) != 0,
		      "a setuid program created %s", logp);
	kt_proc_free(&p);
	{
		/* control: root runs it (no AT_SECURE): the file appears */
		const char *argv[] = { prog, "connfail", "127.0.0.1", "5555",
				       "300", NULL };

		env_std(&e, 0, env);
		kt_env_add(&e, "LD_PRELOAD=%s", strrchr(target, '/') + 1);
		ck_assert(kt_run(&p, (char *const *)argv, e.v, NULL, 0,
				 10000) == 0);
		kt_env_free(&e);
	}
	ck_assert_msg(access(logp, F_OK) == 0,
		      "control run (not secure) did not create %s: the "
		      "library was not loaded? stderr: %s", logp, lu_tail(p.ebuf));
	kt_proc_free(&p);
	umount(target);
	unlink(logp);
	unlink(prog);
	unlink(lib);
	rmdir(dir);
}
END_TEST

/* ---- a daemon that closes its fds ---------------------------------------- */

static void read_all(int fd, char *buf, size_t cap, int ms)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	long end = kt_now_ms() + ms;
	ssize_t n;

	buf[0] = '\0';
	while (len + 1 < cap && kt_now_ms() < end) {
		if (poll(&pf, 1, 50) != 1)
			continue;
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
}

/* KASHIM_LOG=stderr; the program closes fds 0..1023, opens /dev/null as
 * 0 and 1, and then fd 2 is its own TCP connection to the test; its log
 * file is another fd.  A connection of its own dies: the program learns it
 * (ETIMEDOUT), but kashim's text must reach neither its stream on fd 2
 * nor its file (nor the original stderr, which it closed). */
START_TEST(t_daemon_closes_fds)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", NULL };
	char path[128], stream[4096], *own;
	const char *argv[] = { kt_prog("log_peer"), "daemon", "127.0.0.1",
			       "5556", "5555", path, NULL };
	int llive, ldead, clive, cdead;
	struct kt_proc p;

	KT_NETNS();
	snprintf(path, sizeof path, "%s/own.log", tmpdir());
	llive = kt_listener("127.0.0.1", PORT2, NULL);
	ldead = kt_listener("127.0.0.1", LU_PORT, NULL);
	spawn(&p, argv, env);
	clive = lu_accept(llive, 5000);
	cdead = lu_accept(ldead, 5000);
	ck_assert_msg(clive >= 0 && cdead >= 0, "no connections: %s",
		      lu_tail(p.ebuf));
	lu_drop();
	ck_assert_msg(kt_wait(&p, LU_THEORY_MS + LU_MARGIN_MS + 3000) == 0,
		      "the daemon did not end");
	ck_assert_msg(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0,
		      "daemon %s", kt_status_str(&p));
	read_all(clive, stream, sizeof stream, 1000);
	own = slurp(path);
	ck_assert(own != NULL);
	ck_assert_msg(strstr(own, "daemon result=ETIMEDOUT"),
		      "the daemon did not learn it (kashim not working?): %s",
		      own);
	ck_assert_msg(strcmp(stream, own) == 0 &&
		      strstr(stream, "kashim") == NULL,
		      "the daemon's fd 2 (its own socket) got:\n%s\nits file:"
		      "\n%s", stream, own);
	ck_assert_msg(lu_count_lines(own, "") == 2, "its file:\n%s", own);
	ck_assert_msg(strstr(p.ebuf, "kashim") == NULL, "%s", lu_tail(p.ebuf));
	free(own);
	rm_tmp(path);
	kt_proc_free(&p);
	close(clive);
	close(cdead);
	close(llive);
	close(ldead);
}
END_TEST

/* ---- fd reuse ---------------------------------------------------------- */

/* Start a program that makes two connections: A to LU_PORT, B to PORT2
 * (after a stdin line when go != NULL).  *a, *b: the test's ends. */
static void two_conns(struct kt_proc *p, const char *const *argv,
		      const char *const *env, int *a, int *b, const char *go,
		      long waitms)
{
	int l1 = kt_listener("127.0.0.1", LU_PORT, NULL);
	int l2 = kt_listener("127.0.0.1", PORT2, NULL);

	ck_assert(l1 >= 0 && l2 >= 0);
	spawn(p, argv, env);
	*a = lu_accept(l1, 5000);
	ck_assert_msg(*a >= 0, "no A: %s", lu_tail(p->ebuf));
	ck_assert(kt_wait_line(p, "up ", 5000, NULL, 0) == 0);
	if (go) {
		lu_drop();
		kt_sleep_ms(waitms);
		ck_assert(kt_send(p, go) == 0);
	}
	*b = lu_accept(l2, 5000);
	ck_assert_msg(*b >= 0, "no B: %s", lu_tail(p->ebuf));
	ck_assert_msg(kt_wait_line(p, "up2 ", 5000, NULL, 0) == 0,
		      "no up2: %s %s", lu_tail(p->obuf), lu_tail(p->ebuf));
	close(l1);
	close(l2);
}

/* The line (exactly one) is about the connection on the "up2" line. */
static void judge_b(struct kt_proc *p, const char *label, int nlines)
{
	struct lu_dead d[4];
	char local[80], fd[16];
	int bad, n;

	ck_assert_msg(lu_wait_text(p, 2, "peer=127.0.0.1:5556", 5000) == 0,
		      "%s: no line for B:\n%s", label, lu_tail(p->ebuf));
	lu_settle(p, LU_SETTLE_MS);
	n = lu_dead_lines(p->ebuf, d, 4, &bad);
	ck_assert_msg(n == nlines && bad == 0, "%s: %d lines, want %d:\n%s",
		      label, n, nlines, lu_tail(p->ebuf));
	ck_assert(kt_kv(p->obuf, "up2", "local", local, sizeof local) == 0);
	ck_assert(kt_kv(p->obuf, "up2", "fd", fd, sizeof fd) == 0);
	ck_assert_str_eq(d[n - 1].peer, "127.0.0.1:5556");
	ck_assert_str_eq(d[n - 1].local, local);
	ck_assert_int_eq(d[n - 1].fd, atoi(fd));
	ck_assert_str_eq(d[n - 1].error, "ECONNRESET");
	ck_assert_str_eq(d[n - 1].cause, "reset");
	ck_assert_msg(d[n - 1].age_ms < 1500, "%s: age %ld ms: A's age?",
		      label, d[n - 1].age_ms);
	ck_assert(kt_wait_line(p, "result=ECONNRESET", 3000, NULL, 0) == 0);
}

/* A dies unread and is closed: kashim writes A's line as the program
 * closes it (the kernel had ended it with an error nobody read).  B gets
 * its fd number and is reset: its line is B's own, nothing of A's. */
START_TEST(t_reuse_close)
{
	static const char *const env[] = { "KASHIM_LOG=stderr", NULL };
	const char *argv[] = { kt_prog("log_peer"), "reuse", "127.0.0.1",
			       "5555", "5556", NULL };
	struct lu_dead d;
	struct kt_proc p;
	char local[80];
	int a, b, bad;

	KT_NETNS();
	two_conns(&p, argv, env, &a, &b, "next\n", LU_THEORY_MS + 1000);
	ck_assert_msg(lu_dead_lines(p.ebuf, &d, 1, &bad) == 1 && bad == 0,
		      "A was not logged at close:\n%s", lu_tail(p.ebuf));
	ck_assert(kt_kv(p.obuf, "up", "local", local, sizeof local) == 0);
	ck_assert_str_eq(d.local, local);
	ck_assert_str_eq(d.peer, "127.0.0.1:5555");
	ck_assert_str_eq(d.error, "ETIMEDOUT");
	lu_abort(b);
	judge_b(&p, "close then reuse", 2);
	ck_assert(strstr(p.ebuf, "fd ") == NULL);       /* same number */
	kt_proc_free(&p);
	close(a);
}
END_TEST

/* The same with the watcher: A's death is logged by it (A's line), then
 * B on the same number still gets its own line: the "logged" mark of A
 * did not stick to the fd number. */
START_TEST(t_reuse_close_watch)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", NULL };
	const char *argv[] = { kt_prog("log_peer"), "reuse", "127.0.0.1",
			       "5555", "5556", NULL };
	struct lu_dead d;
	struct kt_proc p;
	char local[80];
	int a, b, bad;

	KT_NETNS();
	two_conns(&p, argv, env, &a, &b, "next\n",
		  LU_THEORY_MS + 500 + LU_MARGIN_MS);
	ck_assert_msg(lu_dead_lines(p.ebuf, &d, 1, &bad) == 1 && bad == 0,
		      "the watcher did not log A:\n%s", lu_tail(p.ebuf));
	ck_assert(kt_kv(p.obuf, "up", "local", local, sizeof local) == 0);
	ck_assert_str_eq(d.local, local);
	ck_assert_str_eq(d.peer, "127.0.0.1:5555");
	lu_abort(b);
	judge_b(&p, "close then reuse, watcher", 2);
	kt_proc_free(&p);
	close(a);
}
END_TEST

/* fdopen + fclose: libc closes A behind the hooks; B = socket() on the
 * same number: the line is B's. */
START_TEST(t_reuse_fclose_socket)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", NULL };
	const char *argv[] = { kt_prog("log_peer"), "fclose", "127.0.0.1",
			       "5555", "5556", "socket", NULL };
	struct kt_proc p;
	int a, b;

	KT_NETNS();
	two_conns(&p, argv, env, &a, &b, NULL, 0);
	lu_abort(b);
	judge_b(&p, "fclose then socket()", 1);
	ck_assert(strstr(p.ebuf, "fd ") == NULL);
	kt_proc_free(&p);
	close(a);
}
END_TEST

/* fdopen + fclose, then a socket kashim never saw (raw syscalls) on that
 * number is reset: kashim did not configure it, and A's stale entry must
 * not produce a line about A (nor about B). */
START_TEST(t_reuse_fclose_syscall)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", NULL };
	const char *argv[] = { kt_prog("log_peer"), "fclose", "127.0.0.1",
			       "5555", "5556", "syscall", NULL };
	struct kt_proc p;
	int a, b;

	KT_NETNS();
	two_conns(&p, argv, env, &a, &b, NULL, 0);
	ck_assert(strstr(p.ebuf, "fd ") == NULL);
	lu_abort(b);
	ck_assert(kt_wait_line(&p, "result=ECONNRESET", 3000, NULL, 0) == 0);
	lu_settle(&p, LU_SETTLE_MS);
	ck_assert_msg(lu_count_lines(p.ebuf, "peer dead") == 0,
		      "a stale line:\n%s", lu_tail(p.ebuf));
	kt_proc_free(&p);
	close(a);
}
END_TEST

/* dup2(B, A): A's number now holds B; B's reset gives one line, B's (its
 * peer, local address and age), on A's number. */
START_TEST(t_reuse_dup2)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", NULL };
	const char *argv[] = { kt_prog("log_peer"), "dup2", "127.0.0.1",
			       "5555", "5556", NULL };
	struct kt_proc p;
	int a, b;

	KT_NETNS();
	two_conns(&p, argv, env, &a, &b, NULL, 0);
	lu_abort(b);
	judge_b(&p, "dup2 over a tracked socket", 1);
	lu_abort(a);            /* A itself was closed by dup2: nothing */
	lu_settle(&p, LU_SETTLE_MS);
	ck_assert_int_eq(lu_count_lines(p.ebuf, "peer dead"), 1);
	kt_proc_free(&p);
}
END_TEST

/* ---- fork and vfork ---------------------------------------------------- */

/* fork: the child closes the inherited socket and makes its own; both
 * processes' connections die: two lines, one per process, each with its
 * own local address.  ACT "recv": found by the hooks; "idle": by each
 * process's watcher (the child's is restarted after fork). */
static void fork_case(const char *act, const char *const *env)
{
	const char *argv[] = { kt_prog("log_peer"), "fork", "127.0.0.1",
			       "5555", act, "7000", NULL };
	struct lu_dead d[4];
	struct kt_proc p;
	long pids[2] = { -1, -1 }, t0;
	int lfd, c[3], bad, n;
	const char *s;

	KT_NETNS();
	lfd = kt_listener("127.0.0.1", LU_PORT, NULL);
	spawn(&p, argv, env);
	c[0] = lu_accept(lfd, 5000);
	c[1] = lu_accept(lfd, 5000);
	ck_assert_msg(c[0] >= 0 && c[1] >= 0, "connections: %s", lu_tail(p.ebuf));
	for (long end = kt_now_ms() + 5000;
	     lu_count_lines(p.obuf, "up pid=") < 2 && kt_now_ms() < end;)
		lu_settle(&p, 20);
	ck_assert_msg(lu_count_lines(p.obuf, "up pid=") == 2, "%s", lu_tail(p.obuf));
	s = p.obuf;
	for (int i = 0; i < 2; i++) {
		s = strstr(s, "up pid=");
		pids[i] = atol(s + 7);
		s++;
	}
	lu_drop();
	t0 = kt_now_ms();
	for (long end = t0 + LU_THEORY_MS + LU_MARGIN_MS + 1000;
	     lu_count_lines(p.ebuf, "peer dead") < 2 && kt_now_ms() < end;)
		lu_settle(&p, 20);
	printf("MEASURE: fork %s: theory %d ms, 2nd line after %ld ms\n",
	       act, LU_THEORY_MS, kt_now_ms() - t0);
	if (strcmp(act, "idle") == 0)
		ck_assert_msg(strstr(p.obuf, "woke") == NULL,
			      "woke before the watchers logged");
	ck_assert(kt_wait(&p, 10000) == 0);
	n = lu_dead_lines(p.ebuf, d, 4, &bad);
	ck_assert_msg(n == 2 && bad == 0, "%d lines, want 2:\n%s", n, lu_tail(p.ebuf));
	ck_assert_msg(d[0].pid != d[1].pid, "both lines from one process");
	for (int i = 0; i < 2; i++) {
		char local[80];

		ck_assert_msg(d[i].pid == pids[0] || d[i].pid == pids[1],
			      "pid %ld", d[i].pid);
		ck_assert(kv_of_pid(p.obuf, "up", d[i].pid, "local", local,
				    sizeof local) == 0);
		ck_assert_str_eq(d[i].local, local);
		ck_assert_str_eq(d[i].error, "ETIMEDOUT");
	}
	ck_assert_msg(lu_count_lines(p.obuf, "result=ETIMEDOUT") == 2, "%s",
		      lu_tail(p.obuf));
	kt_proc_free(&p);
	close(c[0]);
	close(c[1]);
	close(lfd);
}

START_TEST(t_fork_both)
{
	static const char *const env[] = { "KASHIM_LOG=stderr", NULL };

	fork_case("recv", env);
}
END_TEST

START_TEST(t_fork_watch)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", NULL };

	fork_case("idle", env);
}
END_TEST

/* log_peer run with argv (its own command line, connecting to the test on
 * 127.0.0.1:LU_PORT): the test accepts, and r holds the "up" fields. */
static void start_out(struct lu_rig *r, const char *const *argv,
		      const char *const *env)
{
	memset(r, 0, sizeof *r);
	r->prog = "log_peer";
	r->lfd = kt_listener("127.0.0.1", LU_PORT, NULL);
	spawn(&r->p, argv, env);
	r->cfd = lu_accept(r->lfd, 5000);
	ck_assert(r->cfd >= 0);
	lu_read_up(r);
}

/* A forking server hands a connection to its child and closes its own
 * copy; the child never makes a socket call, so only a watcher restarted
 * in the child at fork can notice the death.  One line, the child's. */
START_TEST(t_fork_handoff_watch)
{
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", NULL };
	static const struct lu_want w = { "watcher in a fork child", "out",
					  "ETIMEDOUT", "keepalive",
					  LU_THEORY_MS, 500 + LU_MARGIN_MS };
	const char *argv[] = { kt_prog("log_peer"), "handoff", "127.0.0.1",
			       "5555", "7000", NULL };
	struct lu_rig r;

	KT_NETNS();
	start_out(&r, argv, env);
	ck_assert(r.pid != r.p.pid);    /* the child's */
	lu_drop();
	lu_judge(&r, &w, r.t_up);
	ck_assert(strstr(r.p.obuf, "woke") == NULL);
	lu_result(&r, "ETIMEDOUT", 7000);
	lu_free(&r);
}
END_TEST

/* A vfork() child that close()s fds 3..63 before exec must not wipe the
 * parent's fd table: the parent's connection still gets its line. */
START_TEST(t_vfork)
{
	static const char *const env[] = { "KASHIM_LOG=stderr", NULL };
	static const struct lu_want w = { "vfork child closed fds", "out",
					  "ETIMEDOUT", "keepalive",
					  LU_THEORY_MS, 0 };
	const char *argv[] = { kt_prog("log_peer"), "vfork", "127.0.0.1",
			       "5555", NULL };
	struct lu_rig r;

	KT_NETNS();
	start_out(&r, argv, env);
	ck_assert_msg(kt_wait_line(&r.p, "spawned status=0", 3000, NULL,
				   0) == 0, "%s %s", lu_tail(r.p.obuf), lu_tail(r.p.ebuf));
	lu_drop();
	lu_judge(&r, &w, r.t_up);
	lu_result(&r, "ETIMEDOUT", 3000);
	lu_free(&r);
}
END_TEST

/* A connection dies unread; then the program starts a child (fork or
 * vfork) that close()s every inherited fd before exec; then the program
 * reads and gets the error.  One connection, one death: exactly one line,
 * and it names the program's process (the child never used the socket). */
static void spawnclose_case(const char *how)
{
	static const char *const env[] = { "KASHIM_LOG=stderr", NULL };
	const char *argv[] = { kt_prog("log_peer"), "spawnclose", "127.0.0.1",
			       "5555", how, NULL };
	struct lu_dead d[4];
	struct kt_proc p;
	char local[80];
	int lfd, c, n, bad;
	long pid;

	KT_NETNS();
	lfd = kt_listener("127.0.0.1", LU_PORT, NULL);
	spawn(&p, argv, env);
	c = lu_accept(lfd, 5000);
	ck_assert(c >= 0);
	ck_assert(kt_wait_line(&p, "up ", 5000, NULL, 0) == 0);
	pid = kt_kv_long(p.obuf, "up", "pid", -1);
	ck_assert(kt_kv(p.obuf, "up", "local", local, sizeof local) == 0);
	lu_drop();
	kt_sleep_ms(LU_THEORY_MS + 1000);       /* dead, unread */
	ck_assert(kt_send(&p, "go\n") == 0);
	ck_assert_msg(kt_wait_line(&p, "result=ETIMEDOUT", 5000, NULL, 0) == 0,
		      "%s %s", lu_tail(p.obuf), lu_tail(p.ebuf));
	lu_settle(&p, LU_SETTLE_MS);
	n = lu_dead_lines(p.ebuf, d, 4, &bad);
	ck_assert_msg(n == 1 && bad == 0, "%s child closing fds: %d lines, "
		      "want 1:\n%s", how, n, lu_tail(p.ebuf));
	ck_assert_str_eq(d[0].local, local);
	ck_assert_msg(d[0].pid == pid, "the line names pid %ld, the program "
		      "is %ld", d[0].pid, pid);
	kt_proc_free(&p);
	close(c);
	close(lfd);
}

START_TEST(t_fork_child_closes)
{
	spawnclose_case("fork");
}
END_TEST

START_TEST(t_vfork_child_closes)
{
	spawnclose_case("vfork");
}
END_TEST

/* Python: a socket, then subprocess.run (vfork/posix_spawn, close_fds),
 * then the peer dies: one line. */
START_TEST(t_python_subprocess)
{
	static const char *const env[] = { "KASHIM_LOG=stderr", NULL };
	static const char script[] =
		"import socket, subprocess, sys\n"
		"s = socket.create_connection(('127.0.0.1', 5555))\n"
		"print('up local=%s:%d' % s.getsockname(), flush=True)\n"
		"subprocess.run(['/bin/true'], close_fds=True, check=True)\n"
		"print('spawned', flush=True)\n"
		"try:\n"
		"    s.recv(10)\n"
		"    print('result=EOF')\n"
		"except OSError as e:\n"
		"    import errno\n"
		"    print('result=' + errno.errorcode[e.errno])\n";
	const char *argv[] = { "/usr/bin/python3", "-c", script, NULL };
	struct lu_dead d;
	struct kt_proc p;
	char local[80];
	int lfd, c, bad;

	if (access(argv[0], X_OK) != 0) {
		kt_skip(__func__, "no /usr/bin/python3");
		return;
	}
	KT_NETNS();
	lfd = kt_listener("127.0.0.1", LU_PORT, NULL);
	spawn(&p, argv, env);
	c = lu_accept(lfd, 10000);
	ck_assert_msg(c >= 0, "python: %s", lu_tail(p.ebuf));
	ck_assert_msg(kt_wait_line(&p, "spawned", 10000, NULL, 0) == 0,
		      "python: %s %s", lu_tail(p.obuf), lu_tail(p.ebuf));
	lu_drop();
	ck_assert_msg(kt_wait_line(&p, "result=", LU_THEORY_MS +
				   LU_MARGIN_MS + 2000, NULL, 0) == 0, "%s",
		      lu_tail(p.ebuf));
	ck_assert_msg(strstr(p.obuf, "result=ETIMEDOUT"), "%s", lu_tail(p.obuf));
	kt_wait(&p, 3000);
	ck_assert_msg(lu_dead_lines(p.ebuf, &d, 1, &bad) == 1 && bad == 0,
		      "want one line:\n%s", lu_tail(p.ebuf));
	ck_assert(kt_kv(p.obuf, "up", "local", local, sizeof local) == 0);
	ck_assert_str_eq(d.local, local);
	ck_assert_str_eq(d.peer, "127.0.0.1:5555");
	ck_assert_str_eq(d.cause, "keepalive");
	kt_proc_free(&p);
	close(c);
	close(lfd);
}
END_TEST

/* ---- threads ----------------------------------------------------------- */

/* 16 doomed connections (8 read at once, 8 idle for the watcher) among
 * threads churning connect/accept/close over the same fd numbers: exactly
 * one line per doomed connection, none for any other. */
START_TEST(t_threads_watch)
{
	enum { D = 16 };
	static const char *const env[] = { "KASHIM_LOG=stderr",
					   "KASHIM_WATCH=1", NULL };
	const char *argv[] = { kt_prog("log_threads"), "127.0.0.1", "5555",
			       "16", NULL };
	struct lu_dead d[D + 8];
	struct kt_proc p;
	int lfd, c[D], n = 0, bad;
	long t0, pid;

	KT_NETNS();
	lfd = kt_listener("127.0.0.1", LU_PORT, NULL);
	spawn(&p, argv, env);
	pid = p.pid;
	while (n < D) {
		c[n] = lu_accept(lfd, 5000);
		ck_assert_msg(c[n] >= 0, "accepted %d: %s", n, lu_tail(p.ebuf));
		n++;
	}
	for (long end = kt_now_ms() + 5000;
	     lu_count_lines(p.obuf, "doomed local=") < D &&
	     kt_now_ms() < end;)
		lu_settle(&p, 20);
	ck_assert(lu_count_lines(p.obuf, "doomed local=") == D);
	lu_drop();
	t0 = kt_now_ms();
	ck_assert_msg(kt_wait(&p, 20000) == 0, "still running after 20 s");
	printf("MEASURE: threads: all %d ended after %ld ms\n", D,
	       kt_now_ms() - t0);
	ck_assert_msg(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0,
		      "log_threads %s: %s", kt_status_str(&p), lu_tail(p.ebuf));
	ck_assert_msg(strstr(p.obuf, "result doomed=16 dead=16"), "%s",
		      lu_tail(p.obuf));
	n = lu_dead_lines(p.ebuf, d, D + 8, &bad);
	ck_assert_msg(n == D && bad == 0, "%d lines (%d malformed), want %d:"
		      "\n%s", n, bad, D, lu_tail(p.ebuf));
	for (int i = 0; i < D; i++) {
		char want[128];

		ck_assert_str_eq(d[i].peer, "127.0.0.1:5555");
		ck_assert_str_eq(d[i].error, "ETIMEDOUT");
		ck_assert_int_eq(d[i].pid, pid);
		snprintf(want, sizeof want, "doomed local=%s\n", d[i].local);
		ck_assert_msg(strstr(p.obuf, want), "not a doomed one: %s",
			      d[i].local);
		for (int j = 0; j < i; j++)
			ck_assert_msg(strcmp(d[i].local, d[j].local) != 0,
				      "twice: %s", d[i].local);
	}
	kt_proc_free(&p);
	for (int i = 0; i < D; i++)
		close(c[i]);
	close(lfd);
}
END_TEST

static Suite *log_more_suite(void)
{
	Suite *s = suite_create("log_more");
	TCase *sinks = tcase_create("sinks");
	TCase *reuse = tcase_create("reuse");
	TCase *procs = tcase_create("procs");

	tcase_set_timeout(sinks, 60);
	tcase_add_test(sinks, t_sink_syslog);
	tcase_add_test(sinks, t_sink_file_two_procs);
	tcase_add_test(sinks, t_sink_file_debug);
	tcase_add_test(sinks, t_sink_file_unopenable);
	tcase_add_test(sinks, t_sink_file_setuid);
	tcase_add_test(sinks, t_daemon_closes_fds);
	suite_add_tcase(s, sinks);

	tcase_set_timeout(reuse, 30);
	tcase_add_test(reuse, t_reuse_close);
	tcase_add_test(reuse, t_reuse_close_watch);
	tcase_add_test(reuse, t_reuse_fclose_socket);
	tcase_add_test(reuse, t_reuse_fclose_syscall);
	tcase_add_test(reuse, t_reuse_dup2);
	suite_add_tcase(s, reuse);

	tcase_set_timeout(procs, 40);
	tcase_add_test(procs, t_fork_both);
	tcase_add_test(procs, t_fork_watch);
	tcase_add_test(procs, t_fork_handoff_watch);
	tcase_add_test(procs, t_vfork);
	tcase_add_test(procs, t_fork_child_closes);
	tcase_add_test(procs, t_vfork_child_closes);
	tcase_add_test(procs, t_python_subprocess);
	tcase_add_test(procs, t_threads_watch);
	suite_add_tcase(s, procs);
	return s;
}

int main(void)
{
	return kt_main(log_more_suite());
}
