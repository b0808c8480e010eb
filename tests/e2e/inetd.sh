#!/bin/sh
# inetd-style services born with their connection on stdin/stdout: a plain
# `cat` (it reads stdin, writes stdout, sets no socket option) run by
# systemd-socket-activate --inetd and by tcpserver (ucspi-tcp).  The client
# (socat, not preloaded, sending nothing) vanishes; the service must notice
# and exit.
#
# Only the service is preloaded, never the launcher (whose accept() kashim
# would otherwise configure): kashim must cover the connection at cat's
# start-up.  Two services of each kind, side by side:
#   SK, TK  with kashim: cat exits in time; one log line each, dir=in
#   SP, TP  without: cat is still there
#   TD      with kashim, KASHIM_DEBUG=1 and KASHIM_LOG=stderr, cat's stderr
#           being the connection (as under inetd): freed, and not a byte
#           of kashim's text reaches the client
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need systemd-socket-activate systemd
need tcpserver ucspi-tcp
need socat socat

SK=7501
SP=7502
TK=7503
TP=7504
TD=7505
KENV="LD_PRELOAD=$KASHIM_TESTLIB KASHIM_IDLE=$IDLE KASHIM_INTVL=$INTVL \
KASHIM_CNT=$CNT"

systemd-socket-activate -l 127.0.0.1:$SK --inetd -a \
	-E "LD_PRELOAD=$KASHIM_TESTLIB" -E "KASHIM_IDLE=$IDLE" \
	-E "KASHIM_INTVL=$INTVL" -E "KASHIM_CNT=$CNT" \
	-E "KASHIM_LOG=$E2E_TMP/sk.klog" cat 2>"$E2E_TMP/sk.err" &
ssk=$!
systemd-socket-activate -l 127.0.0.1:$SP --inetd -a cat \
	2>"$E2E_TMP/sp.err" &
ssp=$!
# shellcheck disable=SC2086 # KENV is a list of NAME=value words
tcpserver -H -R 127.0.0.1 $TK env $KENV KASHIM_LOG="$E2E_TMP/tk.klog" cat \
	2>"$E2E_TMP/tk.err" &
stk=$!
tcpserver -H -R 127.0.0.1 $TP cat 2>"$E2E_TMP/tp.err" &
stp=$!
# shellcheck disable=SC2086 # KENV is a list of NAME=value words
tcpserver -H -R 127.0.0.1 $TD env $KENV KASHIM_DEBUG=1 KASHIM_LOG=stderr \
	sh -c 'exec cat 2>&1' 2>"$E2E_TMP/td.err" &
std=$!
for port in $SK $SP $TK $TP $TD; do
	wait_listen "$port"
done
for port in $SK $SP $TK $TP $TD; do
	socat -u "TCP:127.0.0.1:$port" STDOUT >"$E2E_TMP/c.$port.out" \
		2>"$E2E_TMP/c.$port" &
done

# The service of each launcher (its only child), once it is cat.
child() { pgrep -P "$1" -x cat | head -n 1; }
# shellcheck disable=SC2317 # called through wait_until
has_child() { [ -n "$(child "$1")" ]; }
for s in $ssk $ssp $stk $stp $std; do
	wait_until 5000 has_child "$s" || fail "no cat under launcher $s"
done
cs=$(child $ssk)
cps=$(child $ssp)
ct=$(child $stk)
cpt=$(child $stp)
cd=$(child $std)
# The service's side of the connection carries a keepalive timer once
# kashim configured it, before cat's main() runs.
ka_timer() {
	ss -tnoH state established "( sport = :$1 )" | grep -q 'keepalive'
}
# (Waited for, not required: without it the judging below says what is
# wrong, in behaviour.)
wait_until 5000 ka_timer $SK ||
	echo "NOTE: systemd-socket-activate's cat: no keepalive on its connection"
wait_until 5000 ka_timer $TK ||
	echo "NOTE: tcpserver's cat: no keepalive on its connection"
wait_until 5000 ka_timer $TD ||
	echo "NOTE: tcpserver's cat (stderr the connection): no keepalive"
! ka_timer $SP || fail "the plain service has keepalive: the case is void"
# The connections have been idle since their handshake, maybe for a while
# already (the launchers, the checks above): the case starts where the
# kernel's idle clock does.
wait_quiet 5000 $SK $SP $TK $TP $TD
t_up=$T_UP
nft_drop "$SK, $SP, $TK, $TP, $TD"

judge_freed "systemd-socket-activate --inetd cat" "$t_up" dead "$cs"
check_log "$E2E_TMP/sk.klog" 1 \
	"prog=cat fd=[01] dir=in local=127.0.0.1:$SK .*error=ETIMEDOUT cause=keepalive"
judge_freed "tcpserver cat" "$t_up" dead "$ct"
check_log "$E2E_TMP/tk.klog" 1 \
	"prog=cat fd=[01] dir=in local=127.0.0.1:$TK .*error=ETIMEDOUT cause=keepalive"
judge_freed "tcpserver cat, stderr the connection" "$t_up" dead "$cd"
[ ! -s "$E2E_TMP/c.$TD.out" ] ||
	fail "kashim's text went into the connection: $(head -c 300 "$E2E_TMP/c.$TD.out")"
judge_stuck "systemd-socket-activate --inetd cat, without kashim" "$t_up" \
	alive "$cps"
judge_stuck "tcpserver cat, without kashim" "$t_up" alive "$cpt"
est_is sport $SP 1 || fail "the plain service lost its connection"
pass
