/* kashim-settings — judge the settings the wrapper's options gave.
 *
 *   env -i KASHIM_IDLE=30 KASHIM_PORTS=5432 kashim-settings
 *
 * scripts/kashim runs this once, after parsing its options, with exactly
 * the variables those options set, so that a value is judged by the
 * library's own parser (shim/config.c) and refused in the library's own
 * words, never by a second implementation in sh.  Every invalid value is
 * named on stderr in one line (the library's, without "; using the
 * default ..."); the exit status is 2 when there is any, 0 otherwise.
 * Nothing else happens: no file is opened, nothing is written elsewhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strict.h"

#define EXIT_INVALID 2          /* the wrapper's exit status for a bad value */

static const char *env(const char *name)
{
	return getenv(name);
}

int main(int argc, char **argv)
{
	struct kashim_config cfg;

	if (argc > 1) {
		fprintf(stderr, "kashim-settings: '%s': no arguments are taken "
			"(the settings are read from the KASHIM_* variables)\n",
			argv[1]);
		return EXIT_INVALID;
	}
	memset(&cfg, 0, sizeof(cfg));   /* loaded in full; cppcheck cannot tell */
	return settings_load_strict(&cfg, env) ? EXIT_INVALID : EXIT_SUCCESS;
}
