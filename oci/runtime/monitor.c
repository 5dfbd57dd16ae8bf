/* monitor.c - the command line of the monitor that runs a unik container:
 * unik-spt (default) or unik-hvt, chosen by the annotation org.unik.provider,
 * the image's "provider", or runtime.provider of the configuration. */
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../abi/hvt_abi.h"
#include "../../abi/boot.h"
#include "../../lib/bootargs.h"
#include "../../lib/run.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "rt.h"

#define ANN_PROVIDER "org.unik.provider"
#define MAX_ARGS 255 /* providers/common/monitor_process.h */
#define MAX_ENV 256
#define NET_WORDS_MAX 256 /* unik.ip, unik.gw, unik.dns */

const char *rt_provider_of(const struct rt_ctx *ctx, const struct rt_bundle *b,
			   const struct rt_image *img)
{
	const char *p = rt_annotation(&b->ann_keys, &b->ann_values, ANN_PROVIDER);

	if (!p)
		p = img->provider;
	if (!p)
		p = unik_config_get(&ctx->cfg, "runtime.provider", "spt");
	return p;
}

/* <p>.monitor of the configuration, else beside unik-runtime, else PATH. */
static char *monitor_binary(const struct rt_ctx *ctx, const char *provider, struct unik_err *err)
{
	char key[64], self[PATH_MAX], *path, *slash;
	const char *conf;
	ssize_t n;

	snprintf(key, sizeof(key), "%s.monitor", provider);
	conf = unik_config_get(&ctx->cfg, key, NULL);
	if (conf) {
		if (access(conf, X_OK) == 0)
			return xstrdup(conf);
		unik_err_set(err, UNIK_E_UNAVAILABLE, "%s (%s) is not executable", conf, key);
		return NULL;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			path = xasprintf("%s/unik-%s", self, provider);
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	path = xasprintf("unik-%s", provider);
	slash = run_which(path);
	free(path);
	if (slash)
		return slash;
	unik_err_set(err, UNIK_E_UNAVAILABLE,
		     "unik-%s is neither beside unik-runtime nor in PATH (set %s)", provider, key);
	return NULL;
}

/* The guest's memory: the container's limit, else the image's. */
static int memory_mb(const struct rt_bundle *b, const struct rt_image *img, struct unik_err *err)
{
	long long mb;

	if (!b->mem_limit)
		return img->memory_mb ? img->memory_mb : RT_DEFAULT_MEM_MB;
	mb = b->mem_limit >> 20;
	if (mb < (long long)(HVT_MEM_MIN >> 20))
		return unik_err_set(err, UNIK_E_INVALID,
				    "memory limit %lld bytes: a unik guest needs at least %lu MiB",
				    b->mem_limit, HVT_MEM_MIN >> 20);
	if (mb > (long long)(HVT_MEM_MAX >> 20)) {
		rt_warn("memory limit %lld MiB: the guest gets %lu MiB, the monitors' most", mb,
			HVT_MEM_MAX >> 20);
		mb = (long long)(HVT_MEM_MAX >> 20);
	}
	return (int)mb;
}

/* The user the monitor drops to: <p>.user ("root": none), else "unik" when
 * we are root and it exists. */
static const char *monitor_user(const struct rt_ctx *ctx, const char *provider)
{
	char key[64];
	const char *u;

	snprintf(key, sizeof(key), "%s.user", provider);
	u = unik_config_get(&ctx->cfg, key, NULL);
	if (u && *u)
		return strcmp(u, "root") ? u : NULL;
	return geteuid() == 0 && getpwnam("unik") ? "unik" : NULL;
}

int rt_monitor_argv(const struct rt_ctx *ctx, const struct rt_bundle *b, const struct rt_image *img,
		    const char *provider, int kernel_fd, const struct rt_net *net,
		    struct strv *argv, struct unik_err *err)
{
	struct strbuf words = STRBUF_INIT;
	struct strv args = STRV_INIT;
	const char *user;
	char *bin;
	int mb;

	if (strcmp(provider, "spt") && strcmp(provider, "hvt") && strcmp(provider, "qemu"))
		return unik_err_set(
		    err, UNIK_E_UNSUPPORTED,
		    "provider '%s': unik-runtime runs unik-elf images on spt, hvt or qemu",
		    provider);
	mb = memory_mb(b, img, err);
	if (mb < 0)
		return -1;
	/* process.args[0] names the program; the rest replace the image's
	 * default arguments, as a Docker CMD does */
	if (b->args.n > 1)
		for (size_t i = 1; i < b->args.n; i++)
			strv_push(&args, b->args.v[i]);
	else
		strv_copy(&args, &img->args);
	if (args.n > MAX_ARGS || b->env.n > MAX_ENV) {
		strv_release(&args);
		return unik_err_set(err, UNIK_E_INVALID,
				    "%zu arguments and %zu environment entries: a unik guest takes "
				    "at most %d and %d",
				    args.n, b->env.n, MAX_ARGS, MAX_ENV);
	}
	bootargs_append(&words, &args, &b->env);
	strv_release(&args);
	if (net && net->tap[0]) {
		strbuf_addf(&words, " " UNIK_BOOT_IP "%s/%d", net->addr, net->prefix);
		if (net->gateway[0])
			strbuf_addf(&words, " " UNIK_BOOT_GW "%s", net->gateway);
		if (net->dns[0])
			strbuf_addf(&words, " " UNIK_BOOT_DNS "%s", net->dns);
	}
	/* room for the network's words, which come at start */
	if (words.len + (net ? 0 : NET_WORDS_MAX) >= HVT_CMDLINE_MAX) {
		unik_err_set(err, UNIK_E_INVALID,
			     "arguments and environment take %zu bytes on the boot command line; "
			     "at most %lu fit",
			     words.len, HVT_CMDLINE_MAX - 1);
		strbuf_release(&words);
		return -1;
	}
	if (!strcmp(provider, "qemu")) {
		int rc = rt_qemu_argv(ctx, mb, kernel_fd, words.len ? strbuf_str(&words) + 1 : "",
				      net, monitor_user(ctx, provider), argv, err);

		strbuf_release(&words);
		return rc;
	}
	bin = monitor_binary(ctx, provider, err);
	if (!bin) {
		strbuf_release(&words);
		return -1;
	}
	strv_push_owned(argv, bin);
	strv_push(argv, "--mem");
	strv_push_owned(argv, xasprintf("%d", mb));
	user = monitor_user(ctx, provider);
	if (user) {
		strv_push(argv, "--user");
		strv_push(argv, user);
	}
	if (net && net->tap[0]) {
		strv_push(argv, "--net-tap");
		strv_push(argv, net->tap);
		strv_push(argv, "--net-mac");
		strv_push(argv, net->mac);
	}
	strv_push_owned(argv, xasprintf("/proc/self/fd/%d", kernel_fd));
	if (words.len) {
		strv_push(argv, "--");
		strv_push(argv, strbuf_str(&words) + 1); /* each word starts with a space */
	}
	strbuf_release(&words);
	return 0;
}
