/* kashim kernel mode — privileges, kernel, cgroup v2 and bpffs (kk.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kk.h"

#define CGROUP2_MAGIC 0x63677270
#define BPFFS_MAGIC 0xcafe4a11
#define BPFFS_DEFAULT "/sys/fs/bpf"

/* Kernel mode needs tp_btf/inet_sk_error_report (5.14), socket storage in
 * tracing programs (5.11), bpf_setsockopt from cgroup setsockopt programs
 * (6.0) and TCP_USER_TIMEOUT/TCP_SYNCNT from bpf_setsockopt (5.9). */
#define KK_KERNEL_MAJOR 6
#define KK_KERNEL_MINOR 0

void kk_err(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "kashim-kernel: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	fputs(line, stderr);
}

int kk_fmt(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* ---- privileges ------------------------------------------------------ */

static int has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

int kk_check_privilege(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	const char *miss;

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0) {
		kk_err("cannot read this process's capabilities: %s",
		       strerror(errno));
		return -1;
	}
	if (has_cap(d, CAP_SYS_ADMIN))
		return 0;
	if (!has_cap(d, CAP_BPF))
		miss = "CAP_BPF";
	else if (!has_cap(d, CAP_NET_ADMIN))
		miss = "CAP_NET_ADMIN";
	else if (!has_cap(d, CAP_PERFMON))
		miss = "CAP_PERFMON";
	else
		return 0;
	kk_err("kernel mode needs root (CAP_SYS_ADMIN, or CAP_BPF, "
	       "CAP_NET_ADMIN and CAP_PERFMON); %s is missing", miss);
	return -1;
}

/* ---- kernel ------------------------------------------------------------ */

int kk_check_kernel(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		major = minor = 0;
	if (major < KK_KERNEL_MAJOR ||
	    (major == KK_KERNEL_MAJOR && minor < KK_KERNEL_MINOR)) {
		kk_err("kernel mode needs Linux %d.%d or newer (this is %s)",
		       KK_KERNEL_MAJOR, KK_KERNEL_MINOR, u.release);
		return -1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		kk_err("kernel mode needs a kernel with BTF "
		       "(CONFIG_DEBUG_INFO_BTF): /sys/kernel/btf/vmlinux: %s",
		       strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- mounts ------------------------------------------------------------ */

/* The first mount point of file system type fstype, or of type fstype at
 * want when want != NULL. */
static int find_mount(const char *fstype, const char *want, char *buf,
		      size_t cap)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char dev[256], dir[PATH_MAX], type[64];
	int found = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
		if (strcmp(type, fstype) != 0 || (want && strcmp(dir, want) != 0))
			continue;
		if (strlen(dir) < cap) {
			memcpy(buf, dir, strlen(dir) + 1);
			found = 0;
		}
		break;
	}
	fclose(f);
	return found;
}

int kk_cgroup2_root(char *buf, size_t cap)
{
	if (find_mount("cgroup2", NULL, buf, cap) == 0)
		return 0;
	kk_err("no cgroup v2 file system is mounted (none in /proc/self/mounts); "
	       "kernel mode needs cgroup v2");
	return -1;
}

static int mkdir_p(const char *dir, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t i;

	if (strlen(dir) >= sizeof(tmp))
		return -1;
	memcpy(tmp, dir, strlen(dir) + 1);
	for (i = 1; tmp[i]; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) != 0 && errno != EEXIST)
			return -1;
		tmp[i] = '/';
	}
	return mkdir(tmp, mode) != 0 && errno != EEXIST ? -1 : 0;
}

/* bpffs at /sys/fs/bpf when mounted there, else the first bpffs mount;
 * with none (and create), mount one at /sys/fs/bpf. */
int kk_bpffs_dir(char *buf, size_t cap, int create)
{
	char root[PATH_MAX];

	if (find_mount("bpf", BPFFS_DEFAULT, root, sizeof(root)) != 0 &&
	    find_mount("bpf", NULL, root, sizeof(root)) != 0) {
		if (!create) {
			kk_err("no bpffs is mounted: nothing is attached");
			return -1;
		}
		if (mkdir_p(BPFFS_DEFAULT, 0755) != 0 ||
		    mount("bpf", BPFFS_DEFAULT, "bpf", 0, "mode=0700") != 0) {
			kk_err("cannot mount bpffs at %s: %s", BPFFS_DEFAULT,
			       strerror(errno));
			return -1;
		}
		kk_fmt(root, sizeof(root), "%s", BPFFS_DEFAULT);
	}
	if (kk_fmt(buf, cap, "%s/kashim", root) != 0)
		return -1;
	if (create && mkdir(buf, 0700) != 0 && errno != EEXIST) {
		kk_err("cannot create %s: %s", buf, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- cgroups --------------------------------------------------------- */

int kk_resolve_cgroup(const char *given, char *buf, size_t cap, uint64_t *ino)
{
	char root[PATH_MAX], real[PATH_MAX], full[PATH_MAX];
	size_t rl;
	struct statfs sf;
	struct stat st;

	if (kk_cgroup2_root(root, sizeof(root)) != 0)
		return -1;
	/* A relative name is taken under the cgroup v2 mount. */
	if (given[0] != '/') {
		if (kk_fmt(real, sizeof(real), "%s/%s", root, given) != 0)
			goto bad;
		given = real;
	}
	if (!realpath(given, full)) {
		kk_err("--cgroup '%s': %s", given, strerror(errno));
		return -1;
	}
	if (kk_fmt(buf, cap, "%s", full) != 0) {
		kk_err("--cgroup '%s': path too long", given);
		return -1;
	}
	rl = strlen(root);
	if (strcmp(buf, root) == 0) {
		kk_err("--cgroup '%s' is the root cgroup; kashim attaches only "
		       "to a cgroup below it", given);
		return -1;
	}
	if (strncmp(buf, root, rl) != 0 || buf[rl] != '/' ||
	    statfs(buf, &sf) != 0 || sf.f_type != CGROUP2_MAGIC ||
	    stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
		goto bad;
	*ino = st.st_ino;
	return 0;
bad:
	kk_err("--cgroup '%s' is not a cgroup v2 directory (expected one below %s)",
	       given, root);
	return -1;
}

/* The first line systemctl prints for argv, run without a shell. */
static int first_line_of(char *const argv[], char *line, size_t cap)
{
	int fds[2], status;
	ssize_t n = 0, r;
	pid_t pid;

	line[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(fds[1], 1);
		if (devnull >= 0)
			dup2(devnull, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while (pid > 0 && (size_t)n < cap - 1 &&
	       (r = read(fds[0], line + n, cap - 1 - (size_t)n)) > 0)
		n += r;
	close(fds[0]);
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int unit_cgroup(const char *unit, char *buf, size_t cap, int quiet);

int kk_unit_cgroup(const char *unit, char *buf, size_t cap)
{
	return unit_cgroup(unit, buf, cap, 0);
}

int kk_unit_cgroup_quiet(const char *unit, char *buf, size_t cap)
{
	return unit_cgroup(unit, buf, cap, 1);
}

static int unit_cgroup(const char *unit, char *buf, size_t cap, int quiet)
{
	char line[PATH_MAX], root[PATH_MAX];
	char *argv[] = { "systemctl", "show", "-p", "ControlGroup", "--value",
			 "--", (char *)unit, NULL };

	if (strspn(unit, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789:_.@\\-") != strlen(unit) || !*unit) {
		kk_err("--unit '%s' is not a unit name", unit);
		return -1;
	}
	if (kk_cgroup2_root(root, sizeof(root)) != 0)
		return -1;
	if (first_line_of(argv, line, sizeof(line)) != 0 || line[0] != '/' ||
	    strcmp(line, "/") == 0) {
		if (quiet)
			return -1;
		kk_err("--unit '%s': systemd gives it no cgroup (is it running, "
		       "and is systemd managing this machine?)", unit);
		return -1;
	}
	if (kk_fmt(buf, cap, "%s%s", root, line) != 0)
		return -1;
	return 0;
}

int kk_own_cgroup(char *buf, size_t cap)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX];
	int r = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line + 3) < cap) {
			memcpy(buf, line + 3, strlen(line + 3) + 1);
			r = 0;
		}
		break;
	}
	fclose(f);
	return r;
}

/* Write every pid listed in dir/cgroup.procs to dest/cgroup.procs. */
static int move_procs(const char *dir, const char *dest)
{
	char src[PATH_MAX], dst[PATH_MAX];
	FILE *in, *out;
	long pid;
	int moved = 0;

	kk_fmt(src, sizeof(src), "%s/cgroup.procs", dir);
	kk_fmt(dst, sizeof(dst), "%s/cgroup.procs", dest);
	in = fopen(src, "re");
	if (!in)
		return 0;
	while (fscanf(in, "%ld", &pid) == 1) {
		out = fopen(dst, "we");
		if (!out)
			break;
		fprintf(out, "%ld\n", pid);
		if (fclose(out) == 0)
			moved++;
	}
	fclose(in);
	return moved;
}

int kk_cgroup_remove(const char *dir, const char *dest)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		move_procs(dir, dest);
		usleep(10000);
	}
	kk_err("cannot remove cgroup %s: %s", dir, strerror(errno));
	return -1;
}

int kk_parent_of(const char *path, char *buf, size_t cap)
{
	char *slash;

	if (kk_fmt(buf, cap, "%s", path) != 0)
		return -1;
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return -1;
	*slash = '\0';
	return 0;
}

/* kashim's own bpffs directory goes with the last attachment in it (the
 * parent of dir, named "kashim"); it stays while anything is pinned
 * there.  A command that pins at the same moment makes it again
 * (kk_inst_pin). */
static void remove_if_empty_parent(const char *dir)
{
	char parent[PATH_MAX];
	const char *name;

	if (kk_parent_of(dir, parent, sizeof(parent)) != 0)
		return;
	name = strrchr(parent, '/');
	if (name && strcmp(name + 1, "kashim") == 0)
		rmdir(parent);  /* ENOTEMPTY: others are attached */
}

int kk_unpin_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX];
	int r = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		kk_fmt(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) != 0)
			r = -1;
	}
	closedir(d);
	if (rmdir(dir) != 0)
		r = -1;
	if (r)
		kk_err("cannot remove %s: %s", dir, strerror(errno));
	else
		remove_if_empty_parent(dir);
	return r;
}
