# server.py - the HTTP side: one port on 127.0.0.1 answering both services.
#
#   POST / with an Action=...&Version=2016-11-15 form body   -> EC2 (ec2 query)
#   anything else under /snapshots...                         -> EBS (rest-json)
#   /_control/...                                             -> the test's API
#
# Each request: routed to its model operation, its signature checked
# (sigcheck.py), an injected fault applied if one fires (faults.py), its
# parameters parsed and validated against the model (shapes.py), then the
# simulation (ebs.py, ec2.py) answers, and the answer is checked against the
# model's output shape before it is sent.  Every request is logged.
import http.server
import json
import re
import secrets
import socket
import sys
import threading
import time
import traceback
import urllib.parse

import control
import ebs
import ec2
import rest
import shapes
import sigcheck
from ebs import ApiError

MAX_BODY = 1 << 21
EC2_VERSION = "2016-11-15"


def _rid():
    h = secrets.token_hex(16)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


class Endpoint:
    def __init__(self, cfg, st, faults):
        self.cfg, self.st, self.faults = cfg, st, faults
        self.ebs = shapes.load("ebs")
        self.ec2 = shapes.load("ec2")
        self.log = []
        self.log_lock = threading.Lock()
        self.routes = []
        for name in self.ebs.operation_names:
            op = self.ebs.operation_model(name)
            path = op.http["requestUri"].split("?", 1)[0]
            rx = "^"
            for part in re.split(r"(\{[^}]+\})", path):
                if part.startswith("{"):
                    label = part[1:-1]
                    greedy = label.endswith("+")
                    label = label.rstrip("+")
                    rx += "(?P<%s>%s)" % (label, ".+" if greedy else "[^/]+")
                else:
                    rx += re.escape(part)
            self.routes.append((op.http["method"], re.compile(rx + "$"), op))

    def record(self, entry):
        with self.log_lock:
            entry["n"] = len(self.log) + 1
            self.log.append(entry)
        if self.cfg.log_file:
            with open(self.cfg.log_file, "a") as f:
                f.write(json.dumps(entry, default=str) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 120  # a client that announces a body and stalls does not hold a thread for ever  # headers and body are two writes: no 40 ms delayed-ACK stall
    server_version = "unik-aws-endpoint"
    ep = None  # set by make_server

    def log_message(self, fmt, *args):
        if self.ep.cfg.verbose:
            super().log_message(fmt, *args)

    def do_GET(self):
        self._handle()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    # --- plumbing ------------------------------------------------------------

    def _body(self):
        if self.headers.get("Transfer-Encoding"):
            raise ApiError(
                "MalformedHttpRequestException",
                "chunked request bodies are not accepted: send Content-Length",
                status=411,
            )
        n = self.headers.get("Content-Length", "0")
        if not n.isdigit():
            raise ApiError("MalformedHttpRequestException", "bad Content-Length", status=400)
        n = int(n)
        if n > MAX_BODY:
            raise ApiError("RequestEntityTooLargeException", "the body is larger than %d bytes" % MAX_BODY, status=413)
        return self.rfile.read(n) if n else b""

    def _send(self, status, body, ctype, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        try:
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. a slow reply)

    def _handle(self):
        try:
            self._handle1()
        except Exception:  # a bug here: answered and logged, never a dead connection
            tb = traceback.format_exc()
            sys.stderr.write(tb)
            self.ep.record(
                {"method": self.command, "path": self.path, "time": time.time(), "op": None, "crash": tb, "status": 500}
            )
            self.close_connection = True
            try:
                self._send(
                    500,
                    json.dumps({"Message": "internal error in the contract endpoint"}).encode(),
                    "application/json",
                    [("x-amzn-ErrorType", "InternalFailure")],
                )
            except OSError:
                pass

    def _handle1(self):
        self.rid = _rid()
        try:
            body = self._body()
        except ApiError as e:
            self.close_connection = True
            self._send(
                e.status,
                json.dumps({"Message": e.message}).encode(),
                "application/json",
                [("x-amzn-ErrorType", e.code)],
            )
            return
        split = urllib.parse.urlsplit(self.path)
        if split.path.startswith("/_control/"):
            control.handle(self, split, body)
            return
        if self.command == "POST" and split.path == "/" and not split.query:
            self._ec2(body)
        else:
            self._ebs(split, body)

    def _fault(self, svc, opname, entry):
        """Apply an injected fault; True when it answered (or dropped) the request."""
        rule = self.ep.faults.pick(opname)
        if rule is None:
            return False
        entry["fault"] = rule["kind"]
        if rule["kind"] == "slow":
            time.sleep(rule["delay"])
            return False
        if rule["kind"] == "drop":
            self.ep.record(entry)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        # notfound: the eventual consistency of both services (a snapshot or
        # instance just created is not yet known to the next request)
        if svc == "ebs":
            codes = {
                "throttle": ("RequestThrottledException", 400),
                "500": ("InternalServerException", 500),
                "503": ("ServiceUnavailableException", 503),
                "notfound": ("ResourceNotFoundException", 404),
            }
        else:
            nf = "InvalidInstanceID.NotFound"
            if opname in ("DescribeImages", "DeregisterImage", "RunInstances"):
                nf = "InvalidAMIID.NotFound"
            elif opname in ("DescribeSnapshots", "DeleteSnapshot", "RegisterImage"):
                nf = "InvalidSnapshot.NotFound"
            codes = {
                "throttle": ("RequestLimitExceeded", 503),
                "500": ("InternalError", 500),
                "503": ("Unavailable", 503),
                "notfound": (nf, 400),
            }
        code, status = codes[rule["kind"]]
        code, status = rule.get("code") or code, rule.get("status") or status
        msg = {"throttle": "Request limit exceeded.", "notfound": "The resource does not exist."}.get(
            rule["kind"], "An internal error has occurred."
        )
        reason = {
            "RequestThrottledException": "ACCOUNT_THROTTLED",
            "ResourceNotFoundException": "SNAPSHOT_NOT_FOUND",
        }.get(code)
        err = ApiError(code, msg + " (injected)", reason, status)
        self._error(svc, err, entry)
        return True

    def _error(self, svc, e, entry, op=None):
        entry.update({"status": e.status or 400, "error": e.code, "message": e.message})
        if svc == "ec2":
            self.ep.record(entry)
            self._send(e.status or 400, shapes.ec2_error(e.code, e.message, self.rid), "text/xml;charset=UTF-8")
            return
        status = e.status
        doc = {"Message": e.message}
        shape = None
        if op is not None:
            for es in op.error_shapes:
                if es.name == e.code:
                    shape = es
        if shape is None and e.code in self.ep.ebs.shape_names:
            shape = self.ep.ebs.shape_for(e.code)
        if shape is not None:
            status = status or shape.metadata.get("error", {}).get("httpStatusCode", 400)
            if "Reason" in shape.members:
                doc["Reason"] = e.reason or shape.members["Reason"].enum[0]
        entry["status"] = status or 400
        self.ep.record(entry)
        self._send(
            status or 400,
            json.dumps(doc).encode(),
            "application/json",
            [("x-amzn-ErrorType", e.code), ("x-amzn-RequestId", self.rid)],
        )

    def _auth(self, svc, opname, raw_path, body, unsigned_ok, entry):
        try:
            entry["auth"] = sigcheck.verify(self.ep.cfg, svc, self.command, raw_path, self.headers, body, unsigned_ok)
            return True
        except sigcheck.AuthError as a:
            entry["auth"] = {"failed": a.kind}
            if svc == "ec2":
                code, status = ("RequestExpired", 400) if a.kind == "expired" else ("AuthFailure", 401)
                msg = (
                    "AWS was not able to validate the provided access credentials: " + a.message
                    if code == "AuthFailure"
                    else a.message
                )
            else:
                code = {
                    "missing": "MissingAuthenticationTokenException",
                    "key": "UnrecognizedClientException",
                    "token": "UnrecognizedClientException",
                }.get(a.kind, "InvalidSignatureException")
                status, msg = 403, a.message
            self._error(svc, ApiError(code, msg, status=status), entry)
            return False

    # --- EC2 ------------------------------------------------------------------

    def _ec2(self, body):
        entry = {"service": "ec2", "method": self.command, "path": self.path, "time": time.time()}
        try:
            text = body.decode("utf-8")
            pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
        except (UnicodeDecodeError, ValueError):
            self._error("ec2", ApiError("MalformedQueryString", "The request body is not a form.", status=400), entry)
            return
        params = {}
        for k, v in pairs:
            if k in params:
                self._error(
                    "ec2", ApiError("InvalidParameterValue", "The parameter %s is given twice" % k, status=400), entry
                )
                return
            params[k] = v
        opname = params.pop("Action", None)
        entry["op"] = opname
        if not self._auth("ec2", opname, self.path, body, False, entry):
            return
        if opname is None:
            self._error(
                "ec2", ApiError("MissingAction", "The request must contain the parameter Action", status=400), entry
            )
            return
        version = params.pop("Version", None)
        if opname not in self.ep.ec2.operation_names:
            self._error(
                "ec2",
                ApiError("InvalidAction", "The action %s is not valid for this web service." % opname, status=400),
                entry,
            )
            return
        if version != EC2_VERSION:
            self._error(
                "ec2",
                ApiError(
                    "InvalidParameterValue" if version else "MissingParameter",
                    "Version must be %s (got %s)" % (EC2_VERSION, version),
                    status=400,
                ),
                entry,
            )
            return
        if self._fault("ec2", opname, entry):
            return
        op = self.ep.ec2.operation_model(opname)
        try:
            value = shapes.ec2_params(op.input_shape, params)
            if op.input_shape is not None:
                shapes.check(op.input_shape, value, "", shapes.ec2_name)
        except shapes.Invalid as inv:
            entry["params"] = shapes.dump_value(params)
            entry["valid"] = False
            code = {"missing": "MissingParameter", "unknown": "UnknownParameter"}.get(inv.kind, "InvalidParameterValue")
            self._error("ec2", ApiError(code, inv.message, status=400), entry)
            return
        entry["params"] = shapes.dump_value(value)
        entry["valid"] = True
        if value.get("DryRun"):
            self._error(
                "ec2",
                ApiError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", status=412),
                entry,
            )
            return
        fn = ec2.HANDLERS.get(opname)
        if fn is None:
            self._error(
                "ec2",
                ApiError(
                    "UnsupportedOperation",
                    "%s is valid but not simulated by the contract endpoint" % opname,
                    status=400,
                ),
                entry,
            )
            return
        try:
            with self.ep.st.lock:
                out = fn(self.ep.st, value)
                data = shapes.ec2_response(op, out, self.rid)
        except ApiError as e:
            self._error("ec2", e, entry)
            return
        entry["status"] = 200
        self.ep.record(entry)
        self._send(200, data, "text/xml;charset=UTF-8")

    # --- EBS ------------------------------------------------------------------

    def _ebs(self, split, body):
        entry = {
            "service": "ebs",
            "method": self.command,
            "path": self.path,
            "time": time.time(),
            "body_bytes": len(body),
        }
        entry["headers"] = {
            k: v
            for k, v in self.headers.items()
            if k.lower().startswith("x-amz-") and k.lower() not in ("x-amz-security-token",)
        }
        path = split.path
        op, labels = None, None
        for method, rx, cand in self.ep.routes:
            m = rx.match(path)
            if m and method == self.command:
                op, labels = cand, m.groupdict()
                break
        entry["op"] = op.name if op else None
        if op is None:
            if not self._auth("ebs", None, self.path, body, False, entry):
                return
            self._error(
                "ebs",
                ApiError("UnknownOperationException", "No operation matches %s %s" % (self.command, path), status=404),
                entry,
            )
            return
        unsigned_ok = op.auth_type == "v4-unsigned-body"
        if not self._auth("ebs", op.name, self.path, body, unsigned_ok, entry):
            return
        if self._fault("ebs", op.name, entry):
            return
        try:
            value = rest.request(op, labels, split.query, self.headers, body)
            shapes.check(op.input_shape, value)
        except shapes.Invalid as inv:
            entry["valid"] = False
            self._error("ebs", ApiError("ValidationException", inv.message, "INVALID_PARAMETER_VALUE"), entry, op)
            return
        entry["params"] = shapes.dump_value(value)
        entry["valid"] = True
        try:
            with self.ep.st.lock:
                _, out = ebs.HANDLERS[op.name](self.ep.st, value) if op.name in ebs.HANDLERS else (None, None)
                if out is None:
                    raise ApiError(
                        "UnsupportedOperation",
                        "%s is valid but not simulated by the contract endpoint" % op.name,
                        status=400,
                    )
                shapes.check(op.output_shape, out, op.name + "Response")
        except ApiError as e:
            self._error("ebs", e, entry, op)
            return
        status, headers, data, ctype = rest.response(op, out)
        entry["status"] = status
        self.ep.record(entry)
        self._send(status, data, ctype, [("x-amzn-RequestId", self.rid)] + headers)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(cfg, st, faults):
    ep = Endpoint(cfg, st, faults)
    handler = type("BoundHandler", (Handler,), {"ep": ep})
    srv = Server(("127.0.0.1", cfg.port), handler)
    srv.ep = ep
    return srv
