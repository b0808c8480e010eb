# Unit tests of the pure parts of the library, linked straight with the
# shim sources they test (no preload, no libkashim.so):
#   check_plan     shim/plan.c (+ shim/config.c for the auto user timeout)
#   check_logfmt   shim/logfmt.c
#   check_fdtable  shim/fdtable.c (threads: a seqlock stress test)
UNIT_CHECKS := check_plan check_logfmt check_fdtable
CHECK_BINS  += $(addprefix build/tests/,$(UNIT_CHECKS))

UNIT_HDRS := $(wildcard shim/*.h) Makefile mk/unit.mk

build/tests/check_plan: tests/check_plan.c shim/plan.c shim/config.c build/tests/testlib.o $(UNIT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ tests/check_plan.c shim/plan.c shim/config.c build/tests/testlib.o $(CHECK_LIBS)

build/tests/check_logfmt: tests/check_logfmt.c shim/logfmt.c $(UNIT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ tests/check_logfmt.c shim/logfmt.c $(CHECK_LIBS)

build/tests/check_fdtable: tests/check_fdtable.c shim/fdtable.c $(UNIT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ tests/check_fdtable.c shim/fdtable.c $(CHECK_LIBS)
