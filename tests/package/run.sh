#!/bin/sh
# tests/package/run.sh — the Debian packages as a user gets them:
#
#   1. make deb: built from a clean copy of the tree (it installs what it
#      lacks first)
#   2. lintian on the .changes: no error, no warning (its default level)
#   3. what the .debs promise: the VERSION file's version, the layout, and
#      neither the library nor the wrapper depending on libbpf
#   4. apt-get install -y ./build/*.deb
#   5. a real dead peer through the installed /usr/bin/kashim only (a clean
#      environment, no path of the checkout): in a private network
#      namespace a client blocked reading from a server the nftables rule
#      made dead is freed with ETIMEDOUT within IDLE + INTVL*CNT, with one
#      log line, while the same client without kashim is still stuck
#   6. apt-get purge: every file dpkg -L listed is gone, and every
#      directory it listed is gone or belongs to another package
#
# Root (apt, a network namespace, nft); without it the test is skipped, and
# says so.  It refuses to run where a kashim package is already installed,
# since it purges what it installed.  Ends with "package: N passed, N failed".
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
self=$top/tests/package/run.sh

IDLE=1
INTVL=1
CNT=2
THEORY=$((IDLE + INTVL * CNT))          # 3 s: when the peer must be dead
EARLY=0.5                               # freed no earlier than THEORY - this
SLACK=3                                 # and no later than THEORY + this
PORT=5555
# What the programs under test see: the system's directories only.
CLEAN_PATH=/usr/sbin:/usr/bin:/sbin:/bin
PKGS="libkashim kashim kashim-kernel"

passed=0
failed=0
ok() {
	passed=$((passed + 1))
	printf 'ok: %s\n' "$*"
}
bad() {
	failed=$((failed + 1))
	printf 'FAILED: %s\n' "$*"
}
check() { # check DESCRIPTION COMMAND...: ok when COMMAND succeeds
	what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
not() { ! "$@"; }
# tally LOG: show the ok:/FAILED: lines a subshell or loop wrote, count them.
tally() {
	cat "$1"
	passed=$((passed + $(grep -c '^ok: ' "$1")))
	failed=$((failed + $(grep -c '^FAILED: ' "$1")))
}
summary() {
	printf 'package: %d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ]
}
# A step the rest depends on failed: say so, clean up (the trap) and stop.
fatal() {
	bad "$*"
	summary
	exit 1
}

# Seconds since the epoch, with fractions; and A - B, A <= B on them.
now() { date +%s.%N; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# wait_for FILE TEXT SECONDS: until FILE contains TEXT, at most SECONDS.
wait_for() {
	end=$(awk -v n="$(now)" -v s="$3" 'BEGIN { printf "%.2f", n + s }')
	until grep -q -- "$2" "$1" 2>/dev/null; do
		le "$(now)" "$end" || return 1
		sleep 0.05
	done
}

# ---------------------------------------------------------- the dead peer

# The client: connects, says "up", blocks reading, and reports how its read
# ended and how long after the connect.
CLIENT='import errno, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t = time.monotonic()
print("up", flush=True)
try:
    d = s.recv(1)
    print("read returned %r after=%.2f" % (d, time.monotonic() - t), flush=True)
except OSError as e:
    print("error=%s after=%.2f" % (errno.errorcode.get(e.errno, e.errno),
          time.monotonic() - t), flush=True)'
# The server: accepts and keeps every connection, sending nothing.
SERVER='import socket, sys, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1])))
l.listen(8)
print("listening", flush=True)
keep = []
while True:
    keep.append(l.accept())'

# Runs inside `unshare -n` (a fresh network namespace: only its own
# loopback), in scratch directory $1.  Prints ok:/FAILED: lines only.
dead_peer() {
	d=$1
	pids=''
	trap 'for p in $pids; do kill -9 "$p" 2>/dev/null; done' EXIT
	ip link set lo up || { bad "loopback up in the namespace"; return; }
	nft -f - <<EOF || { bad "nft table in the namespace"; return; }
table inet kashim_pkg {
	chain input { type filter hook input priority 0; policy accept; }
}
EOF
	cd "$d" || return
	env -i PATH="$CLEAN_PATH" python3 -c "$SERVER" "$PORT" >server.out 2>&1 &
	pids="$pids $!"
	wait_for server.out listening 10 || { bad "server listening"; return; }

	env -i PATH="$CLEAN_PATH" /usr/bin/kashim --idle "$IDLE" \
		--intvl "$INTVL" --cnt "$CNT" --log stderr -- \
		python3 -c "$CLIENT" "$PORT" >kashim.out 2>kashim.err &
	kpid=$!
	env -i PATH="$CLEAN_PATH" python3 -c "$CLIENT" "$PORT" >plain.out 2>plain.err &
	plain=$!
	pids="$pids $kpid $plain"
	if ! wait_for kashim.out up 10 || ! wait_for plain.out up 10; then
		bad "both clients connected: $(cat kashim.err plain.err)"
		return
	fi
	lib=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/kashim/libkashim.so
	maps=$(grep -o '/[^ ]*libkashim[^ ]*' "/proc/$kpid/maps" | sort -u)
	check "the client under /usr/bin/kashim maps $lib, no other libkashim" \
		[ "$maps" = "$lib" ]
	check "the plain client maps no libkashim" \
		[ -z "$(grep libkashim "/proc/$plain/maps")" ]

	# The server vanishes: nothing of either connection gets through.
	if ! nft add rule inet kashim_pkg input tcp sport "$PORT" drop ||
		! nft add rule inet kashim_pkg input tcp dport "$PORT" drop; then
		bad "nft drop rules"
		return
	fi
	limit=$((THEORY + SLACK))
	if wait_for kashim.out 'error=\|read returned' "$limit"; then
		res=$(grep 'error=\|read returned' kashim.out)
		after=${res##*after=}
		low=$(minus "$THEORY" "$EARLY")
		if [ "${res%% *}" = error=ETIMEDOUT ] && le "$low" "$after" &&
			le "$after" "$limit"; then
			ok "under kashim: freed with ETIMEDOUT after $after s (theory $THEORY s, allowed $low..$limit)"
		else
			bad "under kashim: '$res' (want error=ETIMEDOUT after $low..$limit s): $(cat kashim.err)"
		fi
	else
		bad "under kashim: still blocked $limit s after the drop (theory $THEORY s): $(cat kashim.err)"
	fi
	if kill -0 "$plain" 2>/dev/null && ! grep -q 'error=\|read returned' plain.out; then
		ok "without kashim: still blocked at theory + $SLACK s"
	else
		bad "without kashim: the client did not stay blocked: $(cat plain.out)"
	fi
	lines=$(grep -c 'peer dead' kashim.err)
	line=$(grep 'peer dead' kashim.err)
	case $lines:$line in
	"1:kashim[$kpid]: peer dead prog=python3 fd="*" dir=out local=127.0.0.1:"*" peer=127.0.0.1:$PORT error=ETIMEDOUT cause=keepalive age="*)
		ok "one dead-peer line: $line" ;;
	*) bad "dead-peer log: $lines lines, want exactly one for pid $kpid: $(cat kashim.err)" ;;
	esac
}

if [ "${1-}" = --dead-peer ]; then
	dead_peer "$2"
	exit 0
fi

# ---------------------------------------------------------- outside

# dpkg's state of a package (installed, unpacked, config-files, ...), and
# whether dpkg has anything of it at all.
state() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null; }
known() { [ -n "$(state "$1")" ] && [ "$(state "$1")" != not-installed ]; }

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
	printf 'package: SKIP: needs root and apt-get (it installs and purges the packages)\n'
	exit 0
fi
for p in $PKGS; do
	if known "$p"; then
		printf 'package: %s is on this machine already (%s); this test installs and purges it: apt-get purge it first\n' "$p" "$(state "$p")" >&2
		exit 1
	fi
done

scratch=$(mktemp -d /tmp/kashim-package.XXXXXX) || exit 1
installed=''
cleanup() {
	if [ -n "$installed" ]; then
		# shellcheck disable=SC2086 # a list of package names
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $installed >/dev/null 2>&1
	fi
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

cd "$top" || exit 1
# What the netns part and the checks run need (python3, nft, ip, unshare).
sh scripts/deps || fatal "scripts/deps"
version=$(cat VERSION)

# 1. build
echo "== make deb"
make deb >"$scratch/make-deb.log" 2>&1 ||
	{ tail -n 30 "$scratch/make-deb.log"; fatal "make deb"; }
grep '^deb: ' "$scratch/make-deb.log"
debs=$(ls build/*.deb 2>/dev/null)
[ -n "$debs" ] || fatal "make deb left no build/*.deb"
ok "make deb: $(echo "$debs" | tr '\n' ' ')"

# 2. lintian
echo "== lintian"
changes=$(ls build/deb/*.changes)
if lintian --fail-on error,warning "$changes" >"$scratch/lintian.log" 2>&1 &&
	! grep -q '^[EW]: ' "$scratch/lintian.log"; then
	ok "lintian: no error, no warning ($changes)"
else
	cat "$scratch/lintian.log"
	bad "lintian"
fi

# 3. what the .debs say
echo "== the .deb files"
arch=$(dpkg --print-architecture)
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
deb() { printf 'build/%s_%s_%s.deb\n' "$1" "$version" "$arch"; }
field() { dpkg-deb -f "$(deb "$1")" "$2"; }
# has PACKAGE PATH: the .deb of PACKAGE holds /PATH.
has() { dpkg-deb -c "$(deb "$1")" | awk '{ print $6 }' | grep -qx "\./$2"; }
# says TEXT PATTERN: TEXT matches the extended regular expression.
says() { printf '%s\n' "$1" | grep -Eq -- "$2"; }
# A library on the linker's path: usr/lib/<triplet>/NAME.so*
public_so() { dpkg-deb -c "$(deb "$1")" | awk '{ print $6 }' | grep -q "^\./usr/lib/$triplet/[^/]*\.so"; }

for p in libkashim kashim; do
	[ -f "$(deb "$p")" ] || fatal "no $(deb "$p")"
done
pkgs="libkashim kashim"
[ ! -f "$(deb kashim-kernel)" ] || pkgs="$pkgs kashim-kernel"
for p in $pkgs; do
	check "$p: version $(field "$p" Version) is VERSION's ($version)" \
		[ "$(field "$p" Version)" = "$version" ]
	check "$p: /usr/share/doc/$p/copyright" has "$p" "usr/share/doc/$p/copyright"
	check "$p: /usr/share/doc/$p/changelog.gz" has "$p" "usr/share/doc/$p/changelog.gz"
done
for p in libkashim kashim; do
	check "$p does not depend on libbpf (Depends: $(field "$p" Depends))" \
		not says "$(field "$p" Depends)" libbpf
done
check "libkashim is Multi-Arch: same" [ "$(field libkashim Multi-Arch)" = same ]
check "libkashim: /usr/lib/$triplet/kashim/libkashim.so" \
	has libkashim "usr/lib/$triplet/kashim/libkashim.so"
check "libkashim: nothing on the linker's path (/usr/lib/$triplet/*.so*)" \
	not public_so libkashim
check "libkashim: libkashim(7)" has libkashim usr/share/man/man7/libkashim.7.gz
for f in usr/bin/kashim usr/libexec/kashim/kashim-settings \
	usr/share/man/man1/kashim.1.gz usr/share/doc/kashim/README.md.gz; do
	check "kashim: /$f" has kashim "$f"
done
check "kashim depends on libkashim (= $version)" \
	says "$(field kashim Depends)" "(^|, )libkashim \\(= $version\\)"
if [ "${pkgs#*kashim-kernel}" != "$pkgs" ]; then
	check "kashim-kernel: /usr/libexec/kashim/kashim-kernel" \
		has kashim-kernel usr/libexec/kashim/kashim-kernel
	check "kashim-kernel depends on libbpf (\${shlibs:Depends}: $(field kashim-kernel Depends))" \
		says "$(field kashim-kernel Depends)" libbpf
fi

# 4. install
echo "== apt-get install -y ./build/*.deb"
installed=$pkgs
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	-o DPkg::Lock::Timeout=600 ./build/*.deb >"$scratch/apt.log" 2>&1 ||
	{ cat "$scratch/apt.log"; fatal "apt-get install ./build/*.deb"; }
ok "apt-get install: $pkgs"
for p in $pkgs; do
	dpkg -L "$p" >"$scratch/$p.list" || fatal "dpkg -L $p"
done
cat "$scratch"/*.list >"$scratch/all.list"

check "installed: kashim --version prints 'kashim $version'" \
	[ "$(env -i PATH="$CLEAN_PATH" kashim --version)" = "kashim $version" ]
check "installed: the clean PATH finds /usr/bin/kashim" \
	[ "$(env -i PATH="$CLEAN_PATH" sh -c 'command -v kashim')" = /usr/bin/kashim ]
# The library and the wrapper's package never need libbpf: not in Depends
# (above) and not in any ELF file's NEEDED (dpkg-shlibdeps leaves a needed
# library out of Depends when no symbol of it is used).
elf() { [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }
needed() { objdump -p "$1" | awk '$1 == "NEEDED" { print $2 }' | tr '\n' ' '; }
# (In a subshell, as the loops below: tally counts what they print.)
(for p in libkashim kashim; do
	while read -r f; do
		{ [ -f "$f" ] && elf "$f"; } || continue
		check "installed $f needs no libbpf (NEEDED: $(needed "$f"))" \
			not says "$(needed "$f")" libbpf
	done <"$scratch/$p.list"
done) >"$scratch/needed.log"
grep -q "^[okFAILED]*: installed /usr/lib/$triplet/kashim/libkashim.so needs no libbpf" \
	"$scratch/needed.log" || echo "FAILED: libkashim.so's NEEDED not read" >>"$scratch/needed.log"
tally "$scratch/needed.log"
# runnable PROGRAM: executable, and every library it needs is found.
runnable() { [ -x "$1" ] && ldd "$1" >/dev/null && not says "$(ldd "$1")" 'not found'; }
grep '^/usr/libexec/kashim/.' "$scratch/all.list" | while read -r h; do
	check "installed helper $h: executable, every library found" runnable "$h"
done >"$scratch/helpers.log"
tally "$scratch/helpers.log"
# The installed wrapper looks for its helpers where the packages put them:
# one that is installed is run (whatever it then says about the missing
# PID), one that is not is named with that path.
for sub in adopt:kashim-adopt list:kashim-kernel; do
	h=/usr/libexec/kashim/${sub#*:}
	err=$(cd / && env -i PATH="$CLEAN_PATH" kashim "${sub%%:*}" 2>&1 >/dev/null)
	if [ -x "$h" ]; then
		check "installed: kashim ${sub%%:*} runs $h" not says "$err" 'which is not there'
	else
		check "installed: kashim ${sub%%:*} names the missing $h" \
			says "$err" "needs $h, which is not there \\(install the package"
	fi
done

# The installed wrapper judges its options with the installed
# kashim-settings: refused with exit 2 and the library's words.
err=$(cd / && env -i PATH="$CLEAN_PATH" kashim --nets 1:2:3:4:5:6:7 -- true 2>&1)
rc=$?
check "installed: kashim --nets 1:2:3:4:5:6:7 refused by kashim-settings (exit $rc: $err)" \
	[ "$rc:$err" = "2:kashim: KASHIM_NETS='1:2:3:4:5:6:7' is not valid (expected IPv4 or IPv6 addresses or prefixes separated by commas, like 10.0.0.0/8,fd00::/8, optionally led by ! to exclude them)" ]

# 5. the dead peer, through the installed wrapper
echo "== a dead peer through /usr/bin/kashim (idle $IDLE, intvl $INTVL, cnt $CNT: theory $THEORY s)"
mkdir "$scratch/netns"
unshare -n sh "$self" --dead-peer "$scratch/netns" >"$scratch/netns.log" 2>&1
tally "$scratch/netns.log"
grep -q '^ok: under kashim' "$scratch/netns.log" ||
	grep -q '^FAILED: under kashim' "$scratch/netns.log" ||
	bad "the dead-peer case did not run (unshare -n)"

# 6. purge: nothing left
echo "== apt-get purge"
# shellcheck disable=SC2086 # a list of package names
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq \
	-o DPkg::Lock::Timeout=600 $pkgs >"$scratch/purge.log" 2>&1 ||
	{ cat "$scratch/purge.log"; fatal "apt-get purge $pkgs"; }
installed=''
for p in $pkgs; do
	check "$p is purged" not known "$p"
done
# A path dpkg -L listed that is still there: left behind, unless it is a
# directory another package owns too (/usr, /usr/share/doc, ...).
left=$(while read -r f; do
	[ "$f" != /. ] || continue
	[ -e "$f" ] || [ -L "$f" ] || continue
	[ -d "$f" ] && dpkg -S "$f" >/dev/null 2>&1 && continue
	printf ' %s' "$f"
done <"$scratch/all.list")
check "after purge: none of the $(grep -cv '^/\.$' "$scratch/all.list") paths dpkg -L listed is left (directories of other packages aside)${left:+; left:$left}" \
	[ -z "$left" ]

summary
