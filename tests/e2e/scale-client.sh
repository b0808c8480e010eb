#!/bin/sh
# Scale, client side: one process under kashim with 1,000 idle connections
# (epoll on all of them) to a server that vanishes gets every one back as
# ETIMEDOUT, with exactly 1,000 log lines.  The same client without kashim
# gets none.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
NET=$E2E_PROGS/e2e_net
N=1000
K=7601
P=7602

net_servers $K $P
KLOG=$E2E_TMP/clients.klog
preloaded "$NET" clients 127.0.0.1 $K $N >"$E2E_TMP/k.out" 2>&1 &
k=$!
"$NET" clients 127.0.0.1 $P $N >"$E2E_TMP/p.out" 2>&1 &
p=$!
wait_both 20000 "^connected n=$N" 1 "clients did not connect"
t_up=$(now_ms)
nft_drop "$K, $P"
opts_both

judge_freed "client, $N connections to a vanished server" "$t_up" dead "$k"
wait "$k" || fail "the client failed: $(tail -n 3 "$E2E_TMP/k.out")"
has_lines "$E2E_TMP/k.out" "^all-failed n=$N" 1 || fail "not all failed"
[ "$(lines "$E2E_TMP/k.out" '^error .*errno=ETIMEDOUT')" -eq $N ] ||
	fail "not all errors were ETIMEDOUT"
check_log "$KLOG" $N \
	"prog=e2e_net .*dir=out .*peer=127.0.0.1:$K error=ETIMEDOUT cause=keepalive"
judge_stuck "client, $N connections, without kashim" "$t_up" alive "$p"
[ "$(lines "$E2E_TMP/p.out" '^error ')" -eq 0 ] ||
	fail "without kashim some connections failed"
pass
