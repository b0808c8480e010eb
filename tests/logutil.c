/* kashim tests — dead-peer log helpers (see logutil.h). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "logutil.h"

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

int lu_parse_dead(const char *line, struct lu_dead *d)
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

int lu_dead_lines(const char *text, struct lu_dead *d, int max, int *bad)
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
			struct lu_dead tmp;
			int ok = len < sizeof line &&
				 lu_parse_dead(line, &tmp) == 0;

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

int lu_count_lines(const char *text, const char *needle)
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

int lu_wait_text(struct kt_proc *p, int which, const char *needle, int ms)
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

const char *lu_tail(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!s)
		return "(null)";
	return n > 1500 ? s + n - 1500 : s;
}

void lu_settle(struct kt_proc *p, int ms)
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

int lu_accept(int lfd, int ms)
{
	struct pollfd pf = { .fd = lfd, .events = POLLIN };

	if (poll(&pf, 1, ms) != 1)
		return -1;
	return accept(lfd, NULL, NULL);
}

int lu_connect(const char *addr, int port, int ms)
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

void lu_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
}

void lu_fmt(char *buf, size_t cap, const char *addr, int port)
{
	if (strchr(addr, ':'))
		snprintf(buf, cap, "[%s]:%d", addr, port);
	else
		snprintf(buf, cap, "%s:%d", addr, port);
}

void lu_local(int fd, char *buf, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char ip[INET6_ADDRSTRLEN];

	memset(&ss, 0, sizeof ss);      /* analyzers do not model getsockname */
	snprintf(buf, cap, "-");
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
		snprintf(buf, cap, "%s:%d", ip, ntohs(a->sin_port));
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
		snprintf(buf, cap, "[%s]:%d", ip, ntohs(a->sin6_port));
	}
}

/* ---- a program under test with the test process as its peer ----------- */

/* env: NULL-terminated "NAME=value" list; these come first, so they win
 * over the defaults added after them. */
void lu_start(struct lu_rig *r, const char *prog, const char *dir,
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
	snprintf(portarg, sizeof portarg, "%d", LU_PORT);
	kt_env_init(&e, preload);
	for (; env && *env; env++)
		kt_env_add(&e, "%s", *env);
	kt_env_add(&e, "KASHIM_IDLE=1");
	kt_env_add(&e, "KASHIM_INTVL=1");
	kt_env_add(&e, "KASHIM_CNT=2");
	if (strcmp(dir, "out") == 0) {
		r->lfd = kt_listener(addr, LU_PORT, NULL);
		ck_assert_msg(r->lfd >= 0, "listen on %s:%d", addr, LU_PORT);
	}
	ck_assert_msg(kt_spawn(&r->p, (char *const *)argv, e.v, NULL, 0) == 0,
		      "spawn %s", prog);
	kt_env_free(&e);
	if (strcmp(dir, "out") == 0) {
		r->cfd = lu_accept(r->lfd, 5000);
	} else {
		ck_assert_msg(kt_wait_line(&r->p, "listening", 5000, NULL,
					   0) == 0, "no 'listening': %s",
			      lu_tail(r->p.ebuf));
		r->cfd = lu_connect(addr, LU_PORT, 5000);
	}
	ck_assert_msg(r->cfd >= 0, "no connection (%s): %s",
		      kt_status_str(&r->p), lu_tail(r->p.ebuf));
	lu_read_up(r);
	kt_assert_preloaded(&r->p);
}

void lu_read_up(struct lu_rig *r)
{
	ck_assert_msg(kt_wait_line(&r->p, "up ", 5000, NULL, 0) == 0,
		      "no 'up' line: %s %s", lu_tail(r->p.obuf), lu_tail(r->p.ebuf));
	r->t_up = kt_now_ms();
	ck_assert(kt_kv(r->p.obuf, "up", "local", r->local,
			sizeof r->local) == 0);
	ck_assert(kt_kv(r->p.obuf, "up", "peer", r->peer,
			sizeof r->peer) == 0);
	r->pid = kt_kv_long(r->p.obuf, "up", "pid", -1);
	r->fd = (int)kt_kv_long(r->p.obuf, "up", "fd", -1);
}

void lu_free(struct lu_rig *r)
{
	kt_proc_free(&r->p);
	if (r->cfd >= 0)
		close(r->cfd);
	if (r->lfd >= 0)
		close(r->lfd);
}

void lu_drop(void)
{
	char err[512];

	ck_assert_msg(kt_nft_drop_ports("5555", err, sizeof err) == 0,
		      "nft: %s", err);
}

void lu_undrop(void)
{
	char err[512];

	ck_assert_msg(kt_nft_undrop(err, sizeof err) == 0, "nft: %s", err);
}

/* The program's report line "result=X elapsed_ms=N". */
long lu_result(struct lu_rig *r, const char *want, int ms)
{
	char res[32];
	long el;

	ck_assert_msg(kt_wait_line(&r->p, "result=", ms, NULL, 0) == 0,
		      "no result within %d ms (%s)\nstdout: %s\nstderr: %s", ms,
		      kt_status_str(&r->p), lu_tail(r->p.obuf), lu_tail(r->p.ebuf));
	ck_assert(sscanf(strstr(r->p.obuf, "result="),
			 "result=%31s elapsed_ms=%ld", res, &el) == 2);
	ck_assert_msg(strcmp(res, want) == 0, "program saw %s, want %s",
		      res, want);
	return el;
}


/* Exactly one line, all fields right.  t0: test clock when the death
 * clock started (after "up", the drop, or the write).  Returns the line's
 * arrival time after t0. */
long lu_judge(struct lu_rig *r, const struct lu_want *w, long t0)
{
	struct lu_dead d;
	int n, bad;
	long seen, age_test, late = w->late_ms ? w->late_ms : LU_MARGIN_MS;

	if (lu_wait_text(&r->p, 2, "peer dead",
			 (int)(w->theory_ms + late + 3000)) < 0)
		ck_abort_msg("%s: no dead-peer line after %ld ms (%s)\n"
			     "stdout: %s\nstderr: %s", w->label,
			     kt_now_ms() - t0, kt_status_str(&r->p),
			     lu_tail(r->p.obuf), lu_tail(r->p.ebuf));
	seen = kt_now_ms();
	lu_settle(&r->p, LU_SETTLE_MS);
	n = lu_dead_lines(r->p.ebuf, &d, 1, &bad);
	ck_assert_msg(n == 1 && bad == 0, "%s: %d lines (%d malformed), "
		      "want exactly 1:\n%s", w->label, n, bad, lu_tail(r->p.ebuf));
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
	ck_assert_msg(d.age_ms >= age_test - LU_AGE_SLACK_MS &&
		      d.age_ms <= age_test + LU_AGE_SLACK_MS,
		      "%s: age %ld ms, the test saw %ld ms", w->label,
		      d.age_ms, age_test);
	ck_assert_msg(seen - t0 >= w->theory_ms - LU_EARLY_MS,
		      "%s: line too early: %ld ms < %ld ms", w->label,
		      seen - t0, w->theory_ms);
	ck_assert_msg(seen - t0 <= w->theory_ms + late,
		      "%s: line too late: %ld ms > %ld + %ld ms", w->label,
		      seen - t0, w->theory_ms, late);
	return seen - t0;
}

