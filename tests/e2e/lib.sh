# shellcheck shell=sh
# kashim e2e — helpers sourced by every tests/e2e/*.sh case.
#
# A case starts real programs with kashim preloaded ("K") and the same
# programs without it ("P") side by side on loopback, makes the peers of
# both vanish at once with an nftables drop, and then judges:
#   K must see its peer declared dead within THEORY_MS + MARGIN_MS (and not
#     before THEORY_MS - EARLY_MS), with exactly the kashim log lines due;
#   P must still be stuck at THEORY_MS + MARGIN_MS.
# It prints "MEASURE: ..." lines (the figures for docs/demo.md), "FAIL: ..."
# and exit 1 on the first broken expectation, "PASS" and exit 0 at the end.
#
# Each case enters a network namespace of its own (unshare -n, lo up)
# unless E2E_IN_NETNS=1 says it is already in a fresh one; check_e2e runs
# several cases at once, each so isolated.  By hand:
#   KASHIM_TESTLIB=$PWD/build/libkashim.so E2E_PROGS=$PWD/build/tests/progs \
#     sh tests/e2e/socat.sh
# Every wait is bounded; the EXIT trap kills whatever the case started.

E2E_DIR=${E2E_DIR:-$(dirname "$0")}
if [ "${E2E_IN_NETNS-}" != 1 ]; then
	# The case must lead its own process group (see e2e_cleanup): it
	# does when started by check_e2e (which kills that group when a case
	# overruns its bound); by hand, setsid -w makes it so.
	if [ "$(ps -o pgid= -p $$ | tr -d ' ')" = "$$" ]; then
		E2E_IN_NETNS=1 exec unshare -n -- sh "$0" "$@"
	fi
	E2E_IN_NETNS=1 exec unshare -n -- setsid -w sh "$0" "$@"
fi
: "${KASHIM_TESTLIB:?KASHIM_TESTLIB must name the built libkashim.so}"
: "${E2E_PROGS:?E2E_PROGS must name build/tests/progs}"
if [ -z "${E2E_TMP-}" ]; then
	E2E_TMP=$(mktemp -d) || exit 1
	E2E_OWN_TMP=1
fi
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

IDLE=2
INTVL=1
CNT=3
THEORY_MS=$(((IDLE + INTVL * CNT) * 1000))
# The options these settings put on a connection, as e2e_net prints them.
OPTS_WANT="keepalive=1 idle=$IDLE intvl=$INTVL cnt=$CNT user_timeout=$THEORY_MS"
MARGIN_MS=3000  # late allowance: timers, a loaded 2-core CI machine
EARLY_MS=500    # the kernel's idle clock starts before the case's does
E2E_PIDS=""     # extra pids to kill (daemons, in their own session)

e2e_cleanup() {
	for p in $E2E_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	# Everything else the case started is in its process group (the test
	# gives each case one); never signal a group that is not ours.
	if [ "$(ps -o pgid= -p $$ | tr -d ' ')" = "$$" ]; then
		trap '' TERM
		kill -TERM 0 2>/dev/null
	fi
	if [ "${E2E_OWN_TMP-}" = 1 ]; then
		rm -rf "$E2E_TMP"
	fi
}
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

ip link set lo up || { echo "FAIL: cannot bring lo up"; exit 1; }

now_ms() { date +%s%3N; }

fail() {
	echo "FAIL: $*"
	exit 1
}

pass() {
	echo "PASS"
	exit 0
}

# need COMMAND PACKAGE
need() {
	command -v "$1" >/dev/null 2>&1 ||
		fail "$1 not found: install Debian package $2 (scripts/deps)"
}

# Only as "preloaded CMD ARGS... &": the background subshell becomes CMD
# (so $! is its pid), with kashim and the case's settings; KLOG is the
# KASHIM_LOG sink, EXTRA_ENV more NAME=value words (may be empty).
preloaded() {
	# shellcheck disable=SC2086 # EXTRA_ENV is a list of NAME=value words
	exec env LD_PRELOAD="$KASHIM_TESTLIB" KASHIM_IDLE=$IDLE \
		KASHIM_INTVL=$INTVL KASHIM_CNT=$CNT KASHIM_LOG="${KLOG:-off}" \
		${EXTRA_ENV-} "$@"
}

alive() { kill -0 "$1" 2>/dev/null; }

# wait_until MS COMMAND...: poll COMMAND every 0.1 s; 1 when MS ran out.
wait_until() {
	wu_end=$(($(now_ms) + $1))
	shift
	while ! "$@"; do
		[ "$(now_ms)" -lt "$wu_end" ] || return 1
		sleep 0.1
	done
}

# Established TCP connections whose local (sport) or remote (dport) port is
# PORT, in this namespace.
est_sport() { ss -tnH state established "( sport = :$1 )" | wc -l; }
est_dport() { ss -tnH state established "( dport = :$1 )" | wc -l; }
is_listening() { [ "$(ss -tlnH "( sport = :$1 )" | wc -l)" -ge 1 ]; }
est_is() { [ "$(est_"$1" "$2")" -eq "$3" ]; }
dead() { ! alive "$1"; }
# lines FILE PATTERN: how many lines of FILE match (0 when no file).
lines() {
	if [ -f "$1" ]; then
		grep -c -e "$2" "$1" || true
	else
		echo 0
	fi
}
has_lines() { [ "$(lines "$1" "$2")" -ge "$3" ]; }
count_is() { [ "$(lines "$1" "$2")" -eq "$3" ]; }

# traffic PORT...: one line per established connection from or to these
# ports: its Send-Q (q=), unacknowledged segments (u=), bytes sent (s=) and
# received (r=), from ss -tni.
traffic() {
	tr_f=""
	for tr_p in "$@"; do
		tr_f="${tr_f:+$tr_f or }sport = :$tr_p or dport = :$tr_p"
	done
	ss -tniH state established "( $tr_f )" | awk '
		/^[0-9]/ { printf "%sq=%s", (n++ ? "\n" : ""), $2; next }
		{
			u = 0; s = 0; r = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^unacked:/) u = substr($i, 9)
				if ($i ~ /^bytes_sent:/) s = substr($i, 12)
				if ($i ~ /^bytes_received:/) r = substr($i, 16)
			}
			printf " u=%s s=%s r=%s", u, s, r
		}
		END { if (n) print "" }'
}

# settled PORT...: the connections are quiet: nothing unacknowledged either
# way (Send-Q 0, no unacked segment) and not a byte moved for half a
# second.  A drop while a login or request is still being answered would
# leave data unacknowledged, and then the user timeout, not keepalive,
# rightly ends the connection.
settled() {
	st_a=$(traffic "$@")
	[ -n "$st_a" ] || return 1
	case $st_a in
	*q=[1-9]* | *u=[1-9]*) return 1 ;;
	esac
	sleep 0.5
	[ "$(traffic "$@")" = "$st_a" ]
}

# quiet_since PORT...: when (now_ms clock) the connections last carried
# anything, by the kernel's own clocks (ss -tni lastsnd/lastrcv/lastack,
# ms ago): where their keepalive idle time starts.
quiet_since() {
	qs_f=""
	for qs_p in "$@"; do
		qs_f="${qs_f:+$qs_f or }sport = :$qs_p or dport = :$qs_p"
	done
	qs_now=$(now_ms)
	qs_ago=$(ss -tniH state established "( $qs_f )" | awk '
		{
			for (i = 1; i <= NF; i++)
				if ($i ~ /^last(snd|rcv|ack):/) {
					sub(/^[a-z]*:/, "", $i)
					print $i
				}
		}' | sort -n | head -n 1)
	echo $((qs_now - ${qs_ago:-0}))
}

# wait_quiet MS PORT...: until settled (or fail); then T_UP is when the
# connections last carried anything.
wait_quiet() {
	wq_ms=$1
	shift
	wait_until "$wq_ms" settled "$@" ||
		fail "connections on $* still busy after $wq_ms ms:
$(traffic "$@")"
	# shellcheck disable=SC2034 # read by the case
	T_UP=$(quiet_since "$@")
}

wait_listen() {
	wait_until 5000 is_listening "$1" || fail "nothing listens on port $1"
}

# net_servers PORT...: an e2e_net server (never preloaded, its output
# dropped) on each port, listening before this returns.
net_servers() {
	for ns_port in "$@"; do
		"$E2E_PROGS/e2e_net" server 127.0.0.1 "$ns_port" >/dev/null 2>&1 &
	done
	for ns_port in "$@"; do
		wait_listen "$ns_port"
	done
}

# net_pair MODE: e2e_net MODE 127.0.0.1 on port $K with kashim (output
# to $E2E_TMP/k.out, log to $KLOG) and on $P without it (p.out), both
# listening before this returns.
net_pair() {
	preloaded "$E2E_PROGS/e2e_net" "$1" 127.0.0.1 "$K" >"$E2E_TMP/k.out" 2>&1 &
	"$E2E_PROGS/e2e_net" "$1" 127.0.0.1 "$P" >"$E2E_TMP/p.out" 2>&1 &
	wait_listen "$K"
	wait_listen "$P"
}

# sink_servers PORT...: a socat on each port that accepts one connection
# and only reads it (into /dev/null), listening before this returns.
sink_servers() {
	for ss_port in "$@"; do
		socat -u TCP-LISTEN:"$ss_port",bind=127.0.0.1,reuseaddr \
			OPEN:/dev/null &
	done
	for ss_port in "$@"; do
		wait_listen "$ss_port"
	done
}

# wait_both MS PATTERN N WHAT: within MS, both $E2E_TMP/k.out (the program
# with kashim) and $E2E_TMP/p.out (without) have N lines matching PATTERN;
# else fail with WHAT and the output that has not.
wait_both() {
	for wb_f in k p; do
		wait_until "$1" has_lines "$E2E_TMP/$wb_f.out" "$2" "$3" ||
			fail "$4 ($wb_f): $(cat "$E2E_TMP/$wb_f.out")"
	done
}

# opts_both: the "opts" line the program printed with kashim (k.out) is
# OPTS_WANT; without kashim (p.out), keepalive is off.
opts_both() {
	grep -q "^opts $OPTS_WANT\$" "$E2E_TMP/k.out" ||
		fail "options read back: $(grep '^opts' "$E2E_TMP/k.out"), want $OPTS_WANT"
	grep -q '^opts keepalive=0 ' "$E2E_TMP/p.out" ||
		fail "without kashim: $(grep '^opts' "$E2E_TMP/p.out")"
}

# nft_drop "7001, 7002": every TCP segment from or to these ports is
# dropped at the input hook (on lo that silences both directions).
nft_drop() {
	nft -f - <<EOF || fail "nft could not install the drop rule"
table inet kashim_e2e {
	chain in {
		type filter hook input priority 0;
		tcp sport { $1 } drop
		tcp dport { $1 } drop
	}
}
EOF
}

# judge_freed LABEL T_UP COMMAND...: COMMAND (a condition, polled) must
# become true between T_UP + THEORY - EARLY and T_UP + THEORY + MARGIN.
# Prints the measure; sets FREED_MS.
judge_freed() {
	jf_label=$1
	jf_up=$2
	shift 2
	jf_left=$((jf_up + THEORY_MS + MARGIN_MS - $(now_ms)))
	[ "$jf_left" -gt 0 ] || jf_left=1
	if ! wait_until "$jf_left" "$@"; then
		echo "MEASURE: $jf_label: with kashim: NOT DETECTED after" \
			"$(($(now_ms) - jf_up)) ms (theory $THEORY_MS ms)"
		fail "$jf_label: with kashim still stuck past theory + margin"
	fi
	FREED_MS=$(($(now_ms) - jf_up))
	echo "MEASURE: $jf_label: with kashim: detected after $FREED_MS ms" \
		"(theory $THEORY_MS ms)"
	[ "$FREED_MS" -ge $((THEORY_MS - EARLY_MS)) ] ||
		fail "$jf_label: detected too early ($FREED_MS ms): not keepalive"
}

# judge_stuck LABEL T_UP COMMAND...: COMMAND (a condition) must still hold
# at T_UP + THEORY + MARGIN.  LABEL says which case (usually "..., without
# kashim").
judge_stuck() {
	js_label=$1
	js_up=$2
	shift 2
	js_left=$((js_up + THEORY_MS + MARGIN_MS - $(now_ms)))
	if [ "$js_left" -gt 0 ]; then
		sleep "$((js_left / 1000)).$(printf '%03d' $((js_left % 1000)))"
	fi
	"$@" || fail "$js_label: the peer's death was noticed: kashim is not" \
		"what frees the other case"
	echo "MEASURE: $js_label: still stuck after $(($(now_ms) - js_up)) ms"
}

# check_log FILE N PATTERN: FILE has exactly N lines, all "peer dead" lines
# matching PATTERN, no two for the same (pid, fd, local, peer).
check_log() {
	cl_all=$(wc -l <"$1" 2>/dev/null || echo 0)
	cl_ok=$(lines "$1" "peer dead .*$3")
	if [ "$cl_all" -ne "$2" ] || [ "$cl_ok" -ne "$2" ]; then
		fail "log $1: $cl_all lines, $cl_ok matching '$3', want $2:
$(head -n 5 "$1" 2>/dev/null)"
	fi
	cl_uniq=$(sed -E 's/ (error|cause|age)=.*//' "$1" | sort -u | wc -l)
	[ "$cl_uniq" -eq "$2" ] || fail "log $1: a connection logged twice"
	echo "MEASURE: log: $2 line(s), age $(log_ages "$1"), e.g.:" \
		"$(head -n 1 "$1")"
}

# The smallest and largest age= of a log: "5.0s..5.1s".
log_ages() {
	# shellcheck disable=SC2016 # sed's $ (last line), not the shell's
	sed -n 's/.* age=\([0-9.]*\)s.*/\1/p' "$1" | sort -n |
		sed -n '1h; ${H; x; s/\n/s../; s/$/s/; p; }'
}

# The log's age= of its first line (kernel-side detection time).
log_age() { sed -n '1s/.* age=\([0-9.]*s\).*/\1/p' "$1"; }
