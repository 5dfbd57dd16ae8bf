# rest.py - the rest-json protocol (EBS) by the model: a request's members
# read from their locations (uri, header, querystring, payload, JSON body),
# an answer's members written to theirs.
import json
import urllib.parse

import shapes


def request(op, labels, query, headers, body):
    """The input of a rest-json operation from URI labels, the raw query
    string, the headers (anything with get_all) and the body."""
    shape = op.input_shape
    value = {}
    qs = {}
    for pair in query.split("&") if query else []:
        k, _, v = pair.partition("=")  # "+" stays "+", as the signature check reads it
        qs.setdefault(urllib.parse.unquote(k), []).append(urllib.parse.unquote(v))
    known_q = set()
    payload_name = shape.serialization.get("payload")
    body_members = {}
    for name, ms in shape.members.items():
        loc = ms.serialization.get("location")
        wire = ms.serialization.get("name", name)
        if loc == "uri":
            value[name] = shapes.from_text(ms, urllib.parse.unquote(labels[wire]), wire)
        elif loc == "header":
            got = headers.get_all(wire)
            if got:
                if len(got) > 1:
                    raise shapes.Invalid("value", wire, "Header %s is given twice" % wire)
                value[name] = shapes.from_text(ms, got[0].strip(), wire)
        elif loc == "querystring":
            known_q.add(wire)
            if wire in qs:
                if ms.type_name == "list":
                    value[name] = [shapes.from_text(ms.member, v, wire) for v in qs[wire]]
                elif len(qs[wire]) > 1:
                    raise shapes.Invalid("value", wire, "Query parameter %s is given twice" % wire)
                else:
                    value[name] = shapes.from_text(ms, qs[wire][0], wire)
        elif name == payload_name:
            pass
        else:
            body_members[name] = ms
    for k in qs:
        if k not in known_q:
            raise shapes.Invalid("unknown", k, "Unknown query parameter %s" % k)
    if payload_name:
        ps = shape.members[payload_name]
        if ps.type_name == "blob":
            value[payload_name] = body
        elif body:
            value[payload_name] = shapes.from_json(ps, _json(body), payload_name)
    elif body_members:
        if body:
            doc = _json(body)
            if not isinstance(doc, dict):
                raise shapes.Invalid("value", "", "The body must be a JSON object")
            sub = {ms.serialization.get("name", n): n for n, ms in body_members.items()}
            for k, v in doc.items():
                if k not in sub:
                    raise shapes.Invalid("unknown", k, "Unknown parameter %s in the body" % k)
                value[sub[k]] = shapes.from_json(body_members[sub[k]], v, k)
    elif body:
        raise shapes.Invalid("value", "", "%s takes no body" % op.name)
    return value


def _json(body):
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise shapes.Invalid("value", "", "The body is not JSON (or nested too deeply)")


def response(op, out):
    """(status, headers, body, content type) of an operation's answer."""
    status = op.http.get("responseCode", 200)
    shape = op.output_shape
    headers = []
    payload_name = shape.serialization.get("payload")
    for name, ms in shape.members.items():
        if ms.serialization.get("location") == "header" and out.get(name) is not None:
            headers.append((ms.serialization["name"], shapes.to_text(ms, out[name])))
    if payload_name and shape.members[payload_name].type_name == "blob":
        return status, headers, out.get(payload_name, b""), "application/octet-stream"
    return status, headers, json.dumps(shapes.to_json(shape, out)).encode(), "application/json"
