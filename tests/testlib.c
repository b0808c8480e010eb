/* kashim tests — shared helpers (see testlib.h). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "progs/prog.h"

/* ---- paths ------------------------------------------------------------ */

/* Directory of the running test binary (build/tests), computed once. */
static const char *self_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n;
	char *slash;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof dir - 1);
	if (n <= 0) {
		strcpy(dir, ".");
		return dir;
	}
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return dir;
}

const char *kt_testlib(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("KASHIM_TESTLIB");

	if (env && *env)
		return env;
	if (!path[0])
		snprintf(path, sizeof path, "%s/../libkashim.so", self_dir());
	return path;
}

const char *kt_prog(const char *name)
{
	char *path;

	if (asprintf(&path, "%s/progs/%s", self_dir(), name) < 0)
		abort();
	return path;
}

char *kt_strf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* ---- files ------------------------------------------------------------ */

char *kt_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	size_t n = 0, cap = 4096;
	char *buf;
	ssize_t got;

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	if (!buf)
		abort();                /* out of memory: as kt_strf */
	for (;;) {
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
		if (n == cap - 1) {
			char *more = realloc(buf, cap * 2);

			if (!more)
				abort();
			buf = more;
			cap *= 2;
		}
	}
	e = errno;
	close(fd);
	if (got < 0) {
		free(buf);
		errno = e;
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* ---- environment lists ------------------------------------------------ */

void kt_env_init(struct kt_env *e, int preload)
{
	memset(e, 0, sizeof *e);
	kt_env_add(e, "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	kt_env_add(e, "LC_ALL=C");
	if (preload)
		kt_env_add(e, "LD_PRELOAD=%s", kt_testlib());
}

void kt_env_add(struct kt_env *e, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (e->n >= KT_ENV_MAX)
		abort();
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
}

void kt_env_free(struct kt_env *e)
{
	for (int i = 0; i < e->n; i++)
		free(e->v[i]);
	e->n = 0;
	e->v[0] = NULL;
}

/* ---- processes -------------------------------------------------------- */

static int is_kept(int fd, const int *keep, int nkeep)
{
	for (int i = 0; i < nkeep; i++)
		if (keep[i] == fd)
			return 1;
	return 0;
}

/* In the child: stdio from the pipes, every other fd closed unless kept. */
static void child_setup(int pin[2], int pout[2], int perr[2],
			const int *keep, int nkeep)
{
	long max = sysconf(_SC_OPEN_MAX);

	setpgid(0, 0);
	dup2(pin[0], 0);
	dup2(pout[1], 1);
	dup2(perr[1], 2);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < max; fd++)
		if (!is_kept(fd, keep, nkeep))
			close(fd);
	for (int i = 0; i < nkeep; i++)
		fcntl(keep[i], F_SETFD, 0);
	signal(SIGPIPE, SIG_DFL);
}

int kt_spawn(struct kt_proc *p, char *const argv[], char *const envp[],
	     const int *keep, int nkeep)
{
	return kt_spawn_in(p, NULL, argv, envp, keep, nkeep);
}

int kt_spawn_in(struct kt_proc *p, const char *cwd, char *const argv[],
		char *const envp[], const int *keep, int nkeep)
{
	int pin[2], pout[2], perr[2];
	struct stat st;

	memset(p, 0, sizeof *p);
	p->in = p->out = p->err = -1;
	if (cwd && stat(cwd, &st) != 0)
		return -1;
	if (cwd && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	p->ocap = p->ecap = 4096;
	p->obuf = calloc(1, p->ocap);
	p->ebuf = calloc(1, p->ecap);
	if (!p->obuf || !p->ebuf)
		abort();
	pin[0] = pin[1] = pout[0] = pout[1] = perr[0] = perr[1] = -1;
	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 ||
	    pipe2(perr, O_CLOEXEC) < 0)
		goto fail;
	p->t0_ms = kt_now_ms();
	p->pid = fork();
	if (p->pid < 0)
		goto fail;
	if (p->pid == 0) {
		child_setup(pin, pout, perr, keep, nkeep);
		if (cwd && chdir(cwd) != 0) {
			dprintf(2, "chdir %s: %s\n", cwd, strerror(errno));
			_exit(127);
		}
		execve(argv[0], argv, envp);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(p->pid, p->pid);        /* no race with kill() of the group */
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	p->in = pin[1];
	p->out = pout[0];
	p->err = perr[0];
	fcntl(p->out, F_SETFL, O_NONBLOCK);
	fcntl(p->err, F_SETFL, O_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);       /* a dead child's stdin must not kill us */
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		int e = errno;

		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
		errno = e;
	}
	p->pid = 0;
	return -1;
}

/* Read what is available on *fd into the buffer; closes *fd at EOF. */
static void drain(int *fd, char **buf, size_t *len, size_t *cap)
{
	char tmp[4096];
	ssize_t n;

	while (*fd >= 0) {
		n = read(*fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;         /* EAGAIN: nothing more for now */
		if (n == 0) {
			close(*fd);
			*fd = -1;
			return;
		}
		while (*len + (size_t)n + 1 > *cap) {
			*cap *= 2;
			*buf = realloc(*buf, *cap);
			if (!*buf)
				abort();
		}
		memcpy(*buf + *len, tmp, (size_t)n);
		*len += (size_t)n;
		(*buf)[*len] = '\0';
	}
}

/* Wait up to ms for output, then collect it. */
static void pump(struct kt_proc *p, int ms)
{
	struct pollfd pf[2];
	int n = 0;

	if (p->out >= 0)
		pf[n++] = (struct pollfd){ .fd = p->out, .events = POLLIN };
	if (p->err >= 0)
		pf[n++] = (struct pollfd){ .fd = p->err, .events = POLLIN };
	if (n == 0) {
		if (ms > 0)
			kt_sleep_ms(ms);
		return;
	}
	poll(pf, (nfds_t)n, ms);
	drain(&p->out, &p->obuf, &p->olen, &p->ocap);
	drain(&p->err, &p->ebuf, &p->elen, &p->ecap);
}

static int reap(struct kt_proc *p)
{
	pid_t r;

	if (p->pid <= 0)
		return 1;
	r = waitpid(p->pid, &p->status, WNOHANG);
	if (r == p->pid) {
		p->pid = 0;
		return 1;
	}
	return 0;
}

static const char *find_line(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *s = text;

	while (s && *s) {
		if (strncmp(s, prefix, n) == 0 && strchr(s, '\n'))
			return s;
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return NULL;
}

int kt_wait_line(struct kt_proc *p, const char *prefix, int timeout_ms,
		 char *line, size_t cap)
{
	long end = kt_now_ms() + timeout_ms;
	const char *s;

	for (;;) {
		s = find_line(p->obuf, prefix);
		if (s) {
			if (line) {
				size_t n = (size_t)(strchr(s, '\n') - s);

				if (n >= cap)
					n = cap - 1;
				memcpy(line, s, n);
				line[n] = '\0';
			}
			return 0;
		}
		if (p->out < 0 || kt_now_ms() >= end)
			return -1;
		pump(p, (int)(end - kt_now_ms()) > 50 ? 50 :
		     (int)(end - kt_now_ms()));
	}
}

int kt_send(struct kt_proc *p, const char *s)
{
	size_t n = strlen(s);

	if (p->in < 0)
		return -1;
	return write(p->in, s, n) == (ssize_t)n ? 0 : -1;
}

void kt_close_stdin(struct kt_proc *p)
{
	if (p->in >= 0)
		close(p->in);
	p->in = -1;
}

/* After the exit: collect what the pipes still hold, without waiting for
 * descendants that may keep them open. */
static void final_drain(struct kt_proc *p)
{
	long end = kt_now_ms() + 500;

	while ((p->out >= 0 || p->err >= 0) && kt_now_ms() < end)
		pump(p, 20);
}

int kt_wait(struct kt_proc *p, int timeout_ms)
{
	long end = kt_now_ms() + timeout_ms;

	for (;;) {
		if (reap(p)) {
			final_drain(p);
			return 0;
		}
		if (kt_now_ms() >= end)
			return -1;
		pump(p, 20);
	}
}

int kt_running(struct kt_proc *p)
{
	pump(p, 0);
	return !reap(p);
}

void kt_kill(struct kt_proc *p)
{
	if (p->pid > 0) {
		kill(-p->pid, SIGKILL);
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &p->status, 0);
		p->pid = 0;
	}
	final_drain(p);
}

void kt_proc_free(struct kt_proc *p)
{
	kt_kill(p);
	kt_close_stdin(p);
	if (p->out >= 0)
		close(p->out);
	if (p->err >= 0)
		close(p->err);
	p->out = p->err = -1;
	free(p->obuf);
	free(p->ebuf);
	p->obuf = p->ebuf = NULL;
}

int kt_run(struct kt_proc *p, char *const argv[], char *const envp[],
	   const int *keep, int nkeep, int timeout_ms)
{
	if (kt_spawn(p, argv, envp, keep, nkeep) < 0)
		return -1;
	kt_close_stdin(p);
	if (kt_wait(p, timeout_ms) < 0) {
		p->timed_out = 1;
		kt_kill(p);
		return -1;
	}
	return WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0 ? 0 : -1;
}

const char *kt_status_str(const struct kt_proc *p)
{
	static char buf[64];

	if (p->pid > 0)
		return "running";
	if (p->timed_out)
		snprintf(buf, sizeof buf, "killed after its time bound");
	else if (WIFEXITED(p->status))
		snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(p->status));
	else if (WIFSIGNALED(p->status))
		snprintf(buf, sizeof buf, "signal %d", WTERMSIG(p->status));
	else
		snprintf(buf, sizeof buf, "status 0x%x", p->status);
	return buf;
}

/* ---- output parsing --------------------------------------------------- */

int kt_line(const char *text, const char *tag, char *buf, size_t cap)
{
	size_t tl = strlen(tag);
	const char *s = text;

	while (s && *s) {
		if (strncmp(s, tag, tl) == 0 &&
		    (s[tl] == ' ' || s[tl] == '\n' || s[tl] == '\0')) {
			size_t n = strcspn(s, "\n");

			if (n >= cap)
				n = cap - 1;
			memcpy(buf, s, n);
			buf[n] = '\0';
			return 0;
		}
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return -1;
}

int kt_kv(const char *text, const char *tag, const char *key,
	  char *val, size_t cap)
{
	char line[1024], pat[128];
	const char *v;
	size_t n;

	if (kt_line(text, tag, line, sizeof line) < 0)
		return -1;
	snprintf(pat, sizeof pat, " %s=", key);
	v = strstr(line, pat);
	if (!v)
		return -1;
	v += strlen(pat);
	n = strcspn(v, " ");
	if (n >= cap)
		n = cap - 1;
	memcpy(val, v, n);
	val[n] = '\0';
	return 0;
}

long kt_kv_long(const char *text, const char *tag, const char *key,
		long dflt)
{
	char val[64], *end;
	long x;

	if (kt_kv(text, tag, key, val, sizeof val) < 0)
		return dflt;
	errno = 0;
	x = strtol(val, &end, 10);
	if (errno || end == val || *end)
		return dflt;
	return x;
}

/* ---- sockets in the test process -------------------------------------- */

int kt_listener(const char *addr, int port, int *port_out)
{
	struct sockaddr_storage ss;
	socklen_t len = kt_make_addr(addr, port, &ss);
	int one = 1, fd;

	if (len == 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0)
		goto fail;
	len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		goto fail;
	if (port_out)
		*port_out = ntohs(ss.ss_family == AF_INET ?
				  ((struct sockaddr_in *)&ss)->sin_port :
				  ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
fail:
	close(fd);
	return -1;
}

int kt_free_port(void)
{
	int port = -1;
	int fd = kt_listener("127.0.0.1", 0, &port);

	if (fd >= 0)
		close(fd);
	return port;
}

int kt_have_ipv6(void)
{
	int fd = kt_listener("::1", 0, NULL);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* ---- network namespaces and nftables ---------------------------------- */

void kt_skip(const char *name, const char *reason)
{
	size_t n = strlen(name);

	/* Check's START_TEST(x) makes a function x_fn: print the test name */
	if (n > 3 && strcmp(name + n - 3, "_fn") == 0)
		n -= 3;
	printf("SKIP: %.*s: %s\n", (int)n, name, reason);
	fflush(stdout);
}

static int lo_up(char *why, size_t cap)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(why, cap, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		snprintf(why, cap, "SIOCGIFFLAGS lo: %s", strerror(errno));
		close(fd);
		return -1;
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
		snprintf(why, cap, "SIOCSIFFLAGS lo up: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int kt_netns_enter(char *why, size_t cap)
{
	if (unshare(CLONE_NEWNET) < 0) {
		int e = errno;

		snprintf(why, cap, "cannot create a network namespace "
			 "(unshare(CLONE_NEWNET): %s; these tests need root)",
			 strerror(e));
		return e == EPERM || e == EACCES || e == EINVAL ||
		       e == ENOSYS ? 1 : -1;
	}
	return lo_up(why, cap);
}

int kt_nft(const char *ruleset, char *err, size_t cap)
{
	char *argv[] = { "/usr/sbin/nft", "-f", "-", NULL };
	struct kt_env env;
	struct kt_proc p;
	int rc = -1;

	if (access(argv[0], X_OK) < 0)
		argv[0] = "/sbin/nft";
	kt_env_init(&env, 0);
	if (kt_spawn(&p, argv, env.v, NULL, 0) < 0) {
		snprintf(err, cap, "spawn nft: %s", strerror(errno));
		goto out;
	}
	kt_send(&p, ruleset);
	kt_close_stdin(&p);
	if (kt_wait(&p, 10000) < 0) {
		snprintf(err, cap, "nft did not finish in 10 s");
		goto out;
	}
	if (!WIFEXITED(p.status) || WEXITSTATUS(p.status) != 0) {
		snprintf(err, cap, "nft (%s; is nftables installed?): %s",
			 kt_status_str(&p), p.ebuf);
		goto out;
	}
	rc = 0;
out:
	kt_proc_free(&p);
	kt_env_free(&env);
	return rc;
}

int kt_nft_drop_ports(const char *ports, char *err, size_t cap)
{
	char rules[512];

	snprintf(rules, sizeof rules,
		 "table inet kashim_test {\n"
		 "  chain in {\n"
		 "    type filter hook input priority 0;\n"
		 "    tcp sport { %s } drop\n"
		 "    tcp dport { %s } drop\n"
		 "  }\n"
		 "}\n", ports, ports);
	return kt_nft(rules, err, cap);
}

int kt_nft_undrop(char *err, size_t cap)
{
	return kt_nft("delete table inet kashim_test\n", err, cap);
}

/* ---- time ------------------------------------------------------------- */

long kt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void kt_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- Check glue ------------------------------------------------------- */

void kt_assert_preloaded(const struct kt_proc *p)
{
	ck_assert_msg(strstr(p->ebuf, "cannot be preloaded") == NULL,
		      "the library was not preloaded (KASHIM_TESTLIB=%s): %s",
		      kt_testlib(), p->ebuf);
}

TCase *kt_tcase(Suite *s, const char *name, int seconds)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, seconds);
	suite_add_tcase(s, tc);
	return tc;
}

int kt_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- dead-peer lines, and the test process as a program's peer ------ */

#define DEAD_RE "^kashim\\[([0-9]+)\\]: peer dead prog=([^ ]+) fd=([0-9]+) " \
	"dir=(in|out) local=([^ ]+) peer=([^ ]+) error=(E[A-Z]+) " \
	"cause=(keepalive|user_timeout|zero_window|reset|unreachable) " \
	"age=([0-9]+)\\.([0-9])s$"

static void field(const char *s, const regmatch_t *m, char *buf, size_t cap)
{
	size_t n = (size_t)(m->rm_eo - m->rm_so);

	if (n >= cap)
		n = cap - 1;
	memcpy(buf, s + m->rm_so, n);
	buf[n] = '\0';
}

int kt_parse_dead(const char *line, struct kt_dead *d)
{
	static regex_t re;
	static int ready;
	regmatch_t m[11];
	char num[32];

	if (!ready) {
		if (regcomp(&re, DEAD_RE, REG_EXTENDED) != 0)
			abort();
		ready = 1;
	}
	memset(d, 0, sizeof *d);
	if (regexec(&re, line, 11, m, 0) != 0)
		return -1;
	field(line, &m[1], num, sizeof num);
	d->pid = atol(num);
	field(line, &m[2], d->prog, sizeof d->prog);
	field(line, &m[3], num, sizeof num);
	d->fd = atoi(num);
	field(line, &m[4], d->dir, sizeof d->dir);
	field(line, &m[5], d->local, sizeof d->local);
	field(line, &m[6], d->peer, sizeof d->peer);
	field(line, &m[7], d->error, sizeof d->error);
	field(line, &m[8], d->cause, sizeof d->cause);
	field(line, &m[9], num, sizeof num);
	d->age_ms = atol(num) * 1000;
	field(line, &m[10], num, sizeof num);
	d->age_ms += atol(num) * 100;
	return 0;
}

int kt_dead_lines(const char *text, struct kt_dead *d, int max, int *bad)
{
	const char *s = text;
	int n = 0;

	*bad = 0;
	while (s && *s) {
		size_t len = strcspn(s, "\n");
		char line[1024];

		if (len < sizeof line) {
			memcpy(line, s, len);
			line[len] = '\0';
		} else {
			memcpy(line, s, sizeof line - 1);
			line[sizeof line - 1] = '\0';
		}
		if (strstr(line, "peer dead")) {
			struct kt_dead tmp;
			int ok = len < sizeof line &&
				 kt_parse_dead(line, &tmp) == 0;

			if (!ok)
				(*bad)++;
			else if (n < max)
				d[n] = tmp;
			n++;
		}
		s += len;
		if (*s == '\n')
			s++;
	}
	return n;
}

int kt_count_lines(const char *text, const char *needle)
{
	const char *s = text;
	int n = 0;

	while (s && *s) {
		size_t len = strcspn(s, "\n");
		const char *hit = strstr(s, needle);

		if (hit && hit < s + len)
			n++;
		s += len;
		if (*s == '\n')
			s++;
	}
	return n;
}

int kt_wait_text(struct kt_proc *p, int which, const char *needle, int ms)
{
	long end = kt_now_ms() + ms;

	for (;;) {
		int alive = kt_running(p);

		if (strstr(which == 2 ? p->ebuf : p->obuf, needle))
			return 0;
		if (!alive) {
			kt_wait(p, 500);
			return strstr(which == 2 ? p->ebuf : p->obuf,
				      needle) ? 0 : -1;
		}
		if (kt_now_ms() >= end)
			return -1;
		kt_sleep_ms(10);
	}
}

const char *kt_tail(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!s)
		return "(null)";
	return n > 1500 ? s + n - 1500 : s;
}

void kt_settle(struct kt_proc *p, int ms)
{
	long end = kt_now_ms() + ms;

	while (kt_now_ms() < end) {
		if (!kt_running(p)) {
			kt_wait(p, 500);
			return;
		}
		kt_sleep_ms(20);
	}
}

/* ---- the test process as the other end -------------------------------- */

int kt_accept(int lfd, int ms)
{
	struct pollfd pf = { .fd = lfd, .events = POLLIN };

	if (poll(&pf, 1, ms) != 1)
		return -1;
	return accept(lfd, NULL, NULL);
}

int kt_connect(const char *addr, int port, int ms)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	long end = kt_now_ms() + ms;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		len = sizeof *a4;
	} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		len = sizeof *a6;
	} else {
		return -1;
	}
	for (;;) {
		int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&ss, len) == 0)
			return fd;
		close(fd);
		if (errno != ECONNREFUSED || kt_now_ms() >= end)
			return -1;
		kt_sleep_ms(20);
	}
}

void kt_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
}

void kt_fmt_addr(char *buf, size_t cap, const char *addr, int port)
{
	if (strchr(addr, ':'))
		snprintf(buf, cap, "[%s]:%d", addr, port);
	else
		snprintf(buf, cap, "%s:%d", addr, port);
}

void kt_local_addr(int fd, char *buf, size_t cap)
{
	(void)prog_local_addr(fd, buf, cap);
}

/* ---- a program under test with the test process as its peer ----------- */

/* env: NULL-terminated "NAME=value" list; these come first, so they win
 * over the defaults added after them. */
void kt_rig_env(struct kt_env *e, int preload, const char *const *env)
{
	kt_env_init(e, preload);
	for (; env && *env; env++)
		kt_env_add(e, "%s", *env);
	kt_env_add(e, "KASHIM_IDLE=1");
	kt_env_add(e, "KASHIM_INTVL=1");
	kt_env_add(e, "KASHIM_CNT=2");
}

void kt_rig_spawn(struct kt_proc *p, const char *const *argv,
		  const char *const *env)
{
	struct kt_env e;

	kt_rig_env(&e, 1, env);
	ck_assert_msg(kt_spawn(p, (char *const *)argv, e.v, NULL, 0) == 0,
		      "spawn %s", argv[0]);
	kt_env_free(&e);
}

void kt_rig_start(struct kt_rig *r, const char *prog, const char *dir,
		  const char *addr, const char *act, const char *arg,
		  const char *const *env, int preload)
{
	char portarg[16];
	const char *argv[] = { kt_prog(prog), dir, addr, portarg, act, arg,
			       NULL };
	struct kt_env e;

	memset(r, 0, sizeof *r);
	r->lfd = r->cfd = -1;
	r->addr = addr;
	r->prog = prog;
	snprintf(portarg, sizeof portarg, "%d", KT_PORT);
	kt_rig_env(&e, preload, env);
	if (strcmp(dir, "out") == 0) {
		r->lfd = kt_listener(addr, KT_PORT, NULL);
		ck_assert_msg(r->lfd >= 0, "listen on %s:%d", addr, KT_PORT);
	}
	ck_assert_msg(kt_spawn(&r->p, (char *const *)argv, e.v, NULL, 0) == 0,
		      "spawn %s", prog);
	kt_env_free(&e);
	if (strcmp(dir, "out") == 0) {
		r->cfd = kt_accept(r->lfd, 5000);
	} else {
		ck_assert_msg(kt_wait_line(&r->p, "listening", 5000, NULL,
					   0) == 0, "no 'listening': %s",
			      kt_tail(r->p.ebuf));
		r->cfd = kt_connect(addr, KT_PORT, 5000);
	}
	ck_assert_msg(r->cfd >= 0, "no connection (%s): %s",
		      kt_status_str(&r->p), kt_tail(r->p.ebuf));
	kt_rig_read_up(r);
	kt_assert_preloaded(&r->p);
}

void kt_rig_read_up(struct kt_rig *r)
{
	ck_assert_msg(kt_wait_line(&r->p, "up ", 5000, NULL, 0) == 0,
		      "no 'up' line: %s %s", kt_tail(r->p.obuf), kt_tail(r->p.ebuf));
	r->t_up = kt_now_ms();
	ck_assert(kt_kv(r->p.obuf, "up", "local", r->local,
			sizeof r->local) == 0);
	ck_assert(kt_kv(r->p.obuf, "up", "peer", r->peer,
			sizeof r->peer) == 0);
	r->pid = kt_kv_long(r->p.obuf, "up", "pid", -1);
	r->fd = (int)kt_kv_long(r->p.obuf, "up", "fd", -1);
}

void kt_rig_free(struct kt_rig *r)
{
	kt_proc_free(&r->p);
	if (r->cfd >= 0)
		close(r->cfd);
	if (r->lfd >= 0)
		close(r->lfd);
}

void kt_drop_port(void)
{
	char err[512];

	ck_assert_msg(kt_nft_drop_ports("5555", err, sizeof err) == 0,
		      "nft: %s", err);
}

void kt_undrop_port(void)
{
	char err[512];

	ck_assert_msg(kt_nft_undrop(err, sizeof err) == 0, "nft: %s", err);
}

/* The program's report line "result=X elapsed_ms=N". */
long kt_rig_result(struct kt_rig *r, const char *want, int ms)
{
	char res[32];
	long el;

	ck_assert_msg(kt_wait_line(&r->p, "result=", ms, NULL, 0) == 0,
		      "no result within %d ms (%s)\nstdout: %s\nstderr: %s", ms,
		      kt_status_str(&r->p), kt_tail(r->p.obuf), kt_tail(r->p.ebuf));
	ck_assert(sscanf(strstr(r->p.obuf, "result="),
			 "result=%31s elapsed_ms=%ld", res, &el) == 2);
	ck_assert_msg(strcmp(res, want) == 0, "program saw %s, want %s",
		      res, want);
	return el;
}

long kt_rig_silent(struct kt_rig *r, const struct kt_want *w,
		   const char *seen, int ms)
{
	kt_drop_port();
	kt_rig_judge(r, w, r->t_up);
	return kt_rig_result(r, seen, ms);
}

long kt_rig_watched(struct kt_rig *r, const struct kt_want *w, int ms)
{
	kt_drop_port();
	kt_rig_judge(r, w, r->t_up);
	ck_assert_msg(strstr(r->p.obuf, "woke") == NULL,
		      "%s: the program woke before the line came: the "
		      "watcher was not tested", w->label);
	return kt_rig_result(r, "ETIMEDOUT", ms);
}

void kt_rig_recv_timeout(struct kt_rig *r, const char *const *env)
{
	kt_rig_start(r, "log_peer", "out", "127.0.0.1", "recv", NULL, env, 1);
	kt_drop_port();
	kt_rig_result(r, "ETIMEDOUT", KT_THEORY_MS + KT_MARGIN_MS + 2000);
}


/* Exactly one line, all fields right.  t0: test clock when the death
 * clock started (after "up", the drop, or the write).  Returns the line's
 * arrival time after t0. */
long kt_rig_judge(struct kt_rig *r, const struct kt_want *w, long t0)
{
	struct kt_dead d;
	int n, bad;
	long seen, age_test, late = w->late_ms ? w->late_ms : KT_MARGIN_MS;

	if (kt_wait_text(&r->p, 2, "peer dead",
			 (int)(w->theory_ms + late + 3000)) < 0)
		ck_abort_msg("%s: no dead-peer line after %ld ms (%s)\n"
			     "stdout: %s\nstderr: %s", w->label,
			     kt_now_ms() - t0, kt_status_str(&r->p),
			     kt_tail(r->p.obuf), kt_tail(r->p.ebuf));
	seen = kt_now_ms();
	kt_settle(&r->p, KT_SETTLE_MS);
	n = kt_dead_lines(r->p.ebuf, &d, 1, &bad);
	ck_assert_msg(n == 1 && bad == 0, "%s: %d lines (%d malformed), "
		      "want exactly 1:\n%s", w->label, n, bad, kt_tail(r->p.ebuf));
	printf("MEASURE: %s: theory %ld ms, line after %ld ms, age=%ld ms\n",
	       w->label, w->theory_ms, seen - t0, d.age_ms);
	fflush(stdout);
	ck_assert_msg(d.pid == r->pid, "%s: pid %ld, want %ld", w->label,
		      d.pid, r->pid);
	ck_assert_str_eq(d.prog, r->prog);
	ck_assert_msg(d.fd == r->fd, "%s: fd=%d, want %d", w->label, d.fd,
		      r->fd);
	ck_assert_str_eq(d.dir, w->dir);
	ck_assert_str_eq(d.local, r->local);
	ck_assert_str_eq(d.peer, r->peer);
	ck_assert_str_eq(d.error, w->error);
	ck_assert_str_eq(d.cause, w->cause);
	/* age counts from connect()/accept(): what the test saw, within the
	 * pipes' delays and the line's one decimal */
	age_test = seen - r->t_up;
	ck_assert_msg(d.age_ms >= age_test - KT_AGE_SLACK_MS &&
		      d.age_ms <= age_test + KT_AGE_SLACK_MS,
		      "%s: age %ld ms, the test saw %ld ms", w->label,
		      d.age_ms, age_test);
	ck_assert_msg(seen - t0 >= w->theory_ms - KT_EARLY_MS,
		      "%s: line too early: %ld ms < %ld ms", w->label,
		      seen - t0, w->theory_ms);
	ck_assert_msg(seen - t0 <= w->theory_ms + late,
		      "%s: line too late: %ld ms > %ld + %ld ms", w->label,
		      seen - t0, w->theory_ms, late);
	return seen - t0;
}
