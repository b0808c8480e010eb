# kashim — one Makefile: make, make check, make bench, make install.
#
# Areas add themselves through mk/*.mk fragments: a fragment appends its
# test programs to CHECK_BINS (Check binaries run by `make check`) and the
# programs those tests exec to TEST_PROGS.

PREFIX  ?= /usr/local
DESTDIR ?=
libdir  ?= $(PREFIX)/lib
bindir  ?= $(PREFIX)/bin
mandir  ?= $(PREFIX)/share/man
# The subcommands' programs (kashim-adopt, kashim-kernel): run by the
# wrapper, not by users, so not on PATH.
helperdir ?= $(PREFIX)/libexec/kashim

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
           -Wstrict-prototypes -Wformat-security
HARDEN   = -D_FORTIFY_SOURCE=2 -fstack-protector-strong
SHIM_CFLAGS = $(CFLAGS) $(WARN) $(HARDEN) -std=gnu11 -D_GNU_SOURCE \
              -fPIC -fvisibility=hidden -pthread
SHIM_LDFLAGS = -shared -Wl,-soname,libkashim.so -Wl,-z,now -Wl,-z,relro \
               -Wl,--sort-section=name -Wl,-Map=build/libkashim.map \
               -Wl,--version-script=build/exports.map
SHIM_LIBS = -ldl -pthread

CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
TEST_CFLAGS  = $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Ishim -Itests \
               $(CHECK_CFLAGS) -pthread

-include config.mak

SHIM_SRCS := $(sort $(wildcard shim/*.c))
SHIM_OBJS := $(patsubst shim/%.c,build/shim/%.o,$(SHIM_SRCS))
LIB       := build/libkashim.so

CHECK_BINS :=
TEST_PROGS :=

.PHONY: all check check-run deps bench install uninstall clean demo
all: $(LIB)

build/shim/%.o: shim/%.c $(wildcard shim/*.h) Makefile
	@mkdir -p $(@D)
	$(CC) $(SHIM_CFLAGS) -c -o $@ $<

# The link map shows where each input section went: mk/hot-layout.sh
# refuses a library whose per-connection code or data is not in one run.
$(LIB): $(SHIM_OBJS) build/exports.map mk/hot-layout.sh
	$(CC) $(SHIM_CFLAGS) $(SHIM_LDFLAGS) -o $@ $(SHIM_OBJS) $(SHIM_LIBS)
	@out=$$(sh mk/hot-layout.sh build/libkashim.map) || \
	  { echo "$$out" >&2; rm -f $@; exit 1; }

-include $(sort $(wildcard mk/*.mk))

# Every Check binary runs with the built library's absolute path at hand
# (tests decide themselves whether to preload it); TEST_PREFIX may name a
# wrapper such as valgrind.  KASHIM_TESTLIB points the tests at another copy.
# `make check` first installs what the tests need (scripts/deps: apt-get as
# root, else it prints the command), then builds and runs in a sub-make, so
# pkg-config sees a freshly installed Check.
KASHIM_TESTLIB ?= $(abspath $(LIB))
deps:
	@sh scripts/deps

check: deps
	@$(MAKE) --no-print-directory check-run

check-run: $(LIB) $(CHECK_BINS) $(TEST_PROGS)
	@KASHIM_TESTLIB='$(KASHIM_TESTLIB)' KASHIM_TOP='$(CURDIR)' \
	  TEST_PREFIX='$(TEST_PREFIX)' sh tests/run-checks.sh $(CHECK_BINS)

clean:
	rm -rf build
