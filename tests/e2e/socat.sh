#!/bin/sh
# socat as the client, blocked reading an idle connection (socat -u: it only
# reads); its server vanishes.  Log: one line, dir=out, from socat itself.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need socat socat

K=7101
P=7102
sink_servers $K $P

KLOG=$E2E_TMP/socat.klog
preloaded socat -u TCP:127.0.0.1:$K STDOUT 2>"$E2E_TMP/k.err" &
k=$!
socat -u TCP:127.0.0.1:$P STDOUT 2>"$E2E_TMP/p.err" &
p=$!
wait_until 5000 est_is dport $K 1 || fail "socat (kashim) did not connect"
wait_until 5000 est_is dport $P 1 || fail "socat (plain) did not connect"
t_up=$(now_ms)
nft_drop "$K, $P"

judge_freed "socat client" "$t_up" dead "$k"
wait "$k"
rc=$?
[ "$rc" -ne 0 ] || fail "socat exited 0 after its peer died"
grep -q 'Connection timed out' "$E2E_TMP/k.err" ||
	fail "socat did not report ETIMEDOUT: $(cat "$E2E_TMP/k.err")"
echo "MEASURE: socat client: exit $rc: $(grep -v '^kashim' "$E2E_TMP/k.err")"
check_log "$KLOG" 1 "prog=socat .*dir=out .*error=ETIMEDOUT cause=keepalive"
echo "MEASURE: socat client: log age=$(log_age "$KLOG")"
judge_stuck "socat client, without kashim" "$t_up" alive "$p"
pass
