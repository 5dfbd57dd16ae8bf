# roundtrip.py - the endpoint's protocol code against botocore's own, for
# every operation of both models: a sample input (every member, nested
# structures and lists, enums' first values) is serialized by botocore's
# serializer and must parse back (shapes.ec2_params, rest.request) to the
# same value; a sample output is written by the endpoint (shapes.ec2_response,
# rest.response) and must parse back through botocore's parser to the same
# value; check() may refuse a sample (patterns, bounds) but never fail
# otherwise.  Prints TAP lines (numbered from $ROUNDTRIP_FIRST, default 1).
import datetime
import email.message
import io
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from botocore.parsers import create_parser  # noqa: E402
from botocore.response import StreamingBody  # noqa: E402
from botocore.serialize import create_serializer  # noqa: E402

import rest  # noqa: E402
import shapes  # noqa: E402

WHEN = datetime.datetime(2026, 12, 1, 12, 30, 45, tzinfo=datetime.timezone.utc)
DEPTH = 5


def sample(shape, depth, name, fill=None):
    """A value for every member; fill(name, shape) may supply a string."""
    t = shape.type_name
    if fill is not None and t == "string":
        v = fill(name, shape)
        if v is not None:
            return v
    if t == "structure":
        if depth > DEPTH:
            return None
        out = {}
        for n, ms in shape.members.items():
            v = sample(ms, depth + 1, n, fill)
            if v is not None:
                out[n] = v
        return out
    if t == "list":
        v = sample(shape.member, depth + 1, name, fill) if depth <= DEPTH else None
        return None if v is None else [v, v]
    if t == "map":
        return None
    if t == "string":
        return shape.enum[0] if shape.enum else "v-%s" % name
    if t in ("integer", "long"):
        return 7
    if t == "boolean":
        return True
    if t in ("float", "double"):
        return 1.5
    if t == "timestamp":
        return WHEN
    if t == "blob":
        return b"\x00\x01blob"
    return None


def prune(v):
    """What survives serialization: empty structures and lists send nothing."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            x = prune(x)
            if x is not None and x != {} and x != []:
                out[k] = x
        return out
    if isinstance(v, list):
        out = [prune(x) for x in v]
        return [x for x in out if x is not None and x != {} and x != []]
    return v


def main():
    n = int(os.environ.get("ROUNDTRIP_FIRST", "1")) - 1
    failed = 0

    def ok(cond, title, detail=""):
        nonlocal n, failed
        n += 1
        if not cond:
            failed += 1
        print(
            "%s %d - %s%s"
            % ("ok" if cond else "not ok", n, title, "" if cond else "\n# " + str(detail)[:3000].replace("\n", "\n# "))
        )

    ec2 = shapes.load("ec2")
    ser = create_serializer("ec2", include_validation=False)
    par = create_parser("ec2")
    bad_in, bad_out, bad_check = [], [], []
    for name in ec2.operation_names:
        op = ec2.operation_model(name)
        if op.input_shape is not None:
            value = sample(op.input_shape, 0, name)
            # the form as it goes on the wire (urlencode's str() of each value), read back as parsed
            form = urllib.parse.urlencode(ser.serialize_to_request(value, op)["body"])
            params = dict(urllib.parse.parse_qsl(form, keep_blank_values=True))
            params.pop("Action"), params.pop("Version")
            try:
                got = shapes.ec2_params(op.input_shape, params)
            except shapes.Invalid as e:
                got = e
            if got != prune(value):
                bad_in.append((name, got, prune(value)))
            try:
                shapes.check(op.input_shape, got, "", shapes.ec2_name)
            except shapes.Invalid:
                pass
            except Exception as e:  # noqa: BLE001 - any other failure is the bug looked for
                bad_check.append((name, repr(e)))
        if op.output_shape is not None:
            value = sample(op.output_shape, 0, name)
            body = shapes.ec2_response(op, value, "rid", validate=False)
            parsed = par.parse({"status_code": 200, "headers": {}, "body": body}, op.output_shape)
            parsed.pop("ResponseMetadata", None)
            if prune(parsed) != prune(value):
                bad_out.append((name, parsed, prune(value)))
    total = len(ec2.operation_names)
    ok(not bad_in, "EC2: %d operations' inputs, serialized by botocore, parse back" % total, bad_in[:2])
    ok(not bad_out, "EC2: %d operations' outputs, written here, parse back through botocore" % total, bad_out[:2])
    ok(not bad_check, "EC2: check() refuses or passes every sample input", bad_check[:3])

    ebs = shapes.load("ebs")
    ser = create_serializer("rest-json", include_validation=False)
    par = create_parser("rest-json")
    bad_in, bad_out = [], []
    for name in ebs.operation_names:
        op = ebs.operation_model(name)
        value = sample(op.input_shape, 0, name)
        req = ser.serialize_to_request(value, op)
        path = op.http["requestUri"].split("?", 1)[0]
        rx = "^" + re.sub(r"\\\{([^}+]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$"
        labels = re.match(rx, req["url_path"]).groupdict()
        query = urllib.parse.urlencode(req["query_string"], doseq=True, quote_via=urllib.parse.quote)
        hdrs = email.message.Message()
        for k, v in req["headers"].items():
            hdrs[k] = v
        body = req["body"] if isinstance(req["body"], bytes) else req["body"].encode()
        try:
            got = rest.request(op, labels, query, hdrs, body)
        except shapes.Invalid as e:
            got = e
        if got != prune(value):
            bad_in.append((name, got, prune(value)))
        out = sample(op.output_shape, 0, name)
        status, headers, data, _ = rest.response(op, out)
        pname = op.output_shape.serialization.get("payload")
        streaming = (
            pname
            and op.output_shape.members[pname].serialization.get("streaming")
            or (pname and op.output_shape.members[pname].metadata.get("streaming"))
        )
        resp = {
            "status_code": status,
            "headers": dict(headers),
            "body": StreamingBody(io.BytesIO(data), len(data)) if streaming else data,
        }
        parsed = par.parse(resp, op.output_shape)
        parsed.pop("ResponseMetadata", None)
        if streaming:
            parsed[pname] = parsed[pname].read()
        if prune(parsed) != prune(out):
            bad_out.append((name, parsed, prune(out)))
    total = len(ebs.operation_names)
    ok(not bad_in, "EBS: %d operations' inputs, serialized by botocore, parse back" % total, bad_in[:2])
    ok(not bad_out, "EBS: %d operations' outputs, written here, parse back through botocore" % total, bad_out[:2])
    return failed


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
