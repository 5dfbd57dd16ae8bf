/* fuzz_cmdline.c - the runtime's boot command line decoder
 * (runtime/core/cmdline.c), built for the host.
 *
 * The runtime is freestanding guest code; its decoder only needs the
 * string functions (the host's serve) and kprintf (a shim below that formats
 * into a buffer).  The file is included, so the harness can reset its string
 * pool between inputs and start from a pool that is already partly used.
 *
 * Input: two bytes saying how much of the pool earlier words used (so short
 * inputs reach the pool's end), then the command line (up to a NUL, as the
 * monitor hands it over).
 * Promises checked:
 *   - argv/envp hold at most MAX_ARGS entries, NULL-terminated, each a
 *     string wholly inside the pool; every environment entry has a '=';
 *   - when the pool has room, unik.arg=/unik.env= words decode exactly as
 *     the host's decoder (lib/bootargs.c) decodes them, in order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/bootargs.h"
#include "../../lib/strbuf.h"
#include "fuzz.h"

#include "../../runtime/core/cmdline.c"

static unsigned kprintf_calls;

void kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kprintf_calls++;
}

/* s lies in the pool with its NUL inside it. */
static int in_pool(const char *s)
{
	const char *end = strings + sizeof(strings);

	return s >= strings && s < end && memchr(s, 0, (size_t)(end - s));
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* What the host's decoder makes of the unik.arg= (or env) words of line:
 * the expected argv/envp, with the runtime's own rules (argv[0] = prog,
 * env entries need '=', at most MAX_ARGS of each). */
static void expected(const char *line, struct strv *args, struct strv *env)
{
	const char *p = line;

	while (*p) {
		const char *w;
		size_t len;
		struct strbuf dec = STRBUF_INIT;
		int is_arg, is_env;

		while (is_space(*p))
			p++;
		w = p;
		while (*p && !is_space(*p))
			p++;
		len = (size_t)(p - w);
		is_arg = len >= 9 && !memcmp(w, "unik.arg=", 9);
		is_env = len >= 9 && !memcmp(w, "unik.env=", 9);
		if ((is_arg || is_env) && bootargs_decode(&dec, w + 9, len - 9) == 0) {
			/* a C string: the runtime's copy ends at a decoded NUL */
			const char *s = strbuf_str(&dec);

			if (is_arg && args->n < MAX_ARGS - 1)
				strv_push(args, s);
			else if (is_env && env->n < MAX_ARGS && strchr(s, '='))
				strv_push(env, s);
		}
		strbuf_release(&dec);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmdline out;
	struct strv args = STRV_INIT, env = STRV_INIT;
	size_t pre, len;
	char *line;

	if (size < 2)
		return 0;
	pre = ((size_t)data[0] << 8 | data[1]) % sizeof(strings);
	line = fuzz_cstr(data + 2, size - 2);
	len = strlen(line);
	used = pre;
	kprintf_calls = 0;
	cmdline_parse(line, "app", &out);

	FUZZ_CHECK(out.argc >= 1 && out.argc <= MAX_ARGS, "argc %d", out.argc);
	FUZZ_CHECK(out.envc >= 0 && out.envc <= MAX_ARGS, "envc %d", out.envc);
	FUZZ_CHECK(!out.argv[out.argc] && !out.envp[out.envc], "argv/envp not NULL-terminated");
	for (int i = 1; i < out.argc; i++)
		FUZZ_CHECK(in_pool(out.argv[i]), "argv[%d] outside the pool", i);
	for (int i = 0; i < out.envc; i++)
		FUZZ_CHECK(in_pool(out.envp[i]) && strchr(out.envp[i], '='),
			   "envp[%d] outside the pool or without '='", i);
	FUZZ_CHECK(out.ndns >= 0 && out.ndns <= MAX_DNS, "ndns %d", out.ndns);
	for (int i = 0; i < out.ndns; i++)
		FUZZ_CHECK(in_pool(out.net_dns[i]), "dns[%d] outside the pool", i);
	FUZZ_CHECK(!out.net_ip || in_pool(out.net_ip), "ip outside the pool");
	FUZZ_CHECK(!out.net_gw || in_pool(out.net_gw), "gw outside the pool");
	FUZZ_CHECK(used <= sizeof(strings), "pool use %zu past its end", used);

	/* Each decoded word takes at most its own length plus a NUL, so with
	 * this much room the pool cannot run out: compare with the host. */
	if (pre + len + 16 < sizeof(strings)) {
		expected(line, &args, &env);
		FUZZ_CHECK(out.argv[0] && !strcmp(out.argv[0], "app"),
			   "argv[0] is not the program");
		FUZZ_CHECK((size_t)out.argc == args.n + 1, "runtime argc %d, host decodes %zu args",
			   out.argc, args.n + 1);
		for (size_t i = 0; i < args.n; i++)
			FUZZ_CHECK(!strcmp(out.argv[i + 1], args.v[i]),
				   "argv[%zu]: runtime '%s', host '%s'", i + 1, out.argv[i + 1],
				   args.v[i]);
		FUZZ_CHECK((size_t)out.envc == env.n, "runtime envc %d, host decodes %zu", out.envc,
			   env.n);
		for (size_t i = 0; i < env.n; i++)
			FUZZ_CHECK(!strcmp(out.envp[i], env.v[i]),
				   "envp[%zu]: runtime '%s', host '%s'", i, out.envp[i], env.v[i]);
	}
	strv_release(&args);
	strv_release(&env);
	free(line);
	return 0;
}
