#!/usr/bin/env bash
# t0043-build-diagnostics: a build that fails shows the compiler's messages
# once, with the user's files named relative to the build context and no
# host path of the toolchain, the build folder or the state dir.
. "$(dirname "$0")/../lib/e2e.sh"
start_daemon
mkdir -p "$T/bad" "$T/link" "$T/mk"
printf '#include <stdio.h>\n\nint main(void)\n{\n\treturn syntax error;\n}\n' >"$T/bad/main.c"
printf 'int foo(void);\n\nint main(void)\n{\n\treturn foo();\n}\n' >"$T/link/main.c"
printf 'int main(void)\n{\n\treturn x;\n}\n' >"$T/mk/main.c"
printf 'all:\n\t$(CC) -o app $(CURDIR)/main.c $(LDFLAGS)\n' >"$T/mk/Makefile"

# no_host_paths NAME TEXT: none of the host's folders appear in TEXT
no_host_paths() {
	local name=$1 text=$2
	check "$name: no toolchain path" bash -c '! grep -qE "/usr/(lib|bin|include|share)/" <<<"$1"' _ "$text"
	check "$name: no test, state or build folder" bash -c '! grep -qF "$2" <<<"$1"' _ "$text" "$T"
	check "$name: no path of unik's own tree" bash -c '! grep -qF "$2" <<<"$1"' _ "$text" "$ROOT"
}

out=$(unik build -t bad "$T/bad" 2>"$T/err")
rc=$?
err=$(cat "$T/err")
all="$out"$'\n'"$err"
check "a compile error fails the build" test "$rc" -ne 0
check "the error is shown, relative to the build context" contains "$out" "main.c:5:"
check "... once" eq "$(grep -c "error: .syntax. undeclared" <<<"$all")" 1
check "the compiler is named by its name" contains "$out" "compiling 1 C file with musl-gcc -static -O2"
check "the final error names the tool and its status" contains "$err" "compile failed: 'musl-gcc' exited with status 1"
no_host_paths "compile error" "$all"

out=$(unik build -t link "$T/link" 2>&1)
check "a link error is shown" contains "$out" "undefined reference to \`foo'"
check "... once" eq "$(grep -c "undefined reference" <<<"$out")" 1
check "... from ld, not /usr/bin/ld" contains "$out" "ld: "
no_host_paths "link error" "$out"

out=$(unik build -t mk "$T/mk" 2>&1)
check "a Makefile naming \$(CURDIR) shows main.c relative" contains "$out" "main.c:3:"
check "... once" eq "$(grep -c "error: .x. undeclared" <<<"$out")" 1
check "... and make's own line" contains "$out" "'make' exited with status 2"
no_host_paths "make build" "$out"

out=$(unik build -q -t bad "$T/bad" 2>&1)
check "a quiet build that fails still shows the error once" eq "$(grep -c "error: .syntax. undeclared" <<<"$out")" 1
no_host_paths "quiet build" "$out"

# the API's job: its error names no host path and does not repeat the log
msgs=$(for id in $(sed -n 's/.* job \([0-9a-f]*\) failed.*/\1/p' "$T/unikd.log"); do
	api GET "/v1/jobs/$id" | cut -d' ' -f2- | python3 -c 'import json,sys; print(json.load(sys.stdin)["error"]["message"])'
done)
check "four jobs failed" eq "$(grep -c . <<<"$msgs")" 4
check "the failed jobs' errors name the tool" contains "$msgs" "'musl-gcc' exited with status 1"
check "... without the compiler's output" eq "$(grep -c "undeclared" <<<"$msgs")" 0
no_host_paths "job errors" "$msgs"
finish
