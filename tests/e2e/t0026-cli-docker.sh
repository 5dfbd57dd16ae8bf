#!/usr/bin/env bash
# t0026-cli-docker: the commands a Docker user reaches for (issue 17): inspect,
# kill, restart, ... each on spt, the fast provider.
. "$(dirname "$0")/../lib/e2e.sh"
help=$(unik --help)
for c in kill restart inspect system container image completion; do
	check "unik --help lists $c" contains "$help" $'\n'"  $c "
done
start_daemon
mkdir -p "$T/sleeper"
cat >"$T/sleeper/sleeper.c" <<'C'
#include <stdio.h>
#include <time.h>
int main(void)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	printf("up\n");
	fflush(stdout);
	for (;;)
		nanosleep(&ts, NULL);
}
C
unik build -t sleeper "$T/sleeper" >/dev/null 2>&1
check "sleeper image built" eq "$?" 0
unik build -t hello-c "$ROOT/examples/hello-c" >/dev/null 2>&1
check "hello-c image built" eq "$?" 0

# ---- inspect ----
unik run --provider spt --name done1 -e EXIT_CODE=3 hello-c >/dev/null 2>&1
out=$(unik inspect done1)
check "inspect: a JSON array of one" eq \
	"$(echo "$out" | python3 -c 'import json,sys; a=json.load(sys.stdin); print(len(a), a[0]["name"], a[0]["state"], a[0]["exit_code"])')" \
	"1 done1 exited 3"
out=$(unik inspect done1 hello-c)
check "inspect: an instance and an image" eq \
	"$(echo "$out" | python3 -c 'import json,sys; a=json.load(sys.stdin); print(len(a), a[0]["name"], a[1]["name"], "compiler" in a[1])')" \
	"2 done1 hello-c True"
check "inspect -f {{.Name}} {{.State}}" eq "$(unik inspect -f '{{.Name}} {{.State}}' done1)" "done1 exited"
check "inspect -f {{.ExitCode}} matches exit_code" eq "$(unik inspect -f '{{.ExitCode}}' done1)" 3
check "inspect -f {{json .Args}}" eq "$(unik inspect -f '{{json .args}}' hello-c)" \
	"$(unik inspect hello-c | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0]["args"],separators=(",",":")))')"
check "inspect -f nested and tab" eq "$(unik inspect -f '{{.name}}\t{{.Missing.X}}' done1)" $'done1\t<no value>'
out=$(unik inspect --type image done1 2>&1)
check "inspect --type image: no such image" contains "$out" "no such image: done1"
out=$(unik inspect done1 nosuch-t0026 2>"$T/err"); rc=$?
check "inspect: a missing ref is exit 1" eq "$rc" 1
check "inspect: says which" contains "$(cat "$T/err")" "no such object: nosuch-t0026"
check "inspect: the found ones still print" eq \
	"$(echo "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1
out=$(unik inspect -f '{{range .}}' done1 2>&1); rc=$?
check "inspect -f outside the subset: usage error" eq "$rc" 2
check "inspect -f outside the subset: says so" contains "$out" "not in the subset"
unik volume create --size 1M t0026vol >/dev/null 2>&1 &&
	check "inspect finds a volume" eq "$(unik inspect -f '{{.name}}' t0026vol)" t0026vol

# ---- kill, restart ----
wait_state() { # wait_state REF STATE: up to 10 s
	for _ in $(seq 1 100); do
		[ "$(unik inspect -f '{{.State}}' "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
unik run -d --provider spt --name k1 sleeper >/dev/null
wait_state k1 running
check "kill: prints the ref" eq "$(unik kill k1)" k1
check "kill: the instance exited" eq "$(unik inspect -f '{{.State}}' k1)" exited
check "kill: SIGKILL's status" eq "$(unik inspect -f '{{.ExitCode}}' k1)" 137
out=$(unik kill k1 2>&1); rc=$?
check "kill: an exited instance is refused" eq "$rc" 1
check "kill: says it is not running" contains "$out" "not running"
unik run -d --provider spt --name k2 sleeper >/dev/null
wait_state k2 running
check "kill -s TERM: the graceful stop" eq "$(unik kill -s SIGTERM k2)" k2
check "kill -s TERM: TERM's default action" eq "$(unik inspect -f '{{.ExitCode}}' k2)" 143
unik start k2 >/dev/null
wait_state k2 running
out=$(unik kill -s HUP k2 2>&1); rc=$?
check "kill -s HUP: refused" eq "$rc" 1
check "kill -s HUP: says why" contains "$out" "cannot be delivered to a unikernel"
check "kill -s HUP: the instance still runs" eq "$(unik inspect -f '{{.State}}' k2)" running
check "kill -s BOGUS: an unknown signal" contains "$(unik kill -s BOGUS k2 2>&1)" "unknown signal"
check "POST .../kill?signal=USR1 (API): 400" json_error_is \
	"$(api POST '/v1/instances/k2/kill?signal=USR1')" 400 invalid_argument
check "POST .../kill?signal=9 (API)" contains "$(api POST '/v1/instances/k2/kill?signal=9' | tr -d ' ')" '"state":"exited"'
check "kill: a missing instance" contains "$(unik kill nosuch-t0026 2>&1)" "nosuch-t0026"

unik run -d --provider spt --name r1 sleeper >/dev/null
wait_state r1 running
pid1=$(unik inspect -f '{{.pid}}' r1)
started1=$(unik inspect -f '{{.started}}' r1)
check "restart -t 0: prints the ref" eq "$(unik restart -t 0 r1)" r1
check "restart: running again" eq "$(unik inspect -f '{{.State}}' r1)" running
check "restart: a new VM process" bash -c "[ '$(unik inspect -f '{{.pid}}' r1)' != '$pid1' ]"
unik kill r1 >/dev/null
check "restart: an exited instance starts" eq "$(unik restart r1)" r1
check "restart: running" eq "$(unik inspect -f '{{.State}}' r1)" running
check "restart: the log has the output of each of the 3 starts" eq "$(unik logs r1 | grep -c '^up$')" 3
unik rm -f r1 k2 >/dev/null

# ---- ps --filter/--format/-l/-n/--no-trunc, images --filter/--format ----
unik run -d --provider spt --name p1 sleeper >/dev/null
unik run -d --provider spt --name p2 sleeper >/dev/null
sleep 1.1 # a later creation second for -l
unik run -d --provider spt --name p3 sleeper >/dev/null
check "ps --format {{.Names}}, filtered by name" eq \
	"$(unik ps --filter name=p --format '{{.Names}}' | sort | tr '\n' ' ')" "p1 p2 p3 "
check "ps --filter name=, twice: or'ed" eq \
	"$(unik ps -f name=p1 -f name=p3 --format '{{.Names}}' | sort | tr '\n' ' ')" "p1 p3 "
check "ps --filter status=exited (without -a)" eq \
	"$(unik ps --filter status=exited --format '{{.Names}}' | sort | tr '\n' ' ')" "done1 k1 "
check "ps --filter status=running and name: and'ed" eq \
	"$(unik ps -f status=running -f name=k --format '{{.Names}}')" ""
check "ps --filter provider=spt" eq "$(unik ps -a -f provider=spt -q | wc -l)" 5
check "ps --filter provider=qemu" eq "$(unik ps -a -f provider=qemu -q | wc -l)" 0
check "ps --filter image=sleeper" eq "$(unik ps -a -f image=sleeper -q | wc -l)" 4
check "ps --filter image=hello-c" eq "$(unik ps -a -f image=hello-c --format '{{.Names}}')" done1
p2id=$(unik inspect -f '{{.id}}' p2)
check "ps --filter id=PREFIX" eq "$(unik ps -f "id=${p2id:0:8}" --format '{{.Names}}')" p2
check "ps -q: short ids" eq "$(unik ps -q -f name=p2)" "${p2id:0:12}"
check "ps -q --no-trunc: full ids" eq "$(unik ps -q --no-trunc -f name=p2)" "$p2id"
check "ps --no-trunc: the table has the full id" contains "$(unik ps --no-trunc)" "$p2id"
check "ps --format {{.ID}}\\t{{.Names}}" eq "$(unik ps -f name=p2 --format '{{.ID}}\t{{.Names}}')" \
	"${p2id:0:12}"$'\t'p2
out=$(unik ps -f name=p --format 'table {{.Names}}\t{{.Status}}')
check "ps --format table: a header" eq "$(echo "$out" | head -1 | tr -s ' ')" "NAMES STATUS"
check "ps --format table: aligned rows" contains "$out" "p2      running"
check "ps -l: the latest created" eq "$(unik ps -l --format '{{.Names}}')" p3
check "ps -n 1 is -l" eq "$(unik ps -n 1 -q)" "$(unik ps -l -q)"
check "ps -n 2: two, newest first" eq "$(unik ps -n 2 --format '{{.Names}}' | head -1)" p3
check "ps -n 100: every state" eq "$(unik ps -n 100 -q | wc -l)" "$(unik ps -a -q | wc -l)"
out=$(unik ps --filter color=red 2>&1); rc=$?
check "ps --filter with an unknown key: usage error" eq "$rc" 2
check "ps --filter with an unknown key: lists the keys" contains "$out" "id, name, status"
check "ps --format outside the subset" eq "$(unik ps --format '{{if .ID}}' >/dev/null 2>&1; echo $?)" 2
check "ps --json keeps the filter" eq \
	"$(unik ps --json -f name=p1 | python3 -c 'import json,sys; print([i["name"] for i in json.load(sys.stdin)])')" \
	"['p1']"
unik rm -f p1 p2 p3 >/dev/null

check "images --filter reference=GLOB" eq "$(unik images -f 'reference=sl*' --format '{{.Name}}')" sleeper
check "images --filter reference, two" eq \
	"$(unik images -f reference=sleeper -f reference=hello-c --format '{{.Name}}' | sort | tr '\n' ' ')" \
	"hello-c sleeper "
check "images --filter dangling=false" eq "$(unik images -f dangling=false -q | wc -l)" 2
check "images --filter dangling=true: none yet" eq "$(unik images -f dangling=true -q | wc -l)" 0
unik build -t hello-c --arg rebuilt "$ROOT/examples/hello-c" >/dev/null 2>&1
check "images --filter dangling=true: the image a rebuild took the name of" eq \
	"$(unik images -f dangling=true --format '{{.Name}}')" "<none>"
out=$(unik images -f dangling=maybe 2>&1); rc=$?
check "images dangling=maybe: usage error" eq "$rc" 2
hid=$(unik inspect --type image -f '{{.id}}' hello-c)
check "images --format {{.ID}} {{.Compiler}} --no-trunc" eq \
	"$(unik images --no-trunc -f reference=hello-c --format '{{.ID}} {{.Compiler}}')" \
	"$hid $(unik inspect -f '{{.compiler}}' hello-c)"
check "images --format table" eq "$(unik images -f reference=sleeper --format 'table {{.Name}}\t{{.Size}}' | head -1 | tr -s ' ')" "NAME SIZE"

# ---- --label on run and build; --env-file ----
unik build -t labelled -l tier=web --label team=core -l flag "$T/sleeper" >/dev/null 2>&1
check "build --label: stored with the image" eq "$(unik inspect -f '{{json .labels}}' labelled)" \
	'{"tier":"web","team":"core","flag":""}'
check "build --label: {{.Labels.tier}}" eq "$(unik inspect -f '{{.Labels.tier}}' labelled)" web
check "images --filter label=K" eq "$(unik images -f label=flag --format '{{.Name}}')" labelled
check "images --filter label=K=V" eq "$(unik images -f label=tier=web --format '{{.Name}}')" labelled
check "images --filter label=K=other" eq "$(unik images -f label=tier=db -q | wc -l)" 0
check "images --format {{.Labels}}" eq "$(unik images -f reference=labelled --format '{{.Labels}}')" \
	"tier=web,team=core,flag="
out=$(unik build -t bad --label '=x' "$T/sleeper" 2>&1); rc=$?
check "build --label =x: usage error" eq "$rc" 2
check "build --label =x: says so" contains "$out" "bad label"
check "POST /v1/images?label= (empty key): 400" json_error_is \
	"$(api POST '/v1/images?label=%3Dv' -H 'Content-Type: application/gzip' --data-binary x)" \
	400 invalid_argument
unik run -d --provider spt --name lab1 -l env=prod --label app=api sleeper >/dev/null
unik run -d --provider spt --name lab2 -l env=dev sleeper >/dev/null
check "run --label: stored with the instance" eq "$(unik inspect -f '{{.Labels.env}} {{.Labels.app}}' lab1)" \
	"prod api"
check "ps --filter label=K" eq "$(unik ps -f label=env --format '{{.Names}}' | sort | tr '\n' ' ')" "lab1 lab2 "
check "ps --filter label=K=V" eq "$(unik ps -f label=env=prod --format '{{.Names}}')" lab1
check "ps --filter label=K=V and label=K2" eq "$(unik ps -f label=env=dev -f label=app --format '{{.Names}}')" ""
check "ps --filter label=K=V and label=K2: both match" eq \
	"$(unik ps -f label=env=prod -f label=app --format '{{.Names}}')" lab1
check "ps --format {{.Labels}}" eq "$(unik ps -f name=lab1 --format '{{.Labels}}')" "env=prod,app=api"
check "POST /v1/instances with labels not an object: 400" json_error_is \
	"$(api POST /v1/instances -H 'Content-Type: application/json' -d '{"image":"sleeper","labels":["a=b"]}')" \
	400 invalid_argument
check "POST /v1/instances with a label value not a string: 400" json_error_is \
	"$(api POST /v1/instances -H 'Content-Type: application/json' -d '{"image":"sleeper","labels":{"a":1}}')" \
	400 invalid_argument
unik rm -f lab1 lab2 >/dev/null

printf '# a comment\n\nGREETING=from the file\n  EXIT_CODE=4\nFROM_SHELL\nUNSET_T0026\nQUOTED="kept"\r\n' >"$T/env.list"
out=$(FROM_SHELL=yes unik run --provider spt --name ef1 --env-file "$T/env.list" hello-c); rc=$?
check "--env-file: the program sees KEY=VALUE" contains "$out" "GREETING=from the file"
check "--env-file: and the exit code (leading blanks skipped)" eq "$rc" 4
check "--env-file: the record" eq "$(unik inspect -f '{{json .env}}' ef1)" \
	'["GREETING=from the file","EXIT_CODE=4","FROM_SHELL=yes","QUOTED=\"kept\""]'
unik run --provider spt --name ef2 --env-file "$T/env.list" -e EXIT_CODE=5 hello-c >/dev/null
check "--env-file then -e: -e wins" eq "$(unik inspect -f '{{.ExitCode}}' ef2)" 5
before=$(unik ps -a -q | wc -l)
printf 'GOOD=1\nBAD KEY=2\n' >"$T/bad.list"
out=$(unik run --provider spt --env-file "$T/bad.list" hello-c 2>&1); rc=$?
check "--env-file with a bad line: usage error (125)" eq "$rc" 125
check "--env-file with a bad line: names the line" contains "$out" "bad.list:2"
out=$(unik run --provider spt --env-file "$T/none.list" hello-c 2>&1); rc=$?
check "--env-file missing: usage error" eq "$rc" 125
check "--env-file missing: says so" contains "$out" "No such file"
check "--env-file: the refused runs made no instance" eq "$(unik ps -a -q | wc -l)" "$before"

# ---- system df, prunes ----
out=$(unik system df)
check "system df: a row per kind" eq "$(echo "$out" | awk 'NR>1{print $1}' | tr '\n' ' ')" \
	"Images Instances Volumes Stagings "
df=$(unik system df --json)
check "system df --json: counts" eq \
	"$(echo "$df" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["images"]["count"], d["volumes"]["count"], d["images"]["size"] > 0)')" \
	"$(unik images -q | wc -l) 1 True"
check "GET /v1/system/df: instances counted" eq \
	"$(echo "$df" | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"]["count"])')" \
	"$(unik ps -a -q | wc -l)"
unik run -d --provider spt --name keep1 sleeper >/dev/null
stopped=$(unik ps -a -f status=exited -q --no-trunc | sort)
out=$(echo n | unik container prune); rc=$?
check "container prune, answered n: nothing removed" eq "$rc:$(unik ps -a -f status=exited -q --no-trunc | sort)" "0:$stopped"
check "container prune asks first" contains "$out" "Are you sure"
out=$(unik container prune -f)
check "container prune -f: lists the removed ids" eq "$(echo "$out" | sed -n '/^Deleted Instances:$/,/^$/p' | grep -v '^Deleted\|^$' | sort)" "$stopped"
check "container prune -f: the space reclaimed" contains "$out" "Total reclaimed space:"
check "container prune -f: only the running one is left" eq "$(unik ps -a --format '{{.Names}}')" keep1
out=$(unik image prune -f)
dangling=$(echo "$out" | sed -n '/^Deleted Images:$/,/^$/p' | grep -vc '^Deleted\|^$')
check "image prune -f: the dangling image" eq "$dangling" 1
check "image prune -f: no <none> left" eq "$(unik images -f dangling=true -q | wc -l)" 0
check "image prune -f: named images stay" eq "$(unik images -f dangling=false -q | wc -l)" 3
out=$(unik image prune -a -f)
check "image prune -a: every image no instance uses" eq "$(unik images --format '{{.Name}}')" sleeper
check "image prune -a: space reclaimed, not 0" bash -c "! grep -q 'space: 0B' <<<'$out'"
unik volume create --size 1M t0026v2 >/dev/null
out=$(unik volume prune -f)
check "volume prune -f: an unused volume goes" contains "$out" "Deleted Volumes:"
check "volume prune -f: t0026vol is gone" bash -c "! '$BIN/unik' inspect --type volume t0026vol >/dev/null 2>&1"
unik rm -f keep1 >/dev/null
out=$(unik system prune -a -f --volumes)
check "system prune -a --volumes: everything goes" eq \
	"$(unik ps -a -q | wc -l) $(unik images -q | wc -l) $(unik volume ls -q | wc -l)" "0 0 0"
check "system prune: the space reclaimed" contains "$out" "Total reclaimed space:"
check "system df after: all zero counts" eq \
	"$(unik system df --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["images"]["count"], d["instances"]["count"], d["volumes"]["count"])')" \
	"0 0 0"
check "unik system with no subcommand: usage" eq "$(unik system >/dev/null 2>&1; echo $?)" 2

# ---- completion ----
check "completion bash: bash loads it" eq \
	"$(PATH="$BIN:$PATH" bash -c 'source <(unik completion bash) && complete -p unik')" \
	"complete -o filenames -F _unik unik"
comp() { # comp WORD...: what bash completes for the last word
	PATH="$BIN:$PATH" bash -c 'source <(unik completion bash)
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _unik; echo "${COMPREPLY[*]}"' comp "$@"
}
check "completion bash: every command" eq "$(comp unik '' | wc -w)" \
	"$(unik --help | sed -n '/^Commands:/,/^$/p' | grep -c '^  [a-z]')"
check "completion bash: a command" eq "$(comp unik insp)" inspect
check "completion bash: its options" eq "$(comp unik ps --no)" --no-trunc
check "completion bash: after a global option with a value" eq "$(comp unik -H unix:///x rest)" restart
check "completion bash: subcommands" eq "$(comp unik system '')" "df prune"
check "completion bash: a subcommand's options" eq "$(comp unik volume prune -)" "-f --force -h --help"
unik build -t comp-img "$T/sleeper" >/dev/null 2>&1
unik run -d --provider spt --name comp-inst comp-img >/dev/null
check "completion bash: instance names from the daemon" eq "$(comp unik logs comp-)" comp-inst
check "completion bash: image names from the daemon" eq "$(comp unik run comp-)" comp-img
check "completion bash: both for inspect" eq "$(comp unik inspect comp- | tr ' ' '\n' | sort | tr '\n' ' ')" \
	"comp-img comp-inst "
unik rm -f comp-inst >/dev/null
check "completion zsh: the bash one through bashcompinit" contains "$(unik completion zsh)" "bashcompinit"
out=$(unik completion fish)
check "completion fish: every command" eq "$(grep -c '__fish_use_subcommand -a' <<<"$out")" \
	"$(unik --help | sed -n '/^Commands:/,/^$/p' | grep -c '^  [a-z]' | awk '{print $1-1}')"
check "completion fish: names through ps --format" contains "$out" "unik ps -a --format '{{.Names}}'"
if command -v fish >/dev/null; then
	check "completion fish: fish parses it" bash -c "'$BIN/unik' completion fish | fish -n"
else
	skip_case "completion fish: fish parses it: fish is not installed"
fi
check "completion tcsh: usage error" eq "$(unik completion tcsh >/dev/null 2>&1; echo $?)" 2

# ---- run DIR: build (cached) and run in one step ----
ne() { # ne GOT NOT-WANTED
	[ "$1" != "$2" ] && return 0
	printf '    got %q, which it must not be\n' "$1"
	return 1
}
mkdir -p "$T/app"
cat >"$T/app/app.c" <<'C'
#include <stdio.h>
int main(void)
{
	printf("app v1\n");
	return 7;
}
C
out=$(unik run --provider spt --rm "$T/app" 2>"$T/err"); rc=$?
check "run DIR: the program's output" eq "$out" "app v1"
check "run DIR: the program's exit status" eq "$rc" 7
check "run DIR: says it built the folder" contains "$(cat "$T/err")" "built $T/app as image "
check "run DIR: the image is named after the folder" eq "$(unik inspect -f '{{.Name}}' app)" app
id1=$(unik inspect -f '{{.ID}}' app)
out=$(cd "$T/app" && unik run --provider spt --rm . 2>"$T/err"); rc=$?
check "run .: the same program" eq "$rc:$out" "7:app v1"
check "run DIR unchanged: from the build cache" contains "$(cat "$T/err")" \
	"unchanged: image ${id1:0:12} from the build cache in "
check "run DIR unchanged: the same image" eq "$(unik inspect -f '{{.ID}}' app)" "$id1"
touch "$T/app/app.c"
unik run --provider spt --rm "$T/app" >/dev/null 2>"$T/err"
check "run DIR: a new mtime alone is still unchanged" contains "$(cat "$T/err")" "from the build cache"
sed -i 's/app v1/app v2/' "$T/app/app.c"
out=$(unik run --provider spt --rm "$T/app" 2>"$T/err")
check "run DIR changed: built again" contains "$(cat "$T/err")" "built $T/app as image "
check "run DIR changed: the new program" eq "$out" "app v2"
check "run DIR changed: a new image" ne "$(unik inspect -f '{{.ID}}' app)" "$id1"
out=$(unik build "$T/app")
check "build: the unchanged folder from the cache" contains "$out" "from the build cache"
out=$(unik build -l t=1 "$T/app")
check "build: another label is another build" eq "$(echo "$out" | grep -c 'build cache')" 0
# the same source under another name: a second name, the first one kept
cp -r "$T/app" "$T/app-copy"
unik build -q -t app-copy "$T/app-copy" >/dev/null
check "build of the same source under another name: the first name stays" eq \
	"$(unik images --format '{{.Name}}' | grep -cx 'app')" 1
check "build of the same source under another name: the new name is there too" eq \
	"$(unik images --format '{{.Name}}' | grep -cx 'app-copy')" 1
n_before=$(unik images -q | wc -l)
unik build -q -t app-copy "$T/app-copy" >/dev/null
check "a rebuild under the second name makes no new record" eq "$(unik images -q | wc -l)" "$n_before"
unik rmi app-copy >/dev/null
check "run IMAGE with a same-named folder here: the image" eq \
	"$(cd "$T" && unik run --provider spt --rm app; echo $?)" $'app v2\n7'
echo 'int main(void) { return syntax error; }' >"$T/app/app.c"
out=$(unik run --provider spt --rm "$T/app" 2>&1); rc=$?
check "run DIR: a failing build is exit 125" eq "$rc" 125
check "run DIR: a failing build shows the compiler's errors" contains "$out" "error"
out=$(unik run --provider spt "$T/nosuch-dir/" 2>&1); rc=$?
check "run of a missing path: no such image" eq "$rc" 125
out=$(unik run --watch --provider spt sleeper 2>&1); rc=$?
check "run --watch IMAGE: usage error" eq "$rc:$(echo "$out" | grep -c 'needs a source folder')" "125:1"

# ---- run --watch DIR: rebuild and restart on a saved change ----
mkdir -p "$T/wapp/sub"
cat >"$T/wapp/wapp.c" <<'C'
#include <stdio.h>
#include <time.h>
#include "sub/version.h"
int main(void)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	printf("wapp %s\n", VERSION);
	fflush(stdout);
	for (;;)
		nanosleep(&ts, NULL);
}
C
echo '#define VERSION "v1"' >"$T/wapp/sub/version.h"
until_file() { # until_file FILE TEXT: up to 30 s
	for _ in $(seq 1 300); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
"$BIN/unik" run --watch --provider spt --name w1 "$T/wapp" >"$T/w.out" 2>"$T/w.err" &
wpid=$!
check "watch: the first build runs" until_file "$T/w.out" "wapp v1"
wid1=$(unik inspect -f '{{.ID}}' w1)
: >"$T/wapp/.wapp.c.swp"; : >"$T/wapp/wapp.c~"; : >"$T/wapp/sub/4913"
sleep 1
check "watch: editor temp files start no build" eq "$(grep -c 'rebuilding' "$T/w.err")" 0
echo '#define VERSION "v2"' >"$T/wapp/sub/version.h"
check "watch: a saved change in a subfolder rebuilds" until_file "$T/w.err" "rebuilt in "
check "watch: the new instance's console" until_file "$T/w.out" "wapp v2"
check "watch: says how long" eq "$(grep -cE 'rebuilt in [0-9]+ ms' "$T/w.err")" 1
check "watch: the new instance has the name" eq "$(unik inspect -f '{{.State}}' w1)" running
check "watch: a new instance" ne "$(unik inspect -f '{{.ID}}' w1)" "$wid1"
check "watch: the old one is gone" bash -c "! '$BIN/unik' inspect '$wid1' >/dev/null 2>&1"
wid2=$(unik inspect -f '{{.ID}}' w1)
mkdir "$T/wapp/new"
echo 'int broken(void) { return nope; }' >"$T/wapp/new/broken.c"
echo '#include "new/broken.c"' >>"$T/wapp/wapp.c"
check "watch: a failing build says so" until_file "$T/w.err" "the build failed; ${wid2:0:12} keeps running"
check "watch: the failing build's errors" contains "$(cat "$T/w.err")" "nope"
check "watch: the old instance keeps running" eq "$(unik inspect -f '{{.ID}} {{.State}}' w1)" "$wid2 running"
echo 'int broken(void) { return 3; }' >"$T/wapp/new/broken.c"
until_count() { # until_count FILE TEXT N: until N lines have TEXT (30 s at most)
	for _ in $(seq 1 300); do
		[ "$(grep -cF -- "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
check "watch: a fix in a new subfolder rebuilds" until_count "$T/w.err" "rebuilt in " 2
check "watch: the third instance's console" until_count "$T/w.out" "wapp v2" 2
kill -INT "$wpid"
wait "$wpid"; rc=$?
check "watch: Ctrl-C ends unik run (130)" eq "$rc" 130
check "watch: Ctrl-C stopped the instance" eq "$(unik inspect -f '{{.State}}' w1)" exited
check "watch: one instance left" eq "$(unik ps -a -q -f name=w1 | wc -l)" 1

# ---- logs --timestamps / --since / --until ----
mkdir -p "$T/ticker"
cat >"$T/ticker/ticker.c" <<'C'
#include <stdio.h>
#include <time.h>
int main(void)
{
	struct timespec ts = {1, 500 * 1000 * 1000};
	printf("first\n");
	fflush(stdout);
	nanosleep(&ts, NULL);
	printf("second\n");
	fflush(stdout);
	return 0;
}
C
t_before=$(date +%s.%N)
unik run --provider spt --name ts1 "$T/ticker" >/dev/null 2>&1
t_after=$(date +%s.%N)
out=$(unik logs -t ts1)
check "logs -t: each line starts with an RFC 3339 time" bash -c \
	"echo '$out' | grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z ' | wc -l | grep -qx 0"
check "logs -t: the lines after the time" eq "$(echo "$out" | cut -d' ' -f2-)" $'first\nsecond'
check "logs without -t: as written" eq "$(unik logs ts1)" $'first\nsecond'
ta=$(echo "$out" | sed -n 1p | cut -d' ' -f1); tb=$(echo "$out" | sed -n 2p | cut -d' ' -f1)
sec() { date -u -d "$1" +%s.%N; }
check "logs -t: the times are within the run, in order" python3 -c "
import sys; b,a,x,y=map(float,sys.argv[1:]); assert b<=x<y<=a, (b,x,y,a)" \
	"$t_before" "$t_after" "$(sec "$ta")" "$(sec "$tb")"
mid=$(python3 -c "import sys; print('%.3f' % ((float(sys.argv[1])+float(sys.argv[2]))/2))" "$(sec "$ta")" "$(sec "$tb")")
check "logs --since (Unix seconds): the later line" eq "$(unik logs --since "$mid" ts1)" second
check "logs --until: the earlier line" eq "$(unik logs --until "$mid" ts1)" first
check "logs --since an RFC 3339 time from -t: that line on" eq "$(unik logs --since "$tb" ts1)" second
check "logs --since 10m: both" eq "$(unik logs --since 10m ts1)" $'first\nsecond'
check "logs --until 10m: none" eq "$(unik logs --until 10m ts1)" ""
check "logs --tail 1 -t: the last line with its time" eq "$(unik logs --tail 1 -t ts1)" "$tb second"
out=$(unik logs --since yesterday ts1 2>&1); rc=$?
check "logs --since garbage: refused" eq "$rc" 1
check "logs --since garbage: says why" contains "$out" "is not a time"
unik run -d --provider spt --name ts2 "$T/ticker" >/dev/null 2>&1
out=$(unik logs -f -t ts2)
check "logs -f -t: follows with times" eq "$(echo "$out" | cut -d' ' -f2-)" $'first\nsecond'

# ---- man pages ----
"$ROOT/scripts/gen-man" "$BIN/unik" "$T/man"
check "gen-man: unik.1 and a page per command" eq "$(ls "$T/man" | wc -l)" \
	"$(unik --help | sed -n '/^Commands:/,/^$/p' | grep -c '^  [a-z]')"
warn=
for f in "$T"/man/*.1; do
	w=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$f" 2>&1)
	[ -n "$w" ] && warn="$warn$f: $w"$'\n'
done
check "every page renders without groff warnings" eq "$warn" ""
out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man -l "$T/man/unik-run.1" 2>"$T/man.err")
check "man -l unik-run.1: no warnings" eq "$(cat "$T/man.err")" ""
check "man -l unik-run.1: the options from the table" contains "$out" "--env-file FILE"
check "man -l unik-run.1: the name line" contains "$out" "unik-run - Run an image in a new instance"
check "unik.1 lists every command" eq "$(grep -c '^\\fBunik ' "$T/man/unik.1")" \
	"$(unik --help | sed -n '/^Commands:/,/^$/p' | grep -c '^  [a-z]' | awk '{print $1-1}')"
if [ -z "${UNIK_TEST_BIN:-}" ] && make -s -C "$ROOT" -q VARIANT=asan "$BIN/unik" 2>/dev/null; then
	make -s -C "$ROOT" VARIANT=asan install DESTDIR="$T/inst" PREFIX=/usr >/dev/null 2>&1
	check "make install: the programs" bash -c "[ -x '$T/inst/usr/bin/unik' ] && [ -x '$T/inst/usr/bin/unikd' ]"
	check "make install: man unik-run works" contains \
		"$(MANPATH="$T/inst/usr/share/man" MANWIDTH=80 man unik-run 2>&1)" "UNIK-RUN(1)"
else
	skip_case "make install: the build tree is not up to date (or UNIK_TEST_BIN is set)"
fi

finish
