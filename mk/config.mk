# Unit tests of the configuration parser: linked straight with shim/config.c
# (no preload), driven by a fake environment.
CHECK_BINS += build/tests/check_config

build/tests/check_config: tests/check_config.c shim/config.c shim/config.h Makefile mk/config.mk
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ tests/check_config.c shim/config.c $(CHECK_LIBS)
