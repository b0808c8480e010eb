# KASHIM_SYNCNT against the user timeout: check_syncnt times a
# failed connect against the SYN backoff, blocking and non-blocking, and
# ends a stuck established connection with the user timeout.  It execs
# build/tests/progs/synconn under LD_PRELOAD.

SYNCNT_PROG  := build/tests/progs/synconn
SYNCNT_CHECK := build/tests/check_syncnt

TEST_PROGS += $(SYNCNT_PROG)
CHECK_BINS += $(SYNCNT_CHECK)

$(SYNCNT_PROG): tests/progs/synconn.c tests/progs/prog.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -o $@ $<

$(SYNCNT_CHECK): tests/check_syncnt.c build/tests/testlib.o tests/testlib.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< build/tests/testlib.o $(CHECK_LIBS)
