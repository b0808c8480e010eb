# Deaths seen by splice, sendfile, preadv2/pwritev2 and glibc's __read,
# __write, __send are logged.  check_splice execs
# build/tests/progs/spliced under LD_PRELOAD; it links testlib.o (rule in
# mk/core-tests.mk).

SPLICE_PROG  := build/tests/progs/spliced
SPLICE_CHECK := build/tests/check_splice

TEST_PROGS += $(SPLICE_PROG)
CHECK_BINS += $(SPLICE_CHECK)

$(SPLICE_PROG): tests/progs/spliced.c tests/progs/prog.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -o $@ $<

$(SPLICE_CHECK): tests/check_splice.c build/tests/testlib.o tests/testlib.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< build/tests/testlib.o $(CHECK_LIBS)
