/* t_oci_runtime.c - unik-runtime's readers of hostile input (oci/runtime/):
 * config.json (bundle.c), /unik/image.json (image.c), container ids and the
 * state record (state.c), and the monitor's command line (monitor.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../oci/runtime/rt.h"
#include "tap.h"

static char dir[] = "/tmp/t_oci_runtime.XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

/* Loads config.json with `text`; returns the rc, err's message in why. */
static int load(const char *text, struct rt_bundle *b, char *why, size_t n)
{
	struct unik_err err = UNIK_ERR_INIT;
	int rc;

	put("config.json", text);
	rc = rt_bundle_load(dir, b, &err);
	snprintf(why, n, "%s", err.msg);
	return rc;
}

static void refuses(const char *text, const char *want, const char *what)
{
	struct rt_bundle b;
	char why[1100];
	int rc = load(text, &b, why, sizeof(why));

	ok(rc < 0 && strstr(why, want), "config.json refused: %s", what);
	if (rc == 0 || !strstr(why, want))
		printf("#   message '%s', want '%s'\n", why, want);
	rt_bundle_release(&b);
}

#define ROOT_OK "\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"}"

static void test_bundle(void)
{
	struct rt_bundle b;
	char why[1100];

	ok(load("{" ROOT_OK ",\"process\":{\"args\":[\"/unik/kernel\",\"a b\"],\"env\":[\"K=V\"],"
		"\"terminal\":true},\"linux\":{\"resources\":{\"memory\":{\"limit\":67108864}},"
		"\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/run/netns/"
		"x\"}]},"
		"\"mounts\":[{\"destination\":\"/etc/resolv.conf\",\"source\":\"/etc/r.conf\"}],"
		"\"annotations\":{\"org.unik.provider\":\"hvt\"},"
		"\"hooks\":{\"prestart\":[{\"path\":\"/bin/"
		"true\",\"args\":[\"true\"],\"timeout\":5}]}}",
		&b, why, sizeof(why)) == 0,
	   "a full config.json loads (%s)", why);
	is_int(b.args.n, 2, "process.args");
	is_str(b.args.v[1], "a b", "an argument keeps its space");
	is_int(b.env.n, 1, "process.env");
	is_int(b.terminal, 1, "process.terminal");
	is_int(b.mem_limit, 64 << 20, "the memory limit");
	is_int(b.netns, 2, "the network namespace is joined");
	is_str(b.netns_path, "/run/netns/x", "at its path");
	is_str(b.resolv_conf, "/etc/r.conf", "resolv.conf's source");
	is_str(rt_annotation(&b.ann_keys, &b.ann_values, "org.unik.provider"), "hvt",
	       "the annotation");
	is_int(b.n_hooks[RT_HOOK_PRESTART], 1, "one prestart hook");
	is_int(b.hooks[RT_HOOK_PRESTART][0].timeout_s, 5, "  with its timeout");
	ok(!strncmp(b.rootfs, dir, strlen(dir)) && strstr(b.rootfs, "/rootfs"),
	   "a relative root.path is under the bundle");
	rt_bundle_release(&b);

	ok(load("{" ROOT_OK "}", &b, why, sizeof(why)) == 0 && b.netns == 0 && !b.args.n,
	   "a config.json without process or linux loads");
	rt_bundle_release(&b);

	refuses("", "config.json", "empty");
	refuses("[1,2]", "not an object", "a list");
	refuses("{\"ociVersion\":\"2.0\",\"root\":{\"path\":\"r\"}}", "ociVersion", "version 2");
	refuses("{\"ociVersion\":\"1.0.2\"}", "root.path", "no root");
	refuses("{" ROOT_OK ",\"root\":{\"path\":\"x\"}}", "config.json", "duplicate keys");
	refuses("{" ROOT_OK ",\"process\":{\"args\":[1]}}", "process.args", "a number as argument");
	refuses("{" ROOT_OK ",\"process\":{\"args\":[\"a\\u0000b\"]}}", "NUL",
		"an argument with a NUL byte");
	refuses("{" ROOT_OK ",\"process\":{\"env\":[\"=x\"]}}", "KEY=VALUE", "env without a key");
	refuses("{" ROOT_OK ",\"process\":{\"terminal\":\"yes\"}}", "terminal",
		"terminal not a boolean");
	refuses("{" ROOT_OK ",\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}", "limit",
		"a memory limit as a string");
	refuses("{" ROOT_OK
		",\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"rel\"}]}}",
		"absolute", "a relative namespace path");
	refuses("{" ROOT_OK ",\"linux\":{\"namespaces\":[{\"type\":\"network\"},{\"type\":"
		"\"network\"}]}}",
		"twice", "two network namespaces");
	refuses("{" ROOT_OK ",\"linux\":{\"namespaces\":[{\"path\":\"/x\"}]}}", "no type",
		"a namespace without a type");
	refuses("{" ROOT_OK ",\"annotations\":{\"a\":1}}", "annotations", "an annotation number");
	refuses("{" ROOT_OK ",\"hooks\":{\"prestart\":[{\"path\":\"rel\"}]}}", "absolute",
		"a relative hook path");
	refuses("{" ROOT_OK ",\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"timeout\":0}]}}",
		"timeout", "a zero hook timeout");
	refuses("{" ROOT_OK ",\"hooks\":{\"prestart\":{}}}", "hooks", "hooks not a list");
	refuses("{" ROOT_OK ",\"mounts\":[\"x\"]}", "mounts", "a mount not an object");
	{
		/* more entries than the bound */
		size_t n = 5000 * 5 + 200;
		char *big = malloc(n), *p = big;

		p += snprintf(p, n, "{" ROOT_OK ",\"process\":{\"args\":[");
		for (int i = 0; i < 5000; i++)
			p += snprintf(p, n - (size_t)(p - big), "%s\"a\"", i ? "," : "");
		snprintf(p, n - (size_t)(p - big), "]}}");
		refuses(big, "too many", "5000 arguments");
		free(big);
	}
}

static int find(struct rt_bundle *b, struct rt_image *img, char *why, size_t n)
{
	struct unik_err err = UNIK_ERR_INIT;
	int fd, rc = rt_image_find(b, img, &fd, &err);

	if (fd >= 0)
		close(fd);
	snprintf(why, n, "%s", err.msg);
	return rc;
}

static void test_image(void)
{
	struct rt_bundle b;
	struct rt_image img;
	char why[1100];
	int rc;

	load("{" ROOT_OK "}", &b, why, sizeof(why));
	is_int(find(&b, &img, why, sizeof(why)), 0, "no rootfs: not a unik image");
	rt_image_release(&img);
	put("rootfs", "");
	unlink(b.rootfs);
	mkdir(b.rootfs, 0755);
	is_int(find(&b, &img, why, sizeof(why)), 0, "a rootfs without /unik: not a unik image");
	rt_image_release(&img);
	put("rootfs/unik", "");
	snprintf(why, sizeof(why), "%s/unik", b.rootfs); /* why as scratch */
	unlink(why);
	mkdir(why, 0755);
	put("rootfs/unik/image.json", "{\"format\":\"unik-elf\",\"kernel\":\"kernel\",\"args\":"
				      "[\"x\"],\"memory_mb\":48,\"provider\":\"hvt\",\"new\":1}");
	rc = find(&b, &img, why, sizeof(why));
	ok(rc == 1, "a unik image is found (%s)", why);
	is_str(img.kernel, "kernel", "its kernel");
	is_int(img.args.n, 1, "its default arguments");
	is_int(img.memory_mb, 48, "its memory");
	is_str(img.provider, "hvt", "its provider");
	rt_image_release(&img);

	static const struct {
		const char *json, *want, *what;
	} bad[] = {
		{ "{\"format\":\"linux-initrd\",\"kernel\":\"k\"}", "unik-elf", "another format" },
		{ "{\"kernel\":\"k\"}", "format", "no format" },
		{ "{\"format\":\"unik-elf\",\"kernel\":\"a/b\"}", "file name", "a kernel path" },
		{ "{\"format\":\"unik-elf\",\"kernel\":\"..\"}", "file name", "kernel .." },
		{ "{\"format\":\"unik-elf\",\"kernel\":\"k\",\"initrd\":\"i\"}", "initrd",
		  "an initrd" },
		{ "{\"format\":\"unik-elf\",\"kernel\":\"k\",\"args\":\"x\"}", "args",
		  "args not a list" },
		{ "{\"format\":\"unik-elf\",\"kernel\":\"k\",\"memory_mb\":1}", "memory_mb",
		  "1 MiB" },
		{ "{\"format\":\"unik-elf\",\"kernel\":\"k\",\"memory_mb\":99999}", "memory_mb",
		  "too much memory" },
		{ "{\"format\":\"unik-elf\",\"kernel\":\"k\",\"provider\":\"../x\"}", "provider",
		  "a provider path" },
		{ "{\"format\":\"unik-elf\",\"format\":\"unik-elf\",\"kernel\":\"k\"}",
		  "image.json", "duplicate keys" },
		{ "nope", "image.json", "not JSON" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("rootfs/unik/image.json", bad[i].json);
		rc = find(&b, &img, why, sizeof(why));
		ok(rc < 0 && strstr(why, bad[i].want), "image.json refused: %s", bad[i].what);
		if (rc >= 0 || !strstr(why, bad[i].want))
			printf("#   rc %d, message '%s'\n", rc, why);
		rt_image_release(&img);
	}
	rt_bundle_release(&b);
	/* an annotation naming a folder that does not exist is an error */
	load("{" ROOT_OK ",\"annotations\":{\"org.unik.image\":\"/elsewhere/\"}}", &b, why,
	     sizeof(why));
	rc = find(&b, &img, why, sizeof(why));
	ok(rc < 0 && strstr(why, "elsewhere/image.json"), "org.unik.image names a missing folder");
	rt_image_release(&img);
	rt_bundle_release(&b);
}

static void test_monitor(void)
{
	struct rt_ctx ctx = { 0 };
	struct unik_err err = UNIK_ERR_INIT;
	struct rt_bundle b;
	struct rt_image img = { 0 };
	struct strv argv = STRV_INIT;
	char why[1100];
	size_t i;

	unik_config_init(&ctx.cfg);
	unik_config_set(&ctx.cfg, "spt.monitor", "/bin/true");
	unik_config_set(&ctx.cfg, "spt.user", "root");
	strv_push(&img.args, "dflt");
	load("{" ROOT_OK ",\"process\":{\"args\":[\"/unik/kernel\"],\"env\":[\"A=1 2\"]}}", &b, why,
	     sizeof(why));
	ok(rt_monitor_argv(&ctx, &b, &img, "spt", 7, NULL, &argv, &err) == 0, "spt argv (%s)",
	   err.msg);
	is_str(argv.v[0], "/bin/true", "the configured monitor");
	is_str(argv.v[2], "64", "the default memory");
	is_str(argv.v[3], "/proc/self/fd/7", "the kernel by its fd");
	is_str(argv.v[5], "unik.arg=dflt unik.env=A%3D1%202",
	       "only args[0]: the image's default arguments; env encoded");
	strv_release(&argv);
	rt_bundle_release(&b);

	load("{" ROOT_OK ",\"process\":{\"args\":[\"/unik/kernel\",\"x\"]},\"linux\":{"
	     "\"resources\":{\"memory\":{\"limit\":8589934592}}}}",
	     &b, why, sizeof(why));
	{
		struct rt_net net = { .tap = "tap9",
				      .mac = "02:00:00:00:00:01",
				      .addr = "10.0.0.2",
				      .gateway = "10.0.0.1",
				      .prefix = 24 };

		ok(rt_monitor_argv(&ctx, &b, &img, "spt", 3, &net, &argv, &err) == 0,
		   "spt argv with a network");
		is_str(argv.v[2], "3072", "a limit above the most: the most");
		for (i = 0; i < argv.n && strcmp(argv.v[i], "--net-tap"); i++)
			;
		ok(i + 3 < argv.n && !strcmp(argv.v[i + 1], "tap9") &&
		       !strcmp(argv.v[i + 3], "02:00:00:00:00:01"),
		   "--net-tap and --net-mac");
		is_str(argv.v[argv.n - 1], "unik.arg=x unik.ip=10.0.0.2/24 unik.gw=10.0.0.1",
		       "args[1:] replace the defaults; the network's words");
		strv_release(&argv);
	}
	ok(rt_monitor_argv(&ctx, &b, &img, "xen", 3, NULL, &argv, &err) < 0 &&
	       strstr(err.msg, "spt, hvt or qemu"),
	   "another provider is refused");
	strv_release(&argv);
	unik_config_set(&ctx.cfg, "qemu.binary", "/bin/true");
	unik_config_set(&ctx.cfg, "qemu.user", "root");
	ok(rt_monitor_argv(&ctx, &b, &img, "qemu", 4, NULL, &argv, &err) == 0, "qemu argv (%s)",
	   err.msg);
	is_str(argv.v[0], "/bin/true", "the configured qemu");
	for (i = 0; i < argv.n && strcmp(argv.v[i], "-kernel"); i++)
		;
	ok(i + 3 < argv.n && !strcmp(argv.v[i + 1], "/proc/self/fd/4") &&
	       !strcmp(argv.v[i + 3], "unik.arg=x"),
	   "qemu: the kernel by its fd, the words in -append");
	ok(strv_find(&argv, "isa-serial,chardev=status,iobase=0x2f8,irq=3") >= 0,
	   "qemu: the status port");
	strv_release(&argv);
	rt_bundle_release(&b);
	strv_release(&img.args);
	unik_config_release(&ctx.cfg);
}

static void test_state(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct rt_ctx ctx = { .root = dir };
	struct rt_state st = { 0 }, back;
	char *json, path[600];
	int zombie;

	ok(rt_id_ok("abc-1.2_x+y", &err) == 0, "a runc-style id");
	ok(rt_id_ok("../x", &err) < 0, "an id with a slash is refused");
	ok(rt_id_ok("..", &err) < 0, "'..' is refused");
	ok(rt_id_ok("", &err) < 0, "an empty id is refused");
	ok(rt_proc_start_time(getpid(), &zombie) > 0 && !zombie, "our own start time");
	snprintf(path, sizeof(path), "%s/c1", dir);
	mkdir(path, 0700);
	st.id = "c1";
	st.bundle = "/b";
	st.rootfs = "/b/rootfs";
	st.created = "2026-01-01T00:00:00Z";
	st.provider = "spt";
	st.pid = getpid();
	st.start_time = rt_proc_start_time(getpid(), &zombie);
	ok(rt_state_save(&ctx, &st, &err) == 0, "state saved");
	is_int(rt_state_load(&ctx, "c1", &back, &err), 1, "state loaded");
	is_int(back.pid, getpid(), "  its pid");
	is_int(rt_status_of(&ctx, &back), RT_RUNNING, "alive, no fifo: running");
	back.start_time++;
	is_int(rt_status_of(&ctx, &back), RT_STOPPED, "another start time: stopped (pid reused)");
	back.start_time--;
	json = rt_state_json(&ctx, &back, 0);
	ok(strstr(json, "\"status\":\"running\"") && strstr(json, "\"ociVersion\""),
	   "the state JSON");
	free(json);
	rt_state_release(&back);
	is_int(rt_state_load(&ctx, "nope", &back, &err), 0, "no record: not ours");
	put("c1/unik.json", "{broken");
	is_int(rt_state_load(&ctx, "c1", &back, &err), -1, "a broken record is an error");
}

int main(void)
{
	struct unik_err err = UNIK_ERR_INIT;

	if (!mkdtemp(dir))
		return 1;
	test_bundle();
	test_image();
	test_monitor();
	test_state();
	fs_remove_tree(dir, &err);
	return tap_done();
}
