/* Fuzz the word settings: kashim_parse_direction (KASHIM_DIRECTION) and
 * kashim_parse_log (KASHIM_LOG).
 *
 * The first byte picks the capacity of the path buffer (0..255), the rest
 * is the text.  Properties: a direction is accepted only for the three
 * exact words; a log sink is "off"/"stderr"/"syslog" exactly, or an
 * absolute path that fits the buffer and is copied whole with its NUL,
 * and nothing past the buffer is written (the buffer is an exact-size heap
 * block, so AddressSanitizer sees any overrun). */
#include "config.h"
#include "fuzz.h"

static void check_direction(const char *s)
{
	int d = kashim_parse_direction(s);

	if (strcmp(s, "out") == 0)
		FUZZ_CHECK(d == KASHIM_DIR_OUT, "out gave %d", d);
	else if (strcmp(s, "in") == 0)
		FUZZ_CHECK(d == KASHIM_DIR_IN, "in gave %d", d);
	else if (strcmp(s, "both") == 0)
		FUZZ_CHECK(d == KASHIM_DIR_BOTH, "both gave %d", d);
	else
		FUZZ_CHECK(d == -1, "'%s' gave %d", s, d);
}

static void check_log(const char *s, size_t cap)
{
	char *path = cap ? malloc(cap) : NULL;
	size_t len = strlen(s);
	int sink;

	if (cap && !path)
		abort();
	if (cap)
		memset(path, 'x', cap);
	sink = kashim_parse_log(s, path, cap);
	if (strcmp(s, "off") == 0)
		FUZZ_CHECK(sink == KASHIM_SINK_OFF, "off gave %d", sink);
	else if (strcmp(s, "stderr") == 0)
		FUZZ_CHECK(sink == KASHIM_SINK_STDERR, "stderr gave %d", sink);
	else if (strcmp(s, "syslog") == 0)
		FUZZ_CHECK(sink == KASHIM_SINK_SYSLOG, "syslog gave %d", sink);
	else if (s[0] == '/' && len < cap)
		FUZZ_CHECK(sink == KASHIM_SINK_FILE &&
			   memcmp(path, s, len + 1) == 0,
			   "'%s' cap %zu gave %d", s, cap, sink);
	else
		FUZZ_CHECK(sink == -1, "'%s' cap %zu gave %d", s, cap, sink);
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t cap = 0;

	if (size > 0) {
		cap = data[0];
		data++;
		size--;
	}
	s = fuzz_cstr(data, size);
	check_direction(s);
	check_log(s, cap);
	check_log(s, KASHIM_PATH_MAX);
	free(s);
	FUZZ_CHECK(kashim_parse_direction(NULL) == -1, "NULL direction");
	FUZZ_CHECK(kashim_parse_log(NULL, NULL, 0) == -1, "NULL log");
	return 0;
}
