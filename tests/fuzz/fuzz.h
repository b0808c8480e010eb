/* kashim fuzz targets — shared helpers.
 *
 * Each target is a libFuzzer entry point (clang -fsanitize=fuzzer) linked
 * straight with the pure parts of the shim (config.c, logfmt.c).  Besides
 * the sanitizers' own checks, every target asserts properties that hold
 * for any input: a violated one aborts with FUZZ_CHECK's message, which
 * libFuzzer reports as a crash and saves as a reproducer.
 */
#ifndef KASHIM_FUZZ_H
#define KASHIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "fuzz property failed: %s: ", #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

/* The input as a C string (what getenv would hand kashim): cut at the
 * first NUL, since an environment value cannot hold one.  Free it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Text with no byte below 0x20 and no DEL: kashim's output must never
 * carry a newline or a terminal escape made of the user's input. */
static inline int fuzz_printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

#endif
