/* Unit tests of the per-fd table (shim/fdtable.c), linked directly (no
 * preload): store/read/lock/unlock/forget/forget_range/copy/each_connection
 * on page 0 (fds 0..1023, in .bss) and on the mmap'd pages beyond, up to
 * KASHIM_FDT_MAX - 1, with out-of-range fds ignored; an entry held by a
 * writer; the vfork child that must not edit its parent's table; the
 * lock-free paths (a new socket's entry, the accepted socket's, the
 * watcher's mark); and threaded stress tests in which writers store,
 * change and forget entries, or one owner stores new ones while a marker
 * marks them, and no reader may ever see a torn entry.
 *
 * The table is process-wide state: each test relies on Check's fork mode
 * (forced in main) to start with an empty table. */
#include <check.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdtable.h"
#include "testlib.h"

#define TIMEOUT 10
#define STRESS_TIMEOUT 120
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define LAST (KASHIM_FDT_MAX - 1)

/* cppcheck reads this file without the system headers; tell it what a
 * Check test is, or it loses track of the code after the first one. */
#ifndef START_TEST
#define START_TEST(name) static void name(int _i)
#define END_TEST
#endif

/* ---------------------------------------------------------------- helpers */

/* An entry whose every field follows from v, so that a copy mixing two
 * writes can be told from a whole one: the address bytes are all v & 0xff,
 * the port is v & 0xffff, and so on. */
static struct kashim_fd entry_of(uint32_t v, int role)
{
	struct kashim_fd e;
	uint64_t mix = (uint64_t)v * 0x9e3779b97f4a7c15ULL;

	memset(&e, 0, sizeof(e));
	e.kind = KIND_TCP;
	e.family = (v & 2) ? AF_INET6 : AF_INET;
	e.role = (uint8_t)role;
	e.flags = (uint8_t)(FD_DECIDED | ((v >> 3) & 0x1e));
	e.user_set = (uint8_t)((v >> 5) & 0x3f);
	e.cnt = (uint8_t)(v & 0xff);
	e.idle = (uint16_t)(v & 0xffff);
	e.intvl = (uint16_t)(~v & 0xffff);
	e.port = (uint16_t)(v & 0xffff);
	memset(e.addr, (int)(v & 0xff), sizeof(e.addr));
	e.look_ms = (int64_t)mix;
	e.born_ms = (int64_t)~mix;
	return e;
}

static int is_zero(const struct kashim_fd *e)
{
	static const struct kashim_fd zero;

	return memcmp(e, &zero, sizeof(*e)) == 0;
}

/* All zero but seq: an unknown entry as fdt_lock hands it out. */
static int is_zero_but_seq(const struct kashim_fd *e)
{
	struct kashim_fd x = *e;

	x.seq = 0;
	return is_zero(&x);
}

/* Everything but seq (which belongs to the table) is equal. */
static int same(const struct kashim_fd *a, const struct kashim_fd *b)
{
	struct kashim_fd x = *a, y = *b;

	x.seq = y.seq = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

/* A whole entry made by entry_of(), whatever its v; 0 when torn. */
static int consistent(const struct kashim_fd *e)
{
	struct kashim_fd want;
	uint32_t v;
	int i;

	if (e->kind != KIND_TCP)
		return 0;
	for (i = 1; i < 16; i++)
		if (e->addr[i] != e->addr[0])
			return 0;
	/* port gives the low 16 bits of v; look_ms gives v exactly (the
	 * multiplier is odd, so it has an inverse modulo 2^64). */
	v = (uint32_t)((uint64_t)e->look_ms * 0xf1de83e19937733dULL);
	if ((v & 0xffff) != e->port)
		return 0;
	want = entry_of(v, e->role);
	return same(e, &want);
}

static void assert_unknown(int fd)
{
	struct kashim_fd e;
	int64_t look = -1;

	struct kashim_fd_head h = fdt_head(fd);

	memset(&e, 0x33, sizeof(e));
	fdt_read(fd, &e);
	ck_assert_msg(is_zero_but_seq(&e), "fd %d is not unknown (kind %d)",
		      fd, e.kind);
	ck_assert_msg(h.kind == KIND_UNKNOWN && h.role == ROLE_NONE &&
		      h.flags == 0, "fd %d: head is not unknown (kind %d)",
		      fd, h.kind);
	fdt_head_look(fd, &look);
	ck_assert_msg(look == 0, "fd %d: look_ms %lld, want 0", fd,
		      (long long)look);
}

static void assert_entry(int fd, const struct kashim_fd *want)
{
	struct kashim_fd e;
	struct kashim_fd_head hl;
	int64_t look = -1;

	struct kashim_fd_head h = fdt_head(fd);

	fdt_read(fd, &e);
	ck_assert_msg(same(&e, want), "fd %d: entry differs (kind %d port "
		      "%u, want kind %d port %u)", fd, e.kind, e.port,
		      want->kind, want->port);
	/* The one-word read agrees with the whole entry. */
	ck_assert_msg(h.kind == want->kind && h.role == want->role &&
		      h.flags == want->flags, "fd %d: head %d/%d/%#x, want "
		      "%d/%d/%#x", fd, h.kind, h.role, h.flags, want->kind,
		      want->role, want->flags);
	/* So does the read of head and look_ms close() decides by. */
	hl = fdt_head_look(fd, &look);
	ck_assert_msg(hl.kind == h.kind && hl.role == h.role &&
		      hl.flags == h.flags, "fd %d: head and look disagree", fd);
	ck_assert_msg(look == want->look_ms, "fd %d: look_ms %lld, "
		      "want %lld", fd, (long long)look,
		      (long long)want->look_ms);
}

/* Page 0 both ends, page 1, a page in the middle, the last page, the last
 * fd the table holds. */
static const int spots[] = {
	0, 1, 2, 1023, 1024, 1025, 2047, 65536, 500000,
	LAST - KASHIM_FDT_PAGE, LAST - KASHIM_FDT_PAGE + 1, LAST - 1, LAST,
};

static const int outside[] = {
	-1, -2, -1024, INT_MIN, KASHIM_FDT_MAX, KASHIM_FDT_MAX + 1,
	KASHIM_FDT_MAX + KASHIM_FDT_PAGE, INT_MAX,
};

/* ------------------------------------------------------ store and read */

START_TEST(fresh_table_is_unknown)
{
	int i;

	for (i = 0; i < N(spots); i++)
		assert_unknown(spots[i]);
	for (i = 0; i < N(outside); i++)
		assert_unknown(outside[i]);
}
END_TEST

START_TEST(store_read_round_trip)
{
	int i;

	for (i = 0; i < N(spots); i++) {
		struct kashim_fd e = entry_of((uint32_t)spots[i] * 7 + 1,
					      ROLE_OUT);

		fdt_store(spots[i], &e);
		assert_entry(spots[i], &e);
	}
	/* Each kept its own; neighbours stayed unknown. */
	for (i = 0; i < N(spots); i++) {
		struct kashim_fd e = entry_of((uint32_t)spots[i] * 7 + 1,
					      ROLE_OUT);

		assert_entry(spots[i], &e);
	}
	assert_unknown(3);
	assert_unknown(1022);
	assert_unknown(1026);
	assert_unknown(500001);
	assert_unknown(LAST - 2);
}
END_TEST

START_TEST(store_ignores_callers_seq)
{
	struct kashim_fd e = entry_of(77, ROLE_IN), got;

	e.seq = 7;              /* odd: "held", if it were taken */
	fdt_store(1500, &e);
	assert_entry(1500, &e);
	/* Not left held: it can be taken and changed again. */
	ck_assert_int_eq(fdt_lock(1500, &got), 0);
	ck_assert(same(&got, &e));
	got.seq = 0xffffffffu;
	fdt_unlock(1500, &got);
	ck_assert_int_eq(fdt_lock(1500, &got), 0);
	fdt_unlock(1500, &got);
	assert_entry(1500, &e);
}
END_TEST

START_TEST(store_replaces_whole_entry)
{
	struct kashim_fd a = entry_of(0x11111, ROLE_OUT);
	struct kashim_fd b;

	fdt_store(9, &a);
	memset(&b, 0, sizeof(b));
	b.kind = KIND_OTHER;
	b.family = AF_INET;
	fdt_store(9, &b);
	assert_entry(9, &b);
}
END_TEST

START_TEST(out_of_range_is_ignored)
{
	struct kashim_fd e = entry_of(5, ROLE_OUT), got;
	int i;

	fdt_store(LAST, &e);
	for (i = 0; i < N(outside); i++) {
		fdt_store(outside[i], &e);
		assert_unknown(outside[i]);
		memset(&got, 0x33, sizeof(got));
		ck_assert_int_eq(fdt_lock(outside[i], &got), -1);
		fdt_forget(outside[i]);
		fdt_copy(LAST, outside[i]);
		assert_unknown(outside[i]);
	}
	/* Nothing wrapped onto a real entry. */
	assert_entry(LAST, &e);
	assert_unknown(0);
	/* Copying from outside the table is copying "unknown". */
	fdt_store(4, &e);
	fdt_copy(KASHIM_FDT_MAX, 4);
	assert_unknown(4);
	fdt_store(4, &e);
	fdt_copy(-1, 4);
	assert_unknown(4);
}
END_TEST

/* A non-TCP socket: a bit below 1024 (stale entry cleared), an entry
 * beyond; both read as KIND_OTHER whole and by the one-word head; a later
 * TCP socket on the number replaces it, and forget clears it. */
START_TEST(note_other_then_reuse)
{
	static const int fds[] = { 5, 6, 1023, 2000 };
	struct kashim_fd tcp = entry_of(0x4242, ROLE_OUT), e;
	int i;

	fdt_store(6, &tcp);             /* stale TCP entry under the bit */
	fdt_store(2000, &tcp);          /* page 1 exists */
	for (i = 0; i < N(fds); i++) {
		fdt_note_other(fds[i]);
		fdt_read(fds[i], &e);
		ck_assert_msg(e.kind == KIND_OTHER, "fd %d: kind %d", fds[i],
			      e.kind);
		ck_assert_int_eq(fdt_head(fds[i]).kind, KIND_OTHER);
	}
	for (i = 0; i < N(fds); i++) {
		fdt_store(fds[i], &tcp);
		assert_entry(fds[i], &tcp);
		fdt_note_other(fds[i]);
		fdt_forget(fds[i]);
		assert_unknown(fds[i]);
	}
}
END_TEST

/* Every page of the table: one entry each, at a different offset. */
START_TEST(every_page)
{
	unsigned n;
	int fd;

	for (n = 0; n < KASHIM_FDT_PAGES; n++) {
		struct kashim_fd e = entry_of(n, ROLE_IN);

		fd = (int)(n * KASHIM_FDT_PAGE + n % KASHIM_FDT_PAGE);
		fdt_store(fd, &e);
	}
	for (n = 0; n < KASHIM_FDT_PAGES; n++) {
		struct kashim_fd e = entry_of(n, ROLE_IN);

		fd = (int)(n * KASHIM_FDT_PAGE + n % KASHIM_FDT_PAGE);
		assert_entry(fd, &e);
		assert_unknown(fd + 1);
	}
	fdt_forget_range(0, ~0u);
	for (n = 0; n < KASHIM_FDT_PAGES; n++)
		assert_unknown((int)(n * KASHIM_FDT_PAGE + n % KASHIM_FDT_PAGE));
}
END_TEST

/* ------------------------------------------------------- lock and unlock */

START_TEST(lock_unlock_changes_entry)
{
	int i;

	for (i = 0; i < N(spots); i++) {
		struct kashim_fd e = entry_of(100 + (uint32_t)i, ROLE_OUT);
		struct kashim_fd got;

		fdt_store(spots[i], &e);
		ck_assert_int_eq(fdt_lock(spots[i], &got), 0);
		ck_assert(same(&got, &e));
		got.flags |= FD_LOGGED;
		got.user_set |= OPT_UT;
		fdt_unlock(spots[i], &got);
		e.flags |= FD_LOGGED;
		e.user_set |= OPT_UT;
		assert_entry(spots[i], &e);
	}
}
END_TEST

START_TEST(lock_of_unknown_fd_gives_zero_entry)
{
	struct kashim_fd got;

	/* Also on a page nobody wrote yet: lock makes it. */
	memset(&got, 0x33, sizeof(got));
	ck_assert_int_eq(fdt_lock(777777, &got), 0);
	got.seq = 0;
	ck_assert(is_zero(&got));
	got = entry_of(3, ROLE_OUT);
	fdt_unlock(777777, &got);
	assert_entry(777777, &got);
}
END_TEST

START_TEST(held_entry)
{
	struct kashim_fd e = entry_of(42, ROLE_OUT), other = entry_of(43, ROLE_IN);
	struct kashim_fd held, got;
	int fds[] = { 5, 2000 };
	int i;

	for (i = 0; i < N(fds); i++) {
		fdt_store(fds[i], &e);
		fdt_store(fds[i] + 1, &other);
		ck_assert_int_eq(fdt_lock(fds[i], &held), 0);

		/* A second writer gives up (bounded), it does not wait. */
		ck_assert_int_eq(fdt_lock(fds[i], &got), -1);
		/* A reader gets "unknown" rather than blocking; the one-word
		 * head needs no lock and still shows the entry. */
		memset(&got, 0x33, sizeof(got));
		fdt_read(fds[i], &got);
		ck_assert(is_zero_but_seq(&got));
		ck_assert_int_eq(fdt_head(fds[i]).kind, KIND_TCP);
		ck_assert_int_eq(fdt_head(fds[i]).role, ROLE_OUT);
		/* Store and forget cannot get in either. */
		fdt_store(fds[i], &other);
		fdt_forget(fds[i]);
		/* Other entries are not affected. */
		assert_entry(fds[i] + 1, &other);
		ck_assert_int_eq(fdt_lock(fds[i] + 1, &got), 0);
		fdt_unlock(fds[i] + 1, &got);

		fdt_unlock(fds[i], &held);
		assert_entry(fds[i], &e);
	}
}
END_TEST

START_TEST(after_fork_releases_held_entries)
{
	struct kashim_fd e = entry_of(9, ROLE_OUT), held, got;

	fdt_store(9, &e);
	fdt_store(3000, &e);
	ck_assert_int_eq(fdt_lock(9, &held), 0);
	ck_assert_int_eq(fdt_lock(3000, &held), 0);
	/* As in a fork child of a thread that held them.  The child's
	 * entries are marked as inherited through fork, nothing else. */
	fdt_after_fork();
	e.flags |= FD_FORKED;
	assert_entry(9, &e);
	assert_entry(3000, &e);
	ck_assert_int_eq(fdt_lock(9, &got), 0);
	ck_assert(same(&got, &e));
	fdt_unlock(9, &got);
	ck_assert_int_eq(fdt_lock(3000, &got), 0);
	fdt_unlock(3000, &got);
}
END_TEST

/* ---------------------------------------------------------------- forget */

START_TEST(forget_clears)
{
	int i;

	for (i = 0; i < N(spots); i++) {
		struct kashim_fd e = entry_of((uint32_t)i, ROLE_IN);

		fdt_store(spots[i], &e);
	}
	for (i = 0; i < N(spots); i++) {
		fdt_forget(spots[i]);
		assert_unknown(spots[i]);
		if (i + 1 < N(spots)) {
			struct kashim_fd e = entry_of((uint32_t)i + 1, ROLE_IN);

			assert_entry(spots[i + 1], &e);
		}
	}
	/* Forgetting what is not there, even on an absent page, is fine. */
	fdt_forget(7);
	fdt_forget(300000);
	assert_unknown(300000);
}
END_TEST

START_TEST(forget_range_bounds)
{
	static const int fds[] = { 3, 10, 11, 1023, 1024, 1500, 2053, 3000,
				   500000, LAST - 1, LAST };
	struct kashim_fd e[N(fds)];
	int i;

	for (i = 0; i < N(fds); i++) {
		e[i] = entry_of((uint32_t)fds[i], ROLE_OUT);
		fdt_store(fds[i], &e[i]);
	}
	/* Inclusive bounds, across pages 0 and 1 and into page 2 through
	 * an absent stretch. */
	fdt_forget_range(11, 2053);
	for (i = 0; i < N(fds); i++) {
		if (fds[i] >= 11 && fds[i] <= 2053)
			assert_unknown(fds[i]);
		else
			assert_entry(fds[i], &e[i]);
	}
	/* lo > hi, and a range wholly past the table: nothing. */
	fdt_forget_range(3000, 2999);
	fdt_forget_range(KASHIM_FDT_MAX, ~0u);
	assert_entry(3000, &e[7]);
	assert_entry(LAST, &e[10]);
	/* A single fd. */
	fdt_forget_range(3, 3);
	assert_unknown(3);
	assert_entry(10, &e[1]);
	/* close_range(fd, ~0U): hi past the table ends at its last fd. */
	fdt_forget_range(LAST, ~0u);
	assert_unknown(LAST);
	assert_entry(LAST - 1, &e[9]);
	fdt_forget_range(400000, ~0u);
	assert_unknown(500000);
	assert_unknown(LAST - 1);
	assert_entry(3000, &e[7]);
	assert_entry(10, &e[1]);
	fdt_forget_range(0, ~0u);
	for (i = 0; i < N(fds); i++)
		assert_unknown(fds[i]);
}
END_TEST

/* close_range over pages that were never made: they are skipped whole,
 * and not one fd more. */
START_TEST(forget_range_over_absent_pages)
{
	static const int fds[] = { 0, 1023, 2048, 2049, 4095, 4096, 7168 };
	struct kashim_fd e[N(fds)];
	int i;

	for (i = 0; i < N(fds); i++) {
		e[i] = entry_of((uint32_t)fds[i] + 9, ROLE_IN);
		fdt_store(fds[i], &e[i]);
	}
	/* Pages 1, 5 and 6 are absent. */
	fdt_forget_range(1024, 5000);
	for (i = 0; i < N(fds); i++) {
		if (fds[i] >= 1024 && fds[i] <= 5000)
			assert_unknown(fds[i]);
		else
			assert_entry(fds[i], &e[i]);
	}
	fdt_forget_range(1, ~0u);
	assert_entry(0, &e[0]);
	assert_unknown(1023);
	assert_unknown(7168);
}
END_TEST

/* ------------------------------------------------------------------ copy */

START_TEST(copy_entries)
{
	struct kashim_fd a = entry_of(0xabc, ROLE_OUT);
	struct kashim_fd b = entry_of(0xdef, ROLE_IN);

	fdt_store(4, &a);
	fdt_copy(4, 5);                 /* dup */
	assert_entry(5, &a);
	assert_entry(4, &a);
	fdt_copy(4, 100000);            /* onto an absent page */
	assert_entry(100000, &a);
	fdt_copy(100000, LAST);
	assert_entry(LAST, &a);
	fdt_store(6, &b);
	fdt_copy(4, 6);                 /* dup2 onto a tracked fd */
	assert_entry(6, &a);
	fdt_copy(4, 4);                 /* dup2(fd, fd) */
	assert_entry(4, &a);
	fdt_copy(20, 6);                /* an untracked fd over a tracked one */
	assert_unknown(6);
	fdt_copy(20, 21);
	assert_unknown(21);
	fdt_copy(200001, 5);            /* from an absent page */
	assert_unknown(5);
}
END_TEST

/* ------------------------------------------------------- each_connection */

struct visit {
	int n, stop_at;
	int fd[16];
	struct kashim_fd e[16];
};

static int visit_fn(int fd, const struct kashim_fd *e, void *ctx)
{
	struct visit *v = ctx;

	ck_assert_int_lt(v->n, N(v->fd));
	v->fd[v->n] = fd;
	v->e[v->n] = *e;
	v->n++;
	return v->n == v->stop_at ? 42 : 0;
}

START_TEST(each_connection_selects_tcp_connections)
{
	struct kashim_fd out = entry_of(1, ROLE_OUT);
	struct kashim_fd in = entry_of(2, ROLE_IN);
	struct kashim_fd lis = entry_of(3, ROLE_LISTEN);
	struct kashim_fd none = entry_of(4, ROLE_NONE);
	struct kashim_fd udp = entry_of(5, ROLE_OUT);
	struct kashim_fd last = entry_of(6, ROLE_IN);
	struct visit v;

	udp.kind = KIND_OTHER;
	fdt_store(6, &lis);
	fdt_store(7, &none);
	fdt_store(8, &udp);
	fdt_store(1030, &in);
	fdt_store(4, &out);
	fdt_store(LAST, &last);
	fdt_store(70000, &lis);

	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(fdt_each_connection(visit_fn, &v), 0);
	ck_assert_int_eq(v.n, 3);
	ck_assert_int_eq(v.fd[0], 4);
	ck_assert_int_eq(v.fd[1], 1030);
	ck_assert_int_eq(v.fd[2], LAST);
	ck_assert(same(&v.e[0], &out));
	ck_assert(same(&v.e[1], &in));
	ck_assert(same(&v.e[2], &last));

	/* A non-zero return stops the walk and is passed back. */
	memset(&v, 0, sizeof(v));
	v.stop_at = 2;
	ck_assert_int_eq(fdt_each_connection(visit_fn, &v), 42);
	ck_assert_int_eq(v.n, 2);

	/* Forgotten connections are not visited. */
	fdt_forget(1030);
	fdt_forget_range(LAST, LAST);
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(fdt_each_connection(visit_fn, &v), 0);
	ck_assert_int_eq(v.n, 1);
	ck_assert_int_eq(v.fd[0], 4);
}
END_TEST

START_TEST(each_connection_on_empty_table)
{
	struct visit v;

	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(fdt_each_connection(visit_fn, &v), 0);
	ck_assert_int_eq(v.n, 0);
}
END_TEST

/* ----------------------------------------------------------- fork, vfork */

/* A vfork() child shares our memory and runs close()/dup2() through the
 * hooks before it execs: the parent's table must come out untouched. */
START_TEST(vfork_child_does_not_edit_parent_table)
{
	struct kashim_fd e = entry_of(5, ROLE_OUT), f = entry_of(6, ROLE_IN);
	pid_t pid;
	int status;

	fdt_store(5, &e);
	fdt_store(1200, &f);
	pid = vfork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		fdt_forget(5);
		fdt_forget_range(1000, 2000);
		fdt_copy(5, 7);
		fdt_copy(99, 1200);
		fdt_forget_range(0, ~0u);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_entry(5, &e);
	assert_entry(1200, &f);
	assert_unknown(7);
}
END_TEST

/* After a real fork, fdt_after_fork makes the child the table's owner:
 * its closes count again (in its own copy). */
START_TEST(fork_child_owns_its_table_after_fork)
{
	struct kashim_fd e = entry_of(5, ROLE_OUT);
	pid_t pid;
	int status;

	fdt_store(5, &e);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		struct kashim_fd got;
		int bad = 0;

		fdt_after_fork();
		fdt_copy(5, 8);
		fdt_read(8, &got);
		e.flags |= FD_FORKED;
		bad |= !same(&got, &e);
		fdt_forget(5);
		fdt_read(5, &got);
		bad |= !is_zero_but_seq(&got) << 1;
		_exit(bad);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child status %#x", (unsigned)status);
	assert_entry(5, &e);
	assert_unknown(8);
}
END_TEST

/* --------------------------------------------- new sockets, and marks */

START_TEST(store_new_round_trip)
{
	struct kashim_fd a = entry_of(1, ROLE_IN), b = entry_of(2, ROLE_OUT);
	int i;

	for (i = 0; i < N(spots); i++) {
		struct kashim_fd e = entry_of((uint32_t)i + 7, ROLE_OUT);

		fdt_store_new(spots[i], &e);
		assert_entry(spots[i], &e);
	}
	fdt_store_new(9, &a);           /* replaces the whole entry */
	fdt_store_new(9, &b);
	assert_entry(9, &b);
	fdt_note_other(6);              /* and the "not TCP" bit */
	fdt_store_new(6, &a);
	assert_entry(6, &a);
	for (i = 0; i < N(outside); i++)
		fdt_store_new(outside[i], &a);  /* ignored, no crash */
	for (i = 0; i < N(outside); i++)
		assert_unknown(outside[i]);
}
END_TEST

/* A number still held by a writer (a program using a closed fd from
 * another thread): the new entry waits, bounded, and gives up as
 * fdt_store does; the count stays whole. */
START_TEST(store_new_waits_for_a_held_entry)
{
	struct kashim_fd e = entry_of(42, ROLE_OUT), other = entry_of(43, ROLE_IN);
	struct kashim_fd held, got;

	fdt_store(5, &e);
	ck_assert_int_eq(fdt_lock(5, &held), 0);
	fdt_store_new(5, &other);
	ck_assert_int_eq(fdt_head(5).role, ROLE_OUT);
	fdt_unlock(5, &held);
	assert_entry(5, &e);
	ck_assert_int_eq(fdt_lock(5, &got), 0);
	fdt_unlock(5, &got);
	fdt_store_new(5, &other);
	assert_entry(5, &other);
}
END_TEST

/* What accept() does with a listener's entry: the front of it, then the
 * accepted socket's entry built from that. */
START_TEST(read_front_then_store_accepted)
{
	struct kashim_fd l = entry_of(0x1234, ROLE_LISTEN), f, want;
	static const uint8_t none[16];
	int fds[] = { 7, 1500 };
	int i;

	l.flags = FD_DECIDED | FD_CONFIGURED;
	fdt_store(3, &l);
	memset(&f, 0x55, sizeof(f));
	fdt_read_front(3, &f);
	ck_assert(f.kind == l.kind && f.family == l.family &&
		  f.role == l.role && f.flags == l.flags &&
		  f.user_set == l.user_set && f.cnt == l.cnt &&
		  f.idle == l.idle && f.intvl == l.intvl && f.port == l.port);
	ck_assert(memcmp(f.addr, none, sizeof(none)) == 0);
	ck_assert(f.look_ms == 0 && f.born_ms == 0);
	for (i = 0; i < N(fds); i++) {
		fdt_store(fds[i], &l);  /* a stale entry to replace */
		fdt_store_accepted(fds[i], &f, FD_DECIDED | FD_CONFIGURED,
				   777 + i, 555 + i);
		want = l;
		want.role = ROLE_IN;
		want.port = 0;
		memset(want.addr, 0, sizeof(want.addr));
		want.look_ms = 777 + i;
		want.born_ms = 555 + i;
		assert_entry(fds[i], &want);
	}
	memset(&f, 0x55, sizeof(f));
	fdt_read_front(8, &f);          /* unknown: all zero */
	ck_assert(is_zero_but_seq(&f));
}
END_TEST

START_TEST(head_look_agrees)
{
	struct kashim_fd e = entry_of(77, ROLE_IN);
	struct kashim_fd_head h;
	int64_t look = -1;
	int i;

	for (i = 0; i < N(spots); i++) {
		fdt_store(spots[i], &e);
		h = fdt_head_look(spots[i], &look);
		ck_assert(h.kind == e.kind && h.family == e.family &&
			  h.role == e.role && h.flags == e.flags);
		ck_assert(look == e.look_ms);
	}
	h = fdt_head_look(9, &look);
	ck_assert(h.kind == KIND_UNKNOWN && look == 0);
	fdt_note_other(9);
	h = fdt_head_look(9, &look);
	ck_assert(h.kind == KIND_OTHER && look == 0);
	h = fdt_head_look(-1, &look);
	ck_assert(h.kind == KIND_UNKNOWN && look == 0);
}
END_TEST

START_TEST(mark_sets_a_flag_once)
{
	struct kashim_fd e = entry_of(11, ROLE_OUT), seen, again, want;

	ck_assert(!(e.flags & FD_LOGGED));
	fdt_store(4, &e);
	fdt_read(4, &seen);
	ck_assert_int_eq(fdt_mark(4, &seen, FD_LOGGED), 1);
	ck_assert_int_eq(fdt_mark(4, &seen, FD_LOGGED), 0);
	fdt_read(4, &again);
	ck_assert_int_eq(fdt_mark(4, &again, FD_LOGGED), 0);
	want = e;
	want.flags |= FD_LOGGED;
	assert_entry(4, &want);
	/* The count did not move: readers' copies stay valid, and a writer
	 * can still take the entry. */
	ck_assert_uint_eq(again.seq, seen.seq);
	ck_assert_int_eq(fdt_lock(4, &again), 0);
	fdt_unlock(4, &again);
}
END_TEST

/* The entry was rewritten between the read and the mark -- the number
 * reused by a new socket, an edit, a writer holding it -- or never was a
 * TCP entry: no mark, and the new entry is left as it is. */
START_TEST(mark_misses_a_rewritten_entry)
{
	struct kashim_fd e = entry_of(11, ROLE_OUT), other = entry_of(12, ROLE_IN);
	struct kashim_fd seen, held, none;

	fdt_store(4, &e);
	fdt_read(4, &seen);
	fdt_store_new(4, &other);
	ck_assert_int_eq(fdt_mark(4, &seen, FD_LOGGED), 0);
	assert_entry(4, &other);

	fdt_read(4, &seen);
	ck_assert_int_eq(fdt_lock(4, &held), 0);
	fdt_unlock(4, &held);
	ck_assert_int_eq(fdt_mark(4, &seen, FD_LOGGED), 0);

	fdt_read(4, &seen);
	ck_assert_int_eq(fdt_lock(4, &held), 0);
	ck_assert_int_eq(fdt_mark(4, &seen, FD_LOGGED), 0);
	fdt_unlock(4, &held);
	assert_entry(4, &other);

	/* A marked entry's number taken by a new socket starts unmarked. */
	fdt_read(4, &seen);
	ck_assert_int_eq(fdt_mark(4, &seen, FD_LOGGED), 1);
	fdt_store_new(4, &e);
	assert_entry(4, &e);

	fdt_read(9, &none);             /* unknown */
	ck_assert_int_eq(fdt_mark(9, &none, FD_LOGGED), 0);
	assert_unknown(9);
}
END_TEST

/* ---------------------------------------------------------------- stress */

/* The fds the threads fight over: both ends of page 0 and 1, and the last
 * page.  Writers store, change (lock/unlock), copy and forget entries on
 * them; readers walk the table and read single fds; every entry any of
 * them sees must be whole (or unknown). */
static const int hot[] = { 0, 1, 2, 3, 500, 1021, 1022, 1023, 1024, 1025,
			   1026, 2047, LAST - 2, LAST - 1, LAST };

#define WRITERS 3
#define MIN_WRITES 1000000L
#define MIN_PASSES 1000L

struct stress {
	int stop;               /* writers are done */
	long passes;            /* completed walks by the walker */
	long writers_done;
	long torn, seen, lock_torn, marks;
	const int *fds;         /* what the reader reads */
	int nfds;
	int (*whole)(const struct kashim_fd *e);        /* and how it checks */
};

struct writer_arg {
	struct stress *st;
	uint32_t seed;
};

static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void *writer(void *arg)
{
	struct writer_arg *wa = arg;
	struct stress *st = wa->st;
	uint32_t s = wa->seed;
	long i;

	for (i = 0; i < MIN_WRITES ||
	     __atomic_load_n(&st->passes, __ATOMIC_RELAXED) < MIN_PASSES; i++) {
		uint32_t r = next_rand(&s);
		int fd = hot[r % N(hot)];
		struct kashim_fd e;

		switch ((r >> 8) % 8) {
		case 0:
			fdt_forget(fd);
			break;
		case 1:
			fdt_forget_range((unsigned)fd, (unsigned)fd + 2);
			break;
		case 2:
			fdt_copy(hot[(r >> 12) % N(hot)], fd);
			break;
		case 3:
		case 4:
			if (fdt_lock(fd, &e) != 0)
				break;
			if (!is_zero_but_seq(&e) && !consistent(&e))
				__atomic_fetch_add(&st->lock_torn, 1,
						   __ATOMIC_RELAXED);
			e = entry_of(next_rand(&s),
				     (r & 0x10000) ? ROLE_OUT : ROLE_IN);
			fdt_unlock(fd, &e);
			break;
		default:
			e = entry_of(next_rand(&s),
				     (r & 0x10000) ? ROLE_OUT : ROLE_IN);
			fdt_store(fd, &e);
			break;
		}
	}
	__atomic_fetch_add(&st->writers_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int check_fn(int fd, const struct kashim_fd *e, void *ctx)
{
	struct stress *st = ctx;

	(void)fd; /* unused */
	if (!consistent(e))
		__atomic_fetch_add(&st->torn, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->seen, 1, __ATOMIC_RELAXED);
	return 0;
}

static void *walker(void *arg)
{
	struct stress *st = arg;

	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		fdt_each_connection(check_fn, st);
		__atomic_fetch_add(&st->passes, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct stress *st = arg;
	uint32_t s = 12345;

	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		struct kashim_fd e;

		fdt_read(st->fds[next_rand(&s) % (uint32_t)st->nfds], &e);
		if (is_zero_but_seq(&e))
			continue;
		if (!st->whole(&e))
			__atomic_fetch_add(&st->torn, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&st->seen, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

START_TEST(stress_no_torn_entries)
{
	static struct stress st;
	struct writer_arg wa[WRITERS];
	pthread_t w[WRITERS], walk, rd;
	int i;

	st.fds = hot;
	st.nfds = N(hot);
	st.whole = consistent;

	ck_assert_int_eq(pthread_create(&walk, NULL, walker, &st), 0);
	ck_assert_int_eq(pthread_create(&rd, NULL, reader, &st), 0);
	for (i = 0; i < WRITERS; i++) {
		wa[i].st = &st;
		wa[i].seed = 0x9e3779b9u * (uint32_t)(i + 1);
		ck_assert_int_eq(pthread_create(&w[i], NULL, writer, &wa[i]), 0);
	}
	for (i = 0; i < WRITERS; i++)
		ck_assert_int_eq(pthread_join(w[i], NULL), 0);
	__atomic_store_n(&st.stop, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(pthread_join(walk, NULL), 0);
	ck_assert_int_eq(pthread_join(rd, NULL), 0);

	ck_assert_int_eq(st.writers_done, WRITERS);
	ck_assert_int_ge(st.passes, MIN_PASSES);
	ck_assert_msg(st.seen > 0, "the readers never saw an entry");
	ck_assert_msg(st.torn == 0, "%ld torn entries out of %ld read",
		      st.torn, st.seen);
	ck_assert_msg(st.lock_torn == 0, "%ld torn entries under lock",
		      st.lock_torn);
	/* Nothing was left held. */
	for (i = 0; i < N(hot); i++) {
		struct kashim_fd e;

		ck_assert_int_eq(fdt_lock(hot[i], &e), 0);
		fdt_unlock(hot[i], &e);
	}
}
END_TEST

/* One owner stores new entries on its fds without a locked instruction
 * (as socket() and accept() do) while a marker -- the watcher's part --
 * reads and marks them, and a reader checks every copy: none may be torn,
 * and no entry may be left held. */
static const int owned[] = { 3, 4, 5, 1022, 1023, 1024, 1025, LAST };

/* Whole, allowing for the mark. */
static int consistent_marked(const struct kashim_fd *e)
{
	struct kashim_fd x = *e;

	if (consistent(&x))
		return 1;
	x.flags ^= FD_LOGGED;
	return consistent(&x);
}

static void *owner(void *arg)
{
	struct stress *st = arg;
	uint32_t s = 777;
	long i;

	for (i = 0; i < MIN_WRITES ||
	     __atomic_load_n(&st->passes, __ATOMIC_RELAXED) < MIN_PASSES; i++) {
		uint32_t r = next_rand(&s);
		struct kashim_fd e = entry_of(next_rand(&s),
					      (r & 0x100) ? ROLE_OUT : ROLE_IN);

		fdt_store_new(owned[r % N(owned)], &e);
	}
	__atomic_store_n(&st->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *marker(void *arg)
{
	struct stress *st = arg;
	uint32_t s = 4242;

	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		int fd = owned[next_rand(&s) % N(owned)];
		struct kashim_fd seen;

		fdt_read(fd, &seen);
		if (seen.kind == KIND_TCP && fdt_mark(fd, &seen, FD_LOGGED))
			__atomic_fetch_add(&st->marks, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&st->passes, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

START_TEST(stress_new_entries_and_marks)
{
	static struct stress st;
	pthread_t o, m, rd;
	int i;

	st.fds = owned;
	st.nfds = N(owned);
	st.whole = consistent_marked;
	ck_assert_int_eq(pthread_create(&m, NULL, marker, &st), 0);
	ck_assert_int_eq(pthread_create(&rd, NULL, reader, &st), 0);
	ck_assert_int_eq(pthread_create(&o, NULL, owner, &st), 0);
	ck_assert_int_eq(pthread_join(o, NULL), 0);
	ck_assert_int_eq(pthread_join(m, NULL), 0);
	ck_assert_int_eq(pthread_join(rd, NULL), 0);

	ck_assert_msg(st.marks > 0, "the marker never marked");
	ck_assert_msg(st.seen > 0, "the reader never saw an entry");
	ck_assert_msg(st.torn == 0, "%ld torn entries out of %ld read",
		      st.torn, st.seen);
	for (i = 0; i < N(owned); i++) {
		struct kashim_fd e;

		ck_assert_int_eq(fdt_lock(owned[i], &e), 0);
		fdt_unlock(owned[i], &e);
	}
}
END_TEST

/* A program racing its own fds: one thread opens while another closes or
 * edits the same numbers (close_range in one thread, accept in another).
 * Entries may then mix two writes, but none may be left held. */
static void *racer(void *arg)
{
	struct stress *st = arg;
	uint32_t s = 31337;

	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		uint32_t r = next_rand(&s);
		int fd = owned[r % N(owned)];
		struct kashim_fd e;

		if (r & 0x100) {
			fdt_forget(fd);
		} else if (fdt_lock(fd, &e) == 0) {
			e.cnt++;
			fdt_unlock(fd, &e);
		}
		__atomic_fetch_add(&st->passes, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

START_TEST(stress_racing_writers_leave_nothing_held)
{
	static struct stress st;
	pthread_t o, r;
	int i;

	ck_assert_int_eq(pthread_create(&r, NULL, racer, &st), 0);
	ck_assert_int_eq(pthread_create(&o, NULL, owner, &st), 0);
	ck_assert_int_eq(pthread_join(o, NULL), 0);
	ck_assert_int_eq(pthread_join(r, NULL), 0);
	for (i = 0; i < N(owned); i++) {
		struct kashim_fd e;

		ck_assert_msg(fdt_lock(owned[i], &e) == 0, "fd %d left held",
			      owned[i]);
		fdt_unlock(owned[i], &e);
	}
}
END_TEST

/* ------------------------------------------------------------- suite */

static Suite *fdtable_suite(void)
{
	Suite *s = suite_create("fdtable");
	TCase *tc;

	tc = kt_tcase(s, "store and read", TIMEOUT);
	tcase_add_test(tc, fresh_table_is_unknown);
	tcase_add_test(tc, store_read_round_trip);
	tcase_add_test(tc, store_ignores_callers_seq);
	tcase_add_test(tc, store_replaces_whole_entry);
	tcase_add_test(tc, out_of_range_is_ignored);
	tcase_add_test(tc, note_other_then_reuse);
	tcase_add_test(tc, every_page);

	tc = kt_tcase(s, "lock", TIMEOUT);
	tcase_add_test(tc, lock_unlock_changes_entry);
	tcase_add_test(tc, lock_of_unknown_fd_gives_zero_entry);
	tcase_add_test(tc, held_entry);
	tcase_add_test(tc, after_fork_releases_held_entries);

	tc = kt_tcase(s, "forget and copy", TIMEOUT);
	tcase_add_test(tc, forget_clears);
	tcase_add_test(tc, forget_range_bounds);
	tcase_add_test(tc, forget_range_over_absent_pages);
	tcase_add_test(tc, copy_entries);

	tc = kt_tcase(s, "each connection", TIMEOUT);
	tcase_add_test(tc, each_connection_selects_tcp_connections);
	tcase_add_test(tc, each_connection_on_empty_table);

	tc = kt_tcase(s, "fork", TIMEOUT);
	tcase_add_test(tc, vfork_child_does_not_edit_parent_table);
	tcase_add_test(tc, fork_child_owns_its_table_after_fork);

	tc = kt_tcase(s, "new sockets and marks", TIMEOUT);
	tcase_add_test(tc, store_new_round_trip);
	tcase_add_test(tc, store_new_waits_for_a_held_entry);
	tcase_add_test(tc, read_front_then_store_accepted);
	tcase_add_test(tc, head_look_agrees);
	tcase_add_test(tc, mark_sets_a_flag_once);
	tcase_add_test(tc, mark_misses_a_rewritten_entry);

	tc = kt_tcase(s, "stress", STRESS_TIMEOUT);
	tcase_add_test(tc, stress_no_torn_entries);
	tcase_add_test(tc, stress_new_entries_and_marks);
	tcase_add_test(tc, stress_racing_writers_leave_nothing_held);
	return s;
}

/* kt_main runs each test in its own process: each needs a fresh table. */
int main(void)
{
	return kt_main(fdtable_suite());
}
