# sigcheck.py - a request's SigV4 signature checked with botocore's signer.
#
# The request is rebuilt as a botocore.awsrequest.AWSRequest (the method, the
# path exactly as it came on the request line, the query parameters decoded,
# the headers the
# client lists in SignedHeaders, the body) and botocore.auth.SigV4Auth computes
# the canonical request, the string to sign and the signature with the
# configured keys at the request's own X-Amz-Date.  Two things are the
# client's choice in SigV4 and are taken from the request instead of
# botocore's defaults: which headers are signed (botocore signs every header
# it holds; a client may sign fewer, but host and x-amz-date always, and
# every x-amz-* header it sends) and the payload hash (x-amz-content-sha256
# when sent: the body's SHA-256, or UNSIGNED-PAYLOAD where the operation's
# model says authtype v4-unsigned-body; the body's SHA-256 otherwise).
import datetime
import hashlib
import hmac
import re
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

UNSIGNED = "UNSIGNED-PAYLOAD"
_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 +Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\Z"
)
SKEW = datetime.timedelta(minutes=15)


class AuthError(Exception):
    """kind: missing, key, token, expired, signature."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


class _Signer(SigV4Auth):
    def __init__(self, creds, service, region, signed):
        super().__init__(creds, service, region)
        self._signed = signed

    def headers_to_sign(self, request):
        hm = HTTPHeaders()
        for name, value in request.headers.items():
            if name.lower() in self._signed:
                hm[name.lower()] = value
        return hm


def verify(cfg, service, method, raw_path, headers, body, unsigned_ok, now=None):
    """Raise AuthError unless the request is signed with cfg's keys.

    headers: an http.client.HTTPMessage (repeated headers kept)."""
    auth = headers.get_all("Authorization") or []
    if not auth:
        raise AuthError("missing", "Request is missing Authentication Token")
    if len(auth) > 1:
        raise AuthError("signature", "Authorization header given twice")
    m = _AUTH.match(auth[0].strip())
    if not m:
        raise AuthError(
            "signature", "Authorization header requires Credential, SignedHeaders and Signature (AWS4-HMAC-SHA256)"
        )
    cred, signed_s, sig = m.groups()
    parts = cred.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise AuthError("signature", "Credential should be scoped to a valid region, service and aws4_request")
    key, day, region, svc, _ = parts
    if key != cfg.access_key:
        raise AuthError("key", "The security token included in the request is invalid (unknown access key %s)" % key)
    if region != cfg.region or svc != service:
        raise AuthError(
            "signature",
            "Credential should be scoped to a valid region and service: expected %s/%s, got %s/%s"
            % (cfg.region, service, region, svc),
        )
    amz_date = headers.get_all("X-Amz-Date") or []
    if len(amz_date) != 1:
        raise AuthError("signature", "X-Amz-Date header missing or given twice")
    try:
        when = datetime.datetime.strptime(amz_date[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise AuthError("signature", "X-Amz-Date %r is not YYYYMMDDTHHMMSSZ" % amz_date[0])
    if day != amz_date[0][:8]:
        raise AuthError("signature", "Credential date %s is not the X-Amz-Date's %s" % (day, amz_date[0][:8]))
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if abs(now - when) > SKEW:
        raise AuthError(
            "expired",
            "Signature expired: %s is more than 15 minutes from %s" % (amz_date[0], now.strftime("%Y%m%dT%H%M%SZ")),
        )
    tokens = headers.get_all("X-Amz-Security-Token") or []
    if cfg.token:
        if tokens != [cfg.token]:
            raise AuthError("token", "The security token included in the request is invalid")
    elif tokens:
        raise AuthError("token", "The security token included in the request is invalid (none is configured)")
    signed = signed_s.split(";")
    if signed != sorted(set(signed)) or any(s != s.lower() for s in signed):
        raise AuthError("signature", "SignedHeaders must be lower-case, sorted and unique: %s" % signed_s)
    for need in ("host", "x-amz-date"):
        if need not in signed:
            raise AuthError("signature", "'%s' must be a signed header" % need)
    for name in headers.keys():
        ln = name.lower()
        if ln.startswith("x-amz-") and ln not in signed:
            raise AuthError("signature", "Header %s is sent but not signed" % name)
    for s in signed:
        if headers.get_all(s) is None:
            raise AuthError("signature", "Signed header %s is not in the request" % s)

    payload = headers.get_all("X-Amz-Content-SHA256") or []
    digest = hashlib.sha256(body).hexdigest()
    if len(payload) > 1:
        raise AuthError("signature", "x-amz-content-sha256 given twice")
    if payload:
        if payload[0] == UNSIGNED:
            if not unsigned_ok:
                raise AuthError("signature", "UNSIGNED-PAYLOAD is not accepted for this operation")
        elif payload[0] != digest:
            raise AuthError("signature", "The provided 'x-amz-content-sha256' header does not match what was computed.")

    host = headers.get("Host", "")
    path, _, query = raw_path.partition("?")
    # The query as AWS reads it: each name and value percent-decoded ("+" is
    # not a space), then botocore encodes and sorts them for the canonical
    # request, so a client's own (valid) choice of escapes does not matter.
    params = []
    for pair in query.split("&") if query else []:
        k, _, v = pair.partition("=")
        params.append((urllib.parse.unquote(k), urllib.parse.unquote(v)))
    req = AWSRequest(method=method, url="https://%s%s" % (host, path), data=body, params=params)
    for name, value in headers.items():
        if name.lower() in signed:
            req.headers[name] = value
    if payload:
        del req.headers["X-Amz-Content-SHA256"]
        req.headers["X-Amz-Content-SHA256"] = payload[0]
    req.context["timestamp"] = amz_date[0]
    signer = _Signer(Credentials(cfg.access_key, cfg.secret_key, cfg.token), service, cfg.region, set(signed))
    creq = signer.canonical_request(req)
    sts = signer.string_to_sign(req, creq)
    want = signer.signature(sts, req)
    if signer.signed_headers(signer.headers_to_sign(req)) != signed_s:
        raise AuthError("signature", "SignedHeaders %s differ from the headers sent" % signed_s)
    if not hmac.compare_digest(want, sig):
        raise AuthError(
            "signature",
            "The request signature we calculated does not match the signature you provided. "
            "The canonical request was:\n%s\nThe string to sign was:\n%s" % (creq, sts),
        )
    return {"signed_headers": signed_s, "payload": payload[0] if payload else "sha256"}
