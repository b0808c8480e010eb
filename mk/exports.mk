# What libkashim.so exports: exactly the hooks listed in shim/hooks.def.
#
#   build/exports.map   the version map the library is linked with, made
#                       from shim/exports.map.in by the C preprocessor
#   build/exports.ok    the proof, before the link, that the objects export
#                       (default visibility) exactly the listed hooks: a
#                       body missing from the list would otherwise be
#                       hidden by the map's `local: *` without a word, and
#                       a listed hook without a body would not be exported
#
# The export test in check_syscalls.c reads the same list and compares it
# with `nm -D` of the built library.

EXPORTS_MAP := build/exports.map

# -undef: no predefined macro (linux, unix) may touch a name in the list.
$(EXPORTS_MAP): shim/exports.map.in shim/hooks.def
	@mkdir -p $(@D)
	$(CC) -E -P -undef -x c -Ishim -o $@.tmp shim/exports.map.in
	mv $@.tmp $@

# The names in the map, and the defined GLOBAL/WEAK symbols of default
# visibility in the objects (everything else is hidden by
# -fvisibility=hidden), must be the same two lists.
EXPORTS_NAMES = tr -s ' \t;{}' '\n\n\n\n\n' <$(EXPORTS_MAP) | \
	grep -E '^[A-Za-z_][A-Za-z_0-9]*$$' | LC_ALL=C sort
EXPORTS_BODIES = readelf -sW $(SHIM_OBJS) | \
	awk '($$5 == "GLOBAL" || $$5 == "WEAK") && $$6 == "DEFAULT" && \
	     $$7 != "UND" { print $$8 }' | LC_ALL=C sort -u

EXPORTS_UNMADE = libkashim: listed in shim/hooks.def, no exported body in shim/:
EXPORTS_UNLISTED = libkashim: exported by shim/, not listed in shim/hooks.def:

build/exports.ok: $(SHIM_OBJS) $(EXPORTS_MAP)
	@$(EXPORTS_NAMES) >$@.list
	@$(EXPORTS_BODIES) >$@.objs
	@LC_ALL=C comm -23 $@.list $@.objs | \
	  sed 's|^|$(EXPORTS_UNMADE) |' >$@.diff
	@LC_ALL=C comm -13 $@.list $@.objs | \
	  sed 's|^|$(EXPORTS_UNLISTED) |' >>$@.diff
	@if [ -s $@.diff ]; then cat $@.diff >&2; \
	  rm -f $@ $@.list $@.objs $@.diff; exit 1; fi
	@rm -f $@.list $@.objs $@.diff
	@touch $@

$(LIB): build/exports.ok

# The list is part of every object's source (real.h includes it).
$(SHIM_OBJS): shim/hooks.def

# The export test compiles the list in.
build/tests/check_syscalls: shim/hooks.def
