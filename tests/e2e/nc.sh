#!/bin/sh
# OpenBSD nc (netcat-openbsd), both ways, blocked reading (-d: never reads
# stdin) on an idle connection whose other end vanishes:
#   nc as the client (connect, dir=out), its server is socat;
#   nc -l as the server (accept, dir=in), its client is socat.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need nc netcat-openbsd
need socat socat
nc -h 2>&1 | grep -q OpenBSD || fail "nc is not OpenBSD netcat (netcat-openbsd)"

CK=7201 # nc client, kashim
CP=7202 # nc client, plain
SK=7203 # nc -l server, kashim
SP=7204 # nc -l server, plain
sink_servers $CK $CP
KLOG=$E2E_TMP/nc-l.klog
preloaded nc -d -l 127.0.0.1 $SK >/dev/null 2>"$E2E_TMP/sk.err" &
sk=$!
nc -d -l 127.0.0.1 $SP >/dev/null 2>"$E2E_TMP/sp.err" &
sp=$!
wait_listen $SK
wait_listen $SP

KLOG=$E2E_TMP/nc.klog
preloaded nc -d 127.0.0.1 $CK >/dev/null 2>"$E2E_TMP/ck.err" &
ck=$!
nc -d 127.0.0.1 $CP >/dev/null 2>"$E2E_TMP/cp.err" &
cp=$!
socat -u TCP:127.0.0.1:$SK OPEN:/dev/null &
socat -u TCP:127.0.0.1:$SP OPEN:/dev/null &
for port in $CK $CP $SK $SP; do
	wait_until 5000 est_is dport "$port" 1 || fail "no connection on $port"
done
wait_until 5000 est_is sport $SK 1 || fail "nc -l (kashim) did not accept"
wait_until 5000 est_is sport $SP 1 || fail "nc -l (plain) did not accept"
t_up=$(now_ms)
nft_drop "$CK, $CP, $SK, $SP"

judge_freed "nc client" "$t_up" dead "$ck"
wait "$ck"
echo "MEASURE: nc client: exit $?: $(grep -v '^kashim' "$E2E_TMP/ck.err")"
check_log "$E2E_TMP/nc.klog" 1 \
	"prog=nc .*dir=out .*peer=127.0.0.1:$CK error=ETIMEDOUT cause=keepalive"

judge_freed "nc -l server" "$t_up" dead "$sk"
wait "$sk"
echo "MEASURE: nc -l server: exit $?: $(grep -v '^kashim' "$E2E_TMP/sk.err")"
check_log "$E2E_TMP/nc-l.klog" 1 \
	"prog=nc .*dir=in local=127.0.0.1:$SK .*error=ETIMEDOUT cause=keepalive"

judge_stuck "nc client, without kashim" "$t_up" alive "$cp"
judge_stuck "nc -l server, without kashim" "$t_up" alive "$sp"
pass
