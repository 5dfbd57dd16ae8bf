# cross_ebs.py - t0020, part 1: the EBS direct APIs through boto3 (the
# snapshot flow, checksums, faults retried, parallel uploads, incremental
# snapshots).  Run by crosscheck.py.
import base64
import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor


from xcheck import BLOCK, b64sha, clients, control, error, ok, refused


def run(c):
    url, ebs, ec2 = c["url"], c["ebs"], c["ec2"]
    # --- EBS: a disk of 2 GiB with three non-zero blocks ---------------------
    disk = {0: os.urandom(BLOCK), 5: bytes([7]) * BLOCK, 4095: os.urandom(BLOCK)}
    r = ebs.start_snapshot(
        VolumeSize=2, Description="unik test", Tags=[{"Key": "unik", "Value": "t0020"}], ClientToken="tok-1"
    )
    sid = r["SnapshotId"]
    ok(
        len(sid) == 22 and sid.startswith("snap-") and all(c in "0123456789abcdef" for c in sid[5:]),
        "StartSnapshot: snap-<17 hex>",
        sid,
    )
    ok(
        r["Status"] == "pending" and r["BlockSize"] == BLOCK and r["VolumeSize"] == 2,
        "StartSnapshot: pending, 512 KiB blocks",
        r,
    )
    ok(
        ebs.start_snapshot(
            VolumeSize=2, Description="unik test", Tags=[{"Key": "unik", "Value": "t0020"}], ClientToken="tok-1"
        )["SnapshotId"]
        == sid,
        "StartSnapshot with the same client token: the same snapshot",
    )
    ok(
        error(lambda: ebs.start_snapshot(VolumeSize=3, ClientToken="tok-1"))[:2] == (409, "ConflictException"),
        "client token reused with other parameters: ConflictException",
    )
    for idx, data in disk.items():
        r = ebs.put_snapshot_block(
            SnapshotId=sid,
            BlockIndex=idx,
            BlockData=data,
            DataLength=BLOCK,
            Checksum=b64sha(data),
            ChecksumAlgorithm="SHA256",
            Progress=50,
        )
    ok(
        r["Checksum"] == b64sha(disk[4095]) and r["ResponseMetadata"]["HTTPStatusCode"] == 201,
        "PutSnapshotBlock: 201 with the block's checksum",
    )
    log = control(url, "log")["requests"]
    puts = [e for e in log if e["op"] == "PutSnapshotBlock"]
    ok(
        len(puts) == 3 and all(e["auth"].get("payload") == "UNSIGNED-PAYLOAD" for e in puts),
        "boto3 signs PutSnapshotBlock with UNSIGNED-PAYLOAD (authtype v4-unsigned-body), accepted",
        puts,
    )
    refused(
        lambda: ebs.put_snapshot_block(
            SnapshotId=sid,
            BlockIndex=1,
            BlockData=disk[0],
            DataLength=BLOCK,
            Checksum=b64sha(b"other"),
            ChecksumAlgorithm="SHA256",
        ),
        400,
        "ValidationException",
        "wrong block checksum: 400 ValidationException",
        "checksum",
    )
    refused(
        lambda: ebs.put_snapshot_block(
            SnapshotId=sid,
            BlockIndex=4096,
            BlockData=disk[0],
            DataLength=BLOCK,
            Checksum=b64sha(disk[0]),
            ChecksumAlgorithm="SHA256",
        ),
        400,
        "ValidationException",
        "block index past VolumeSize: 400 ValidationException",
        "outside",
    )
    short = disk[0][:4096]
    refused(
        lambda: ebs.put_snapshot_block(
            SnapshotId=sid,
            BlockIndex=1,
            BlockData=short,
            DataLength=4096,
            Checksum=b64sha(short),
            ChecksumAlgorithm="SHA256",
        ),
        400,
        "ValidationException",
        "a 4 KiB block: 400 ValidationException",
    )
    ebsnv, ec2nv = clients(url, parameter_validation=False)
    refused(
        lambda: ebsnv.put_snapshot_block(
            SnapshotId=sid,
            BlockIndex=1,
            BlockData=disk[0],
            DataLength=BLOCK,
            Checksum=b64sha(disk[0]),
            ChecksumAlgorithm="MD5",
        ),
        400,
        "ValidationException",
        "bad enum (ChecksumAlgorithm MD5): 400 ValidationException",
        "enum",
    )
    refused(
        lambda: ebsnv.start_snapshot(),
        400,
        "ValidationException",
        "missing VolumeSize: 400 ValidationException",
        "VolumeSize",
    )
    refused(
        lambda: ebsnv.start_snapshot(VolumeSize=1, Timeout=5),
        400,
        "ValidationException",
        "Timeout below the model's min 10: 400 ValidationException",
        "Timeout",
    )
    # throttling, then success on boto3's own retry; the block is re-sent
    ebs5, ec25 = clients(url, attempts=5)
    control(url, "faults", {"op": "PutSnapshotBlock", "kind": "throttle", "count": 2})
    before = len(control(url, "log")["requests"])
    r = ebs5.put_snapshot_block(
        SnapshotId=sid,
        BlockIndex=5,
        BlockData=disk[5],
        DataLength=BLOCK,
        Checksum=b64sha(disk[5]),
        ChecksumAlgorithm="SHA256",
    )
    again = [e for e in control(url, "log?since=%d" % before)["requests"] if e["op"] == "PutSnapshotBlock"]
    ok(
        r["ResponseMetadata"]["RetryAttempts"] == 2
        and [e.get("error") for e in again] == ["RequestThrottledException"] * 2 + [None]
        and again[-1]["params"]["BlockIndex"] == 5
        and again[-1]["params"]["BlockData"] == {"bytes": BLOCK},
        "RequestThrottledException twice, then boto3's retry succeeds; the log shows the block sent 3 times",
        again,
    )
    control(url, "faults", {"op": "ListSnapshotBlocks", "kind": "throttle", "count": 1, "code": "ThrottlingException"})
    refused(
        lambda: ebs.list_snapshot_blocks(SnapshotId=sid),
        400,
        "ThrottlingException",
        "a fault with its own code: 400 ThrottlingException",
    )
    control(url, "faults", {"op": "PutSnapshotBlock", "kind": "notfound", "count": 1})
    refused(
        lambda: ebs.put_snapshot_block(
            SnapshotId=sid,
            BlockIndex=5,
            BlockData=disk[5],
            DataLength=BLOCK,
            Checksum=b64sha(disk[5]),
            ChecksumAlgorithm="SHA256",
        ),
        404,
        "ResourceNotFoundException",
        "a notfound fault (eventual consistency): 404 ResourceNotFoundException",
    )
    control(url, "faults", {"op": "PutSnapshotBlock", "kind": "500", "count": 1})
    r = ebs5.put_snapshot_block(
        SnapshotId=sid,
        BlockIndex=5,
        BlockData=disk[5],
        DataLength=BLOCK,
        Checksum=b64sha(disk[5]),
        ChecksumAlgorithm="SHA256",
    )
    ok(r["ResponseMetadata"]["RetryAttempts"] == 1, "InternalServerException (500) once, then the retry succeeds")
    control(url, "faults", {"op": "PutSnapshotBlock", "kind": "drop", "count": 1})
    r = ebs5.put_snapshot_block(
        SnapshotId=sid,
        BlockIndex=5,
        BlockData=disk[5],
        DataLength=BLOCK,
        Checksum=b64sha(disk[5]),
        ChecksumAlgorithm="SHA256",
    )
    ok(r["ResponseMetadata"]["RetryAttempts"] == 1, "a dropped connection, then the retry succeeds")
    ebs_slow, _ = clients(url, attempts=5, read_timeout=2)
    control(url, "faults", {"op": "PutSnapshotBlock", "kind": "slow", "count": 1, "delay": 4})
    t0 = time.time()
    r = ebs_slow.put_snapshot_block(
        SnapshotId=sid,
        BlockIndex=5,
        BlockData=disk[5],
        DataLength=BLOCK,
        Checksum=b64sha(disk[5]),
        ChecksumAlgorithm="SHA256",
    )
    ok(
        r["ResponseMetadata"]["RetryAttempts"] >= 1 and time.time() - t0 >= 1,
        "a slow reply: boto3 times out and retries",
    )
    control(url, "faults", method="DELETE")

    refused(
        lambda: ebs.complete_snapshot(
            SnapshotId=sid,
            ChangedBlocksCount=3,
            Checksum=b64sha(b"".join(disk.values())),
            ChecksumAlgorithm="SHA256",
            ChecksumAggregationMethod="LINEAR",
        ),
        400,
        "ValidationException",
        "wrong linear checksum: 400 ValidationException",
        "aggregated",
    )
    refused(
        lambda: ebs.complete_snapshot(SnapshotId=sid, ChangedBlocksCount=2),
        400,
        "ValidationException",
        "ChangedBlocksCount not the blocks written: 400 ValidationException",
    )
    linear = base64.b64encode(
        hashlib.sha256(b"".join(hashlib.sha256(disk[i]).digest() for i in sorted(disk))).digest()
    ).decode()
    r = ebs.complete_snapshot(
        SnapshotId=sid,
        ChangedBlocksCount=3,
        Checksum=linear,
        ChecksumAlgorithm="SHA256",
        ChecksumAggregationMethod="LINEAR",
    )
    ok(
        r["Status"] == "completed" and r["ResponseMetadata"]["HTTPStatusCode"] == 202,
        "CompleteSnapshot with the LINEAR checksum: 202 completed",
        r,
    )
    refused(
        lambda: ebs.put_snapshot_block(
            SnapshotId=sid,
            BlockIndex=1,
            BlockData=disk[0],
            DataLength=BLOCK,
            Checksum=b64sha(disk[0]),
            ChecksumAlgorithm="SHA256",
        ),
        400,
        "ValidationException",
        "a block after completion: 400 ValidationException",
    )
    lst = ebs.list_snapshot_blocks(SnapshotId=sid, MaxResults=100)
    ok(
        [b["BlockIndex"] for b in lst["Blocks"]] == sorted(disk) and lst["VolumeSize"] == 2,
        "ListSnapshotBlocks: the written blocks",
        lst["Blocks"],
    )
    good = True
    for b in lst["Blocks"]:
        g = ebs.get_snapshot_block(SnapshotId=sid, BlockIndex=b["BlockIndex"], BlockToken=b["BlockToken"])
        data = g["BlockData"].read()
        good &= data == disk[b["BlockIndex"]] and g["Checksum"] == b64sha(data) and g["DataLength"] == BLOCK
    ok(good, "GetSnapshotBlock reads every block back, checksum and length in the headers")
    refused(
        lambda: ebs.get_snapshot_block(SnapshotId=sid, BlockIndex=5, BlockToken=lst["Blocks"][0]["BlockToken"]),
        400,
        "ValidationException",
        "GetSnapshotBlock with another block's token: ValidationException",
    )
    refused(
        lambda: ebs.list_snapshot_blocks(SnapshotId="snap-0123456789abcdef0"),
        404,
        "ResourceNotFoundException",
        "an unknown snapshot: 404 ResourceNotFoundException",
    )

    # parallel uploads under rate-limited throttling: every block lands once
    par = ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    pblocks = {i: os.urandom(BLOCK) for i in range(0, 32, 2)}
    control(url, "faults", {"op": "PutSnapshotBlock", "kind": "throttle", "rate": 0.3})
    ebs10, _ = clients(url, attempts=10, max_pool_connections=8)

    def put(i):
        return ebs10.put_snapshot_block(
            SnapshotId=par,
            BlockIndex=i,
            BlockData=pblocks[i],
            DataLength=BLOCK,
            Checksum=b64sha(pblocks[i]),
            ChecksumAlgorithm="SHA256",
        )["ResponseMetadata"]["RetryAttempts"]

    with ThreadPoolExecutor(8) as ex:
        retries = sum(ex.map(put, sorted(pblocks)))
    control(url, "faults", method="DELETE")
    lin = base64.b64encode(
        hashlib.sha256(b"".join(hashlib.sha256(pblocks[i]).digest() for i in sorted(pblocks))).digest()
    ).decode()
    r = ebs.complete_snapshot(
        SnapshotId=par,
        ChangedBlocksCount=len(pblocks),
        Checksum=lin,
        ChecksumAlgorithm="SHA256",
        ChecksumAggregationMethod="LINEAR",
    )
    ok(
        r["Status"] == "completed" and retries > 0,
        "16 blocks from 8 threads under 30%% throttling (%d retries): the LINEAR checksum holds" % retries,
        r,
    )
    ec2.delete_snapshot(SnapshotId=par)

    # an incremental snapshot: the parent's blocks and its own
    st, code, _ = error(lambda: ebs.start_snapshot(VolumeSize=1, ParentSnapshotId=sid))
    ok(code == "ValidationException", "a child smaller than its parent: ValidationException", code)
    kid = ebs.start_snapshot(VolumeSize=2, ParentSnapshotId=sid)["SnapshotId"]
    new5 = os.urandom(BLOCK)
    ebs.put_snapshot_block(
        SnapshotId=kid,
        BlockIndex=5,
        BlockData=new5,
        DataLength=BLOCK,
        Checksum=b64sha(new5),
        ChecksumAlgorithm="SHA256",
    )
    ebs.complete_snapshot(
        SnapshotId=kid,
        ChangedBlocksCount=1,
        Checksum=base64.b64encode(hashlib.sha256(hashlib.sha256(new5).digest()).digest()).decode(),
        ChecksumAlgorithm="SHA256",
        ChecksumAggregationMethod="LINEAR",
    )
    kb = {b["BlockIndex"]: b["BlockToken"] for b in ebs.list_snapshot_blocks(SnapshotId=kid)["Blocks"]}
    got = {
        i: ebs.get_snapshot_block(SnapshotId=kid, BlockIndex=i, BlockToken=t)["BlockData"].read() for i, t in kb.items()
    }
    ok(
        sorted(got) == sorted(disk) and got[5] == new5 and got[0] == disk[0] and got[4095] == disk[4095],
        "a child of the snapshot: its own block 5 over the parent's blocks 0 and 4095",
        sorted(got),
    )
    chg = ebs.list_changed_blocks(FirstSnapshotId=sid, SecondSnapshotId=kid)["ChangedBlocks"]
    ok(
        [c["BlockIndex"] for c in chg] == [5] and "FirstBlockToken" in chg[0] and "SecondBlockToken" in chg[0],
        "ListChangedBlocks parent -> child: block 5, both tokens",
        chg,
    )
    g = ebs.get_snapshot_block(SnapshotId=sid, BlockIndex=5, BlockToken=chg[0]["FirstBlockToken"])["BlockData"].read()
    ok(g == disk[5], "the first token reads the parent's block 5")
    st, code, _ = error(lambda: ebs.list_changed_blocks(FirstSnapshotId=kid, SecondSnapshotId=sid))
    ok(
        code == "ValidationException",
        "ListChangedBlocks child -> parent: ValidationException (UNRELATED_SNAPSHOTS)",
        code,
    )
    # the parent deleted: the child still reads the blocks it inherited
    # (done on a copy, as the image of the parent is still registered)
    kid2 = ebs.start_snapshot(VolumeSize=2, ParentSnapshotId=kid)["SnapshotId"]
    ebs.complete_snapshot(SnapshotId=kid2, ChangedBlocksCount=0)
    ec2.delete_snapshot(SnapshotId=kid)
    kb = {b["BlockIndex"]: b["BlockToken"] for b in ebs.list_snapshot_blocks(SnapshotId=kid2)["Blocks"]}
    got = {
        i: ebs.get_snapshot_block(SnapshotId=kid2, BlockIndex=i, BlockToken=t)["BlockData"].read()
        for i, t in kb.items()
    }
    ok(
        got == {0: disk[0], 5: new5, 4095: disk[4095]},
        "its parent deleted, a snapshot still reads every block it inherited",
        sorted(got),
    )
    ec2.delete_snapshot(SnapshotId=kid2)

    c.update({k: v for k, v in locals().items() if k != "c"})
