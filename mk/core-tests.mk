# Core tests: integration, dead peers, syscall counts and exports.
#
# tests/testlib.[ch] are shared by every Check binary: link
# build/tests/testlib.o (the rule is here).  Test programs in tests/progs/
# are plain programs the tests exec under LD_PRELOAD; they are never linked
# with anything of kashim.

CORE_PROGS  := tcpopts othersocks errnos dpeer nontcp
CORE_CHECKS := check_core check_deadpeer check_syscalls

CORE_PROG_BINS  := $(addprefix build/tests/progs/,$(CORE_PROGS))
CORE_CHECK_BINS := $(addprefix build/tests/,$(CORE_CHECKS))

TEST_PROGS += $(CORE_PROG_BINS)
CHECK_BINS += $(CORE_CHECK_BINS)

build/tests/testlib.o: tests/testlib.c tests/testlib.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -c -o $@ $<

$(CORE_PROG_BINS): build/tests/progs/%: tests/progs/%.c tests/progs/prog.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -o $@ $<

$(CORE_CHECK_BINS): build/tests/%: tests/%.c build/tests/testlib.o tests/testlib.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< build/tests/testlib.o $(CHECK_LIBS)
