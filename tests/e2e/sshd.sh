#!/bin/sh
# An OpenSSH server under kashim; a logged-in client vanishes.  The sshd
# process that serves the connection must notice and exit.
#
# sshd's own liveness checks are off (TCPKeepAlive no, ClientAliveInterval
# 0, LoginGraceTime 0), so any difference is kashim's.  The client is ssh
# -N with a throwaway key (no command, an idle session), not preloaded.
# Three servers, each with one client:
#   K  sshd as it normally runs (it re-executes itself for each
#      connection): the connection process must exit in time
#   R  sshd -r (no re-exec): the same, plus the kashim log line from the
#      session process
#   P  sshd without kashim: its connection process is still there
# In K the accepted socket reaches the connection process through exec;
# kashim there adopts it when sshd first sets a TCP/IP option on it, so
# the line comes from that process too.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need sshd openssh-server
need ssh openssh-client
need ssh-keygen openssh-client
SSHD=$(command -v sshd)

K=7401
R=7402
P=7403
# Privilege separation needs its empty directory (the package's service
# creates it at boot; a container may not have it).
[ -d /run/sshd ] || mkdir -m 0755 /run/sshd ||
	fail "cannot create /run/sshd (sshd's privilege separation directory)"
ssh-keygen -q -t ed25519 -N '' -f "$E2E_TMP/hostkey" || fail "ssh-keygen"
ssh-keygen -q -t ed25519 -N '' -f "$E2E_TMP/userkey" || fail "ssh-keygen"
cp "$E2E_TMP/userkey.pub" "$E2E_TMP/authorized_keys"
chmod 644 "$E2E_TMP/authorized_keys"
chmod 755 "$E2E_TMP"
cat >"$E2E_TMP/sshd_config" <<EOF2
ListenAddress 127.0.0.1
HostKey $E2E_TMP/hostkey
AuthorizedKeysFile $E2E_TMP/authorized_keys
PidFile none
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
TCPKeepAlive no
ClientAliveInterval 0
LoginGraceTime 0
EOF2

KLOG=$E2E_TMP/k.klog
preloaded "$SSHD" -D -e -f "$E2E_TMP/sshd_config" -p $K 2>"$E2E_TMP/k.err" &
sk=$!
KLOG=$E2E_TMP/r.klog
preloaded "$SSHD" -D -e -r -f "$E2E_TMP/sshd_config" -p $R \
	2>"$E2E_TMP/r.err" &
sr=$!
"$SSHD" -D -e -f "$E2E_TMP/sshd_config" -p $P 2>"$E2E_TMP/p.err" &
sp=$!
for port in $K $R $P; do
	wait_listen "$port"
done

user=$(id -un)
for port in $K $R $P; do
	ssh -F /dev/null -i "$E2E_TMP/userkey" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o TCPKeepAlive=no -o ServerAliveInterval=0 -o LogLevel=ERROR \
		-N -p "$port" "$user@127.0.0.1" </dev/null 2>"$E2E_TMP/c.$port" &
done
for f in k r p; do
	wait_until 10000 has_lines "$E2E_TMP/$f.err" 'Accepted publickey' 1 ||
		fail "ssh login to sshd ($f) failed: $(cat "$E2E_TMP/$f.err")"
done
# The connection process of each server (its only child).
child() { pgrep -P "$1" | head -n 1; }
ck=$(child "$sk")
cr=$(child "$sr")
cp=$(child "$sp")
for c in "$ck" "$cr" "$cp"; do
	[ -n "$c" ] || fail "an sshd has no connection process"
done
E2E_PIDS="$ck $cr $cp"   # they setsid(): not in the case's process group
# "Accepted publickey" is logged while sshd still has post-login bytes on
# their way (ss showed Send-Q 412, unacked:1): dropping then leaves them
# unacknowledged and the user timeout, not keepalive, ends the connection.
# Drop only once every connection is quiet.
wait_quiet 10000 $K $R $P
t_up=$T_UP
nft_drop "$K, $R, $P"

judge_freed "sshd (re-exec, as run normally)" "$t_up" dead "$ck"
wait_until 2000 est_is sport $K 0 || fail "sshd (K) still has the connection"
check_log "$E2E_TMP/k.klog" 1 \
	"prog=sshd .*dir=in local=127.0.0.1:$K .*error=ETIMEDOUT cause=keepalive"
echo "MEASURE: sshd (re-exec): log age=$(log_age "$E2E_TMP/k.klog")"
judge_freed "sshd -r" "$t_up" dead "$cr"
wait_until 2000 est_is sport $R 0 || fail "sshd -r still has the connection"
check_log "$E2E_TMP/r.klog" 1 \
	"prog=sshd .*dir=in local=127.0.0.1:$R .*error=ETIMEDOUT cause=keepalive"
echo "MEASURE: sshd -r: log age=$(log_age "$E2E_TMP/r.klog")"

judge_stuck "sshd, without kashim" "$t_up" alive "$cp"
est_is sport $P 1 || fail "sshd without kashim lost its connection"
pass
