# Dead-peer log tests.
#
# Check binaries check_log (dead-peer cases: fields, calls, causes, the
# watcher, debug), check_log_sinks (syslog, files, setuid, a daemon that
# closes its fds) and check_log_reuse_fork (fd reuse, fork, vfork, threads).
# They exec these programs under LD_PRELOAD:
#   log_peer       one end of connections; built without fortification
#   log_peer_fort  the same source, -O2 -D_FORTIFY_SOURCE=2: its read() is
#                  __read_chk (a test checks that with nm)
#   log_threads    threads racing close/accept under the watcher; its own
#                  program so that a TSan build (make check-tsan) can reuse
#                  it: build it with -fsanitize=thread from
#                  tests/progs/log_threads.c
# build/tests/testlib.o (with the rig and dead-line helpers) comes from
# mk/core-tests.mk.

LOG_T := build/tests
LOG_PROG_CFLAGS = $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE

LOG_PROG_BINS  := $(LOG_T)/progs/log_peer $(LOG_T)/progs/log_peer_fort \
                  $(LOG_T)/progs/log_threads
LOG_CHECK_BINS := $(LOG_T)/check_log $(LOG_T)/check_log_sinks \
                  $(LOG_T)/check_log_reuse_fork

TEST_PROGS += $(LOG_PROG_BINS)
CHECK_BINS += $(LOG_CHECK_BINS)

$(LOG_T)/progs/log_peer: tests/progs/log_peer.c tests/progs/prog.h
	@mkdir -p $(@D)
	$(CC) $(LOG_PROG_CFLAGS) -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=0 -o $@ $<

$(LOG_T)/progs/log_peer_fort: tests/progs/log_peer.c tests/progs/prog.h
	@mkdir -p $(@D)
	$(CC) $(LOG_PROG_CFLAGS) -O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 \
	  -o $@ $<

$(LOG_T)/progs/log_threads: tests/progs/log_threads.c tests/progs/prog.h
	@mkdir -p $(@D)
	$(CC) $(LOG_PROG_CFLAGS) -pthread -o $@ $<

$(LOG_CHECK_BINS): $(LOG_T)/%: tests/%.c build/tests/testlib.o tests/testlib.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< build/tests/testlib.o $(CHECK_LIBS)
