# crosscheck.py - the contract endpoint driven by boto3 (Debian
# python3-boto3), through the whole EBS and EC2 flow unik uses and the
# failures a client must see answered as the real services answer them.
# Run by tests/e2e/t0020-aws-endpoint.sh; prints TAP lines and the summary.
import base64
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import boto3
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
KEY, SECRET, REGION = "AKIDUNIKTEST", "unik/secret+key", "eu-west-1"
BLOCK = 524288
n = failed = 0
procs = []


def ok(cond, title, detail=""):
    global n, failed
    n += 1
    if cond:
        print("ok %d - %s" % (n, title))
    else:
        failed += 1
        print("not ok %d - %s\n# %s" % (n, title, str(detail).replace("\n", "\n# ")))
    sys.stdout.flush()


def start(tmp, *extra):
    pf = os.path.join(tmp, "port")
    if os.path.exists(pf):
        os.unlink(pf)
    p = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "serve"), "--port", "0", "--port-file", pf, "--access-key", KEY,
         "--secret-key", SECRET, "--region", REGION, "--boot-delay", "0.3", "--stop-delay", "0.3", "--seed", "20"] + list(extra),
        stdout=subprocess.DEVNULL)
    procs.append(p)
    for _ in range(100):
        if os.path.exists(pf):
            return p, "http://127.0.0.1:%s" % open(pf).read().strip()
        if p.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit("the endpoint did not start")


def stop(p):
    p.terminate()
    p.wait(10)


def clients(url, token=None, secret=SECRET, **cfg):
    s = boto3.session.Session(aws_access_key_id=KEY, aws_secret_access_key=secret, aws_session_token=token, region_name=REGION)
    c = Config(retries={"mode": "standard", "total_max_attempts": cfg.pop("attempts", 1)}, **cfg)
    return s.client("ebs", endpoint_url=url, config=c), s.client("ec2", endpoint_url=url, config=c)


def control(url, what, doc=None, method=None):
    req = urllib.request.Request(url + "/_control/" + what, data=None if doc is None else json.dumps(doc).encode(),
                                 method=method or ("POST" if doc is not None else "GET"))
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")


def error(fn):
    """(HTTP status, error code, message) of a call expected to fail."""
    try:
        fn()
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"].get("Code"), e.response["Error"].get("Message", "")
    return 200, None, ""


def b64sha(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def raw(url, service, method, path, body=b"", headers=None, when=None, unsigned=False, extra_unsigned=None):
    """A request signed by botocore's SigV4Auth, sent by urllib."""
    host = url.split("//", 1)[1]
    req = AWSRequest(method=method, url=url + path, data=body, headers=dict(headers or {}))
    req.headers["Host"] = host
    if unsigned:
        req.context["payload_signing_enabled"] = False
        req.url = "https://" + host + path
    signer = botocore.auth.SigV4Auth(Credentials(KEY, SECRET), service, REGION)
    if when is not None:
        class Fixed(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return when
        with mock.patch.object(botocore.auth.datetime, "datetime", Fixed):
            signer.add_auth(req)
    else:
        signer.add_auth(req)
    hdrs = dict(req.headers.items())
    hdrs.update(extra_unsigned or {})
    r = urllib.request.Request(url + path, data=body if body else None, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def ours(url, service, method, path, body, headers, unsigned=False, secret=SECRET, query=None):
    """A request signed by unik's signer (sigv4.c through sigv4sign)."""
    host = url.split("//", 1)[1]
    with tempfile.NamedTemporaryFile() as f:
        f.write(body)
        f.flush()
        cmd = [os.environ["SIGV4SIGN"], "-t", str(int(time.time())), "-r", REGION, "-s", service, "-b", f.name]
        cmd += ["-u", "-c"] if unsigned else []
        for k, v in list(headers.items()) + [("Host", host)]:
            cmd += ["-H", "%s: %s" % (k, v)]
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=secret)
        out = subprocess.run(cmd + [method, path] + ([query] if query else []), capture_output=True, text=True, env=env)
    if out.returncode:
        return 0, {}, out.stderr.encode()
    hdrs = dict(headers)
    for line in out.stdout.splitlines():
        k, v = line.split(": ", 1)
        hdrs[k] = v
    import http.client

    hc = http.client.HTTPConnection(host, timeout=30)
    hc.request(method, path + ("?" + query if query else ""), body=body, headers=hdrs)
    r = hc.getresponse()
    res = r.status, dict(r.getheaders()), r.read()
    hc.close()
    return res


def main(tmp):
    statef = os.path.join(tmp, "state.json")
    p, url = start(tmp, "--state", statef)
    ebs, ec2 = clients(url)

    # --- EBS: a disk of 2 GiB with three non-zero blocks ---------------------
    disk = {0: os.urandom(BLOCK), 5: bytes([7]) * BLOCK, 4095: os.urandom(BLOCK)}
    r = ebs.start_snapshot(VolumeSize=2, Description="unik test", Tags=[{"Key": "unik", "Value": "t0020"}], ClientToken="tok-1")
    sid = r["SnapshotId"]
    ok(len(sid) == 22 and sid.startswith("snap-") and all(c in "0123456789abcdef" for c in sid[5:]), "StartSnapshot: snap-<17 hex>", sid)
    ok(r["Status"] == "pending" and r["BlockSize"] == BLOCK and r["VolumeSize"] == 2, "StartSnapshot: pending, 512 KiB blocks", r)
    ok(ebs.start_snapshot(VolumeSize=2, Description="unik test", Tags=[{"Key": "unik", "Value": "t0020"}], ClientToken="tok-1")["SnapshotId"] == sid,
       "StartSnapshot with the same client token: the same snapshot")
    ok(error(lambda: ebs.start_snapshot(VolumeSize=3, ClientToken="tok-1"))[:2] == (409, "ConflictException"), "client token reused with other parameters: ConflictException")
    for idx, data in disk.items():
        r = ebs.put_snapshot_block(SnapshotId=sid, BlockIndex=idx, BlockData=data, DataLength=BLOCK, Checksum=b64sha(data), ChecksumAlgorithm="SHA256", Progress=50)
    ok(r["Checksum"] == b64sha(disk[4095]) and r["ResponseMetadata"]["HTTPStatusCode"] == 201, "PutSnapshotBlock: 201 with the block's checksum")
    log = control(url, "log")["requests"]
    puts = [e for e in log if e["op"] == "PutSnapshotBlock"]
    ok(len(puts) == 3 and all(e["auth"].get("payload") == "UNSIGNED-PAYLOAD" for e in puts),
       "boto3 signs PutSnapshotBlock with UNSIGNED-PAYLOAD (authtype v4-unsigned-body), accepted", puts)
    st, code, msg = error(lambda: ebs.put_snapshot_block(SnapshotId=sid, BlockIndex=1, BlockData=disk[0], DataLength=BLOCK, Checksum=b64sha(b"other"), ChecksumAlgorithm="SHA256"))
    ok((st, code) == (400, "ValidationException") and "checksum" in msg, "wrong block checksum: 400 ValidationException", (st, code, msg))
    st, code, msg = error(lambda: ebs.put_snapshot_block(SnapshotId=sid, BlockIndex=4096, BlockData=disk[0], DataLength=BLOCK, Checksum=b64sha(disk[0]), ChecksumAlgorithm="SHA256"))
    ok((st, code) == (400, "ValidationException") and "outside" in msg, "block index past VolumeSize: 400 ValidationException", (st, code, msg))
    short = disk[0][:4096]
    st, code, msg = error(lambda: ebs.put_snapshot_block(SnapshotId=sid, BlockIndex=1, BlockData=short, DataLength=4096, Checksum=b64sha(short), ChecksumAlgorithm="SHA256"))
    ok((st, code) == (400, "ValidationException"), "a 4 KiB block: 400 ValidationException", (st, code, msg))
    ebsnv, ec2nv = clients(url, parameter_validation=False)
    st, code, msg = error(lambda: ebsnv.put_snapshot_block(SnapshotId=sid, BlockIndex=1, BlockData=disk[0], DataLength=BLOCK, Checksum=b64sha(disk[0]), ChecksumAlgorithm="MD5"))
    ok((st, code) == (400, "ValidationException") and "enum" in msg, "bad enum (ChecksumAlgorithm MD5): 400 ValidationException", (st, code, msg))
    st, code, msg = error(lambda: ebsnv.start_snapshot())
    ok((st, code) == (400, "ValidationException") and "VolumeSize" in msg, "missing VolumeSize: 400 ValidationException", (st, code, msg))
    st, code, msg = error(lambda: ebsnv.start_snapshot(VolumeSize=1, Timeout=5))
    ok((st, code) == (400, "ValidationException") and "Timeout" in msg, "Timeout below the model's min 10: 400 ValidationException", (st, code, msg))
    # throttling, then success on boto3's own retry; the block is re-sent
    ebs5, ec25 = clients(url, attempts=5)
    control(url, "faults", {"op": "PutSnapshotBlock", "kind": "throttle", "count": 2})
    before = len(control(url, "log")["requests"])
    r = ebs5.put_snapshot_block(SnapshotId=sid, BlockIndex=5, BlockData=disk[5], DataLength=BLOCK, Checksum=b64sha(disk[5]), ChecksumAlgorithm="SHA256")
    again = [e for e in control(url, "log?since=%d" % before)["requests"] if e["op"] == "PutSnapshotBlock"]
    ok(r["ResponseMetadata"]["RetryAttempts"] == 2 and [e.get("error") for e in again] == ["RequestThrottledException"] * 2 + [None]
       and again[-1]["params"]["BlockIndex"] == 5 and again[-1]["params"]["BlockData"] == {"bytes": BLOCK},
       "RequestThrottledException twice, then boto3's retry succeeds; the log shows the block sent 3 times", again)
    control(url, "faults", {"op": "ListSnapshotBlocks", "kind": "throttle", "count": 1, "code": "ThrottlingException"})
    st, code, _ = error(lambda: ebs.list_snapshot_blocks(SnapshotId=sid))
    ok((st, code) == (400, "ThrottlingException"), "a fault with its own code: 400 ThrottlingException", (st, code))
    control(url, "faults", {"op": "PutSnapshotBlock", "kind": "notfound", "count": 1})
    st, code, _ = error(lambda: ebs.put_snapshot_block(SnapshotId=sid, BlockIndex=5, BlockData=disk[5], DataLength=BLOCK, Checksum=b64sha(disk[5]), ChecksumAlgorithm="SHA256"))
    ok((st, code) == (404, "ResourceNotFoundException"), "a notfound fault (eventual consistency): 404 ResourceNotFoundException", (st, code))
    control(url, "faults", {"op": "PutSnapshotBlock", "kind": "500", "count": 1})
    r = ebs5.put_snapshot_block(SnapshotId=sid, BlockIndex=5, BlockData=disk[5], DataLength=BLOCK, Checksum=b64sha(disk[5]), ChecksumAlgorithm="SHA256")
    ok(r["ResponseMetadata"]["RetryAttempts"] == 1, "InternalServerException (500) once, then the retry succeeds")
    control(url, "faults", {"op": "PutSnapshotBlock", "kind": "drop", "count": 1})
    r = ebs5.put_snapshot_block(SnapshotId=sid, BlockIndex=5, BlockData=disk[5], DataLength=BLOCK, Checksum=b64sha(disk[5]), ChecksumAlgorithm="SHA256")
    ok(r["ResponseMetadata"]["RetryAttempts"] == 1, "a dropped connection, then the retry succeeds")
    ebs_slow, _ = clients(url, attempts=3, read_timeout=1)
    control(url, "faults", {"op": "PutSnapshotBlock", "kind": "slow", "count": 1, "delay": 2})
    t0 = time.time()
    r = ebs_slow.put_snapshot_block(SnapshotId=sid, BlockIndex=5, BlockData=disk[5], DataLength=BLOCK, Checksum=b64sha(disk[5]), ChecksumAlgorithm="SHA256")
    ok(r["ResponseMetadata"]["RetryAttempts"] >= 1 and time.time() - t0 >= 1, "a slow reply: boto3 times out and retries")
    control(url, "faults", method="DELETE")

    st, code, msg = error(lambda: ebs.complete_snapshot(SnapshotId=sid, ChangedBlocksCount=3, Checksum=b64sha(b"".join(disk.values())), ChecksumAlgorithm="SHA256", ChecksumAggregationMethod="LINEAR"))
    ok((st, code) == (400, "ValidationException") and "aggregated" in msg, "wrong linear checksum: 400 ValidationException", (st, code, msg))
    st, code, msg = error(lambda: ebs.complete_snapshot(SnapshotId=sid, ChangedBlocksCount=2))
    ok((st, code) == (400, "ValidationException"), "ChangedBlocksCount not the blocks written: 400 ValidationException", (st, code, msg))
    linear = base64.b64encode(hashlib.sha256(b"".join(hashlib.sha256(disk[i]).digest() for i in sorted(disk))).digest()).decode()
    r = ebs.complete_snapshot(SnapshotId=sid, ChangedBlocksCount=3, Checksum=linear, ChecksumAlgorithm="SHA256", ChecksumAggregationMethod="LINEAR")
    ok(r["Status"] == "completed" and r["ResponseMetadata"]["HTTPStatusCode"] == 202, "CompleteSnapshot with the LINEAR checksum: 202 completed", r)
    st, code, msg = error(lambda: ebs.put_snapshot_block(SnapshotId=sid, BlockIndex=1, BlockData=disk[0], DataLength=BLOCK, Checksum=b64sha(disk[0]), ChecksumAlgorithm="SHA256"))
    ok((st, code) == (400, "ValidationException"), "a block after completion: 400 ValidationException", (st, code, msg))
    lst = ebs.list_snapshot_blocks(SnapshotId=sid, MaxResults=100)
    ok([b["BlockIndex"] for b in lst["Blocks"]] == sorted(disk) and lst["VolumeSize"] == 2, "ListSnapshotBlocks: the written blocks", lst["Blocks"])
    good = True
    for b in lst["Blocks"]:
        g = ebs.get_snapshot_block(SnapshotId=sid, BlockIndex=b["BlockIndex"], BlockToken=b["BlockToken"])
        data = g["BlockData"].read()
        good &= data == disk[b["BlockIndex"]] and g["Checksum"] == b64sha(data) and g["DataLength"] == BLOCK
    ok(good, "GetSnapshotBlock reads every block back, checksum and length in the headers")
    st, code, _ = error(lambda: ebs.get_snapshot_block(SnapshotId=sid, BlockIndex=5, BlockToken=lst["Blocks"][0]["BlockToken"]))
    ok((st, code) == (400, "ValidationException"), "GetSnapshotBlock with another block's token: ValidationException")
    st, code, _ = error(lambda: ebs.list_snapshot_blocks(SnapshotId="snap-0123456789abcdef0"))
    ok((st, code) == (404, "ResourceNotFoundException"), "an unknown snapshot: 404 ResourceNotFoundException", (st, code))

    # parallel uploads under rate-limited throttling: every block lands once
    par = ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    pblocks = {i: os.urandom(BLOCK) for i in range(0, 32, 2)}
    control(url, "faults", {"op": "PutSnapshotBlock", "kind": "throttle", "rate": 0.3})
    ebs10, _ = clients(url, attempts=10, max_pool_connections=8)

    def put(i):
        return ebs10.put_snapshot_block(SnapshotId=par, BlockIndex=i, BlockData=pblocks[i], DataLength=BLOCK, Checksum=b64sha(pblocks[i]),
                                        ChecksumAlgorithm="SHA256")["ResponseMetadata"]["RetryAttempts"]

    with ThreadPoolExecutor(8) as ex:
        retries = sum(ex.map(put, sorted(pblocks)))
    control(url, "faults", method="DELETE")
    lin = base64.b64encode(hashlib.sha256(b"".join(hashlib.sha256(pblocks[i]).digest() for i in sorted(pblocks))).digest()).decode()
    r = ebs.complete_snapshot(SnapshotId=par, ChangedBlocksCount=len(pblocks), Checksum=lin, ChecksumAlgorithm="SHA256", ChecksumAggregationMethod="LINEAR")
    ok(r["Status"] == "completed" and retries > 0, "16 blocks from 8 threads under 30%% throttling (%d retries): the LINEAR checksum holds" % retries, r)
    ec2.delete_snapshot(SnapshotId=par)

    # an incremental snapshot: the parent's blocks and its own
    st, code, _ = error(lambda: ebs.start_snapshot(VolumeSize=1, ParentSnapshotId=sid))
    ok(code == "ValidationException", "a child smaller than its parent: ValidationException", code)
    kid = ebs.start_snapshot(VolumeSize=2, ParentSnapshotId=sid)["SnapshotId"]
    new5 = os.urandom(BLOCK)
    ebs.put_snapshot_block(SnapshotId=kid, BlockIndex=5, BlockData=new5, DataLength=BLOCK, Checksum=b64sha(new5), ChecksumAlgorithm="SHA256")
    ebs.complete_snapshot(SnapshotId=kid, ChangedBlocksCount=1, Checksum=base64.b64encode(hashlib.sha256(hashlib.sha256(new5).digest()).digest()).decode(),
                          ChecksumAlgorithm="SHA256", ChecksumAggregationMethod="LINEAR")
    kb = {b["BlockIndex"]: b["BlockToken"] for b in ebs.list_snapshot_blocks(SnapshotId=kid)["Blocks"]}
    got = {i: ebs.get_snapshot_block(SnapshotId=kid, BlockIndex=i, BlockToken=t)["BlockData"].read() for i, t in kb.items()}
    ok(sorted(got) == sorted(disk) and got[5] == new5 and got[0] == disk[0] and got[4095] == disk[4095],
       "a child of the snapshot: its own block 5 over the parent's blocks 0 and 4095", sorted(got))
    chg = ebs.list_changed_blocks(FirstSnapshotId=sid, SecondSnapshotId=kid)["ChangedBlocks"]
    ok([c["BlockIndex"] for c in chg] == [5] and "FirstBlockToken" in chg[0] and "SecondBlockToken" in chg[0],
       "ListChangedBlocks parent -> child: block 5, both tokens", chg)
    g = ebs.get_snapshot_block(SnapshotId=sid, BlockIndex=5, BlockToken=chg[0]["FirstBlockToken"])["BlockData"].read()
    ok(g == disk[5], "the first token reads the parent's block 5")
    st, code, _ = error(lambda: ebs.list_changed_blocks(FirstSnapshotId=kid, SecondSnapshotId=sid))
    ok(code == "ValidationException", "ListChangedBlocks child -> parent: ValidationException (UNRELATED_SNAPSHOTS)", code)
    # the parent deleted: the child still reads the blocks it inherited
    # (done on a copy, as the image of the parent is still registered)
    kid2 = ebs.start_snapshot(VolumeSize=2, ParentSnapshotId=kid)["SnapshotId"]
    ebs.complete_snapshot(SnapshotId=kid2, ChangedBlocksCount=0)
    ec2.delete_snapshot(SnapshotId=kid)
    kb = {b["BlockIndex"]: b["BlockToken"] for b in ebs.list_snapshot_blocks(SnapshotId=kid2)["Blocks"]}
    got = {i: ebs.get_snapshot_block(SnapshotId=kid2, BlockIndex=i, BlockToken=t)["BlockData"].read() for i, t in kb.items()}
    ok(got == {0: disk[0], 5: new5, 4095: disk[4095]}, "its parent deleted, a snapshot still reads every block it inherited", sorted(got))
    ec2.delete_snapshot(SnapshotId=kid2)

    # --- signatures --------------------------------------------------------------
    bad_ebs, bad_ec2 = clients(url, secret="wrong-secret")
    st, code, _ = error(lambda: bad_ebs.list_snapshot_blocks(SnapshotId=sid))
    ok((st, code) == (403, "InvalidSignatureException"), "EBS, wrong secret: 403 InvalidSignatureException", (st, code))
    st, code, _ = error(lambda: bad_ec2.describe_images())
    ok((st, code) == (401, "AuthFailure"), "EC2, wrong secret: 401 AuthFailure", (st, code))
    old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    st, _, b = raw(url, "ec2", "POST", "/", b"Action=DescribeImages&Version=2016-11-15", {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, when=old)
    ok(st == 400 and b"RequestExpired" in b, "EC2 signed 20 minutes ago: RequestExpired", (st, b))
    st, h, b = raw(url, "ebs", "POST", "/snapshots", b'{"VolumeSize":1}', {"Content-Type": "application/json"}, unsigned=True)
    ok(st == 403 and h.get("x-amzn-ErrorType") == "InvalidSignatureException", "UNSIGNED-PAYLOAD on StartSnapshot (a signed-body operation): 403", (st, h, b))
    st, h, b = raw(url, "ebs", "POST", "/snapshots", b'{"VolumeSize":1}', {"Content-Type": "application/json"}, extra_unsigned={"x-amz-Progress": "5"})
    ok(st == 403, "an x-amz-* header sent but not signed: 403", (st, b))
    st, h, b = raw(url, "ebs", "POST", "/snapshots", b'{"VolumeSize":1,"Colour":"red"}', {"Content-Type": "application/json"})
    ok(st == 400 and h.get("x-amzn-ErrorType") == "ValidationException" and b"Colour" in b, "EBS unknown body member: 400 ValidationException", (st, b))
    st, _, b = raw(url, "ec2", "POST", "/", b"Action=DescribeImages&Version=2016-11-15&Colour=red", {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    ok(st == 400 and b"<Code>UnknownParameter</Code>" in b, "EC2 unknown parameter: UnknownParameter", (st, b))
    st, _, b = raw(url, "ec2", "POST", "/", b"Action=LaunchRockets&Version=2016-11-15", {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    ok(st == 400 and b"<Code>InvalidAction</Code>" in b, "EC2 unknown action: InvalidAction", (st, b))

    # --- unik's own signer (providers/aws/sigv4.c through tests/tools/sigv4sign)
    if os.environ.get("SIGV4SIGN"):
        sid2 = None
        st, h, b = ours(url, "ebs", "POST", "/snapshots", b'{"VolumeSize":1,"Description":"signed by sigv4.c"}', {"Content-Type": "application/json"})
        if st == 201:
            sid2 = json.loads(b)["SnapshotId"]
        ok(st == 201 and sid2, "sigv4.c: EBS StartSnapshot accepted", (st, b))
        blk = bytes(range(256)) * 2048
        hdr = {"Content-Type": "application/octet-stream", "x-amz-Data-Length": str(BLOCK), "x-amz-Checksum": b64sha(blk), "x-amz-Checksum-Algorithm": "SHA256"}
        st, h, b = ours(url, "ebs", "PUT", "/snapshots/%s/blocks/9" % sid2, blk, hdr, unsigned=True)
        ok(st == 201 and h.get("x-amz-Checksum") == b64sha(blk), "sigv4.c: PutSnapshotBlock with UNSIGNED-PAYLOAD accepted", (st, b))
        st, h, b = ours(url, "ebs", "PUT", "/snapshots/%s/blocks/10" % sid2, blk, hdr)
        ok(st == 201, "sigv4.c: PutSnapshotBlock with the body's SHA-256 accepted", (st, b))
        lin = base64.b64encode(hashlib.sha256(hashlib.sha256(blk).digest() * 2).digest()).decode()
        st, h, b = ours(url, "ebs", "POST", "/snapshots/completion/%s" % sid2, b"", {"x-amz-ChangedBlocksCount": "2", "x-amz-Checksum": lin,
                        "x-amz-Checksum-Algorithm": "SHA256", "x-amz-Checksum-Aggregation-Method": "LINEAR"})
        ok(st == 202 and json.loads(b).get("Status") == "completed", "sigv4.c: CompleteSnapshot accepted", (st, b))
        st, h, b = ours(url, "ebs", "GET", "/snapshots/%s/blocks" % sid2, b"", {}, query="startingBlockIndex=10&maxResults=100")
        ok(st == 200 and [x["BlockIndex"] for x in json.loads(b)["Blocks"]] == [10], "sigv4.c: ListSnapshotBlocks with a query accepted", (st, b))
        st, h, b = ours(url, "ebs", "GET", "/snapshots/%s/blocks" % sid2, b"", {}, query="pageToken=OQ==&maxResults=100")
        ok(st == 200 and [x["BlockIndex"] for x in json.loads(b)["Blocks"]] == [9, 10], "sigv4.c: a query with '=' in a value sent unescaped, signed escaped", (st, b))
        form = b"Action=DescribeSnapshots&Version=2016-11-15&SnapshotId.1=" + sid2.encode()
        st, h, b = ours(url, "ec2", "POST", "/", form, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        ok(st == 200 and b"<status>completed</status>" in b, "sigv4.c: EC2 DescribeSnapshots accepted", (st, b))
        st, h, b = ours(url, "ec2", "POST", "/", form, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, secret="not-the-secret")
        ok(st == 401 and b"AuthFailure" in b, "sigv4.c with a wrong secret: AuthFailure", (st, b))
    else:
        print("SKIP: unik's signer against the endpoint: SIGV4SIGN is not set")

    # --- hostile input: clear 4xx answers, never a crash ------------------------
    st, h, b = raw(url, "ebs", "GET", "/snapshots/%s/blocks" % sid, extra_unsigned={"Authorization": "AWS4-HMAC-SHA256 Credential=garbage"})
    ok(st == 403 and h.get("x-amzn-ErrorType") == "InvalidSignatureException", "a malformed Authorization header: 403", (st, b))
    st, _, b = raw(url, "ec2", "POST", "/", b"Action=DescribeImages&Version=2016-11-15&\xff\xfe=%ZZ", {"Content-Type": "application/x-www-form-urlencoded"})
    ok(st == 400 and b"MalformedQueryString" in b, "EC2 body that is not a form: MalformedQueryString", (st, b))
    st, h, b = raw(url, "ebs", "POST", "/snapshots", b"{not json", {"Content-Type": "application/json"})
    ok(st == 400 and h.get("x-amzn-ErrorType") == "ValidationException", "EBS body that is not JSON: 400 ValidationException", (st, b))
    st, h, b = raw(url, "ebs", "POST", "/snapshots", b'{"VolumeSize":"1"}', {"Content-Type": "application/json"})
    ok(st == 400 and h.get("x-amzn-ErrorType") == "ValidationException", "EBS VolumeSize as a string: 400 ValidationException", (st, b))
    st, _, b = raw(url, "ec2", "POST", "/", b"Action=RunInstances&Version=2016-11-15&ImageId=x&MinCount=one&MaxCount=1", {"Content-Type": "application/x-www-form-urlencoded"})
    ok(st == 400 and b"InvalidParameterValue" in b and b"MinCount" in b, "EC2 MinCount=one: InvalidParameterValue", (st, b))
    st, _, b = raw(url, "ec2", "POST", "/", b"Action=DescribeImages&Version=2012-01-01", {"Content-Type": "application/x-www-form-urlencoded"})
    ok(st == 400 and b"InvalidParameterValue" in b, "EC2 with another API version: InvalidParameterValue", (st, b))
    many = "&".join("Filter.%d.Name=tag:k%d&Filter.%d.Value.1=v" % (i, i, i) for i in range(1, 20001)).encode()
    t0 = time.time()
    st, _, b = raw(url, "ec2", "POST", "/", b"Action=DescribeImages&Version=2016-11-15&" + many, {"Content-Type": "application/x-www-form-urlencoded"})
    ok(st == 200 and b"<imagesSet" in b, "EC2 with 40000 filter parameters: answered (in %.1fs)" % (time.time() - t0), (st, b[:200]))
    st, h, b = raw(url, "ebs", "POST", "/snapshots", b"[" * 100000 + b"]" * 100000, {"Content-Type": "application/json"})
    ok(st == 400 and h.get("x-amzn-ErrorType") == "ValidationException", "EBS body of 100000 nested arrays: 400 ValidationException", (st, b))
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
    ok(not [e for e in control(url, "log")["requests"] if "crash" in e], "no request crashed the endpoint",
       [e["crash"] for e in control(url, "log")["requests"] if "crash" in e][:2])

    # --- EC2 ------------------------------------------------------------------
    img = ec2.register_image(Name="unik-t0020", Architecture="x86_64", RootDeviceName="/dev/xvda", VirtualizationType="hvm", EnaSupport=True,
                             BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": sid, "VolumeType": "gp3", "DeleteOnTermination": True}}])["ImageId"]
    ok(img.startswith("ami-") and len(img) == 21, "RegisterImage from the snapshot: ami-<17 hex>", img)
    st, code, _ = error(lambda: ec2.register_image(Name="unik-t0020", RootDeviceName="/dev/xvda", BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": sid}}]))
    ok(code == "InvalidAMIName.Duplicate", "RegisterImage with a name in use: InvalidAMIName.Duplicate", code)
    st, code, msg = error(lambda: ec2nv.register_image(Name="unik-bad", Architecture="sparc", RootDeviceName="/dev/xvda", BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": sid}}]))
    ok((st, code) == (400, "InvalidParameterValue"), "bad enum (Architecture sparc): InvalidParameterValue", (st, code, msg))
    st, code, msg = error(lambda: ec2nv.register_image(RootDeviceName="/dev/xvda"))
    ok((st, code) == (400, "MissingParameter") and "Name" in msg, "missing Name: MissingParameter", (st, code, msg))
    im = ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": ["unik-*"]}])["Images"]
    ok(len(im) == 1 and im[0]["ImageId"] == img and im[0]["EnaSupport"] and im[0]["VirtualizationType"] == "hvm" and im[0]["RootDeviceName"] == "/dev/xvda"
       and im[0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"] == sid and im[0]["State"] == "available", "DescribeImages (owner self, name filter)", im)
    sn = ec2.describe_snapshots(SnapshotIds=[sid])["Snapshots"]
    ok(sn[0]["State"] == "completed" and sn[0]["VolumeSize"] == 2 and sn[0]["Tags"] == [{"Key": "unik", "Value": "t0020"}], "DescribeSnapshots: completed, its tags", sn)
    st, code, _ = error(lambda: ec2.delete_snapshot(SnapshotId=sid))
    ok(code == "InvalidSnapshot.InUse", "DeleteSnapshot of an image's snapshot: InvalidSnapshot.InUse", code)
    types = ec2.describe_instance_types(Filters=[{"Name": "memory-info.size-in-mib", "Values": ["1024"]}])["InstanceTypes"]
    ok(types and all(t["MemoryInfo"]["SizeInMiB"] == 1024 for t in types), "DescribeInstanceTypes filtered by memory", types)
    control(url, "console", {"id": img, "text": "hello from the guest\n"})
    ud = base64.b64encode(b"unik.env=A=1").decode()
    r = ec2.run_instances(ImageId=img, InstanceType="t3.micro", MinCount=1, MaxCount=1, UserData=ud, SubnetId="subnet-0123456789abcdef0",
                          SecurityGroupIds=["sg-0123456789abcdef0"], KeyName="unik", ClientToken="run-1",
                          TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "unik", "Value": "t0020"}, {"Key": "Name", "Value": "hello"}]}])
    inst = r["Instances"][0]
    iid = inst["InstanceId"]
    ok(iid.startswith("i-") and inst["State"]["Name"] == "pending" and inst["InstanceType"] == "t3.micro" and inst["SubnetId"] == "subnet-0123456789abcdef0",
       "RunInstances: pending, type, subnet", inst)
    ok(ec2.run_instances(ImageId=img, InstanceType="t3.micro", MinCount=1, MaxCount=1, UserData=ud, SubnetId="subnet-0123456789abcdef0",
                         SecurityGroupIds=["sg-0123456789abcdef0"], KeyName="unik", ClientToken="run-1",
                         TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "unik", "Value": "t0020"}, {"Key": "Name", "Value": "hello"}]}]
                         )["Instances"][0]["InstanceId"] == iid, "RunInstances with the same client token: the same instance")
    st, code, _ = error(lambda: ec2.run_instances(ImageId=img, InstanceType="t3.small", MinCount=1, MaxCount=1, ClientToken="run-1"))
    ok(code == "IdempotentParameterMismatch", "the client token with other parameters: IdempotentParameterMismatch", code)
    st, code, _ = error(lambda: ec2.run_instances(ImageId=img, MinCount=1, MaxCount=1, UserData="not base64!"))
    ok(code == "InvalidParameterValue", "RunInstances with user data that is not base64: InvalidParameterValue", code)
    st, code, msg = error(lambda: ec2nv.run_instances(ImageId=img, MaxCount=1))
    ok((st, code) == (400, "MissingParameter") and "MinCount" in msg, "RunInstances without MinCount: MissingParameter", (st, code, msg))
    st, code, _ = error(lambda: ec2nv.run_instances(ImageId=img, MinCount=1, MaxCount=1, InstanceType="t9.huge"))
    ok(code == "InvalidParameterValue", "RunInstances with an instance type not in the model's enum: InvalidParameterValue", code)
    w = {"Delay": 1, "MaxAttempts": 20}
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=w)
    res = ec2.describe_instances(Filters=[{"Name": "tag:unik", "Values": ["t0020"]}, {"Name": "instance-state-name", "Values": ["running"]}])["Reservations"]
    ok(len(res) == 1 and res[0]["Instances"][0]["InstanceId"] == iid and res[0]["Instances"][0].get("PublicIpAddress"), "boto3's instance_running waiter; DescribeInstances by tag and state", res)
    ok(ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Code"] == 16, "DescribeInstances by instance id: running (16)")
    st, code, _ = error(lambda: ec2.describe_instances(InstanceIds=["i-0123456789abcdef0"]))
    ok(code == "InvalidInstanceID.NotFound", "DescribeInstances of an unknown id: InvalidInstanceID.NotFound", code)
    out = ec2.get_console_output(InstanceId=iid)
    # botocore decodes Output (its decode_console_output handler): base64 on the wire
    ok(out.get("Output") == "hello from the guest\n", "GetConsoleOutput: the preset console text", out)
    ec2.create_tags(Resources=[iid, img], Tags=[{"Key": "unik-owner", "Value": "me"}])
    ok(ec2.describe_instances(Filters=[{"Name": "tag:unik-owner", "Values": ["me"]}])["Reservations"][0]["Instances"][0]["InstanceId"] == iid, "CreateTags, then a filter finds it")
    control(url, "faults", {"op": "DescribeInstances", "kind": "notfound", "count": 1})
    st, code, _ = error(lambda: ec2.describe_instances(InstanceIds=[iid]))
    ok(code == "InvalidInstanceID.NotFound", "a notfound fault on DescribeInstances: InvalidInstanceID.NotFound", code)
    control(url, "faults", {"op": "DescribeInstances", "kind": "throttle", "count": 2})
    r = ec25.describe_instances(InstanceIds=[iid])
    ok(r["ResponseMetadata"]["RetryAttempts"] == 2, "RequestLimitExceeded (503) twice, then boto3's retry succeeds")
    ch = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"][0]
    ok(ch["PreviousState"]["Name"] == "running" and ch["CurrentState"]["Name"] == "stopping", "StopInstances: running -> stopping", ch)
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig=w)
    ok(ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "stopped", "boto3's instance_stopped waiter: stopped")
    ch = ec2.start_instances(InstanceIds=[iid])["StartingInstances"][0]
    ok(ch["PreviousState"]["Name"] == "stopped" and ch["CurrentState"]["Name"] == "pending", "StartInstances: stopped -> pending", ch)
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=w)

    # --- asynchronous completion ---------------------------------------------
    control(url, "config", {"complete_delay": 1.5})
    s3 = ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    ebs.put_snapshot_block(SnapshotId=s3, BlockIndex=0, BlockData=disk[0], DataLength=BLOCK, Checksum=b64sha(disk[0]), ChecksumAlgorithm="SHA256")
    r = ebs.complete_snapshot(SnapshotId=s3, ChangedBlocksCount=1)
    first = ec2.describe_snapshots(SnapshotIds=[s3])["Snapshots"][0]["State"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[s3], WaiterConfig=w)
    ok(r["Status"] == "pending" and first == "pending" and ec2.describe_snapshots(SnapshotIds=[s3])["Snapshots"][0]["State"] == "completed",
       "with complete_delay: CompleteSnapshot answers pending, boto3's snapshot_completed waiter sees it complete", (r, first))
    control(url, "config", {"complete_delay": 0})

    # --- restart: the state file keeps everything ---------------------------
    stop(p)
    p, url = start(tmp, "--state", statef)
    ebs, ec2 = clients(url)
    lst = ebs.list_snapshot_blocks(SnapshotId=sid)
    g = ebs.get_snapshot_block(SnapshotId=sid, BlockIndex=4095, BlockToken=lst["Blocks"][-1]["BlockToken"])
    ok(g["BlockData"].read() == disk[4095], "after a restart with --state: the snapshot's blocks read back")
    ok(ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "running" and ec2.describe_images(ImageIds=[img])["Images"],
       "after a restart: the instance and the image")
    ch = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
    ok(ch["CurrentState"]["Name"] == "shutting-down", "TerminateInstances: shutting-down", ch)
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig=w)
    st, code, _ = error(lambda: ec2.start_instances(InstanceIds=[iid]))
    ok(code == "IncorrectInstanceState", "StartInstances of a terminated instance: IncorrectInstanceState", code)
    ec2.deregister_image(ImageId=img)
    st, code, _ = error(lambda: ec2.describe_images(ImageIds=[img]))
    ok(code == "InvalidAMIID.NotFound", "DeregisterImage, then DescribeImages: InvalidAMIID.NotFound", code)
    ec2.delete_snapshot(SnapshotId=sid)
    st, code, _ = error(lambda: ec2.describe_snapshots(SnapshotIds=[sid]))
    ok(code == "InvalidSnapshot.NotFound", "DeleteSnapshot, then DescribeSnapshots: InvalidSnapshot.NotFound", code)
    log = control(url, "log")["requests"]
    ok(all("valid" in e and "auth" in e for e in log if e["op"] in ("DeleteSnapshot", "DeregisterImage")), "the log records validation and signature of each request", log[-2:])

    # every simulated operation with the model's sample input (every member
    # set, see roundtrip.py; ids of live resources): answered, never a crash
    import ebs as ebs_sim
    import ec2 as ec2_sim
    from botocore import xform_name
    from roundtrip import sample
    sw = ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    ebs.put_snapshot_block(SnapshotId=sw, BlockIndex=0, BlockData=disk[0], DataLength=BLOCK, Checksum=b64sha(disk[0]), ChecksumAlgorithm="SHA256")
    ebs.complete_snapshot(SnapshotId=sw, ChangedBlocksCount=1)
    swi = ec2.register_image(Name="unik-sweep", RootDeviceName="/dev/xvda", BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": sw}}])["ImageId"]
    swr = ec2.run_instances(ImageId=swi, InstanceType="t2.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ids = {"SnapshotId": sw, "ImageId": swi, "InstanceId": swr, "Resources": swr, "DeviceName": "/dev/xvda", "RootDeviceName": "/dev/xvda",
           "InstanceType": "t2.micro", "UserData": base64.b64encode(b"x").decode(), "SubnetId": "subnet-0123456789abcdef0"}

    def fill(name, shape):
        for k, v in ids.items():
            if k in name:
                return v
        return None

    before = len(control(url, "log")["requests"])
    ebs_nv, ec2_nv = clients(url, parameter_validation=False)
    handled = 0
    for client, names in ((ebs_nv, ebs_sim.HANDLERS), (ec2_nv, ec2_sim.HANDLERS)):
        model = client.meta.service_model
        for name in sorted(names):
            value = sample(model.operation_model(name).input_shape, 0, name, fill)
            for k in ("DryRun", "ImageLocation", "MaxResults", "NextToken", "Owners", "OwnerIds", "Filters", "ExecutableUsers"):
                value.pop(k, None)
            try:
                r = getattr(client, xform_name(name))(**value)
                if "BlockData" in r:
                    r["BlockData"].read()
                handled += 1
            except ClientError:
                pass
    swept = control(url, "log?since=%d" % before)["requests"]
    ok(not [e for e in swept if "crash" in e] and sum(1 for e in swept if e.get("valid")) >= 12,
       "every simulated operation with the model's sample input: answered, no crash (%d valid, %d succeeded)" % (sum(1 for e in swept if e.get("valid")), handled),
       [(e["op"], e.get("valid"), e.get("error"), e.get("crash")) for e in swept])
    stop(p)

    # --- a session token -------------------------------------------------------
    p, url = start(tmp, "--token", "FQoGZXIvYXdzEXAMPLE//token+/=")
    ebs_t, ec2_t = clients(url, token="FQoGZXIvYXdzEXAMPLE//token+/=")
    ok(ec2_t.describe_instances()["Reservations"] == [], "with a session token: signed requests pass")
    ebs_n, ec2_n = clients(url)
    st, code, _ = error(lambda: ec2_n.describe_instances())
    ok((st, code) == (401, "AuthFailure"), "without the configured token: AuthFailure", (st, code))
    ebs_w, _ = clients(url, token="other-token")
    st, code, _ = error(lambda: ebs_w.start_snapshot(VolumeSize=1))
    ok((st, code) == (403, "UnrecognizedClientException"), "EBS with a wrong token: 403 UnrecognizedClientException", (st, code))
    stop(p)
    if not os.environ.get("CROSSCHECK_NO_SUMMARY"):
        print("%d passed, %d failed, 0 skipped" % (n - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    tmpdir = tempfile.mkdtemp(prefix="unik-awsep.")
    try:
        rc = main(tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
        for pr in procs:
            if pr.poll() is None:
                pr.kill()
                pr.wait()
    sys.exit(rc)
