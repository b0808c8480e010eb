# make install / make uninstall, with PREFIX and DESTDIR (top Makefile).
#
# Every file is written under a temporary name in its directory and then
# renamed over the old one: a running program keeps the inode it mapped (or,
# for the wrapper, the script sh is still reading), and a program starting
# meanwhile sees either the old file or the new one, never a partial one.
VERSION ?= $(shell cat VERSION 2>/dev/null || git describe --tags --always --dirty 2>/dev/null || echo unknown)

INST_LIB  = $(DESTDIR)$(libdir)/libkashim.so
INST_BIN  = $(DESTDIR)$(bindir)/kashim
INST_MAN1 = $(DESTDIR)$(mandir)/man1/kashim.1
INST_MAN7 = $(DESTDIR)$(mandir)/man7/libkashim.7

# $(call inst_file,MODE,SOURCE,DEST): install -m MODE SOURCE into DEST.tmp, then rename.
inst_file = install -m $(1) $(2) $(3).tmp.$$$$ && mv -f $(3).tmp.$$$$ $(3)

install: $(LIB) scripts/kashim man/kashim.1 man/libkashim.7
	install -d $(DESTDIR)$(libdir) $(DESTDIR)$(bindir) \
	  $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man7
	$(call inst_file,0644,$(LIB),$(INST_LIB))
	sed -e 's|@LIBDIR@|$(libdir)|g' -e 's|@HELPERDIR@|$(helperdir)|g' \
	  -e 's|@VERSION@|$(VERSION)|g' \
	  scripts/kashim >$(INST_BIN).sed.$$$$ && \
	$(call inst_file,0755,$(INST_BIN).sed.$$$$,$(INST_BIN)) && \
	rm -f $(INST_BIN).sed.$$$$
	$(call inst_file,0644,man/kashim.1,$(INST_MAN1))
	$(call inst_file,0644,man/libkashim.7,$(INST_MAN7))

# A fragment that builds a helper adds `install: install-NAME` and
# `uninstall: uninstall-NAME` rules of its own, installing into
# $(DESTDIR)$(helperdir) the same way.
uninstall:
	rm -f $(INST_LIB) $(INST_BIN) $(INST_MAN1) $(INST_MAN7)
