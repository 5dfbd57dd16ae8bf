#!/usr/bin/env python3
"""ociimage.py KERNEL NAME OUT.tar [ARGS...]: an image tar that both
`ctr image import` (OCI layout: oci-layout, index.json, blobs) and
`docker load` (manifest.json) read: one uncompressed layer holding
/unik/kernel and /unik/image.json (docs/oci-runtime.md), a config whose
Entrypoint is /unik/kernel and Cmd the default arguments."""
import hashlib
import io
import json
import sys
import tarfile

kernel, name, out = sys.argv[1:4]
args = sys.argv[4:]


def add(t, path, data, mode=0o644):
    m = tarfile.TarInfo(path)
    m.size = len(data)
    m.mode = mode
    t.addfile(m, io.BytesIO(data))


layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
    d = tarfile.TarInfo("unik")
    d.type = tarfile.DIRTYPE
    d.mode = 0o755
    t.addfile(d)
    add(t, "unik/kernel", open(kernel, "rb").read(), 0o755)
    add(t, "unik/image.json", json.dumps({"format": "unik-elf", "kernel": "kernel",
                                          "initrd": None, "args": args}).encode())
layer = layer.getvalue()
ld = hashlib.sha256(layer).hexdigest()
config = json.dumps({
    "architecture": "amd64", "os": "linux",
    "config": {"Entrypoint": ["/unik/kernel"], "Cmd": args},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + ld]},
}).encode()
cd = hashlib.sha256(config).hexdigest()
manifest = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": "sha256:" + cd, "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": "sha256:" + ld, "size": len(layer)}],
}).encode()
md = hashlib.sha256(manifest).hexdigest()
index = json.dumps({
    "schemaVersion": 2,
    "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "digest": "sha256:" + md, "size": len(manifest),
                   "annotations": {"io.containerd.image.name": "docker.io/library/" + name,
                                   "org.opencontainers.image.ref.name": name.split(":")[-1]}}],
}).encode()
with tarfile.open(out, "w") as t:
    add(t, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
    add(t, "index.json", index)
    add(t, "blobs/sha256/" + ld, layer)
    add(t, "blobs/sha256/" + cd, config)
    add(t, "blobs/sha256/" + md, manifest)
    add(t, "manifest.json", json.dumps([{
        "Config": "blobs/sha256/" + cd, "RepoTags": [name],
        "Layers": ["blobs/sha256/" + ld]}]).encode())
