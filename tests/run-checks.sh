#!/bin/sh
# Runs each Check binary given as an argument, keeps going after a failure,
# and ends with one summary line over all of them:
#   checks: N passed, N failed, N skipped
# A test that could not run here (no root, no namespaces, a missing tool)
# prints one "SKIP: name: reason" line and returns; Check counts it as
# passed, so it is taken out of the passed count and counted apart: a run
# without root cannot look like a full pass.
# Exit status 1 when any check failed or any binary did not finish.
passed=0
failed=0
skipped=0
status=0
for bin in "$@"; do
	printf '== %s\n' "$bin"
	out=$(mktemp)
	# shellcheck disable=SC2086 # TEST_PREFIX is a command line on purpose
	${TEST_PREFIX} "$bin" >"$out" 2>&1
	rc=$?
	cat "$out"
	line=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$out" | tail -n 1)
	s=$(grep -c '^SKIP: ' "$out")
	rm -f "$out"
	if [ -z "$line" ]; then
		printf '%s: no Check summary (exit %s)\n' "$bin" "$rc"
		failed=$((failed + 1))
		status=1
		continue
	fi
	n=$(printf '%s\n' "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	f=$(printf '%s\n' "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	e=$(printf '%s\n' "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	passed=$((passed + n - f - e - s))
	skipped=$((skipped + s))
	failed=$((failed + f + e))
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ] || [ "$e" -ne 0 ]; then
		status=1
	fi
done
printf 'checks: %d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
exit "$status"
