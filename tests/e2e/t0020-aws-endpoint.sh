#!/usr/bin/env bash
# t0020-aws-endpoint - the AWS contract endpoint (tests/aws/endpoint: EBS
# direct APIs and EC2 from botocore's models, signatures checked with
# botocore's signer) cross-checked with boto3: the whole snapshot -> image ->
# instance flow, and the failures a client must see as the real services
# send them (bad signature, expired date, token, missing/unknown parameters,
# bad enums, wrong block and linear checksums, a block out of range,
# throttling/5xx/dropped/slow replies retried by boto3, a restart with the
# state file).  Only 127.0.0.1; Debian's /usr/bin/python3 with
# python3-botocore and python3-boto3.
. "$(dirname "$0")/../lib/harness.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 is not installed"
"$PY" -c 'import botocore' 2>/dev/null || skip "python3-botocore is not installed (scripts/install-deps)"
"$PY" -c 'import boto3' 2>/dev/null || skip "python3-boto3 is not installed (scripts/install-deps)"
# unik's own signer (providers/aws/sigv4.c) against the endpoint too
need_built "$TOOLS/sigv4sign"
SIGV4SIGN=$TOOLS/sigv4sign exec "$PY" "$ROOT/tests/aws/endpoint/crosscheck.py"
