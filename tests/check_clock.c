/* Unit tests of the log's clock (shim/clock.h, shim/clock.c), linked
 * directly (no preload): that on glibc x86 it is found in the vDSO, which
 * is what keeps libc's wrapper off every logged connection's path, and
 * that, found or not, it reads CLOCK_MONOTONIC_COARSE in milliseconds:
 * a reading lies between libc's readings of that clock just before and
 * just after it. */
#include <check.h>

#include <sys/auxv.h>
#include <time.h>

#include "clock.h"
#include "testlib.h"

#define TIMEOUT 10
#define ROUNDS  100000

#ifndef START_TEST
#define START_TEST(name) static void name(int _i)
#define END_TEST
#endif

static long long libc_coarse_ms(void)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC_COARSE, &ts), 0);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Many readings, so that some straddle a tick. */
static void assert_reads_coarse_ms(void)
{
	for (int i = 0; i < ROUNDS; i++) {
		long long before = libc_coarse_ms();
		long long now = kashim_now_ms();
		long long after = libc_coarse_ms();

		ck_assert_msg(before <= now && now <= after,
			      "round %d: %lld not in [%lld, %lld]", i, now,
			      before, after);
	}
}

START_TEST(found_in_vdso)
{
#if defined(__GLIBC__) && (defined(__x86_64__) || defined(__i386__))
	if (!getauxval(AT_SYSINFO_EHDR)) {
		kt_skip(__func__, "this process has no vDSO");
		return;
	}
	kashim_clock_init();
	ck_assert_ptr_nonnull(kashim_vdso_clock);
#else
	kt_skip(__func__, "the vDSO is looked up on glibc x86 only");
#endif
}
END_TEST

START_TEST(vdso_reads_coarse_ms)
{
	kashim_clock_init();
	assert_reads_coarse_ms();
}
END_TEST

START_TEST(fallback_reads_coarse_ms)
{
	kashim_vdso_clock = NULL;
	assert_reads_coarse_ms();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("clock");

	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, found_in_vdso);
	tcase_add_test(tc, vdso_reads_coarse_ms);
	tcase_add_test(tc, fallback_reads_coarse_ms);
	suite_add_tcase(s, tc);
	return kt_main(s);
}
