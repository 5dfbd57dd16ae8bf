#!/usr/bin/env python3
"""oci_layouts.py - OCI image layouts for t0024, made from a saved unik layout.

   oci_layouts.py plain DIR            an OCI image of one layer without /unik/ (not unik's)
   oci_layouts.py runnable SRC DST     SRC's runnable manifest alone, DST/index.json naming it
   oci_layouts.py swapkernel SRC DST   the same with a changed byte in /unik/kernel, every
                                       digest of the layer, config and manifest made anew
                                       (image.json still names the original kernel digest)"""
import hashlib, io, json, os, shutil, sys, tarfile


def put(d, data):
    h = hashlib.sha256(data).hexdigest()
    os.makedirs(f"{d}/blobs/sha256", exist_ok=True)
    with open(f"{d}/blobs/sha256/{h}", "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + h, "size": len(data)}


def top(d, desc, tag):
    with open(f"{d}/oci-layout", "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    desc = dict(desc, annotations={"org.opencontainers.image.ref.name": tag})
    with open(f"{d}/index.json", "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [desc]}, f)


def blob(d, digest):
    with open(f"{d}/blobs/sha256/{digest[7:]}", "rb") as f:
        return f.read()


def manifest(d, layer, cfg_extra):
    cfg = dict({"architecture": "amd64", "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}, **cfg_extra)
    c = put(d, json.dumps(cfg).encode())
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": dict(c, mediaType="application/vnd.oci.image.config.v1+json"),
         "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar")]}
    return dict(put(d, json.dumps(m).encode()), mediaType=m["mediaType"])


def runnable_of(src):
    idx = json.load(open(f"{src}/index.json"))["manifests"][0]
    index = json.loads(blob(src, idx["digest"]))
    run = [m for m in index["manifests"] if m["platform"]["os"] == "linux"][0]
    return run, json.loads(blob(src, run["digest"]))


mode = sys.argv[1]
if mode == "plain":
    d = sys.argv[2]
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w") as t:
        ti = tarfile.TarInfo("hello.txt"); data = b"not a unik image\n"; ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    top(d, manifest(d, put(d, bio.getvalue()), {"config": {"Cmd": ["/hello"]}}), "v1")
elif mode == "runnable":
    src, dst = sys.argv[2:4]
    shutil.copytree(src, dst)
    run, _ = runnable_of(src)
    top(dst, {k: run[k] for k in ("mediaType", "digest", "size")}, "v1")
elif mode == "swapkernel":
    src, dst = sys.argv[2:4]
    run, man = runnable_of(src)
    layer = blob(src, man["layers"][0]["digest"])
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(layer)) as t, tarfile.open(fileobj=out, mode="w") as o:
        for m in t.getmembers():
            data = t.extractfile(m).read() if m.isfile() else None
            if m.name == "unik/kernel":
                data = data[:1000] + bytes([data[1000] ^ 1]) + data[1001:]
            o.addfile(m, io.BytesIO(data) if data is not None else None)
    top(dst, manifest(dst, put(dst, out.getvalue()), {}), "v1")
