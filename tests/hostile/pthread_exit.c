/* hostile: main() ends with pthread_exit while kashim's watcher runs.
 *
 * With KASHIM_WATCH=1 kashim runs a watcher thread of its own.  A program
 * whose main thread calls pthread_exit() ends when its last thread does;
 * the watcher must not keep it alive.  A worker thread sleeps a little,
 * says so, and returns (exit status 0), or calls exit(CODE) when given.
 *
 *   pthread_exit [CODE]
 */
#include <pthread.h>
#include <time.h>

#include "hostile.h"

static int code = -1;

static void *worker(void *arg)
{
	struct timespec ts = { 0, 300 * 1000000L };

	(void)arg; /* unused */
	nanosleep(&ts, NULL);
	h_say("same worker done");
	if (code >= 0)
		exit(code);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int lis, port, c, a;

	if (argc > 1)
		code = atoi(argv[1]);
	lis = h_listener(&port);
	c = h_client(port);             /* a connection: the watcher starts */
	a = accept(lis, NULL, NULL);
	h_opts("conn", c);
	if (pthread_create(&t, NULL, worker, NULL) != 0)
		die("pthread_create");
	(void)a;
	pthread_exit(NULL);
}
