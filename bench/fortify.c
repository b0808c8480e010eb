/* kashim-bench: the fortified read used by the pingpong-fortify mode.
 *
 * This unit alone is compiled with -O2 -D_FORTIFY_SOURCE=2.  The buffer has
 * a size the compiler knows and the length is not a compile-time constant,
 * so glibc's read() wrapper turns into a call to __read_chk(fd, buf, n, 64),
 * the way a hardened distribution build of a real program calls it.  The
 * Makefile checks with nm that the binary imports __read_chk, and the bench
 * checks its own relocations at run time (bench_imports() in kashim-bench.c).
 */
#include <unistd.h>

/* Declared here and in kashim-bench.c (the bench keeps no header). */
ssize_t bench_read_fortified(int fd);
extern volatile size_t bench_fortify_len;

#if !defined(_FORTIFY_SOURCE) || _FORTIFY_SOURCE < 1 || !defined(__OPTIMIZE__)
#error "bench/fortify.c must be compiled with -O2 -D_FORTIFY_SOURCE=2"
#endif

static char fortify_buf[64];

/* volatile: the length must stay unknown to the compiler, otherwise glibc
 * proves the read safe and calls plain read(). */
volatile size_t bench_fortify_len = 1;

ssize_t bench_read_fortified(int fd)
{
	return read(fd, fortify_buf, bench_fortify_len);
}
