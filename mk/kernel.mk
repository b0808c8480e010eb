# Kernel mode (issue 11): the BPF programs (kernel/kashim.bpf.c, clang
# -target bpf), their skeleton (bpftool gen skeleton) and the loader
# build/kashim-kernel (libbpf), plus its tests.  Built by `make` only where
# clang, bpftool and libbpf are installed; the preload library never links
# libbpf.  Kernel structs are declared in kashim.bpf.c (CO-RE), so the
# build needs no BTF of its own.
KK_CLANG   ?= clang
KK_BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || ls /usr/sbin/bpftool 2>/dev/null)
KK_LIBBPF  := $(shell pkg-config --exists libbpf 2>/dev/null && echo yes)
KK_HAVE    := $(and $(shell command -v $(KK_CLANG) 2>/dev/null),$(KK_BPFTOOL),$(KK_LIBBPF))

KK_B       := build/kernel
KK_BIN     := build/kashim-kernel
KK_SRCS    := kernel/kashim-kernel.c kernel/kk_sys.c kernel/kk_attach.c \
              kernel/kk_log.c kernel/sink.c
KK_HDRS    := $(wildcard kernel/*.h) shim/config.h shim/logfmt.h
KK_MULTI   := $(shell $(CC) -print-multiarch 2>/dev/null)
KK_BPF_CFLAGS = -g -O2 -target bpf -Wall -Werror -Ikernel \
                $(if $(KK_MULTI),-I/usr/include/$(KK_MULTI))
KK_CFLAGS   = $(CFLAGS) $(WARN) $(HARDEN) -std=gnu11 -D_GNU_SOURCE -Ishim \
              -Ikernel -I$(KK_B) $(shell pkg-config --cflags libbpf 2>/dev/null)
KK_LIBS     = $(shell pkg-config --libs libbpf 2>/dev/null)

ifneq ($(KK_HAVE),)
all: $(KK_BIN)

$(KK_B)/kashim.bpf.o: kernel/kashim.bpf.c kernel/kashim_bpf.h mk/kernel.mk
	@mkdir -p $(@D)
	$(KK_CLANG) $(KK_BPF_CFLAGS) -c -o $@ $<

$(KK_B)/kashim.skel.h: $(KK_B)/kashim.bpf.o
	$(KK_BPFTOOL) gen skeleton $< name kashim_bpf >$@.tmp && mv $@.tmp $@

$(KK_BIN): $(KK_SRCS) $(KK_HDRS) $(KK_B)/kashim.skel.h shim/config.c \
           shim/logfmt.c mk/kernel.mk
	$(CC) $(KK_CFLAGS) -o $@ $(KK_SRCS) shim/config.c shim/logfmt.c $(KK_LIBS)

.PHONY: install-kernel uninstall-kernel
install: install-kernel
uninstall: uninstall-kernel
install-kernel: $(KK_BIN)
	install -d $(DESTDIR)$(helperdir) $(DESTDIR)$(mandir)/man8
	$(call inst_file,0755,$(KK_BIN),$(DESTDIR)$(helperdir)/kashim-kernel)
	$(call inst_file,0644,man/kashim-kernel.8,$(DESTDIR)$(mandir)/man8/kashim-kernel.8)
uninstall-kernel:
	rm -f $(DESTDIR)$(helperdir)/kashim-kernel $(DESTDIR)$(mandir)/man8/kashim-kernel.8
endif

# ---- tests (make check): check_kernel and the programs it runs ---------
KK_T        := build/tests
KK_PROG_CC   = $(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE
KK_PROGS    := $(KK_T)/progs/kclient $(KK_T)/progs/kclient_static \
               $(KK_T)/progs/kserver
KK_URING    := $(shell pkg-config --exists liburing 2>/dev/null && echo yes)
KK_GO       := $(shell command -v go 2>/dev/null)

ifneq ($(KK_HAVE),)
CHECK_BINS += $(KK_T)/check_kernel
TEST_PROGS += $(KK_PROGS) $(if $(KK_URING),$(KK_T)/progs/kuring) \
              $(if $(KK_GO),$(KK_T)/progs/kgo)

$(KK_T)/progs/kclient $(KK_T)/progs/kserver: $(KK_T)/progs/%: tests/kernel/%.c tests/kernel/kpeer.h
	@mkdir -p $(@D)
	$(KK_PROG_CC) -o $@ $<

# Needs libc.a (libc6-dev).
$(KK_T)/progs/kclient_static: tests/kernel/kclient.c tests/kernel/kpeer.h
	@mkdir -p $(@D)
	$(KK_PROG_CC) -static -o $@ $<

$(KK_T)/progs/kuring: tests/kernel/kuring.c tests/kernel/kpeer.h
	@mkdir -p $(@D)
	$(KK_PROG_CC) -o $@ $< $(shell pkg-config --libs liburing)

# The Go toolchain's cache stays in build/ (CI's HOME may be unset).
$(KK_T)/progs/kgo: tests/kernel/kgo.go
	@mkdir -p $(@D) build/go
	HOME=$(abspath build/go) GOCACHE=$(abspath build/go/cache) \
	  GOPATH=$(abspath build/go) GO111MODULE=off GOFLAGS= \
	  go build -o $@ tests/kernel/kgo.go

$(KK_T)/check_kernel: tests/check_kernel.c build/tests/testlib.o tests/testlib.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< build/tests/testlib.o $(CHECK_LIBS)
endif
