# build/kashim-settings: the wrapper's judge of its options' values.
# scripts/kashim runs it with exactly the KASHIM_* variables its options
# set; it reads them through the library's own parser (shim/config.c,
# linked unchanged) and names each invalid one in the library's words
# (settings/strict.c, shared with kashim-adopt).  libc only.
#
# Tests: build/tests/check_settings runs the program itself and the
# wrapper around it (values the C parser refuses, the variables it is
# given, a missing program).

SETTINGS_BIN    := build/kashim-settings
SETTINGS_SRCS   := settings/main.c settings/strict.c shim/config.c
SETTINGS_CFLAGS  = $(CFLAGS) $(WARN) $(HARDEN) -std=gnu11 -D_GNU_SOURCE \
                   -Ishim -Isettings

all: $(SETTINGS_BIN)

$(SETTINGS_BIN): $(SETTINGS_SRCS) settings/strict.h shim/config.h \
                 mk/settings.mk
	@mkdir -p $(@D)
	$(CC) $(SETTINGS_CFLAGS) -o $@ $(SETTINGS_SRCS)

# ---- tests ---------------------------------------------------------------

TEST_PROGS += $(SETTINGS_BIN)
CHECK_BINS += build/tests/check_settings

# It runs the program, the wrapper and tcpopts (tests/progs, core-tests.mk).
build/tests/check_settings: tests/check_settings.c build/tests/testlib.o \
                            tests/testlib.h $(SETTINGS_BIN) \
                            build/tests/progs/tcpopts
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< build/tests/testlib.o $(CHECK_LIBS)

# ---- install ---------------------------------------------------------------

INST_SETTINGS = $(DESTDIR)$(helperdir)/kashim-settings

.PHONY: install-settings uninstall-settings
install: install-settings
uninstall: uninstall-settings

install-settings: $(SETTINGS_BIN)
	install -d $(DESTDIR)$(helperdir)
	$(call inst_file,0755,$(SETTINGS_BIN),$(INST_SETTINGS))

uninstall-settings:
	rm -f $(INST_SETTINGS)
