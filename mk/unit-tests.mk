# Unit tests of the pure parts of the library, linked straight with the
# shim sources they test (no preload, no libkashim.so) and with testlib
# (kt_main):
#   check_plan     shim/plan.c, shim/choose.c's kashim_is_tcp (+ shim/config.c
#                  for the auto user timeout)
#   check_logfmt   shim/logfmt.c
#   check_fdtable  shim/fdtable.c (threads: a seqlock stress test)
#   check_sink     shim/sink.c as kashim-kernel links it (plain libc calls)
#   check_choose   shim/choose.c (+ shim/config.c to parse the lists)
#   check_clock    shim/clock.c (the log's clock, from the vDSO)
UNIT_CHECKS := check_plan check_logfmt check_fdtable check_sink check_choose \
               check_clock
CHECK_BINS  += $(addprefix build/tests/,$(UNIT_CHECKS))

UNIT_HDRS := $(wildcard shim/*.h) tests/testlib.h Makefile mk/unit-tests.mk

build/tests/check_plan: shim/plan.c shim/choose.c shim/config.c
build/tests/check_logfmt: shim/logfmt.c
build/tests/check_fdtable: shim/fdtable.c
build/tests/check_sink: shim/sink.c shim/logfmt.c
build/tests/check_choose: shim/choose.c shim/config.c
build/tests/check_clock: shim/clock.c
build/tests/check_clock: CHECK_LIBS += -ldl
build/tests/check_sink: TEST_CFLAGS += -DKASHIM_SINK_LIBC

$(addprefix build/tests/,$(UNIT_CHECKS)): build/tests/%: tests/%.c \
                                          build/tests/testlib.o $(UNIT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $(filter %.c %.o,$^) $(CHECK_LIBS)
