/* hostile: a thread blocked in read() on a quiet TCP connection is
 * cancelled (pthread_cancel) by the main thread.  read() is a
 * cancellation point: the thread must end there, with kashim's hooks
 * looking at every result (KASHIM_LOG set), as it does without them.
 *
 * Output: "same cancelled=1 read_returned=0".
 */
#include <pthread.h>
#include <time.h>

#include "hostile.h"

static int conn;
static int read_returned;       /* atomic */

static void *reader(void *unused)
{
	char b;

	(void)unused;
	if (read(conn, &b, 1) != 0)     /* nobody writes: only a cancel ends it */
		__atomic_store_n(&read_returned, 1, __ATOMIC_RELAXED);
	return NULL;
}

int main(void)
{
	struct timespec pause = { 0, 100000000L };   /* 100 ms */
	int lis, port, a;
	pthread_t t;
	void *res;

	lis = h_listener(&port);
	conn = h_client(port);
	a = accept(lis, NULL, NULL);
	if (a < 0)
		die("accept");
	if (pthread_create(&t, NULL, reader, NULL) != 0)
		die("pthread_create");
	nanosleep(&pause, NULL);        /* let it block in read() */
	if (pthread_cancel(t) != 0 || pthread_join(t, &res) != 0)
		die("pthread_cancel");
	h_say("same cancelled=%d read_returned=%d", res == PTHREAD_CANCELED,
	      __atomic_load_n(&read_returned, __ATOMIC_RELAXED));
	close(a);
	close(conn);
	close(lis);
	return 0;
}
