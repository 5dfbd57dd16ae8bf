# ami_disk.py - the disk an AMI of the contract endpoint boots: its root
# snapshot's written blocks (GET /_control/block) at their offsets, the
# blocks never written (the zero ones the uploader skipped) left zero, the
# file as long as the MBR's last partition says (what the uploader was given).
#
#   ami_disk.py ENDPOINT-URL AMI-ID OUT.raw
import json
import struct
import sys
import urllib.request

BLOCK = 512 * 1024


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def main(ep, ami, out):
    st = json.loads(get(ep + "/_control/state"))
    img = st["images"].get(ami)
    if img is None:
        sys.exit("no image %s" % ami)
    sid = img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    snap = st["snapshots"][sid]
    end = 0
    with open(out, "wb") as f:
        for idx in sorted(int(i) for i in snap["blocks"]):
            data = get("%s/_control/block?snapshot=%s&index=%d" % (ep, sid, idx))
            f.seek(idx * BLOCK)
            f.write(data)
            if idx == 0:
                mbr = data[:512]
                if mbr[510:512] != b"\x55\xaa":
                    sys.exit("block 0 has no MBR")
                for p in range(4):
                    start, count = struct.unpack_from("<II", mbr, 446 + 16 * p + 8)
                    end = max(end, (start + count) * 512)
        if end == 0:
            sys.exit("no partition in the MBR")
        f.truncate(end)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: ami_disk.py ENDPOINT-URL AMI-ID OUT.raw")
    main(*sys.argv[1:])
