/* kashim-adopt — a target process (see adopt.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "adopt.h"

/* The generic syscall numbers (every architecture but alpha), for libc
 * headers older than the calls. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define CAP_SYS_PTRACE_BIT 19

int target_getfd(const struct adopt_target *t, int fd)
{
	return (int)syscall(SYS_pidfd_getfd, t->pidfd, fd, 0);
}

/* ---- what the kernel and the caller lack -------------------------------- */

static void too_old(char *why, size_t cap, const char *call, const char *since)
{
	struct utsname u;

	if (uname(&u) != 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	snprintf(why, cap, "%s: this kernel (%s) has no %s (Linux %s): adopt "
		 "takes sockets with pidfd_getfd, which needs Linux 5.6 or newer",
		 ADOPT_ME, u.release, call, since);
}

/* The first number on the "Key:" line of /proc/PATH/status, or -1. */
static long status_field(const char *path, const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0) {
			v = strtol(line + klen, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int have_cap_ptrace(void)
{
	char line[256];
	int have = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "CapEff:", 7) == 0) {
			unsigned long long caps = strtoull(line + 7, NULL, 16);

			have = (caps >> CAP_SYS_PTRACE_BIT) & 1;
			break;
		}
	fclose(f);
	return have;
}

/* kernel.yama.ptrace_scope, or -1 when Yama is not there. */
static int yama_scope(void)
{
	int v = -1;
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void explain_eperm(const struct adopt_target *t, char *why, size_t cap)
{
	char path[64];
	long uid;
	int cap_ptrace = have_cap_ptrace(), yama = yama_scope();
	const char *need = "ptrace access to it (PTRACE_MODE_ATTACH_REALCREDS)";
	int n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)t->pid);
	uid = status_field(path, "Uid:");
	n = snprintf(why, cap, "%s: pid %d (%s): permission denied: ", ADOPT_ME,
		     (int)t->pid, t->comm);
	if (n < 0 || (size_t)n >= cap)
		return;
	why += n;
	cap -= (size_t)n;
	if (!cap_ptrace && uid >= 0 && (uid_t)uid != getuid())
		snprintf(why, cap, "it runs as uid %ld and you are uid %u "
			 "without CAP_SYS_PTRACE: another user's process needs "
			 "%s, so run as root", uid, (unsigned)getuid(), need);
	else if (yama == 3)
		snprintf(why, cap, "kernel.yama.ptrace_scope=3 forbids all "
			 "ptrace access until reboot, and adopt needs %s", need);
	else if (!cap_ptrace && yama >= 1)
		snprintf(why, cap, "kernel.yama.ptrace_scope=%d allows %s only "
			 "to %s: run as root (CAP_SYS_PTRACE)", yama, need,
			 yama == 1 ? "a process's own descendants" :
			 "CAP_SYS_PTRACE");
	else if (!cap_ptrace)
		snprintf(why, cap, "%s is refused although you are its user: "
			 "it is not dumpable (setuid/setgid, or prctl "
			 "PR_SET_DUMPABLE 0) or a security module forbids it: "
			 "run as root (CAP_SYS_PTRACE)", need);
	else
		snprintf(why, cap, "%s is refused even with CAP_SYS_PTRACE: a "
			 "security module (AppArmor, SELinux) forbids it, or it "
			 "is in a user namespace you have no capability over",
			 need);
}

void target_explain(const struct adopt_target *t, int err, char *why,
		    size_t cap)
{
	if (err == EPERM || err == EACCES)
		explain_eperm(t, why, cap);
	else if (err == ENOSYS)
		too_old(why, cap, "pidfd_getfd", "5.6");
	else if (err == ESRCH || err == ENOENT)
		snprintf(why, cap, "%s: no process %d (it ended)", ADOPT_ME,
			 (int)t->pid);
	else
		snprintf(why, cap, "%s: pid %d (%s): cannot take its sockets: %s",
			 ADOPT_ME, (int)t->pid, t->comm, strerror(err));
}

/* ---- the target's descriptors ------------------------------------------- */

static void read_comm(struct adopt_target *t)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)t->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, t->comm, sizeof(t->comm) - 1);
		close(fd);
	}
	if (n <= 0)
		n = 0;
	t->comm[n] = '\0';
	if (n > 0 && t->comm[n - 1] == '\n')
		t->comm[n - 1] = '\0';
	if (!t->comm[0])
		snprintf(t->comm, sizeof(t->comm), "?");
}

static int by_fd(const void *a, const void *b)
{
	const struct adopt_sock *x = a, *y = b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* A numeric entry of /proc/PID/fd: its number, or -1. */
static int fd_number(const char *name)
{
	long v = 0;

	if (!*name)
		return -1;
	for (; *name; name++) {
		if (*name < '0' || *name > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*name - '0');
	}
	return (int)v;
}

static int add_sock(struct adopt_target *t, int fd, uint64_t ino, int *cap)
{
	if (t->nsocks == *cap) {
		int ncap = *cap ? *cap * 2 : 64;
		struct adopt_sock *s = realloc(t->socks, sizeof(*s) * (size_t)ncap);

		if (!s)
			return -1;
		t->socks = s;
		*cap = ncap;
	}
	t->socks[t->nsocks].fd = fd;
	t->socks[t->nsocks].ino = ino;
	t->nsocks++;
	return 0;
}

/* The target's descriptors, and which are sockets.  0 or an errno. */
static int list_fds(struct adopt_target *t, int dirfd)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	int cap = 0;

	if (!d) {
		int e = errno;

		close(dirfd);
		return e;
	}
	while ((de = readdir(d)) != NULL) {
		char link[64];
		unsigned long long ino;
		ssize_t n;
		int fd = fd_number(de->d_name);

		if (fd < 0)
			continue;
		n = readlinkat(dirfd, de->d_name, link, sizeof(link) - 1);
		if (n < 0)
			continue;               /* closed meanwhile */
		link[n] = '\0';
		t->nfds++;
		if (sscanf(link, "socket:[%llu]", &ino) == 1 &&
		    add_sock(t, fd, ino, &cap) != 0) {
			closedir(d);
			return ENOMEM;
		}
	}
	closedir(d);
	if (t->nsocks > 1)
		qsort(t->socks, (size_t)t->nsocks, sizeof(*t->socks), by_fd);
	return 0;
}

/* Local ports in LISTEN in the target's network namespace: an established
 * socket on one of them was accepted (kashim's guess for a connection it
 * did not see made). */
static void read_listening(struct adopt_target *t, const char *file)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)t->pid, file);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char local[64];
		unsigned port, state;

		if (sscanf(line, " %*u: %63s %*s %x", local, &state) != 2 ||
		    state != 0x0A)
			continue;
		if (sscanf(strchr(local, ':') ? strchr(local, ':') + 1 : "",
			   "%x", &port) == 1 && port < 65536)
			t->listening[port / 8] |= (uint8_t)(1u << (port % 8));
	}
	fclose(f);
}

/* pidfd_getfd on one of its descriptors: the permission the adopt will
 * need, checked before anything is changed.  0 or an errno. */
static int probe_access(const struct adopt_target *t)
{
	int i;

	for (i = 0; i < t->nsocks; i++) {
		int fd = target_getfd(t, t->socks[i].fd);

		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (errno != EBADF)
			return errno;
	}
	return 0;
}

/* Does the comma list `ctl` name net_cls or net_prio? */
static int is_net_ctl(const char *ctl, size_t len)
{
	const char *p = ctl, *end = ctl + len;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t n = c ? (size_t)(c - p) : (size_t)(end - p);

		if ((n == 7 && memcmp(p, "net_cls", 7) == 0) ||
		    (n == 8 && memcmp(p, "net_prio", 8) == 0))
			return 1;
		p += n + 1;
	}
	return 0;
}

/* The cgroup v1 net_cls/net_prio path of /proc/WHO, or "" when those
 * controllers are not mounted (cgroup v2 has neither). */
static void net_cgroup(const char *who, char *out, size_t cap)
{
	char path[64], line[1024];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%s/cgroup", who);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2 || !is_net_ctl(c1 + 1, (size_t)(c2 - c1 - 1)))
			continue;
		c2[strcspn(c2, "\n")] = '\0';
		snprintf(out, cap, "%s", c2 + 1);
		break;
	}
	fclose(f);
}

/* A socket received through pidfd_getfd (as through SCM_RIGHTS) takes the
 * receiver's net_cls class id and net_prio index (the kernel's
 * __receive_sock), which traffic-control and firewall rules may match on.
 * Only from the target's own net_cls/net_prio cgroup is that no change. */
static int same_net_cgroup(const struct adopt_target *t, char *why,
			   size_t cap)
{
	char pid[16], theirs[512], ours[512];

	snprintf(pid, sizeof(pid), "%d", (int)t->pid);
	net_cgroup(pid, theirs, sizeof(theirs));
	net_cgroup("self", ours, sizeof(ours));
	if (strcmp(theirs, ours) == 0)
		return 1;
	snprintf(why, cap, "%s: pid %d (%s) is in net_cls/net_prio cgroup %s "
		 "and kashim adopt in %s: a socket taken with pidfd_getfd gets "
		 "the taker's class and priority, so run kashim adopt in that "
		 "cgroup (cgexec -g net_cls,net_prio:%s)", ADOPT_ME, (int)t->pid,
		 t->comm, theirs, ours, theirs);
	return 0;
}

static int open_pidfd(struct adopt_target *t, char *why, size_t cap)
{
	t->pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (t->pidfd >= 0)
		return 0;
	if (errno == ENOSYS)
		too_old(why, cap, "pidfd_open", "5.3");
	else if (errno == ESRCH)
		snprintf(why, cap, "%s: no process %d", ADOPT_ME, (int)t->pid);
	else if (errno == EINVAL)
		snprintf(why, cap, "%s: %d is a thread, not a process: give its "
			 "process id (Tgid in /proc/%d/status)", ADOPT_ME,
			 (int)t->pid, (int)t->pid);
	else
		snprintf(why, cap, "%s: pid %d: pidfd_open: %s", ADOPT_ME,
			 (int)t->pid, strerror(errno));
	return -1;
}

int target_open(struct adopt_target *t, pid_t pid, char *why, size_t cap)
{
	char path[64];
	int dirfd, err;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->pidfd = -1;
	if (open_pidfd(t, why, cap) != 0)
		return -1;
	read_comm(t);
	if (!same_net_cgroup(t, why, cap)) {     /* before any getfd */
		target_close(t);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = dirfd < 0 ? errno : list_fds(t, dirfd);
	if (!err)
		err = probe_access(t);
	if (err) {
		target_explain(t, err, why, cap);
		target_close(t);
		return -1;
	}
	read_listening(t, "tcp");
	read_listening(t, "tcp6");
	return 0;
}

void target_close(struct adopt_target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
	free(t->socks);
	t->socks = NULL;
	t->nsocks = 0;
}
