#!/bin/sh
# hot-layout.sh MAP: the proof, from the link map of libkashim.so, that the
# per-connection code (KASHIM_HOT) and the state it reads (KASHIM_HOT_DATA)
# each ended up in one run of adjacent input sections, as kashim.h says
# and as the cost of connect depends on.  A section apart from the rest
# (a linker, flag or script that no longer groups them) fails the build,
# with the object it came from.
set -eu

map=$1
status=0
for name in .text.hot.kashim .data.hot.kashim; do
	# GNU ld prints an input section as its name on one line and
	# "address size object" on the next (or on the same line when the
	# name is short); a section of size 0 takes no room.
	runs=$(awk -v name="$name" '
		$1 == name && NF >= 4 { print $2, $3, $4; next }
		$1 == name { want = 1; next }
		want && $1 ~ /^0x/ { print $1, $2, $3 }
		{ want = 0 }' "$map" |
	       while read -r addr size obj; do
		       [ "$((size))" -gt 0 ] &&
			       printf '%d %d %s\n' "$addr" "$size" "$obj"
	       done |
	       sort -n |
	       awk -v name="$name" '
		# a gap of less than a cache line is alignment, not a split
		NR > 1 && $1 - end >= 64 {
			printf "libkashim: %s of %s is %d bytes past the previous one (%s)\n",
			       name, $3, $1 - end, prev
			bad = 1
		}
		NR == 1 { first = $1 }
		{ end = $1 + $2; prev = $3; n++ }
		END {
			if (n == 0) {
				printf "libkashim: no %s section in the link map\n", name
				exit 1
			}
			if (!bad)
				printf "libkashim: %s: %d sections, %d bytes in one run\n",
				       name, n, end - first
			exit bad
		}') || status=1
	printf '%s\n' "$runs"
done
exit "$status"
