/* kashim — what kashim costs in syscalls, counted with strace, and what the
 * library exports, listed with nm.
 *
 *   - a program without TCP sockets makes exactly the syscalls it makes
 *     without kashim in main; before main, apart from the loader mapping
 *     the library, exactly one: getsockopt(0, SO_PROTOCOL), which asks
 *     whether stdin is an inetd-style connection (plus one getpid() when
 *     LISTEN_PID is set); none with KASHIM_DISABLE=1;
 *   - a TCP connect gets exactly the five setsockopt calls before
 *     connect() and no getsockopt; with KASHIM_SYNCNT, TCP_SYNCNT takes
 *     the user timeout's place there and the user timeout follows the
 *     blocking connect()'s success;
 *   - an accept on a listener the program made with listen() costs nothing
 *     after accept() (the listener carries the options, the accepted socket
 *     inherits them — read back to prove it); with KASHIM_NETS the options
 *     are set per accepted connection instead;
 *   - `nm -D --defined-only` lists exactly the hooks of shim/hooks.def.
 *
 * strace runs the program with -E for the preload, so that strace itself is
 * never preloaded.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define ARGS(...) ((const char *[]){ __VA_ARGS__, NULL })
#define NOARGS ((const char *[]){ NULL })
#define ENV(...) ((const char *[]){ __VA_ARGS__, NULL })
#define NOENV ((const char *[]){ NULL })

#define MAXLINES 4096

static const char *strace_path(void)
{
	static const char *const cand[] = { "/usr/bin/strace", "/bin/strace" };

	for (size_t i = 0; i < 2; i++)
		if (access(cand[i], X_OK) == 0)
			return cand[i];
	ck_abort_msg("strace not found: install the strace package");
	return NULL;
}

/* Run progs/<prog> args under `strace -f -qq -e trace=<trace>`, with the
 * preload (and env) given to the program only.  Returns the trace (one
 * syscall per line, strace's pid prefix included) and the program's stdout
 * in *out when out != NULL. */
static char *trace(const char *prog, int preload, const char **env,
		   const char *what, const char **args, char **out)
{
	char tfile[] = "/tmp/kashim-strace-XXXXXX", ebuf[1024], *text;
	const char *argv[64];
	struct kt_env e;
	struct kt_proc p;
	int n = 0, fd = mkstemp(tfile), rc;

	ck_assert(fd >= 0);
	close(fd);
	argv[n++] = strace_path();
	argv[n++] = "-f";
	argv[n++] = "-qq";
	argv[n++] = "-o";
	argv[n++] = tfile;
	argv[n++] = "-e";
	snprintf(ebuf, sizeof ebuf, "trace=%s", what);
	argv[n++] = ebuf;
	if (preload) {
		char *s;

		if (asprintf(&s, "LD_PRELOAD=%s", kt_testlib()) < 0)
			abort();
		argv[n++] = "-E";
		argv[n++] = s;
	}
	for (int i = 0; env[i]; i++) {
		argv[n++] = "-E";
		argv[n++] = env[i];
	}
	argv[n++] = kt_prog(prog);
	for (int i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	kt_env_init(&e, 0);
	rc = kt_run(&p, (char *const *)argv, e.v, NULL, 0, 20000);
	if (preload)
		kt_assert_preloaded(&p);
	ck_assert_msg(rc == 0, "strace %s: %s\n%s\n%s", prog,
		      kt_status_str(&p), p.obuf, p.ebuf);
	if (out)
		*out = strdup(p.obuf);
	kt_proc_free(&p);
	kt_env_free(&e);
	text = kt_read_file(tfile, NULL);
	ck_assert(text != NULL);
	unlink(tfile);
	return text;
}

/* Split text into lines (in place); returns the count. */
static int split(char *text, char **lines)
{
	int n = 0;

	for (char *s = strtok(text, "\n"); s && n < MAXLINES;
	     s = strtok(NULL, "\n"))
		lines[n++] = s;
	return n;
}

/* ---- normalising a full trace ------------------------------------------ */

/* One trace line without what changes from run to run: the pid prefix,
 * addresses, ports, pids returned, alignment blanks. */
static char *normalise(const char *line)
{
	char *o = malloc(strlen(line) + 1), *d = o;
	const char *s = line;

	while (*s >= '0' && *s <= '9')
		s++;
	while (*s == ' ')
		s++;
	if (strncmp(s, "set_tid_address(", 16) == 0 ||
	    strncmp(s, "getrandom(", 10) == 0 ||
	    strncmp(s, "execve(", 7) == 0) {
		size_t n = strcspn(s, "(");

		memcpy(o, s, n);
		strcpy(o + n, "(...)");
		return o;
	}
	while (*s) {
		if (s[0] == '0' && s[1] == 'x') {
			d += sprintf(d, "0x_");
			for (s += 2; strchr("0123456789abcdef", *s) && *s; s++)
				;
		} else if (strncmp(s, "htons(", 6) == 0) {
			d += sprintf(d, "htons(_)");
			s = strchr(s, ')') + 1;
		} else if (*s == ' ' && d > o && d[-1] == ' ') {
			s++;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
	return o;
}

static int marker_at(char **lines, int n, const char *marker)
{
	for (int i = 0; i < n; i++)
		if (strstr(lines[i], marker))
			return i;
	return -1;
}

/* What the loader does to map one more shared object (the library itself):
 * open a .so, read its header, stat it, map it, protect, close. */
static int loader_line(const char *l)
{
	static const char *const ok[] = {
		"read(", "pread64(", "newfstatat(", "fstat(", "mmap(",
		"mprotect(", "munmap(", "close(",
	};

	if (strncmp(l, "openat(", 7) == 0) {
		const char *q = strstr(l, ".so");

		return q && (q[3] == '"' || q[3] == '.');
	}
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strncmp(l, ok[i], strlen(ok[i])) == 0)
			return 1;
	return 0;
}

/* Lines of a[0..na) not matched one-to-one by a line of b[0..nb). */
static int extras(char **a, int na, char **b, int nb, char **ex)
{
	char *used = calloc((size_t)nb + 1, 1);
	int n = 0;

	for (int i = 0; i < na; i++) {
		int j;

		for (j = 0; j < nb; j++)
			if (!used[j] && strcmp(a[i], b[j]) == 0)
				break;
		if (j < nb)
			used[j] = 1;
		else
			ex[n++] = a[i];
	}
	free(used);
	return n;
}

/* What kashim itself may call before main in a process without TCP: the
 * one question whether fd 0 is a TCP connection (an inetd-style service's
 * stdin, shim/born.h), answered ENOTSOCK here (fd 0 is a pipe); with
 * LISTEN_PID set, one getpid() to compare it. */
static int kashim_line(const char *l, const char *const *want, int *seen)
{
	for (int i = 0; want[i]; i++)
		if (strncmp(l, want[i], strlen(want[i])) == 0) {
			seen[i]++;
			return 1;
		}
	return 0;
}

static void nontcp_cost(const char **env, const char *const *want,
			const char *label)
{
	static char *pl[MAXLINES], *kl[MAXLINES], *ex[MAXLINES];
	char *plain = trace("nontcp", 0, env, "all", NOARGS, NULL);
	char *kas = trace("nontcp", 1, env, "all", NOARGS, NULL);
	int np = split(plain, pl), nk = split(kas, kl), mp, mk, ne, nl = 0;
	int seen[8] = { 0 };

	for (int i = 0; i < np; i++)
		pl[i] = normalise(pl[i]);
	for (int i = 0; i < nk; i++)
		kl[i] = normalise(kl[i]);
	mp = marker_at(pl, np, "kashim-nontcp-main");
	mk = marker_at(kl, nk, "kashim-nontcp-main");
	ck_assert_msg(mp > 0 && mk > 0, "no main() marker in the traces");
	/* main() on: the very same syscalls, in the same order */
	ck_assert_msg(np - mp == nk - mk, "%s: the program made %d syscalls "
		      "with kashim, %d without", label, nk - mk, np - mp);
	for (int i = 0; i < np - mp; i++)
		ck_assert_msg(strcmp(pl[mp + i], kl[mk + i]) == 0,
			      "%s: syscall %d of main differs:\n  with kashim: "
			      "%s\n  without:     %s", label, i, kl[mk + i],
			      pl[mp + i]);
	/* before main: the loader mapping the library, and exactly the
	 * calls of kashim's constructor listed in want */
	ck_assert_msg(extras(pl, mp, kl, mk, ex) == 0,
		      "%s: kashim removed a syscall before main: %s", label,
		      ex[0]);
	ne = extras(kl, mk, pl, mp, ex);
	for (int i = 0; i < ne; i++) {
		if (kashim_line(ex[i], want, seen)) {
			printf("NOTE: nontcp (%s): kashim's own call before "
			       "main: %s\n", label, ex[i]);
			continue;
		}
		ck_assert_msg(loader_line(ex[i]),
			      "%s: a syscall before main that is neither the "
			      "loader's nor one kashim may make: %s", label,
			      ex[i]);
		nl++;
	}
	for (int i = 0; want[i]; i++)
		ck_assert_msg(seen[i] == 1, "%s: kashim made '%s...' %d times "
			      "before main, want once", label, want[i],
			      seen[i]);
	printf("NOTE: nontcp (%s): %d syscalls in main, identical; %d extra "
	       "before main: %d the loader mapping the library, %d kashim's\n",
	       label, np - mp, ne, nl, ne - nl);
}

#define FD0_QUESTION "getsockopt(0, SOL_SOCKET, SO_PROTOCOL, 0x_, [4]) = " \
		     "-1 ENOTSOCK"

START_TEST(t_nontcp_same_syscalls)
{
	nontcp_cost(NOENV, (const char *const[]){ FD0_QUESTION, NULL },
		    "no socket");
}
END_TEST

/* LISTEN_PID names another process (an inherited environment): one
 * getpid() to tell, and no look at any descriptor LISTEN_FDS names. */
START_TEST(t_nontcp_listen_pid_not_ours)
{
	nontcp_cost(ENV("LISTEN_FDS=2", "LISTEN_PID=1"),
		    (const char *const[]){ FD0_QUESTION, "getpid()", NULL },
		    "LISTEN_PID=1");
}
END_TEST

START_TEST(t_nontcp_disabled_nothing)
{
	nontcp_cost(ENV("KASHIM_DISABLE=1"), (const char *const[]){ NULL },
		    "KASHIM_DISABLE=1");
}
END_TEST

/* ---- the socket calls of a TCP program --------------------------------- */

#define SOCKCALLS "socket,bind,listen,connect,accept,accept4,setsockopt," \
		  "getsockopt,getsockname,getpeername"

struct call {
	char name[16];
	int fd;                 /* first argument */
	int ret;
	char args[160];         /* after "fd, " up to the closing ")" */
};

static int parse_calls(char *text, struct call *c, int max)
{
	static char *l[MAXLINES];
	int n = split(text, l), k = 0;

	for (int i = 0; i < n && k < max; i++) {
		char *s = l[i], *paren, *eq;

		while (*s >= '0' && *s <= '9')
			s++;
		while (*s == ' ')
			s++;
		paren = strchr(s, '(');
		eq = strrchr(s, '=');
		if (!paren || !eq || paren - s >= 16)
			continue;
		memset(&c[k], 0, sizeof c[k]);
		memcpy(c[k].name, s, (size_t)(paren - s));
		c[k].fd = atoi(paren + 1);
		c[k].ret = atoi(eq + 1);
		if (strchr(paren, ','))
			snprintf(c[k].args, sizeof c[k].args, "%.*s",
				 (int)(strrchr(paren, ')') - strchr(paren, ',')
				       - 2), strchr(paren, ',') + 2);
		k++;
	}
	return k;
}

static int find(const struct call *c, int n, int from, const char *name,
		int fd)
{
	for (int i = from; i < n; i++)
		if (strcmp(c[i].name, name) == 0 && (fd < 0 || c[i].fd == fd))
			return i;
	return -1;
}

static int count(const struct call *c, int from, int to, const char *name,
		 int fd)
{
	int k = 0;

	for (int i = from; i < to; i++)
		if (strcmp(c[i].name, name) == 0 && (fd < 0 || c[i].fd == fd))
			k++;
	return k;
}

/* getsockopt calls but kashim's one question at start-up, whether fd 0 is
 * a TCP connection (which must be there, once). */
static int kashim_getsockopts(const struct call *c, int n)
{
	int fd0 = 0, k = 0;

	for (int i = 0; i < n; i++) {
		if (strcmp(c[i].name, "getsockopt") != 0)
			continue;
		if (c[i].fd == 0 &&
		    strncmp(c[i].args, "SOL_SOCKET, SO_PROTOCOL", 23) == 0)
			fd0++;
		else
			k++;
	}
	ck_assert_msg(fd0 == 1, "getsockopt(0, SO_PROTOCOL) made %d times, "
		      "want once", fd0);
	return k;
}

/* Each expected "LEVEL, OPT, [V], 4" appears once among the setsockopt
 * calls on fd in c[from..to), and there is no other. */
static void expect_setsockopts(const struct call *c, int from, int to, int fd,
			       const char **want, const char *what)
{
	int nw = 0, got = count(c, from, to, "setsockopt", fd);

	for (; want[nw]; nw++) {
		int k = 0;

		for (int i = from; i < to; i++)
			if (strcmp(c[i].name, "setsockopt") == 0 &&
			    c[i].fd == fd && strcmp(c[i].args, want[nw]) == 0)
				k++;
		ck_assert_msg(k == 1, "%s: setsockopt(%d, %s) made %d times",
			      what, fd, want[nw], k);
	}
	ck_assert_msg(got == nw, "%s: %d setsockopt calls on fd %d, want %d",
		      what, got, fd, nw);
}

static const char *five[] = {
	"SOL_SOCKET, SO_KEEPALIVE, [1], 4",
	"SOL_TCP, TCP_KEEPIDLE, [60], 4",
	"SOL_TCP, TCP_KEEPINTVL, [10], 4",
	"SOL_TCP, TCP_KEEPCNT, [6], 4",
	"SOL_TCP, TCP_USER_TIMEOUT, [120000], 4",
	NULL
};

/* tcpopts -q: listener socket+bind+listen, client socket, connect, accept.
 * Returns the calls; *cfd, *iconn (index of connect), *iacc (index of
 * accept/accept4), *afd are set. */
static int tcp_trace(const char **env, const char **args, struct call *c,
		     int *cfd, int *iconn, int *iacc, int *afd)
{
	char *t = trace("tcpopts", 1, env, SOCKCALLS, args, NULL);
	int n = parse_calls(t, c, MAXLINES);

	*iconn = find(c, n, 0, "connect", -1);
	ck_assert_msg(*iconn > 0, "no connect in the trace");
	*cfd = c[*iconn].fd;
	*iacc = find(c, n, *iconn, "accept", -1);
	if (*iacc < 0)
		*iacc = find(c, n, *iconn, "accept4", -1);
	ck_assert_msg(*iacc > 0, "no accept in the trace");
	*afd = c[*iacc].ret;
	ck_assert_int_ge(*afd, 0);
	return n;
}

static const char *ut_after[] = {
	"SOL_TCP, TCP_USER_TIMEOUT, [120000], 4",
	NULL
};

START_TEST(t_connect_five_setsockopts)
{
	static struct call c[MAXLINES];
	int cfd, iconn, iacc, afd, isock, n;
	const char *six[7];

	n = tcp_trace(NOENV, ARGS("-q"), c, &cfd, &iconn, &iacc, &afd);
	/* the client's socket() is the last socket() before connect */
	for (isock = iconn; isock >= 0; isock--)
		if (strcmp(c[isock].name, "socket") == 0 &&
		    c[isock].ret == cfd)
			break;
	ck_assert(isock >= 0);
	expect_setsockopts(c, isock, iconn, cfd, five, "connect");
	ck_assert_msg(count(c, iconn, n, "setsockopt", cfd) == 0,
		      "setsockopt on the client after connect");
	ck_assert_msg(kashim_getsockopts(c, n) == 0,
		      "kashim made a getsockopt");

	/* With a SYN count the user timeout waits for the handshake (a user
	 * timeout would replace the SYN count as the SYN phase's bound): four
	 * plus TCP_SYNCNT before connect(), the user timeout once the
	 * blocking connect() has returned 0, and no other call. */
	memcpy(six, five, sizeof five);
	six[4] = "SOL_TCP, TCP_SYNCNT, [3], 4";
	six[5] = NULL;
	n = tcp_trace(ENV("KASHIM_SYNCNT=3"), ARGS("-q"), c, &cfd, &iconn,
		      &iacc, &afd);
	expect_setsockopts(c, 0, iconn, cfd, six, "connect with SYNCNT");
	expect_setsockopts(c, iconn, n, cfd, ut_after, "after connect");
	ck_assert_int_eq(kashim_getsockopts(c, n), 0);
	ck_assert_int_eq(count(c, 0, n, "getpeername", -1), 0);
}
END_TEST

/* The program set TCP_KEEPIDLE itself: kashim adds the four others only,
 * the auto user timeout following the program's idle. */
START_TEST(t_connect_program_option)
{
	static struct call c[MAXLINES];
	static const char *want[] = {
		"SOL_TCP, TCP_KEEPIDLE, [100], 4",      /* the program's */
		"SOL_SOCKET, SO_KEEPALIVE, [1], 4",
		"SOL_TCP, TCP_KEEPINTVL, [10], 4",
		"SOL_TCP, TCP_KEEPCNT, [6], 4",
		"SOL_TCP, TCP_USER_TIMEOUT, [160000], 4",
		NULL
	};
	int cfd, iconn, iacc, afd, n;

	n = tcp_trace(NOENV, ARGS("-q", "-s", "idle=100"), c, &cfd, &iconn,
		      &iacc, &afd);
	expect_setsockopts(c, find(c, n, 0, "listen", -1) + 1, iconn, cfd,
			   want, "connect, program set idle");
	ck_assert_int_eq(kashim_getsockopts(c, n), 0);
	/* the program turned SO_KEEPALIVE on: already in force, not again */
	n = tcp_trace(NOENV, ARGS("-q", "-s", "keepalive=1"), c, &cfd, &iconn,
		      &iacc, &afd);
	expect_setsockopts(c, find(c, n, 0, "listen", -1) + 1, iconn, cfd,
			   five, "connect, program set keepalive");
	ck_assert_int_eq(kashim_getsockopts(c, n), 0);
}
END_TEST

/* tcpopts args (not quiet), preloaded, without strace: its report. */
static char *readback(const char **env, const char **args)
{
	const char *argv[16];
	struct kt_env e;
	struct kt_proc p;
	int n = 0;
	char *out;

	argv[n++] = kt_prog("tcpopts");
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	kt_env_init(&e, 1);
	for (int i = 0; env[i]; i++)
		kt_env_add(&e, "%s", env[i]);
	ck_assert_msg(kt_run(&p, (char *const *)argv, e.v, NULL, 0, 10000) == 0,
		      "tcpopts: %s %s", kt_status_str(&p), p.ebuf);
	kt_assert_preloaded(&p);
	out = strdup(p.obuf);
	kt_proc_free(&p);
	kt_env_free(&e);
	return out;
}

static void accept_costs_nothing(const char **args, const char *what)
{
	static struct call c[MAXLINES];
	int cfd, iconn, iacc, afd, n, lfd;
	char *out;

	n = tcp_trace(NOENV, args, c, &cfd, &iconn, &iacc, &afd);
	lfd = c[iacc].fd;
	for (int i = iacc + 1; i < n; i++)
		ck_assert_msg(0, "%s: kashim made %s(%d, ...) after accept",
			      what, c[i].name, c[i].fd);
	ck_assert_int_eq(kashim_getsockopts(c, n), 0);
	/* the listener carries the options (set once, at listen time) */
	ck_assert_msg(count(c, 0, iacc, "setsockopt", lfd) >= 5,
		      "%s: the listener got no options", what);
	/* and the accepted socket has them: read back */
	out = readback(NOENV, args + 1);        /* the same without -q */
	ck_assert_msg(strstr(out, "in keepalive=1 idle=60 intvl=10 cnt=6 "
			     "ut=120000 ") != NULL,
		      "%s: the accepted socket did not inherit: %s", what, out);
}

START_TEST(t_accept_inherits_from_listener)
{
	accept_costs_nothing(ARGS("-q"), "accept");
	accept_costs_nothing(ARGS("-q", "-4"), "accept4");
}
END_TEST

/* A per-peer filter needs the peer address: options per accepted socket. */
START_TEST(t_accept_per_connection_with_nets)
{
	static struct call c[MAXLINES];
	int cfd, iconn, iacc, afd, n;
	char *out;

	n = tcp_trace(ENV("KASHIM_NETS=127.0.0.0/8"), ARGS("-q"), c, &cfd,
		      &iconn, &iacc, &afd);
	expect_setsockopts(c, iacc, n, afd, five, "accept with NETS");
	out = readback(ENV("KASHIM_NETS=127.0.0.0/8"), NOARGS);
	ck_assert_msg(strstr(out, "in keepalive=1 idle=60 intvl=10 cnt=6 "
			     "ut=120000 ") != NULL, "accepted: %s", out);
}
END_TEST

/* UDP, Unix, raw, SEQPACKET, MPTCP: no socket call of kashim's at all. */
START_TEST(t_other_sockets_no_calls)
{
	static char *pl[MAXLINES], *kl[MAXLINES];
	char parg[16], *plain, *kas;
	int port, lfd = kt_listener("127.0.0.1", 0, &port), np, nk;

	/* the TCP listener the look-alikes aim at is ours, not the program's */
	ck_assert(lfd >= 0);
	snprintf(parg, sizeof parg, "%d", port);
	plain = trace("othersocks", 0, NOENV, SOCKCALLS, ARGS("-q", "-p", parg),
		      NULL);
	kas = trace("othersocks", 1, NOENV, SOCKCALLS, ARGS("-q", "-p", parg),
		    NULL);
	np = split(plain, pl);
	nk = split(kas, kl);
	/* kashim's question at start-up (is fd 0 a TCP connection?), once */
	for (int i = 0, q = 0; i < nk; i++) {
		if (!strstr(kl[i], "getsockopt(0, SOL_SOCKET, SO_PROTOCOL,"))
			continue;
		ck_assert_msg(q++ == 0, "the fd 0 question asked twice");
		memmove(&kl[i], &kl[i + 1], (size_t)(nk - i - 1) * sizeof kl[0]);
		nk--;
		i--;
	}

	ck_assert_msg(np == nk, "%d socket calls with kashim, %d without",
		      nk, np);
	for (int i = 0; i < np; i++) {
		char *a = normalise(pl[i]), *b = normalise(kl[i]);

		ck_assert_msg(strcmp(a, b) == 0, "with kashim: %s\nwithout: %s",
			      b, a);
		ck_assert_msg(strncmp(b, "setsockopt", 10) != 0 &&
			      strncmp(b, "getsockopt", 10) != 0,
			      "a socket option call: %s", b);
	}
	close(lfd);
}
END_TEST

/* ---- exported symbols --------------------------------------------------- */

/* The one list of hooks, the one the library's version map is made from. */
static const char *const hooks[] = {
#define KASHIM_HOOK(ret, name, params, args, sys) #name,
#define KASHIM_HOOK_BY_HAND(ret, name, params) #name,
#define KASHIM_REAL_ONLY(ret, name, params, args, sys)
#include "hooks.def"
	NULL
};

static int is_hook(const char *name)
{
	for (int i = 0; hooks[i]; i++)
		if (strcmp(hooks[i], name) == 0)
			return 1;
	return 0;
}

static int exported(char (*names)[128], int nsym, const char *name)
{
	for (int i = 0; i < nsym; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* Exactly the listed hooks leave the library: nothing else (a helper that
 * lost its `static`, a map that exports too much), and none of them
 * missing (a body left out, or hidden).  The core ones are named here
 * too, so that the list itself cannot lose them unnoticed. */
START_TEST(t_exports_only_hooks)
{
	const char *argv[] = { "/usr/bin/nm", "-D", "--defined-only",
			       kt_testlib(), NULL };
	static const char *const core[] = { "socket", "connect", "accept",
		"accept4", "listen", "setsockopt", "close", "read", "write",
		NULL };
	static char *l[MAXLINES], names[MAXLINES][128];
	struct kt_env e;
	struct kt_proc p;
	int n, nsym = 0, nhooks = 0;

	kt_env_init(&e, 0);
	ck_assert_msg(kt_run(&p, (char *const *)argv, e.v, NULL, 0, 10000) == 0,
		      "nm: %s %s", kt_status_str(&p), p.ebuf);
	n = split(p.obuf, l);
	for (int i = 0; i < n; i++) {
		char type[8], *name = names[nsym], *at;

		/* "0000000000001234 T socket" (versioned: name@@VER) */
		if (sscanf(l[i], "%*s %7s %127s", type, name) != 2)
			continue;
		if ((at = strchr(name, '@')))
			*at = '\0';
		if (strcmp(type, "A") == 0)     /* version node, no code */
			continue;
		ck_assert_msg(is_hook(name), "exported and not a hook: %s %s",
			      type, name);
		nsym++;
	}
	for (int i = 0; hooks[i]; i++, nhooks++)
		ck_assert_msg(exported(names, nsym, hooks[i]),
			      "listed in shim/hooks.def, not exported: %s",
			      hooks[i]);
	for (int i = 0; core[i]; i++)
		ck_assert_msg(exported(names, nsym, core[i]),
			      "hook not exported: %s", core[i]);
	ck_assert_msg(nsym == nhooks, "%d exported symbols, %d hooks listed",
		      nsym, nhooks);
	printf("NOTE: %d exported symbols, all hooks\n", nsym);
	kt_proc_free(&p);
	kt_env_free(&e);
}
END_TEST

static Suite *syscalls_suite(void)
{
	Suite *s = suite_create("syscalls");
	TCase *tc = tcase_create("strace");
	TCase *tn = tcase_create("exports");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_nontcp_same_syscalls);
	tcase_add_test(tc, t_nontcp_listen_pid_not_ours);
	tcase_add_test(tc, t_nontcp_disabled_nothing);
	tcase_add_test(tc, t_connect_five_setsockopts);
	tcase_add_test(tc, t_connect_program_option);
	tcase_add_test(tc, t_accept_inherits_from_listener);
	tcase_add_test(tc, t_accept_per_connection_with_nets);
	tcase_add_test(tc, t_other_sockets_no_calls);
	suite_add_tcase(s, tc);

	tcase_set_timeout(tn, 20);
	tcase_add_test(tn, t_exports_only_hooks);
	suite_add_tcase(s, tn);
	return s;
}

int main(void)
{
	return kt_main(syscalls_suite());
}
