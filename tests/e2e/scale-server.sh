#!/bin/sh
# Scale, server side: an epoll server under kashim holds 1,000 established
# clients (another process, not preloaded) that all vanish at once.  Every
# one is reaped within theory + margin: its established count (ss) returns
# to 0, with exactly 1,000 log lines.  The same server without kashim still
# holds all 1,000.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
NET=$E2E_PROGS/e2e_net
N=1000
K=7501
P=7502

KLOG=$E2E_TMP/server.klog
net_pair server
"$NET" clients 127.0.0.1 $K $N >"$E2E_TMP/ck.out" 2>&1 &
"$NET" clients 127.0.0.1 $P $N >"$E2E_TMP/cp.out" 2>&1 &
for port in $K $P; do
	wait_until 20000 est_is sport "$port" $N ||
		fail "the server on $port holds $(est_sport "$port") of $N"
done
t_up=$(now_ms)
nft_drop "$K, $P"

judge_freed "epoll server, $N clients vanish" "$t_up" est_is sport $K 0
wait_until 2000 has_lines "$E2E_TMP/k.out" '^error ' $N ||
	fail "the server saw $(lines "$E2E_TMP/k.out" '^error ') errors"
[ "$(lines "$E2E_TMP/k.out" '^error .*errno=ETIMEDOUT')" -eq $N ] ||
	fail "not all errors were ETIMEDOUT: $(grep -v ETIMEDOUT "$E2E_TMP/k.out")"
check_log "$KLOG" $N \
	"prog=e2e_net .*dir=in local=127.0.0.1:$K .*error=ETIMEDOUT cause=keepalive"
judge_stuck "epoll server, without kashim" "$t_up" est_is sport $P $N
pass
