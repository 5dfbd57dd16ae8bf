#!/usr/bin/env bash
# t0040-compose: unik compose up/ps/logs/down for a two-service compose.yaml:
# "web" built from a folder (examples/http-c, on qemu, a published port, its
# environment from a map and an env_file, read back over HTTP), "store" from
# an image (tests/runtime/rvol on spt, a command list, a named volume it
# writes, read back from the disk), web depends_on store; idempotent up, a
# changed file recreating only what changed, attached up, down and down -v.
# Then the file as hostile input (unknown keys, an alias bomb, a huge file,
# deep nesting, cycles, bind mounts) through 'compose config'.  The daemon
# runs in a network namespace of the test's own (as t0005).
. "$(dirname "$0")/../lib/e2e.sh"
need_tools mke2fs debugfs

# ---- the file as hostile input (no daemon needed) --------------------------
mkdir -p "$T/h"
cfg() { (cd "$T/h" && "$BIN/unik" compose -f "$1" config 2>&1); }
printf 'services:\n  a:\n    image: x\n    imagex: y\n' >"$T/h/unknown.yaml"
out=$(cfg unknown.yaml); rc=$?
check "an unknown key is refused" eq "$rc" 1
check "naming the key, the service and the line" contains "$out" "unknown.yaml:4: unknown key 'imagex' in service 'a'"
printf 'services:\n  a: {image: x}\nnetworks: {}\n' >"$T/h/top.yaml"
check "an unknown top-level key too" contains "$(cfg top.yaml)" "top.yaml:3: unknown key 'networks' in the file"
printf 'services:\n  a: {image: x, depends_on: {b: {condition: service_healthy}}}\n  b: {image: y}\n' >"$T/h/cond.yaml"
check "a depends_on condition other than service_started is refused" \
	contains "$(cfg cond.yaml)" "condition 'service_healthy' is not supported"
{
	echo 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
	for l in b c d e f g h i; do
		p=$(printf '%s' "$l" | tr 'b-i' 'a-h')
		echo "$l: &$l [*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p]"
	done
	echo 'services: {x: {image: *i}}'
} >"$T/h/bomb.yaml"
out=$(timeout 20 "$BIN/unik" compose -f "$T/h/bomb.yaml" config 2>&1); rc=$?
check "an alias bomb is refused (not expanded)" eq "$rc" 1
check "saying the file stands for too many values" contains "$out" "too many values"
python3 -c "import sys; sys.stdout.write('services:\n  a:\n    image: x\n    environment:\n' + ''.join('      K%d: v\n' % i for i in range(80000)))" >"$T/h/huge.yaml"
check "a file over 1 MiB is refused" contains "$(cfg huge.yaml)" "larger than 1048576 bytes"
python3 -c "print('services: ' + '[' * 200 + ']' * 200)" >"$T/h/deep.yaml"
check "deep nesting is refused" contains "$(cfg deep.yaml)" "nested deeper than 32 levels"
printf 'services:\n  a: {image: x, depends_on: [b]}\n  b: {image: y, depends_on: [a]}\n' >"$T/h/cycle.yaml"
check "a depends_on cycle is refused" contains "$(cfg cycle.yaml)" "depends_on makes a cycle"
printf 'services:\n  a: {image: x, depends_on: [zz]}\n' >"$T/h/nodep.yaml"
check "depending on no service is refused" contains "$(cfg nodep.yaml)" "depends on 'zz', no service"
printf 'services:\n  a: {image: x, volumes: ["./d:/x"]}\n' >"$T/h/bind.yaml"
check "a bind mount is refused, saying why" contains "$(cfg bind.yaml)" "bind mounts of host folders are not supported"
printf 'services:\n  a: {image: x, volumes: ["v:/x"]}\n' >"$T/h/undecl.yaml"
check "an undeclared volume is refused" contains "$(cfg undecl.yaml)" "which the top-level volumes do not declare"
printf 'services:\n  a: {image: x, volumes: ["v:/proc"]}\nvolumes: {v: }\n' >"$T/h/proc.yaml"
check "a bad mount path is refused" bash -c "! (cd '$T/h' && '$BIN/unik' compose -f proc.yaml config >/dev/null 2>&1)"
printf 'services:\n  a: {image: x, <<: *nope}\n' >"$T/h/alias.yaml"
check "an unknown alias is refused" contains "$(cfg alias.yaml)" "unknown alias '*nope'"
printf 'services:\n  a: {image: x}\n---\nservices: {}\n' >"$T/h/two.yaml"
check "a second document is refused" contains "$(cfg two.yaml)" "one document only"
printf 'services:\n  a: {image: x, ports: ["99999:80"]}\n' >"$T/h/port.yaml"
check "a bad port is refused with its line" contains "$(cfg port.yaml)" "port.yaml:2: ports of service 'a'"
printf 'services:\n  a: {image: x, command: "echo \\"unterminated"}\n' >"$T/h/quote.yaml"
check "an unterminated quote in command is refused" contains "$(cfg quote.yaml)" "unterminated quote"
printf 'services:\n  a: {image: x, environment: ["BAD-KEY=x"]}\n' >"$T/h/env.yaml"
check "a bad environment variable is refused" contains "$(cfg env.yaml)" "bad environment variable"
printf 'services:\n  a: {image: x}\n' >"$T/h/ok.yaml"
check "-p must be a valid project name" \
	contains "$(cd "$T/h" && "$BIN/unik" compose -p 'Bad Name' -f ok.yaml config 2>&1)" "bad project name"
check "without a file here it says where it looked" \
	contains "$(cd "$T/h" && "$BIN/unik" compose config 2>&1)" "no compose.yaml"

# ---- a project --------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || { skip_case "the project: needs root for a network namespace"; finish; }
command -v ip >/dev/null || { skip_case "the project: needs iproute2"; finish; }
[ -d "$ROOT/examples/http-c" ] || { skip_case "the project: examples/http-c is missing"; finish; }
command -v qemu-system-x86_64 >/dev/null || { skip_case "the project: qemu-system-x86_64 is not installed"; finish; }
NS=unik-e2e-$$
ip netns add "$NS" || { skip_case "the project: cannot create a network namespace"; finish; }
ip -n "$NS" link set lo up
trap 'cleanup; ip netns del "$NS" 2>/dev/null' EXIT
get() { ip netns exec "$NS" curl -s -m 10 "$@"; }
ip netns exec "$NS" "$BIN/unikd" --socket "$SOCK" --state-dir "$STATE" --config /dev/null \
	--stop-timeout 2 >>"$T/unikd.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 100); do daemon_alive && break; sleep 0.1; done

unik build -t rvol "$ROOT/tests/runtime/rvol" >"$T/build.log" 2>&1
check "the image of the store service builds" eq "$?" 0
P=$T/shop
mkdir -p "$P/web"
cp "$ROOT/examples/http-c/"*.c "$P/web/"
printf 'FROM_FILE=file-value\nGREETING=overridden-by-environment\n' >"$P/web.env"
cat >"$P/compose.yaml" <<'Y'
# web is built here; store runs an image and writes the volume
services:
  web:
    build: ./web
    ports:
      - "18080:8080"
    environment:
      GREETING: hello-compose
      PORT: "8080"
    env_file: web.env
    depends_on:
      store:
        condition: service_started
    x-unik: {provider: qemu, memory: 64M}
  store:
    image: rvol
    command: [write, /data]
    volumes:
      - data:/data
    x-unik: {provider: spt, memory: 64M}
volumes:
  data:
    x-unik: {size: 16M}
Y
up() { (cd "$P" && timeout 300 "$BIN/unik" compose "$@"); }
out=$(up up -d 2>&1); rc=$?
check "compose up -d" eq "$rc" 0
echo "$out" >"$T/up1.log"
check "the named volume is made as PROJECT_KEY" contains "$out" "Volume shop_data: created"
check "web's folder is built" contains "$out" "Image shop-web: built"
check "store starts before web (depends_on)" \
	eq "$(echo "$out" | grep -o 'Instance shop-[a-z]*-1: started' | tr '\n' ' ')" \
	"Instance shop-store-1: started Instance shop-web-1: started "
check "the instances are labelled with the project" \
	eq "$(unik ps -a -q --filter label=com.docker.compose.project=shop | wc -l)" 2
check "and with their service" \
	eq "$(unik ps -a --filter label=com.docker.compose.service=web --format '{{.Names}}')" shop-web-1
ok=0
for _ in $(seq 1 150); do get -o /dev/null http://127.0.0.1:18080/ && { ok=1; break; }; sleep 0.2; done
check "web answers on its published port" eq "$ok" 1
check "environment (map form) reaches the program" eq "$(get http://127.0.0.1:18080/env/GREETING)" hello-compose
check "env_file too" eq "$(get http://127.0.0.1:18080/env/FROM_FILE)" file-value
timeout 60 "$BIN/unik" wait shop-store-1 >/dev/null
check "store wrote on the named volume (command list form)" \
	contains "$(up logs store)" "shop-store-1 | write: ok"
vid=$(unik volume inspect shop_data | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
check "the host reads what store wrote on the volume" \
	eq "$(debugfs -R 'cat /hello.txt' "$STATE/volumes/$vid/disk.raw" 2>/dev/null)" "hello, volume"
out=$(up ps)
check "compose ps shows web running" contains "$(echo "$out" | grep shop-web-1)" "running"
check "with its port" contains "$(echo "$out" | grep shop-web-1)" "18080"
check "and not the exited store" eq "$(echo "$out" | grep -c shop-store-1)" 0
check "compose ps -a shows store exited (0)" contains "$(up ps -a | grep shop-store-1)" "exited (0)"
check "compose ps -q prints ids" eq "$(up ps -q | wc -c)" 65

# idempotent: nothing that runs is made again
web_id=$(unik inspect shop-web-1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
out=$(up up -d 2>&1)
check "up again succeeds" eq "$?" 0
check "the volume is kept" contains "$out" "Volume shop_data: exists"
check "the unchanged folder is not built again" contains "$out" "Image shop-web: unchanged"
check "the running web is kept" contains "$out" "Instance shop-web-1: running, up to date"
check "the same instance" eq "$(unik inspect shop-web-1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')" "$web_id"
check "the exited store is started again" contains "$out" "Instance shop-store-1: started again"
check "still two instances" eq "$(unik ps -a -q --filter label=com.docker.compose.project=shop | wc -l)" 2
timeout 60 "$BIN/unik" wait shop-store-1 >/dev/null

# a changed setting replaces that service's instance only
sed -i 's/GREETING: hello-compose/GREETING: changed/' "$P/compose.yaml"
out=$(up up -d 2>&1)
check "a changed environment recreates web" contains "$out" "Instance shop-web-1: recreated"
check "as a new instance" bash -c "[ \"\$('$BIN/unik' inspect shop-web-1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"id\"])')\" != '$web_id' ]"
ok=0
for _ in $(seq 1 150); do [ "$(get http://127.0.0.1:18080/env/GREETING)" = changed ] && { ok=1; break; }; sleep 0.2; done
check "which has the new value" eq "$ok" 1

# down: the instances go, the volume stays; -v takes it too
out=$(up down 2>&1)
check "compose down" eq "$?" 0
check "web is removed before store (reverse order)" \
	eq "$(echo "$out" | grep -o 'Instance shop-[a-z]*-1: removed' | tr '\n' ' ')" \
	"Instance shop-web-1: removed Instance shop-store-1: removed "
check "no instance of the project is left" eq "$(unik ps -a -q --filter label=com.docker.compose.project=shop | wc -l)" 0
check "the port is released" bash -c "ip netns exec $NS python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",18080))'"
check "the volume is kept by down" bash -c "'$BIN/unik' volume inspect shop_data >/dev/null"
check "down again has nothing to do" bash -c "cd '$P' && '$BIN/unik' compose down"
out=$(up down -v 2>&1)
check "down -v removes the volume" contains "$out" "Volume shop_data: removed"
check "it is gone" bash -c "! '$BIN/unik' volume inspect shop_data 2>/dev/null"

# attached up: the logs follow until the services exit; -p names the project
cat >"$P/once.yaml" <<'Y'
services:
  once:
    image: rvol
    command: "bogus-mode 'two words'"
    x-unik: {provider: spt, memory: 64M}
Y
out=$(cd "$P" && timeout 120 "$BIN/unik" compose -p other -f once.yaml up 2>/dev/null)
check "attached up returns when the services exit" eq "$?" 0
check "with their output, after the instance's name" contains "$out" "other-once-1 | "
check "command as a string is split as a shell would" contains "$(unik inspect other-once-1)" '"two words"'
check "up again attached shows only the new run's output" \
	eq "$(cd "$P" && timeout 120 "$BIN/unik" compose -p other -f once.yaml up 2>/dev/null | grep -c 'usage\|unknown\|rvol')" \
	"$(echo "$out" | grep -c 'usage\|unknown\|rvol')"
up -p other -f once.yaml down >/dev/null 2>&1
# attached up and Ctrl-C: the services are stopped, up ends with 130
mkdir -p "$P/sleeper"
cat >"$P/sleeper/sleeper.c" <<'C'
#include <stdio.h>
#include <time.h>
int main(void)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	printf("sleeper up\n");
	fflush(stdout);
	for (;;)
		nanosleep(&ts, NULL);
}
C
printf 'services:\n  s:\n    build: ./sleeper\n    x-unik: {provider: spt, memory: 64M}\n' >"$P/sleep.yaml"
(cd "$P" && exec "$BIN/unik" compose -p zz -f sleep.yaml up >"$T/att.out" 2>"$T/att.err") &
att=$!
ok=0
for _ in $(seq 1 300); do grep -q "zz-s-1 | sleeper up" "$T/att.out" 2>/dev/null && { ok=1; break; }; sleep 0.2; done
check "attached up follows a running service" eq "$ok" 1
kill -INT $att
wait $att
check "Ctrl-C ends up with 130" eq "$?" 130
check "saying it stops the services" contains "$(cat "$T/att.err")" "stopping"
check "and the service is stopped" contains "$(unik ps -a | grep zz-s-1)" "exited"
up -p zz -f sleep.yaml down >/dev/null 2>&1
check "an instance of the name made outside compose is not replaced" \
	bash -c "'$BIN/unik' run -d --provider spt --name other-once-1 -m 64 rvol >/dev/null 2>&1; cd '$P' && ! '$BIN/unik' compose -p other -f once.yaml up -d 2>'$T/err'"
check "saying so" contains "$(cat "$T/err")" "is not the project's"
unik rm -f other-once-1 >/dev/null 2>&1
finish
