/* kashim — a user timeout that waits for the handshake (see estab.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "apply.h"
#include "estab.h"
#include "fdtable.h"
#include "kashim.h"

KASHIM_HOT_DATA int kashim_io_look;

void kashim_estab_init(int logging)
{
	__atomic_store_n(&kashim_io_look, logging ? 1 : 0, __ATOMIC_RELAXED);
}

void kashim_ut_counted(void)
{
	__atomic_add_fetch(&kashim_io_look, 2, __ATOMIC_RELAXED);
}

/* Never below the logging bit: a count that went wrong stays high (slower
 * I/O hooks), it never turns the log off. */
static void uncount(void)
{
	int v = __atomic_load_n(&kashim_io_look, __ATOMIC_RELAXED);

	while (v > 1 && !__atomic_compare_exchange_n(&kashim_io_look, &v, v - 2,
						     1, __ATOMIC_RELAXED,
						     __ATOMIC_RELAXED))
		;
}

/* Clear fd's mark; 1 when it was set (and the entry is then in *e). */
static int unmark(int fd, struct kashim_fd *e)
{
	if (!(fdt_head(fd).flags & FD_UT_LATER) || fdt_lock(fd, e) != 0)
		return 0;
	if (!(e->flags & FD_UT_LATER)) {
		fdt_unlock(fd, e);
		return 0;
	}
	e->flags &= (uint8_t)~FD_UT_LATER;
	fdt_unlock(fd, e);
	uncount();
	return 1;
}

static int established(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	/* ENOTCONN while the SYN is unanswered (SYN_SENT) */
	return getpeername(fd, (struct sockaddr *)&ss, &len) == 0;
}

static void settle(int fd)
{
	struct kashim_fd e;
	int saved = errno;

	if (unmark(fd, &e))
		kashim_set_established(fd, &e);
	errno = saved;
}

void kashim_ut_after_connect(int fd, int r, int err)
{
	if (r == 0 || err == EISCONN)
		settle(fd);
	else if (err != EINPROGRESS && err != EALREADY && err != EINTR)
		kashim_ut_drop(fd);     /* refused, timed out: nothing to wait for */
}

void kashim_ut_check(int fd)
{
	int saved = errno;

	if ((fdt_head(fd).flags & FD_UT_LATER) && established(fd))
		settle(fd);
	errno = saved;
}

void kashim_ut_drop(int fd)
{
	struct kashim_fd e;
	int saved = errno;

	/* A vfork child shares our table, not our descriptors. */
	if ((fdt_head(fd).flags & FD_UT_LATER) && !fdt_foreign())
		unmark(fd, &e);
	errno = saved;
}

void kashim_ut_copied(int to)
{
	if (fdt_head(to).flags & FD_UT_LATER)
		kashim_ut_counted();
}
