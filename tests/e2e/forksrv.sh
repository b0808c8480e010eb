#!/bin/sh
# A forking server (one child per connection) under kashim: 20 clients
# vanish; every child reads ETIMEDOUT and exits, each logs its own line
# once (20 lines, 20 pids).  Children of the same server without kashim
# stay blocked.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
NET=$E2E_PROGS/e2e_net
N=20
K=7801
P=7802

KLOG=$E2E_TMP/forksrv.klog
net_pair forksrv
"$NET" clients 127.0.0.1 $K $N >/dev/null 2>&1 &
"$NET" clients 127.0.0.1 $P $N >/dev/null 2>&1 &
wait_both 10000 '^child pid=' $N forksrv
t_up=$(now_ms)
nft_drop "$K, $P"
[ "$(lines "$E2E_TMP/k.out" "^child pid=[0-9]* opts $OPTS_WANT\$")" -eq $N ] ||
	fail "options in the children: $(grep '^child' "$E2E_TMP/k.out")"
[ "$(lines "$E2E_TMP/p.out" '^child pid=[0-9]* opts keepalive=0 ')" -eq $N ] ||
	fail "without kashim: $(grep '^child' "$E2E_TMP/p.out")"

judge_freed "forking server, $N children" "$t_up" \
	has_lines "$E2E_TMP/k.out" '^child-done ' $N
[ "$(lines "$E2E_TMP/k.out" '^child-done .*errno=ETIMEDOUT')" -eq $N ] ||
	fail "not every child got ETIMEDOUT: $(grep child-done "$E2E_TMP/k.out")"
check_log "$E2E_TMP/forksrv.klog" $N \
	"prog=e2e_net .*dir=in local=127.0.0.1:$K .*error=ETIMEDOUT cause=keepalive"
pids=$(sed 's/^kashim\[\([0-9]*\)\].*/\1/' "$E2E_TMP/forksrv.klog" | sort -u |
	wc -l)
[ "$pids" -eq $N ] || fail "$pids processes logged, want one per child"
judge_stuck "forking server, without kashim" "$t_up" \
	count_is "$E2E_TMP/p.out" '^child-done ' 0
pass
