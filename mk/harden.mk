# Hardening: hostile programs in `make check`, and the targets CI
# runs beside it:
#
#   make check-asan       the test suite, library and programs built with
#                         AddressSanitizer + UBSan, in a copy of the tree
#   make check-tsan       the threaded (hostile) tests under ThreadSanitizer
#   make check-valgrind   memcheck over the hostile and core test programs,
#                         run under the preload
#   make check-musl       the library and test programs built with musl-gcc
#   make fuzz             each libFuzzer target for FUZZ_TIME s (default 300)
#   make fuzz-short       the same, 20 s each (CI)
#   make lint             cppcheck, clang-tidy (.clang-tidy), shellcheck
#
# The build directory is build/, always: a sanitizer build happens in a
# copy of the tree (build/asan-src, build/tsan-src, build/musl-src) made by
# tar, so its objects never mix with the normal ones.  Each copy keeps the
# files' times, so a second run only rebuilds what changed.

# ---- hostile programs (part of make check) ------------------------------

HOSTILE_DIR   := build/tests/progs
HOSTILE_NAMES := signal vfork dup2 closebehind emfile manyfds pthread_exit \
                 threads main chain cancel
HOSTILE_BINS  := $(addprefix $(HOSTILE_DIR)/h_,$(HOSTILE_NAMES)) \
                 $(HOSTILE_DIR)/h_ctor $(HOSTILE_DIR)/libh_early.so \
                 $(HOSTILE_DIR)/libh_countio.so
HOSTILE_CFLAGS = $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -pthread

TEST_PROGS += $(HOSTILE_BINS)
CHECK_BINS += build/tests/check_hostile

$(HOSTILE_DIR)/libh_%.so: tests/hostile/%.c tests/hostile/hostile.h tests/progs/prog.h
	@mkdir -p $(@D)
	$(CC) $(HOSTILE_CFLAGS) -fPIC -shared -o $@ $< -ldl

# main.c linked with the early library: its constructor runs before kashim's.
$(HOSTILE_DIR)/h_ctor: tests/hostile/main.c tests/hostile/hostile.h tests/progs/prog.h \
                       $(HOSTILE_DIR)/libh_early.so
	$(CC) $(HOSTILE_CFLAGS) -o $@ $< -L$(HOSTILE_DIR) -Wl,--no-as-needed \
	  -lh_early -Wl,-rpath,'$$ORIGIN'

$(HOSTILE_DIR)/h_%: tests/hostile/%.c tests/hostile/hostile.h tests/progs/prog.h
	@mkdir -p $(@D)
	$(CC) $(HOSTILE_CFLAGS) -o $@ $< -ldl

build/tests/check_hostile: tests/check_hostile.c build/tests/testlib.o \
                           tests/testlib.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< build/tests/testlib.o $(CHECK_LIBS)

# ---- copies of the tree ------------------------------------------------

# $(call harden_tree,DIR): DIR holds the checkout's files (not build/, not
# .git), with their times, so that make there rebuilds what changed.
harden_tree = mkdir -p $(1) && \
	tar -cf - --exclude=./build --exclude=./.git . | tar -xf - -C $(1)

# Programs the Check binaries run (build/tests/progs/*): the wrapper's
# programs are left out of sanitizer builds (one is linked -static, which
# the sanitizers do not support).
HARDEN_PROGS = $(filter build/tests/progs/%,$(TEST_PROGS))

# ---- AddressSanitizer + UndefinedBehaviorSanitizer ---------------------

ASAN_TREE   := build/asan-src
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
# Left out: check_wrapper wants KASHIM_TESTLIB to be one file (realpath)
# and links a -static program; check_syscalls compares strace logs, which
# the sanitizer runtime's own start-up syscalls make meaningless;
# check_e2e runs system programs (sshd, whose seccomp sandbox kills the
# preloaded ASan runtime, and curl) that do not run under that runtime.
ASAN_CHECKS  = $(filter-out build/tests/check_wrapper \
               build/tests/check_syscalls build/tests/check_e2e,$(CHECK_BINS))
# The runtime must come first in every preloaded program's library list.
ASAN_RT      = $(realpath $(shell $(CC) -print-file-name=libasan.so))
# Any report fails the program (halt, a distinct exit code).  Leaks are not
# checked here: the preloaded programs are foreign processes whose own
# allocations are not kashim's, and kashim allocates nothing (its fd table
# pages come from mmap); valgrind checks leaks instead.
ASAN_ENV = ASAN_OPTIONS=halt_on_error=1:exitcode=86:detect_leaks=0:$\
abort_on_error=0:allow_user_segv_handler=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87

.PHONY: check-asan check-tsan check-valgrind check-musl fuzz fuzz-short lint \
        lint-cppcheck lint-clang-tidy lint-shellcheck

check-asan:
	@$(call harden_tree,$(ASAN_TREE))
	$(MAKE) -C $(ASAN_TREE) CFLAGS='$(ASAN_CFLAGS)' all $(ASAN_CHECKS) \
	  $(HARDEN_PROGS)
	cd $(ASAN_TREE) && $(ASAN_ENV) \
	  KASHIM_TESTLIB='$(ASAN_RT) $(abspath $(ASAN_TREE))/$(LIB)' \
	  KASHIM_TOP='$(abspath $(ASAN_TREE))' sh tests/run-checks.sh \
	  $(ASAN_CHECKS)

# ---- ThreadSanitizer -----------------------------------------------------

TSAN_TREE   := build/tsan-src
# -Wno-tsan: GCC refuses __atomic_thread_fence under TSan (-Werror=tsan);
# the fd table's seqlock fences only order accesses that are themselves
# atomic, which TSan sees, so nothing it checks is lost.
TSAN_CFLAGS := -O1 -g -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
TSAN_CHECKS := build/tests/check_hostile
TSAN_RT      = $(realpath $(shell $(CC) -print-file-name=libtsan.so))
TSAN_ENV     = TSAN_OPTIONS=halt_on_error=1:exitcode=66:report_signal_unsafe=1:$\
suppressions=$(abspath tests/suppress/tsan.supp)

check-tsan:
	@$(call harden_tree,$(TSAN_TREE))
	$(MAKE) -C $(TSAN_TREE) CFLAGS='$(TSAN_CFLAGS)' all $(TSAN_CHECKS) \
	  $(HOSTILE_BINS)
	cd $(TSAN_TREE) && $(TSAN_ENV) \
	  KASHIM_TESTLIB='$(TSAN_RT) $(abspath $(TSAN_TREE))/$(LIB)' \
	  KASHIM_TOP='$(abspath $(TSAN_TREE))' sh tests/run-checks.sh \
	  $(TSAN_CHECKS)

# ---- valgrind (memcheck) -----------------------------------------------

# Valgrind wraps the preloaded test programs themselves (the Check binaries
# are not preloaded): check_hostile puts KASHIM_TEST_WRAPPER before each
# program, and the core programs run here directly.  Any invalid access,
# uninitialised use or definitely lost block fails (exit 99).
VALGRIND      ?= valgrind
VALGRIND_CMD   = $(shell command -v $(VALGRIND)) --quiet --error-exitcode=99 \
                 --leak-check=full --show-leak-kinds=definite,indirect \
                 --errors-for-leak-kinds=definite,indirect \
                 $(foreach s,$(wildcard tests/suppress/valgrind*.supp),--suppressions=$(abspath $(s)))
VG_CORE_RUNS := "tcpopts" "tcpopts -6" "tcpopts -4" "othersocks" "errnos" \
                "nontcp"

check-valgrind: $(LIB) build/tests/check_hostile $(HOSTILE_BINS) \
                $(filter build/tests/progs/%,$(TEST_PROGS))
	@set -e; for run in $(VG_CORE_RUNS); do \
	  echo "== valgrind build/tests/progs/$$run"; \
	  env LD_PRELOAD='$(abspath $(LIB))' KASHIM_LOG=stderr KASHIM_DEBUG=1 \
	    $(VALGRIND_CMD) build/tests/progs/$$run >/dev/null; \
	done
	KASHIM_TEST_WRAPPER='$(VALGRIND_CMD)' \
	  KASHIM_TESTLIB='$(abspath $(LIB))' KASHIM_TOP='$(CURDIR)' \
	  sh tests/run-checks.sh build/tests/check_hostile

# ---- musl ------------------------------------------------------------------

# The library and the programs the tests run are built with musl-gcc; the
# Check binaries stay glibc programs (libcheck is built for glibc) and
# start the musl programs, which musl's loader preloads the musl kashim
# into.  (A musl libkashim must never reach a glibc program's LD_PRELOAD:
# glibc's loader fails on its libc.so dependency and the program does not
# start; the hostile programs therefore exec only themselves.)
# Only the library is built with musl, not `all`: the helper programs
# (kashim-kernel needs libbpf's glibc headers) are not what this checks.
# Not here: check_config (it links config.c into a glibc Check binary),
# check_syscalls (glibc's loader syscalls), check_wrapper (glibc-specific
# programs).  check_core and check_deadpeer join with
#   make check-musl MUSL_CHECKS='...' MUSL_PROGS='...'
# once tests/progs build with musl (they call strerrorname_np, a glibc
# 2.32 extension, and close_range, which musl 1.2.3 lacks).
MUSL_TREE   := build/musl-src
MUSL_CC     ?= musl-gcc
MUSL_CHECKS ?= build/tests/check_hostile
MUSL_PROGS  ?= $(HOSTILE_BINS)

check-musl:
	@$(call harden_tree,$(MUSL_TREE))
	$(MAKE) -C $(MUSL_TREE) CC='$(CC)' $(MUSL_CHECKS)
	rm -rf $(MUSL_TREE)/build/shim $(MUSL_TREE)/$(LIB) \
	  $(addprefix $(MUSL_TREE)/,$(MUSL_PROGS))
	$(MAKE) -C $(MUSL_TREE) CC='$(MUSL_CC)' $(LIB) $(MUSL_PROGS)
	cd $(MUSL_TREE) && KASHIM_TESTLIB='$(abspath $(MUSL_TREE))/$(LIB)' \
	  KASHIM_TOP='$(abspath $(MUSL_TREE))' sh tests/run-checks.sh \
	  $(MUSL_CHECKS)

# ---- fuzzing -----------------------------------------------------------

FUZZ_CC      ?= clang
FUZZ_TARGETS := number ports nets words config logfmt
FUZZ_BINS    := $(addprefix build/fuzz/fuzz_,$(FUZZ_TARGETS))
FUZZ_TIME    ?= 300
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all $(WARN) -std=gnu11 -D_GNU_SOURCE \
                -Ishim -Itests/fuzz

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h shim/config.c \
                   shim/config.h shim/choose.c shim/choose.h shim/logfmt.c \
                   shim/logfmt.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< shim/config.c shim/choose.c \
	  shim/logfmt.c

# New inputs go to build/fuzz/corpus-T (the checked-in seeds in
# tests/fuzz/corpus/T are only read); a crash is saved as
# build/fuzz/crash-T-<sha1>: copy it into tests/fuzz/corpus/T once fixed.
fuzz: $(FUZZ_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus-$$t; \
	  echo "== fuzz_$$t for $(FUZZ_TIME) s"; \
	  ASAN_OPTIONS=detect_leaks=1 build/fuzz/fuzz_$$t \
	    -max_total_time=$(FUZZ_TIME) -max_len=1024 -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/crash-$$t- \
	    build/fuzz/corpus-$$t tests/fuzz/corpus/$$t 2>&1 | \
	    grep -E '^(INFO: seed|#[0-9]+ *DONE|Done|stat::number_of_executed|==|SUMMARY|fuzz property|.*runtime error)' \
	    || true; \
	  test -z "$$(ls build/fuzz/crash-$$t-* 2>/dev/null)" || \
	    { echo "fuzz_$$t: crash saved:" build/fuzz/crash-$$t-*; exit 1; }; \
	done

fuzz-short:
	$(MAKE) fuzz FUZZ_TIME=20

# ---- static analysis -----------------------------------------------------

LINT_C      = $(sort $(wildcard shim/*.c tests/*.c tests/progs/*.c \
              tests/wrapper/*.c tests/hostile/*.c tests/fuzz/*.c bench/*.c \
              adopt/*.c tests/adopt/*.c settings/*.c))
LINT_SH     = $(sort $(wildcard scripts/* mk/*.sh) \
              $(shell find tests -name '*.sh') \
              $(wildcard .ci/run))
LINT_CFLAGS = -std=gnu11 -D_GNU_SOURCE -O2 -D_FORTIFY_SOURCE=2 -Ishim -Itests -Itests/fuzz -Iadopt -Isettings \
              $(CHECK_CFLAGS)

# cppcheck: every check family; the suppressions, each with its reason,
# are in tests/suppress/cppcheck.txt.
CPPCHECK_FLAGS = --enable=all --inconclusive --error-exitcode=1 --quiet \
                 --std=c11 --inline-suppr -D_GNU_SOURCE -D__GNUC__ \
                 -Ishim -Itests -Itests/fuzz -Iadopt -Isettings \
                 --suppressions-list=tests/suppress/cppcheck.txt

lint: lint-cppcheck lint-clang-tidy lint-shellcheck

lint-cppcheck:
	cppcheck $(CPPCHECK_FLAGS) $(LINT_C)

# One clang-tidy process per file: with several files in one process,
# clang-tidy 14's valist checker loses va_start after the first file and
# reports "uninitialized va_list" on every later va_start/vsnprintf
# (LLVM bug 41311, llvm/llvm-project#40656).  Every file is still
# analysed; the target fails if any one has a finding.
lint-clang-tidy:
	@fail=0; for f in $(LINT_C); do \
	  clang-tidy --quiet $$f -- $(LINT_CFLAGS) || fail=1; \
	done; exit $$fail

lint-shellcheck:
	shellcheck $(LINT_SH)
