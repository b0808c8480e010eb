/* hostile: many threads making, copying and closing sockets at once,
 * with the watcher running (KASHIM_WATCH=1) and a signal flying.  Meant
 * for ThreadSanitizer as much as for the plain run: kashim's fd table,
 * decisions and log claims are shared by every thread.
 *
 *   threads [THREADS] [ROUNDS]     (default 4 x 300)
 *
 * Output: "same threads=N rounds=R failures=0", "count configured=N".
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include "hostile.h"

static int lis, port, rounds = 300;
static int failures, configured;        /* atomics */
static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_alarm(int sig)
{
	int saved = errno, s = socket(AF_INET, SOCK_STREAM, 0);

	(void)sig; /* unused */
	if (s >= 0)
		close(s);
	errno = saved;
}

static int round_trip(int id, int i)
{
	int c = socket(AF_INET, SOCK_STREAM, 0), a, d, ok;
	int high = 200 + id * 10;
	char buf[4];

	if (c < 0)
		return 0;
	d = dup2(c, high);              /* each thread owns its high number */
	close(c);
	if (d != high || h_connect_fd(high, port) != 0) {
		close(high);
		return 0;
	}
	pthread_mutex_lock(&accept_lock);
	a = accept(lis, NULL, NULL);
	pthread_mutex_unlock(&accept_lock);
	ok = a >= 0 && write(high, "ping", 4) == 4 && read(a, buf, 4) == 4;
	if (i % 3 == 0)
		h_setint(high, IPPROTO_TCP, TCP_KEEPIDLE, 5 + i % 7);
	if (h_getopt(high, SOL_SOCKET, SO_KEEPALIVE) == 1)
		__atomic_fetch_add(&configured, 1, __ATOMIC_RELAXED);
	if (a >= 0)
		close(a);
	close(high);
	return ok;
}

static void *worker(void *arg)
{
	int id = (int)(long)arg, i;

	for (i = 0; i < rounds; i++)
		if (!round_trip(id, i))
			__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 4, i;
	pthread_t t[16];

	if (argc > 2)
		rounds = atoi(argv[2]);
	if (nthreads < 1 || nthreads > 16)
		nthreads = 4;
	lis = h_listener(&port);
	h_alarm_start(on_alarm, 2000);
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(long)i) != 0)
			die("pthread_create");
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	h_alarm_stop();
	h_say("same threads=%d rounds=%d failures=%d", nthreads, rounds,
	      failures);
	h_say("count configured=%d", configured);
	close(lis);
	return 0;
}
