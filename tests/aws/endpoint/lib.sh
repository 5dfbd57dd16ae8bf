# lib.sh - the contract endpoint from a shell test:
#
#   . "$ROOT/tests/aws/endpoint/lib.sh"
#   awsep_start DIR [serve options...]   starts it (keys: AWSEP_KEY, AWSEP_SECRET,
#                                         AWSEP_REGION, defaults below); sets
#                                         AWSEP_PORT, AWSEP_URL, AWSEP_PID and
#                                         exports the AWS_* variables unik reads
#   awsep_control PATH [JSON]            GET (or POST JSON to) /_control/PATH
#   awsep_ops                            the logged requests' operations, one a line
#   awsep_stop                           SIGTERM, waits (the state is saved)
#
# Needs curl and Debian's /usr/bin/python3 with python3-botocore; a test
# should skip when awsep_usable fails.
AWSEP_PY=/usr/bin/python3
AWSEP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AWSEP_KEY=${AWSEP_KEY:-AKIDUNIKTEST}
AWSEP_SECRET=${AWSEP_SECRET:-unik/test+secret}
AWSEP_REGION=${AWSEP_REGION:-us-east-1}
AWSEP_PID=

awsep_usable() {
	[ -x "$AWSEP_PY" ] && "$AWSEP_PY" -c 'import botocore' 2>/dev/null && command -v curl >/dev/null
}

awsep_start() { # DIR [serve options...]
	local dir=$1
	shift
	rm -f "$dir/awsep.port"
	"$AWSEP_PY" "$AWSEP_DIR/serve" --port 0 --port-file "$dir/awsep.port" \
		--access-key "$AWSEP_KEY" --secret-key "$AWSEP_SECRET" --region "$AWSEP_REGION" \
		"$@" >"$dir/awsep.out" 2>>"$dir/awsep.err" &
	AWSEP_PID=$!
	local _
	for _ in $(seq 1 300); do # 30 s: loading the models is slow on a busy machine
		if [ -s "$dir/awsep.port" ]; then
			AWSEP_PORT=$(cat "$dir/awsep.port")
			AWSEP_URL=http://127.0.0.1:$AWSEP_PORT
			export AWS_ENDPOINT_URL=$AWSEP_URL AWS_ACCESS_KEY_ID=$AWSEP_KEY
			export AWS_SECRET_ACCESS_KEY=$AWSEP_SECRET AWS_REGION=$AWSEP_REGION
			export AWS_EC2_METADATA_DISABLED=true
			return 0
		fi
		kill -0 "$AWSEP_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "the AWS contract endpoint did not start:" >&2
	cat "$dir/awsep.err" >&2
	return 1
}

awsep_control() { # PATH [JSON]
	if [ $# -gt 1 ]; then
		curl -sf -X POST -H 'Content-Type: application/json' --data-binary "$2" "$AWSEP_URL/_control/$1"
	else
		curl -sf "$AWSEP_URL/_control/$1"
	fi
}

awsep_ops() {
	awsep_control log | "$AWSEP_PY" -c 'import json, sys
for e in json.load(sys.stdin)["requests"]:
    print(e.get("op"))'
}

awsep_stop() {
	[ -n "$AWSEP_PID" ] || return 0
	kill -TERM "$AWSEP_PID" 2>/dev/null
	wait "$AWSEP_PID" 2>/dev/null
	AWSEP_PID=
}
