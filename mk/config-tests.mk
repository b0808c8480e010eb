# Unit tests of the configuration parser: linked straight with shim/config.c
# and, for matching the parsed port and net lists, shim/choose.c (no preload), driven by a fake environment; testlib gives kt_main.
CHECK_BINS += build/tests/check_config

build/tests/check_config: tests/check_config.c shim/config.c shim/config.h \
                          shim/choose.c shim/choose.h \
                          build/tests/testlib.o tests/testlib.h \
                          Makefile mk/config-tests.mk
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ tests/check_config.c shim/config.c \
	  shim/choose.c build/tests/testlib.o $(CHECK_LIBS)
