# xcheck.py - what the parts of crosscheck.py share: TAP cases, the endpoint
# started and stopped, boto3 clients, the control API, requests signed by
# botocore (raw) and by unik's sigv4.c (ours).
import base64
import datetime
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from unittest import mock

import boto3
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
KEY, SECRET, REGION = "AKIDUNIKTEST", "unik/secret+key", "eu-west-1"
BLOCK = 524288
n = failed = 0
procs = []


def ok(cond, title, detail=""):
    global n, failed
    n += 1
    if cond:
        print("ok %d - %s" % (n, title))
    else:
        failed += 1
        print("not ok %d - %s\n# %s" % (n, title, str(detail).replace("\n", "\n# ")))
    sys.stdout.flush()


def start(tmp, *extra):
    pf = os.path.join(tmp, "port")
    if os.path.exists(pf):
        os.unlink(pf)
    p = subprocess.Popen(
        [
            sys.executable,
            os.path.join(HERE, "serve"),
            "--port",
            "0",
            "--port-file",
            pf,
            "--access-key",
            KEY,
            "--secret-key",
            SECRET,
            "--region",
            REGION,
            "--boot-delay",
            "0.3",
            "--stop-delay",
            "0.3",
            "--seed",
            "20",
        ]
        + list(extra),
        stdout=subprocess.DEVNULL,
    )
    procs.append(p)
    for _ in range(300):  # 30 s: loading the models takes a while on a busy machine
        if os.path.exists(pf):
            return p, "http://127.0.0.1:%s" % open(pf).read().strip()
        if p.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit("the endpoint did not start")


def stop(p):
    p.terminate()
    p.wait(10)


def clients(url, token=None, secret=SECRET, **cfg):
    s = boto3.session.Session(
        aws_access_key_id=KEY, aws_secret_access_key=secret, aws_session_token=token, region_name=REGION
    )
    c = Config(retries={"mode": "standard", "total_max_attempts": cfg.pop("attempts", 1)}, **cfg)
    return s.client("ebs", endpoint_url=url, config=c), s.client("ec2", endpoint_url=url, config=c)


def control(url, what, doc=None, method=None):
    req = urllib.request.Request(
        url + "/_control/" + what,
        data=None if doc is None else json.dumps(doc).encode(),
        method=method or ("POST" if doc is not None else "GET"),
    )
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")


def error(fn):
    """(HTTP status, error code, message) of a call expected to fail."""
    try:
        fn()
    except ClientError as e:
        return (
            e.response["ResponseMetadata"]["HTTPStatusCode"],
            e.response["Error"].get("Code"),
            e.response["Error"].get("Message", ""),
        )
    return 200, None, ""


def refused(fn, status, code, title, word=None):
    """A call expected to fail with `status` and `code` (and `word` in its message)."""
    st, got, msg = error(fn)
    ok((st, got) == (status, code) and (word is None or word in msg), title, (st, got, msg))


def b64sha(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def raw(url, service, method, path, body=b"", headers=None, when=None, unsigned=False, extra_unsigned=None):
    """A request signed by botocore's SigV4Auth, sent by urllib."""
    host = url.split("//", 1)[1]
    req = AWSRequest(method=method, url=url + path, data=body, headers=dict(headers or {}))
    req.headers["Host"] = host
    if unsigned:
        req.context["payload_signing_enabled"] = False
        req.url = "https://" + host + path
    signer = botocore.auth.SigV4Auth(Credentials(KEY, SECRET), service, REGION)
    if when is not None:

        class Fixed(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return when

        with mock.patch.object(botocore.auth.datetime, "datetime", Fixed):
            signer.add_auth(req)
    else:
        signer.add_auth(req)
    hdrs = dict(req.headers.items())
    hdrs.update(extra_unsigned or {})
    r = urllib.request.Request(url + path, data=body if body else None, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def ours(url, service, method, path, body, headers, unsigned=False, secret=SECRET, query=None):
    """A request signed by unik's signer (sigv4.c through sigv4sign)."""
    host = url.split("//", 1)[1]
    with tempfile.NamedTemporaryFile() as f:
        f.write(body)
        f.flush()
        cmd = [os.environ["SIGV4SIGN"], "-t", str(int(time.time())), "-r", REGION, "-s", service, "-b", f.name]
        cmd += ["-u", "-c"] if unsigned else []
        for k, v in list(headers.items()) + [("Host", host)]:
            cmd += ["-H", "%s: %s" % (k, v)]
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=secret)
        out = subprocess.run(cmd + [method, path] + ([query] if query else []), capture_output=True, text=True, env=env)
    if out.returncode:
        return 0, {}, out.stderr.encode()
    hdrs = dict(headers)
    for line in out.stdout.splitlines():
        k, v = line.split(": ", 1)
        hdrs[k] = v
    import http.client

    hc = http.client.HTTPConnection(host, timeout=30)
    hc.request(method, path + ("?" + query if query else ""), body=body, headers=hdrs)
    r = hc.getresponse()
    res = r.status, dict(r.getheaders()), r.read()
    hc.close()
    return res
