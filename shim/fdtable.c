/* kashim — the per-fd table (see fdtable.h for the design). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fdtable.h"
#include "kashim.h"

#define WORDS (sizeof(struct kashim_fd) / sizeof(uint64_t))
#define LOOK_WORD (offsetof(struct kashim_fd, look_ms) / sizeof(uint64_t))
#define BORN_WORD (offsetof(struct kashim_fd, born_ms) / sizeof(uint64_t))
_Static_assert(offsetof(struct kashim_fd, born_ms) % sizeof(uint64_t) == 0 &&
	       BORN_WORD == WORDS - 1 && LOOK_WORD == WORDS - 2,
	       "look_ms and born_ms must be the entry's last two words");
_Static_assert(offsetof(struct kashim_fd, look_ms) % sizeof(uint64_t) == 0,
	       "look_ms must be one whole word of the entry");
_Static_assert(offsetof(struct kashim_fd, port) + sizeof(uint16_t) <=
	       2 * sizeof(uint64_t), "kind to port must fill the first two words");
#define SPIN_LIMIT 4096

union slot {
	struct kashim_fd fd;
	uint64_t w[WORDS];
};

#define LONG_BITS (8 * sizeof(unsigned long))

/* Page 0 is static: most programs never need another, and .bss is free
 * until touched.  The others are published with a CAS.
 * Non-TCP inet sockets among fds 0..1023 are remembered as one bit each,
 * beside the page pointers: that memory is already dirty (the loader
 * relocated pages[0] there), so a process with UDP but no TCP sockets
 * makes kashim touch no page of its own. */
static union slot page0[KASHIM_FDT_PAGE];
static struct {
	unsigned long other[KASHIM_FDT_PAGE / LONG_BITS];
	union slot *pages[KASHIM_FDT_PAGES];
} tab __attribute__((aligned(256))) = { .pages = { page0 } };
#define pages tab.pages

KASHIM_HOT static int other_bit(int fd)
{
	if (fd < 0 || fd >= KASHIM_FDT_PAGE)
		return 0;
	return (__atomic_load_n(&tab.other[fd / LONG_BITS], __ATOMIC_RELAXED) >>
		(fd % LONG_BITS)) & 1;
}

static void set_other_bit(int fd, int on)
{
	unsigned long bit = 1UL << (fd % LONG_BITS);

	if (fd < 0 || fd >= KASHIM_FDT_PAGE || other_bit(fd) == on)
		return;
	if (on)
		__atomic_fetch_or(&tab.other[fd / LONG_BITS], bit,
				  __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&tab.other[fd / LONG_BITS], ~bit,
				   __ATOMIC_RELAXED);
}

/* The process this table describes.  A vfork() child (Python's subprocess,
 * posix_spawn users) shares our memory and runs close()/dup2() through our
 * hooks before it execs: those calls must not edit the parent's table.
 * 0 until the first TCP socket, so a process without one makes no getpid. */
KASHIM_HOT_DATA static long owner;

KASHIM_HOT static void claim_owner(void)
{
	if (!__atomic_load_n(&owner, __ATOMIC_RELAXED))
		__atomic_store_n(&owner, (long)getpid(), __ATOMIC_RELAXED);
}

static int foreign(void)
{
	long o = __atomic_load_n(&owner, __ATOMIC_RELAXED);

	return o && (long)getpid() != o;
}

int fdt_foreign(void)
{
	return foreign();
}

static union slot *new_page(unsigned n)
{
	union slot *pg = NULL, *fresh;
	int saved = errno;

	fresh = mmap(NULL, sizeof(page0), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	errno = saved;                  /* the hooks need not keep it */
	if (fresh == MAP_FAILED)
		return NULL;
	if (!__atomic_compare_exchange_n(&pages[n], &pg, fresh, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		munmap(fresh, sizeof(page0));   /* another thread won */
		errno = saved;
		return pg;
	}
	return fresh;
}

/* Page 0 is always there: the common fd costs a compare and an add. */
static inline union slot *slot_of(int fd, int create)
{
	union slot *pg;
	unsigned n;

	if (fd >= 0 && fd < KASHIM_FDT_PAGE)    /* one unsigned compare */
		return &page0[fd];
	if (fd < 0 || fd >= KASHIM_FDT_MAX)
		return NULL;
	n = (unsigned)fd / KASHIM_FDT_PAGE;
	pg = __atomic_load_n(&pages[n], __ATOMIC_ACQUIRE);
	if (!pg && create)
		pg = new_page(n);
	return pg ? &pg[(unsigned)fd % KASHIM_FDT_PAGE] : NULL;
}

/* Word by word, straight between the slot and the caller's struct (memcpy
 * of one word compiles to one move). */
KASHIM_HOT
static void copy_words_in(const union slot *s, struct kashim_fd *out,
			  unsigned n)
{
	unsigned i;

#pragma GCC unroll 8
	for (i = 0; i < n; i++) {
		uint64_t w = __atomic_load_n(&s->w[i], __ATOMIC_RELAXED);

		memcpy((char *)out + i * sizeof(w), &w, sizeof(w));
	}
}

/* Word 0 with seq put in it, by a shift where the byte order allows. */
static uint64_t with_seq(uint64_t w0, uint32_t seq)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	_Static_assert(offsetof(struct kashim_fd, seq) == 0, "seq first");
	return (w0 & ~0xffffffffULL) | seq;
#else
	union slot n;

	n.w[0] = w0;
	n.fd.seq = seq;
	return n.w[0];
#endif
}

/* Word 0 also holds seq; the writer owns seq (it is odd), so writing back
 * the value it already has keeps the whole copy word-sized. */
KASHIM_HOT
static void copy_words_out(union slot *s, const struct kashim_fd *in)
{
	uint64_t w0;
	unsigned i;

	memcpy(&w0, in, sizeof(w0));
	w0 = with_seq(w0, __atomic_load_n(&s->fd.seq, __ATOMIC_RELAXED));
	__atomic_store_n(&s->w[0], w0, __ATOMIC_RELAXED);
#pragma GCC unroll 8
	for (i = 1; i < WORDS; i++) {
		uint64_t w;

		memcpy(&w, (const char *)in + i * sizeof(w), sizeof(w));
		__atomic_store_n(&s->w[i], w, __ATOMIC_RELAXED);
	}
}

/* The first n words of fd's entry into out, the rest zero: a copy taken
 * while the count was even and unchanged, retried on a torn read.  Inlined,
 * so that each reader gets a copy of its own size. */
static inline __attribute__((always_inline)) void
read_entry(int fd, struct kashim_fd *out, unsigned n)
{
	union slot *s = slot_of(fd, 0);
	uint32_t before;
	int tries;

	memset((char *)out + n * sizeof(uint64_t), 0,
	       sizeof(*out) - n * sizeof(uint64_t));
	if (s && !other_bit(fd))
		for (tries = 0; tries < SPIN_LIMIT; tries++) {
			before = __atomic_load_n(&s->fd.seq, __ATOMIC_ACQUIRE);
			if (before & 1)
				continue;
			copy_words_in(s, out, n);
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&s->fd.seq, __ATOMIC_RELAXED) ==
			    before)
				return;
		}
	memset(out, 0, sizeof(*out));   /* unknown, or a writer is stuck */
	if (other_bit(fd))
		out->kind = KIND_OTHER;
}

void fdt_read(int fd, struct kashim_fd *out)
{
	read_entry(fd, out, WORDS);
}

/* Words 0 and 1 (kind to port): all an accept needs of its listener.  The
 * whole entry would be three times the loads and stores, right after a
 * syscall. */
KASHIM_HOT void fdt_read_front(int fd, struct kashim_fd *out)
{
	read_entry(fd, out, 2);
}

/* Word 0 alone: whole by itself, so no sequence check is needed.  The
 * head is its bytes from kind to flags, taken out by a shift (memcpy out of
 * a register), not stored byte by byte and read back. */
_Static_assert(offsetof(struct kashim_fd, family) ==
		       offsetof(struct kashim_fd, kind) + 1 &&
	       offsetof(struct kashim_fd, role) ==
		       offsetof(struct kashim_fd, kind) + 2 &&
	       offsetof(struct kashim_fd, flags) ==
		       offsetof(struct kashim_fd, kind) + 3 &&
	       sizeof(struct kashim_fd_head) == 4,
	       "the head must mirror the entry's bytes from kind to flags");

static struct kashim_fd_head head_of(const union slot *s)
{
	struct kashim_fd_head h;
	uint64_t w0 = __atomic_load_n(&s->w[0], __ATOMIC_ACQUIRE);

	memcpy(&h, (const char *)&w0 + offsetof(struct kashim_fd, kind),
	       sizeof(h));
	return h;
}

static const struct kashim_fd_head head_unknown = { KIND_UNKNOWN, 0, ROLE_NONE, 0 };
static const struct kashim_fd_head head_other = { KIND_OTHER, 0, ROLE_NONE, 0 };

static __attribute__((noinline)) struct kashim_fd_head head_far(int fd)
{
	union slot *s = slot_of(fd, 0);

	return s ? head_of(s) : head_unknown;
}

/* Fds below 1024 in a few instructions: accept and close ask first. */
KASHIM_HOT struct kashim_fd_head fdt_head(int fd)
{
	if (KASHIM_UNLIKELY((unsigned)fd >= KASHIM_FDT_PAGE))
		return head_far(fd);
	if (other_bit(fd))
		return head_other;
	return head_of(&page0[fd]);
}

KASHIM_HOT struct kashim_fd_head fdt_head_look(int fd, int64_t *look_ms)
{
	union slot *s = slot_of(fd, 0);

	*look_ms = 0;
	if (!s)
		return head_unknown;
	if (other_bit(fd))
		return head_other;
	*look_ms = (int64_t)__atomic_load_n(&s->w[LOOK_WORD], __ATOMIC_RELAXED);
	return head_of(s);
}

KASHIM_HOT static int take(union slot *s)
{
	uint32_t seq;
	int tries;

	for (tries = 0; tries < SPIN_LIMIT; tries++) {
		seq = __atomic_load_n(&s->fd.seq, __ATOMIC_RELAXED);
		if (!(seq & 1) &&
		    __atomic_compare_exchange_n(&s->fd.seq, &seq, seq + 1, 0,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			/* The odd count must be seen before any field the
			 * writer stores next (smp_wmb in Linux's seqlock). */
			__atomic_thread_fence(__ATOMIC_RELEASE);
			return 0;
		}
	}
	return -1;
}

/* Only the holder changes an odd count, so a plain release store ends the
 * write: a locked add here cost 0.5% of an accept+close, after a syscall
 * has left the store buffer full.  An even count means a second writer
 * got in and ended first: only a new socket's entry goes in without the
 * lock (fdt_store_new), and only a program racing its own fds (closing
 * in one thread what another has just opened) gets two writers.  Leave
 * the count even then: the entry may mix the two writes, which the log
 * checks against the socket anyway (report.c), but it is never left held. */
KASHIM_HOT static void give_back(union slot *s)
{
	uint32_t seq = __atomic_load_n(&s->fd.seq, __ATOMIC_RELAXED);

	if (KASHIM_LIKELY(seq & 1))
		__atomic_store_n(&s->fd.seq, seq + 1, __ATOMIC_RELEASE);
}

KASHIM_HOT static int lock_slot(int fd, struct kashim_fd *e)
{
	union slot *s = slot_of(fd, 1);

	if (!s || take(s) != 0)
		return -1;
	copy_words_in(s, e, WORDS);
	return 0;
}

KASHIM_HOT int fdt_lock(int fd, struct kashim_fd *e)
{
	if (other_bit(fd))
		return -1;              /* known not TCP: nothing to edit */
	return lock_slot(fd, e);
}

KASHIM_HOT void fdt_unlock(int fd, const struct kashim_fd *e)
{
	union slot *s = slot_of(fd, 0);

	copy_words_out(s, e);
	give_back(s);
}

/* The slot a new entry goes in, its "not TCP" bit cleared; the table's
 * owner claimed with the first TCP entry. */
KASHIM_HOT static union slot *slot_new(int fd, int tcp)
{
	if (tcp)
		claim_owner();
	if (KASHIM_UNLIKELY(other_bit(fd)))
		set_other_bit(fd, 0);
	return slot_of(fd, 1);
}

void fdt_store(int fd, const struct kashim_fd *e)
{
	union slot *s = slot_new(fd, e->kind == KIND_TCP);

	if (s && take(s) == 0) {        /* the old content is not needed */
		copy_words_out(s, e);
		give_back(s);
	}
}

/* Odd with a plain store, then the words, then even (give_back).  A count
 * already odd is a writer that should not be there: take() waits for it,
 * bounded, as for any store. */
KASHIM_HOT static int take_new(union slot *s)
{
	uint32_t seq = __atomic_load_n(&s->fd.seq, __ATOMIC_RELAXED);

	if (KASHIM_UNLIKELY(seq & 1))
		return take(s);
	__atomic_store_n(&s->fd.seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return 0;
}


KASHIM_HOT void fdt_store_new(int fd, const struct kashim_fd *e)
{
	union slot *s = slot_new(fd, e->kind == KIND_TCP);

	if (s && take_new(s) == 0) {
		copy_words_out(s, e);
		give_back(s);
	}
}

/* Where a field sits in its word, little-endian: the shift that puts it
 * there.  (A big-endian build goes through a copy in memory instead.) */
#define SHIFT_IN_WORD(f) \
	(8 * (offsetof(struct kashim_fd, f) % sizeof(uint64_t)))
_Static_assert(offsetof(struct kashim_fd, role) < 8 &&
	       offsetof(struct kashim_fd, flags) < 8 &&
	       offsetof(struct kashim_fd, port) >= 8 &&
	       offsetof(struct kashim_fd, port) < 16,
	       "role and flags in word 0, port in word 1");


static void accepted_words(const struct kashim_fd *l, uint8_t flags,
			   uint64_t w[2])
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(w, l, 2 * sizeof(w[0]));
	w[0] &= ~((0xffULL << SHIFT_IN_WORD(role)) |
		  (0xffULL << SHIFT_IN_WORD(flags)));
	w[0] |= ((uint64_t)ROLE_IN << SHIFT_IN_WORD(role)) |
		((uint64_t)flags << SHIFT_IN_WORD(flags));
	w[1] &= ~(0xffffULL << SHIFT_IN_WORD(port));
#else
	union slot n;

	memcpy(&n.w[0], l, 2 * sizeof(n.w[0]));
	n.fd.role = ROLE_IN;
	n.fd.flags = flags;
	n.fd.port = 0;
	w[0] = n.w[0];
	w[1] = n.w[1];
#endif
}

KASHIM_HOT
void fdt_store_accepted(int fd, const struct kashim_fd *l, uint8_t flags,
			int64_t look_ms, int64_t born_ms)
{
	union slot *s = slot_new(fd, 1);
	uint64_t w[2];
	unsigned i;

	accepted_words(l, flags, w);
	if (!s || take_new(s) != 0)
		return;
	w[0] = with_seq(w[0], __atomic_load_n(&s->fd.seq, __ATOMIC_RELAXED));
	__atomic_store_n(&s->w[0], w[0], __ATOMIC_RELAXED);
	__atomic_store_n(&s->w[1], w[1], __ATOMIC_RELAXED);
	for (i = 2; i < LOOK_WORD; i++)
		__atomic_store_n(&s->w[i], 0, __ATOMIC_RELAXED);  /* no peer */
	__atomic_store_n(&s->w[LOOK_WORD], (uint64_t)look_ms, __ATOMIC_RELAXED);
	__atomic_store_n(&s->w[BORN_WORD], (uint64_t)born_ms, __ATOMIC_RELAXED);
	give_back(s);
}

int fdt_mark(int fd, const struct kashim_fd *seen, uint8_t flag)
{
	union slot *s = slot_of(fd, 0), was, now;

	if (!s || other_bit(fd) || seen->kind == KIND_UNKNOWN ||
	    (seen->seq & 1) || (seen->flags & flag))
		return 0;
	memcpy(&was.w[0], seen, sizeof(was.w[0]));
	now.w[0] = was.w[0];
	now.fd.flags |= flag;
	return __atomic_compare_exchange_n(&s->w[0], &was.w[0], now.w[0], 0,
					   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

static uint8_t kind_of(const union slot *s)
{
	return head_of(s).kind;
}

KASHIM_HOT void fdt_note_other(int fd)
{
	static const struct kashim_fd other = { .kind = KIND_OTHER };
	static const struct kashim_fd zero;
	union slot *s = slot_of(fd, 0);

	if (fd >= 0 && fd < KASHIM_FDT_PAGE) {
		set_other_bit(fd, 1);
		if (kind_of(s) == KIND_UNKNOWN)
			return;         /* nothing stale to clear: no write */
		if (take(s) == 0) {
			copy_words_out(s, &zero);
			give_back(s);
		}
		return;
	}
	if (s && take(s) == 0) {
		copy_words_out(s, &other);
		give_back(s);
	}
}

/* Clear fd's entry and bit; the caller has checked it owns the table. */
static void clear(int fd)
{
	static const struct kashim_fd zero;
	union slot *s = slot_of(fd, 0);

	set_other_bit(fd, 0);
	if (s && kind_of(s) != KIND_UNKNOWN && take(s) == 0) {
		copy_words_out(s, &zero);
		give_back(s);
	}
}

void fdt_forget(int fd)
{
	union slot *s = slot_of(fd, 0);
	int tracked = s && kind_of(s) != KIND_UNKNOWN;

	if ((!tracked && !other_bit(fd)) || foreign())
		return;                 /* untracked: no write, no syscall */
	clear(fd);
}

/* One ownership check (a getpid) for the whole range, not one per fd. */
void fdt_forget_range(unsigned lo, unsigned hi)
{
	unsigned fd;

	if (hi >= KASHIM_FDT_MAX)
		hi = KASHIM_FDT_MAX - 1;
	if (foreign())
		return;
	for (fd = lo; fd <= hi && fd >= lo; fd++) {
		if (fd % KASHIM_FDT_PAGE == 0 && !slot_of((int)fd, 0)) {
			fd += KASHIM_FDT_PAGE - 1;      /* whole page absent */
			continue;
		}
		clear((int)fd);
	}
}

void fdt_copy(int from, int to)
{
	struct kashim_fd e;

	fdt_read(from, &e);
	if (e.kind == KIND_UNKNOWN) {
		fdt_forget(to);         /* checks for a vfork child itself */
		return;
	}
	if (foreign())
		return;
	if (e.kind == KIND_OTHER)
		fdt_note_other(to);     /* a bit, not an entry */
	else
		fdt_store(to, &e);
}

int fdt_each_connection(int (*fn)(int fd, const struct kashim_fd *e, void *ctx),
			void *ctx)
{
	struct kashim_fd e;
	unsigned n, i;
	int rc;

	for (n = 0; n < KASHIM_FDT_PAGES; n++) {
		if (!__atomic_load_n(&pages[n], __ATOMIC_ACQUIRE))
			continue;
		for (i = 0; i < KASHIM_FDT_PAGE; i++) {
			int fd = (int)(n * KASHIM_FDT_PAGE + i);

			fdt_read(fd, &e);
			if (e.kind != KIND_TCP ||
			    (e.role != ROLE_OUT && e.role != ROLE_IN))
				continue;
			rc = fn(fd, &e, ctx);
			if (rc)
				return rc;
		}
	}
	return 0;
}

void fdt_after_fork(void)
{
	unsigned n, i;

	if (owner)
		owner = (long)getpid();

	for (n = 0; n < KASHIM_FDT_PAGES; n++) {
		union slot *pg = pages[n];

		if (!pg)
			continue;
		for (i = 0; i < KASHIM_FDT_PAGE; i++) {
			if (pg[i].fd.seq & 1)
				pg[i].fd.seq++;
			if (pg[i].fd.kind == KIND_TCP)
				pg[i].fd.flags |= FD_FORKED;
		}
	}
}
