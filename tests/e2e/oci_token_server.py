#!/usr/bin/env python3
"""oci_token_server.py - a Docker registry token server for the tests.

   oci_token_server.py PORT KEY.pem CERT.pem USER PASSWORD SERVICE ISSUER

Answers GET /token?service=...&scope=repository:NAME:ACTIONS... with a JWT
(RS256, signed by KEY.pem with openssl, its certificate in the x5c header)
that grants the asked actions, after HTTP basic auth as USER/PASSWORD; a
request without them, or with others, gets 401.  It serves until killed."""
import base64, datetime, http.server, json, os, subprocess, sys, time, urllib.parse

port, key, cert, user, password, service, issuer = sys.argv[1:8]


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def der_cert():
    pem = open(cert).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return "".join(body.split())  # standard base64 of the DER, as x5c wants


def sign(data):
    out = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=data,
                         capture_output=True, check=True)
    return out.stdout


def token(sub, scopes):
    access = []
    for s in scopes:
        parts = s.split(":")
        if len(parts) == 3 and parts[0] == "repository":
            access.append({"type": "repository", "name": parts[1],
                           "actions": [a for a in parts[2].split(",") if a in ("pull", "push")]})
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "x5c": [der_cert()]}
    claims = {"iss": issuer, "sub": sub, "aud": service, "exp": now + 600, "nbf": now - 30,
              "iat": now, "jti": b64url(os.urandom(12)), "access": access}
    signing = (b64url(json.dumps(header).encode()) + "." +
               b64url(json.dumps(claims).encode())).encode()
    return signing.decode() + "." + b64url(sign(signing))


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("token-server: " + (fmt % args) + "\n")

    def reply(self, code, body, extra=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path != "/token":
            return self.reply(404, {"error": "not found"})
        q = urllib.parse.parse_qs(u.query)
        auth = self.headers.get("Authorization", "")
        ok = False
        if auth.startswith("Basic "):
            try:
                ok = base64.b64decode(auth[6:]).decode() == user + ":" + password
            except Exception:
                ok = False
        if not ok:
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                "message": "authentication required"}]},
                              {"WWW-Authenticate": 'Basic realm="unik-test-token"'})
        if q.get("service", [""])[0] != service:
            return self.reply(400, {"error": "unknown service"})
        t = token(user, q.get("scope", []))
        self.reply(200, {"token": t, "access_token": t, "expires_in": 600,
                         "issued_at": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")})


http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), H).serve_forever()
