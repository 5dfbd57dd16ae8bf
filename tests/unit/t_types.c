/* t_types.c - the API objects' JSON codecs, names and times. */
#include "../../api/types.h"
#include "../../api/formats.h"
#include "../../api/restart.h"
#include "../../api/summon.h"
#include "../../lib/xalloc.h"
#include "tap.h"

static void image_roundtrip(void)
{
	struct unik_image a, b;
	struct unik_err err = UNIK_ERR_INIT;
	json_t *j;

	unik_image_init(&a);
	unik_image_init(&b);
	a.id = strdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	a.name = strdup("hello");
	a.compiler = strdup("linux");
	a.format = strdup("linux-initrd");
	a.size = 1234567;
	a.digest = strdup("sha256:00");
	a.created = 1795000000;
	a.memory_mb = 96;
	strv_push(&a.args, "x y");
	a.kernel = strdup("sha256:aa");
	j = unik_image_to_json(&a);
	ok(unik_image_from_json(j, &b, &err) == 0, "image decodes: %s", err.msg);
	is_str(b.name, "hello", "image name survives");
	is_int(b.size, 1234567, "image size survives");
	is_int(b.created, 1795000000, "image created survives");
	is_int(b.memory_mb, 96, "image memory survives");
	ok(b.args.n == 1 && !strcmp(b.args.v[0], "x y"), "image args survive");
	ok(b.initrd == NULL, "absent initrd stays NULL");
	ok(json_is_string(json_object_get(j, "created")), "created is an RFC 3339 string");
	json_decref(j);
	unik_image_release(&a);
	unik_image_release(&b);
}

static void instance_roundtrip(void)
{
	struct unik_instance a, b;
	struct unik_err err = UNIK_ERR_INIT;
	json_t *j;

	unik_instance_init(&a);
	unik_instance_init(&b);
	a.id = strdup("ab");
	a.name = strdup("web");
	a.image = strdup("cd");
	a.provider = strdup("qemu");
	a.state = UNIK_STATE_EXITED;
	a.exit_code = 3;
	a.created = 10;
	strv_push(&a.env, "K=V");
	j = unik_instance_to_json(&a);
	ok(json_is_null(json_object_get(j, "address")), "no address is null");
	ok(unik_instance_from_json(j, &b, &err) == 0, "instance decodes: %s", err.msg);
	is_int(b.state, UNIK_STATE_EXITED, "state survives");
	is_int(b.exit_code, 3, "exit code survives");
	ok(b.env.n == 1 && !strcmp(b.env.v[0], "K=V"), "env survives");
	json_decref(j);
	unik_instance_release(&b);
	unik_instance_init(&b);
	a.exit_code = -1;
	a.verbose = 1;
	j = unik_instance_to_json(&a);
	ok(json_is_null(json_object_get(j, "exit_code")), "unknown exit code is null");
	ok(unik_instance_from_json(j, &b, &err) == 0 && b.exit_code == -1,
	   "null exit code decodes to -1");
	ok(b.verbose == 1 && b.trace == 0, "an instance keeps its verbose and trace flags");
	ok(b.open_stdin == 0, "an instance made without -i has no open stdin");
	json_decref(j);
	unik_instance_release(&a);
	unik_instance_release(&b);
}

static void job_and_error(void)
{
	struct unik_job a, b;
	struct unik_err err = UNIK_ERR_INIT, e2 = UNIK_ERR_INIT;
	json_t *j;

	unik_job_init(&a);
	unik_job_init(&b);
	a.id = strdup("j1");
	a.kind = strdup("build");
	a.state = UNIK_JOB_FAILED;
	unik_err_set(&a.error, UNIK_E_INVALID, "no sources");
	j = unik_job_to_json(&a);
	ok(unik_job_from_json(j, &b, &err) == 0, "job decodes");
	is_int(b.state, UNIK_JOB_FAILED, "job state survives");
	is_int(b.error.code, UNIK_E_INVALID, "job error code survives");
	is_str(b.error.msg, "no sources", "job error message survives");
	json_decref(j);

	unik_err_set(&err, UNIK_E_TOO_LARGE, "big");
	j = unik_error_to_json(&err);
	is_str(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "too_large",
	       "error body has the wire code");
	ok(unik_error_from_json(j, &e2) == 0 && e2.code == UNIK_E_TOO_LARGE, "error body decodes");
	is_int(unik_errcode_http(UNIK_E_TOO_LARGE), 413, "too_large is 413");
	is_int(unik_errcode_http(UNIK_E_UNSUPPORTED), 501, "not_supported is 501");
	is_int(unik_errcode_http(UNIK_E_NOT_FOUND), 404, "not_found is 404");
	is_int(unik_errcode_http(UNIK_E_CONFLICT), 409, "conflict is 409");
	is_int(unik_errcode_http(UNIK_E_UNAUTHORIZED), 401, "unauthorized is 401");
	json_decref(j);
	unik_job_release(&a);
	unik_job_release(&b);
}

static void run_request(void)
{
	struct unik_run_request rq;
	struct unik_err err = UNIK_ERR_INIT;
	json_t *j;

	unik_run_request_init(&rq);
	j = json_loads("{\"image\":\"hello\",\"args\":[\"a\"],\"env\":[\"A=1\"],\"memory\":64}", 0,
		       NULL);
	ok(unik_run_request_from_json(j, &rq, &err) == 0, "run request decodes");
	ok(rq.start == 1, "start defaults to true");
	is_int(rq.memory_mb, 64, "memory decodes");
	json_decref(j);
	unik_run_request_release(&rq);

	unik_run_request_init(&rq);
	j = json_loads("{\"image\":\"hello\",\"env\":[\"NOEQUALS\"]}", 0, NULL);
	ok(unik_run_request_from_json(j, &rq, &err) < 0 && err.code == UNIK_E_INVALID,
	   "env without '=' is refused");
	json_decref(j);
	unik_run_request_release(&rq);

	unik_run_request_init(&rq);
	j = json_loads("{\"name\":\"x\"}", 0, NULL);
	ok(unik_run_request_from_json(j, &rq, &err) < 0 && strstr(err.msg, "image"),
	   "a run request without image is refused");
	json_decref(j);
	unik_run_request_release(&rq);

	unik_run_request_init(&rq);
	j = json_loads("{\"image\":\"x\",\"args\":\"notalist\"}", 0, NULL);
	ok(unik_run_request_from_json(j, &rq, &err) < 0, "args must be an array");
	json_decref(j);
	unik_run_request_release(&rq);

	/* unik run --trace / --verbose */
	unik_run_request_init(&rq);
	ok(rq.trace == 0 && rq.verbose == 0, "trace and verbose default to off");
	rq.image = strdup("x");
	rq.trace = 1;
	j = unik_run_request_to_json(&rq);
	unik_run_request_release(&rq);
	ok(unik_run_request_from_json(j, &rq, &err) == 0 && rq.trace == 1 && rq.verbose == 0,
	   "trace survives the round trip");
	json_decref(j);
	unik_run_request_release(&rq);
	unik_run_request_init(&rq);
	j = json_loads("{\"image\":\"x\",\"verbose\":\"yes\"}", 0, NULL);
	ok(unik_run_request_from_json(j, &rq, &err) < 0 && strstr(err.msg, "verbose"),
	   "verbose must be a boolean");
	json_decref(j);
	unik_run_request_release(&rq);

	/* unik run -i: "stdin" */
	unik_run_request_init(&rq);
	ok(rq.open_stdin == 0, "stdin defaults to closed");
	rq.image = strdup("x");
	rq.open_stdin = 1;
	j = unik_run_request_to_json(&rq);
	unik_run_request_release(&rq);
	ok(unik_run_request_from_json(j, &rq, &err) == 0 && rq.open_stdin == 1,
	   "stdin survives the round trip");
	json_decref(j);
	unik_run_request_release(&rq);
	unik_run_request_init(&rq);
	j = json_loads("{\"image\":\"x\",\"stdin\":1}", 0, NULL);
	ok(unik_run_request_from_json(j, &rq, &err) < 0 && strstr(err.msg, "stdin"),
	   "stdin must be a boolean");
	json_decref(j);
	unik_run_request_release(&rq);
}

static void names_and_times(void)
{
	int64_t t = 0;
	char buf[32];

	ok(unik_name_valid("hello-c.v2_x"), "ordinary name is valid");
	ok(!unik_name_valid("-x"), "leading dash is invalid");
	ok(!unik_name_valid("a/b"), "slash is invalid");
	ok(!unik_name_valid(""), "empty name is invalid");
	ok(!unik_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	   "65-character name is invalid");
	ok(unik_env_valid("A_1=x=y"), "env with '=' in value is valid");
	ok(!unik_env_valid("=x"), "env with empty key is invalid");
	ok(!unik_env_valid("A-B=x"), "env with '-' in key is invalid");
	unik_time_format(0, buf);
	is_str(buf, "1970-01-01T00:00:00Z", "epoch formats");
	ok(unik_time_parse("2026-11-27T02:28:16Z", &t) == 0 && t == 1795746496,
	   "RFC 3339 parses (%lld)", (long long)t);
	ok(unik_time_parse("yesterday", &t) < 0, "garbage time is refused");
}

static void volume_types(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_volume v, back;
	struct unik_volume_user u = { "iiii", "web", "/data", 1, 1 };
	char *vol, *path;
	int ro;
	json_t *j;
	static const char *const bad_paths[] = { "",	 "data",     "/",	"/proc",  "/proc/x",
						 "/dev", "/dev/shm", "/a/../b", "/a/./b", "/a//b",
						 "/a/",	 "/a:b",     "/a\nb",	NULL };

	for (size_t i = 0; bad_paths[i]; i++)
		ok(unik_mount_path_check(bad_paths[i], &err) < 0 && err.code == UNIK_E_INVALID,
		   "mount path '%s' refused: %s", bad_paths[i], err.msg);
	ok(unik_mount_path_check("/data", &err) == 0, "/data is a mount path");
	ok(unik_mount_path_check("/processes/x", &err) == 0, "/processes is not /proc");
	ok(unik_mount_paths_overlap("/a", "/a/b") && unik_mount_paths_overlap("/a/b", "/a") &&
	       !unik_mount_paths_overlap("/a", "/ab"),
	   "overlap is by components");
	ok(unik_mount_spec_parse("data:/d:ro", &vol, &path, &ro, &err) == 0 &&
	       !strcmp(vol, "data") && !strcmp(path, "/d") && ro,
	   "VOLUME:/PATH:ro parses");
	free(vol);
	free(path);
	ok(unik_mount_spec_parse("data:/d", &vol, &path, &ro, &err) == 0 && !ro,
	   "read-write by default");
	free(vol);
	free(path);
	ok(unik_mount_spec_parse("data:/d:rx", &vol, &path, &ro, &err) < 0,
	   "a bad mode is refused");
	ok(unik_mount_spec_parse(":/d", &vol, &path, &ro, &err) < 0, "a volume name is needed");
	ok(unik_mount_spec_parse("data", &vol, &path, &ro, &err) < 0, "a path is needed");
	ok(!unik_volume_type_valid("ntfs") && unik_volume_type_valid("fat"), "volume types");

	unik_volume_init(&v);
	v.id = xstrdup("abc");
	v.name = xstrdup("data");
	v.type = xstrdup("ext4");
	v.format = xstrdup("raw");
	v.size = 1 << 20;
	v.created = 1700000000;
	v.generation = 3;
	unik_volume_add_user(&v, &u);
	j = unik_volume_to_json(&v);
	unik_volume_init(&back);
	ok(unik_volume_from_json(j, &back, &err) == 0 && back.size == 1 << 20 &&
	       back.generation == 3 && back.n_users == 1 && back.users[0].running &&
	       !strcmp(back.users[0].path, "/data") && back.created == 1700000000,
	   "a volume round-trips through JSON");
	json_decref(j);
	unik_volume_release(&back);
	unik_volume_release(&v);
	j = json_pack("{sssssssi}", "id", "a", "name", "b", "type", "ext2", "size", -1);
	unik_volume_init(&back);
	ok(unik_volume_from_json(j, &back, &err) < 0, "a negative size is refused");
	unik_volume_release(&back);
	json_decref(j);
	ok(unik_format_mounts("unik-elf", "ext2", 0, &err) == 0, "unik-elf mounts ext2 read-write");
	ok(unik_format_mounts("unik-elf", "ext4", 0, &err) < 0 &&
	       unik_format_mounts("unik-elf", "ext4", 1, &err) == 0,
	   "and ext4 read-only only");
	ok(unik_format_mounts("unik-elf", "fat", 0, &err) < 0 &&
	       unik_format_mounts("unik-elf", "fat", 1, &err) == 0,
	   "and fat read-only only");
	ok(unik_format_mounts("linux-initrd", "ext2", 1, &err) < 0, "linux-initrd mounts none");
}

/* Restart policies: parsing, the canonical text, when one applies, and
 * the instance's fields through JSON. */
static void restart_policies(void)
{
	static const char *const bad[] = { "sometimes",		 "on-failure:",
					   "on-failure:0",	 "on-failure:-1",
					   "on-failure:x",	 "on-failure:+3",
					   "on-failure:1000001", "always:2",
					   "on-failures",	 NULL };
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance a, b;
	struct unik_restart r;
	char text[32];
	json_t *j;

	ok(unik_restart_parse(NULL, &r, &err) == 0 && r.policy == UNIK_RESTART_NO, "none: no");
	ok(unik_restart_parse("no", &r, &err) == 0 && r.policy == UNIK_RESTART_NO, "no");
	ok(unik_restart_parse("always", &r, &err) == 0 && r.policy == UNIK_RESTART_ALWAYS,
	   "always");
	ok(unik_restart_parse("on-failure", &r, &err) == 0 && r.policy == UNIK_RESTART_ON_FAILURE &&
	       r.max == 0,
	   "on-failure: no limit");
	ok(unik_restart_parse("on-failure:3", &r, &err) == 0 && r.max == 3, "on-failure:3");
	unik_restart_format(&r, text, sizeof(text));
	is_str(text, "on-failure:3", "its text");
	for (size_t i = 0; bad[i]; i++)
		ok(unik_restart_parse(bad[i], &r, &err) < 0 && err.code == UNIK_E_INVALID,
		   "'%s' is refused: %s", bad[i], err.msg);
	unik_restart_parse("on-failure:2", &r, NULL);
	ok(unik_restart_wanted(&r, 0, 1) && unik_restart_wanted(&r, 1, -1) &&
	       !unik_restart_wanted(&r, 2, 1) && !unik_restart_wanted(&r, 0, 0),
	   "on-failure:2: a failure (or an unknown status) twice, never a success");
	unik_restart_parse("always", &r, NULL);
	ok(unik_restart_wanted(&r, 99, 0) && unik_restart_wanted(&r, 0, 3), "always: always");
	unik_restart_parse("no", &r, NULL);
	ok(!unik_restart_wanted(&r, 0, 1), "no: never");

	unik_instance_init(&a);
	unik_instance_init(&b);
	a.id = xstrdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	a.name = xstrdup("r");
	a.restart = xstrdup("on-failure:5");
	a.restart_count = 2;
	a.restart_delay_ms = 200;
	a.stopped_by_user = 1;
	j = unik_instance_to_json(&a);
	ok(unik_instance_from_json(j, &b, &err) == 0 && b.restart &&
	       !strcmp(b.restart, "on-failure:5") && b.restart_count == 2 &&
	       b.restart_delay_ms == 200 && b.stopped_by_user,
	   "an instance's policy, count, delay and mark round-trip: %s", err.msg);
	json_object_set_new(j, "restart", json_string("maybe"));
	unik_instance_release(&b);
	unik_instance_init(&b);
	ok(unik_instance_from_json(j, &b, &err) < 0, "a stored policy that is none is refused");
	json_object_set_new(j, "restart", json_string("on-failure:5"));
	json_object_set_new(j, "restart_count", json_integer(-1));
	unik_instance_release(&b);
	unik_instance_init(&b);
	ok(unik_instance_from_json(j, &b, &err) < 0, "a negative count is refused");
	json_decref(j);
	unik_instance_release(&a);
	unik_instance_release(&b);
}

/* Summoning (api/summon.h): durations, the request's object, the
 * instance's round trip and the state shown. */
static void summon_settings(void)
{
	static const char *const bad[] = { "",	  "-1s", "+1s", " 1s",	"1x",  "1 s", "s",
					   "nan", "inf", "8d",	"169h", "1e9", NULL };
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance a, b;
	struct unik_summon sm;
	long long ms = -1;
	json_t *j;

	ok(unik_duration_parse("30s", &ms, &err) == 0 && ms == 30000, "30s");
	ok(unik_duration_parse("500ms", &ms, &err) == 0 && ms == 500, "500ms");
	ok(unik_duration_parse("2m", &ms, &err) == 0 && ms == 120000, "2m");
	ok(unik_duration_parse("1h", &ms, &err) == 0 && ms == 3600000, "1h");
	ok(unik_duration_parse("1.5", &ms, &err) == 0 && ms == 1500, "a bare 1.5: seconds");
	ok(unik_duration_parse("0", &ms, &err) == 0 && ms == 0, "0: never");
	for (size_t i = 0; bad[i]; i++)
		ok(unik_duration_parse(bad[i], &ms, &err) < 0 && err.code == UNIK_E_INVALID,
		   "duration '%s' is refused: %s", bad[i], err.msg);

	ok(unik_summon_from_json(NULL, &sm, &err) == 0 && !sm.enabled, "no object: not summoned");
	j = json_pack("{sfsi}", "idle_timeout", 2.5, "max", 1);
	ok(unik_summon_from_json(j, &sm, &err) == 0 && sm.enabled && sm.idle_timeout_ms == 2500 &&
	       sm.max == 1,
	   "idle_timeout 2.5 s, max 1");
	json_decref(j);
	j = json_object();
	ok(unik_summon_from_json(j, &sm, &err) == 0 && sm.enabled && sm.idle_timeout_ms == 0 &&
	       sm.max == 1,
	   "{}: summoned, never idle-stopped, max 1");
	json_decref(j);
	{
		json_t *bads[] = {
			json_pack("{si}", "idle_timeout", -1),
			json_pack("{ss}", "idle_timeout", "30s"),
			json_pack("{sf}", "idle_timeout", 1e12),
			json_pack("{si}", "max", 0),
			json_pack("{si}", "max", 65),
			json_pack("{sf}", "max", 1.5),
			json_pack("{ss}", "pool", ""),
			json_pack("{ss}", "pool", "../x"),
			json_pack("{si}", "pool", 7),
			json_pack(
			    "{ss}", "pool",
			    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0"),
			json_string("yes"),
			NULL
		};

		for (size_t i = 0; bads[i]; i++) {
			ok(unik_summon_from_json(bads[i], &sm, &err) < 0 &&
			       err.code == UNIK_E_INVALID,
			   "bad summon object %zu refused: %s", i, err.msg);
			json_decref(bads[i]);
		}
	}

	unik_instance_init(&a);
	unik_instance_init(&b);
	a.id = xstrdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	a.name = xstrdup("s");
	a.summon.enabled = 1;
	a.summon.idle_timeout_ms = 1500;
	a.summon.max = 3;
	snprintf(a.summon.pool, sizeof(a.summon.pool), "%s", "00ff");
	is_str(unik_summon_state(&a), "summonable", "never booted: summonable");
	a.started = 1700000000;
	a.state = UNIK_STATE_EXITED;
	is_str(unik_summon_state(&a), "idle", "stopped after it ran: idle");
	a.state = UNIK_STATE_RUNNING;
	is_str(unik_summon_state(&a), "running", "running");
	j = unik_instance_to_json(&a);
	ok(unik_instance_from_json(j, &b, &err) == 0 && b.summon.enabled &&
	       b.summon.idle_timeout_ms == 1500 && b.summon.max == 3 &&
	       !strcmp(b.summon.pool, "00ff"),
	   "an instance's summon settings (a pool member's) round-trip: %s", err.msg);
	is_str(json_string_value(json_object_get(json_object_get(j, "summon"), "state")), "running",
	       "the JSON has the summon state");
	json_decref(j);
	unik_instance_release(&a);
	unik_instance_release(&b);
}

int main(void)
{
	image_roundtrip();
	instance_roundtrip();
	job_and_error();
	run_request();
	names_and_times();
	volume_types();
	restart_policies();
	summon_settings();
	return tap_done();
}
