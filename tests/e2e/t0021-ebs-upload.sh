#!/usr/bin/env bash
# t0021-ebs-upload: providers/aws/ebs.h's ebs_upload() (through
# tests/tools/ebsupload) against the contract endpoint (tests/aws/endpoint,
# which checks every request's signature with botocore's signer and its
# parameters against botocore's EBS model): hello-c's staged raw disk
# (`unik export --format raw`) becomes a snapshot that botocore's own EBS
# client reads back (ListSnapshotBlocks, GetSnapshotBlock) byte for byte;
# zero blocks are never sent and no block twice; the volume is the disk's
# size rounded up to GiB; ChangedBlocksCount and the LINEAR checksum are
# accepted; throttling, 5xx and dropped connections are retried, a fault that
# does not go away ends in a clear error after the set attempts; a slow
# completion is waited for; an upload killed midway continues its snapshot
# and sends only the blocks its state file lacks, one killed around
# CompleteSnapshot finishes the same snapshot; a hostile or expired state
# file, a changed disk or a snapshot the service does not know starts over;
# a wrong secret key or an unknown key id is a clear error.
. "$(dirname "$0")/../lib/e2e.sh"
need_tools python3 curl grub-mkimage mkfs.fat mcopy
/usr/bin/python3 -c 'import botocore.session' 2>/dev/null || skip "python3-botocore is not installed"
[ -f /usr/lib/grub/i386-pc/boot.img ] || skip "grub-pc-bin is not installed (scripts/install-deps)"
need_built "$TOOLS/ebsupload"

# ---- the disk --------------------------------------------------------
start_daemon
out=$(unik build -t hello-c "$ROOT/examples/hello-c" 2>&1)
check "build hello-c" contains "$out" "Successfully built"
check "unik export --format raw" unik export --format raw -o "$T/disk.raw" hello-c
stop_daemon
digest=$(sha256sum "$T/disk.raw" | cut -d' ' -f1)

# ---- the endpoint ----------------------------------------------------
KEY=AKIDUNIKEBSTEST SECRET=unik/ebs/test/secret/key
/usr/bin/python3 "$ROOT/tests/aws/endpoint/serve" --port 0 --port-file "$T/ep.port" \
	--access-key "$KEY" --secret-key "$SECRET" --region us-east-2 >"$T/ep.out" 2>"$T/ep.err" &
EP_PID=$!
EP2_PID=
trap 'kill "$EP_PID" $EP2_PID 2>/dev/null; wait "$EP_PID" $EP2_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 100); do [ -s "$T/ep.port" ] && break; sleep 0.1; done
[ -s "$T/ep.port" ] || { cat "$T/ep.err"; echo "the endpoint did not start"; exit 1; }
EP=http://127.0.0.1:$(cat "$T/ep.port")
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION
export AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET AWS_REGION=us-east-2 \
	AWS_ENDPOINT_URL=$EP AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=$T/none \
	AWS_SHARED_CREDENTIALS_FILE=$T/none NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
export EP T
ctl() { curl -sf -X "$1" "$EP/_control/$2" ${3:+-d "$3"}; }
fault() { ctl POST faults "$1" >/dev/null; }
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
# the blocks the disk has that are not all zeros, one index a line
python3 - "$T/disk.raw" >"$T/nonzero" <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
B = 524288
for i in range(0, (len(d) + B - 1) // B):
    if any(d[i * B:(i + 1) * B]):
        print(i)
EOF
nblocks=$(python3 -c "import os; print((os.path.getsize('$T/disk.raw') + 524287) // 524288)")
nonzero=$(wc -l <"$T/nonzero")

# readback SNAPSHOT DISK: botocore's EBS client lists and gets every block
# (checking each block's checksum), the image rebuilt equals DISK
readback() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import base64, hashlib, os, sys
import botocore.session
snap, disk = sys.argv[1], sys.argv[2]
c = botocore.session.get_session().create_client(
    "ebs", region_name="us-east-2", endpoint_url=os.environ["EP"],
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])
want = open(disk, "rb").read()
img = bytearray(((len(want) + 524287) // 524288) * 524288)
kw, n = {"SnapshotId": snap, "MaxResults": 100}, 0
while True:
    page = c.list_snapshot_blocks(**kw)
    assert page["BlockSize"] == 524288, page["BlockSize"]
    assert page["VolumeSize"] == max(1, (len(want) + (1 << 30) - 1) >> 30), page["VolumeSize"]
    for b in page["Blocks"]:
        g = c.get_snapshot_block(SnapshotId=snap, BlockIndex=b["BlockIndex"], BlockToken=b["BlockToken"])
        data = g["BlockData"].read()
        assert base64.b64encode(hashlib.sha256(data).digest()).decode() == g["Checksum"]
        img[b["BlockIndex"] * 524288:(b["BlockIndex"] + 1) * 524288] = data
        n += 1
    if not page.get("NextToken"):
        break
    kw = {"SnapshotId": snap, "NextToken": page["NextToken"], "MaxResults": 100}
assert bytes(img[:len(want)]) == want, "the snapshot differs from the disk"
assert not any(img[len(want):]), "padding is not zeros"
print(n)
EOF
}
# sent_blocks: the block indices PutSnapshotBlock was answered 201 for since
# the log was last cleared, sorted, one a line (repeats kept)
sent_blocks() {
	ctl GET log | python3 -c '
import json, sys
for r in json.load(sys.stdin)["requests"]:
    if r.get("op") == "PutSnapshotBlock" and r.get("status") == 201:
        print(r["params"]["BlockIndex"])' | sort -n
}
log_ops() { ctl GET log | python3 -c 'import json,sys; print(" ".join(r.get("op") or "?" for r in json.load(sys.stdin)["requests"]))'; }
# acked_blocks STATE_FILE: the blocks its bitmap marks, sorted
acked_blocks() {
	python3 - "$1" <<'EOF' | sort -n
import sys
for line in open(sys.argv[1]):
    if line.startswith("acked "):
        for i, c in enumerate(line.split()[1]):
            v = int(c, 16)
            for b in range(4):
                if v >> b & 1:
                    print(i * 4 + b)
EOF
}

# ---- a plain upload -----------------------------------------------------
ctl DELETE log >/dev/null
out=$("$TOOLS/ebsupload" -d "sha256:$digest" "$T/disk.raw" 2>"$T/up1.err")
check "hello-c's disk is uploaded" test -n "$out" -a "$(field status "$out")" = completed
cat "$T/up1.err" >&2
snap=$(field snapshot "$out")
check "a snapshot id" contains "$snap" "snap-"
check "blocks: the disk's size in 512 KiB blocks" eq "$(field blocks "$out")" "$nblocks"
check "written: the blocks that are not all zeros" eq "$(field written "$out")" "$nonzero"
check "skipped: the rest" eq "$(field skipped "$out")" "$((nblocks - nonzero))"
check "the volume is the disk rounded up to GiB" eq "$(field volume_gib "$out")" \
	"$(python3 -c "import os; print(max(1, (os.path.getsize('$T/disk.raw') + (1 << 30) - 1) >> 30))")"
check "each non-zero block was sent once, no zero block at all" eq "$(sent_blocks)" "$(cat "$T/nonzero")"
check "the requests: StartSnapshot, the blocks, CompleteSnapshot, ListSnapshotBlocks" \
	eq "$(log_ops | tr ' ' '\n' | uniq | tr '\n' ' ')" \
	"StartSnapshot PutSnapshotBlock CompleteSnapshot ListSnapshotBlocks "
check "every request's signature and parameters passed the endpoint's checks" \
	eq "$(ctl GET log | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["requests"] if r.get("status", 500) >= 300))')" 0
check "blocks signed with UNSIGNED-PAYLOAD (as botocore signs them), the rest with their body's hash" \
	eq "$(ctl GET log | python3 -c '
import json, sys
print(sorted({(r["op"], r["auth"]["payload"] == "UNSIGNED-PAYLOAD") for r in json.load(sys.stdin)["requests"]}))')" \
	"[('CompleteSnapshot', False), ('ListSnapshotBlocks', False), ('PutSnapshotBlock', True), ('StartSnapshot', False)]"
tags=$(ctl GET state | python3 -c "import json,sys; s=json.load(sys.stdin)['snapshots']['$snap']; print(s['Status'], sorted((t['Key'], t['Value']) for t in s['Tags']))")
check "the snapshot is completed, tagged as unik's with the image digest" \
	eq "$tags" "completed [('unik:image-digest', 'sha256:$digest'), ('unik:managed', 'true')]"
check "botocore reads the snapshot back: the disk byte for byte" \
	eq "$(readback "$snap" "$T/disk.raw")" "$nonzero"

# ---- a disk over 1 GiB (ops #1450) ----------------------------------------
truncate -s $(((1 << 30) + 3 * 524288 + 1000)) "$T/big.raw"
dd if="$T/disk.raw" of="$T/big.raw" bs=524288 count=1 conv=notrunc status=none
printf 'the end of a big disk' | dd of="$T/big.raw" bs=1 seek=$(((1 << 30) + 3 * 524288 + 900)) \
	conv=notrunc status=none
ctl DELETE log >/dev/null
out=$("$TOOLS/ebsupload" -v "$T/big.raw" 2>"$T/big.err")
check "a sparse disk of 1 GiB + 1.5 MiB: a 2 GiB volume" \
	eq "$(field status "$out")/$(field volume_gib "$out")" completed/2
check "two blocks sent (the first and the last, block 2051), 2050 skipped" \
	eq "$(sent_blocks | tr '\n' ' ')/$(field skipped "$out")" "0 2051 /2050"
check "progress reached every block" contains "$(tail -n 1 "$T/big.err")" "done 2052/2052 written=2 skipped=2050"
check "the last block reads back as the disk's end, zero-padded" /usr/bin/python3 - "$(field snapshot "$out")" "$T/big.raw" <<'EOF'
import os, sys
import botocore.session
c = botocore.session.get_session().create_client(
    "ebs", region_name="us-east-2", endpoint_url=os.environ["EP"],
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])
blocks = c.list_snapshot_blocks(SnapshotId=sys.argv[1])["Blocks"]
assert [b["BlockIndex"] for b in blocks] == [0, 2051], blocks
data = c.get_snapshot_block(SnapshotId=sys.argv[1], BlockIndex=2051, BlockToken=blocks[1]["BlockToken"])["BlockData"].read()
f = open(sys.argv[2], "rb")
f.seek(2051 * 524288)
want = f.read()
assert len(want) == 1000 and data == want + bytes(524288 - 1000)
EOF
rm -f "$T/big.raw"

# ---- throttling, 5xx, dropped connections ---------------------------------
ctl DELETE log >/dev/null
fault '{"op":"PutSnapshotBlock","kind":"throttle","count":3}'
fault '{"op":"PutSnapshotBlock","kind":"500","count":2}'
fault '{"op":"PutSnapshotBlock","kind":"503","count":2}'
fault '{"op":"PutSnapshotBlock","kind":"drop","count":2}'
fault '{"op":"StartSnapshot","kind":"503","count":1}'
fault '{"op":"CompleteSnapshot","kind":"throttle","count":1}'
fault '{"op":"ListSnapshotBlocks","kind":"500","count":1}'
fault '{"op":"PutSnapshotBlock","kind":"notfound","count":2}'
fault '{"op":"CompleteSnapshot","kind":"notfound","count":1}'
out=$("$TOOLS/ebsupload" "$T/disk.raw" 2>"$T/up2.err")
check "an upload through throttling, 500s, 503s, dropped connections and 404s (a snapshot not known yet) completes" \
	eq "$(field status "$out")" completed
check "every injected fault fired" eq "$(ctl GET faults | python3 -c 'import json,sys; print(sum(r["fired"] for r in json.load(sys.stdin)["faults"]))')" 15
# a dropped connection that libcurl had reused is sent again by libcurl
# itself: only the answers that came back count as our retries
check "and each answer that came back was retried (13 at least)" test "$(field retries "$out")" -ge 13
check "each block acknowledged once" eq "$(sent_blocks)" "$(cat "$T/nonzero")"
check "and the snapshot is the disk" eq "$(readback "$(field snapshot "$out")" "$T/disk.raw")" "$nonzero"
ctl DELETE faults >/dev/null

# ---- a fault that stays -----------------------------------------------
fault '{"op":"PutSnapshotBlock","kind":"503","rate":1.0}'
"$TOOLS/ebsupload" -a 3 -b 200 "$T/disk.raw" >"$T/up3.out" 2>"$T/up3.err"
rc=$?
check "EBS answering 503 forever: the upload fails" eq "$rc" 1
check "after the set number of attempts, saying why" contains "$(cat "$T/up3.err")" "after 3 attempts"
check "with EBS's answer" contains "$(cat "$T/up3.err")" "HTTP 503"
ctl DELETE faults >/dev/null

# ---- killed midway, then resumed ----------------------------------------
mkdir -p "$T/st"
ctl DELETE log >/dev/null
{ "$TOOLS/ebsupload" -p 2 -k 3 -s "$T/st" "$T/disk.raw" >/dev/null 2>&1; } 2>/dev/null
check "the first run dies (SIGKILL) after 3 blocks" eq "$?" 137
check "its state file is left" test -f "$T/st/ebs-upload.state"
sid=$(sed -n 's/^snapshot //p' "$T/st/ebs-upload.state")
acked_blocks "$T/st/ebs-upload.state" >"$T/acked"
check "with at least 3 blocks acknowledged" test "$(wc -l <"$T/acked")" -ge 3
ctl DELETE log >/dev/null
out=$("$TOOLS/ebsupload" -s "$T/st" "$T/disk.raw" 2>"$T/up4.err")
check "the second run completes" eq "$(field status "$out")" completed
check "the same snapshot" eq "$(field snapshot "$out")" "$sid"
check "resumed: the blocks the state had" eq "$(field resumed "$out")" "$(wc -l <"$T/acked")"
check "only the missing blocks were sent" eq "$(sent_blocks)" "$(comm -23 "$T/nonzero" "$T/acked")"
check "the snapshot is the disk" eq "$(readback "$sid" "$T/disk.raw")" "$nonzero"
check "the state file is gone once done" test ! -e "$T/st/ebs-upload.state"

# ---- completion that takes time; killed around CompleteSnapshot ------------
ctl POST config '{"complete_delay": 2}' >/dev/null
ctl DELETE log >/dev/null
out=$("$TOOLS/ebsupload" "$T/disk.raw" 2>"$T/up7.err")
check "CompleteSnapshot answers pending: the upload waits until it is completed" \
	eq "$(field status "$out")" completed
check "asking ListSnapshotBlocks until it lists the snapshot" \
	test "$(log_ops | tr ' ' '\n' | grep -c ListSnapshotBlocks)" -ge 2
ctl POST config '{"complete_delay": 3}' >/dev/null
{ "$TOOLS/ebsupload" -K wait -s "$T/st" "$T/disk.raw" >/dev/null 2>&1; } 2>/dev/null
sid=$(sed -n 's/^snapshot //p' "$T/st/ebs-upload.state")
check "killed after CompleteSnapshot was sent: the state says so" \
	grep -qx "completing 1" "$T/st/ebs-upload.state"
ctl DELETE log >/dev/null
out=$("$TOOLS/ebsupload" -s "$T/st" "$T/disk.raw" 2>"$T/up8.err")
check "the next run waits for that snapshot to complete" \
	test "$(field status "$out")" = completed -a "$(field snapshot "$out")" = "$sid"
check "sending no block again" eq "$(sent_blocks)" ""
ctl POST config '{"complete_delay": 0}' >/dev/null
{ "$TOOLS/ebsupload" -K complete -s "$T/st" "$T/disk.raw" >/dev/null 2>&1; } 2>/dev/null
sid=$(sed -n 's/^snapshot //p' "$T/st/ebs-upload.state")
ctl DELETE log >/dev/null
out=$("$TOOLS/ebsupload" -s "$T/st" "$T/disk.raw" 2>"$T/up9.err")
check "killed just before CompleteSnapshot: the next run completes the same snapshot" \
	test "$(field status "$out")" = completed -a "$(field snapshot "$out")" = "$sid"
check "with no block sent again, CompleteSnapshot once" \
	eq "$(sent_blocks)/$(log_ops | tr ' ' '\n' | grep -c CompleteSnapshot)" "/1"
check "and it is the disk" eq "$(readback "$sid" "$T/disk.raw")" "$nonzero"

# ---- hostile state, changed disk ------------------------------------------
{ "$TOOLS/ebsupload" -p 1 -k 2 -s "$T/st" "$T/disk.raw" >/dev/null 2>&1; } 2>/dev/null
sid=$(sed -n 's/^snapshot //p' "$T/st/ebs-upload.state")
sed -i 's/^acked .*/acked zz/' "$T/st/ebs-upload.state"
ctl DELETE log >/dev/null
out=$("$TOOLS/ebsupload" -s "$T/st" "$T/disk.raw" 2>"$T/up5.err")
check "a corrupt state file: a new snapshot" test "$(field status "$out")" = completed -a \
	"$(field snapshot "$out")" != "$sid" -a "$(field resumed "$out")" = 0
check "every block sent again" eq "$(sent_blocks)" "$(cat "$T/nonzero")"
cp "$T/disk.raw" "$T/disk2.raw"
{ "$TOOLS/ebsupload" -p 1 -k 2 -s "$T/st" "$T/disk2.raw" >/dev/null 2>&1; } 2>/dev/null
sid=$(sed -n 's/^snapshot //p' "$T/st/ebs-upload.state")
printf 'x' | dd of="$T/disk2.raw" bs=1 seek=$((1024 * 1024 + 7)) conv=notrunc status=none
out=$("$TOOLS/ebsupload" -s "$T/st" "$T/disk2.raw" 2>"$T/up6.err")
check "a changed disk: a new snapshot of the new bytes" test "$(field status "$out")" = completed -a \
	"$(field snapshot "$out")" != "$sid" -a "$(field resumed "$out")" = 0
check "which reads back as the changed disk" \
	eq "$(readback "$(field snapshot "$out")" "$T/disk2.raw" >/dev/null && echo same)" same

# ---- an expired state; a snapshot the service no longer knows -------------
{ "$TOOLS/ebsupload" -p 1 -k 2 -s "$T/st" "$T/disk.raw" >/dev/null 2>&1; } 2>/dev/null
sid=$(sed -n 's/^snapshot //p' "$T/st/ebs-upload.state")
sed -i 's/^updated .*/updated 1000000000/' "$T/st/ebs-upload.state"
ctl DELETE log >/dev/null
out=$("$TOOLS/ebsupload" -s "$T/st" "$T/disk.raw" 2>"$T/up10.err")
check "a state older than the snapshot's timeout: a new snapshot, all blocks sent" \
	test "$(field snapshot "$out")" != "$sid" -a "$(field resumed "$out")" = 0 -a \
	"$(sent_blocks)" = "$(cat "$T/nonzero")"
{ "$TOOLS/ebsupload" -p 1 -k 2 -s "$T/st" "$T/disk.raw" >/dev/null 2>&1; } 2>/dev/null
sid=$(sed -n 's/^snapshot //p' "$T/st/ebs-upload.state")
/usr/bin/python3 "$ROOT/tests/aws/endpoint/serve" --port 0 --port-file "$T/ep2.port" \
	--access-key "$KEY" --secret-key "$SECRET" --region us-east-2 >/dev/null 2>"$T/ep2.err" &
EP2_PID=$!
for _ in $(seq 1 100); do [ -s "$T/ep2.port" ] && break; sleep 0.1; done
out=$(AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$T/ep2.port") "$TOOLS/ebsupload" -s "$T/st" \
	"$T/disk.raw" 2>"$T/up11.err")
check "resuming where the snapshot is unknown: a new snapshot there, nothing taken as sent" \
	test "$(field status "$out")" = completed -a "$(field snapshot "$out")" != "$sid" -a \
	"$(field resumed "$out")" = 0 -a "$(field written "$out")" = "$nonzero"
kill "$EP2_PID"
wait "$EP2_PID" 2>/dev/null
EP2_PID=
{ "$TOOLS/ebsupload" -p 1 -k 2 -s "$T/st" "$T/disk.raw" >/dev/null 2>&1; } 2>/dev/null
sid=$(sed -n 's/^snapshot //p' "$T/st/ebs-upload.state")
fault '{"op":"PutSnapshotBlock","kind":"notfound","count":2}'
out=$("$TOOLS/ebsupload" -p 1 -a 2 -s "$T/st" "$T/disk.raw" 2>"$T/up12.err")
check "the resumed snapshot answers 404 on every try: the upload starts over" \
	test "$(field status "$out")" = completed -a "$(field snapshot "$out")" != "$sid" -a \
	"$(field resumed "$out")" = 0 -a "$(field written "$out")" = "$nonzero"
ctl DELETE faults >/dev/null

# ---- credentials refused ----------------------------------------------
AWS_SECRET_ACCESS_KEY=not-the-secret "$TOOLS/ebsupload" "$T/disk.raw" >/dev/null 2>"$T/bad1.err"
check "a wrong secret key fails" eq "$?" 1
check "clearly: the credentials were refused, and why" \
	contains "$(cat "$T/bad1.err")" "StartSnapshot: AWS refused the credentials: HTTP 403 InvalidSignatureException"
AWS_ACCESS_KEY_ID=AKIDNOBODY "$TOOLS/ebsupload" "$T/disk.raw" >/dev/null 2>"$T/bad2.err"
check "an unknown key id fails, the same way" \
	contains "$(cat "$T/bad2.err")" "AWS refused the credentials: HTTP 403"
head -c 300 "$T/bad2.err" | sed 's/^/# /'
finish
