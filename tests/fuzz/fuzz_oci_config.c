/* fuzz_oci_config.c - what unik-runtime reads of a bundle (oci/runtime/):
 * config.json (bundle.c) and the rootfs's /unik/image.json (image.c), and
 * the monitor command line made of them (monitor.c).
 *
 * Input: the file's bytes; the first byte picks which file (even:
 * config.json, odd: image.json), the rest is its text.
 * Promises checked:
 *   - a refused file gets UNIK_E_INVALID and a message;
 *   - an accepted config.json holds no more entries than the bounds, only
 *     KEY=VALUE environment entries, absolute hook and namespace paths, and
 *     its rootfs lies under the bundle or is absolute;
 *   - an accepted image.json is unik-elf with a kernel that is a plain file
 *     name, and memory in 2..3072 MiB;
 *   - with a config.json accepted, the monitor's argv is made or refused
 *     with a message, never longer than the boot command line allows.
 */
#include <string.h>

#include "../../abi/hvt_abi.h"
#include "../../oci/runtime/rt.h"
#include "fuzz.h"

static void config(const char *text, size_t len)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct rt_ctx ctx = { 0 };
	struct rt_image img = { 0 };
	struct strv argv = STRV_INIT;
	struct rt_bundle b;

	if (rt_bundle_parse(text, len, "/bundle", &b, &err)) {
		FUZZ_CHECK(err.code == UNIK_E_INVALID && err.msg[0], "refused without a message");
		rt_bundle_release(&b);
		return;
	}
	FUZZ_CHECK(b.rootfs && (b.rootfs[0] == '/'), "rootfs '%s' not absolute", b.rootfs);
	FUZZ_CHECK(b.args.n <= 4096 && b.env.n <= 4096, "%zu args, %zu env kept", b.args.n,
		   b.env.n);
	for (size_t i = 0; i < b.env.n; i++)
		FUZZ_CHECK(strchr(b.env.v[i], '=') && b.env.v[i][0] != '=', "env '%s' kept",
			   b.env.v[i]);
	FUZZ_CHECK(b.netns != 2 || (b.netns_path && b.netns_path[0] == '/'),
		   "namespace path not absolute");
	for (int k = 0; k < RT_HOOK_KINDS; k++) {
		FUZZ_CHECK(b.n_hooks[k] <= RT_MAX_HOOKS, "%zu hooks kept", b.n_hooks[k]);
		for (size_t i = 0; i < b.n_hooks[k]; i++)
			FUZZ_CHECK(b.hooks[k][i].path && b.hooks[k][i].path[0] == '/',
				   "hook path not absolute");
	}
	FUZZ_CHECK(b.mem_limit >= 0, "negative memory limit kept");
	unik_config_init(&ctx.cfg);
	unik_config_set(&ctx.cfg, "spt.monitor", "/bin/true");
	unik_config_set(&ctx.cfg, "spt.user", "root");
	strv_push(&img.args, "default");
	if (rt_monitor_argv(&ctx, &b, &img, "spt", 3, NULL, &argv, &err) == 0) {
		FUZZ_CHECK(argv.n >= 4, "a short argv");
		FUZZ_CHECK(strlen(argv.v[argv.n - 1]) < HVT_CMDLINE_MAX,
			   "a boot command line of %zu bytes", strlen(argv.v[argv.n - 1]));
	} else {
		FUZZ_CHECK(err.msg[0], "argv refused without a message");
	}
	strv_release(&argv);
	strv_release(&img.args);
	unik_config_release(&ctx.cfg);
	rt_bundle_release(&b);
}

static void image(const char *text, size_t len)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct rt_image img = { 0 };

	if (rt_image_parse(text, len, &img, &err)) {
		FUZZ_CHECK(err.code == UNIK_E_INVALID && err.msg[0], "refused without a message");
	} else {
		FUZZ_CHECK(img.format && !strcmp(img.format, "unik-elf"), "format kept");
		FUZZ_CHECK(img.kernel && img.kernel[0] && !strchr(img.kernel, '/') &&
			       strcmp(img.kernel, ".") && strcmp(img.kernel, ".."),
			   "kernel '%s' kept", img.kernel);
		FUZZ_CHECK(!img.memory_mb || (img.memory_mb >= 2 && img.memory_mb <= 3072),
			   "memory %d kept", img.memory_mb);
	}
	rt_image_release(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		image((const char *)data + 1, size - 1);
	else
		config((const char *)data + 1, size - 1);
	return 0;
}
