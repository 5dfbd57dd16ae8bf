# state.py - what the simulated account holds, in memory and (with --state)
# in a JSON file plus one file per written block beside it (F.json.blocks/),
# so the endpoint can be stopped and started again with the same snapshots,
# images and instances (a client's resume after a restart).
import base64
import datetime
import json
import os
import secrets
import tempfile
import threading


class State:
    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.RLock()
        self.snapshots = {}
        self.images = {}
        self.instances = {}
        self.ebs_tokens = {}
        self.ec2_tokens = {}
        self.console = {}  # image or instance id -> console text
        self.path = cfg.state
        if self.path and os.path.exists(self.path):
            self._load()

    def new_id(self, prefix):
        return prefix + secrets.token_hex(9)[:17]

    @staticmethod
    def jsonable(v):
        return json.loads(json.dumps(v, default=str, sort_keys=True))

    def settle(self, snap):
        if snap["Status"] == "completing" and datetime.datetime.now().timestamp() >= snap["completed_at"]:
            snap["Status"] = "completed"

    def start_answer(self, snap):
        out = {
            "SnapshotId": snap["SnapshotId"],
            "OwnerId": self.cfg.account,
            "Status": "pending" if snap["Status"] == "pending" else snap["Status"],
            "StartTime": datetime.datetime.fromtimestamp(snap["StartTime"], datetime.timezone.utc),
            "VolumeSize": snap["VolumeSize"],
            "BlockSize": 524288,
            "Tags": snap["Tags"],
        }
        if snap["Status"] == "completing":
            out["Status"] = "pending"
        if snap["Description"]:
            out["Description"] = snap["Description"]
        if snap["ParentSnapshotId"]:
            out["ParentSnapshotId"] = snap["ParentSnapshotId"]
        return out

    # --- persistence ---------------------------------------------------------

    def _blockdir(self):
        return self.path + ".blocks"

    def save_block(self, snap, idx, kept=False):
        """A written block (or, kept, an inherited one) to its own file."""
        if not self.path:
            return
        d = self._blockdir()
        os.makedirs(d, exist_ok=True)
        name = "%s.%s%d" % (snap["SnapshotId"], "kept." if kept else "", idx)
        with open(os.path.join(d, name + ".tmp"), "wb") as f:
            f.write((snap["kept"] if kept else snap["blocks"])[idx]["data"])
        os.replace(os.path.join(d, name + ".tmp"), os.path.join(d, name))
        self.save()

    def forget_blocks(self, sid):
        if not self.path:
            return
        d = self._blockdir()
        if os.path.isdir(d):
            for n in os.listdir(d):
                if n.startswith(sid + "."):
                    os.unlink(os.path.join(d, n))

    def save(self):
        if not self.path:
            return
        snaps = {}
        for sid, s in self.snapshots.items():
            c = dict(s)
            c["blocks"] = {str(i): {"sha": b["sha"]} for i, b in s["blocks"].items()}
            c["parent_blocks"] = {str(i): o for i, o in s["parent_blocks"].items()}
            c["kept"] = {str(i): {"sha": b["sha"]} for i, b in s.get("kept", {}).items()}
            snaps[sid] = c
        doc = {
            "snapshots": snaps,
            "images": self.images,
            "instances": self.instances,
            "ebs_tokens": self.ebs_tokens,
            "ec2_tokens": self.ec2_tokens,
            "console": {k: base64.b64encode(v).decode() for k, v in self.console.items()},
        }
        d = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".state.")
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, default=str)
        os.replace(tmp, self.path)

    def _load(self):
        with open(self.path) as f:
            doc = json.load(f)
        for sid, s in doc.get("snapshots", {}).items():
            blocks = {}
            for i, b in s["blocks"].items():
                with open(os.path.join(self._blockdir(), "%s.%s" % (sid, i)), "rb") as bf:
                    blocks[int(i)] = {"sha": b["sha"], "data": bf.read()}
            s["blocks"] = blocks
            kept = {}
            for i, b in s.get("kept", {}).items():
                with open(os.path.join(self._blockdir(), "%s.kept.%s" % (sid, i)), "rb") as bf:
                    kept[int(i)] = {"sha": b["sha"], "data": bf.read()}
            s["kept"] = kept
            s["parent_blocks"] = {int(i): o for i, o in s["parent_blocks"].items()}
            self.snapshots[sid] = s
        self.images = doc.get("images", {})
        self.instances = doc.get("instances", {})
        self.ebs_tokens = doc.get("ebs_tokens", {})
        self.ec2_tokens = doc.get("ec2_tokens", {})
        self.console = {k: base64.b64decode(v) for k, v in doc.get("console", {}).items()}
