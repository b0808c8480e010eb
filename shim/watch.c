/* kashim — the watcher (see watch.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fdtable.h"
#include "kashim.h"
#include "real.h"
#include "report.h"
#include "watch.h"

#define TICK_MS 500
#define BATCH 256

/* Which process the watcher runs in, without a getpid() per call: the
 * fork handler counts forks, and the watcher records the count it was
 * started at (+1, so 0 means never).  A vfork child runs no fork handler
 * and so never starts one of its own in its parent's memory. */
static unsigned forks;
static unsigned started_at;

/* 1 from start() until the new watcher is past its start-up: see
 * kashim_watch_before_fork(). */
static int starting;

/* KASHIM_WATCH=1 and a log to write to: set once, by kashim_watch_init(). */
KASHIM_HOT_DATA static int wanted;

void kashim_watch_init(int want)
{
	wanted = want;
}


struct batch {
	struct pollfd pfd[BATCH];
	int n;
};

static void flush(struct batch *b)
{
	int i;

	if (b->n && poll(b->pfd, (nfds_t)b->n, 0) > 0)
		for (i = 0; i < b->n; i++)
			if (b->pfd[i].revents & POLLERR)
				kashim_report_dead(b->pfd[i].fd, 0);
	b->n = 0;
}

static int collect(int fd, const struct kashim_fd *e, void *ctx)
{
	struct batch *b = ctx;

	if (!(e->flags & FD_CONFIGURED) || (e->flags & FD_LOGGED))
		return 0;
	b->pfd[b->n].fd = fd;
	b->pfd[b->n].events = 0;        /* POLLERR/POLLHUP are always reported */
	b->pfd[b->n].revents = 0;
	if (++b->n == BATCH)
		flush(b);
	return 0;
}

/* Set by the pthread_exit() hook when the main thread leaves. */
static int main_exited;

void kashim_watch_main_exited(void)
{
	__atomic_store_n(&main_exited, 1, __ATOMIC_RELAXED);
}

/* When main has called pthread_exit() and every other thread of the
 * program has ended too, the process must end as it would have without
 * us: exit(0).  Only then does the watcher open /proc/self/stat (a
 * momentary fd could take a number the program expects to get itself);
 * its thread count still includes the main thread, a zombie until the
 * process ends. */
static int only_thread_left(void)
{
	char buf[512], *p;
	ssize_t n;
	int fd, field;

	if (!__atomic_load_n(&main_exited, __ATOMIC_RELAXED))
		return 0;
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = KASHIM_REAL(read)(fd, buf, sizeof(buf) - 1);
	KASHIM_REAL(close)(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');          /* comm may hold blanks */
	for (field = 2; p && field < 20; field++)
		p = strchr(p + 1, ' ');
	return p && atoi(p + 1) <= 2;   /* the zombie main thread and us */
}

static void *watch_loop(void *arg)
{
	struct batch b;
	struct timespec tick = { 0, TICK_MS * 1000000L };

	(void)arg; /* unused */
	__atomic_store_n(&starting, 0, __ATOMIC_RELEASE);
	for (;;) {
		nanosleep(&tick, NULL);
		b.n = 0;
		fdt_each_connection(collect, &b);
		flush(&b);
		if (only_thread_left())
			exit(0);
	}
	return NULL;
}

static void start(void)
{
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t all, old;

	sigfillset(&all);
	__atomic_store_n(&starting, 1, __ATOMIC_RELAXED);
	pthread_sigmask(SIG_SETMASK, &all, &old);   /* inherited by the thread */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, (size_t)64 * 1024);
	if (pthread_create(&tid, &attr, watch_loop, NULL) != 0) {
		__atomic_store_n(&started_at, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&starting, 0, __ATOMIC_RELEASE);
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

KASHIM_HOT void kashim_watch_ensure(void)
{
	unsigned now, seen;
	int saved;

	if (!wanted)
		return;
	now = __atomic_load_n(&forks, __ATOMIC_ACQUIRE) + 1;
	seen = __atomic_load_n(&started_at, __ATOMIC_ACQUIRE);
	if (seen == now || !__atomic_compare_exchange_n(&started_at, &seen,
							now, 0,
							__ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
		return;
	saved = errno;
	start();
	errno = saved;
}

static int is_watched(int fd, const struct kashim_fd *e, void *ctx)
{
	(void)fd; /* unused */
	(void)ctx; /* unused */
	return (e->flags & FD_CONFIGURED) && !(e->flags & FD_LOGGED);
}

/* A thread that is starting may be inside an allocator that has no fork
 * handlers of its own (the sanitizers' runtimes set up a new thread with
 * calloc()): forking then would leave that allocator's lock taken for ever
 * in the child, and the child's own watcher would hang on it.  So fork
 * waits, at most WAIT_START_MS, for a watcher this process has just
 * started.  Normally it has long been running and this is one load. */
#define WAIT_START_MS 200

void kashim_watch_before_fork(void)
{
	long long until;
	int saved;

	if (!__atomic_load_n(&starting, __ATOMIC_ACQUIRE))
		return;
	saved = errno;
	until = kashim_now_ms() + WAIT_START_MS;
	while (__atomic_load_n(&starting, __ATOMIC_ACQUIRE) &&
	       kashim_now_ms() < until)
		sched_yield();
	errno = saved;
}

/* A forking server's child inherits its connections: watch them there. */
void kashim_watch_after_fork(void)
{
	__atomic_add_fetch(&forks, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&starting, 0, __ATOMIC_RELAXED);  /* none here */
	if (wanted && fdt_each_connection(is_watched, NULL))
		kashim_watch_ensure();
}
