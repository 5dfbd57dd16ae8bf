#!/bin/sh
# a websocket script: websocketd starts it for each connection to /count.sh
# (fork and exec: the unikernel runs one program, so the launch fails and the
# connection is closed after the handshake; the smoke test checks that).
for i in 1 2 3; do echo "$i"; done
