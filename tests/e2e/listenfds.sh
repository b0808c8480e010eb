#!/bin/sh
# A service started per connection the systemd way (Accept=yes): the
# connection is fd 3, named by LISTEN_FDS=1 and LISTEN_PID.  The service,
# `socat -u FD:3 OPEN:/dev/null`, only reads fd 3 and sets no socket
# option on it.  systemd-socket-activate -a plays systemd; the client
# (socat, not preloaded, sending nothing) vanishes.
#   K  with kashim (in the service only): socat exits in time; one line
#   P  without: socat is still there
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need systemd-socket-activate systemd
need socat socat

K=7511
P=7512
systemd-socket-activate -l 127.0.0.1:$K -a \
	-E "LD_PRELOAD=$KASHIM_TESTLIB" -E "KASHIM_IDLE=$IDLE" \
	-E "KASHIM_INTVL=$INTVL" -E "KASHIM_CNT=$CNT" \
	-E "KASHIM_LOG=$E2E_TMP/k.klog" \
	socat -u FD:3 OPEN:/dev/null 2>"$E2E_TMP/k.err" &
sk=$!
systemd-socket-activate -l 127.0.0.1:$P -a socat -u FD:3 OPEN:/dev/null \
	2>"$E2E_TMP/p.err" &
sp=$!
wait_listen $K
wait_listen $P
socat -u TCP:127.0.0.1:$K STDOUT >/dev/null 2>"$E2E_TMP/c.k" &
socat -u TCP:127.0.0.1:$P STDOUT >/dev/null 2>"$E2E_TMP/c.p" &

child() { pgrep -P "$1" -x socat | head -n 1; }
# shellcheck disable=SC2317 # called through wait_until
has_child() { [ -n "$(child "$1")" ]; }
wait_until 5000 has_child $sk || fail "no service under launcher (K)"
wait_until 5000 has_child $sp || fail "no service under launcher (P)"
ck=$(child $sk)
cp=$(child $sp)
tr '\0' '\n' <"/proc/$ck/environ" | grep -qx "LISTEN_PID=$ck" ||
	fail "the service was not given LISTEN_PID=$ck: the case is void"
ka_timer() {
	ss -tnoH state established "( sport = :$1 )" | grep -q 'keepalive'
}
# (Waited for, not required: without it the judging below says what is
# wrong, in behaviour.)
wait_until 5000 ka_timer $K ||
	echo "NOTE: the service's fd 3 has no keepalive"
! ka_timer $P || fail "the plain service has keepalive: the case is void"
# The connections have been idle since their handshake, maybe for a while
# already (the launchers, the checks above): the case starts where the
# kernel's idle clock does.
wait_quiet 5000 $K $P
t_up=$T_UP
nft_drop "$K, $P"

judge_freed "LISTEN_FDS=1 socat FD:3" "$t_up" dead "$ck"
check_log "$E2E_TMP/k.klog" 1 \
	"prog=socat fd=3 dir=in local=127.0.0.1:$K .*error=ETIMEDOUT cause=keepalive"
judge_stuck "LISTEN_FDS=1 socat FD:3, without kashim" "$t_up" alive "$cp"
est_is sport $P 1 || fail "the plain service lost its connection"
pass
