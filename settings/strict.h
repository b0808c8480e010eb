/* kashim — settings that are refused rather than replaced by defaults.
 *
 * The library, inside a program, warns about a bad value and goes on with
 * the default ("...; using the default 60").  A command run by a person
 * (the wrapper's options, `kashim adopt`) must refuse instead, with the
 * same words minus that tail.  This is the one place that turns the
 * library's warnings (shim/config.c, unchanged) into such refusals; the
 * programs kashim-settings and kashim-adopt both use it.
 */
#ifndef KASHIM_SETTINGS_STRICT_H
#define KASHIM_SETTINGS_STRICT_H

#include "config.h"

/* kashim_config_load() over get() (not in secure-execution mode), every
 * invalid value named on stderr in one line: the library's line without
 * its "; using the default ..." tail.  Returns how many were invalid. */
int settings_load_strict(struct kashim_config *cfg, kashim_getenv_fn get);

#endif
