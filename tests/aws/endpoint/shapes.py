# shapes.py - requests read and answers written by botocore's service models.
#
# Everything here walks botocore.model shapes (ServiceModel loaded from the
# Debian python3-botocore data): no shape is written by hand.  Inputs come in
# three forms: text (EC2 query parameters, REST URI/header/query-string
# members), JSON (the rest-json body) and raw bytes (a blob payload).  Each is
# converted to the Python type the shape names and then checked by check():
# required members, types, enums, min/max (lengths for strings, blobs and
# lists; values for numbers), patterns, unknown members.
import base64
import datetime
import json
import re

from botocore.loaders import Loader
from botocore.model import ServiceModel

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
_INT = re.compile(r"[-+]?[0-9]+\Z")
_patterns = {}


class Invalid(Exception):
    """A parameter the model refuses.  kind: missing, value, unknown."""

    def __init__(self, kind, where, message):
        super().__init__(message)
        self.kind = kind
        self.where = where
        self.message = message


def load(name):
    return ServiceModel(Loader().load_service_model(name, "service-2"), name)


def _pattern(p):
    if p not in _patterns:
        try:
            _patterns[p] = re.compile(p)
        except re.error:
            _patterns[p] = None  # a Java-only construct: not checked
    return _patterns[p]


def parse_time(text):
    """ISO 8601 (what the query and header forms send) or epoch seconds."""
    t = text.strip()
    try:
        return datetime.datetime.fromtimestamp(float(t), datetime.timezone.utc)
    except ValueError:
        pass
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    d = datetime.datetime.fromisoformat(t)
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d


def from_text(shape, text, where):
    """A scalar member sent as text (query parameter, header, URI label)."""
    t = shape.type_name
    if t == "string":
        return text
    if t in ("integer", "long"):
        if not _INT.match(text):
            raise Invalid(
                "value", where, "Value (%s) for parameter %s is invalid. Expected an integer." % (text, where)
            )
        return int(text)
    if t == "boolean":
        if text.lower() not in ("true", "false"):
            raise Invalid("value", where, "Value (%s) for parameter %s is invalid. Expected a boolean." % (text, where))
        return text.lower() == "true"
    if t in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            raise Invalid("value", where, "Value (%s) for parameter %s is invalid. Expected a number." % (text, where))
    if t == "timestamp":
        try:
            return parse_time(text)
        except ValueError:
            raise Invalid(
                "value", where, "Value (%s) for parameter %s is invalid. Expected a timestamp." % (text, where)
            )
    if t == "blob":
        try:
            return base64.b64decode(text, validate=True)
        except ValueError:
            raise Invalid("value", where, "Value for parameter %s is invalid. Expected base64." % where)
    raise Invalid("value", where, "Parameter %s cannot be sent as text." % where)


def from_json(shape, value, where):
    """A member of a rest-json body, converted to the shape's type."""
    t = shape.type_name
    if value is None:
        return None
    if t == "structure":
        if not isinstance(value, dict):
            raise Invalid("value", where, "%s must be an object" % where)
        out = {}
        names = {}
        for name, ms in shape.members.items():
            names[ms.serialization.get("name", name)] = (name, ms)
        for k, v in value.items():
            if k not in names:
                raise Invalid("unknown", join(where, k), "Unknown parameter %s" % join(where, k))
            name, ms = names[k]
            out[name] = from_json(ms, v, join(where, k))
        return out
    if t == "list":
        if not isinstance(value, list):
            raise Invalid("value", where, "%s must be a list" % where)
        return [from_json(shape.member, v, "%s[%d]" % (where, i)) for i, v in enumerate(value)]
    if t == "map":
        if not isinstance(value, dict):
            raise Invalid("value", where, "%s must be a map" % where)
        return {
            from_json(shape.key, k, where): from_json(shape.value, v, "%s.%s" % (where, k)) for k, v in value.items()
        }
    if t == "string":
        if not isinstance(value, str):
            raise Invalid("value", where, "%s must be a string" % where)
        return value
    if t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise Invalid("value", where, "%s must be an integer" % where)
        return value
    if t == "boolean":
        if not isinstance(value, bool):
            raise Invalid("value", where, "%s must be a boolean" % where)
        return value
    if t in ("float", "double"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise Invalid("value", where, "%s must be a number" % where)
        return float(value)
    if t == "timestamp":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
        if isinstance(value, str):
            return from_text(shape, value, where)
        raise Invalid("value", where, "%s must be a timestamp" % where)
    if t == "blob":
        if not isinstance(value, str):
            raise Invalid("value", where, "%s must be base64 text" % where)
        return from_text(shape, value, where)
    raise Invalid("value", where, "%s: unsupported type %s" % (where, t))


def join(prefix, name):
    return "%s.%s" % (prefix, name) if prefix else name


def _bounds(shape, n, what, where):
    md = shape.metadata
    if "min" in md and n < md["min"]:
        raise Invalid(
            "value",
            where,
            "%s at '%s' failed to satisfy constraint: Member must have %s greater than or equal to %s"
            % (what, where, "length" if what != "Value" else "value", md["min"]),
        )
    if "max" in md and n > md["max"]:
        raise Invalid(
            "value",
            where,
            "%s at '%s' failed to satisfy constraint: Member must have %s less than or equal to %s"
            % (what, where, "length" if what != "Value" else "value", md["max"]),
        )


def check(shape, value, where="", namer=None):
    """Validate a converted value against its shape (raises Invalid).

    namer(member, shape) names members in messages (EC2: the wire names)."""
    t = shape.type_name
    name_of = namer or (lambda n, ms: n)
    if t == "structure":
        if not isinstance(value, dict):
            raise Invalid("value", where, "%s must be a structure" % (where or "input"))
        for r in shape.required_members:
            if value.get(r) is None:
                w = join(where, name_of(r, shape.members[r]))
                raise Invalid("missing", w, "The request must contain the parameter %s" % w)
        for k, v in value.items():
            if k not in shape.members:
                raise Invalid("unknown", join(where, k), "The parameter %s is not recognized" % join(where, k))
            if v is not None:
                check(shape.members[k], v, join(where, name_of(k, shape.members[k])), namer)
        return
    if t == "list":
        if not isinstance(value, list):
            raise Invalid("value", where, "%s must be a list" % where)
        _bounds(shape, len(value), "List", where)
        for i, v in enumerate(value):
            check(shape.member, v, "%s.%d" % (where, i + 1), namer)
        return
    if t == "map":
        if not isinstance(value, dict):
            raise Invalid("value", where, "%s must be a map" % where)
        _bounds(shape, len(value), "Map", where)
        for k, v in value.items():
            check(shape.key, k, where, namer)
            check(shape.value, v, "%s.%s" % (where, k), namer)
        return
    if t == "string":
        if not isinstance(value, str):
            raise Invalid("value", where, "%s must be a string" % where)
        if shape.enum and value not in shape.enum:
            raise Invalid(
                "value",
                where,
                "Value (%s) for parameter %s is invalid. Member must satisfy enum value set: [%s]"
                % (value, where, ", ".join(shape.enum)),
            )
        _bounds(shape, len(value), "String", where)
        p = shape.metadata.get("pattern")
        if p and _pattern(p) is not None and not _pattern(p).fullmatch(value):
            raise Invalid(
                "value",
                where,
                "Value (%s) at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s"
                % (value, where, p),
            )
        return
    if t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise Invalid("value", where, "%s must be an integer" % where)
        lo, hi = INT32 if t == "integer" else INT64
        if not lo <= value <= hi:
            raise Invalid("value", where, "Value (%d) for parameter %s is out of range for a %s" % (value, where, t))
        _bounds(shape, value, "Value", where)
        return
    if t == "boolean":
        if not isinstance(value, bool):
            raise Invalid("value", where, "%s must be a boolean" % where)
        return
    if t in ("float", "double"):
        if not isinstance(value, float):
            raise Invalid("value", where, "%s must be a number" % where)
        _bounds(shape, value, "Value", where)
        return
    if t == "timestamp":
        if not isinstance(value, datetime.datetime):
            raise Invalid("value", where, "%s must be a timestamp" % where)
        return
    if t == "blob":
        if not isinstance(value, (bytes, bytearray)):
            raise Invalid("value", where, "%s must be binary" % where)
        _bounds(shape, len(value), "Blob", where)
        return
    raise Invalid("value", where, "%s: unsupported type %s" % (where, t))


# --- answers -------------------------------------------------------------


def iso(d):
    d = d.astimezone(datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def to_json(shape, value):
    """A value as the rest-json body holds it (timestamps: epoch seconds)."""
    t = shape.type_name
    if t == "structure":
        out = {}
        for name, ms in shape.members.items():
            if name in value and value[name] is not None and "location" not in ms.serialization:
                out[ms.serialization.get("name", name)] = to_json(ms, value[name])
        return out
    if t == "list":
        return [to_json(shape.member, v) for v in value]
    if t == "map":
        return {k: to_json(shape.value, v) for k, v in value.items()}
    if t == "timestamp":
        return value.timestamp()
    if t == "blob":
        return base64.b64encode(value).decode()
    return value


def _xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _xml_text(shape, value):
    t = shape.type_name
    if t == "boolean":
        return "true" if value else "false"
    if t == "timestamp":
        return iso(value)
    if t == "blob":
        return base64.b64encode(value).decode()
    return _xml_escape(str(value))


def to_xml(shape, value, name, out):
    """Append <name>...</name> for value, as botocore's EC2 parser reads it."""
    t = shape.type_name
    if t == "structure":
        out.append("<%s>" % name)
        _xml_members(shape, value, out)
        out.append("</%s>" % name)
    elif t == "list":
        if shape.serialization.get("flattened"):
            for v in value:
                to_xml(shape.member, v, name, out)
            return
        item = shape.member.serialization.get("name", "member")
        out.append("<%s>" % name)
        for v in value:
            to_xml(shape.member, v, item, out)
        out.append("</%s>" % name)
    elif t == "map":
        out.append("<%s>" % name)
        for k, v in value.items():
            out.append("<entry>")
            to_xml(shape.key, k, shape.key.serialization.get("name", "key"), out)
            to_xml(shape.value, v, shape.value.serialization.get("name", "value"), out)
            out.append("</entry>")
        out.append("</%s>" % name)
    else:
        out.append("<%s>%s</%s>" % (name, _xml_text(shape, value), name))


def _xml_members(shape, value, out):
    for mname, ms in shape.members.items():
        if value.get(mname) is None:
            continue
        to_xml(ms, value[mname], ms.serialization.get("name", mname), out)


def ec2_response(op, value, request_id, validate=True):
    """The EC2 query protocol's answer: <OpResponse xmlns=...>."""
    ns = op.service_model.metadata.get("xmlNamespace", "")
    root = op.name + "Response"
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<%s xmlns="%s/">' % (root, ns)]
    out.append("<requestId>%s</requestId>" % request_id)
    if op.output_shape is not None:
        if validate:
            check(op.output_shape, value, op.name + "Response")
        _xml_members(op.output_shape, value, out)
    else:  # actions without an output shape answer <return>true</return>
        out.append("<return>%s</return>" % ("false" if value.get("Return") is False else "true"))
    out.append("</%s>" % root)
    return "".join(out).encode()


def ec2_error(code, message, request_id):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code><Message>%s</Message>'
        "</Error></Errors><RequestID>%s</RequestID></Response>" % (code, _xml_escape(message), request_id)
    ).encode()


# --- the EC2 query protocol's input ---------------------------------------


def ec2_name(name, ms):
    s = ms.serialization
    if "queryName" in s:
        return s["queryName"]
    if "name" in s:
        return s["name"][0].upper() + s["name"][1:]
    return name


def ec2_params(shape, params):
    """Action/Version stripped form parameters -> the input shape's value.

    The inverse of botocore's EC2Serializer: structure members by queryName
    or capitalised locationName, lists as Name.1, Name.2 ...  The names are
    first split on "." into a tree, so the walk is linear in the number of
    parameters whatever their nesting.  A parameter no member claims is
    refused (UnknownParameter)."""
    tree = {}
    for k, v in params.items():
        node = tree
        for part in k.split("."):
            node = node.setdefault(part, {})
        node[None] = (k, v)
    used = set()
    value = _ec2_struct(shape, tree, used) if shape is not None else {}
    for k in sorted(params):
        if k not in used:
            raise Invalid("unknown", k, "The parameter %s is not recognized" % k)
    return value


def _ec2_struct(shape, node, used):
    out = {}
    for name, ms in shape.members.items():
        sub = node.get(ec2_name(name, ms))
        if sub is not None:
            v = _ec2_any(ms, sub, used)
            if v is not None:
                out[name] = v
    return out


def _ec2_any(shape, node, used):
    t = shape.type_name
    if t == "structure":
        return _ec2_struct(shape, node, used)
    if t == "list":
        items = sorted(
            (int(k), sub) for k, sub in node.items() if k is not None and k.isdigit() and not k.startswith("0")
        )
        if not items:
            return None
        return [_ec2_any(shape.member, sub, used) for _, sub in items]
    if t == "map":
        return None  # no EC2 input uses a map; its keys stay unknown
    leaf = node.get(None)
    if leaf is None:
        return None
    used.add(leaf[0])
    return from_text(shape, leaf[1], leaf[0])


def to_text(shape, value):
    if shape.type_name == "boolean":
        return "true" if value else "false"
    if shape.type_name == "timestamp":
        return iso(value)
    return str(value)


def dump_value(v):
    """For the request log: JSON-able, blobs summarised."""
    if isinstance(v, dict):
        return {k: dump_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [dump_value(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return {"bytes": len(v)}
    if isinstance(v, datetime.datetime):
        return iso(v)
    return v


def dumps(v):
    return json.dumps(v, separators=(",", ":"))
