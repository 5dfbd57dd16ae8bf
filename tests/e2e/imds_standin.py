#!/usr/bin/env python3
"""imds_standin.py - a stand-in for EC2's instance metadata service (IMDSv2)
for tests/e2e/t0046-imds.sh, run inside the test's own network namespace
only: PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds required,
1-21600) answers a session token; GET /latest/user-data with that token
(X-aws-ec2-metadata-token) answers the user data, 401 without it.

    imds_standin.py ADDR PORT LOG MODE [USER_DATA_FILE]

MODE: data (the file's bytes), none (404: no user data), notoken (the token
PUT is refused, 403), badtoken (a token with a control byte in it).  Every
request is appended to LOG as "METHOD PATH ttl=<...> token=<...>"."""
import http.server
import sys

ADDR, PORT, LOG, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
DATA = open(sys.argv[5], 'rb').read() if len(sys.argv) > 5 else b''
TOKEN = 'AQAEAFakeTokenForUnikTests_-0123456789+/=='


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        pass

    def note(self):
        with open(LOG, 'a') as f:
            f.write('%s %s ttl=%s token=%s\n' % (
                self.command, self.path,
                self.headers.get('X-aws-ec2-metadata-token-ttl-seconds'),
                self.headers.get('X-aws-ec2-metadata-token')))

    def answer(self, status, body=b''):
        self.send_response(status)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Connection', 'close')
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_PUT(self):
        self.note()
        ttl = self.headers.get('X-aws-ec2-metadata-token-ttl-seconds')
        if self.path != '/latest/api/token':
            return self.answer(404)
        if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.answer(400)
        if MODE == 'notoken':
            return self.answer(403)
        if MODE == 'badtoken':
            return self.answer(200, b'bad\x01token')
        self.answer(200, TOKEN.encode())

    def do_GET(self):
        self.note()
        if self.headers.get('X-aws-ec2-metadata-token') != TOKEN:
            return self.answer(401)
        if self.path != '/latest/user-data':
            return self.answer(404)
        if MODE == 'none':
            return self.answer(404)
        self.answer(200, DATA)


http.server.HTTPServer((ADDR, PORT), Handler).serve_forever()
