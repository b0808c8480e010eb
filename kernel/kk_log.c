/* kashim kernel mode — the dead-peer reader (kk.h).
 *
 * The BPF side knows the connection (its 4-tuple from connect/establish,
 * its age, why it died) but not who holds it: an accepted socket is
 * configured in softirq context.  The reader finds the holder by the
 * socket's inode among the fds of the attachment's cgroup's processes,
 * which still hold it when the kernel reports the death; the fd is -1
 * and the pid the connecting one (or 0) when none does any more.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kk.h"
#include "logfmt.h"
#include "sink.h"

struct holder {
	long pid;
	int fd;
	char comm[KK_COMM + 1];
};

static int fd_holds(long pid, uint64_t ino, int *fd_out)
{
	char dir[64], link[PATH_MAX], want[64], got[64];
	struct dirent *e;
	DIR *d;
	ssize_t n;

	kk_fmt(dir, sizeof(dir), "/proc/%ld/fd", pid);
	kk_fmt(want, sizeof(want), "socket:[%llu]", (unsigned long long)ino);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		kk_fmt(link, sizeof(link), "%s/%s", dir, e->d_name);
		n = readlink(link, got, sizeof(got) - 1);
		if (n <= 0)
			continue;
		got[n] = '\0';
		if (strcmp(got, want) == 0) {
			*fd_out = atoi(e->d_name);
			closedir(d);
			return 1;
		}
	}
	closedir(d);
	return 0;
}

static void read_comm(long pid, char *buf, size_t cap)
{
	char p[64];
	FILE *f;

	kk_fmt(p, sizeof(p), "/proc/%ld/comm", pid);
	f = fopen(p, "re");
	if (!f)
		return;
	if (fgets(buf, (int)cap, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static int find_holder(const char *cgroup, uint64_t ino, struct holder *h)
{
	char p[KK_PATH_MAX + 32];
	FILE *f;
	long pid;
	int found = 0;

	if (!ino)
		return 0;
	kk_fmt(p, sizeof(p), "%s/cgroup.procs", cgroup);
	f = fopen(p, "re");
	if (!f)
		return 0;
	while (!found && fscanf(f, "%ld", &pid) == 1)
		if (fd_holds(pid, ino, &h->fd)) {
			h->pid = pid;
			read_comm(pid, h->comm, sizeof(h->comm));
			found = 1;
		}
	fclose(f);
	return found;
}

static void endpoint(struct kashim_endpoint *ep, int family,
		     const uint32_t a[4], uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = family;
	memcpy(ep->addr, a, family == AF_INET ? 4 : 16);
	ep->port = port;
}

int kk_on_event(void *ctx, void *data, size_t size)
{
	const struct kk_reader *r = ctx;
	struct kk_event ev;
	struct holder h = { 0, -1, "" };
	struct kashim_death death;
	struct kashim_dead d;
	char msg[KASHIM_LINE_MAX];

	if (size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev));
	if (!find_holder(r->cgroup, ev.ino, &h)) {
		h.pid = ev.pid;
		memcpy(h.comm, ev.comm, KK_COMM);
		h.comm[KK_COMM] = '\0';
		if (h.pid)
			read_comm(h.pid, h.comm, sizeof(h.comm));
	}
	memset(&death, 0, sizeof(death));
	death.err = ev.err;
	death.probes = ev.probes;
	death.retransmits = ev.retransmits;
	death.window_known = 1;
	death.snd_wnd = ev.snd_wnd;
	death.cnt = ev.cnt;
	death.user_timeout = ev.user_timeout;
	memset(&d, 0, sizeof(d));
	d.cause = kashim_cause(&death);
	d.err = death.err;
	d.prog = h.comm[0] ? h.comm : "?";
	d.pid = h.pid;
	d.fd = h.fd;
	d.dir = ev.dir == KK_DIR_OUT ? "out" : "in";
	endpoint(&d.local, ev.family, ev.laddr, ev.lport);
	endpoint(&d.peer, ev.family, ev.raddr, ev.rport);
	d.age_ms = (long long)(ev.age_ns / 1000000);
	kashim_fmt_dead(msg, sizeof(msg), &d);
	kashim_sink_emit(h.pid, msg);
	return 0;
}

/* ---- kashim-kernel log ------------------------------------------------- */

#define KK_MAX_READ 64

struct reader_set {
	struct ring_buffer *rb;
	int n;
	char names[KK_MAX_READ][256];
	struct kk_reader ctx[KK_MAX_READ];
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig; /* unused */
	stop = 1;
}

static void set_free(struct reader_set *s)
{
	ring_buffer__free(s->rb);
	s->rb = NULL;
	s->n = 0;
}

static int add_one(struct reader_set *s, const char *base, const char *name,
		   const char *only)
{
	char dir[KK_PATH_MAX], p[KK_PATH_MAX + 16];
	struct kk_cfg kc;
	int fd, i = s->n;

	if (kk_fmt(dir, sizeof(dir), "%s/%s", base, name) != 0 ||
	    i >= KK_MAX_READ || kk_read_pinned(dir, &kc) != 0 ||
	    kc.kind != KK_KIND_ATTACH || (only && strcmp(kc.cgroup, only) != 0))
		return 0;
	kk_fmt(p, sizeof(p), "%s/events", dir);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return 0;
	memcpy(s->ctx[i].cgroup, kc.cgroup, sizeof(s->ctx[i].cgroup));
	if (!s->rb)
		s->rb = ring_buffer__new(fd, kk_on_event, &s->ctx[i], NULL);
	else if (ring_buffer__add(s->rb, fd, kk_on_event, &s->ctx[i]) != 0)
		i = -1;
	close(fd);
	if (!s->rb || i < 0)
		return 0;
	kk_fmt(s->names[s->n++], sizeof(s->names[0]), "%s", name);
	return 1;
}

/* The names of the attachment directories, sorted, as one string. */
static void scan(const char *base, char *out, size_t cap)
{
	struct dirent **list;
	int i, n = scandir(base, &list, NULL, alphasort);
	size_t len = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.' && len + 258 < cap)
			len += (size_t)snprintf(out + len, cap - len, "%s/",
						list[i]->d_name);
		free(list[i]);
	}
	if (n >= 0)
		free(list);
}

static void rebuild(struct reader_set *s, const char *base, const char *seen,
		    const char *only)
{
	char copy[KK_MAX_READ * 258 + 1], *tok, *save = NULL;

	set_free(s);
	kk_fmt(copy, sizeof(copy), "%s", seen);
	for (tok = strtok_r(copy, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save))
		add_one(s, base, tok, only);
}

int kk_log_main(const char *only)
{
	static struct reader_set s;
	char base[KK_PATH_MAX], seen[KK_MAX_READ * 258 + 1] = "",
	     now[sizeof(seen)];
	struct kashim_config cfg;
	struct sigaction sa;

	kk_load_config(&cfg);
	if (cfg.sink == KASHIM_SINK_OFF)
		cfg.sink = KASHIM_SINK_STDERR;  /* a reader with nowhere to write */
	kashim_sink_init(cfg.sink, cfg.log_path, NULL);
	if (kk_check_privilege() != 0 || kk_bpffs_dir(base, sizeof(base), 1))
		return KK_EXIT_ERR;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		scan(base, now, sizeof(now));
		if (strcmp(now, seen) != 0) {
			memcpy(seen, now, sizeof(seen));
			rebuild(&s, base, seen, only);
		}
		if (s.rb)
			ring_buffer__poll(s.rb, 500);
		else
			usleep(500000);
	}
	if (s.rb)
		ring_buffer__consume(s.rb);
	set_free(&s);
	return 0;
}
