# The wrapper script's tests: one Check binary and the programs it runs
# through scripts/kashim (a socket probe, a static program, a fake Go
# program, a stand-in for a library the user already preloads).
WRAP_T := build/tests
WRAP_CFLAGS = $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE

CHECK_BINS += $(WRAP_T)/check_wrapper
TEST_PROGS += $(WRAP_T)/wrap_sockprobe $(WRAP_T)/wrap_static \
              $(WRAP_T)/wrap_gonote $(WRAP_T)/libwrap_dummy.so

$(WRAP_T)/check_wrapper: tests/check_wrapper.c build/tests/testlib.o \
                         tests/testlib.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< build/tests/testlib.o $(CHECK_LIBS)

$(WRAP_T)/wrap_sockprobe: tests/wrapper/sockprobe.c tests/progs/prog.h
	@mkdir -p $(@D)
	$(CC) $(WRAP_CFLAGS) -o $@ $<

$(WRAP_T)/wrap_gonote: tests/wrapper/gonote.c
	@mkdir -p $(@D)
	$(CC) $(WRAP_CFLAGS) -o $@ $<

# Needs libc.a (libc6-dev on Debian).
$(WRAP_T)/wrap_static: tests/wrapper/static.c
	@mkdir -p $(@D)
	$(CC) $(WRAP_CFLAGS) -static -o $@ $<

$(WRAP_T)/libwrap_dummy.so: tests/wrapper/dummy.c
	@mkdir -p $(@D)
	$(CC) $(WRAP_CFLAGS) -fPIC -shared -o $@ $<
