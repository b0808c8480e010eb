/* kashim — settings that are refused rather than replaced (see strict.h). */
#include "strict.h"

#include <stdio.h>
#include <string.h>

/* The tail shim/config.c puts after every "is not valid (expected ...)". */
#define DEFAULT_TAIL "; using the default"

/* One line per call, written whole: the tail does not hold where a value
 * is refused, so it is cut off. */
static void refuse(const char *line, void *ctx)
{
	int *invalid = ctx;
	const char *tail = strstr(line, DEFAULT_TAIL);
	int len = tail ? (int)(tail - line) : (int)strlen(line);

	fprintf(stderr, "%.*s\n", len, line);
	(*invalid)++;
}

int settings_load_strict(struct kashim_config *cfg, kashim_getenv_fn get)
{
	int invalid = 0;

	kashim_config_load(cfg, get, 0, refuse, &invalid);
	return invalid;
}
