#!/usr/bin/env bash
# t0019-sigv4-botocore - providers/aws/sigv4.c (through tests/tools/sigv4sign)
# against botocore's own signer (Debian python3-botocore) for the requests the
# aws provider makes: the EC2 query API with a session token, an EBS direct
# PutSnapshotBlock with a binary body, S3 with UNSIGNED-PAYLOAD and an
# already-encoded path, presigned URLs.  Nothing goes on the network.
. "$(dirname "$0")/../lib/harness.sh"
need_tools python3
python3 -c 'import botocore.auth' 2>/dev/null || skip "python3-botocore is not installed"
need_built "$TOOLS/sigv4sign"
export TOOLS
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
python3 - <<'PY'
import datetime, os, subprocess, sys, tempfile
from unittest import mock
from urllib.parse import parse_qsl, urlsplit
import botocore.auth as A
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

WHEN = datetime.datetime(2026, 12, 1, 12, 30, 45)
EPOCH = str(int(WHEN.replace(tzinfo=datetime.timezone.utc).timestamp()))
n = failed = 0

def ok(cond, title, detail=""):
    global n, failed
    n += 1
    if not cond:
        failed += 1
        print("not ok %d - %s\n# %s" % (n, title, detail.replace("\n", "\n# ")))
    else:
        print("ok %d - %s" % (n, title))

def ours(args, body=None):
    cmd = [os.environ["TOOLS"] + "/sigv4sign", "-t", EPOCH] + args
    with tempfile.NamedTemporaryFile() as f:
        if body is not None:
            f.write(body); f.flush()
            cmd[1:1] = ["-b", f.name]
        out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        return {"error": out.stderr}
    res = {}
    for line in out.stdout.splitlines():
        if line.startswith("?"):
            res["?"] = line[1:]
        else:
            k, v = line.split(": ", 1)
            res[k.lower()] = v
    return res

def boto(signer, method, url, headers, body=b"", context=None):
    req = AWSRequest(method=method, url=url, headers=headers, data=body)
    req.context.update(context or {})
    with mock.patch.object(A, "get_current_datetime", return_value=WHEN):
        signer.add_auth(req)
    return req

def hflags(headers):
    return sum([["-H", "%s: %s" % kv] for kv in headers.items()], [])

cred = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
tcred = Credentials(cred.access_key, cred.secret_key, "FQoGZXIvYXdzEXAMPLE//token+/=")

# EC2 query API: form body, session token.
body = b"Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3Aunik&Filter.1.Value.1=x"
h = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
b = boto(A.SigV4Auth(tcred, "ec2", "eu-west-1"), "POST", "https://ec2.eu-west-1.amazonaws.com/", dict(h), body)
o = ours(["-r", "eu-west-1", "-s", "ec2", "-T", tcred.token] + hflags(dict(h, Host="ec2.eu-west-1.amazonaws.com")) + ["POST", "/"], body)
ok(o.get("authorization") == b.headers["Authorization"], "EC2 POST with a session token", "%s\n%s" % (o, b.headers["Authorization"]))
ok(o.get("x-amz-security-token") == tcred.token, "token header added")

# EBS direct PutSnapshotBlock: binary body, its checksum headers.
block = bytes(range(256)) * 2048
h = {"Content-Type": "application/octet-stream", "x-amz-Data-Length": str(len(block)),
     "x-amz-Checksum": "abc+/=", "x-amz-Checksum-Algorithm": "SHA256"}
url = "https://ebs.us-east-2.amazonaws.com/snapshots/snap-0123456789abcdef0/blocks/7"
b = boto(A.SigV4Auth(cred, "ebs", "us-east-2"), "PUT", url, dict(h), block)
o = ours(["-r", "us-east-2", "-s", "ebs"] + hflags(dict(h, Host="ebs.us-east-2.amazonaws.com")) + ["PUT", urlsplit(url).path], block)
ok(o.get("authorization") == b.headers["Authorization"], "EBS PutSnapshotBlock (512 KiB body)", "%s\n%s" % (o, b.headers["Authorization"]))

# EBS ListSnapshotBlocks: query parameters, unsorted and encoded.
url = "https://ebs.us-east-2.amazonaws.com/snapshots/snap-1/blocks?pageToken=a%2Bb%3D&maxResults=100&startingBlockIndex=0"
b = boto(A.SigV4Auth(cred, "ebs", "us-east-2"), "GET", url, {})
u = urlsplit(url)
o = ours(["-r", "us-east-2", "-s", "ebs", "-H", "Host: " + u.netloc, "GET", u.path, u.query])
ok(o.get("authorization") == b.headers["Authorization"], "EBS GET with a query", "%s\n%s" % (o, b.headers["Authorization"]))

# S3 PUT: an encoded path kept as it is; the payload hashed, then not.
url = "https://unik-bucket.s3.us-east-1.amazonaws.com/dir/a%20b//c.raw"
b = boto(A.S3SigV4Auth(cred, "s3", "us-east-1"), "PUT", url, {}, b"data")
o = ours(["-s", "s3", "-3", "-c", "-H", "Host: unik-bucket.s3.us-east-1.amazonaws.com", "PUT", urlsplit(url).path], b"data")
ok(o.get("authorization") == b.headers["Authorization"], "S3 PUT, payload hashed, encoded path", "%s\n%s" % (o, b.headers["Authorization"]))
ok(o.get("x-amz-content-sha256") == b.headers["X-Amz-Content-SHA256"], "x-amz-content-sha256 as botocore's")
b = boto(A.S3SigV4Auth(cred, "s3", "us-east-1"), "PUT", url, {}, b"data", {"client_config": Config(s3={"payload_signing_enabled": False})})
o = ours(["-s", "s3", "-3", "-u", "-c", "-H", "Host: unik-bucket.s3.us-east-1.amazonaws.com", "PUT", urlsplit(url).path], b"data")
ok(b.headers.get("X-Amz-Content-SHA256") == "UNSIGNED-PAYLOAD", "botocore used UNSIGNED-PAYLOAD", str(dict(b.headers)))
ok(o.get("authorization") == b.headers["Authorization"], "S3 PUT, UNSIGNED-PAYLOAD, encoded path", "%s\n%s" % (o, b.headers["Authorization"]))

# Presigned: S3 GET (UNSIGNED-PAYLOAD), with a token.
def presigned(signer, url, args):
    b = boto(signer, "GET", url, {})
    u = urlsplit(url)
    o = ours(args + ["-H", "Host: " + u.netloc, "GET", u.path] + ([u.query] if u.query else []))
    bq = dict(parse_qsl(urlsplit(b.url).query))
    oq = dict(parse_qsl(o.get("?", "")))
    return bq, oq, o

bq, oq, o = presigned(A.S3SigV4QueryAuth(tcred, "s3", "us-east-1", expires=900),
                      "https://unik-bucket.s3.us-east-1.amazonaws.com/k/disk.raw?versionId=3",
                      ["-s", "s3", "-3", "-u", "-T", tcred.token, "-p", "900"])
ok(bq == oq and "X-Amz-Signature" in oq, "S3 presigned GET with a token", "%s\n%s" % (o, bq))
# EC2 presigned (as CopySnapshot's PresignedUrl): the query API in the URL.
bq, oq, o = presigned(A.SigV4QueryAuth(cred, "ec2", "us-west-2", expires=3600),
                      "https://ec2.us-west-2.amazonaws.com/?Action=CopySnapshot&SourceRegion=us-west-2&SourceSnapshotId=snap-1&DestinationRegion=eu-west-1&Version=2016-11-15",
                      ["-r", "us-west-2", "-s", "ec2", "-p", "3600"])
ok(bq == oq and "X-Amz-Signature" in oq, "EC2 presigned CopySnapshot URL", "%s\n%s" % (o, bq))
print("%d passed, %d failed, 0 skipped" % (n - failed, failed))
sys.exit(1 if failed else 0)
PY
