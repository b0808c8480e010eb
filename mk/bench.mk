# make bench: what kashim costs, side by side.  Not part of
# `make check`: nothing here is a test, and timing never is.
#
#   make bench                               kashim against no preload
#   make bench BENCH_ARGS='--compare /usr/lib/x86_64-linux-gnu/libkeepalive.so'
#   make bench BENCH_ARGS='--modes connect,accept --rounds 9'
#
# Every run also has a "floor" column: build/bench/kashim-floor.so.
#
# The bench is built -O2 whatever CFLAGS says.  bench/fortify.c alone gets
# -D_FORTIFY_SOURCE=2 so that its read() becomes __read_chk(); the other
# unit has fortification off so that its read() stays plain read().  The
# link step refuses a binary that does not import __read_chk, and -z now
# binds every import at start so the bench can tell which library serves
# each hot call.

BENCH_BIN    := build/bench/kashim-bench
BENCH_CFLAGS := -O2 -g $(WARN) -std=gnu11 -D_GNU_SOURCE
BENCH_ARGS   ?=

build/bench/kashim-bench.o: bench/kashim-bench.c bench/floor.h mk/bench.mk
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=0 -c -o $@ $<

build/bench/fortify.o: bench/fortify.c mk/bench.mk
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 -c -o $@ $<

$(BENCH_BIN): build/bench/kashim-bench.o build/bench/fortify.o
	$(CC) -O2 -Wl,-z,now -o $@ $^
	@nm -D --undefined-only $@ | grep -q ' __read_chk' || \
	  { echo "$@: does not import __read_chk (fortify not in effect)" >&2; \
	    rm -f $@; exit 1; }

# The "floor" variant: a minimal preload that sets the same five options
# on every TCP socket and keeps no state (bench/floor.c); never installed.
BENCH_FLOOR := build/bench/kashim-floor.so

$(BENCH_FLOOR): bench/floor.c bench/floor.h mk/bench.mk
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -fPIC -shared -fvisibility=hidden -o $@ $< -ldl

bench: $(LIB) $(BENCH_BIN) $(BENCH_FLOOR)
	$(BENCH_BIN) --lib $(LIB) --floor $(BENCH_FLOOR) $(BENCH_ARGS)
