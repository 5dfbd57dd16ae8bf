# ebs.py - the EBS direct APIs simulated: snapshots written block by block.
#
# A snapshot holds its blocks (index -> 512 KiB bytes and their SHA-256).
# PutSnapshotBlock checks what the real service checks (the block's
# x-amz-Checksum against the data, SHA256, 524288 bytes, an index inside
# VolumeSize GiB, a pending snapshot); CompleteSnapshot checks
# ChangedBlocksCount against the blocks written and, when sent, the LINEAR
# aggregate checksum: SHA-256 over the concatenated raw 32-byte SHA-256
# digests of the written blocks in ascending block index, base64 (the EBS
# API reference: "arrange the checksums for each written block in ascending
# order of their block index, concatenate them ... generate the checksum on
# the entire string"; AWS's own uploader, awslabs/coldsnap, concatenates the
# raw digests, not their base64 text).
import base64
import datetime
import hashlib

BLOCK = 524288
BLOCKS_PER_GIB = (1 << 30) // BLOCK


class ApiError(Exception):
    """An error shape of the model, sent as the service sends it."""

    def __init__(self, code, message, reason=None, status=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.status = status


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _b64sha(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _snapshot(st, sid):
    s = st.snapshots.get(sid)
    if s is None:
        raise ApiError("ResourceNotFoundException", "The snapshot '%s' does not exist." % sid, "SNAPSHOT_NOT_FOUND")
    return s


def linear_checksum(snap):
    h = hashlib.sha256()
    for idx in sorted(snap["blocks"]):
        h.update(base64.b64decode(snap["blocks"][idx]["sha"]))
    return base64.b64encode(h.digest()).decode()


def start_snapshot(st, p):
    if p.get("Encrypted") and p.get("ParentSnapshotId"):
        raise ApiError(
            "ValidationException",
            "You can't specify ParentSnapshotId and Encrypted in the same request.",
            "INVALID_PARAMETER_VALUE",
        )
    if p["VolumeSize"] > 65536:
        raise ApiError(
            "ValidationException", "The volume size %d GiB is above 65536 GiB." % p["VolumeSize"], "INVALID_VOLUME_SIZE"
        )
    for t in p.get("Tags", []):
        if not t.get("Key"):
            raise ApiError("ValidationException", "A tag needs a Key.", "INVALID_TAG")
    token = p.get("ClientToken")
    key = dict(p)
    key.pop("ClientToken", None)
    if token and token in st.ebs_tokens:
        prev = st.ebs_tokens[token]
        if prev["params"] != st.jsonable(key):
            raise ApiError(
                "ConflictException", "The request uses the same client token as a previous, but non-identical request."
            )
        return 201, st.start_answer(st.snapshots[prev["id"]])
    parent = None
    if p.get("ParentSnapshotId"):
        parent = _snapshot(st, p["ParentSnapshotId"])
        if parent["Status"] != "completed":
            raise ApiError("ValidationException", "The parent snapshot is not completed.", "INVALID_SNAPSHOT_ID")
        if p["VolumeSize"] < parent["VolumeSize"]:
            raise ApiError(
                "ValidationException", "The volume size is smaller than the parent snapshot's.", "INVALID_VOLUME_SIZE"
            )
    sid = st.new_id("snap-")
    snap = {
        "SnapshotId": sid,
        "VolumeSize": p["VolumeSize"],
        "Status": "pending",
        "StartTime": _now().timestamp(),
        "Description": p.get("Description", ""),
        "Tags": [{"Key": t.get("Key", ""), "Value": t.get("Value", "")} for t in p.get("Tags", [])],
        "ParentSnapshotId": p.get("ParentSnapshotId"),
        "Encrypted": bool(p.get("Encrypted")),
        "Timeout": p.get("Timeout", 60),
        "blocks": {},
        "parent_blocks": {},
        "completed_at": None,
    }
    if parent:
        snap["parent_blocks"] = dict(parent["parent_blocks"])
        snap["parent_blocks"].update({i: sid_ for i, sid_ in ((i, parent["SnapshotId"]) for i in parent["blocks"])})
    st.snapshots[sid] = snap
    if token:
        st.ebs_tokens[token] = {"id": sid, "params": st.jsonable(key)}
    st.save()
    return 201, st.start_answer(snap)


def put_snapshot_block(st, p):
    snap = _snapshot(st, p["SnapshotId"])
    st.settle(snap)
    if snap["Status"] != "pending":
        raise ApiError(
            "ValidationException",
            "The snapshot %s is %s: blocks can be written only while it is pending."
            % (snap["SnapshotId"], snap["Status"]),
            "INVALID_SNAPSHOT_ID",
        )
    idx = p["BlockIndex"]
    if idx >= snap["VolumeSize"] * BLOCKS_PER_GIB:
        raise ApiError(
            "ValidationException",
            "The block index %d is outside the volume (%d GiB = %d blocks)."
            % (idx, snap["VolumeSize"], snap["VolumeSize"] * BLOCKS_PER_GIB),
            "INVALID_BLOCK",
        )
    data = p["BlockData"]
    if p["DataLength"] != BLOCK:
        raise ApiError(
            "ValidationException",
            "DataLength %d: the only supported size is 524288 bytes." % p["DataLength"],
            "INVALID_PARAMETER_VALUE",
        )
    if len(data) != p["DataLength"]:
        raise ApiError(
            "ValidationException",
            "The body is %d bytes, x-amz-Data-Length says %d." % (len(data), p["DataLength"]),
            "INVALID_PARAMETER_VALUE",
        )
    digest = _b64sha(data)
    if p["Checksum"] != digest:
        raise ApiError(
            "ValidationException",
            "The checksum %s does not match the data (SHA-256 %s)." % (p["Checksum"], digest),
            "INVALID_BLOCK",
        )
    snap["blocks"][idx] = {"sha": digest, "data": bytes(data)}
    st.save_block(snap, idx)
    return 201, {"Checksum": digest, "ChecksumAlgorithm": "SHA256"}


def complete_snapshot(st, p):
    snap = _snapshot(st, p["SnapshotId"])
    st.settle(snap)
    if snap["Status"] != "pending":
        raise ApiError(
            "ValidationException",
            "The snapshot %s is already %s." % (snap["SnapshotId"], snap["Status"]),
            "INVALID_SNAPSHOT_ID",
        )
    n = len(snap["blocks"])
    if p["ChangedBlocksCount"] != n:
        raise ApiError(
            "ValidationException",
            "ChangedBlocksCount is %d but %d blocks were written." % (p["ChangedBlocksCount"], n),
            "INVALID_PARAMETER_VALUE",
        )
    if p.get("Checksum") is not None:
        if p.get("ChecksumAlgorithm") != "SHA256" or p.get("ChecksumAggregationMethod") != "LINEAR":
            raise ApiError(
                "ValidationException",
                "A checksum needs x-amz-Checksum-Algorithm SHA256 and x-amz-Checksum-Aggregation-Method LINEAR.",
                "INVALID_PARAMETER_VALUE",
            )
        want = linear_checksum(snap)
        if p["Checksum"] != want:
            raise ApiError(
                "ValidationException",
                "The aggregated checksum %s does not match the blocks written (%s)." % (p["Checksum"], want),
                "INVALID_PARAMETER_VALUE",
            )
    elif p.get("ChecksumAlgorithm") or p.get("ChecksumAggregationMethod"):
        raise ApiError(
            "ValidationException",
            "x-amz-Checksum-Algorithm/-Aggregation-Method without x-amz-Checksum.",
            "INVALID_PARAMETER_VALUE",
        )
    snap["completed_at"] = _now().timestamp() + st.cfg.complete_delay
    snap["Status"] = "completing"
    st.settle(snap)
    st.save()
    return 202, {"Status": "completed" if snap["Status"] == "completed" else "pending"}


def _all_blocks(st, snap):
    """index -> (owner snapshot, block record), the parent chain included;
    blocks of a deleted ancestor are the snapshot's own "kept" copies."""
    out = {}
    for idx, owner in snap["parent_blocks"].items():
        o = st.snapshots.get(owner)
        if o is not None and idx in o["blocks"]:
            out[idx] = (owner, o["blocks"][idx])
    for idx, b in snap.get("kept", {}).items():
        out[idx] = (snap["SnapshotId"], b)
    for idx, b in snap["blocks"].items():
        out[idx] = (snap["SnapshotId"], b)
    return out


def keep_inherited(st, sid):
    """Before snapshot sid is deleted: the snapshots that read blocks of it
    keep their own copies (as EBS keeps the data a later snapshot needs)."""
    gone = st.snapshots[sid]
    for o in st.snapshots.values():
        if o is gone:
            continue
        for idx in [i for i, owner in o["parent_blocks"].items() if owner == sid]:
            o.setdefault("kept", {})[idx] = gone["blocks"][idx]
            del o["parent_blocks"][idx]
            st.save_block(o, idx, kept=True)


def _token(sid, idx, sha):
    return base64.b64encode(("%s:%d:%s" % (sid, idx, sha[:16])).encode()).decode()


def list_snapshot_blocks(st, p):
    snap = _snapshot(st, p["SnapshotId"])
    st.settle(snap)
    if snap["Status"] != "completed":
        raise ApiError(
            "ValidationException", "The snapshot %s is not completed." % snap["SnapshotId"], "INVALID_SNAPSHOT_ID"
        )
    blocks = _all_blocks(st, snap)
    page, nxt = _page(p, sorted(blocks))
    out = {
        "Blocks": [{"BlockIndex": i, "BlockToken": _token(blocks[i][0], i, blocks[i][1]["sha"])} for i in page],
        "ExpiryTime": _now() + datetime.timedelta(hours=1),
        "VolumeSize": snap["VolumeSize"],
        "BlockSize": BLOCK,
    }
    if nxt:
        out["NextToken"] = nxt
    return 200, out


def get_snapshot_block(st, p):
    snap = _snapshot(st, p["SnapshotId"])
    st.settle(snap)
    if snap["Status"] != "completed":
        raise ApiError(
            "ValidationException", "The snapshot %s is not completed." % snap["SnapshotId"], "INVALID_SNAPSHOT_ID"
        )
    blocks = _all_blocks(st, snap)
    idx = p["BlockIndex"]
    if idx not in blocks or p["BlockToken"] != _token(blocks[idx][0], idx, blocks[idx][1]["sha"]):
        raise ApiError("ValidationException", "The block token is not valid for block %d." % idx, "INVALID_BLOCK_TOKEN")
    b = blocks[idx][1]
    return 200, {"BlockData": b["data"], "DataLength": BLOCK, "Checksum": b["sha"], "ChecksumAlgorithm": "SHA256"}


def _page(p, idxs):
    start = p.get("StartingBlockIndex", 0)
    if p.get("NextToken") is not None:
        try:
            start = int(base64.b64decode(p["NextToken"]).decode())
        except ValueError:
            raise ApiError("ValidationException", "The page token is not valid.", "INVALID_PAGE_TOKEN")
    idxs = [i for i in idxs if i >= start]
    limit = p.get("MaxResults", 10000)
    nxt = base64.b64encode(str(idxs[limit]).encode()).decode() if len(idxs) > limit else None
    return idxs[:limit], nxt


def list_changed_blocks(st, p):
    second = _snapshot(st, p["SecondSnapshotId"])
    first = _snapshot(st, p["FirstSnapshotId"]) if p.get("FirstSnapshotId") else None
    for s in (first, second):
        if s is not None:
            st.settle(s)
            if s["Status"] != "completed":
                raise ApiError(
                    "ValidationException", "The snapshot %s is not completed." % s["SnapshotId"], "INVALID_SNAPSHOT_ID"
                )
    if first is not None:
        cur = second
        while cur is not None and cur["SnapshotId"] != first["SnapshotId"]:
            cur = st.snapshots.get(cur["ParentSnapshotId"]) if cur["ParentSnapshotId"] else None
        if cur is None:
            raise ApiError(
                "ValidationException",
                "%s is not an ancestor of %s." % (first["SnapshotId"], second["SnapshotId"]),
                "UNRELATED_SNAPSHOTS",
            )
    b2 = _all_blocks(st, second)
    b1 = _all_blocks(st, first) if first is not None else {}

    def differs(i):  # written after the first snapshot (even with the same bytes), or only in one
        a, b = b1.get(i), b2.get(i)
        return a is None or b is None or a[0] != b[0] or a[1]["sha"] != b[1]["sha"]

    changed = sorted(i for i in set(b1) | set(b2) if differs(i))
    page, nxt = _page(p, changed)
    out = []
    for i in page:
        c = {"BlockIndex": i}
        if i in b1:
            c["FirstBlockToken"] = _token(b1[i][0], i, b1[i][1]["sha"])
        if i in b2:
            c["SecondBlockToken"] = _token(b2[i][0], i, b2[i][1]["sha"])
        out.append(c)
    res = {
        "ChangedBlocks": out,
        "ExpiryTime": _now() + datetime.timedelta(hours=1),
        "VolumeSize": second["VolumeSize"],
        "BlockSize": BLOCK,
    }
    if nxt:
        res["NextToken"] = nxt
    return 200, res


HANDLERS = {
    "ListChangedBlocks": list_changed_blocks,
    "StartSnapshot": start_snapshot,
    "PutSnapshotBlock": put_snapshot_block,
    "CompleteSnapshot": complete_snapshot,
    "ListSnapshotBlocks": list_snapshot_blocks,
    "GetSnapshotBlock": get_snapshot_block,
}
