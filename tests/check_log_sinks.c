/* kashim — where the dead-peer lines go: the sinks (syslog, a file
 * written by two processes at once, the debug lines in a file, an
 * unopenable path, a setuid program), and a daemon that closes every fd
 * (the log's own included).
 *
 * As in check_log.c: one network namespace per case, the test process is
 * the other end of every connection (testlib's rig), IDLE/INTVL/CNT =
 * 1/1/2.
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

#include "testlib.h"

#define PORT2 5556

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


/* ---- syslog ------------------------------------------------------------ */

/* KASHIM_LOG=syslog with the test hook KASHIM_SYSLOG_SOCKET: one datagram
 * "<28>Mmm dd hh:mm:ss kashim[PID]: peer dead ..." (LOG_DAEMON|
 * LOG_WARNING), nothing on stderr, nothing more. */
START_TEST(t_sink_syslog)
{
	static const struct kt_want w = KT_WANT_KEEPALIVE("syslog", "out");
	char path[128], envs[160], msg[1024];
	const char *env[] = { "KASHIM_LOG=syslog", envs, NULL };
	struct sockaddr_un sun;
	struct pollfd pf;
	struct kt_dead d;
	struct kt_rig r;
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
	kt_rig_start(&r, "log_peer", "out", "127.0.0.1", "recv", NULL, env, 1);
	kt_drop_port();
	pf = (struct pollfd){ .fd = s, .events = POLLIN };
	ck_assert_msg(poll(&pf, 1, KT_THEORY_MS + KT_MARGIN_MS + 2000) == 1,
		      "no syslog datagram; stderr: %s", kt_tail(r.p.ebuf));
	printf("MEASURE: syslog: theory %d ms, datagram after %ld ms\n",
	       KT_THEORY_MS, kt_now_ms() - r.t_up);
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
	ck_assert_msg(kt_parse_dead(strstr(msg, "kashim["), &d) == 0,
		      "fields: '%s'", msg);
	ck_assert(d.pid == r.pid);
	ck_assert_str_eq(d.local, r.local);
	ck_assert_str_eq(d.peer, r.peer);
	ck_assert_str_eq(d.error, w.error);
	ck_assert_str_eq(d.cause, w.cause);
	kt_rig_result(&r, "ETIMEDOUT", 3000);
	pf.revents = 0;
	ck_assert_msg(poll(&pf, 1, KT_SETTLE_MS) == 0,
		      "a second datagram");
	ck_assert_msg(strstr(r.p.ebuf, "kashim") == NULL,
		      "syslog sink, yet on stderr: %s", kt_tail(r.p.ebuf));
	kt_rig_free(&r);
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
	static struct kt_dead d[N + 10];
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
	kt_rig_spawn(&p[0], argv, env);
	kt_rig_spawn(&p[1], argv, env);
	pid[0] = p[0].pid;
	pid[1] = p[1].pid;
	end = kt_now_ms() + 15000;
	while (n < N && kt_now_ms() < end) {
		int fd = kt_accept(lfd, 200);

		if (fd >= 0)
			fds[n++] = fd;
	}
	ck_assert_msg(n == N, "accepted %d of %d", n, N);
	for (int i = 0; i < 2; i++)
		ck_assert_msg(kt_wait_line(&p[i], "up n=100", 5000, NULL,
					   0) == 0, "no 'up': %s", kt_tail(p[i].ebuf));
	for (int i = 0; i < N; i++)
		kt_abort(fds[i]);
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(kt_wait(&p[i], 15000) == 0, "still running");
		kt_assert_preloaded(&p[i]);
		ck_assert_msg(strstr(p[i].obuf, "result errors=100 eofs=0"),
			      "program: %s", kt_tail(p[i].obuf));
	}
	text = kt_read_file(path, NULL);
	ck_assert_msg(text != NULL, "no log file %s", path);
	lines = kt_count_lines(text, "");
	n = kt_dead_lines(text, d, N + 10, &bad);
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
	struct kt_dead d;
	struct kt_rig r;
	int bad;

	KT_NETNS();
	snprintf(path, sizeof path, "%s/dead.log", tmpdir());
	snprintf(envs, sizeof envs, "KASHIM_LOG=%s", path);
	kt_rig_recv_timeout(&r, env);
	kt_wait(&r.p, 3000);
	text = kt_read_file(path, NULL);
	ck_assert(text != NULL);
	snprintf(want, sizeof want, "kashim[%ld]: configured prog=log_peer "
		 "fd=%d dir=out peer=%s idle=1 intvl=1 cnt=2 user_timeout=3000 "
		 "options_set=", r.pid, r.fd, r.peer);
	ck_assert_msg(strstr(text, want) != NULL, "no '%s' in the file:\n%s",
		      want, kt_tail(text));
	ck_assert_msg(kt_dead_lines(text, &d, 1, &bad) == 1 && bad == 0,
		      "the file:\n%s", kt_tail(text));
	ck_assert_str_eq(d.local, r.local);
	ck_assert_msg(r.p.ebuf[0] == '\0', "stderr: %s", kt_tail(r.p.ebuf));
	free(text);
	rm_tmp(path);
	kt_rig_free(&r);
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
	struct kt_rig r;

	KT_NETNS();
	kt_rig_recv_timeout(&r, env);
	kt_wait(&r.p, 3000);
	ck_assert_msg(strcmp(r.p.ebuf, want) == 0,
		      "stderr:\n%s\nwant exactly:\n%s", kt_tail(r.p.ebuf), want);
	kt_rig_free(&r);
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
		kt_rig_env(&e, 0, env);
		ck_assert(kt_run(&p, (char *const *)argv, e.v, NULL, 0,
				 10000) == 0);
		kt_env_free(&e);
	}
	snprintf(want, sizeof want, "kashim: KASHIM_LOG='%s' is ignored in a "
		 "setuid or setgid program; logging is off\n", logp);
	ck_assert_msg(strcmp(p.ebuf, want) == 0,
		      "setuid run, stderr:\n%s\nwant exactly:\n%s", kt_tail(p.ebuf),
		      want);
	ck_assert_msg(strstr(p.obuf, "result=ECONNREFUSED"), "%s", kt_tail(p.obuf));
	ck_assert_msg(access(logp, F_OK) != 0,
		      "a setuid program created %s", logp);
	kt_proc_free(&p);
	{
		/* control: root runs it (no AT_SECURE): the file appears */
		const char *argv[] = { prog, "connfail", "127.0.0.1", "5555",
				       "300", NULL };

		kt_rig_env(&e, 0, env);
		kt_env_add(&e, "LD_PRELOAD=%s", strrchr(target, '/') + 1);
		ck_assert(kt_run(&p, (char *const *)argv, e.v, NULL, 0,
				 10000) == 0);
		kt_env_free(&e);
	}
	ck_assert_msg(access(logp, F_OK) == 0,
		      "control run (not secure) did not create %s: the "
		      "library was not loaded? stderr: %s", logp, kt_tail(p.ebuf));
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
	ldead = kt_listener("127.0.0.1", KT_PORT, NULL);
	kt_rig_spawn(&p, argv, env);
	clive = kt_accept(llive, 5000);
	cdead = kt_accept(ldead, 5000);
	ck_assert_msg(clive >= 0 && cdead >= 0, "no connections: %s",
		      kt_tail(p.ebuf));
	kt_drop_port();
	ck_assert_msg(kt_wait(&p, KT_THEORY_MS + KT_MARGIN_MS + 3000) == 0,
		      "the daemon did not end");
	ck_assert_msg(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0,
		      "daemon %s", kt_status_str(&p));
	read_all(clive, stream, sizeof stream, 1000);
	own = kt_read_file(path, NULL);
	ck_assert(own != NULL);
	ck_assert_msg(strstr(own, "daemon result=ETIMEDOUT"),
		      "the daemon did not learn it (kashim not working?): %s",
		      own);
	ck_assert_msg(strcmp(stream, own) == 0 &&
		      strstr(stream, "kashim") == NULL,
		      "the daemon's fd 2 (its own socket) got:\n%s\nits file:"
		      "\n%s", stream, own);
	ck_assert_msg(kt_count_lines(own, "") == 2, "its file:\n%s", own);
	ck_assert_msg(strstr(p.ebuf, "kashim") == NULL, "%s", kt_tail(p.ebuf));
	free(own);
	rm_tmp(path);
	kt_proc_free(&p);
	close(clive);
	close(cdead);
	close(llive);
	close(ldead);
}
END_TEST

static Suite *log_sinks_suite(void)
{
	Suite *s = suite_create("log_sinks");
	TCase *sinks = kt_tcase(s, "sinks", 60);

	tcase_add_test(sinks, t_sink_syslog);
	tcase_add_test(sinks, t_sink_file_two_procs);
	tcase_add_test(sinks, t_sink_file_debug);
	tcase_add_test(sinks, t_sink_file_unopenable);
	tcase_add_test(sinks, t_sink_file_setuid);
	tcase_add_test(sinks, t_daemon_closes_fds);
	return s;
}

int main(void)
{
	return kt_main(log_sinks_suite());
}
