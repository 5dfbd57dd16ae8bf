#!/usr/bin/env bash
# t0022-aws: the `aws` provider end to end through `unik`, against the
# contract endpoint (tests/aws/endpoint: every request's signature checked
# with botocore's signer, its parameters against botocore's EC2 and EBS
# models): build -> run (publish: the staged disk uploaded with the EBS
# direct APIs, the snapshot registered as an AMI; then RunInstances from it,
# tagged) -> ps -> logs (GetConsoleOutput) -> stop (StopInstances) -> start
# again (StartInstances, the same instance) -> rm (TerminateInstances) ->
# rmi (DeregisterImage, DeleteSnapshot), with throttling and 5xx injected on
# the way; the endpoint's log shows every request valid and signed, the
# ownership tags, and nothing left registered after rmi.  Runs with a command line
# of their own (other --env or arguments) boot an AMI made for them, whose
# disk is booted under QEMU here.  A live case runs only where AWS
# credentials are set.
. "$(dirname "$0")/../lib/e2e.sh"
need_tools python3 curl grub-mkimage mkfs.fat mcopy
/usr/bin/python3 -c 'import botocore.session' 2>/dev/null || skip "python3-botocore is not installed"
[ -f /usr/lib/grub/i386-pc/boot.img ] || skip "grub-pc-bin is not installed (scripts/install-deps)"

LIVE_KEY=${AWS_ACCESS_KEY_ID:-} LIVE_SECRET=${AWS_SECRET_ACCESS_KEY:-}
LIVE_TOKEN=${AWS_SESSION_TOKEN:-} LIVE_REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
KEY=AKIDUNIKEC2TEST SECRET=unik/ec2/test/secret/key
/usr/bin/python3 "$ROOT/tests/aws/endpoint/serve" --port 0 --port-file "$T/ep.port" \
	--access-key "$KEY" --secret-key "$SECRET" --region us-east-2 --boot-delay 0.5 \
	--stop-delay 0.5 --seed 7 >"$T/ep.out" 2>"$T/ep.err" &
EP_PID=$!
trap 'kill "$EP_PID" 2>/dev/null; wait "$EP_PID" 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 100); do [ -s "$T/ep.port" ] && break; sleep 0.1; done
[ -s "$T/ep.port" ] || { cat "$T/ep.err"; echo "the endpoint did not start"; exit 1; }
EP=http://127.0.0.1:$(cat "$T/ep.port")
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION
export AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET AWS_REGION=us-east-2 \
	AWS_ENDPOINT_URL=$EP AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=$T/none \
	AWS_SHARED_CREDENTIALS_FILE=$T/none NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
ctl() { curl -sf -X "$1" "$EP/_control/$2" ${3:+-d "$3"}; }
state() { ctl GET state; }
# ops: the operations the endpoint was asked, in order, one a line
ops() { ctl GET log | python3 -c 'import json,sys; [print(e.get("op")) for e in json.load(sys.stdin)["requests"]]'; }
instance_of() { # the EC2 instance id of unik instance $1 (its tag)
	state | python3 -c '
import json, sys
for i, v in json.load(sys.stdin)["instances"].items():
    if {"Key": "unik:instance", "Value": sys.argv[1]} in v["Tags"]:
        print(i)' "$1" | head -1
}

start_daemon
unik build -t hello "$ROOT/examples/hello-c" >"$T/b.log" 2>&1 || { cat "$T/b.log"; exit 1; }
out=$(unik providers 2>&1)
check "unik providers: aws is usable (credentials found, EC2 answers)" \
	bash -c "grep -E '^aws ' <<<'$out' | grep -qvi 'unusable\|not usable'"
check "unik providers: says which families run the image and which its companion, the linux base" \
	bash -c "curl -s --unix-socket '$SOCK' http://x/v1/providers | grep -F 'Xen types without ENA (t1, t2,' | grep -qF 'runs there on its companion, the linux base (built too by unik build --provider aws'"

# ---- a publication cut short resumes: no second upload --------------------
ctl POST faults '{"op":"RegisterImage","kind":"503","count":6}' >/dev/null
out=$(timeout 300 "$BIN/unik" run -d --provider aws --name a0 hello 2>&1)
check "RegisterImage failing every attempt: the run fails with a clear error" contains "$out" "RegisterImage"
check "the snapshot was uploaded once" test "$(ops | grep -c '^StartSnapshot$')" = 1
check "no AMI was registered" test "$(state | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["images"]))')" = 0
timeout 60 "$BIN/unik" rm a0 >/dev/null 2>&1
ctl DELETE faults >/dev/null

# ---- publish + run, with throttling and a 5xx on the way --------------------
ctl POST faults '{"op":"RegisterImage","kind":"throttle","count":1}' >/dev/null
ctl POST faults '{"op":"RunInstances","kind":"500","count":1}' >/dev/null
ctl POST faults '{"op":"DescribeInstances","kind":"throttle","count":2}' >/dev/null
out=$(timeout 300 "$BIN/unik" run -d --provider aws --name a1 hello 2>&1)
check "unik run -d --provider aws (publish + RunInstances)" test $? = 0
a1_id=$(api GET /v1/instances/a1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["id"])' 2>/dev/null)
iid=$(instance_of "$a1_id")
check "an EC2 instance tagged unik:instance=<id> exists" test -n "$iid"
st=$(state)
check "one AMI, registered hvm / x86_64 / ENA / legacy-bios from /dev/xvda" python3 -c '
import json, sys
imgs = list(json.loads(sys.argv[1])["images"].values())
assert len(imgs) == 1, imgs
i = imgs[0]
assert i["VirtualizationType"] == "hvm" and i["Architecture"] == "x86_64", i
assert i["EnaSupport"] is True and i["BootMode"] == "legacy-bios", i
assert i["RootDeviceName"] == "/dev/xvda", i
assert i["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"].startswith("snap-"), i
assert any(t["Key"] == "unik:image" and t["Value"].startswith("sha256:") for t in i["Tags"]), i["Tags"]' "$st"
check "one snapshot, completed, tagged with the image's digest" python3 -c '
import json, sys
s = list(json.loads(sys.argv[1])["snapshots"].values())
assert len(s) == 1 and s[0]["Status"] == "completed", s
assert any(t["Key"] == "unik:image" for t in s[0]["Tags"]), s[0]["Tags"]' "$st"
check "the instance: a Xen type (t2 by default), tags unik:instance and unik:image, user data" python3 -c '
import json, sys
i = json.loads(sys.argv[1])["instances"][sys.argv[2]]
assert i["InstanceType"].startswith("t2."), i["InstanceType"]
keys = {t["Key"]: t["Value"] for t in i["Tags"]}
assert "unik:instance" in keys and keys.get("unik:image", "").startswith("sha256:"), keys
assert i["UserData"], i' "$st" "$iid"
check "the resumed publication: no second StartSnapshot, no block sent again" \
	test "$(ops | grep -c '^StartSnapshot$') $(ops | grep -c '^CompleteSnapshot$')" = "1 1"
check "the snapshot uploaded by the failed run is the one registered" python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert len(s["snapshots"]) == 1, list(s["snapshots"])' "$st"
faults=$(ctl GET faults)
check "the injected throttles and 500 fired (and were retried)" python3 -c '
import json, sys
f = json.loads(sys.argv[1])["faults"]
assert f and all(x["fired"] >= 1 for x in f), f' "$faults"
check "unik ps: running" bash -c "$BIN/unik ps | grep -E '^[^ ]+ +a1 |a1' | grep -qi running"

# ---- logs: the console output ------------------------------------------------
ctl POST console "{\"id\":\"$iid\",\"text\":\"SeaBIOS\\nhello from unik on ec2\\n\"}" >/dev/null
for _ in $(seq 1 60); do unik logs a1 2>/dev/null | grep -q "hello from unik on ec2" && break; sleep 0.5; done
check "unik logs: GetConsoleOutput's text" bash -c "$BIN/unik logs a1 | grep -q 'hello from unik on ec2'"
ctl POST console "{\"id\":\"$iid\",\"text\":\"SeaBIOS\\nhello from unik on ec2\\nsecond line\\n\"}" >/dev/null
for _ in $(seq 1 60); do unik logs a1 2>/dev/null | grep -q "second line" && break; sleep 0.5; done
check "unik logs: only the new text is appended" bash -c "[ \$($BIN/unik logs a1 | grep -c 'hello from unik on ec2') = 1 ] && $BIN/unik logs a1 | grep -q 'second line'"

# ---- the AMI's disk boots; its exit status on its only serial port -------------
# The AMI's root snapshot, read back from the endpoint, booted under QEMU as
# a Xen HVM instance (t2) presents it: -M pc (i440FX/PIIX3), the disk on
# IDE, one serial port (COM1, what GetConsoleOutput returns), no COM2.  With
# no status port the runtime ends COM1 with the exit line; that console text
# is what EC2 answers next, and the stop below reads the status from it.
ami=$(state | python3 -c 'import json,sys; print(next(iter(json.load(sys.stdin)["images"])))')
if command -v qemu-system-x86_64 >/dev/null; then
	check "the AMI's disk, from its snapshot's blocks" \
		/usr/bin/python3 "$ROOT/tests/aws/endpoint/ami_disk.py" "$EP" "$ami" "$T/ami.raw"
	timeout 300 qemu-system-x86_64 -M pc -accel tcg -m 128 -display none -no-reboot -nodefaults \
		-serial "file:$T/ami.com1" -drive "file=$T/ami.raw,format=raw,if=ide,snapshot=on" \
		>"$T/ami.qemu" 2>&1
	check "booted with one serial port: the program's output on COM1" \
		grep -q 'hello from unik' "$T/ami.com1"
	check "and the exit line is COM1's last line" eq "$(tr -d '\r' <"$T/ami.com1" | tail -n 1)" "unik-exit-status=0"
	console=$(tr -d '\r' <"$T/ami.com1")
else
	skip_case "the AMI's disk under QEMU: qemu-system-x86_64 is not installed"
	console=$'hello from unik\nunik-exit-status=0'
fi
check "before the stop: no exit status yet" eq "$(api GET /v1/instances/a1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["state"])')" running

# ---- stop, start again, rm -----------------------------------------------------
ctl POST console "$(python3 -c 'import json,sys; print(json.dumps({"id": sys.argv[1], "text": "SeaBIOS\nhello from unik on ec2\nsecond line\n" + sys.argv[2] + "\n"}))' "$iid" "$console")" >/dev/null
check "unik stop a1" bash -c "timeout 120 $BIN/unik stop a1 >/dev/null 2>&1"
check "StopInstances was sent" bash -c "grep -q StopInstances <<<'$(ops)'"
check "the instance is stopped" python3 -c '
import json, sys
assert json.loads(sys.argv[1])["instances"][sys.argv[2]]["state"] == "stopped"' "$(state)" "$iid"
exit_of() { api GET "/v1/instances/$1" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read().split(" ", 1)[1]); print(d["state"], d["exit_code"])'; }
check "a1 exited with status 0 (the exit line its disk's runtime wrote on COM1)" eq "$(exit_of a1)" "exited 0"
check "unik start a1: StartInstances of the same instance" bash -c "timeout 120 $BIN/unik start a1 >/dev/null 2>&1 && [ \"\$(curl -s $EP/_control/log | grep -o StartInstances | head -1)\" = StartInstances ]"
check "still one instance for a1" test "$(state | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["instances"]))')" = 1
timeout 120 "$BIN/unik" stop a1 >/dev/null 2>&1
check "stopped again without a new exit line: not the old status (the daemon says 137 for a stop without one)" eq "$(exit_of a1)" "exited 137"
check "unik rm a1" bash -c "timeout 120 $BIN/unik rm a1 >/dev/null 2>&1"
check "TerminateInstances was sent" bash -c "grep -q TerminateInstances <<<'$(ops)'"
sleep 1
check "the instance is terminated" bash -c "curl -s $EP/_control/state | python3 -c 'import json,sys; i=json.load(sys.stdin)[\"instances\"][\"$iid\"]; assert i[\"state\"] in (\"shutting-down\",\"terminated\"), i[\"state\"]'"

# ---- a run with its own arguments and environment: an AMI of its own --------
n_img=$(state | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["images"]))')
out=$(timeout 300 "$BIN/unik" run -d --provider aws --name v1 -e GREETING=from-ec2 -e EXIT_CODE=3 hello x 'y z' 2>&1)
check "unik run with --env and arguments on aws: runs" test $? = 0
v1_id=$(api GET /v1/instances/v1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["id"])' 2>/dev/null)
ivid=$(instance_of "$v1_id")
vami=$(state | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"][sys.argv[1]]["ImageId"])' "$ivid" 2>/dev/null)
check "its instance boots an AMI of its own, registered for it (unik-<digest>-<instance id>)" python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert len(s["images"]) == int(sys.argv[2]) + 1, list(s["images"])
i = s["images"][sys.argv[3]]
assert i["Name"].startswith("unik-") and i["Name"].endswith(sys.argv[4][:16]), i["Name"]' "$(state)" "$n_img" "$vami" "$v1_id"
check "the instance's log says why" bash -c "$BIN/unik logs v1 | grep -q 'an AMI of its own'"
if command -v qemu-system-x86_64 >/dev/null; then
	/usr/bin/python3 "$ROOT/tests/aws/endpoint/ami_disk.py" "$EP" "$vami" "$T/vami.raw"
	timeout 300 qemu-system-x86_64 -M pc -accel tcg -m 128 -display none -no-reboot -nodefaults \
		-serial "file:$T/vami.com1" -drive "file=$T/vami.raw,format=raw,if=ide,snapshot=on" \
		>"$T/vami.qemu" 2>&1
	check "its AMI's disk boots the run's command line: arguments and environment" \
		eq "$(tr -d '\r' <"$T/vami.com1")" $'hello from unik\narg[1]=x\narg[2]=y z\nGREETING=from-ec2\nunik-exit-status=3'
	vconsole=$(tr -d '\r' <"$T/vami.com1")
else
	skip_case "the run's own AMI under QEMU: qemu-system-x86_64 is not installed"
	vconsole=$'hello from unik\nunik-exit-status=3'
fi
ctl POST console "$(python3 -c 'import json,sys; print(json.dumps({"id": sys.argv[1], "text": sys.argv[2] + "\n"}))' "$ivid" "$vconsole")" >/dev/null
check "unik stop v1" bash -c "timeout 120 $BIN/unik stop v1 >/dev/null 2>&1"
check "v1 exited with status 3 (its program's EXIT_CODE, from the console)" eq "$(exit_of v1)" "exited 3"
check "unik rm v1" bash -c "timeout 120 $BIN/unik rm v1 >/dev/null 2>&1"
check "its own AMI is deregistered and its snapshot deleted; the image's stays" python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert sys.argv[2] not in s["images"] and len(s["images"]) == int(sys.argv[3]), list(s["images"])
assert len(s["snapshots"]) == int(sys.argv[3]), list(s["snapshots"])' "$(state)" "$vami" "$n_img"

# ---- an image that makes sockets: its AMI reads user data -------------------
# http-c links the network stack: its AMI is published with
# unik.userdata=imds in its grub.cfg (tag unik:userdata=imds), and runs
# that differ from the image only in arguments and environment boot that
# one AMI, their words in the instance's user data.
unik build -t web "$ROOT/examples/http-c" >"$T/bw.log" 2>&1 || { cat "$T/bw.log"; exit 1; }
n_reg=$(ops | grep -c '^RegisterImage$')
timeout 300 "$BIN/unik" run -d --provider aws --name w1 -e GREETING=one web a 'b c' >"$T/w1.log" 2>&1
check "http-c with arguments and --env on aws: runs" bash -c "$BIN/unik ps | grep w1 | grep -qi running"
timeout 300 "$BIN/unik" run -d --provider aws --name w2 -e GREETING=two -e X=y web z >"$T/w2.log" 2>&1
check "a second run with other arguments and --env: runs" bash -c "$BIN/unik ps | grep w2 | grep -qi running"
w1_id=$(api GET /v1/instances/w1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["id"])' 2>/dev/null)
w2_id=$(api GET /v1/instances/w2 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["id"])' 2>/dev/null)
iw1=$(instance_of "$w1_id")
iw2=$(instance_of "$w2_id")
check "one AMI for both runs: one RegisterImage, the image's own, tagged unik:userdata=imds" python3 -c '
import json, sys
s = json.loads(sys.argv[1])
a, b = s["instances"][sys.argv[2]]["ImageId"], s["instances"][sys.argv[3]]["ImageId"]
assert a == b, (a, b)
i = s["images"][a]
tags = {t["Key"]: t["Value"] for t in i["Tags"]}
assert tags.get("unik:userdata") == "imds" and tags.get("unik:image", "").startswith("sha256:"), tags
assert not i["Name"].endswith(sys.argv[4][:16]), i["Name"]' "$(state)" "$iw1" "$iw2" "$w1_id"
check "and RegisterImage was asked once for the two runs" test "$(ops | grep -c '^RegisterImage$')" = "$((n_reg + 1))"
# user data NAME ID WORDS...: the base64 user data the instance's RunInstances
# carried decodes to exactly the run's words and its unik.id=
ud_is() {
	python3 -c '
import base64, json, sys
def enc(s):
    return "".join(c if c.isascii() and (c.isalnum() or c in "._~-") else "%%%02X" % ord(c) for c in s)
log, iid, uid, args, env = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), json.loads(sys.argv[5])
runs = [e for e in log["requests"] if e.get("op") == "RunInstances" and "params" in e
        and {"Key": "unik:instance", "Value": uid} in e["params"]["TagSpecifications"][0]["Tags"]]
assert runs, "no RunInstances for " + uid
raw = base64.b64decode(runs[-1]["params"]["UserData"], validate=True).decode()
want = " ".join(["unik.arg=" + enc(a) for a in args] + ["unik.env=" + enc(e) for e in env] + ["unik.id=" + enc(uid)])
assert raw == want, (raw, want)
st = json.loads(sys.argv[6])["instances"][iid]
assert base64.b64decode(st["UserData"]).decode() == want, st["UserData"]' "$(ctl GET log)" "$1" "$2" "$3" "$4" "$(state)"
}
check "w1's user data (base64): exactly its arguments, environment and id" \
	ud_is "$iw1" "$w1_id" '["a", "b c"]' '["GREETING=one"]'
check "w2's user data: its own words" ud_is "$iw2" "$w2_id" '["z"]' '["GREETING=two", "X=y"]'
wami=$(state | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"][sys.argv[1]]["ImageId"])' "$iw1" 2>/dev/null)
check "the AMI's disk (its snapshot's blocks): grub.cfg asks for user data (unik.userdata=imds)" \
	bash -c "/usr/bin/python3 '$ROOT/tests/aws/endpoint/ami_disk.py' '$EP' '$wami' '$T/wami.raw' && grep -aq 'unik.userdata=imds' '$T/wami.raw'"
check "hello-c's AMI (no network stack) does not ask for user data" python3 -c '
import json, sys
s = json.loads(sys.argv[1])
for i in s["images"].values():
    tags = {t["Key"]: t["Value"] for t in i.get("Tags", [])}
    if i["ImageId"] != sys.argv[2]:
        assert "unik:userdata" not in tags, i' "$(state)" "$wami"
big=$(head -c 17000 /dev/zero | tr '\0' a)
r=$(api POST /v1/instances -H 'Content-Type: application/json' \
	-d "{\"image\":\"web\",\"name\":\"w3\",\"provider\":\"aws\",\"args\":[\"$big\"]}")
check "a run whose words exceed EC2's 16 KiB of user data: 400" json_error_is "$r" 400 invalid_argument
check "its message says user data and the limit" contains "$r" "bytes of user data; EC2 takes at most 16384"
unik rm w3 >/dev/null 2>&1
for w in w1 w2; do timeout 120 "$BIN/unik" stop "$w" >/dev/null 2>&1; timeout 120 "$BIN/unik" rm "$w" >/dev/null 2>&1; done
check "rm of both: the image's AMI stays registered" python3 -c '
import json, sys
assert sys.argv[2] in json.loads(sys.argv[1])["images"]' "$(state)" "$wami"

# ---- a second run reuses the AMI; its type follows its memory -----------------
n_reg=$(ops | grep -c '^RegisterImage$')
timeout 300 "$BIN/unik" run -d --provider aws --name a2 -m 3000 hello >/dev/null 2>&1
check "a second run of the image: no second upload or RegisterImage" test "$(ops | grep -c '^RegisterImage$')" = "$n_reg"
a2_id=$(api GET /v1/instances/a2 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["id"])' 2>/dev/null)
iid2=$(instance_of "$a2_id")
check "-m 3000: the smallest t2/m4/c4 type with 3000 MiB (c4.large 3840, not t2.medium 4096)" \
	test "$(state | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"][sys.argv[1]]["InstanceType"])' "$iid2")" = c4.large

# ---- a daemon restart: the instance is adopted, asked of EC2 ----------------
# (restarted with aws.instance_type = t3.micro, a Nitro type, for the
# instance-type cases below)
stop_daemon
printf '[aws]\ninstance_type = t3.micro\n' >>"$T/unikd.conf"
start_daemon
check "after a daemon restart: a2 still running (DescribeInstances)" bash -c "$BIN/unik ps | grep a2 | grep -qi running"

# ---- Nitro types: ENA only, which the runtime does not drive ----------------
timeout 300 "$BIN/unik" run -d --provider aws --name a3 hello >"$T/a3.log" 2>&1
check "an image that makes no sockets runs on a Nitro type (aws.instance_type t3.micro)" \
	bash -c "$BIN/unik ps | grep a3 | grep -qi running"
a3_id=$(api GET /v1/instances/a3 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["id"])' 2>/dev/null)
iid3=$(instance_of "$a3_id")
check "it is a t3.micro" test "$(state | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"][sys.argv[1]]["InstanceType"])' "$iid3")" = t3.micro
n_snap=$(ops | grep -c '^StartSnapshot$')
n_inst=$(state | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["instances"]))')
r=$(api POST /v1/instances -H 'Content-Type: application/json' -d '{"image":"web","name":"w4","provider":"aws"}')
check "an image that makes sockets on a Nitro type: 400" json_error_is "$r" 400 invalid_argument
check "its message says ENA, which the runtime does not drive" contains "$r" "ENA network adapter, which the unik runtime does not drive"
check "and names the linux base to build on" contains "$r" "build the program on the linux base (unik build --compiler linux)"
check "refused before anything was uploaded or run for it" \
	test "$(ops | grep -c '^StartSnapshot$') $(state | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["instances"]))')" = "$n_snap $n_inst"
check "the type was asked of EC2 (DescribeInstanceTypes t3.micro: hypervisor nitro)" python3 -c '
import json, sys
e = [x for x in json.loads(sys.argv[1])["requests"] if x.get("op") == "DescribeInstanceTypes"]
assert any(x.get("params", {}).get("InstanceTypes") == ["t3.micro"] for x in e), e[-3:]' "$(ctl GET log)"
unik rm w4 >/dev/null 2>&1
# the linux base (http-c built with --compiler linux): its AMI boots GRUB's
# linux with the Debian cloud kernel and the initrd, and it runs on Nitro
if unik build -t webl --compiler linux "$ROOT/examples/http-c" >"$T/bl.log" 2>&1; then
	timeout 300 "$BIN/unik" run -d --provider aws --name l1 webl >"$T/l1.log" 2>&1
	check "a linux-initrd image that makes sockets runs on the Nitro type" \
		bash -c "$BIN/unik ps | grep l1 | grep -qi running"
	l1_id=$(api GET /v1/instances/l1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["id"])' 2>/dev/null)
	il1=$(instance_of "$l1_id")
	lami=$(state | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"][sys.argv[1]]["ImageId"])' "$il1" 2>/dev/null)
	check "it is a t3.micro" test "$(state | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"][sys.argv[1]]["InstanceType"])' "$il1")" = t3.micro
	check "its AMI's disk boots the Linux kernel with the initrd (grub.cfg), no user data word" \
		bash -c "/usr/bin/python3 '$ROOT/tests/aws/endpoint/ami_disk.py' '$EP' '$lami' '$T/lami.raw' && grep -aq \"^linux /boot/vmlinuz 'console=ttyS0'\" '$T/lami.raw' && grep -aqx 'initrd /boot/initrd.img' '$T/lami.raw' && ! grep -aq unik.userdata '$T/lami.raw'"
	check "and asks DHCP for the VPC's address (unik.net=dhcp, the last word of its linux line)" \
		bash -c "grep -a \"^linux /boot/vmlinuz 'console=ttyS0'\" '$T/lami.raw' | grep -q \" 'unik.net=dhcp'\$\""
	timeout 120 "$BIN/unik" stop l1 >/dev/null 2>&1
	timeout 120 "$BIN/unik" rm l1 >/dev/null 2>&1
	check "unik rmi webl unpublishes it" bash -c "timeout 120 $BIN/unik rmi webl >/dev/null 2>&1"
	# the automatic pick: http-c (unik-elf, sockets) built with --provider
	# aws has the linux base as its companion, published as a second AMI,
	# which the Nitro type boots
	n_reg=$(ops | grep -c '^RegisterImage$') n_snap=$(ops | grep -c '^StartSnapshot$')
	unik build -t webc --provider aws "$ROOT/examples/http-c" >"$T/bc.log" 2>&1
	check "unik build --provider aws" test $? = 0
	im=$(api GET /v1/images/webc)
	check "the image is unik-elf, its companion linux-initrd by the linux compiler, both artifacts" python3 -c '
import json, sys
i = json.loads(sys.argv[1].split(" ", 1)[1])
c = i["companion"]
assert i["format"] == "unik-elf", i
assert c["compiler"] == "linux" and c["format"] == "linux-initrd", c
assert c["kernel"].startswith("sha256:") and c["initrd"].startswith("sha256:"), c
assert c["kernel"] != i["kernel"], i' "$im"
	check "an image built without --provider has none" python3 -c '
import json, sys
assert json.loads(sys.argv[1].split(" ", 1)[1])["companion"] is None' "$(api GET /v1/images/web)"
	r=$(api POST /v1/images?provider=nosuch -H 'Content-Type: application/x-tar' --data-binary @/dev/null)
	check "build --provider with an unknown provider: 400" json_error_is "$r" 400 invalid_argument
	timeout 300 "$BIN/unik" run -d --provider aws --name c1 webc >"$T/c1.log" 2>&1
	check "it runs on the Nitro type (t3.micro), no 400" bash -c "$BIN/unik ps | grep c1 | grep -qi running"
	check "its publication made two snapshots and two AMIs" \
		test "$(($(ops | grep -c '^StartSnapshot$') - n_snap)) $(($(ops | grep -c '^RegisterImage$') - n_reg))" = "2 2"
	c1_id=$(api GET /v1/instances/c1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["id"])' 2>/dev/null)
	ic1=$(instance_of "$c1_id")
	cami=$(state | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"][sys.argv[1]]["ImageId"])' "$ic1" 2>/dev/null)
	check "the instance boots the companion's AMI: the Linux kernel, unik.net=dhcp" \
		bash -c "/usr/bin/python3 '$ROOT/tests/aws/endpoint/ami_disk.py' '$EP' '$cami' '$T/cami.raw' && grep -a \"^linux /boot/vmlinuz 'console=ttyS0'\" '$T/cami.raw' | grep -q \" 'unik.net=dhcp'\$\""
	check "its message names the linux base and why" \
		bash -c "$BIN/unik inspect c1 | grep -q 'linux base (the image.s companion): t3.micro has ENA'"
	wami=$(state | python3 -c '
import json, sys
st = json.load(sys.stdin)
print(" ".join(k for k, v in st["images"].items() if k != sys.argv[1] and v.get("Name", "").endswith(sys.argv[2])))' \
		"$cami" "$(api GET /v1/images/webc | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["id"][:16])')")
	check "the image's own AMI is the other one, its runtime's disk (user data word)" \
		bash -c "[ -n '$wami' ] && [ '$wami' = '${wami%% *}' ] && /usr/bin/python3 '$ROOT/tests/aws/endpoint/ami_disk.py' '$EP' '$wami' '$T/wami.raw' && grep -aq unik.userdata '$T/wami.raw' && ! grep -aq 'linux /boot/vmlinuz' '$T/wami.raw'"
	timeout 120 "$BIN/unik" stop c1 >/dev/null 2>&1
	timeout 120 "$BIN/unik" rm c1 >/dev/null 2>&1
	# the pick per type (aws.instance_type, the daemon restarted for each):
	# Nitro m5/c5 boot the companion, Xen t2/m4 without ENA the image
	for tc in "m5.large $cami" "c5.large $cami" "t2.micro $wami" "m4.large $wami"; do
		set -- $tc
		stop_daemon
		sed -i '/^instance_type = /d' "$T/unikd.conf"
		printf 'instance_type = %s\n' "$1" >>"$T/unikd.conf" # the [aws] section is the last
		start_daemon
		timeout 300 "$BIN/unik" run -d --provider aws --name "p-$1" webc >/dev/null 2>&1
		p_id=$(api GET "/v1/instances/p-$1" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["id"])' 2>/dev/null)
		ip=$(instance_of "$p_id")
		check "$1 boots $([ "$2" = "$cami" ] && echo "the companion's AMI (linux base)" || echo "the image's own AMI")" \
			test "$(state | python3 -c 'import json,sys; i = json.load(sys.stdin)["instances"][sys.argv[1]]; print(i["InstanceType"], i["ImageId"])' "$ip" 2>/dev/null)" = "$1 $2"
		timeout 120 "$BIN/unik" stop "p-$1" >/dev/null 2>&1
		timeout 120 "$BIN/unik" rm "p-$1" >/dev/null 2>&1
	done
	stop_daemon
	sed -i '/^instance_type = /d' "$T/unikd.conf"
	printf 'instance_type = t3.micro\n' >>"$T/unikd.conf"
	start_daemon
	# a run with its own --env on the Nitro type: an AMI of its own, made
	# from the companion's disk (aws_variant.c)
	timeout 300 "$BIN/unik" run -d --provider aws --name c2 -e GREETING=from-nitro webc >"$T/c2.log" 2>&1
	check "a run of its own (--env) on t3.micro: runs" bash -c "$BIN/unik ps | grep c2 | grep -qi running"
	c2_id=$(api GET /v1/instances/c2 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ", 1)[1])["id"])' 2>/dev/null)
	vcami=$(state | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"][sys.argv[1]]["ImageId"])' "$(instance_of "$c2_id")" 2>/dev/null)
	check "it boots an AMI of its own from the companion's disk: Linux, its word, unik.net=dhcp" \
		bash -c "[ -n '$vcami' ] && [ '$vcami' != '$cami' ] && [ '$vcami' != '$wami' ] && /usr/bin/python3 '$ROOT/tests/aws/endpoint/ami_disk.py' '$EP' '$vcami' '$T/vcami.raw' && grep -a \"^linux /boot/vmlinuz 'console=ttyS0'\" '$T/vcami.raw' | grep -F 'GREETING%3Dfrom-nitro' | grep -q \" 'unik.net=dhcp'\$\""
	timeout 120 "$BIN/unik" stop c2 >/dev/null 2>&1
	timeout 120 "$BIN/unik" rm c2 >/dev/null 2>&1
	check "rm c2 removed its AMI" python3 -c '
import json, sys
assert sys.argv[2] not in json.loads(sys.argv[1])["images"]' "$(state)" "$vcami"
	n_dereg=$(ops | grep -c '^DeregisterImage$') n_del=$(ops | grep -c '^DeleteSnapshot$')
	check "unik rmi webc" bash -c "timeout 120 $BIN/unik rmi webc >/dev/null 2>&1"
	check "rmi deregistered both AMIs and deleted both snapshots" \
		test "$(($(ops | grep -c '^DeregisterImage$') - n_dereg)) $(($(ops | grep -c '^DeleteSnapshot$') - n_del))" = "2 2"
	check "neither AMI is left" python3 -c '
import json, sys
assert sys.argv[2] not in json.loads(sys.argv[1])["images"]' "$(state)" "$cami"
else
	skip_case "the linux base on a Nitro type: the linux compiler is not usable here"
fi

# ---- the poll: one DescribeInstances for every instance ---------------------
# a2 and a3 run; what the daemon's poll asks of EC2 for a few seconds
n_log=$(ctl GET log | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))')
sleep 5
log=$(ctl GET "log?since=$n_log")
check "the poll of two instances: DescribeInstances filtered by the unik:instance tag, never by id" python3 -c '
import json, sys
d = [e for e in json.loads(sys.argv[1])["requests"] if e.get("op") == "DescribeInstances"]
assert d, "no DescribeInstances at all"
for e in d:
    p = e.get("params", {})
    assert not p.get("InstanceIds"), p
    assert p.get("Filters") == [{"Name": "tag-key", "Values": ["unik:instance"]}], p' "$log"
check "and both are still running" bash -c "[ \$($BIN/unik ps | grep -E 'a2|a3' | grep -ci running) = 2 ]"
timeout 120 "$BIN/unik" stop a3 >/dev/null 2>&1
timeout 120 "$BIN/unik" rm a3 >/dev/null 2>&1
check "and unik stop a2 stops its EC2 instance" bash -c "timeout 120 $BIN/unik stop a2 >/dev/null 2>&1"
check "it is stopped" python3 -c '
import json, sys
assert json.loads(sys.argv[1])["instances"][sys.argv[2]]["state"] == "stopped"' "$(state)" "$iid2"
timeout 120 "$BIN/unik" rm a2 >/dev/null 2>&1

# ---- unik stage: publish ahead of the first run ------------------------------
unik build -t hello2 --arg staged "$ROOT/examples/hello-c" >"$T/b2.log" 2>&1 || { cat "$T/b2.log"; exit 1; }
check "unik images: hello2 published nowhere yet" eq "$(unik images | awk '$1=="hello2"{print $(NF-1)}')" "-"
n_snap=$(ops | grep -c '^StartSnapshot$')
ctl POST faults '{"op":"RegisterImage","kind":"503","count":6}' >/dev/null
out=$(timeout 300 "$BIN/unik" stage --provider aws hello2 2>&1)
check "unik stage with RegisterImage failing: fails, naming it" contains "$out" "RegisterImage"
ctl DELETE faults >/dev/null
out=$(timeout 300 "$BIN/unik" stage --provider aws hello2 2>&1)
check "unik stage --provider aws hello2: progress lines, then the reference" \
	bash -c "grep -q 'publishing image' <<<'$out' && grep -qE 'published on aws as ami-[0-9a-f]+ snap-[0-9a-f]+' <<<'$out'"
check "the stage resumed the upload cut short: one StartSnapshot for hello2" test "$(ops | grep -c '^StartSnapshot$')" = "$((n_snap + 1))"
check "unik images: PUBLISHED aws" eq "$(unik images | awk '$1=="hello2"{print $(NF-1)}')" "aws"
check "the image's JSON: published [aws]" eq "$(unik images --json | python3 -c 'import json,sys; print([i["published"] for i in json.load(sys.stdin) if i["name"]=="hello2"][0])')" "['aws']"
n_ops=$(ops | wc -l)
check "unik stage -q again: the reference at once" bash -c "timeout 60 $BIN/unik stage -q --provider aws hello2 | grep -qE '^ami-[0-9a-f]+ snap-[0-9a-f]+\$'"
check "and nothing asked of AWS for it" test "$(ops | wc -l)" = "$n_ops"
r=$(api POST /v1/images/hello2/stage -H 'Content-Type: application/json' -d '{"provider":"qemu"}')
check "stage on a provider that boots from this host: 400" json_error_is "$r" 400 invalid_argument
r=$(api POST /v1/images/hello2/stage -H 'Content-Type: application/json' -d '{"provider":"nope"}')
check "stage on an unknown provider: 400" json_error_is "$r" 400 invalid_argument
r=$(api POST /v1/images/hello2/stage -H 'Content-Type: application/json' -d '{"provider":7}')
check "stage with a provider that is not a string: 400" json_error_is "$r" 400 invalid_argument
r=$(api POST /v1/images/nope/stage -H 'Content-Type: application/json' -d '{"provider":"aws"}')
check "stage of a missing image: 404" json_error_is "$r" 404 not_found
check "unik stage without --provider: a usage error" bash -c "! $BIN/unik stage hello2 2>/dev/null"
check "unik rmi hello2 unpublishes it" bash -c "timeout 120 $BIN/unik rmi hello2 >/dev/null 2>&1"

# ---- rmi: deregister + delete snapshot -----------------------------------------
check "unik rmi hello" bash -c "timeout 120 $BIN/unik rmi hello >/dev/null 2>&1"
check "unik rmi web" bash -c "timeout 120 $BIN/unik rmi web >/dev/null 2>&1"
st=$(state)
check "nothing left registered: no AMI, no snapshot" python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert not s["images"], s["images"]
assert not s["snapshots"], list(s["snapshots"])' "$st"
check "DeregisterImage then DeleteSnapshot" bash -c "grep -E '^(DeregisterImage|DeleteSnapshot)\$' <<<'$(ops)' | tr '\n' ' ' | grep -q '^DeregisterImage DeleteSnapshot'"
ctl GET log >"$T/ep-log.json" # a file: the log outgrows a command line
check "every request the endpoint saw was signed right and valid against the model" python3 -c '
import json, sys
bad = [e for e in json.load(open(sys.argv[1]))["requests"]
       if e.get("fault") is None and (e.get("valid") is False or "failed" in (e.get("auth") or {}))]
assert not bad, bad[:3]' "$T/ep-log.json"
check "every RunInstances carried the ownership tags" python3 -c '
import json, sys
runs = [e for e in json.load(open(sys.argv[1]))["requests"] if e.get("op") == "RunInstances" and "params" in e]
assert runs
for e in runs:
    tags = e["params"]["TagSpecifications"][0]["Tags"]
    assert {t["Key"] for t in tags} >= {"unik:instance", "unik:image"}, tags' "$T/ep-log.json"

# ---- live ----------------------------------------------------------------------
# Only what costs nothing: the probe (credentials, DescribeInstanceTypes)
# against the real EC2 of the region.  A live run would start a paid
# instance: not done by this suite.
if [ -z "$LIVE_KEY" ]; then
	skip_case "live EC2: no AWS credentials in the environment (AWS_ACCESS_KEY_ID)"
else
	stop_daemon
	export AWS_ACCESS_KEY_ID=$LIVE_KEY AWS_SECRET_ACCESS_KEY=$LIVE_SECRET AWS_REGION=$LIVE_REGION
	[ -n "$LIVE_TOKEN" ] && export AWS_SESSION_TOKEN=$LIVE_TOKEN
	unset AWS_ENDPOINT_URL
	start_daemon
	out=$(unik providers 2>&1)
	check "live EC2: the probe answers (credentials accepted, DescribeInstanceTypes)" \
		bash -c "grep -E '^aws ' <<<'$out' | grep -qvi 'unusable\|not usable'"
fi
finish
