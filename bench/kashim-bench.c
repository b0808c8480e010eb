/* kashim-bench: what preloading kashim costs a program, side by side.
 *
 *   kashim-bench --lib build/libkashim.so [--floor LIB] [--compare LIB]... [--blocks N]
 *                [--per-block N] [--slice SEC] [--mem-rounds N] [--modes m1,m2]
 *                [--pin auto|split|same|none] [--conns N] [--pair-rounds N]
 *                [--no-log] [--no-netns]
 *                [--kernel KASHIM-KERNEL]
 *
 * The driver (this process, never preloaded) starts, for each block of a
 * mode, one fresh set of worker processes -- this same binary re-executed with --worker -- per
 * variant: "none" (no preload), "kashim" (LD_PRELOAD=--lib, the default
 * environment, log off), "kashim+log" (KASHIM_LOG=<a temporary file>), one
 * per --compare library, "floor" (--floor: bench/floor.c, a preload that
 * sets the same five options on every TCP socket and keeps no state: the
 * cost no keepalive preload avoids), "kernel" (with --kernel: no preload,
 * the measured workers in a cgroup that `kashim-kernel attach` covers;
 * timed and paired modes), "cgroup" (with it: an empty cgroup beside that one,
 * what being in a cgroup costs), and "control" (a second set without
 * preload).
 * A block's sets stay alive side by side and the driver lets them run in turn,
 * one short slice each (a few ms): A B C A' / A' C B A / ...  The machine's
 * speed drifts by 10-20% over tens of milliseconds on a VM, far more than
 * the 1% the targets are about; slices this short put A and B under the
 * same conditions.  Slices are summed into blocks (the "pairs"); the table
 * gives, per variant, the median over blocks of throughput(variant) /
 * throughput(none) with min..max, and the control's ratio shows the noise.
 *
 * Each set of workers lives in its own network namespace (when root) with
 * lo up, a wide ephemeral port range and tcp_tw_reuse, so TIME_WAIT sockets
 * of one set never slow down another.  Traffic stays on 127.0.0.1.
 *
 * Modes (ratios are throughput variant/none):
 *   connect           client preloaded: socket+connect+close, sequentially,
 *                     to a server process that accepts and closes.
 *   accept            server preloaded: the client queues a batch of
 *                     connections, then the server's accept+close of the
 *                     batch is timed (so the server's own cost is what is
 *                     measured, not the client's connect).
 *   pingpong-rw       1-byte round trips, write()/read(), both ends preloaded
 *   pingpong-sr       the same through send()/recv()
 *   pingpong-fortify  write() and fortified read() (__read_chk)
 *   eagain            read() on an empty non-blocking TCP socket: EAGAIN
 *   memory            anonymous RSS growth of a client while it opens N
 *                     connections (as many as RLIMIT_NOFILE allows), minus
 *                     the same growth without preload, per connection
 *   memory-notcp      the same for a process that opens ~2,000 non-TCP fds
 *                     (UDP, Unix, pipes) and no TCP socket: must be 0
 *   accept-paired     accept+close with and without kashim in turn in one
 *                     process, 64 connections a batch (see w_accept_paired),
 *                     the median of three such processes: the accept cost
 *                     to a few tenths of a percent, where the accept mode's
 *                     sets differ by several percent
 *   connect-paired    the same for socket+connect+close (w_connect_paired);
 *                     then kashim and kashim+log against the floor made in
 *                     the same process (floor_socket)
 *   pingpong-paired   1-byte round trips on two connections in turn, one
 *                     with kashim, one without (w_pp_paired_server)
 *
 * Exit status: 0 when every run worked (whether targets PASS or FAIL),
 * 1 on a usage error, 2 when a run failed.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <elf.h>
#include <gnu/libc-version.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "floor.h"

/* bench/fortify.c, compiled with -D_FORTIFY_SOURCE=2 */
ssize_t bench_read_fortified(int fd);
extern volatile size_t bench_fortify_len;

#define MAX_VARIANTS 8
#define MAX_BLOCKS 64
#define ACCEPT_BATCH 200
#define WORKER_ALARM 240  /* seconds: no worker may hang the bench */
#define CMD_TIMEOUT_MS 60000

/* ---------------------------------------------------------------- common */

static const char *self_exe;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof buf, "kashim-bench[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", buf);
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void xwrite_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("control write: %s", strerror(errno));
		c += w;
		n -= (size_t)w;
	}
}

/* Returns 0 at EOF before any byte, 1 when all n bytes arrived. */
static int xread_all(int fd, void *p, size_t n)
{
	char *c = p;
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, c + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("control read: %s", strerror(errno));
		if (r == 0) {
			if (got == 0)
				return 0;
			die("control read: short");
		}
		got += (size_t)r;
	}
	return 1;
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpu < 0 || ncpu < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu % (int)ncpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		die("sched_setaffinity: %s", strerror(errno));
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static long nofile_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 1048576)
		return 1048576;
	return (long)rl.rlim_max;
}

/* Anonymous resident memory in bytes, counted page by page by the kernel
 * ("Anonymous:" of /proc/self/smaps_rollup walks the page tables; RssAnon
 * of /proc/self/status is a cached counter): what a per-fd table costs.
 * File-backed pages are left out: code touched for the first time faults
 * in 64 KiB at once and says nothing about kashim. */
static long rss_anon(void)
{
	static char buf[8192];
	char *p;
	int fd = open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
	ssize_t n, len = 0;

	if (fd < 0)
		die("open /proc/self/smaps_rollup: %s", strerror(errno));
	while (len < (ssize_t)sizeof buf - 1 &&
	       (n = read(fd, buf + len, sizeof buf - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	p = strstr(buf, "\nAnonymous:");
	if (!p)
		die("no Anonymous: in /proc/self/smaps_rollup");
	return atol(p + 11) * 1024;
}

/* ------------------------------------------- who resolves our imports */

struct import_scan {
	const char *name;
	int found;
	void *target;
};

static uintptr_t dyn_ptr(uintptr_t base, uintptr_t p)
{
	/* glibc relocates the d_ptr entries of _DYNAMIC in place on x86; be
	 * robust either way. */
	return p < base ? p + base : p;
}

static void scan_rela(uintptr_t base, const ElfW(Rela) *rel, size_t sz,
		      const ElfW(Sym) *symtab, const char *strtab,
		      struct import_scan *s)
{
	size_t i;

	for (i = 0; rel && i < sz / sizeof *rel; i++) {
		unsigned long type = ELF64_R_TYPE(rel[i].r_info);
		unsigned long si = ELF64_R_SYM(rel[i].r_info);

		if (si == 0 || (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT))
			continue;
		if (strcmp(strtab + symtab[si].st_name, s->name) != 0)
			continue;
		s->found = 1;
		s->target = *(void **)(base + rel[i].r_offset);
		return;
	}
}

static int scan_main_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct import_scan *s = arg;
	const ElfW(Dyn) *dyn = NULL;
	const ElfW(Rela) *rela = NULL, *jmprel = NULL;
	size_t relasz = 0, pltrelsz = 0;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	uintptr_t base = info->dlpi_addr;
	int i;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(base + info->dlpi_phdr[i].p_vaddr);
	if (!dyn)
		return 1;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_STRTAB: strtab = (const char *)dyn_ptr(base, dyn->d_un.d_ptr); break;
		case DT_SYMTAB: symtab = (const ElfW(Sym) *)dyn_ptr(base, dyn->d_un.d_ptr); break;
		case DT_RELA: rela = (const ElfW(Rela) *)dyn_ptr(base, dyn->d_un.d_ptr); break;
		case DT_RELASZ: relasz = dyn->d_un.d_val; break;
		case DT_JMPREL: jmprel = (const ElfW(Rela) *)dyn_ptr(base, dyn->d_un.d_ptr); break;
		case DT_PLTRELSZ: pltrelsz = dyn->d_un.d_val; break;
		default: break;
		}
	}
	if (strtab && symtab) {
		scan_rela(base, jmprel, pltrelsz, symtab, strtab, s);
		if (!s->found)
			scan_rela(base, rela, relasz, symtab, strtab, s);
	}
	return 1;   /* the first object is the main program: stop there */
}

/* Does this binary import NAME?  If so, which loaded object's function does
 * its GOT slot point to (the binary is linked -z now, so slots are bound)?
 * Writes the object's base name, or "-" when not imported. */
static int bench_imports(const char *name, char *who, size_t wholen)
{
	struct import_scan s = { name, 0, NULL };
	Dl_info di;

	dl_iterate_phdr(scan_main_object, &s);
	if (!s.found) {
		snprintf(who, wholen, "-");
		return 0;
	}
	if (dladdr(s.target, &di) && di.dli_fname && *di.dli_fname) {
		const char *b = strrchr(di.dli_fname, '/');
		snprintf(who, wholen, "%s", b ? b + 1 : di.dli_fname);
	} else {
		snprintf(who, wholen, "?");
	}
	return 1;
}

struct expect_lib {
	dev_t dev;
	ino_t ino;
	int seen;
};

static int find_lib(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct expect_lib *e = arg;
	struct stat st;

	(void)size;
	if (info->dlpi_name && *info->dlpi_name && stat(info->dlpi_name, &st) == 0 &&
	    st.st_dev == e->dev && st.st_ino == e->ino)
		e->seen = 1;
	return e->seen;
}

/* A preloaded run that silently ran without its library would report a
 * perfect ratio: refuse that. */
static void check_preload(void)
{
	const char *want = getenv("KASHIM_BENCH_EXPECT");
	struct expect_lib e = { 0, 0, 0 };
	struct stat st;

	if (!want || !*want)
		return;
	if (stat(want, &st) != 0)
		die("%s: %s", want, strerror(errno));
	e.dev = st.st_dev;
	e.ino = st.st_ino;
	dl_iterate_phdr(find_lib, &e);
	if (!e.seen)
		die("%s is not loaded in this worker (LD_PRELOAD=%s)", want,
		    getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "");
}

/* ------------------------------------------------------------ sockets */

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int tcp_listen(uint16_t *port)
{
	struct sockaddr_in a = loopback(0);
	socklen_t len = sizeof a;
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
		die("bind 127.0.0.1: %s", strerror(errno));
	if (listen(fd, 4096) != 0)
		die("listen: %s", strerror(errno));
	if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		die("getsockname: %s", strerror(errno));
	*port = ntohs(a.sin_port);
	return fd;
}

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in a = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
		die("connect 127.0.0.1:%u: %s", port, strerror(errno));
	return fd;
}

static void nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
		die("TCP_NODELAY: %s", strerror(errno));
}

/* The control channel between a run's two workers is fd 3 (AF_UNIX). */
#define CTL 3

static void ctl_send_port(uint16_t port)
{
	xwrite_all(CTL, &port, sizeof port);
}

static uint16_t ctl_recv_port(void)
{
	uint16_t port;

	if (!xread_all(CTL, &port, sizeof port))
		die("server went away before sending its port");
	return port;
}

/* ------------------------------------------------------------- workers */

enum mode {
	M_CONNECT, M_ACCEPT, M_PP_RW, M_PP_SR, M_PP_FORTIFY, M_EAGAIN,
	M_MEMORY, M_MEMORY_NOTCP, M_ACCEPT_PAIRED, M_CONNECT_PAIRED, M_PP_PAIRED,
	M_COUNT
};

enum { PRE_CLIENT = 1, PRE_SERVER = 2, PRE_BOTH = 3 };

struct modeinfo {
	const char *name;
	int has_server;
	int preload;      /* which roles run with the variant's preload */
	int measured;     /* which role is measured (PRE_CLIENT/PRE_SERVER) */
	int same_cpu;     /* --pin auto: both ends on one CPU (else split) */
	const char *syms; /* the hot imports, for the "resolved by" line */
	double target;    /* minimum ratio; for memory: max bytes */
	const char *what; /* one line for the table */
};

static const struct modeinfo modes[M_COUNT] = {
	[M_CONNECT] = { "connect", 1, PRE_CLIENT, PRE_CLIENT, 0, "socket,connect,close", 0.80,
			"socket+connect+close, client preloaded" },
	[M_ACCEPT] = { "accept", 1, PRE_SERVER, PRE_SERVER, 0, "accept,close", 0.98,
		       "accept+close of queued connections, server preloaded" },
	[M_PP_RW] = { "pingpong-rw", 1, PRE_BOTH, PRE_CLIENT, 1, "write,read", 0.99,
		      "1-byte round trip, write/read, both ends preloaded" },
	[M_PP_SR] = { "pingpong-sr", 1, PRE_BOTH, PRE_CLIENT, 1, "send,recv", 0.99,
		      "1-byte round trip, send/recv, both ends preloaded" },
	[M_PP_FORTIFY] = { "pingpong-fortify", 1, PRE_BOTH, PRE_CLIENT, 1, "write,__read_chk", 0.99,
			   "1-byte round trip, write/__read_chk, both ends preloaded" },
	[M_EAGAIN] = { "eagain", 0, PRE_CLIENT, PRE_CLIENT, 0, "read", 0.99,
		       "read() on an empty non-blocking TCP socket (EAGAIN)" },
	[M_MEMORY] = { "memory", 1, PRE_CLIENT, PRE_CLIENT, 0, "socket,connect", 64,
		       "anonymous RSS per tracked connection, client preloaded" },
	[M_MEMORY_NOTCP] = { "memory-notcp", 0, PRE_CLIENT, PRE_CLIENT, 0, "socket,read", 0,
			     "anonymous RSS of a process with ~2000 non-TCP fds" },
	[M_ACCEPT_PAIRED] = { "accept-paired", 0, PRE_CLIENT, PRE_CLIENT, 0, "accept,close", 0.98,
			      "accept+close, with and without kashim in one process, batches interleaved" },
	[M_CONNECT_PAIRED] = { "connect-paired", 0, PRE_CLIENT, PRE_CLIENT, 0, "socket,connect,close", 0.80,
			       "socket+connect+close, with and without kashim in one process, batches interleaved" },
	[M_PP_PAIRED] = { "pingpong-paired", 1, PRE_BOTH, PRE_CLIENT, 1, "write,read", 0.99,
			  "1-byte round trips, write/read, with and without kashim on two connections in turn" },
};

static int is_paired(enum mode m)
{
	return m == M_ACCEPT_PAIRED || m == M_CONNECT_PAIRED || m == M_PP_PAIRED;
}

static int is_memory(enum mode m)
{
	return m == M_MEMORY || m == M_MEMORY_NOTCP;
}

static enum mode mode_by_name(const char *name)
{
	int i;

	for (i = 0; i < M_COUNT; i++)
		if (strcmp(modes[i].name, name) == 0)
			return (enum mode)i;
	return M_COUNT;
}

/* The measured worker of a timed mode talks to the driver on fd 4: first it
 * sends its "resolved by" line (HOOKS_LEN bytes), then for every slice it
 * reads the slice's length (a double, seconds) and answers a slice_res.
 * EOF on fd 4 ends the worker.  Memory modes write "H ..." and "R ..."
 * lines to stdout instead. */
#define CMD 4
#define HOOKS_LEN 256

struct slice_res {
	uint64_t ops;
	double sec;
	int32_t cut_short;
	int32_t pad;
};

static void hooks_line(enum mode m, char *line, size_t len)
{
	char who[128], sym[64];
	const char *p = modes[m].syms;
	size_t off = 0;

	line[0] = '\0';
	while (*p && off < len) {
		size_t n = strcspn(p, ",");
		snprintf(sym, sizeof sym, "%.*s", (int)n, p);
		bench_imports(sym, who, sizeof who);
		off += (size_t)snprintf(line + off, len - off, "%s%s=%s", off ? " " : "", sym, who);
		p += n;
		if (*p == ',')
			p++;
	}
}

static void cmd_hello(enum mode m)
{
	char line[HOOKS_LEN];

	memset(line, 0, sizeof line);
	hooks_line(m, line, sizeof line);
	xwrite_all(CMD, line, sizeof line);
}

/* 1 with the slice's length in *secs, 0 when the driver is done. */
static int cmd_next(double *secs)
{
	if (!xread_all(CMD, secs, sizeof *secs))
		return 0;
	return *secs > 0;
}

static void cmd_done(uint64_t ops, double sec, int cut_short)
{
	struct slice_res r;

	memset(&r, 0, sizeof r);
	r.ops = ops;
	r.sec = sec;
	r.cut_short = cut_short;
	xwrite_all(CMD, &r, sizeof r);
}

/* connect: the client's loop is the measurement. */
static void w_connect_client(void)
{
	struct sockaddr_in a = loopback(ctl_recv_port());
	double secs;

	cmd_hello(M_CONNECT);
	while (cmd_next(&secs)) {
		double start = now(), end = start + secs;
		uint64_t ops = 0;
		int cut_short = 0;

		for (;;) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			if (fd < 0)
				die("socket: %s", strerror(errno));
			if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
				if (errno == EADDRNOTAVAIL && ops > 0) {
					/* ephemeral ports used up: the rate so far stands */
					close(fd);
					cut_short = 1;
					break;
				}
				die("connect: %s", strerror(errno));
			}
			close(fd);
			ops++;
			if ((ops & 7) == 0 && now() >= end)
				break;
		}
		cmd_done(ops, now() - start, cut_short);
	}
}

static void w_connect_server(void)
{
	uint16_t port;
	int lfd = tcp_listen(&port);

	fcntl(lfd, F_SETFL, O_NONBLOCK);
	ctl_send_port(port);
	for (;;) {
		struct pollfd p[2] = { { lfd, POLLIN, 0 }, { CTL, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (p[1].revents)
			break;   /* the client is done */
		for (;;) {
			int s = accept(lfd, NULL, NULL);
			if (s < 0)
				break;
			close(s);
		}
	}
}

/* accept: the server asks the client for a batch ('F'), the client opens
 * ACCEPT_BATCH connections and says so ('B'); the server's accept+close of
 * the batch is what is timed.  The client closes its ends at the next 'F'. */
static void w_accept_server(void)
{
	uint16_t port;
	int lfd = tcp_listen(&port);
	double secs;

	ctl_send_port(port);
	cmd_hello(M_ACCEPT);
	while (cmd_next(&secs)) {
		uint64_t ops = 0;
		double spent = 0;

		while (spent < secs) {
			char c = 'F';
			double t;
			int i;

			xwrite_all(CTL, &c, 1);
			if (!xread_all(CTL, &c, 1))
				die("accept client went away");
			t = now();
			for (i = 0; i < ACCEPT_BATCH; i++) {
				int s = accept(lfd, NULL, NULL);
				if (s < 0)
					die("accept: %s", strerror(errno));
				close(s);
			}
			spent += now() - t;
			ops += ACCEPT_BATCH;
		}
		cmd_done(ops, spent, 0);
	}
}

static void w_accept_client(void)
{
	uint16_t port = ctl_recv_port();
	static int fds[ACCEPT_BATCH];
	int i, open_fds = 0;
	char c;

	while (xread_all(CTL, &c, 1)) {
		for (i = 0; i < open_fds; i++)
			close(fds[i]);
		for (i = 0; i < ACCEPT_BATCH; i++)
			fds[i] = tcp_connect(port);
		open_fds = ACCEPT_BATCH;
		c = 'B';
		xwrite_all(CTL, &c, 1);
	}
}

/* accept-paired: one process holds two listeners and times its
 * accept+close of PAIR_BATCH queued connections on each in turn, so the
 * two sides share the process, the CPU and the moment, and only what
 * kashim adds tells them apart.  Side 0 is without kashim, side 1 with
 * it:
 *   - preloaded: listener 1 comes from the preloaded socket() and is
 *     served by the preloaded accept/close; listener 0 is made by raw
 *     syscalls (no options) and served by libc's own accept/close;
 *   - kernel mode (KB_PAIR_EMPTY set): listener 1 is made in the covered
 *     cgroup, listener 0 after moving to an empty one (a socket keeps the
 *     cgroup it was made in), both served by libc.
 * A helper thread on the client CPU queues each batch with raw syscalls,
 * so the preload never sees the client's sockets. */
/* Each paired figure is the median over PAIR_PROCS worker processes, each
 * running 1/PAIR_PROCS of the rounds: two processes running the same code
 * differ by about +-0.5% (where their memory landed, it seems), which no
 * number of rounds within one process averages out. */
#define PAIR_PROCS 3

#define PAIR_BATCH 64
#define PAIR_WARMUP 20

static void enter_cgroup(const char *cg);
static int cmp_double(const void *a, const void *b);

struct pair_side {
	int lfd;
	struct sockaddr_in addr;
	int (*acc)(int, struct sockaddr *, socklen_t *);
	int (*cls)(int);
};

static struct pair_side pair[2];
static int pair_go[2], pair_done[2];

static long raw_call(long nr, long a, long b, long c)
{
	long r = syscall(nr, a, b, c);

	if (r < 0)
		die("raw syscall %ld: %s", nr, strerror(errno));
	return r;
}

static int raw_listener(struct sockaddr_in *a)
{
	socklen_t len = sizeof *a;
	int one = 1;
	int fd = (int)raw_call(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*a = loopback(0);
	if (syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
		die("setsockopt: %s", strerror(errno));
	raw_call(SYS_bind, fd, (long)a, sizeof *a);
	raw_call(SYS_listen, fd, 4096, 0);
	raw_call(SYS_getsockname, fd, (long)a, (long)&len);
	return fd;
}

static void *pair_client(void *unused)
{
	const char *cpu = getenv("KB_PAIR_CPU");   /* the client's, from the driver */
	int fds[PAIR_BATCH], i, open_fds = 0;
	char side;

	(void)unused;
	if (cpu)
		pin_cpu(atoi(cpu));
	while (xread_all(pair_go[0], &side, 1)) {
		for (i = 0; i < open_fds; i++)
			syscall(SYS_close, fds[i]);
		for (i = 0; i < PAIR_BATCH; i++) {
			const struct sockaddr_in *a = &pair[(int)side].addr;
			fds[i] = (int)raw_call(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			raw_call(SYS_connect, fds[i], (long)a, sizeof *a);
		}
		open_fds = PAIR_BATCH;
		xwrite_all(pair_done[1], &side, 1);
	}
	for (i = 0; i < open_fds; i++)
		syscall(SYS_close, fds[i]);
	return NULL;
}

static double pair_batch(int side)
{
	struct pair_side *p = &pair[side];
	char c = (char)side;
	double t;
	int i;

	xwrite_all(pair_go[1], &c, 1);
	if (!xread_all(pair_done[0], &c, 1))
		die("accept-paired: client thread went away");
	t = now();
	for (i = 0; i < PAIR_BATCH; i++) {
		int s = p->acc(p->lfd, NULL, NULL);
		if (s < 0)
			die("accept-paired accept: %s", strerror(errno));
		p->cls(s);
	}
	return now() - t;
}

static void pair_setup(void)
{
	const char *empty = getenv("KB_PAIR_EMPTY");
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	uint16_t port;

	if (!libc)
		die("dlopen libc.so.6: %s", dlerror());
	pair[0].acc = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(libc, "accept");
	pair[0].cls = (int (*)(int))dlsym(libc, "close");
	if (!pair[0].acc || !pair[0].cls)
		die("dlsym libc accept/close: %s", dlerror());
	pair[1].acc = accept;
	pair[1].cls = close;
	pair[1].lfd = tcp_listen(&port);
	pair[1].addr = loopback(port);
	if (empty) {
		enter_cgroup(empty);
		pair[0].lfd = tcp_listen(&port);
		pair[0].addr = loopback(port);
	} else {
		pair[0].lfd = raw_listener(&pair[0].addr);
	}
}

/* Rounds alternate the order (01, 10, ...); each gives the throughput
 * ratio side 1 / side 0, and the median of those is the figure, reported
 * with the medians of the two halves of the rounds, on stdout. */
static void pair_rounds(enum mode m, long rounds, int batch,
			double (*one_batch)(int side))
{
	char line[HOOKS_LEN + 160], hooks[HOOKS_LEN];
	double *ratio = calloc((size_t)rounds * 2, sizeof *ratio), *all;
	double t[2], total[2] = { 0, 0 };
	long r, half = rounds / 2;

	if (!ratio)
		die("calloc");
	all = ratio + rounds;
	for (r = -PAIR_WARMUP; r < rounds; r++) {
		int first = (int)(r & 1);

		t[first] = one_batch(first);
		t[!first] = one_batch(!first);
		if (r < 0)
			continue;
		ratio[r] = all[r] = t[0] / t[1];
		total[0] += t[0];
		total[1] += t[1];
	}
	hooks_line(m, hooks, sizeof hooks);
	qsort(all, (size_t)rounds, sizeof *all, cmp_double);
	qsort(ratio, (size_t)half, sizeof *ratio, cmp_double);
	qsort(ratio + half, (size_t)(rounds - half), sizeof *ratio, cmp_double);
	snprintf(line, sizeof line,
		 "H %s\nR med=%.5f h1=%.5f h2=%.5f us0=%.4f us1=%.4f\n", hooks,
		 all[rounds / 2], ratio[half / 2], ratio[half + (rounds - half) / 2],
		 1e6 * total[0] / (double)(rounds * batch),
		 1e6 * total[1] / (double)(rounds * batch));
	xwrite_all(1, line, strlen(line));
	free(ratio);
}

static void w_accept_paired(long rounds)
{
	pthread_t th;

	pair_setup();
	if (pipe2(pair_go, O_CLOEXEC) != 0 || pipe2(pair_done, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	if (pthread_create(&th, NULL, pair_client, NULL) != 0)
		die("pthread_create");
	pair_rounds(M_ACCEPT_PAIRED, rounds, PAIR_BATCH, pair_batch);
	close(pair_go[1]);
	pthread_join(th, NULL);
}

/* connect-paired: the same for socket+connect+close, the client side.
 * Side 1 calls the preloaded socket/connect/close, side 0 libc's own; in
 * kernel mode both call libc, and the process moves to the covered cgroup
 * (KB_PAIR_COVERED) for side 1's batch and to the empty one for side 0's
 * (a socket takes the cgroup of the task that makes it; a move costs
 * about 80 us here, outside the timed batch).  A server thread on the
 * other CPU accepts and closes with raw syscalls, its listener made in the
 * empty cgroup, so only the client side differs. */
#define PAIR_CONN_BATCH 32     /* 3 x --pair-rounds rounds: a connect varies more */

static struct {
	int (*sock[2])(int, int, int);
	int (*conn[2])(int, const struct sockaddr *, socklen_t);
	int (*cls[2])(int);
	const char *cgroup[2];
	struct sockaddr_in addr;
	int lfd;
} pconn;

static void *pconn_server(void *unused)
{
	const char *cpu = getenv("KB_PAIR_CPU");   /* the server's, from the driver */

	(void)unused;
	if (cpu)
		pin_cpu(atoi(cpu));
	for (;;) {
		long s = syscall(SYS_accept4, pconn.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (s >= 0)
			syscall(SYS_close, s);
		else if (errno != EINTR && errno != ECONNABORTED)
			break;          /* the listener was shut down: done */
	}
	return NULL;
}

static double pconn_batch(int side)
{
	double t;
	int i;

	if (pconn.cgroup[side])
		enter_cgroup(pconn.cgroup[side]);
	t = now();
	for (i = 0; i < PAIR_CONN_BATCH; i++) {
		int fd = pconn.sock[side](AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("connect-paired socket: %s", strerror(errno));
		if (pconn.conn[side](fd, (const struct sockaddr *)&pconn.addr,
				     sizeof pconn.addr) != 0)
			die("connect-paired connect: %s", strerror(errno));
		pconn.cls[side](fd);
	}
	return now() - t;
}

/* KB_PAIR_FLOOR set: side 0 is the floor itself, in this process --
 * libc's socket() and then libc's setsockopt() with the floor's five
 * options (floor.h), what kashim-floor.so does -- so kashim's connect is
 * read against the least a keepalive preload must do on the same sockets,
 * kernel work and all, with no second process to differ in. */
static int (*floor_real_socket)(int, int, int);
static int (*floor_real_setsockopt)(int, int, int, const void *, socklen_t);

static int floor_socket(int domain, int type, int protocol)
{
	int fd = floor_real_socket(domain, type, protocol), i;

	for (i = 0; fd >= 0 && i < FLOOR_NOPTS; i++)
		floor_real_setsockopt(fd, floor_opts[i][0], floor_opts[i][1],
				      &floor_opts[i][2], sizeof(int));
	return fd;
}

static void w_connect_paired(long rounds)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	const char *empty = getenv("KB_PAIR_EMPTY");
	pthread_t th;

	if (!libc)
		die("dlopen libc.so.6: %s", dlerror());
	pconn.sock[0] = (int (*)(int, int, int))dlsym(libc, "socket");
	pconn.conn[0] = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(libc, "connect");
	pconn.cls[0] = (int (*)(int))dlsym(libc, "close");
	if (!pconn.sock[0] || !pconn.conn[0] || !pconn.cls[0])
		die("dlsym libc socket/connect/close: %s", dlerror());
	pconn.sock[1] = socket;
	pconn.conn[1] = connect;
	pconn.cls[1] = close;
	if (getenv("KB_PAIR_FLOOR")) {
		floor_real_socket = pconn.sock[0];
		floor_real_setsockopt = (int (*)(int, int, int, const void *, socklen_t))
			dlsym(libc, "setsockopt");
		if (!floor_real_setsockopt)
			die("dlsym libc setsockopt: %s", dlerror());
		pconn.sock[0] = floor_socket;
	}
	if (empty) {
		pconn.sock[1] = pconn.sock[0];
		pconn.conn[1] = pconn.conn[0];
		pconn.cls[1] = pconn.cls[0];
		pconn.cgroup[0] = empty;
		pconn.cgroup[1] = getenv("KB_PAIR_COVERED");
		enter_cgroup(empty);
	}
	pconn.lfd = raw_listener(&pconn.addr);
	if (pthread_create(&th, NULL, pconn_server, NULL) != 0)
		die("pthread_create");
	pair_rounds(M_CONNECT_PAIRED, rounds, PAIR_CONN_BATCH, pconn_batch);
	syscall(SYS_shutdown, pconn.lfd, SHUT_RDWR);
	pthread_join(th, NULL);
}

/* pingpong-paired: 1-byte round trips on two connections in turn, one
 * with kashim and one without, between two single-threaded processes
 * (kashim's hooks take another path in a threaded program).  Side 1's
 * connection is made and driven by the preloaded socket/connect/accept
 * and read/write; side 0's is made with raw syscalls and driven by libc's
 * own read/write.  In kernel mode both use libc, and side 0's sockets (the
 * client's, and the listener the server's comes from) are made after the
 * process moved to the empty cgroup.  Both ends know the schedule, so the
 * server just echoes on the side due. */
#define PAIR_PP_BATCH 64

static struct {
	ssize_t (*rd[2])(int, void *, size_t);
	ssize_t (*wr[2])(int, const void *, size_t);
	int fd[2];
} ppair;

static void ppair_funcs(void)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);

	if (!libc)
		die("dlopen libc.so.6: %s", dlerror());
	ppair.rd[0] = (ssize_t (*)(int, void *, size_t))dlsym(libc, "read");
	ppair.wr[0] = (ssize_t (*)(int, const void *, size_t))dlsym(libc, "write");
	if (!ppair.rd[0] || !ppair.wr[0])
		die("dlsym libc read/write: %s", dlerror());
	ppair.rd[1] = read;
	ppair.wr[1] = write;
	if (getenv("KB_PAIR_EMPTY")) {
		ppair.rd[1] = ppair.rd[0];
		ppair.wr[1] = ppair.wr[0];
	}
}

static void ppair_nodelay(int fd)
{
	int one = 1;

	if (syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
		die("TCP_NODELAY: %s", strerror(errno));
}

/* Round trips on one side; the client times them. */
static double ppair_batch(int side)
{
	double t = now();
	char b = 'x';
	int i, fd = ppair.fd[side];

	for (i = 0; i < PAIR_PP_BATCH; i++) {
		if (ppair.wr[side](fd, &b, 1) != 1 || ppair.rd[side](fd, &b, 1) != 1)
			die("pingpong-paired: %s", strerror(errno));
	}
	return now() - t;
}

static void w_pp_paired_server(long rounds)
{
	const char *empty = getenv("KB_PAIR_EMPTY");
	struct sockaddr_in a0;
	uint16_t port1;
	int l1, l0;
	long r;

	ppair_funcs();
	l1 = tcp_listen(&port1);
	if (empty)
		enter_cgroup(empty);
	l0 = raw_listener(&a0);
	ctl_send_port(port1);
	ctl_send_port(ntohs(a0.sin_port));
	ppair.fd[1] = accept(l1, NULL, NULL);
	if (ppair.fd[1] < 0)
		die("pingpong-paired accept: %s", strerror(errno));
	ppair.fd[0] = (int)syscall(SYS_accept4, l0, NULL, NULL, SOCK_CLOEXEC);
	if (ppair.fd[0] < 0)
		die("pingpong-paired accept4: %s", strerror(errno));
	for (r = -PAIR_WARMUP; r < rounds; r++) {
		int k, first = (int)(r & 1);

		for (k = 0; k < 2; k++) {
			int side = k ? !first : first, i;
			char b;

			for (i = 0; i < PAIR_PP_BATCH; i++) {
				if (ppair.rd[side](ppair.fd[side], &b, 1) != 1 ||
				    ppair.wr[side](ppair.fd[side], &b, 1) != 1)
					die("pingpong-paired server: %s", strerror(errno));
			}
		}
	}
}

static void w_pp_paired_client(long rounds)
{
	const char *empty = getenv("KB_PAIR_EMPTY");
	uint16_t port1 = ctl_recv_port(), port0 = ctl_recv_port();
	struct sockaddr_in a0 = loopback(port0);

	ppair_funcs();
	ppair.fd[1] = tcp_connect(port1);
	nodelay(ppair.fd[1]);
	if (empty)
		enter_cgroup(empty);
	ppair.fd[0] = (int)raw_call(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	raw_call(SYS_connect, ppair.fd[0], (long)&a0, sizeof a0);
	ppair_nodelay(ppair.fd[0]);
	pair_rounds(M_PP_PAIRED, rounds, PAIR_PP_BATCH, ppair_batch);
}

static void pp_send(enum mode m, int fd)
{
	ssize_t r;

	if (m == M_PP_SR)
		r = send(fd, "x", 1, 0);
	else
		r = write(fd, "x", 1);
	if (r != 1)
		die("pingpong send: %s", r < 0 ? strerror(errno) : "short");
}

/* 1 when a byte came, 0 at EOF. */
static int pp_recv(enum mode m, int fd)
{
	char b;
	ssize_t r;

	if (m == M_PP_SR)
		r = recv(fd, &b, 1, 0);
	else if (m == M_PP_FORTIFY)
		r = bench_read_fortified(fd);
	else
		r = read(fd, &b, 1);
	if (r < 0)
		die("pingpong receive: %s", strerror(errno));
	return r == 1;
}

static void w_pingpong_client(enum mode m)
{
	int fd = tcp_connect(ctl_recv_port());
	double secs;

	nodelay(fd);
	cmd_hello(m);
	while (cmd_next(&secs)) {
		double start = now(), end = start + secs;
		uint64_t ops = 0;

		for (;;) {
			pp_send(m, fd);
			if (!pp_recv(m, fd))
				die("pingpong: server closed");
			ops++;
			if ((ops & 3) == 0 && now() >= end)
				break;
		}
		cmd_done(ops, now() - start, 0);
	}
	close(fd);
}

static void w_pingpong_server(enum mode m)
{
	uint16_t port;
	int lfd = tcp_listen(&port);
	int fd;

	ctl_send_port(port);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept: %s", strerror(errno));
	close(lfd);
	nodelay(fd);
	while (pp_recv(m, fd))
		pp_send(m, fd);
	close(fd);
}

static void w_eagain(void)
{
	uint16_t port;
	int lfd = tcp_listen(&port);
	int c = tcp_connect(port);
	int s = accept(lfd, NULL, NULL);
	double secs;
	char b;

	if (s < 0)
		die("accept: %s", strerror(errno));
	if (fcntl(c, F_SETFL, O_NONBLOCK) != 0)
		die("fcntl: %s", strerror(errno));
	cmd_hello(M_EAGAIN);
	while (cmd_next(&secs)) {
		double start = now(), end = start + secs;
		uint64_t ops = 0;

		for (;;) {
			if (read(c, &b, 1) != -1 || errno != EAGAIN)
				die("eagain: read did not fail with EAGAIN");
			ops++;
			if ((ops & 63) == 0 && now() >= end)
				break;
		}
		cmd_done(ops, now() - start, 0);
	}
}

static void report_memory(enum mode m, long n, long before, long after)
{
	char line[HOOKS_LEN + 128], hooks[HOOKS_LEN];

	hooks_line(m, hooks, sizeof hooks);
	snprintf(line, sizeof line, "H %s\nR n=%ld delta=%ld rss=%ld\n", hooks, n,
		 after - before, after);
	xwrite_all(1, line, strlen(line));
}

static void w_memory_client(long n)
{
	uint16_t port;
	int *fds;
	long i, before, after;
	struct sockaddr_in a;

	raise_nofile();
	port = ctl_recv_port();
	a = loopback(port);
	fds = calloc((size_t)n, sizeof *fds);
	if (!fds)
		die("calloc");
	memset(fds, 0xff, (size_t)n * sizeof *fds);   /* resident before "before" */
	before = rss_anon();
	for (i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0)
			die("socket #%ld: %s", i, strerror(errno));
		if (connect(fds[i], (struct sockaddr *)&a, sizeof a) != 0)
			die("connect #%ld: %s", i, strerror(errno));
	}
	after = rss_anon();
	report_memory(M_MEMORY, n, before, after);
	free(fds);      /* the list only; the connections stay open */
}

static void w_memory_server(long n)
{
	uint16_t port;
	int lfd;
	int *fds;
	long held = 0;

	raise_nofile();
	lfd = tcp_listen(&port);
	fds = calloc((size_t)n, sizeof *fds);
	if (!fds)
		die("calloc");
	ctl_send_port(port);
	for (;;) {
		struct pollfd p[2] = { { lfd, POLLIN, 0 }, { CTL, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (p[1].revents)
			break;
		if (p[0].revents) {
			int s = accept(lfd, NULL, NULL);
			if (s < 0)
				die("accept #%ld: %s", held, strerror(errno));
			if (held >= n)
				die("more connections than announced");
			fds[held++] = s;
		}
	}
	free(fds);      /* the list only; the connections stay open */
}

/* A process with no TCP socket at all: UDP sockets of both families, Unix
 * socket pairs, pipes, with traffic on them and the usual fd calls.
 * kashim must allocate nothing for it. */
static void w_memory_notcp(void)
{
	enum { UDP4 = 600, UDP6 = 200, PAIRS = 300, PIPES = 300 };
	static int fds[UDP4 + UDP6 + 2 * PAIRS + 2 * PIPES];
	long before, after;
	int i, k = 0, one = 1;
	char b = 'x';

	memset(fds, 0xff, sizeof fds);
	before = rss_anon();
	for (i = 0; i < UDP4; i++) {
		fds[k] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fds[k] < 0)
			die("socket: %s", strerror(errno));
		setsockopt(fds[k], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		k++;
	}
	for (i = 0; i < UDP6; i++) {
		fds[k] = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
		if (fds[k] < 0)
			fds[k] = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
		if (fds[k] < 0)
			die("socket: %s", strerror(errno));
		k++;
	}
	for (i = 0; i < PAIRS; i++, k += 2) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds + k) != 0)
			die("socketpair: %s", strerror(errno));
		if (send(fds[k], &b, 1, 0) != 1 || recv(fds[k + 1], &b, 1, 0) != 1)
			die("socketpair traffic: %s", strerror(errno));
	}
	for (i = 0; i < PIPES; i++, k += 2) {
		if (pipe(fds + k) != 0)
			die("pipe: %s", strerror(errno));
		if (write(fds[k + 1], &b, 1) != 1 || read(fds[k], &b, 1) != 1)
			die("pipe traffic: %s", strerror(errno));
	}
	for (i = 0; i < 200; i++) {
		int d = dup(fds[i]);
		if (d >= 0)
			close(d);
	}
	after = rss_anon();
	report_memory(M_MEMORY_NOTCP, k, before, after);
}

static int worker_main(int argc, char **argv)
{
	/* --worker ROLE MODE N */
	enum mode m;
	int server;
	long n;

	if (argc != 5)
		die("bad worker arguments");
	alarm(WORKER_ALARM);
	server = strcmp(argv[2], "server") == 0;
	m = mode_by_name(argv[3]);
	n = atol(argv[4]);
	if (m == M_COUNT)
		die("unknown mode %s", argv[3]);
	check_preload();
	if (server) {
		switch (m) {
		case M_CONNECT: w_connect_server(); break;
		case M_ACCEPT: w_accept_server(); break;
		case M_PP_RW: case M_PP_SR: case M_PP_FORTIFY: w_pingpong_server(m); break;
		case M_MEMORY: w_memory_server(n); break;
		case M_PP_PAIRED: w_pp_paired_server(n); break;
		default: die("mode %s has no server", modes[m].name);
		}
		return 0;
	}
	if (m == M_PP_FORTIFY) {
		char who[128];
		if (!bench_imports("__read_chk", who, sizeof who))
			die("this binary does not import __read_chk: bench/fortify.c "
			    "was not built with -O2 -D_FORTIFY_SOURCE=2");
	}
	switch (m) {
	case M_CONNECT: w_connect_client(); break;
	case M_ACCEPT: w_accept_client(); break;
	case M_PP_RW: case M_PP_SR: case M_PP_FORTIFY: w_pingpong_client(m); break;
	case M_EAGAIN: w_eagain(); break;
	case M_MEMORY: w_memory_client(n); break;
	case M_MEMORY_NOTCP: w_memory_notcp(); break;
	case M_ACCEPT_PAIRED: w_accept_paired(n); break;
	case M_CONNECT_PAIRED: w_connect_paired(n); break;
	case M_PP_PAIRED: w_pp_paired_client(n); break;
	default: die("bad mode");
	}
	return 0;
}

/* -------------------------------------------------------------- driver */

struct variant {
	const char *label;
	const char *lib;   /* NULL: no preload */
	const char *env;   /* one extra NAME=VALUE, or NULL */
	int is_control;
	int timed_only;    /* not run in the memory modes */
	const char *cgroup; /* kernel mode: the measured workers join it */
	const char *alt_cgroup; /* paired modes: where side 0's sockets are made */
	int floor_side;    /* connect-paired: side 0 is the floor, in-process */
};

static struct {
	int blocks, per_block, mem_rounds;
	double slice;
	int netns;
	int cpu_client, cpu_server, pin_auto;
	long mem_conns, pair_rounds;
} opt = { 7, 40, 5, 0.004, 1, 0, 1, 1, 0, 2000 };

static int env_is_ours(const char *e)
{
	return strncmp(e, "LD_PRELOAD=", 11) == 0 || strncmp(e, "KASHIM_", 7) == 0;
}

static char **child_env(const struct variant *v, int preloaded)
{
	size_t n = 0, k = 0;
	char **env;
	static char pre[PATH_MAX + 16], expect[PATH_MAX + 32];

	while (environ[n])
		n++;
	env = calloc(n + 4, sizeof *env);
	if (!env)
		die("calloc");
	for (n = 0; environ[n]; n++)
		if (!env_is_ours(environ[n]))
			env[k++] = environ[n];
	if (preloaded && v->lib) {
		snprintf(pre, sizeof pre, "LD_PRELOAD=%s", v->lib);
		snprintf(expect, sizeof expect, "KASHIM_BENCH_EXPECT=%s", v->lib);
		env[k++] = pre;
		env[k++] = expect;
		if (v->env)
			env[k++] = (char *)v->env;
	}
	env[k] = NULL;
	return env;
}

/* Put fd on target (clearing close-on-exec, which dup2 onto itself keeps). */
static int move_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

/* Kernel mode: a worker joins the covered cgroup before it execs. */
static void enter_cgroup(const char *cg)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof p, "%s/cgroup.procs", cg);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0\n", 2) != 2) {
		fprintf(stderr, "kashim-bench: %s: %s\n", p, strerror(errno));
		_exit(127);
	}
	close(fd);
}

static pid_t spawn_worker(enum mode m, const struct variant *v, int server,
			  int ctl, int cmd, int out)
{
	int role = server ? PRE_SERVER : PRE_CLIENT;
	int preloaded = (modes[m].preload & role) != 0;
	char n[32];
	pid_t pid;

	snprintf(n, sizeof n, "%ld",
		 m == M_ACCEPT_PAIRED || m == M_PP_PAIRED ? opt.pair_rounds / PAIR_PROCS :
		 m == M_CONNECT_PAIRED ? 3 * opt.pair_rounds / PAIR_PROCS : opt.mem_conns);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char *argv[] = { (char *)self_exe, "--worker",
				 server ? "server" : "client", (char *)modes[m].name,
				 n, NULL };
		char **env;

		if (m == M_CONNECT_PAIRED && v->floor_side)
			setenv("KB_PAIR_FLOOR", "1", 1);
		if (is_paired(m) && v->alt_cgroup) {
			setenv("KB_PAIR_EMPTY", v->alt_cgroup, 1);
			setenv("KB_PAIR_COVERED", v->cgroup, 1);
		}
		if (is_paired(m)) {     /* the helper thread's CPU */
			char cpu[16];
			snprintf(cpu, sizeof cpu, "%d", m == M_ACCEPT_PAIRED ?
				 opt.cpu_client : opt.cpu_server);
			setenv("KB_PAIR_CPU", cpu, 1);
		}
		env = child_env(v, preloaded);
		if (move_fd(ctl, CTL) != 0)
			_exit(127);
		if (modes[m].measured == role && cmd >= 0 && move_fd(cmd, CMD) != 0)
			_exit(127);
		if (out >= 0 && move_fd(out, 1) != 0)
			_exit(127);
		if (preloaded && v->cgroup)
			enter_cgroup(v->cgroup);
		if (m == M_ACCEPT_PAIRED)
			pin_cpu(opt.cpu_server);   /* the accepting thread's */
		else if (opt.pin_auto && modes[m].same_cpu)
			pin_cpu(opt.cpu_client);
		else
			pin_cpu(server ? opt.cpu_server : opt.cpu_client);
		execve(self_exe, argv, env);
		fprintf(stderr, "kashim-bench: exec %s: %s\n", self_exe, strerror(errno));
		_exit(127);
	}
	return pid;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die("%s: %s", path, strerror(errno));
	close(fd);
}

/* In a fresh network namespace: bring lo up, widen the ephemeral port
 * range and let connect() reuse TIME_WAIT ports older than a second. */
static int netns_enter(void)
{
	struct ifreq ifr;
	int fd;

	if (unshare(CLONE_NEWNET) != 0)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
		die("SIOCGIFFLAGS lo: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
		die("SIOCSIFFLAGS lo: %s", strerror(errno));
	close(fd);
	write_file("/proc/sys/net/ipv4/ip_local_port_range", "10000 65535");
	write_file("/proc/sys/net/ipv4/tcp_tw_reuse", "1");
	return 0;
}

/* A variant's own process: namespace, then the workers; its exit status
 * says whether both workers succeeded.  cmd (timed modes) goes to the
 * measured worker, out (memory modes) becomes the workers' stdout. */
static void run_child(enum mode m, const struct variant *v, int cmd, int out)
{
	int ctl[2] = { -1, -1 };
	pid_t client, server = -1;
	int st, ok = 1;

	if (opt.netns && netns_enter() != 0)
		die("unshare(CLONE_NEWNET): %s", strerror(errno));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) != 0)
		die("socketpair: %s", strerror(errno));
	if (modes[m].has_server)
		server = spawn_worker(m, v, 1, ctl[0], cmd, out);
	client = spawn_worker(m, v, 0, ctl[1], cmd, out);
	close(ctl[0]);
	close(ctl[1]);
	if (cmd >= 0)
		close(cmd);
	if (out >= 0)
		close(out);
	if (waitpid(client, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		ok = 0;
	if (server > 0) {
		if (!ok)
			kill(server, SIGKILL);
		if (waitpid(server, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			ok = 0;
	}
	_exit(ok ? 0 : 3);
}

static pid_t start_set(enum mode m, const struct variant *v, int cmd, int out)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* drop the driver's ends of the other sets' channels: a copy
		 * held here would keep their workers from ever seeing EOF */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != cmd && fd != out)
				close(fd);
		run_child(m, v, cmd, out);
	}
	return pid;
}

static void end_set(pid_t pid, enum mode m, const struct variant *v)
{
	int st;

	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("mode %s, variant %s: a worker failed (see above)", modes[m].name, v->label);
}

/* Read exactly n bytes from a worker's command channel, bounded in time. */
static void cmd_read(int fd, void *p, size_t n, enum mode m, const struct variant *v)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t r;
		int pr = poll(&pf, 1, CMD_TIMEOUT_MS);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			die("mode %s, variant %s: worker does not answer", modes[m].name, v->label);
		r = read(fd, (char *)p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("mode %s, variant %s: worker died (see above)", modes[m].name, v->label);
		got += (size_t)r;
	}
}

static const char *field(const char *line, const char *key)
{
	size_t kl = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == line || p[-1] == ' ') && p[kl] == '=')
			return p + kl + 1;
		p += kl;
	}
	return NULL;
}

struct mem_result {
	long n, delta, rss;
	char hooks[HOOKS_LEN];
};

/* Run one set whose worker reports on stdout; its whole output in buf. */
static void run_reporting(enum mode m, const struct variant *v, char *buf, size_t cap)
{
	size_t len = 0;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	pid = start_set(m, v, -1, p[1]);
	close(p[1]);
	for (;;) {
		ssize_t r = read(p[0], buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == cap - 1)
			break;
	}
	buf[len] = '\0';
	close(p[0]);
	end_set(pid, m, v);
}

/* A worker's report: its H line (the hooks it resolved) into hooks, and
 * the named fields of its R line into vals; 0 when there was no R line. */
static int parse_report(char *buf, char *hooks, size_t hooks_len,
			const char *const *names, double *vals, int n)
{
	int seen = 0;
	char *line;

	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == 'H' && line[1] == ' ')
			snprintf(hooks, hooks_len, "%s", line + 2);
		if (line[0] != 'R' || line[1] != ' ')
			continue;
		seen = 1;
		for (int k = 0; k < n; k++) {
			const char *f = field(line, names[k]);
			if (f)
				vals[k] = atof(f);
		}
	}
	return seen;
}

static void run_memory(enum mode m, const struct variant *v, struct mem_result *res)
{
	static const char *const names[] = { "n", "delta", "rss" };
	double vals[3] = { -1, 0, 0 };
	char buf[2048];

	run_reporting(m, v, buf, sizeof buf);
	memset(res, 0, sizeof *res);
	if (!parse_report(buf, res->hooks, sizeof res->hooks, names, vals, 3) ||
	    vals[0] < 0)
		die("mode %s, variant %s: no result", modes[m].name, v->label);
	res->n = (long)vals[0];
	res->delta = (long)vals[1];
	res->rss = (long)vals[2];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
};

static struct stat3 summarize(const double *v, int n)
{
	double s[MAX_BLOCKS];
	struct stat3 r = { 0, 0, 0 };

	if (n <= 0)
		return r;
	memcpy(s, v, (size_t)n * sizeof *s);
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	r.min = s[0];
	r.max = s[n - 1];
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

static int is_main(const struct variant *v, const char *lib)
{
	return v->lib == lib && !v->env && !v->is_control;
}

static int is_log(const struct variant *v, const char *lib)
{
	return v->lib == lib && v->env && !v->is_control;
}

static int find_variant(const struct variant *vars, int nvars, const char *label)
{
	for (int vi = 0; vi < nvars; vi++)
		if (strcmp(vars[vi].label, label) == 0)
			return vi;
	return -1;
}

/* The median over blocks of variant a's throughput over b's. */
static struct stat3 pair_ratio(int a, int b, double ops[][MAX_BLOCKS],
			       double sec[][MAX_BLOCKS])
{
	double ratio[MAX_BLOCKS];

	for (int k = 0; k < opt.blocks; k++)
		ratio[k] = (ops[a][k] / sec[a][k]) / (ops[b][k] / sec[b][k]);
	return summarize(ratio, opt.blocks);
}

/* "  a / b: median (min .. max)" and, with a target, PASS or FAIL. */
static int print_pair(const char *a, const char *b, struct stat3 s,
		      double target)
{
	int pass = s.med >= target;

	printf("  %s / %s: %6.3f  (%.3f .. %.3f)", a, b, s.med, s.min, s.max);
	if (target > 0)
		printf("   target >= %.3g  %s", target, pass ? "PASS" : "FAIL");
	printf("\n");
	return target > 0 && !pass;
}

/* connect: kashim with the log against kashim without, and both against
 * the floor, block by block (the same conditions), each within 1%. */
static int connect_against(const struct variant *vars, int nvars,
			   double ops[][MAX_BLOCKS], double sec[][MAX_BLOCKS])
{
	static const char *const pairs[][2] = {
		{ "kashim+log", "kashim" }, { "kashim", "floor" }, { "kashim+log", "floor" },
	};
	int fail = 0;

	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		int a = find_variant(vars, nvars, pairs[i][0]);
		int b = find_variant(vars, nvars, pairs[i][1]);

		if (a >= 0 && b >= 0)
			fail |= print_pair(pairs[i][0], pairs[i][1],
					   pair_ratio(a, b, ops, sec), 0.99);
	}
	return fail;
}

/* Kernel mode's targets.  Moving a process into a cgroup v2 costs some
 * scheduler work at every switch whatever is attached there (the
 * "cgroup" column, an empty cgroup beside kashim's); what kashim's
 * programs add is kernel / cgroup.  pingpong: that is 1.00 to two places
 * (no I/O call is hooked); accept: kernel / none >= 0.98; connect: no
 * lower than the preload's, block by block. */
static int kernel_against(enum mode m, const struct variant *vars, int nvars,
			  double ops[][MAX_BLOCKS], double sec[][MAX_BLOCKS])
{
	int k = find_variant(vars, nvars, "kernel");
	int cg = find_variant(vars, nvars, "cgroup");
	int pre = find_variant(vars, nvars, "kashim");
	int pingpong = modes[m].preload == PRE_BOTH;

	if (k < 0 || cg < 0)
		return 0;
	if (print_pair("kernel", "cgroup", pair_ratio(k, cg, ops, sec),
		       pingpong ? 0.995 : 0))
		return 1;
	if (m == M_CONNECT)
		return print_pair("kernel", "kashim",
				  pair_ratio(k, pre, ops, sec), 1.0);
	if (m == M_ACCEPT)
		return print_pair("kernel", "none", pair_ratio(k, 0, ops, sec),
				  0.98);
	return 0;
}

/* One block of a timed mode: a fresh set of workers per variant (its own
 * processes, network namespace and listener), a warm-up round each way,
 * then per_block rounds of slices in turn, the order reversed every
 * round.  Fresh sets per block, because a set keeps what it drew when it
 * started (where its pages and sockets landed, which CPU caches they
 * share): with one set per mode, that draw moved the control's median by
 * up to 8% on this VM, as a bias no number of blocks could average out. */
static void bench_block(enum mode m, const struct variant *vars, int nvars,
			int b, double ops[][MAX_BLOCKS], double sec[][MAX_BLOCKS],
			int *shorts, char hooks[][HOOKS_LEN])
{
	int cmd[MAX_VARIANTS];
	pid_t set[MAX_VARIANTS];
	int vi, r;

	for (vi = 0; vi < nvars; vi++) {
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
			die("socketpair: %s", strerror(errno));
		set[vi] = start_set(m, &vars[vi], sp[1], -1);
		close(sp[1]);
		cmd[vi] = sp[0];
	}
	for (vi = 0; vi < nvars; vi++) {
		cmd_read(cmd[vi], hooks[vi], HOOKS_LEN, m, &vars[vi]);
		hooks[vi][HOOKS_LEN - 1] = '\0';
	}
	/* rounds -2 and -1 warm up: not counted */
	for (r = -2; r < opt.per_block; r++) {
		for (int k = 0; k < nvars; k++) {
			struct slice_res res;
			vi = (r & 1) ? nvars - 1 - k : k;
			xwrite_all(cmd[vi], &opt.slice, sizeof opt.slice);
			cmd_read(cmd[vi], &res, sizeof res, m, &vars[vi]);
			if (r < 0)
				continue;
			ops[vi][b] += (double)res.ops;
			sec[vi][b] += res.sec;
			shorts[vi] += res.cut_short;
		}
	}
	for (vi = 0; vi < nvars; vi++)
		close(cmd[vi]);
	for (vi = 0; vi < nvars; vi++)
		end_set(set[vi], m, &vars[vi]);
}

/* One timed mode: blocks of interleaved slices, each block's ratios
 * against the same block's "none". */
static int bench_timed(enum mode m, const struct variant *vars, int nvars, const char *lib)
{
	char hooks[MAX_VARIANTS][HOOKS_LEN];
	double ops[MAX_VARIANTS][MAX_BLOCKS], sec[MAX_VARIANTS][MAX_BLOCKS];
	double ratio[MAX_BLOCKS], usop[MAX_BLOCKS];
	int vi, b, fail = 0, shorts[MAX_VARIANTS] = { 0 };

	/* Every cell the summaries read is defined, even one no round wrote. */
	memset(ops, 0, sizeof ops);
	memset(sec, 0, sizeof sec);
	for (b = 0; b < opt.blocks; b++)
		bench_block(m, vars, nvars, b, ops, sec, shorts, hooks);
	printf("%-17s %s\n", modes[m].name, modes[m].what);
	for (b = 0; b < opt.blocks; b++)
		usop[b] = 1e6 * sec[0][b] / ops[0][b];
	printf("  %-12s %8.3f us/op (median of %d blocks)\n", "none",
	       summarize(usop, opt.blocks).med, opt.blocks);
	for (vi = 1; vi < nvars; vi++) {
		struct stat3 s;
		for (b = 0; b < opt.blocks; b++)
			ratio[b] = (ops[vi][b] / sec[vi][b]) / (ops[0][b] / sec[0][b]);
		s = summarize(ratio, opt.blocks);
		printf("  %-12s ratio %6.3f  (%.3f .. %.3f)", vars[vi].label, s.med, s.min, s.max);
		if (is_main(&vars[vi], lib) || (is_log(&vars[vi], lib) && m != M_CONNECT)) {
			int pass = s.med >= modes[m].target;
			printf("   target >= %.2f  %s", modes[m].target, pass ? "PASS" : "FAIL");
			fail |= !pass;
		}
		if (shorts[vi])
			printf("   [%d slices cut short: ports ran out]", shorts[vi]);
		printf("\n");
	}
	if (m == M_CONNECT)
		fail |= connect_against(vars, nvars, ops, sec);
	fail |= kernel_against(m, vars, nvars, ops, sec);
	for (vi = 0; vi < nvars; vi++)
		if (!vars[vi].is_control)
			printf("  resolved (%s): %s\n", vars[vi].label, hooks[vi]);
	printf("\n");
	return fail;
}

/* One paired run of variant v: its figures, from the worker's R line. */
struct paired_result {
	double med, proc[PAIR_PROCS], us0, us1;
	char hooks[HOOKS_LEN];
};

static void run_paired(enum mode m, const struct variant *v, struct paired_result *r)
{
	static const char *const names[] = { "med", "us0", "us1" };
	double sorted[PAIR_PROCS];
	char buf[1024];

	memset(r, 0, sizeof *r);
	for (int k = 0; k < PAIR_PROCS; k++) {
		double vals[3] = { -1, 0, 0 };

		run_reporting(m, v, buf, sizeof buf);
		if (!parse_report(buf, r->hooks, sizeof r->hooks, names, vals, 3) ||
		    vals[0] < 0)
			die("mode %s, variant %s: no result", modes[m].name, v->label);
		r->proc[k] = sorted[k] = vals[0];
		r->us0 += vals[1] / PAIR_PROCS;
		r->us1 += vals[2] / PAIR_PROCS;
	}
	qsort(sorted, PAIR_PROCS, sizeof sorted[0], cmp_double);
	r->med = sorted[PAIR_PROCS / 2];
}

static void print_paired(const char *label, const struct paired_result *r)
{
	_Static_assert(PAIR_PROCS == 3, "the line prints three processes");
	printf("  %-12s ratio %6.3f  (processes %.3f, %.3f, %.3f; %.3f us/op without, %.3f with)",
	       label, r->med, r->proc[0], r->proc[1], r->proc[2], r->us0, r->us1);
}

static int verdict(double r, double target)
{
	int pass = r >= target - 1e-9;

	printf("   target >= %.3g  %s\n", target, pass ? "PASS" : "FAIL");
	return !pass;
}

/* connect-paired against the floor: kashim and kashim+log run again, each
 * with the floor as its side 0 in the same process (KB_PAIR_FLOOR), so the
 * two sides make the same sockets with the same options and differ only
 * in kashim's bookkeeping.  Their ratios are the targets' figures;
 * kashim+log / kashim is the ratio of the two.  kernel / kashim stays a
 * ratio of two processes' figures, as the connect mode's. */
static int paired_floor(const struct variant *vars, int nvars, const double *meds)
{
	const char *labels[2] = { "kashim", "kashim+log" };
	double vs_floor[2] = { -1, -1 };
	int k = find_variant(vars, nvars, "kernel");
	int a = find_variant(vars, nvars, "kashim");
	int fail = 0;

	printf("  against the floor, in one process (side 0: libc + the floor's five options):\n");
	for (int i = 0; i < 2; i++) {
		struct variant v;
		struct paired_result r;
		int vi = find_variant(vars, nvars, labels[i]);

		if (vi < 0)
			continue;
		v = vars[vi];
		v.floor_side = 1;
		run_paired(M_CONNECT_PAIRED, &v, &r);
		vs_floor[i] = r.med;
		print_paired(labels[i], &r);
		fail |= verdict(r.med, 0.99);
	}
	if (vs_floor[0] > 0 && vs_floor[1] > 0) {
		printf("  kashim+log / kashim:  %.3f", vs_floor[1] / vs_floor[0]);
		fail |= verdict(vs_floor[1] / vs_floor[0], 0.99);
	}
	if (k >= 0 && a >= 0 && meds[k] > 0 && meds[a] > 0) {
		printf("  kernel / kashim:  %.3f", meds[k] / meds[a]);
		fail |= verdict(meds[k] / meds[a], 1.0);
	}
	return fail;
}

/* A paired mode: one process per variant, each its own "none" (see
 * w_accept_paired).  The cgroup variant has nothing to pair. */
static int bench_paired(enum mode m, const struct variant *vars, int nvars, const char *lib)
{
	double meds[MAX_VARIANTS];
	int vi, fail = 0;

	for (vi = 0; vi < MAX_VARIANTS; vi++)
		meds[vi] = -1;
	printf("%-17s %s\n", modes[m].name, modes[m].what);
	for (vi = 1; vi < nvars; vi++) {
		struct paired_result r;
		int kernel = vars[vi].alt_cgroup != NULL;

		if (vars[vi].cgroup && !kernel)
			continue;
		run_paired(m, &vars[vi], &r);
		meds[vi] = r.med;
		print_paired(vars[vi].label, &r);
		if (is_main(&vars[vi], lib) || is_log(&vars[vi], lib) || kernel) {
			/* kernel mode hooks no I/O call: 1.00 to two places */
			double target = kernel && m == M_PP_PAIRED ? 0.995 : modes[m].target;
			fail |= verdict(r.med, target);
		} else {
			printf("\n");
		}
		if (!vars[vi].is_control)
			printf("  %-12s resolved: %s\n", "", r.hooks);
	}
	if (m == M_CONNECT_PAIRED)
		fail |= paired_floor(vars, nvars, meds);
	printf("\n");
	return fail;
}

/* One memory mode: fresh processes per run, rounds of all variants. */
static int bench_memory(enum mode m, const struct variant *vars, int nvars, const char *lib)
{
	struct mem_result res[MAX_VARIANTS][MAX_BLOCKS];
	double val[MAX_BLOCKS], d[MAX_BLOCKS];
	int vi, r, fail = 0;

	/* A timed-only variant has no memory result: its row stays zero. */
	memset(res, 0, sizeof res);
	for (r = 0; r < opt.mem_rounds; r++)
		for (int k = 0; k < nvars; k++) {
			vi = r % 2 ? nvars - 1 - k : k;
			if (!vars[vi].timed_only)
				run_memory(m, &vars[vi], &res[vi][r]);
		}
	printf("%-17s %s\n", modes[m].name, modes[m].what);
	for (vi = 1; vi < nvars; vi++) {
		struct stat3 s;
		double n;
		if (vars[vi].timed_only)
			continue;
		n = (double)res[vi][0].n;
		for (r = 0; r < opt.mem_rounds; r++)
			val[r] = (double)(res[vi][r].delta - res[0][r].delta) /
				 (m == M_MEMORY ? n : 1.0);
		s = summarize(val, opt.mem_rounds);
		printf("  %-12s %s %9.2f  (%.2f .. %.2f)", vars[vi].label,
		       m == M_MEMORY ? "bytes/conn " : "extra bytes", s.med, s.min, s.max);
		if (is_main(&vars[vi], lib)) {
			/* a per-connection figure can only be read to one page */
			double limit = m == M_MEMORY ? modes[m].target + 4096.0 / n : 0;
			int pass = s.max <= limit;
			if (m == M_MEMORY)
				printf("   target <= 64 (+%.2f page rounding)  %s", 4096.0 / n,
				       pass ? "PASS" : "FAIL");
			else
				printf("   target = 0  %s", pass ? "PASS" : "FAIL");
			fail |= !pass;
		}
		printf("\n");
	}
	for (r = 0; r < opt.mem_rounds; r++)
		d[r] = (double)(res[1][r].rss - res[0][r].rss) / 1024.0;
	if (m == M_MEMORY)
		printf("  N = %ld connections held by the client; without preload its anonymous "
		       "RSS grew %ld bytes\n", res[0][0].n, res[0][0].delta);
	else
		printf("  %ld non-TCP fds; anonymous RSS of the whole process with kashim: "
		       "%+.0f KiB (the library's own data, not per fd)\n",
		       res[0][0].n, summarize(d, opt.mem_rounds).med);
	for (vi = 0; vi < nvars; vi++)
		if (!vars[vi].is_control && !vars[vi].timed_only)
			printf("  resolved (%s): %s\n", vars[vi].label, res[vi][0].hooks);
	printf("\n");
	return fail;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: kashim-bench --lib LIB [--floor LIB] [--compare LIB]... [--blocks N] [--per-block N]\n"
		"                    [--slice SEC] [--mem-rounds N] [--modes m1,m2,...]\n"
		"                    [--pin auto|split|same|none] [--conns N] [--pair-rounds N] [--no-log] [--no-netns]\n"
		"                    [--kernel KASHIM-KERNEL]\n"
		"modes:");
	for (int i = 0; i < M_COUNT; i++)
		fprintf(stderr, " %s", modes[i].name);
	fprintf(stderr, "\n");
	exit(1);
}

static void print_machine(void)
{
	struct utsname u;
	char model[256] = "?", line[512], virt[64] = "";
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (f) {
		while (fgets(line, sizeof line, f)) {
			if (strncmp(line, "model name", 10) == 0 && model[0] == '?') {
				char *c = strchr(line, ':');
				if (c) {
					snprintf(model, sizeof model, "%s", c + 2);
					model[strcspn(model, "\n")] = '\0';
				}
			}
			if (strncmp(line, "flags", 5) == 0 && strstr(line, " hypervisor"))
				snprintf(virt, sizeof virt, ", virtual machine");
		}
		fclose(f);
	}
	uname(&u);
	printf("machine: %s, %ld CPUs online%s, %ld MiB RAM, Linux %s %s\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN), virt,
	       sysconf(_SC_PHYS_PAGES) / 1024 * sysconf(_SC_PAGESIZE) / 1024,
	       u.release, u.machine);
	printf("libc: glibc %s\n", gnu_get_libc_version());
}

static int probe_netns(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	       WEXITSTATUS(st) == 0;
}

static const char *abs_path(const char *p)
{
	char *r = realpath(p, NULL);

	if (!r)
		die("%s: %s", p, strerror(errno));
	return r;
}

/* ---- kernel mode: a cgroup of the bench's own, covered by kashim-kernel */

static char kernel_cg[PATH_MAX], empty_cg[PATH_MAX];

static int run_helper(const char *helper, const char *sub, const char *cg)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[] = { (char *)helper, (char *)sub, "--cgroup",
				 (char *)cg, NULL };
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execv(helper, argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* The cgroup v2 mount, a cgroup below it, kashim-kernel attached to it
 * with the default settings.  NULL (said) when that cannot be done. */
static const char *kernel_setup(const char *helper)
{
	char dev[256], dir[PATH_MAX - 64], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");
	int found = 0;

	while (f && !found &&
	       fscanf(f, "%255s %4000s %63s %*[^\n]", dev, dir, type) == 3)
		found = strcmp(type, "cgroup2") == 0;
	if (f)
		fclose(f);
	if (!found) {
		printf("note: no cgroup v2: no kernel-mode column\n");
		return NULL;
	}
	snprintf(kernel_cg, sizeof kernel_cg, "%s/kashim-bench-%ld", dir,
		 (long)getpid());
	snprintf(empty_cg, sizeof empty_cg, "%.4000s-empty", kernel_cg);
	if (mkdir(kernel_cg, 0755) != 0) {
		printf("note: %s: %s: no kernel-mode column\n", kernel_cg,
		       strerror(errno));
		return NULL;
	}
	if (mkdir(empty_cg, 0755) != 0) {
		printf("note: %s: %s: no kernel-mode column\n", empty_cg,
		       strerror(errno));
		rmdir(kernel_cg);
		return NULL;
	}
	if (run_helper(helper, "attach", kernel_cg) != 0) {
		printf("note: %s attach failed (see above): no kernel-mode column\n",
		       helper);
		rmdir(kernel_cg);
		rmdir(empty_cg);
		return NULL;
	}
	return kernel_cg;
}

/* A run that dies (a worker failed) still takes down what it attached:
 * die() exits, and the driver alone -- not a set's process forked from
 * it -- detaches and removes its cgroups. */
static const char *teardown_helper;
static pid_t driver_pid;

/* The workers still in the cgroup wait on channels that close only when
 * the driver has exited: end them (cgroup.kill, Linux 5.14) and give the
 * kernel a moment to empty the cgroup, so it can be removed. */
static void empty_cgroup(const char *cg)
{
	char p[PATH_MAX];
	int fd, i;

	snprintf(p, sizeof p, "%s/cgroup.kill", cg);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			fprintf(stderr, "kashim-bench: %s: %s\n", p, strerror(errno));
		close(fd);
	}
	for (i = 0; i < 100 && rmdir(cg) != 0 && errno == EBUSY; i++)
		usleep(10000);
}

static void teardown_at_exit(void)
{
	if (teardown_helper && getpid() == driver_pid) {
		run_helper(teardown_helper, "detach", kernel_cg);
		empty_cgroup(kernel_cg);
		empty_cgroup(empty_cg);
		teardown_helper = NULL;
	}
}

int main(int argc, char **argv)
{
	struct variant vars[MAX_VARIANTS];
	int nvars = 0, i, want[M_COUNT], with_log = 1, any_fail = 0;
	const char *lib = NULL, *floor_lib = NULL, *pin = "auto";
	const char *kernel = NULL, *kcg = NULL;
	static char logenv[PATH_MAX + 16];
	char logpath[] = "/tmp/kashim-bench-log.XXXXXX";
	double t_start;

	if (argc > 1 && strcmp(argv[1], "--worker") == 0)
		return worker_main(argc, argv);

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < M_COUNT; i++)
		want[i] = 1;
	memset(vars, 0, sizeof vars);
	vars[nvars++].label = "none";
	vars[nvars++].label = "kashim";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--lib") == 0 && val) {
			lib = abs_path(val);
		} else if (strcmp(a, "--compare") == 0 && val) {
			const char *b;
			if (nvars >= MAX_VARIANTS - 2)
				die("too many --compare");
			vars[nvars].lib = abs_path(val);
			b = strrchr(vars[nvars].lib, '/');
			vars[nvars].label = b ? b + 1 : vars[nvars].lib;
			nvars++;
		} else if (strcmp(a, "--floor") == 0 && val) {
			floor_lib = abs_path(val);
		} else if (strcmp(a, "--blocks") == 0 && val) {
			opt.blocks = atoi(val);
		} else if (strcmp(a, "--per-block") == 0 && val) {
			opt.per_block = atoi(val);
		} else if (strcmp(a, "--slice") == 0 && val) {
			opt.slice = atof(val);
		} else if (strcmp(a, "--mem-rounds") == 0 && val) {
			opt.mem_rounds = atoi(val);
		} else if (strcmp(a, "--conns") == 0 && val) {
			opt.mem_conns = atol(val);
		} else if (strcmp(a, "--pair-rounds") == 0 && val) {
			opt.pair_rounds = atol(val);
		} else if (strcmp(a, "--kernel") == 0 && val) {
			kernel = abs_path(val);
		} else if (strcmp(a, "--pin") == 0 && val) {
			pin = val;
		} else if (strcmp(a, "--modes") == 0 && val) {
			char *list = strdup(val), *tok;
			for (int k = 0; k < M_COUNT; k++)
				want[k] = 0;
			for (tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
				enum mode m = mode_by_name(tok);
				if (m == M_COUNT) {
					fprintf(stderr, "kashim-bench: unknown mode %s\n", tok);
					usage();
				}
				want[m] = 1;
			}
		} else if (strcmp(a, "--no-log") == 0) {
			with_log = 0;
			continue;
		} else if (strcmp(a, "--no-netns") == 0) {
			opt.netns = 0;
			continue;
		} else {
			usage();
		}
		i++;
	}
	if (!lib || opt.blocks < 5 || opt.blocks > MAX_BLOCKS || opt.per_block < 1 ||
	    opt.slice <= 0 || opt.mem_rounds < 5 || opt.mem_rounds > MAX_BLOCKS ||
	    opt.pair_rounds < 20L * PAIR_PROCS || opt.pair_rounds > 1000000)
		usage();
	opt.pin_auto = strcmp(pin, "auto") == 0;
	if (opt.pin_auto || strcmp(pin, "split") == 0) {
		opt.cpu_client = 0;
		opt.cpu_server = 1;
	} else if (strcmp(pin, "same") == 0) {
		opt.cpu_client = opt.cpu_server = 0;
	} else if (strcmp(pin, "none") == 0) {
		opt.cpu_client = opt.cpu_server = -1;
	} else {
		usage();
	}
	vars[1].lib = lib;
	if (with_log) {
		int fd = mkstemp(logpath);
		if (fd < 0)
			die("mkstemp: %s", strerror(errno));
		close(fd);
		snprintf(logenv, sizeof logenv, "KASHIM_LOG=%s", logpath);
		vars[nvars++] = (struct variant){ "kashim+log", lib, logenv, 0, 1, NULL, NULL, 0 };
	}
	if (floor_lib)
		vars[nvars++] = (struct variant){ "floor", floor_lib, NULL, 0, 1, NULL, NULL, 0 };
	if (kernel && (kcg = kernel_setup(kernel)) != NULL) {
		driver_pid = getpid();
		teardown_helper = kernel;
		atexit(teardown_at_exit);
		vars[nvars++] = (struct variant){ "kernel", NULL, NULL, 0, 1, kcg, empty_cg, 0 };
		vars[nvars++] = (struct variant){ "cgroup", NULL, NULL, 0, 1, empty_cg, NULL, 0 };
	}
	vars[nvars++] = (struct variant){ "control", NULL, NULL, 1, 0, NULL, NULL, 0 };

	self_exe = abs_path("/proc/self/exe");
	{
		char who[64];
		if (!bench_imports("__read_chk", who, sizeof who))
			die("this binary does not import __read_chk; rebuild bench/fortify.c "
			    "with -O2 -D_FORTIFY_SOURCE=2");
	}
	if (opt.netns && !probe_netns()) {
		printf("note: no network namespace (not root?): all runs share the host's "
		       "loopback; connect slices may be cut short when ephemeral ports run out\n");
		opt.netns = 0;
	}
	if (opt.mem_conns <= 0)
		opt.mem_conns = nofile_limit() - 64;

	printf("kashim bench: timed modes %d blocks x %d rounds x %.1f ms slices per "
	       "variant, interleaved; memory modes %d rounds\n",
	       opt.blocks, opt.per_block, opt.slice * 1e3, opt.mem_rounds);
	if (opt.pin_auto)
		printf("pinning: pingpong client and server both on CPU 0 (steadiest here), "
		       "other modes client CPU 0, server CPU 1\n");
	else
		printf("pinning %s (client CPU %d, server CPU %d)\n", pin, opt.cpu_client,
		       opt.cpu_server);
	printf("%s\n", opt.netns ? "one network namespace per variant"
				 : "host network namespace");
	print_machine();
	printf("library: %s\n", lib);
	for (i = 2; i < nvars; i++)
		if (vars[i].lib && !vars[i].env && vars[i].lib != floor_lib)
			printf("compare: %s\n", vars[i].lib);
	if (floor_lib)
		printf("floor: %s (five setsockopt calls per TCP socket, no state)\n",
		       floor_lib);
	if (with_log)
		printf("kashim+log: %s (the mode's target; connect: within 1%% of kashim)\n",
		       logenv);
	if (kcg)
		printf("kernel: %s attached to %s, no preload (timed modes; "
		       "targets: pingpong 1.00, accept >= 0.98, connect "
		       ">= kashim's)\ncgroup: %s, nothing attached: what being "
		       "in a cgroup costs, with or without kashim\n", kernel, kcg,
		       empty_cg);
	printf("ratio = throughput(variant) / throughput(none); control = a second "
	       "set without preload (the noise band)\n\n");

	t_start = now();
	for (i = 0; i < M_COUNT; i++) {
		if (!want[i])
			continue;
		if (is_memory((enum mode)i))
			any_fail |= bench_memory((enum mode)i, vars, nvars, lib);
		else if (is_paired((enum mode)i))
			any_fail |= bench_paired((enum mode)i, vars, nvars, lib);
		else
			any_fail |= bench_timed((enum mode)i, vars, nvars, lib);
	}
	if (with_log)
		unlink(logpath);
	teardown_at_exit();
	printf("total %.0f s; targets: %s\n", now() - t_start,
	       any_fail ? "SOME FAIL (see FAIL above)" : "all PASS");
	return 0;
}
