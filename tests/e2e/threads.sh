#!/bin/sh
# Threads: 16 threads connect and close concurrently (50 connections each,
# options read back on every one), then each holds one idle connection and
# blocks in read while the server vanishes.  With kashim (and its watcher
# thread on, KASHIM_WATCH=1, racing the program's own reads) every thread
# gets ETIMEDOUT and each connection is logged exactly once.  Without
# kashim no option is set and every thread is still blocked.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
NET=$E2E_PROGS/e2e_net
T=16
ITER=50
K=7701
P=7702

net_servers $K $P
KLOG=$E2E_TMP/threads.klog EXTRA_ENV=KASHIM_WATCH=1 \
	preloaded "$NET" threads 127.0.0.1 $K $ITER >"$E2E_TMP/k.out" 2>&1 &
k=$!
"$NET" threads 127.0.0.1 $P $ITER >"$E2E_TMP/p.out" 2>&1 &
p=$!
wait_both 20000 "^holding n=$T" 1 threads
t_up=$(now_ms)
nft_drop "$K, $P"
opts_both
grep -q "^churned conns=$((T * ITER)) mismatch=0\$" "$E2E_TMP/k.out" ||
	fail "some connections had other options: $(grep churned "$E2E_TMP/k.out")"

judge_freed "$T threads blocked in read" "$t_up" dead "$k"
wait "$k" || fail "the threaded program failed: $(cat "$E2E_TMP/k.out")"
[ "$(lines "$E2E_TMP/k.out" '^thread .*errno=ETIMEDOUT')" -eq $T ] ||
	fail "not every thread got ETIMEDOUT: $(grep '^thread' "$E2E_TMP/k.out")"
check_log "$E2E_TMP/threads.klog" $T \
	"prog=e2e_net .*dir=out .*peer=127.0.0.1:$K error=ETIMEDOUT cause=keepalive"
judge_stuck "$T threads, without kashim" "$t_up" alive "$p"
[ "$(lines "$E2E_TMP/p.out" '^thread ')" -eq 0 ] ||
	fail "without kashim a thread returned"
pass
