# harness.sh - what every test suite shares (tests/*/run-tests and the
# end-to-end tests through tests/lib/e2e.sh): counting cases, checks, skips,
# the summary line tests/run-tests reads, and where the built helpers are.
#
#   . tests/lib/harness.sh       (from the top of the tree)
#   check "title" COMMAND...     a case: passes when COMMAND succeeds
#   skip_case "why"              a case that cannot run here, with the reason
#   skip "why"                   the whole suite cannot run here (exit 77)
#   finish                       the summary; exits 0 when nothing failed
#
# Cases print TAP lines ("ok N - title", "not ok N - title"); a skipped case
# prints "SKIP: title: why".  The summary is "P passed, F failed, S skipped".
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# cbuild, provrun, benchrun (tests/tests.mk), built with the daemon's variant
TOOLS=${UNIK_TEST_TOOLS:-$ROOT/build/asan/tests}
CASES=0 PASSED=0 FAILED=0 SKIPPED=0

ok() {
	CASES=$((CASES + 1)) PASSED=$((PASSED + 1))
	echo "ok $CASES - $*"
}
not_ok() {
	CASES=$((CASES + 1)) FAILED=$((FAILED + 1))
	echo "not ok $CASES - $*"
}
check() { # check TITLE COMMAND...
	local title=$1
	shift
	if "$@"; then ok "$title"; else not_ok "$title"; fi
}
skip_case() { # skip_case "title: why"
	SKIPPED=$((SKIPPED + 1))
	echo "SKIP: $*"
}
skip() { # skip "why": the suite cannot run here
	echo "SKIP: $*"
	exit 77
}
finish() {
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ]
	exit
}
need_tools() { # need_tools CMD...: skips the suite when one is missing
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || skip "$t is not installed (scripts/install-deps)"
	done
}
# The helpers must be built (make test builds them): a missing one is a
# failure of the build, not a reason to skip.
need_built() { # need_built PATH...
	local p
	for p in "$@"; do
		[ -x "$p" ] || { echo "not built: $p (make VARIANT=asan test-tools)"; exit 1; }
	done
}

# enc STRING: a word encoded for the guest's boot command line
# (abi/boot.h), by the encoder built from that header.
enc() { "$TOOLS/bootword" "$1"; }
# args WORD...: unik.arg= words for the program's arguments.
args() {
	local w
	for w in "$@"; do printf ' unik.arg=%s' "$(enc "$w")"; done
}
