#!/bin/sh
# curl waiting for an answer from an HTTP server that accepted the request
# and then vanished (its socat only reads: the request is acknowledged,
# never answered).
#
# curl sets keepalive itself by default (--keepalive-time 60: TCP_KEEPIDLE
# and TCP_KEEPINTVL 60 s), and kashim lets a program's own settings win.
# So the honest matrix is:
#   own     curl, kashim            curl's 60 s idle stays in force: NOT
#                                   freed within kashim's time (checked)
#   over    curl, KASHIM_OVERRIDE=1 kashim's values win: freed
#   nokeep  curl --no-keepalive     curl sets nothing, kashim does: freed
#   plain   curl, no kashim         stuck
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need curl curl
need socat socat

OWN=7301
OVER=7302
NOKEEP=7303
PLAIN=7304
for port in $OWN $OVER $NOKEEP $PLAIN; do
	socat -u TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr \
		"OPEN:$E2E_TMP/req.$port,creat" &
done
for port in $OWN $OVER $NOKEEP $PLAIN; do
	wait_listen "$port"
done

url() { echo "http://127.0.0.1:$1/"; }
KLOG=$E2E_TMP/own.klog
preloaded curl -sS -o /dev/null "$(url $OWN)" 2>"$E2E_TMP/own.err" &
own=$!
KLOG=$E2E_TMP/over.klog EXTRA_ENV=KASHIM_OVERRIDE=1 \
	preloaded curl -sS -o /dev/null "$(url $OVER)" 2>"$E2E_TMP/over.err" &
over=$!
KLOG=$E2E_TMP/nokeep.klog preloaded curl -sS --no-keepalive -o /dev/null \
	"$(url $NOKEEP)" 2>"$E2E_TMP/nokeep.err" &
nokeep=$!
curl -sS -o /dev/null "$(url $PLAIN)" 2>"$E2E_TMP/plain.err" &
plain=$!
for port in $OWN $OVER $NOKEEP $PLAIN; do
	wait_until 5000 has_lines "$E2E_TMP/req.$port" '^GET / HTTP' 1 ||
		fail "the request to port $port did not arrive"
done
# The request has arrived; its acknowledgement may not have (a delayed
# ACK): drop only once nothing is unacknowledged, or the user timeout
# would end curl's connection instead of keepalive.
wait_quiet 10000 $OWN $OVER $NOKEEP $PLAIN
t_up=$T_UP
nft_drop "$OWN, $OVER, $NOKEEP, $PLAIN"
# What the kernel holds for curl's own keepalive: timer:(keepalive,59sec,0)
echo "MEASURE: curl own settings: $(ss -tnoH state established \
	"( dport = :$OWN )" | grep -o 'timer:([^)]*)')"

# judge_curl NAME PID: freed in time, with curl's own error and one line.
judge_curl() {
	judge_freed "curl ($1)" "$t_up" dead "$2"
	wait "$2"
	rc=$?
	[ "$rc" -eq 56 ] || fail "curl ($1) exited $rc, want 56 (recv failure)"
	grep -q 'Connection timed out' "$E2E_TMP/$1.err" ||
		fail "curl ($1): $(cat "$E2E_TMP/$1.err")"
	echo "MEASURE: curl ($1): exit $rc: $(grep -v '^kashim' "$E2E_TMP/$1.err")"
	check_log "$E2E_TMP/$1.klog" 1 \
		"prog=curl .*dir=out .*error=ETIMEDOUT cause=keepalive"
	echo "MEASURE: curl ($1): log age=$(log_age "$E2E_TMP/$1.klog")"
}
judge_curl over "$over"
judge_curl nokeep "$nokeep"
judge_stuck "curl (own keepalive 60 s; kashim, no override)" \
	"$t_up" alive "$own"
judge_stuck "curl, without kashim" "$t_up" alive "$plain"
pass
