#!/usr/bin/env bash
# t0020-aws-endpoint - the AWS contract endpoint (tests/aws/endpoint: EBS
# direct APIs and EC2 from botocore's models, signatures checked with
# botocore's signer) cross-checked with boto3 and with unik's signer
# (sigv4.c through sigv4sign): the whole snapshot -> image -> instance flow,
# and the failures a client must see as the real services send them (bad
# signature, expired date, token, missing/unknown parameters, bad enums,
# wrong block and linear checksums, a block out of range, throttling, 5xx,
# dropped and slow replies retried by boto3, a restart with the state file),
# and its protocol code round-tripped through botocore's serializers and
# parsers for every operation of both models.
# Then tests/aws/endpoint/lib.sh as shell tests use it.  Only 127.0.0.1;
# Debian's /usr/bin/python3 with python3-botocore and python3-boto3.
. "$(dirname "$0")/../lib/harness.sh"
. "$ROOT/tests/aws/endpoint/lib.sh"
PY=/usr/bin/python3
awsep_usable || skip "/usr/bin/python3 with python3-botocore, or curl, is not installed (scripts/install-deps)"
"$PY" -c 'import boto3' 2>/dev/null || skip "python3-boto3 is not installed (scripts/install-deps)"
need_built "$TOOLS/sigv4sign"
T=$(mktemp -d /tmp/unik-t0020.XXXXXX)
trap 'awsep_stop; rm -rf "$T"' EXIT

# Python parts print their own TAP lines, counted here
tap() { # NAME COMMAND...
	local name=$1 out rc p f
	shift
	out=$("$@" 2>&1)
	rc=$?
	echo "$out"
	p=$(grep -c '^ok ' <<<"$out")
	f=$(grep -c '^not ok ' <<<"$out")
	CASES=$((CASES + p + f)) PASSED=$((PASSED + p)) FAILED=$((FAILED + f))
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || not_ok "$name exited $rc"
}
# the protocol code against botocore's serializer and parser, every operation
ROUNDTRIP_FIRST=1 tap roundtrip.py "$PY" "$ROOT/tests/aws/endpoint/roundtrip.py"
# boto3 and sigv4.c against the endpoint
SIGV4SIGN=$TOOLS/sigv4sign CROSSCHECK_NO_SUMMARY=1 tap crosscheck.py "$PY" "$ROOT/tests/aws/endpoint/crosscheck.py"

# lib.sh: started with a fault and a state file, on loopback only
check "lib.sh: awsep_start" awsep_start "$T" --state "$T/st.json" --fault DescribeImages:throttle:1
listening() { ss -Hltn "sport = :$AWSEP_PORT" | awk '{print $4}'; }
check "it listens on 127.0.0.1 only" test "$(listening)" = "127.0.0.1:$AWSEP_PORT"
check "the --fault rule is listed" grep -q '"op": "DescribeImages"' <<<"$(awsep_control faults)"
code=$(curl -s -o "$T/body" -w '%{http_code}' -d 'Action=DescribeImages&Version=2016-11-15' "$AWSEP_URL/")
check "an unsigned EC2 request: 401 AuthFailure" test "$code" = 401 -a -n "$(grep -o '<Code>AuthFailure</Code>' "$T/body")"
hdr=$(curl -s -o /dev/null -D - "$AWSEP_URL/snapshots/snap-0123456789abcdef0/blocks" | tr -d '\r')
check "an unsigned EBS request: 403 MissingAuthenticationTokenException" \
	grep -q '^x-amzn-ErrorType: MissingAuthenticationTokenException' <<<"$hdr"
check "awsep_ops: the requests logged" test "$(awsep_ops | tr '\n' ' ')" = "DescribeImages ListSnapshotBlocks "
check "awsep_control POST" eval 'awsep_control console "{\"id\": \"ami-0123456789abcdef0\", \"text\": \"x\"}" >/dev/null'
awsep_stop
check "stopped: the state file holds the console text" grep -q 'ami-0123456789abcdef0' "$T/st.json"
finish
