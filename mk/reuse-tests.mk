# fd reuse behind kashim's back: check_reuse and the program it runs under
# the preload, reuse_peer (raw-syscall close/socket/accept, close_range,
# dup3, F_DUPFD).  testlib.o comes from mk/core-tests.mk.

REUSE_T := build/tests

TEST_PROGS += $(REUSE_T)/progs/reuse_peer
CHECK_BINS += $(REUSE_T)/check_reuse

$(REUSE_T)/progs/reuse_peer: tests/progs/reuse_peer.c tests/progs/prog.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -o $@ $<

$(REUSE_T)/check_reuse: tests/check_reuse.c build/tests/testlib.o tests/testlib.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< build/tests/testlib.o $(CHECK_LIBS)
