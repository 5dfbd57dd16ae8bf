#!/usr/bin/env bash
# t0044-cli-audit: what issue 17 asks of the CLI as a whole: docs/cli.md has
# every command of `unik --help` beside its Docker equivalent, and errors
# name instances and images by name and short id, never a 64-hex id.
. "$(dirname "$0")/../lib/e2e.sh"
cmds=$(unik --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
check "unik --help lists commands" test "$(grep -c . <<<"$cmds")" -gt 20
table=$(grep -E '^\| `' "$ROOT/docs/cli.md")
for c in $cmds; do
	[ "$c" = help ] && continue
	row=$(grep -E "^\| \`($c|[a-z]+ [^|]*/ $c)[ \`]|/ \`$c[ \`]" <<<"$table" | head -1)
	check "docs/cli.md has a row for $c" test -n "$row"
	check "... with a Docker column" test "$(awk -F'|' '{ print NF }' <<<"$row")" -ge 6
	check "unik $c --help works" bash -c '"$1" "$2" --help >/dev/null 2>&1' _ "$BIN/unik" "$c"
done

start_daemon
no_long_id() { ! grep -qE '[0-9a-f]{64}' <<<"$1"; }
mkdir -p "$T/sl"
printf '#include <stdio.h>\n#include <unistd.h>\nint main(void) { puts("up"); fflush(stdout); sleep(60); return 0; }\n' >"$T/sl/main.c"
unik build -t sl "$T/sl" >/dev/null 2>&1
check "an image built" eq "$?" 0
if api GET /v1/providers | cut -d' ' -f2- | python3 -c 'import json,sys; sys.exit(0 if [p for p in json.load(sys.stdin) if p["name"]=="spt" and p["usable"]] else 1)'; then
	id=$(unik run -d --provider spt --name s1 sl)
	for cmd in "rm s1" "rm $id" "start $id" "rmi sl" "kill -s HUP $id"; do
		out=$(unik $cmd 2>&1)
		check "unik $cmd: an error" test -n "$out"
		check "unik $cmd: names no 64-hex id" no_long_id "$out"
	done
	check "unik rm ID: the instance's name" contains "$(unik rm "$id" 2>&1)" "instance s1 is running"
	unik rm -f s1 >/dev/null
else
	skip_case "errors of a running instance: spt is not usable here"
fi
if unik build -t sl-linux --compiler linux "$T/sl" >/dev/null 2>&1; then
	out=$(unik export --format raw-gpt -o "$T/x.img" sl-linux 2>&1)
	check "export of a linux image as raw-gpt: refused (its disk is MBR)" contains "$out" "its staged disk is raw (MBR), not raw-gpt"
	check "... naming the image and its short id" contains "$out" "image sl-linux ("
	check "... and no 64-hex id" no_long_id "$out"
else
	skip_case "a linux image's export: the linux compiler is not usable here"
fi
finish
