# kashim adopt: build/kashim-adopt, the helper the wrapper runs
# for `kashim adopt ...`.  libc only: it links the library's pure code for
# the settings (shim/config.c, refused as in settings/strict.c), which sockets
# (shim/choose.c), the option plan (shim/plan.c) and endpoint
# text (shim/logfmt.c), never libkashim.so or libbpf.
#
# Tests: build/tests/check_adopt runs the programs of tests/adopt/ (no
# preload) and adopts them: peer (dynamic), peer_static (-static) and, when
# `go` is installed, goclient (a Go program).

ADOPT_BIN    := build/kashim-adopt
ADOPT_SRCS   := $(sort $(wildcard adopt/*.c)) shim/config.c shim/choose.c \
                shim/plan.c \
                shim/logfmt.c settings/strict.c
ADOPT_CFLAGS  = $(CFLAGS) $(WARN) $(HARDEN) -std=gnu11 -D_GNU_SOURCE -Ishim \
                -Isettings

all: $(ADOPT_BIN)

$(ADOPT_BIN): $(ADOPT_SRCS) $(wildcard adopt/*.h) $(wildcard shim/*.h) \
              settings/strict.h mk/adopt.mk
	@mkdir -p $(@D)
	$(CC) $(ADOPT_CFLAGS) -o $@ $(ADOPT_SRCS)

# ---- tests ---------------------------------------------------------------

ADOPT_T     := build/tests/adopt
ADOPT_PROGS := $(ADOPT_T)/peer $(ADOPT_T)/peer_static
GO          ?= $(shell command -v go 2>/dev/null)
ifneq ($(GO),)
ADOPT_PROGS += $(ADOPT_T)/goclient
endif

TEST_PROGS += $(ADOPT_BIN) $(ADOPT_PROGS)
CHECK_BINS += build/tests/check_adopt

$(ADOPT_T)/peer: tests/adopt/peer.c tests/progs/prog.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -o $@ $<

# Not $(CFLAGS): a sanitizer build (make check-asan) cannot link -static.
# Needs libc.a (libc6-dev).
$(ADOPT_T)/peer_static: tests/adopt/peer.c tests/progs/prog.h
	@mkdir -p $(@D)
	$(CC) -O2 $(WARN) -std=gnu11 -D_GNU_SOURCE -static -o $@ $<

# A Go program makes its socket calls itself, never through libc.  The
# build cache stays in build/ (CI's HOME may not be writable).
$(ADOPT_T)/goclient: tests/adopt/goclient.go
	@mkdir -p $(@D) build/go-cache
	cd tests/adopt && GOCACHE=$(abspath build/go-cache) GOPATH=$(abspath build/go-path) \
	  GO111MODULE=off GOFLAGS= $(GO) build -o $(abspath $@) goclient.go

# The check binary depends on what it runs, so a tree copy (check-asan)
# that builds it builds them too.
build/tests/check_adopt: tests/check_adopt.c build/tests/testlib.o \
                         tests/testlib.h $(ADOPT_BIN) $(ADOPT_PROGS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< build/tests/testlib.o $(CHECK_LIBS)

# ---- install ---------------------------------------------------------------

INST_ADOPT      = $(DESTDIR)$(helperdir)/kashim-adopt
INST_ADOPT_MAN1 = $(DESTDIR)$(mandir)/man1/kashim-adopt.1

.PHONY: install-adopt uninstall-adopt
install: install-adopt
uninstall: uninstall-adopt

install-adopt: $(ADOPT_BIN) man/kashim-adopt.1
	install -d $(DESTDIR)$(helperdir) $(DESTDIR)$(mandir)/man1
	$(call inst_file,0755,$(ADOPT_BIN),$(INST_ADOPT))
	$(call inst_file,0644,man/kashim-adopt.1,$(INST_ADOPT_MAN1))

uninstall-adopt:
	rm -f $(INST_ADOPT) $(INST_ADOPT_MAN1)
