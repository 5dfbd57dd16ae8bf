# cross_auth.py - t0020, part 2: signatures (boto3, botocore-signed raw
# requests, unik's own sigv4.c) and hostile input.  Run by crosscheck.py.
import base64
import datetime
import hashlib
import json
import os
import time
import urllib.error


from xcheck import BLOCK, b64sha, clients, control, error, ok, ours, raw, refused


def run(c):
    url, sid = c["url"], c["sid"]
    # --- signatures --------------------------------------------------------------
    bad_ebs, bad_ec2 = clients(url, secret="wrong-secret")
    refused(
        lambda: bad_ebs.list_snapshot_blocks(SnapshotId=sid),
        403,
        "InvalidSignatureException",
        "EBS, wrong secret: 403 InvalidSignatureException",
    )
    refused(lambda: bad_ec2.describe_images(), 401, "AuthFailure", "EC2, wrong secret: 401 AuthFailure")
    old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    st, _, b = raw(
        url,
        "ec2",
        "POST",
        "/",
        b"Action=DescribeImages&Version=2016-11-15",
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        when=old,
    )
    ok(st == 400 and b"RequestExpired" in b, "EC2 signed 20 minutes ago: RequestExpired", (st, b))
    st, h, b = raw(
        url, "ebs", "POST", "/snapshots", b'{"VolumeSize":1}', {"Content-Type": "application/json"}, unsigned=True
    )
    ok(
        st == 403 and h.get("x-amzn-ErrorType") == "InvalidSignatureException",
        "UNSIGNED-PAYLOAD on StartSnapshot (a signed-body operation): 403",
        (st, h, b),
    )
    st, h, b = raw(
        url,
        "ebs",
        "POST",
        "/snapshots",
        b'{"VolumeSize":1}',
        {"Content-Type": "application/json"},
        extra_unsigned={"x-amz-Progress": "5"},
    )
    ok(st == 403, "an x-amz-* header sent but not signed: 403", (st, b))
    st, h, b = raw(
        url, "ebs", "POST", "/snapshots", b'{"VolumeSize":1,"Colour":"red"}', {"Content-Type": "application/json"}
    )
    ok(
        st == 400 and h.get("x-amzn-ErrorType") == "ValidationException" and b"Colour" in b,
        "EBS unknown body member: 400 ValidationException",
        (st, b),
    )
    st, _, b = raw(
        url,
        "ec2",
        "POST",
        "/",
        b"Action=DescribeImages&Version=2016-11-15&Colour=red",
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    ok(st == 400 and b"<Code>UnknownParameter</Code>" in b, "EC2 unknown parameter: UnknownParameter", (st, b))
    st, _, b = raw(
        url,
        "ec2",
        "POST",
        "/",
        b"Action=LaunchRockets&Version=2016-11-15",
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    ok(st == 400 and b"<Code>InvalidAction</Code>" in b, "EC2 unknown action: InvalidAction", (st, b))

    # --- unik's own signer (providers/aws/sigv4.c through tests/tools/sigv4sign)
    if os.environ.get("SIGV4SIGN"):
        sid2 = None
        st, h, b = ours(
            url,
            "ebs",
            "POST",
            "/snapshots",
            b'{"VolumeSize":1,"Description":"signed by sigv4.c"}',
            {"Content-Type": "application/json"},
        )
        if st == 201:
            sid2 = json.loads(b)["SnapshotId"]
        ok(st == 201 and sid2, "sigv4.c: EBS StartSnapshot accepted", (st, b))
        blk = bytes(range(256)) * 2048
        hdr = {
            "Content-Type": "application/octet-stream",
            "x-amz-Data-Length": str(BLOCK),
            "x-amz-Checksum": b64sha(blk),
            "x-amz-Checksum-Algorithm": "SHA256",
        }
        st, h, b = ours(url, "ebs", "PUT", "/snapshots/%s/blocks/9" % sid2, blk, hdr, unsigned=True)
        ok(
            st == 201 and h.get("x-amz-Checksum") == b64sha(blk),
            "sigv4.c: PutSnapshotBlock with UNSIGNED-PAYLOAD accepted",
            (st, b),
        )
        st, h, b = ours(url, "ebs", "PUT", "/snapshots/%s/blocks/10" % sid2, blk, hdr)
        ok(st == 201, "sigv4.c: PutSnapshotBlock with the body's SHA-256 accepted", (st, b))
        lin = base64.b64encode(hashlib.sha256(hashlib.sha256(blk).digest() * 2).digest()).decode()
        st, h, b = ours(
            url,
            "ebs",
            "POST",
            "/snapshots/completion/%s" % sid2,
            b"",
            {
                "x-amz-ChangedBlocksCount": "2",
                "x-amz-Checksum": lin,
                "x-amz-Checksum-Algorithm": "SHA256",
                "x-amz-Checksum-Aggregation-Method": "LINEAR",
            },
        )
        ok(st == 202 and json.loads(b).get("Status") == "completed", "sigv4.c: CompleteSnapshot accepted", (st, b))
        st, h, b = ours(
            url, "ebs", "GET", "/snapshots/%s/blocks" % sid2, b"", {}, query="startingBlockIndex=10&maxResults=100"
        )
        ok(
            st == 200 and [x["BlockIndex"] for x in json.loads(b)["Blocks"]] == [10],
            "sigv4.c: ListSnapshotBlocks with a query accepted",
            (st, b),
        )
        st, h, b = ours(
            url, "ebs", "GET", "/snapshots/%s/blocks" % sid2, b"", {}, query="pageToken=OQ==&maxResults=100"
        )
        ok(
            st == 200 and [x["BlockIndex"] for x in json.loads(b)["Blocks"]] == [9, 10],
            "sigv4.c: a query with '=' in a value sent unescaped, signed escaped",
            (st, b),
        )
        form = b"Action=DescribeSnapshots&Version=2016-11-15&SnapshotId.1=" + sid2.encode()
        st, h, b = ours(
            url, "ec2", "POST", "/", form, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        )
        ok(st == 200 and b"<status>completed</status>" in b, "sigv4.c: EC2 DescribeSnapshots accepted", (st, b))
        st, h, b = ours(
            url,
            "ec2",
            "POST",
            "/",
            form,
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            secret="not-the-secret",
        )
        ok(st == 401 and b"AuthFailure" in b, "sigv4.c with a wrong secret: AuthFailure", (st, b))
    else:
        print("SKIP: unik's signer against the endpoint: SIGV4SIGN is not set")

    # --- hostile input: clear 4xx answers, never a crash ------------------------
    st, h, b = raw(
        url,
        "ebs",
        "GET",
        "/snapshots/%s/blocks" % sid,
        extra_unsigned={"Authorization": "AWS4-HMAC-SHA256 Credential=garbage"},
    )
    ok(
        st == 403 and h.get("x-amzn-ErrorType") == "InvalidSignatureException",
        "a malformed Authorization header: 403",
        (st, b),
    )
    st, _, b = raw(
        url,
        "ec2",
        "POST",
        "/",
        b"Action=DescribeImages&Version=2016-11-15&\xff\xfe=%ZZ",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    ok(st == 400 and b"MalformedQueryString" in b, "EC2 body that is not a form: MalformedQueryString", (st, b))
    st, h, b = raw(url, "ebs", "POST", "/snapshots", b"{not json", {"Content-Type": "application/json"})
    ok(
        st == 400 and h.get("x-amzn-ErrorType") == "ValidationException",
        "EBS body that is not JSON: 400 ValidationException",
        (st, b),
    )
    st, h, b = raw(url, "ebs", "POST", "/snapshots", b'{"VolumeSize":"1"}', {"Content-Type": "application/json"})
    ok(
        st == 400 and h.get("x-amzn-ErrorType") == "ValidationException",
        "EBS VolumeSize as a string: 400 ValidationException",
        (st, b),
    )
    st, _, b = raw(
        url,
        "ec2",
        "POST",
        "/",
        b"Action=RunInstances&Version=2016-11-15&ImageId=x&MinCount=one&MaxCount=1",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    ok(
        st == 400 and b"InvalidParameterValue" in b and b"MinCount" in b,
        "EC2 MinCount=one: InvalidParameterValue",
        (st, b),
    )
    st, _, b = raw(
        url,
        "ec2",
        "POST",
        "/",
        b"Action=DescribeImages&Version=2012-01-01",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    ok(st == 400 and b"InvalidParameterValue" in b, "EC2 with another API version: InvalidParameterValue", (st, b))
    many = "&".join("Filter.%d.Name=tag:k%d&Filter.%d.Value.1=v" % (i, i, i) for i in range(1, 20001)).encode()
    t0 = time.time()
    st, _, b = raw(
        url,
        "ec2",
        "POST",
        "/",
        b"Action=DescribeImages&Version=2016-11-15&" + many,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    ok(
        st == 200 and b"<imagesSet" in b,
        "EC2 with 40000 filter parameters: answered (in %.1fs)" % (time.time() - t0),
        (st, b[:200]),
    )
    st, h, b = raw(
        url, "ebs", "POST", "/snapshots", b"[" * 100000 + b"]" * 100000, {"Content-Type": "application/json"}
    )
    ok(
        st == 400 and h.get("x-amzn-ErrorType") == "ValidationException",
        "EBS body of 100000 nested arrays: 400 ValidationException",
        (st, b),
    )
    import http.client

    hc = http.client.HTTPConnection(url.split("//")[1], timeout=10)
    hc.putrequest("PUT", "/snapshots/%s/blocks/1" % sid)
    hc.putheader("Content-Length", str(64 << 20))
    hc.endheaders()
    r = hc.getresponse()
    ok(r.status == 413, "a 64 MiB body announced: 413 before it is read", r.status)
    hc.close()
    try:
        control(url, "faults", {"op": "X", "kind": "explode", "count": 1})
        bad_rule = None
    except urllib.error.HTTPError as e:
        bad_rule = e.code
    ok(bad_rule == 400, "a fault rule of an unknown kind: 400 from /_control/faults", bad_rule)
    ok(
        not [e for e in control(url, "log")["requests"] if "crash" in e],
        "no request crashed the endpoint",
        [e["crash"] for e in control(url, "log")["requests"] if "crash" in e][:2],
    )

    c.update({k: v for k, v in locals().items() if k != "c"})
