/* t_lifecycle.c - the daemon's instance lifecycle against the mock
 * providers: create, start, stop, wait, rm and the collection of exits;
 * every 501 path of the dispatch layer; injected provider failures; the
 * provider-neutral network spec; adoption after a restart (the store kept,
 * the daemon's state rebuilt, the mock VMs still running); run_ctx with a
 * missing blob.  The races are in t_races.c. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "../../daemon/images.h"
#include "../../daemon/instance_stats.h"
#include "../../daemon/run_ctx.h"
#include "daemon_fixture.h"
#include "tap.h"

#define USER_NET "[network]\nmode = user\n"

static char *root;
static char *elf, *linux_img;

static void capabilities(void)
{
	const struct unik_provider *p = unik_provider_find("mock");
	const struct unik_provider *none = unik_provider_find("mock-none");
	const struct unik_provider *nostop = unik_provider_find("mock-nostop");
	const struct unik_provider *order[8];
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_config cfg;

	ok(p && unik_provider_find("test") == p, "a provider is found by name and by alias");
	ok(!unik_provider_find("qemu"), "only the test registry's providers exist here");
	is_int(unik_provider_caps(p),
	       UNIK_CAP_RUN | UNIK_CAP_STOP | UNIK_CAP_RESTART | UNIK_CAP_LOGS |
		   UNIK_CAP_EXIT_CODE | UNIK_CAP_NETWORK | UNIK_CAP_USERNET | UNIK_CAP_VOLUMES |
		   UNIK_CAP_VOLUME_HOTPLUG | UNIK_CAP_PUBLISH,
	       "every capability of the full mock comes from its operations and fields");
	is_int(unik_provider_caps(none), 0, "a provider without operations can do nothing");
	is_int(unik_provider_caps(nostop), UNIK_CAP_RUN | UNIK_CAP_RESTART | UNIK_CAP_EXIT_CODE,
	       "without stop(): no stop capability");
	ok(unik_provider_require(none, UNIK_OP_STATUS, &err) < 0 && err.code == UNIK_E_UNSUPPORTED,
	   "require() of a NULL operation is UNSUPPORTED");
	is_str(err.msg, "provider 'mock-none' does not support the operation 'status'",
	       "naming the provider and the operation");
	is_int(unik_errcode_http(UNIK_E_UNSUPPORTED), 501, "which the API answers with 501");

	is_int(unik_provider_auto_order(NULL, order, 8), 2, "two mocks have an auto priority");
	ok(order[0] == p && order[1] == unik_provider_find("mock-proc"),
	   "the higher priority comes first, whatever the registry order");
	is_int(unik_provider_auto_order(UNIK_FORMAT_LINUX_INITRD, order, 8), 1,
	       "only one of them boots linux-initrd");
	ok(unik_provider_auto(NULL, UNIK_FORMAT_UNIK_ELF, &err) == p, "auto picks mock");
	mock_fail("mock", MOCK_PROBE, UNIK_E_UNAVAILABLE, "not here");
	ok(unik_provider_auto(NULL, UNIK_FORMAT_UNIK_ELF, &err) == unik_provider_find("mock-proc"),
	   "auto picks the next when the first is not usable");
	ok(!unik_provider_auto(NULL, UNIK_FORMAT_LINUX_INITRD, &err) &&
	       err.code == UNIK_E_UNAVAILABLE,
	   "and none when no usable one boots the format: %s", err.msg);
	mock_fail("mock", MOCK_PROBE, UNIK_E_OK, NULL);

	unik_config_init(&cfg);
	is_str(unik_provider_default_accel(p, &cfg), "auto", "default accel: auto");
	unik_config_set(&cfg, "mock.accel", "tcg");
	is_str(unik_provider_default_accel(p, &cfg), "tcg", "or the provider's accel_key");
	is_str(unik_provider_default_accel(none, &cfg), "auto", "none without an accel_key");
	unik_config_release(&cfg);
}

/* create, console, stop, start, exit (poller), wait, rm on the in-memory mock */
static void lifecycle_memory(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in, got;
	int got_ok;
	struct strbuf log = STRBUF_INIT;
	char *path, *dir;
	char id[UNIK_ID_LEN + 1];

	unik_instance_init(&got);
	ok(fx_run(d, "hello", NULL, 1, NULL, &in, &err) == 0, "run without a provider: %s",
	   err.msg);
	snprintf(id, sizeof(id), "%s", in.id ? in.id : "");
	is_str(in.provider, "mock", "auto gave it the mock");
	is_int(in.state, UNIK_STATE_RUNNING, "it runs");
	is_int(in.pid, 0, "with no host process");
	is_str(in.accel, "mock", "the accel is what the provider used");
	is_int(mock_vm_running(id), 1, "the mock has its VM running");
	path = instance_log_path(d, id);
	ok(fs_read_file(path, &log, NULL) == 0 && strstr(strbuf_str(&log), "started"),
	   "its console reached the instance log");
	strbuf_release(&log);
	free(path);
	unik_instance_release(&in);

	ok(instance_stop(d, id, 1, &in, &err) == 0, "stop: %s", err.msg);
	is_int(in.state, UNIK_STATE_EXITED, "stop waits for the exit");
	is_int(in.exit_code, 128 + SIGTERM, "collected from the provider");
	is_str(in.message, "stopped", "with its message");
	is_int(mock_vm_running(id), 0, "the VM is stopped");
	unik_instance_release(&in);
	ok(instance_stop(d, id, 1, &in, &err) == 0 && in.state == UNIK_STATE_EXITED,
	   "stopping it again changes nothing");
	unik_instance_release(&in);

	ok(instance_start(d, id, &in, &err) == 0 && in.state == UNIK_STATE_RUNNING,
	   "start again: %s", err.msg);
	unik_instance_release(&in);
	ok(instance_start(d, id, &in, &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "a running instance cannot start: %s", err.msg);
	unik_instance_release(&in);

	ok(mock_vm_end(id, 7) == 0, "the program ends with 7");
	is_int(fx_state(d, id), UNIK_STATE_RUNNING, "unnoticed until the provider is asked");
	instances_poll_unwatched(d);
	got_ok = fx_get(d, id, &got) == 0;
	ok(got_ok && got.state == UNIK_STATE_EXITED && got.exit_code == 7,
	   "the poller asked status() and collected exit code %d", got.exit_code);
	is_str(got.message, "exited", "message from collect()");
	ok(instance_wait(d, id, &in, &err) == 0 && in.exit_code == 7, "wait returns it at once");
	unik_instance_release(&in);

	ok(instance_remove(d, id, 0, &err) == 0, "rm: %s", err.msg);
	is_int(fx_state(d, id), -1, "the record is gone");
	dir = instance_dir(d, id);
	ok(!fs_exists(dir), "and its folder");
	free(dir);
	is_int(mock_vm_running(id), -1, "and remove() made the provider forget its VM");
	unik_instance_release(&got);
}

/* mock-proc: the VM is a host process, the supervisor reports its end */
static void lifecycle_process(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in, got;
	int got_ok;
	char id[UNIK_ID_LEN + 1];
	pid_t pid;

	unik_instance_init(&got);
	ok(fx_run(d, "hello", "mock-proc", 1, NULL, &in, &err) == 0, "run on mock-proc: %s",
	   err.msg);
	snprintf(id, sizeof(id), "%s", in.id ? in.id : "");
	pid = mock_vm_pid(id);
	ok(pid > 0 && in.pid == pid, "the record holds the VM process's pid (%d)", (int)pid);
	ok(supervisor_pid_is_vm(pid, id), "a process that carries the instance id");
	is_int(getsid(pid), pid, "in a session of its own");
	unik_instance_release(&in);
	ok(mock_vm_end(id, 3) == 0, "its program ends with 3");
	ok(fx_wait_state(d, id, UNIK_STATE_EXITED, 10000), "the supervisor noticed");
	got_ok = fx_get(d, id, &got) == 0;
	ok(got_ok && got.exit_code == 3 && got.pid == 0, "and the exit code %d was collected",
	   got.exit_code);

	ok(instance_start(d, id, &in, &err) == 0 && in.pid > 0 && in.pid != pid,
	   "restarted with a new process: %s", err.msg);
	pid = (pid_t)in.pid;
	unik_instance_release(&in);
	ok(instance_remove(d, id, 0, &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "rm of a running instance: %s", err.msg);
	ok(instance_remove(d, id, 1, &err) == 0, "rm -f: %s", err.msg);
	is_int(fx_state(d, id), -1, "the record is gone");
	ok(kill(pid, 0) < 0, "and its process");
	unik_instance_release(&got);
}

/* Stats: from the VM's host process (mock-proc), 501 for a provider whose
 * VMs are none (mock has a status op), 409 once it has exited. */
static void stats(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in;
	char id[UNIK_ID_LEN + 1];
	json_t *s = NULL;

	ok(fx_run(d, "hello", "mock-proc", 1, NULL, &in, &err) == 0, "run on mock-proc: %s",
	   err.msg);
	snprintf(id, sizeof(id), "%s", in.id ? in.id : "");
	ok(instance_stats(d, id, 0, &s, &err) == 0, "stats of a host-process VM: %s", err.msg);
	ok(s && json_integer_value(json_object_get(s, "pid")) == in.pid &&
	       json_integer_value(json_object_get(s, "memory_bytes")) > 0 &&
	       json_integer_value(json_object_get(s, "cpu_ns")) >= 0 &&
	       json_integer_value(json_object_get(s, "memory_limit_bytes")) ==
		   (json_int_t)in.memory_mb << 20,
	   "its pid, RSS, CPU time and the guest's memory");
	json_decref(s);
	s = NULL;
	unik_instance_release(&in);
	ok(mock_vm_end(id, 0) == 0 && fx_wait_state(d, id, UNIK_STATE_EXITED, 10000), "it ends");
	ok(instance_stats(d, id, 0, &s, &err) < 0 && err.code == UNIK_E_CONFLICT &&
	       strstr(err.msg, "not running"),
	   "an exited one is 409: %s", err.msg);
	unik_err_clear(&err);
	ok(instance_remove(d, id, 1, &err) == 0, "rm: %s", err.msg);

	ok(fx_run(d, "hello", "mock", 1, NULL, &in, &err) == 0, "run on mock: %s", err.msg);
	snprintf(id, sizeof(id), "%s", in.id ? in.id : "");
	unik_instance_release(&in);
	ok(instance_stats(d, id, 0, &s, &err) < 0 && err.code == UNIK_E_UNSUPPORTED &&
	       strstr(err.msg, "provider mock") && strstr(err.msg, "host process"),
	   "a VM without a host process is 501, naming the provider: %s", err.msg);
	unik_err_clear(&err);
	ok(instance_remove(d, id, 1, &err) == 0, "rm -f: %s", err.msg);

	struct proc_sample ps;

	ok(proc_sample_read(getpid(), &ps, &err) == 0 && ps.rss_bytes > 0 && ps.threads >= 1,
	   "a sample of this process: %s", err.msg);
	ok(proc_sample_read(0x7ffffff0, &ps, &err) < 0, "no such process: %s", err.msg);
}

/* Every request that needs an operation a provider lacks is 501. */
static void not_supported(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in;
	char id[UNIK_ID_LEN + 1];
	int before = fx_count(d);

	ok(fx_run(d, "hello", "mock-none", 1, NULL, &in, &err) < 0 &&
	       err.code == UNIK_E_UNSUPPORTED,
	   "run on a provider without start(): 501");
	is_str(err.msg, "provider 'mock-none' does not support the operation 'start'",
	       "naming provider and operation");
	is_int(fx_count(d), before, "and no record is left");
	unik_instance_release(&in);

	ok(fx_run(d, "hello", "mock-none", 0, NULL, &in, &err) == 0 &&
	       in.state == UNIK_STATE_CREATED,
	   "create without starting works: %s", err.msg);
	snprintf(id, sizeof(id), "%s", in.id ? in.id : "");
	unik_instance_release(&in);
	ok(instance_start(d, id, &in, &err) < 0 && err.code == UNIK_E_UNSUPPORTED, "start: 501");
	is_str(err.msg, "provider 'mock-none' does not support the operation 'start'",
	       "naming provider and operation");
	is_int(fx_state(d, id), UNIK_STATE_CREATED, "the instance stays created");
	unik_instance_release(&in);
	ok(instance_remove(d, id, 0, &err) == 0, "rm without remove(): nothing to remove");

	ok(fx_run(d, "hello", "mock-nostop", 1, NULL, &in, &err) == 0 &&
	       in.state == UNIK_STATE_RUNNING,
	   "mock-nostop runs: %s", err.msg);
	snprintf(id, sizeof(id), "%s", in.id ? in.id : "");
	unik_instance_release(&in);
	ok(instance_stop(d, id, 1, &in, &err) < 0 && err.code == UNIK_E_UNSUPPORTED, "stop: 501");
	is_str(err.msg, "provider 'mock-nostop' does not support the operation 'stop'",
	       "naming provider and operation");
	is_int(fx_state(d, id), UNIK_STATE_RUNNING, "it still runs, as recorded");
	unik_instance_release(&in);
	ok(instance_remove(d, id, 1, &err) < 0 && err.code == UNIK_E_UNSUPPORTED,
	   "rm -f needs stop(): 501");
	is_int(fx_state(d, id), UNIK_STATE_RUNNING, "and keeps the record");
	instances_poll_unwatched(d);
	is_int(fx_state(d, id), UNIK_STATE_RUNNING, "no status(): the poller leaves it alone");
	ok(mock_vm_end(id, 0) == 0, "its program ends");
	instance_exited(d, id, 0, -1);
	is_int(fx_state(d, id), UNIK_STATE_EXITED, "and once told, the daemon collects it");
	ok(instance_remove(d, id, 0, &err) == 0, "then rm works: %s", err.msg);
}

/* What a provider's failing operation does to the instance. */
static void injected_failures(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in, got;
	int got_ok;
	char id[UNIK_ID_LEN + 1];
	int before = fx_count(d);

	unik_instance_init(&got);
	mock_fail("mock", MOCK_CHECK, UNIK_E_INVALID, "no such run");
	ok(fx_run(d, "hello", "mock", 1, NULL, &in, &err) < 0 && err.code == UNIK_E_INVALID,
	   "check() refuses a run: 400 (%s)", err.msg);
	is_int(fx_count(d), before, "before any record is made");
	mock_fail("mock", MOCK_CHECK, UNIK_E_OK, NULL);
	unik_instance_release(&in);

	mock_fail("mock", MOCK_START, UNIK_E_INTERNAL, "boom");
	ok(fx_run(d, "hello", "mock", 1, NULL, &in, &err) < 0 && strstr(err.msg, "boom"),
	   "a failing start() fails the run: %s", err.msg);
	is_int(fx_count(d), before, "and leaves no record (its client never learns an id)");
	is_int(mock_vms_running(), 0, "nor a VM");
	unik_instance_release(&in);
	ok(fx_run(d, "hello", "mock", 0, NULL, &in, &err) == 0, "created, not started: %s",
	   err.msg);
	snprintf(id, sizeof(id), "%s", in.id ? in.id : "");
	unik_instance_release(&in);
	ok(instance_start(d, id, &in, &err) < 0 && strstr(err.msg, "boom"),
	   "a failing start() of an existing instance: %s", err.msg);
	mock_fail("mock", MOCK_START, UNIK_E_OK, NULL);
	got_ok = fx_get(d, id, &got) == 0;
	ok(got_ok && got.state == UNIK_STATE_EXITED && got.message && strstr(got.message, "boom"),
	   "keeps its record, exited, with the reason");
	is_int(got.pid, 0, "without a pid");
	unik_instance_release(&in);

	mock_fail("mock", MOCK_PROBE, UNIK_E_UNAVAILABLE, "gone fishing");
	ok(instance_start(d, id, &in, &err) < 0 && strstr(err.msg, "is not usable here"),
	   "an unusable provider: %s", err.msg);
	mock_fail("mock", MOCK_PROBE, UNIK_E_OK, NULL);
	unik_instance_release(&in);

	ok(instance_start(d, id, &in, &err) == 0, "then it starts: %s", err.msg);
	unik_instance_release(&in);
	mock_fail("mock", MOCK_STOP, UNIK_E_INTERNAL, "stuck");
	ok(instance_stop(d, id, 1, &in, &err) < 0 && strstr(err.msg, "stuck"),
	   "a failing stop(): %s", err.msg);
	is_int(fx_state(d, id), UNIK_STATE_STOPPING, "leaves it stopping, as a crash would");
	mock_fail("mock", MOCK_STOP, UNIK_E_OK, NULL);
	unik_instance_release(&in);
	mock_fail("mock", MOCK_COLLECT, UNIK_E_INTERNAL, "lost the status");
	ok(instance_stop(d, id, 1, &in, &err) == 0 && in.state == UNIK_STATE_EXITED,
	   "stop again: %s", err.msg);
	ok(in.message && strstr(in.message, "lost the status"),
	   "a failing collect() is the exit's message: %s", in.message ? in.message : "");
	is_int(in.exit_code, 128 + SIGKILL, "the exit of a stop with no status: killed");
	mock_fail("mock", MOCK_COLLECT, UNIK_E_OK, NULL);
	unik_instance_release(&in);

	mock_fail("mock", MOCK_REMOVE, UNIK_E_UNAVAILABLE, "try later");
	ok(instance_remove(d, id, 0, &err) < 0 && strstr(err.msg, "try later"),
	   "a failing remove(): %s", err.msg);
	is_int(fx_state(d, id), UNIK_STATE_EXITED, "keeps the record");
	mock_fail("mock", MOCK_REMOVE, UNIK_E_OK, NULL);
	ok(instance_remove(d, id, 0, &err) == 0, "then rm works");
	unik_instance_release(&got);
}

/* Which network mode a provider's guests get: on the daemon's bridge a tap
 * where the provider takes one, else its own interface on the bridge (the
 * xen provider's vif); without a bridge only the user-mode network. */
static void network_modes(void)
{
	static const struct unik_provider bridge_only = { .name = "bridge-only",
							  .net_modes =
							      UNIK_NET_MODE_BIT(UNIK_NET_BRIDGE) };
	static const struct unik_provider tap_and_bridge = {
		.name = "tap-and-bridge",
		.net_modes = UNIK_NET_MODE_BIT(UNIK_NET_TAP) | UNIK_NET_MODE_BIT(UNIK_NET_BRIDGE)
	};
	const struct unik_provider *mock = unik_provider_find("mock");
	const struct unik_provider *none = unik_provider_find("mock-none");

	is_int(network_mode_for(1, mock), UNIK_NET_TAP, "bridged: a tap for a tap provider");
	is_int(network_mode_for(0, mock), UNIK_NET_USER, "no bridge: its user-mode network");
	is_int(network_mode_for(1, &bridge_only), UNIK_NET_BRIDGE,
	       "bridged: the provider's own interface when it takes no tap");
	is_int(network_mode_for(0, &bridge_only), UNIK_NET_NONE,
	       "no bridge: nothing for a provider that can only attach to one");
	is_int(network_mode_for(1, &tap_and_bridge), UNIK_NET_TAP, "a tap comes first");
	is_int(network_mode_for(1, none), UNIK_NET_NONE, "a provider without network: none");
	ok(unik_provider_caps(&bridge_only) & UNIK_CAP_NETWORK,
	   "attaching to the bridge is the network capability");
	ok(!(unik_provider_caps(&bridge_only) & UNIK_CAP_USERNET), "and not the user-mode one");
}

/* The daemon says "publish host:guest"; the provider does the rest. */
static void network_spec(struct unikd *d)
{
	static const char *const ports[] = { "127.0.0.1:47913:80", NULL };
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in;
	enum unik_net_mode mode = UNIK_NET_NONE;
	char first[64];
	char id[UNIK_ID_LEN + 1];

	ok(fx_run(d, "hello", "mock", 1, ports, &in, &err) == 0, "run with -p: %s", err.msg);
	snprintf(id, sizeof(id), "%s", in.id ? in.id : "");
	is_int(mock_vm_net(id, &mode, first, sizeof(first)), 1, "the provider got one port");
	is_int(mode, UNIK_NET_USER, "on its own user-mode network (no bridge here)");
	is_str(first, "127.0.0.1:47913-80", "as host address, host port and guest port");
	ok(!in.address, "the daemon gave no address: the provider's network does");
	unik_instance_release(&in);
	ok(instance_remove(d, id, 1, &err) == 0, "rm -f");

	ok(fx_run(d, "hello", "mock-proc", 1, ports, &in, &err) < 0 &&
	       err.code == UNIK_E_UNSUPPORTED,
	   "a provider without this network mode cannot publish: %s", err.msg);
	ok(strstr(err.msg, "no network support in this mode") != NULL, "and says why");
	is_int(fx_state(d, in.id), -1, "and the refused run left no record");
	unik_instance_release(&in);
	ok(fx_run(d, "hello", "mock-proc", 1, NULL, &in, &err) == 0, "without -p it runs");
	snprintf(id, sizeof(id), "%s", in.id ? in.id : "");
	is_int(mock_vm_net(id, &mode, first, sizeof(first)), 0, "with no port");
	is_int(mode, UNIK_NET_NONE, "and no network");
	unik_instance_release(&in);
	ok(instance_remove(d, id, 1, &err) == 0, "rm -f");
}

/* run_ctx for an instance whose image lost its blob. */
static void missing_blob(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in;
	struct unik_image im;
	struct run_ctx rc;
	char id[UNIK_ID_LEN + 1];
	char *blob;

	unik_image_init(&im);
	ok(fx_run(d, "lonely", "mock", 1, NULL, &in, &err) == 0, "run: %s", err.msg);
	snprintf(id, sizeof(id), "%s", in.id ? in.id : "");
	store_image_get(d->store, in.image, &im, NULL);
	ok(blobs_path(d->state_dir, im.kernel, &blob, NULL) == 0 && unlink(blob) == 0,
	   "its kernel blob disappears");
	free(blob);
	ok(run_ctx_init(d, &in, 0, &rc, &err) == 0, "run_ctx without need_image: 0");
	ok(rc.spec.id && !strcmp(rc.spec.id, in.id) && rc.spec.dir && rc.spec.log_path &&
	       rc.spec.name,
	   "with id, name, folder and log for the provider");
	ok(!rc.spec.kernel && rc.spec.format, "no artifact, but the format");
	run_ctx_release(&rc);
	ok(run_ctx_init(d, &in, 1, &rc, &err) < 0 && err.code == UNIK_E_NOT_FOUND,
	   "with need_image: %s", err.msg);
	unik_instance_release(&in);
	ok(instance_stop(d, id, 1, &in, &err) == 0 && in.state == UNIK_STATE_EXITED,
	   "stop still works: %s", err.msg);
	unik_instance_release(&in);
	ok(instance_start(d, id, &in, &err) < 0 && err.code == UNIK_E_NOT_FOUND,
	   "start does not: %s", err.msg);
	ok(instance_remove(d, id, 0, &err) == 0, "rm works: %s", err.msg);
	unik_instance_release(&in);
	unik_image_release(&im);
}

/* Images published to the provider before their first start (publish()),
 * once; unpublished when the image is removed. */
static void publishing(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance a, b;
	struct strbuf log = STRBUF_INIT;
	char *img = fx_image(d, "published", UNIK_FORMAT_UNIK_ELF);
	char *img2 = fx_image(d, "published-2", UNIK_FORMAT_UNIK_ELF);
	char ida[UNIK_ID_LEN + 1], idb[UNIK_ID_LEN + 1], idc[UNIK_ID_LEN + 1];
	char got[128], want[64], *path, *rid;
	struct unik_image im;
	int calls = mock_calls(MOCK_PUBLISH), copies = mock_published();

	unik_image_init(&im);

	snprintf(want, sizeof(want), "mock-image-%.12s", img);
	ok(fx_run(d, img, "mock", 1, NULL, &a, &err) == 0, "run of a new image: %s", err.msg);
	snprintf(ida, sizeof(ida), "%s", a.id ? a.id : "");
	is_int(mock_calls(MOCK_PUBLISH), calls + 1, "the image was published first");
	is_int(mock_published(), copies + 1, "the provider has its copy");
	ok(mock_vm_published(ida, got, sizeof(got)) == 0 && !strcmp(got, want),
	   "start() was given the reference: %s", got);
	path = instance_err_path(d, ida); /* the daemon's lines go to the second log */
	ok(fs_read_file(path, &log, NULL) == 0 &&
	       strstr(strbuf_str(&log), "unik: mock: copying the image"),
	   "the publication's progress is in the instance's second log (its stderr)");
	strbuf_release(&log);
	free(path);
	unik_instance_release(&a);
	ok(instance_stop(d, ida, 1, &a, &err) == 0, "stop: %s", err.msg);
	unik_instance_release(&a);
	ok(instance_start(d, ida, &a, &err) == 0, "start again: %s", err.msg);
	unik_instance_release(&a);
	ok(fx_run(d, img, "mock", 1, NULL, &b, &err) == 0, "a second instance: %s", err.msg);
	snprintf(idb, sizeof(idb), "%s", b.id ? b.id : "");
	unik_instance_release(&b);
	is_int(mock_calls(MOCK_PUBLISH), calls + 1, "neither published it again");
	ok(mock_vm_published(idb, got, sizeof(got)) == 0 && !strcmp(got, want),
	   "and both were given the same reference");

	mock_fail("mock", MOCK_PUBLISH, UNIK_E_UNAVAILABLE, "the cloud is down");
	ok(fx_run(d, img2, "mock", 1, NULL, &b, &err) < 0 && err.code == UNIK_E_UNAVAILABLE &&
	       strstr(err.msg, "publishing image") && strstr(err.msg, "the cloud is down"),
	   "a publication that fails fails the start: %s", err.msg);
	unik_instance_release(&b);
	{ /* the record of the refused start */
		struct unik_instance *v;
		size_t n;

		if (store_instance_list(d->store, &v, &n, NULL) == 0) {
			for (size_t i = 0; i < n; i++)
				if (v[i].image && !strcmp(v[i].image, img2))
					instance_remove(d, v[i].id, 1, &err);
			store_instances_free(v, n);
		}
	}
	mock_fail("mock", MOCK_PUBLISH, UNIK_E_OK, NULL);
	ok(fx_run(d, img2, "mock", 1, NULL, &b, &err) == 0, "and is tried again: %s", err.msg);
	is_int(mock_calls(MOCK_PUBLISH), calls + 3, "by the next start");
	snprintf(idc, sizeof(idc), "%s", b.id ? b.id : "");
	unik_instance_release(&b);

	ok(images_remove(d, img, 0, &rid, &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "an image in use is not removed: %s", err.msg);
	is_int(mock_published(), copies + 2, "nor unpublished");
	ok(instance_remove(d, ida, 1, &err) == 0 && instance_remove(d, idb, 1, &err) == 0 &&
	       instance_remove(d, idc, 1, &err) == 0,
	   "its instances removed: %s", err.msg);
	mock_fail("mock", MOCK_UNPUBLISH, UNIK_E_UNAVAILABLE, "the cloud is down");
	ok(images_remove(d, img, 0, &rid, &err) < 0 && err.code == UNIK_E_UNAVAILABLE &&
	       strstr(err.msg, want),
	   "when its copy cannot be removed, the image is not: %s", err.msg);
	ok(store_image_get(d->store, img, &im, NULL) == 0, "it is still there");
	unik_image_release(&im);
	is_int(mock_published(), copies + 2, "and so is its copy");
	ok(images_remove(d, img2, 1, &rid, &err) == 0, "with force it is: %s", err.msg);
	free(rid);
	is_int(mock_published(), copies + 2, "its copy left behind (the log says which)");
	mock_fail("mock", MOCK_UNPUBLISH, UNIK_E_OK, NULL);
	ok(images_remove(d, img, 0, &rid, &err) == 0, "then removed: %s", err.msg);
	free(rid);
	is_int(mock_published(), copies + 1, "with its copy");
	ok(store_image_get(d->store, img, &im, NULL) < 0, "the image is gone");
	unik_image_release(&im);
	free(img);
	free(img2);
}

/* Restarts: the store kept, the daemon's state rebuilt, VMs still running. */
static void adoption(struct unikd *d)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance a, b, c, e, s, t, got;
	int got_ok;
	pid_t bpid;

	unik_instance_init(&got);
	ok(fx_run(d, "hello", "mock", 1, NULL, &a, &err) == 0, "A runs on mock");
	ok(fx_run(d, "hello", "mock-proc", 1, NULL, &b, &err) == 0, "B runs on mock-proc");
	ok(fx_run(d, "hello", "mock", 0, NULL, &c, &err) == 0, "C is created");
	ok(fx_run(d, "hello", "mock", 1, NULL, &e, &err) == 0, "E runs on mock");
	ok(fx_run(d, "hello", "mock", 1, NULL, &s, &err) == 0, "S runs on mock");
	ok(fx_run(d, "hello", "mock", 1, NULL, &t, &err) == 0, "T runs on mock");
	bpid = mock_vm_pid(b.id);
	fx_down(d);
	/* what a daemon killed at the wrong moment, or down a while, leaves */
	ok(mock_vm_end(e.id, 4) == 0, "E's program ends while the daemon is down");
	s.state = UNIK_STATE_STOPPING;
	t.state = UNIK_STATE_STARTING;
	{
		struct store *st;
		char *db = xasprintf("%s/unik.db", root);

		ok(store_open(&st, db, &err) == 0 && store_instance_put(st, &s, &err) == 0 &&
		       store_instance_put(st, &t, &err) == 0,
		   "S was being stopped, T started, when the daemon died");
		store_close(st);
		free(db);
	}
	ok(fx_up(d, root, USER_NET) == 0, "the daemon comes back");
	got_ok = fx_get(d, a.id, &got) == 0;
	ok(got_ok && got.state == UNIK_STATE_RUNNING, "A is adopted (its provider says it runs)");
	got_ok = fx_get(d, b.id, &got) == 0;
	ok(got_ok && got.state == UNIK_STATE_RUNNING && got.pid == bpid,
	   "B is adopted by its pid %d", (int)bpid);
	is_int(fx_state(d, c.id), UNIK_STATE_CREATED, "C stays created");
	got_ok = fx_get(d, e.id, &got) == 0;
	ok(got_ok && got.state == UNIK_STATE_EXITED && got.exit_code == 4,
	   "E's end is collected: exit code %d", got.exit_code);
	got_ok = fx_get(d, s.id, &got) == 0;
	ok(got_ok && got.state == UNIK_STATE_EXITED, "S's stop is finished");
	is_int(mock_vm_running(s.id), 0, "its VM is stopped");
	got_ok = fx_get(d, t.id, &got) == 0;
	ok(got_ok && got.state == UNIK_STATE_EXITED && got.message &&
	       strstr(got.message, "start interrupted"),
	   "T's start is undone: %s", got.message ? got.message : "");
	is_int(mock_vm_running(t.id), 0, "and its VM ended");

	ok(mock_vm_end(a.id, 5) == 0, "A's program ends after the restart");
	instances_poll_unwatched(d);
	got_ok = fx_get(d, a.id, &got) == 0;
	ok(got_ok && got.exit_code == 5, "and is collected (5)");
	ok(mock_vm_end(b.id, 6) == 0, "B's too");
	ok(fx_wait_state(d, b.id, UNIK_STATE_EXITED, 10000), "the new supervisor noticed");
	got_ok = fx_get(d, b.id, &got) == 0;
	ok(got_ok && got.exit_code == 6, "not our child any more: collect() still tells %d",
	   got.exit_code);
	if (bpid > 0)
		waitpid(bpid, NULL, 0); /* ours after all, in this test */
	{
		const char *ids[] = { a.id, b.id, c.id, e.id, s.id, t.id };

		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			if (instance_remove(d, ids[i], 1, &err))
				printf("# rm -f %zu: %s\n", i, err.msg);
	}
	if (!ok(fx_count(d) == 0, "everything removed")) {
		struct unik_instance *v;
		size_t n;

		if (store_instance_list(d->store, &v, &n, NULL) == 0) {
			for (size_t i = 0; i < n; i++)
				printf("#   left: %s on %s, %s\n", v[i].name, v[i].provider,
				       unik_state_name(v[i].state));
			store_instances_free(v, n);
		}
	}
	is_int(mock_vms_running(), 0, "no mock VM runs");
	unik_instance_release(&a);
	unik_instance_release(&b);
	unik_instance_release(&c);
	unik_instance_release(&e);
	unik_instance_release(&s);
	unik_instance_release(&t);
	unik_instance_release(&got);
}

/* A call that never returns (a lock held across a provider call) fails
 * the test instead of hanging the suite. */
static void timed_out(int sig)
{
	static const char msg[] = "Bail out! timed out: a lifecycle call never returned\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

int main(void)
{
	struct unikd d;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, timed_out);
	alarm(300);
	setvbuf(stderr, NULL, _IOLBF, 0); /* the daemon's log lines stay whole beside TAP's */
	capabilities();
	network_modes();
	root = fx_root();
	if (!ok(fx_up(&d, root, USER_NET) == 0, "the daemon's state is up"))
		return tap_done();
	elf = fx_image(&d, "hello", UNIK_FORMAT_UNIK_ELF);
	linux_img = fx_image(&d, "lonely", UNIK_FORMAT_LINUX_INITRD);
	lifecycle_memory(&d);
	lifecycle_process(&d);
	stats(&d);
	not_supported(&d);
	injected_failures(&d);
	network_spec(&d);
	missing_blob(&d);
	publishing(&d);
	adoption(&d);
	fx_down(&d);
	mock_reset();
	fs_remove_tree(root, NULL);
	free(root);
	free(elf);
	free(linux_img);
	return tap_done();
}
