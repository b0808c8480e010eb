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
