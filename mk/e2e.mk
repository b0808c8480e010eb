# End-to-end matrix: real programs (socat, nc, curl, sshd) and the
# small programs of tests/progs/e2e_*.c, each case a script in tests/e2e/
# run by build/tests/check_e2e in its own network namespace.

E2E_PROG_BINS := $(patsubst tests/progs/%.c,build/tests/progs/%,\
                   $(wildcard tests/progs/e2e_*.c))

TEST_PROGS += $(E2E_PROG_BINS)
CHECK_BINS += build/tests/check_e2e

$(E2E_PROG_BINS): build/tests/progs/%: tests/progs/%.c tests/progs/prog.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -pthread -o $@ $<

build/tests/check_e2e: tests/check_e2e.c build/tests/testlib.o tests/testlib.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< build/tests/testlib.o $(CHECK_LIBS)
