/* kashim — what kashim knows about each file descriptor.
 *
 * A flat table indexed by fd, in pages that are allocated on first use: the
 * first page (fds 0..1023) lives in .bss and so costs no syscall and no
 * memory until it is written; later pages come from mmap.  An fd beyond the
 * table (>= KASHIM_FDT_MAX) is simply not tracked: kashim then passes its
 * calls through untouched, it never fails them.
 *
 * Each entry is 48 bytes and guarded by a sequence counter: writers take it
 * with a compare-and-swap (giving up after a bounded spin, so a signal
 * handler that interrupts a writer of the same fd cannot deadlock), readers
 * retry on a torn read and never block.  The fields are copied word by word
 * with relaxed atomics, which makes the seqlock well defined.  Two paths
 * take no lock, because they are the hot ones and need none: the entry of
 * a socket the kernel has just handed to this thread (fdt_store_new), and
 * the watcher's one flag (fdt_mark, a compare-and-swap of the first word
 * that fails if anything wrote the entry since it was read).
 */
#ifndef KASHIM_FDTABLE_H
#define KASHIM_FDTABLE_H

#include <stdint.h>

#define KASHIM_FDT_PAGE 1024
#define KASHIM_FDT_PAGES 1024
#define KASHIM_FDT_MAX (KASHIM_FDT_PAGE * KASHIM_FDT_PAGES)

enum kashim_kind {
	KIND_UNKNOWN = 0,       /* never seen: made before kashim, or untracked */
	KIND_OTHER,             /* an AF_INET/AF_INET6 socket that is not TCP */
	KIND_TCP,
};

enum kashim_role {
	ROLE_NONE = 0,
	ROLE_OUT,               /* connect() */
	ROLE_IN,                /* accepted */
	ROLE_LISTEN,
};

/* flags */
#define FD_DECIDED    0x01  /* kashim has decided about this socket */
#define FD_CONFIGURED 0x02  /* ... and set its options (or they were inherited) */
#define FD_PER_PEER   0x04  /* listener: decide per accepted peer */
#define FD_PENDING    0x08  /* inherited listener: early accepts may lack options */
#define FD_LOGGED     0x10  /* its dead-peer line is written */
#define FD_FORKED     0x20  /* came from the parent through fork() */
#define FD_UT_LATER   0x40  /* outbound: kashim's user timeout waits for the
			     * handshake (a SYN count is in force) */

/* user_set: options the program set itself */
#define OPT_KEEPALIVE 0x01
#define OPT_IDLE      0x02
#define OPT_INTVL     0x04
#define OPT_CNT       0x08
#define OPT_UT        0x10
#define OPT_SYNCNT    0x20

struct kashim_fd {
	uint32_t seq;           /* odd while a writer holds the entry */
	uint8_t kind;
	uint8_t family;         /* AF_INET / AF_INET6, 0 when not known */
	uint8_t role;
	uint8_t flags;
	uint8_t user_set;
	uint8_t cnt;            /* TCP_KEEPCNT in force (or the program's) */
	uint16_t idle;          /* TCP_KEEPIDLE in force (or the program's) */
	uint16_t intvl;         /* TCP_KEEPINTVL in force (or the program's) */
	uint16_t port;          /* network order: peer port, or a listener's own */
	uint8_t addr[16];       /* peer address (IPv4 in the first 4 bytes) */
	int64_t look_ms;        /* kashim_now_ms() from which close() looks
				 * for a death nobody read (0: at any age) */
	int64_t born_ms;        /* kashim_now_ms() at connect/accept */
};

_Static_assert(sizeof(struct kashim_fd) == 48, "fd entry must stay 48 bytes");

/* Copy of the entry for fd (kind KIND_UNKNOWN and every field but seq zero
 * when kashim knows nothing of it).  Never blocks. */
void fdt_read(int fd, struct kashim_fd *out);

/* The same, but only the fields from kind to port; the others read 0. */
void fdt_read_front(int fd, struct kashim_fd *out);

/* The entry's first word alone -- kind, role and flags -- read with one
 * atomic load, which is consistent by itself: for a hot path that only
 * decides what to do. */
struct kashim_fd_head {         /* the entry's bytes from kind to flags */
	uint8_t kind;
	uint8_t family;
	uint8_t role;
	uint8_t flags;
};
struct kashim_fd_head fdt_head(int fd);

/* fdt_head, and the entry's look_ms in *look_ms (0 for an fd kashim does
 * not track), in one look at the entry: all that close() needs to decide
 * whether to look (report.c).  The two words are read without a sequence
 * check: a writer racing a close of the same fd is a program's own race,
 * and at worst costs one poll too many or too few. */
struct kashim_fd_head fdt_head_look(int fd, int64_t *look_ms);

/* Take the entry for writing: returns 0 and a copy in *e, or -1 when fd is
 * out of range, the page cannot be had, or another writer holds it. */
int fdt_lock(int fd, struct kashim_fd *e);
/* Store *e (its seq is ignored) and release the entry. */
void fdt_unlock(int fd, const struct kashim_fd *e);

/* Replace the whole entry (a new socket on this fd number). */
void fdt_store(int fd, const struct kashim_fd *e);

/* The same, for the one case with no other writer: fd was just handed to
 * this thread by the kernel (socket, accept), so no thread of a correct
 * program can be editing its entry (fdt_lock works on an fd its caller
 * has open).  No locked instruction: the count is made odd with a plain
 * store.  The watcher writes by fdt_mark, which this cannot tear.  An
 * entry held all the same (a program using a closed fd in another
 * thread) is waited for as fdt_store does. */
void fdt_store_new(int fd, const struct kashim_fd *e);

/* fdt_store_new of the entry of a socket accepted from listener l (as
 * fdt_read_front gave it): l's kind, family, options and user_set, role
 * ROLE_IN, no peer, the given flags, look_ms and born_ms.  Built in
 * registers: an entry written byte by byte and read back by words stalls
 * the store buffer, right after the accept. */
void fdt_store_accepted(int fd, const struct kashim_fd *l, uint8_t flags,
			int64_t look_ms, int64_t born_ms);

/* Set flag on fd's entry if it is still the one *seen (the copy fdt_read
 * gave: same count, so no writer came between) and does not have it yet.
 * 1 when this call set it.  One compare-and-swap on the first word, no
 * lock taken: a writer that takes the entry only makes it fail. */
int fdt_mark(int fd, const struct kashim_fd *seen, uint8_t flag);

/* fd is a socket that is not TCP: remember that where it costs nothing
 * (the page exists), so later calls on it need not ask the kernel. */
void fdt_note_other(int fd);

/* Forget fd: it was closed.  Only memory is touched; no syscall. */
void fdt_forget(int fd);
void fdt_forget_range(unsigned lo, unsigned hi);

/* The entry of `from` now also describes `to` (dup2 and friends). */
void fdt_copy(int from, int to);

/* Calls fn for every fd whose entry is a TCP connection (role OUT or IN);
 * used by the watcher.  Stops when fn returns non-zero. */
int fdt_each_connection(int (*fn)(int fd, const struct kashim_fd *e, void *ctx),
			void *ctx);

/* In a fork child: release entries left held by threads that do not exist
 * there, and mark every entry FD_FORKED. */
void fdt_after_fork(void);

/* 1 in a vfork() child, which shares the parent's memory (and table). */
int fdt_foreign(void);

#endif
