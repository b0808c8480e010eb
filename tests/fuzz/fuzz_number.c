/* Fuzz kashim_parse_long: the SPEC's "decimal integers, no blanks".
 *
 * Properties: a value is accepted only when the text is digits alone,
 * it is within the range asked for, and printing it back gives the text
 * without its leading zeros. */
#include <limits.h>

#include "config.h"
#include "fuzz.h"

static const long ranges[][2] = {
	{ 1, 32767 }, { 1, 127 }, { 0, 127 }, { 0, 1 },
	{ 0, 2147483647L }, { 1, 65535 }, { 0, LONG_MAX }, { LONG_MIN, LONG_MAX },
};

static void check_one(const char *s, long lo, long hi)
{
	long v = -12345, sentinel = -12345;
	char back[32];
	const char *digits = s;
	size_t i;
	int all_digits = *s != '\0';

	for (i = 0; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			all_digits = 0;
	if (kashim_parse_long(s, lo, hi, &v) != 0) {
		FUZZ_CHECK(v == sentinel, "refused '%s' but wrote %ld", s, v);
		return;
	}
	FUZZ_CHECK(all_digits, "accepted '%s', which is not all digits", s);
	FUZZ_CHECK(v >= lo && v <= hi, "'%s' gave %ld outside %ld..%ld", s, v,
		   lo, hi);
	while (digits[0] == '0' && digits[1] != '\0')
		digits++;
	snprintf(back, sizeof back, "%ld", v);
	FUZZ_CHECK(strcmp(back, digits) == 0, "'%s' read as %ld", s, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	size_t r;

	for (r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
		check_one(s, ranges[r][0], ranges[r][1]);
	FUZZ_CHECK(kashim_parse_long(NULL, 0, 1, NULL) == -1, "NULL accepted");
	free(s);
	return 0;
}
