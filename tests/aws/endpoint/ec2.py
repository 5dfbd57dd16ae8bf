# ec2.py - the EC2 actions unik uses, simulated over the shared State:
# images registered from EBS snapshots, snapshots listed and deleted,
# instances run, listed (filters), stopped, started, terminated, their
# console output and tags, and a small instance-type table.
#
# Instance states move with time: pending -> running after cfg.boot_delay
# seconds, stopping -> stopped and shutting-down -> terminated after
# cfg.stop_delay; the state is computed when asked, so a restarted endpoint
# continues where it was.
import base64
import binascii
import datetime
import fnmatch

from ebs import ApiError, keep_inherited

STATES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}
# name: (MiB, vCPUs, hypervisor, architectures)
TYPES = {
    "t2.nano": (512, 1, "xen", ["i386", "x86_64"]),
    "t2.micro": (1024, 1, "xen", ["i386", "x86_64"]),
    "t2.small": (2048, 1, "xen", ["i386", "x86_64"]),
    "t2.medium": (4096, 2, "xen", ["i386", "x86_64"]),
    "t3.nano": (512, 2, "nitro", ["x86_64"]),
    "t3.micro": (1024, 2, "nitro", ["x86_64"]),
    "t3.small": (2048, 2, "nitro", ["x86_64"]),
    "t3.medium": (4096, 2, "nitro", ["x86_64"]),
    "m5.large": (8192, 2, "nitro", ["x86_64"]),
    "c5.large": (4096, 2, "nitro", ["x86_64"]),
    "m4.large": (8192, 2, "xen", ["x86_64"]),
    "c4.large": (3840, 2, "xen", ["x86_64"]),
    "t4g.micro": (1024, 2, "nitro", ["arm64"]),
}
MAX_INSTANCES = 20


def _err(code, msg):
    return ApiError(code, msg, status=400)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).timestamp()


def _dt(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)


def _tags_match(tags, filters, fields):
    """EC2 filters: tag:K, tag-key and the resource's own fields."""
    for f in filters:
        name, values = f.get("Name"), f.get("Values", [])
        if not name:
            raise _err("InvalidParameterValue", "A filter needs a Name")
        if name.startswith("tag:"):
            k = name[4:]
            have = [t.get("Value", "") for t in tags if t.get("Key") == k]
        elif name == "tag-key":
            have = [t.get("Key") for t in tags]
        elif name in fields:
            v = fields[name]
            have = v if isinstance(v, list) else [v]
        else:
            raise _err("InvalidParameterValue", "The filter '%s' is invalid" % name)
        if not any(fnmatch.fnmatchcase(str(h), pat) for h in have for pat in values):
            return False
    return True


# --- snapshots and images -------------------------------------------------


def _snap_view(st, s):
    st.settle(s)
    return {
        "SnapshotId": s["SnapshotId"],
        "State": "pending" if s["Status"] == "completing" else s["Status"],
        "VolumeSize": s["VolumeSize"],
        "StartTime": _dt(s["StartTime"]),
        "Progress": "100%" if s["Status"] == "completed" else "0%",
        "OwnerId": st.cfg.account,
        "Description": s["Description"],
        "Encrypted": s["Encrypted"],
        "VolumeId": "vol-ffffffff",
        "Tags": s["Tags"],
    }


def describe_snapshots(st, p):
    ids = p.get("SnapshotIds")
    for i in ids or []:
        if i not in st.snapshots:
            raise _err("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist." % i)
    for o in p.get("OwnerIds", []):
        if o not in ("self", st.cfg.account):
            return {"Snapshots": []}
    out = []
    for sid in sorted(st.snapshots):
        if ids and sid not in ids:
            continue
        v = _snap_view(st, st.snapshots[sid])
        fields = {
            "snapshot-id": sid,
            "status": v["State"],
            "owner-id": st.cfg.account,
            "volume-size": str(v["VolumeSize"]),
            "description": v["Description"],
        }
        if _tags_match(v["Tags"], p.get("Filters", []), fields):
            out.append(v)
    return {"Snapshots": out}


def delete_snapshot(st, p):
    sid = p["SnapshotId"]
    if sid not in st.snapshots:
        raise _err("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist." % sid)
    for img in st.images.values():
        if sid in [b.get("Ebs", {}).get("SnapshotId") for b in img["BlockDeviceMappings"]]:
            raise _err("InvalidSnapshot.InUse", "The snapshot %s is currently in use by %s" % (sid, img["ImageId"]))
    keep_inherited(st, sid)
    del st.snapshots[sid]
    st.forget_blocks(sid)
    st.save()
    return {"Return": True}


def register_image(st, p):
    if p.get("ImageLocation"):
        raise _err(
            "InvalidParameterCombination", "ImageLocation (an S3 manifest) is not simulated: register from a snapshot"
        )
    name = p["Name"]
    if not 3 <= len(name) <= 128:
        raise _err("InvalidAMIName.Malformed", "AMI names must be between 3 and 128 characters long")
    if any(i["Name"] == name for i in st.images.values()):
        raise _err("InvalidAMIName.Duplicate", "AMI name %s is already in use by an AMI" % name)
    root = p.get("RootDeviceName")
    bdm = p.get("BlockDeviceMappings", [])
    if not root or not bdm:
        raise _err("InvalidParameterValue", "Registering from a snapshot needs RootDeviceName and BlockDeviceMappings")
    root_ok = False
    for b in bdm:
        dev = b.get("DeviceName")
        if not dev:
            raise _err("MissingParameter", "The request must contain the parameter BlockDeviceMapping.N.DeviceName")
        ebs = b.get("Ebs")
        if ebs:
            sid = ebs.get("SnapshotId")
            if sid:
                s = st.snapshots.get(sid)
                if s is None:
                    raise _err("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist." % sid)
                st.settle(s)
                if s["Status"] != "completed":
                    raise _err("IncorrectState", "Snapshot %s is not 'completed' (it is %s)" % (sid, s["Status"]))
                if ebs.get("VolumeSize") is not None and ebs["VolumeSize"] < s["VolumeSize"]:
                    raise _err(
                        "InvalidBlockDeviceMapping",
                        "Volume of %d GiB is smaller than snapshot %s (%d GiB)"
                        % (ebs["VolumeSize"], sid, s["VolumeSize"]),
                    )
            elif dev == root:
                raise _err("InvalidBlockDeviceMapping", "The root device %s needs a snapshot" % root)
        if dev == root:
            root_ok = bool(ebs and ebs.get("SnapshotId"))
    if not root_ok:
        raise _err("InvalidBlockDeviceMapping", "The root device name %s is not in the block device mapping" % root)
    vt = p.get("VirtualizationType", "paravirtual")
    if vt not in ("hvm", "paravirtual"):
        raise _err("InvalidParameterValue", "Value (%s) for parameter virtualizationType is invalid" % vt)
    iid = st.new_id("ami-")
    st.images[iid] = {
        "ImageId": iid,
        "Name": name,
        "Description": p.get("Description", ""),
        "Architecture": p.get("Architecture", "x86_64"),
        "RootDeviceName": root,
        "BlockDeviceMappings": bdm,
        "VirtualizationType": vt,
        "EnaSupport": bool(p.get("EnaSupport", False)),
        "SriovNetSupport": p.get("SriovNetSupport"),
        "BootMode": p.get("BootMode"),
        "CreationDate": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "Tags": [],
    }
    st.save()
    return {"ImageId": iid}


def _image_view(st, img):
    v = {
        "ImageId": img["ImageId"],
        "Name": img["Name"],
        "State": "available",
        "OwnerId": st.cfg.account,
        "Public": False,
        "ImageType": "machine",
        "Architecture": img["Architecture"],
        "RootDeviceName": img["RootDeviceName"],
        "RootDeviceType": "ebs",
        "VirtualizationType": img["VirtualizationType"],
        "Hypervisor": "xen",
        "EnaSupport": img["EnaSupport"],
        "BlockDeviceMappings": img["BlockDeviceMappings"],
        "CreationDate": img["CreationDate"],
        "ImageLocation": "%s/%s" % (st.cfg.account, img["Name"]),
        "Tags": img["Tags"],
    }
    for k in ("SriovNetSupport", "BootMode"):
        if img.get(k):
            v[k] = img[k]
    if img["Description"]:
        v["Description"] = img["Description"]
    return v


def describe_images(st, p):
    ids = p.get("ImageIds")
    for i in ids or []:
        if i not in st.images:
            raise _err("InvalidAMIID.NotFound", "The image id '[%s]' does not exist" % i)
    owners = p.get("Owners")
    if owners and not any(o in ("self", st.cfg.account) for o in owners):
        return {"Images": []}
    out = []
    for iid in sorted(st.images):
        if ids and iid not in ids:
            continue
        v = _image_view(st, st.images[iid])
        fields = {
            "image-id": iid,
            "name": v["Name"],
            "state": "available",
            "owner-id": st.cfg.account,
            "architecture": v["Architecture"],
        }
        if _tags_match(v["Tags"], p.get("Filters", []), fields):
            out.append(v)
    return {"Images": out}


def deregister_image(st, p):
    iid = p["ImageId"]
    if iid not in st.images:
        raise _err("InvalidAMIID.NotFound", "The image id '[%s]' does not exist" % iid)
    del st.images[iid]
    st.save()
    return {}


# --- instances --------------------------------------------------------------


def _state(st, inst):
    """The instance's state now, moved on by the configured delays."""
    t, now = inst["since"], _now()
    s = inst["state"]
    if s == "pending" and now >= t + st.cfg.boot_delay:
        inst["state"], inst["since"] = "running", t + st.cfg.boot_delay
    elif s == "stopping" and now >= t + st.cfg.stop_delay:
        inst["state"], inst["since"] = "stopped", t + st.cfg.stop_delay
    elif s == "shutting-down" and now >= t + st.cfg.stop_delay:
        inst["state"], inst["since"] = "terminated", t + st.cfg.stop_delay
    return inst["state"]


settle = _state


def _sname(name):
    return {"Code": STATES[name], "Name": name}


def run_instances(st, p):
    token = p.get("ClientToken")
    key = dict(p)
    key.pop("ClientToken", None)
    if token and token in st.ec2_tokens:
        prev = st.ec2_tokens[token]
        if prev["params"] != st.jsonable(key):
            raise _err("IdempotentParameterMismatch", "The client token %s was used with other parameters" % token)
        rid = prev["id"]
        return _reservation(st, rid, [i for i in st.instances.values() if i["ReservationId"] == rid])
    iid = p.get("ImageId")
    if not iid:
        raise _err("MissingParameter", "The request must contain the parameter ImageId")
    img = st.images.get(iid)
    if img is None:
        raise _err("InvalidAMIID.NotFound", "The image id '[%s]' does not exist" % iid)
    itype = p.get("InstanceType", "m1.small")
    if itype not in TYPES:
        raise _err(
            "InvalidParameterValue",
            "The instance type '%s' is not simulated (known: %s)" % (itype, ", ".join(sorted(TYPES))),
        )
    if img["Architecture"] not in TYPES[itype][3]:
        raise _err(
            "InvalidParameterValue",
            "The architecture '%s' of the image does not match instance type %s" % (img["Architecture"], itype),
        )
    lo, hi = p["MinCount"], p["MaxCount"]
    if lo < 1 or hi < lo:
        raise _err(
            "InvalidParameterValue", "MinCount (%d) must be at least 1 and MaxCount (%d) at least MinCount" % (lo, hi)
        )
    live = sum(1 for i in st.instances.values() if _state(st, i) != "terminated")
    room = MAX_INSTANCES - live
    if room < lo:
        raise _err(
            "InstanceLimitExceeded",
            "You have requested more instances (%d) than your current instance limit of %d allows"
            % (lo, MAX_INSTANCES),
        )
    ud = p.get("UserData")
    if ud is not None:
        try:
            raw = base64.b64decode(ud, validate=True)
        except (binascii.Error, ValueError):
            raise _err("InvalidParameterValue", "Invalid BASE64 encoding of user data.")
        if len(raw) > 16384:
            raise _err("InvalidParameterValue", "User data is limited to 16384 bytes")
    subnet = p.get("SubnetId")
    if subnet is not None and not _well_formed(subnet, "subnet-"):
        raise _err("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist" % subnet)
    groups = p.get("SecurityGroupIds", [])
    for g in groups:
        if not _well_formed(g, "sg-"):
            raise _err("InvalidGroup.NotFound", "The security group '%s' does not exist" % g)
    tags = []
    for spec in p.get("TagSpecifications", []):
        rt = spec.get("ResourceType")
        if rt not in ("instance", "volume", "network-interface"):
            raise _err("InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation." % rt)
        for t in spec.get("Tags", []):
            if not t.get("Key") or t["Key"].startswith("aws:"):
                raise _err("InvalidParameterValue", "Tag keys must be given and not start with 'aws:'")
        if rt == "instance":
            tags.extend({"Key": t["Key"], "Value": t.get("Value", "")} for t in spec.get("Tags", []))
    rid = st.new_id("r-")
    made = []
    for n in range(min(hi, room)):
        inst = {
            "InstanceId": st.new_id("i-"),
            "ReservationId": rid,
            "ImageId": iid,
            "InstanceType": itype,
            "KeyName": p.get("KeyName"),
            "SubnetId": subnet or "subnet-0a1b2c3d",
            "SecurityGroupIds": groups or ["sg-0a1b2c3d"],
            "UserData": ud,
            "Tags": [dict(t) for t in tags],
            "LaunchTime": _now(),
            "AmiLaunchIndex": n,
            "state": "pending",
            "since": _now(),
            "reason": "",
            "ip": "10.0.%d.%d" % ((len(st.instances) // 250) % 250, len(st.instances) % 250 + 4),
        }
        st.instances[inst["InstanceId"]] = inst
        made.append(inst)
    if token:
        st.ec2_tokens[token] = {"id": rid, "params": st.jsonable(key)}
    st.save()
    return _reservation(st, rid, made)


def _well_formed(ident, prefix):
    rest = ident[len(prefix) :]
    return ident.startswith(prefix) and len(rest) in (8, 17) and all(c in "0123456789abcdef" for c in rest)


def _instance_view(st, inst):
    img = st.images.get(inst["ImageId"], {})
    s = _state(st, inst)
    v = {
        "InstanceId": inst["InstanceId"],
        "ImageId": inst["ImageId"],
        "InstanceType": inst["InstanceType"],
        "State": _sname(s),
        "LaunchTime": _dt(inst["LaunchTime"]),
        "AmiLaunchIndex": inst["AmiLaunchIndex"],
        "Architecture": img.get("Architecture", "x86_64"),
        "RootDeviceName": img.get("RootDeviceName", "/dev/xvda"),
        "RootDeviceType": "ebs",
        "VirtualizationType": img.get("VirtualizationType", "hvm"),
        "EnaSupport": img.get("EnaSupport", False),
        "Hypervisor": "xen",
        "Placement": {"AvailabilityZone": st.cfg.region + "a", "Tenancy": "default"},
        "StateTransitionReason": inst["reason"],
        "Tags": inst["Tags"],
        "SecurityGroups": [{"GroupId": g, "GroupName": g} for g in inst["SecurityGroupIds"]],
    }
    if s not in ("terminated",):
        v["SubnetId"] = inst["SubnetId"]
        v["VpcId"] = "vpc-0a1b2c3d"
        v["PrivateIpAddress"] = inst["ip"]
    if s == "running":
        v["PublicIpAddress"] = "198.51.100.%d" % (int(inst["ip"].rsplit(".", 1)[1]) % 250)
    if inst.get("KeyName"):
        v["KeyName"] = inst["KeyName"]
    return v


def _reservation(st, rid, insts):
    return {
        "ReservationId": rid,
        "OwnerId": st.cfg.account,
        "Groups": [],
        "Instances": [_instance_view(st, i) for i in insts],
    }


def _instances(st, ids):
    out = []
    for i in ids:
        if i not in st.instances:
            raise _err("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist" % i)
        out.append(st.instances[i])
    return out


def describe_instances(st, p):
    ids = p.get("InstanceIds")
    if ids and p.get("MaxResults") is not None:
        raise _err(
            "InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults"
        )
    if p.get("MaxResults") is not None and not 5 <= p["MaxResults"] <= 1000:
        raise _err("InvalidParameterValue", "MaxResults must be between 5 and 1000")
    pool = _instances(st, ids) if ids else [st.instances[k] for k in sorted(st.instances)]
    hits = []
    for inst in pool:
        v = _instance_view(st, inst)
        fields = {
            "instance-id": inst["InstanceId"],
            "instance-state-name": v["State"]["Name"],
            "instance-state-code": str(v["State"]["Code"]),
            "image-id": inst["ImageId"],
            "instance-type": inst["InstanceType"],
            "reservation-id": inst["ReservationId"],
        }
        if _tags_match(inst["Tags"], p.get("Filters", []), fields):
            hits.append((inst, v))
    start = 0
    if p.get("NextToken"):
        try:
            start = int(p["NextToken"])
        except ValueError:
            raise _err("InvalidParameterValue", "Invalid NextToken")
    limit = p.get("MaxResults") or len(hits) or 1
    page = hits[start : start + limit]
    res, order = {}, []
    for inst, v in page:
        if inst["ReservationId"] not in res:
            res[inst["ReservationId"]] = {
                "ReservationId": inst["ReservationId"],
                "OwnerId": st.cfg.account,
                "Groups": [],
                "Instances": [],
            }
            order.append(inst["ReservationId"])
        res[inst["ReservationId"]]["Instances"].append(v)
    out = {"Reservations": [res[r] for r in order]}
    if start + limit < len(hits):
        out["NextToken"] = str(start + limit)
    return out


def _change(st, ids, move, reason):
    """Every instance's move is checked before any is made."""
    insts = _instances(st, ids)
    plan = [(inst, _state(st, inst)) for inst in insts]
    news = [move(inst, prev) for inst, prev in plan]
    changes = []
    for (inst, prev), new in zip(plan, news):
        if new != prev:
            inst["state"], inst["since"], inst["reason"] = new, _now(), reason
        changes.append({"InstanceId": inst["InstanceId"], "PreviousState": _sname(prev), "CurrentState": _sname(new)})
    st.save()
    return changes


def stop_instances(st, p):
    def move(inst, s):
        if s in ("pending", "running"):
            return "stopping"
        if s in ("stopping", "stopped"):
            return s
        raise _err(
            "IncorrectInstanceState",
            "This instance '%s' is not in a state from which it can be stopped." % inst["InstanceId"],
        )

    return {"StoppingInstances": _change(st, p["InstanceIds"], move, "User initiated")}


def start_instances(st, p):
    def move(inst, s):
        if s == "stopped":
            return "pending"
        if s in ("pending", "running"):
            return s
        raise _err(
            "IncorrectInstanceState",
            "The instance '%s' is not in a state from which it can be started." % inst["InstanceId"],
        )

    return {"StartingInstances": _change(st, p["InstanceIds"], move, "")}


def terminate_instances(st, p):
    def move(inst, s):
        return s if s in ("shutting-down", "terminated") else "shutting-down"

    return {"TerminatingInstances": _change(st, p["InstanceIds"], move, "User initiated")}


def get_console_output(st, p):
    inst = _instances(st, [p["InstanceId"]])[0]
    _state(st, inst)
    out = {"InstanceId": inst["InstanceId"], "Timestamp": datetime.datetime.now(datetime.timezone.utc)}
    text = st.console.get(inst["InstanceId"], st.console.get(inst["ImageId"]))
    if text is not None and inst["state"] != "pending":
        out["Output"] = base64.b64encode(text).decode()
    return out


def _resource_tags(st, rid):
    if rid.startswith("i-") and rid in st.instances:
        return st.instances[rid]["Tags"]
    if rid.startswith("ami-") and rid in st.images:
        return st.images[rid]["Tags"]
    if rid.startswith("snap-") and rid in st.snapshots:
        return st.snapshots[rid]["Tags"]
    kind = {"i-": "InvalidInstanceID.NotFound", "ami-": "InvalidAMIID.NotFound", "snap-": "InvalidSnapshot.NotFound"}
    for pre, code in kind.items():
        if rid.startswith(pre):
            raise _err(code, "The ID '%s' does not exist" % rid)
    raise _err("InvalidID", "The ID '%s' is not valid" % rid)


def create_tags(st, p):
    targets = [_resource_tags(st, r) for r in p["Resources"]]
    for t in p["Tags"]:
        if not t.get("Key"):
            raise _err("InvalidParameterValue", "Tag keys must not be empty")
        if t["Key"].startswith("aws:"):
            raise _err("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
    for tags in targets:
        for t in p["Tags"]:
            tags[:] = [x for x in tags if x.get("Key") != t["Key"]] + [{"Key": t["Key"], "Value": t.get("Value", "")}]
    st.save()
    return {"Return": True}


def describe_instance_types(st, p):
    names = p.get("InstanceTypes")
    for n in names or []:
        if n not in TYPES:
            raise _err("InvalidInstanceType", "The following supplied instance types do not exist: [%s]" % n)
    out = []
    for n in sorted(TYPES):
        if names and n not in names:
            continue
        mib, cpus, hv, arches = TYPES[n]
        fields = {
            "instance-type": n,
            "memory-info.size-in-mib": str(mib),
            "vcpu-info.default-vcpus": str(cpus),
            "hypervisor": hv,
            "processor-info.supported-architecture": arches,
        }
        if not _tags_match([], p.get("Filters", []), fields):
            continue
        out.append(
            {
                "InstanceType": n,
                "CurrentGeneration": True,
                "Hypervisor": hv,
                "MemoryInfo": {"SizeInMiB": mib},
                "VCpuInfo": {"DefaultVCpus": cpus},
                "ProcessorInfo": {"SupportedArchitectures": arches},
                "NetworkInfo": {"EnaSupport": "required" if hv == "nitro" else "unsupported"},
                "EbsInfo": {"NvmeSupport": "required" if hv == "nitro" else "unsupported"},
                "SupportedVirtualizationTypes": ["hvm"],
            }
        )
    return {"InstanceTypes": out}


HANDLERS = {
    "RegisterImage": register_image,
    "DescribeImages": describe_images,
    "DeregisterImage": deregister_image,
    "DescribeSnapshots": describe_snapshots,
    "DeleteSnapshot": delete_snapshot,
    "RunInstances": run_instances,
    "DescribeInstances": describe_instances,
    "StopInstances": stop_instances,
    "StartInstances": start_instances,
    "TerminateInstances": terminate_instances,
    "GetConsoleOutput": get_console_output,
    "CreateTags": create_tags,
    "DescribeInstanceTypes": describe_instance_types,
}
