#!/bin/sh
# A daemon under kashim: it connects once (kashim's watcher starts,
# KASHIM_WATCH=1), double-forks, setsid()s, closes every descriptor up to
# its limit, then holds one idle connection.  kashim must survive all that:
# options on the new socket, the dead peer seen and logged once (to a file:
# the daemon's stderr is /dev/null).  The same daemon without kashim stays
# blocked.  The daemons leave the case's process group: the EXIT trap
# kills them by pid.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
NET=$E2E_PROGS/e2e_net
K=7901
P=7902

net_servers $K $P
KLOG=$E2E_TMP/daemon.klog EXTRA_ENV=KASHIM_WATCH=1 \
	preloaded "$NET" daemon 127.0.0.1 $K "$E2E_TMP/k.status" &
wait $! || fail "the daemon (kashim) did not start"
"$NET" daemon 127.0.0.1 $P "$E2E_TMP/p.status" || fail "daemon (plain)"
for f in k p; do
	wait_until 5000 has_lines "$E2E_TMP/$f.status" '^daemon pid=' 1 ||
		fail "the daemon ($f) did not report"
	E2E_PIDS="$E2E_PIDS $(sed -n 's/^daemon pid=\([0-9]*\).*/\1/p' \
		"$E2E_TMP/$f.status")"
done
wait_until 5000 est_is dport $K 1 || fail "the daemon (kashim) is not connected"
wait_until 5000 est_is dport $P 1 || fail "the daemon (plain) is not connected"
t_up=$(now_ms)
nft_drop "$K, $P"
grep -q "^daemon pid=[0-9]* opts $OPTS_WANT\$" "$E2E_TMP/k.status" ||
	fail "options in the daemon: $(cat "$E2E_TMP/k.status")"
grep -q '^daemon pid=[0-9]* opts keepalive=0 ' "$E2E_TMP/p.status" ||
	fail "without kashim: $(cat "$E2E_TMP/p.status")"

judge_freed "daemonized program" "$t_up" \
	has_lines "$E2E_TMP/k.status" '^daemon-done ' 1
grep -q '^daemon-done .*errno=ETIMEDOUT' "$E2E_TMP/k.status" ||
	fail "the daemon: $(cat "$E2E_TMP/k.status")"
dpid=$(sed -n 's/^daemon pid=\([0-9]*\).*/\1/p' "$E2E_TMP/k.status")
check_log "$E2E_TMP/daemon.klog" 1 "prog=e2e_net .*dir=out .*error=ETIMEDOUT"
grep -q "^kashim\[$dpid\]: " "$E2E_TMP/daemon.klog" ||
	fail "the line is not the daemon's (pid $dpid)"
judge_stuck "daemonized program, without kashim" "$t_up" \
	count_is "$E2E_TMP/p.status" '^daemon-done ' 0
pass
