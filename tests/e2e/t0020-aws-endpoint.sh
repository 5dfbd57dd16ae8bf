#!/usr/bin/env bash
# t0020-aws-endpoint - the AWS contract endpoint (tests/aws/endpoint: EBS
# direct APIs and EC2 from botocore's models, signatures checked with
# botocore's signer) cross-checked with boto3 and with unik's signer
# (sigv4.c through sigv4sign): the whole snapshot -> image -> instance flow,
# and the failures a client must see as the real services send them (bad
# signature, expired date, token, missing/unknown parameters, bad enums,
# wrong block and linear checksums, a block out of range, throttling, 5xx,
# dropped and slow replies retried by boto3, a restart with the state file).
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

# boto3 and sigv4.c against the endpoint (its own TAP lines, counted here)
out=$(SIGV4SIGN=$TOOLS/sigv4sign CROSSCHECK_NO_SUMMARY=1 "$PY" "$ROOT/tests/aws/endpoint/crosscheck.py" 2>&1)
rc=$?
echo "$out"
p=$(grep -c '^ok ' <<<"$out")
f=$(grep -c '^not ok ' <<<"$out")
CASES=$((CASES + p + f)) PASSED=$((PASSED + p)) FAILED=$((FAILED + f))
[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || not_ok "crosscheck.py exited $rc"

# lib.sh: started with a fault and a state file, on loopback only
check "lib.sh: awsep_start" awsep_start "$T" --state "$T/st.json" --fault DescribeImages:throttle:1
listening() { ss -Hltn "sport = :$AWSEP_PORT" | awk '{print $4}'; }
check "it listens on 127.0.0.1 only" test "$(listening)" = "127.0.0.1:$AWSEP_PORT"
check "the --fault rule is listed" grep -q '"op": "DescribeImages"' <<<"$(awsep_control faults)"
code=$(curl -s -o "$T/body" -w '%{http_code}' -d 'Action=DescribeImages&Version=2016-11-15' "$AWSEP_URL/")
check "an unsigned EC2 request: 401 AuthFailure" test "$code" = 401 -a -n "$(grep -o '<Code>AuthFailure</Code>' "$T/body")"
check "awsep_ops: the request logged" test "$(awsep_ops)" = DescribeImages
check "awsep_control POST" eval 'awsep_control console "{\"id\": \"ami-0123456789abcdef0\", \"text\": \"x\"}" >/dev/null'
awsep_stop
check "stopped: the state file holds the console text" grep -q 'ami-0123456789abcdef0' "$T/st.json"
finish
