# cross_ec2.py - t0020, part 3: EC2 through boto3 (images, instances and
# their states, console output, tags), asynchronous completion, a restart
# with the state file, every simulated operation with full sample input,
# session tokens.  Run by crosscheck.py.
import base64

from botocore.exceptions import ClientError

from xcheck import BLOCK, b64sha, clients, control, error, ok, refused, start, stop


def run(c):
    tmp, statef, p, url, ebs, ec2, ec25, ec2nv, sid, disk = (
        c["tmp"],
        c["statef"],
        c["p"],
        c["url"],
        c["ebs"],
        c["ec2"],
        c["ec25"],
        c["ec2nv"],
        c["sid"],
        c["disk"],
    )
    # --- EC2 ------------------------------------------------------------------
    img = ec2.register_image(
        Name="unik-t0020",
        Architecture="x86_64",
        RootDeviceName="/dev/xvda",
        VirtualizationType="hvm",
        EnaSupport=True,
        BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": sid, "VolumeType": "gp3", "DeleteOnTermination": True}}
        ],
    )["ImageId"]
    ok(img.startswith("ami-") and len(img) == 21, "RegisterImage from the snapshot: ami-<17 hex>", img)
    st, code, _ = error(
        lambda: ec2.register_image(
            Name="unik-t0020",
            RootDeviceName="/dev/xvda",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": sid}}],
        )
    )
    ok(code == "InvalidAMIName.Duplicate", "RegisterImage with a name in use: InvalidAMIName.Duplicate", code)
    refused(
        lambda: ec2nv.register_image(
            Name="unik-bad",
            Architecture="sparc",
            RootDeviceName="/dev/xvda",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": sid}}],
        ),
        400,
        "InvalidParameterValue",
        "bad enum (Architecture sparc): InvalidParameterValue",
    )
    refused(
        lambda: ec2nv.register_image(RootDeviceName="/dev/xvda"),
        400,
        "MissingParameter",
        "missing Name: MissingParameter",
        "Name",
    )
    im = ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": ["unik-*"]}])["Images"]
    ok(
        len(im) == 1
        and im[0]["ImageId"] == img
        and im[0]["EnaSupport"]
        and im[0]["VirtualizationType"] == "hvm"
        and im[0]["RootDeviceName"] == "/dev/xvda"
        and im[0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"] == sid
        and im[0]["State"] == "available",
        "DescribeImages (owner self, name filter)",
        im,
    )
    sn = ec2.describe_snapshots(SnapshotIds=[sid])["Snapshots"]
    ok(
        sn[0]["State"] == "completed"
        and sn[0]["VolumeSize"] == 2
        and sn[0]["Tags"] == [{"Key": "unik", "Value": "t0020"}],
        "DescribeSnapshots: completed, its tags",
        sn,
    )
    st, code, _ = error(lambda: ec2.delete_snapshot(SnapshotId=sid))
    ok(code == "InvalidSnapshot.InUse", "DeleteSnapshot of an image's snapshot: InvalidSnapshot.InUse", code)
    types = ec2.describe_instance_types(Filters=[{"Name": "memory-info.size-in-mib", "Values": ["1024"]}])[
        "InstanceTypes"
    ]
    ok(
        types and all(t["MemoryInfo"]["SizeInMiB"] == 1024 for t in types),
        "DescribeInstanceTypes filtered by memory",
        types,
    )
    control(url, "console", {"id": img, "text": "hello from the guest\n"})
    ud = base64.b64encode(b"unik.env=A=1").decode()
    r = ec2.run_instances(
        ImageId=img,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        UserData=ud,
        SubnetId="subnet-0123456789abcdef0",
        SecurityGroupIds=["sg-0123456789abcdef0"],
        KeyName="unik",
        ClientToken="run-1",
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "unik", "Value": "t0020"}, {"Key": "Name", "Value": "hello"}]}
        ],
    )
    inst = r["Instances"][0]
    iid = inst["InstanceId"]
    ok(
        iid.startswith("i-")
        and inst["State"]["Name"] == "pending"
        and inst["InstanceType"] == "t3.micro"
        and inst["SubnetId"] == "subnet-0123456789abcdef0",
        "RunInstances: pending, type, subnet",
        inst,
    )
    ok(
        ec2.run_instances(
            ImageId=img,
            InstanceType="t3.micro",
            MinCount=1,
            MaxCount=1,
            UserData=ud,
            SubnetId="subnet-0123456789abcdef0",
            SecurityGroupIds=["sg-0123456789abcdef0"],
            KeyName="unik",
            ClientToken="run-1",
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [{"Key": "unik", "Value": "t0020"}, {"Key": "Name", "Value": "hello"}],
                }
            ],
        )["Instances"][0]["InstanceId"]
        == iid,
        "RunInstances with the same client token: the same instance",
    )
    st, code, _ = error(
        lambda: ec2.run_instances(ImageId=img, InstanceType="t3.small", MinCount=1, MaxCount=1, ClientToken="run-1")
    )
    ok(
        code == "IdempotentParameterMismatch",
        "the client token with other parameters: IdempotentParameterMismatch",
        code,
    )
    st, code, _ = error(lambda: ec2.run_instances(ImageId=img, MinCount=1, MaxCount=1, UserData="not base64!"))
    ok(code == "InvalidParameterValue", "RunInstances with user data that is not base64: InvalidParameterValue", code)
    refused(
        lambda: ec2nv.run_instances(ImageId=img, MaxCount=1),
        400,
        "MissingParameter",
        "RunInstances without MinCount: MissingParameter",
        "MinCount",
    )
    st, code, _ = error(lambda: ec2nv.run_instances(ImageId=img, MinCount=1, MaxCount=1, InstanceType="t9.huge"))
    ok(
        code == "InvalidParameterValue",
        "RunInstances with an instance type not in the model's enum: InvalidParameterValue",
        code,
    )
    w = {"Delay": 1, "MaxAttempts": 20}
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=w)
    res = ec2.describe_instances(
        Filters=[{"Name": "tag:unik", "Values": ["t0020"]}, {"Name": "instance-state-name", "Values": ["running"]}]
    )["Reservations"]
    ok(
        len(res) == 1 and res[0]["Instances"][0]["InstanceId"] == iid and res[0]["Instances"][0].get("PublicIpAddress"),
        "boto3's instance_running waiter; DescribeInstances by tag and state",
        res,
    )
    ok(
        ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Code"] == 16,
        "DescribeInstances by instance id: running (16)",
    )
    st, code, _ = error(lambda: ec2.describe_instances(InstanceIds=["i-0123456789abcdef0"]))
    ok(code == "InvalidInstanceID.NotFound", "DescribeInstances of an unknown id: InvalidInstanceID.NotFound", code)
    out = ec2.get_console_output(InstanceId=iid)
    # botocore decodes Output (its decode_console_output handler): base64 on the wire
    ok(out.get("Output") == "hello from the guest\n", "GetConsoleOutput: the preset console text", out)
    ec2.create_tags(Resources=[iid, img], Tags=[{"Key": "unik-owner", "Value": "me"}])
    ok(
        ec2.describe_instances(Filters=[{"Name": "tag:unik-owner", "Values": ["me"]}])["Reservations"][0]["Instances"][
            0
        ]["InstanceId"]
        == iid,
        "CreateTags, then a filter finds it",
    )
    control(url, "faults", {"op": "DescribeInstances", "kind": "notfound", "count": 1})
    st, code, _ = error(lambda: ec2.describe_instances(InstanceIds=[iid]))
    ok(code == "InvalidInstanceID.NotFound", "a notfound fault on DescribeInstances: InvalidInstanceID.NotFound", code)
    control(url, "faults", {"op": "DescribeInstances", "kind": "throttle", "count": 2})
    r = ec25.describe_instances(InstanceIds=[iid])
    ok(r["ResponseMetadata"]["RetryAttempts"] == 2, "RequestLimitExceeded (503) twice, then boto3's retry succeeds")
    ch = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"][0]
    ok(
        ch["PreviousState"]["Name"] == "running" and ch["CurrentState"]["Name"] == "stopping",
        "StopInstances: running -> stopping",
        ch,
    )
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig=w)
    ok(
        ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "stopped",
        "boto3's instance_stopped waiter: stopped",
    )
    ch = ec2.start_instances(InstanceIds=[iid])["StartingInstances"][0]
    ok(
        ch["PreviousState"]["Name"] == "stopped" and ch["CurrentState"]["Name"] == "pending",
        "StartInstances: stopped -> pending",
        ch,
    )
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=w)

    # --- asynchronous completion ---------------------------------------------
    control(url, "config", {"complete_delay": 5})  # long enough for a busy machine
    s3 = ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    ebs.put_snapshot_block(
        SnapshotId=s3,
        BlockIndex=0,
        BlockData=disk[0],
        DataLength=BLOCK,
        Checksum=b64sha(disk[0]),
        ChecksumAlgorithm="SHA256",
    )
    r = ebs.complete_snapshot(SnapshotId=s3, ChangedBlocksCount=1)
    first = ec2.describe_snapshots(SnapshotIds=[s3])["Snapshots"][0]["State"]
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[s3], WaiterConfig=w)
    ok(
        r["Status"] == "pending"
        and first == "pending"
        and ec2.describe_snapshots(SnapshotIds=[s3])["Snapshots"][0]["State"] == "completed",
        "with complete_delay: CompleteSnapshot answers pending, boto3's snapshot_completed waiter sees it complete",
        (r, first),
    )
    control(url, "config", {"complete_delay": 0})

    # --- restart: the state file keeps everything ---------------------------
    stop(p)
    p, url = start(tmp, "--state", statef)
    ebs, ec2 = clients(url)
    lst = ebs.list_snapshot_blocks(SnapshotId=sid)
    g = ebs.get_snapshot_block(SnapshotId=sid, BlockIndex=4095, BlockToken=lst["Blocks"][-1]["BlockToken"])
    ok(g["BlockData"].read() == disk[4095], "after a restart with --state: the snapshot's blocks read back")
    ok(
        ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"
        and ec2.describe_images(ImageIds=[img])["Images"],
        "after a restart: the instance and the image",
    )
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
    ok(
        all("valid" in e and "auth" in e for e in log if e["op"] in ("DeleteSnapshot", "DeregisterImage")),
        "the log records validation and signature of each request",
        log[-2:],
    )

    # every simulated operation with the model's sample input (every member
    # set, see roundtrip.py; ids of live resources): answered, never a crash
    import ebs as ebs_sim
    import ec2 as ec2_sim
    from botocore import xform_name
    from roundtrip import sample

    sw = ebs.start_snapshot(VolumeSize=1)["SnapshotId"]
    ebs.put_snapshot_block(
        SnapshotId=sw,
        BlockIndex=0,
        BlockData=disk[0],
        DataLength=BLOCK,
        Checksum=b64sha(disk[0]),
        ChecksumAlgorithm="SHA256",
    )
    ebs.complete_snapshot(SnapshotId=sw, ChangedBlocksCount=1)
    swi = ec2.register_image(
        Name="unik-sweep",
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": sw}}],
    )["ImageId"]
    swr = ec2.run_instances(ImageId=swi, InstanceType="t2.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ids = {
        "SnapshotId": sw,
        "ImageId": swi,
        "InstanceId": swr,
        "Resources": swr,
        "DeviceName": "/dev/xvda",
        "RootDeviceName": "/dev/xvda",
        "InstanceType": "t2.micro",
        "UserData": base64.b64encode(b"x").decode(),
        "SubnetId": "subnet-0123456789abcdef0",
    }

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
            for k in (
                "DryRun",
                "ImageLocation",
                "MaxResults",
                "NextToken",
                "Owners",
                "OwnerIds",
                "Filters",
                "ExecutableUsers",
            ):
                value.pop(k, None)
            try:
                r = getattr(client, xform_name(name))(**value)
                if "BlockData" in r:
                    r["BlockData"].read()
                handled += 1
            except ClientError:
                pass
    swept = control(url, "log?since=%d" % before)["requests"]
    ok(
        not [e for e in swept if "crash" in e] and sum(1 for e in swept if e.get("valid")) >= 12,
        "every simulated operation with the model's sample input: answered, no crash (%d valid, %d succeeded)"
        % (sum(1 for e in swept if e.get("valid")), handled),
        [(e["op"], e.get("valid"), e.get("error"), e.get("crash")) for e in swept],
    )
    stop(p)

    # --- a session token -------------------------------------------------------
    p, url = start(tmp, "--token", "FQoGZXIvYXdzEXAMPLE//token+/=")
    ebs_t, ec2_t = clients(url, token="FQoGZXIvYXdzEXAMPLE//token+/=")
    ok(ec2_t.describe_instances()["Reservations"] == [], "with a session token: signed requests pass")
    ebs_n, ec2_n = clients(url)
    refused(lambda: ec2_n.describe_instances(), 401, "AuthFailure", "without the configured token: AuthFailure")
    ebs_w, _ = clients(url, token="other-token")
    refused(
        lambda: ebs_w.start_snapshot(VolumeSize=1),
        403,
        "UnrecognizedClientException",
        "EBS with a wrong token: 403 UnrecognizedClientException",
    )
    stop(p)
    c.update({k: v for k, v in locals().items() if k != "c"})
