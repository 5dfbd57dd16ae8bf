/* hooks.c - the bundle's hooks (runtime spec, "POSIX-platform Hooks"): each
 * runs with its path, args and env, the container's state JSON on its
 * stdin, and is killed after its timeout. */
#include <string.h>

#include "../../lib/host_run.h"
#include "rt.h"

static const char *const kind_names[] = { "prestart", "createRuntime", "poststart", "poststop" };

#define HOOK_OUTPUT_KEEP 1024 /* bytes of a failing hook's output in its error */

static int run_one(const struct rt_hook *h, const char *state_json, struct unik_err *err)
{
	static char *const no_env[] = { NULL };
	const char *argv0[] = { h->path, NULL };
	struct strbuf out = STRBUF_INIT;
	struct host_run r = {
		.argv = h->args.n ? (const char *const *)h->args.v : argv0,
		.path = h->path,
		.env = h->env.n ? h->env.v : no_env,
		.input = state_json,
		.input_len = strlen(state_json),
		.timeout_ms = h->timeout_s * 1000,
		.out = &out,
		.out_max = HOOK_OUTPUT_KEEP,
	};
	struct host_run_status st;
	int rc = -1;

	if (host_run(&r, &st, err) < 0)
		return -1;
	if (st.timed_out)
		unik_err_set(err, UNIK_E_INTERNAL, "hook %s: timed out after %d s", h->path,
			     h->timeout_s);
	else if (host_run_ok(&st))
		rc = 0;
	else {
		int n = (int)out.len;

		while (n > 0 && (out.buf[n - 1] == '\n' || out.buf[n - 1] == '\r'))
			n--;
		unik_err_set(err, UNIK_E_INTERNAL, "hook %s %s %d%s%.*s", h->path,
			     st.exited ? "exited with status" : "was killed by signal", st.code,
			     n ? ": " : "", n, strbuf_str(&out));
	}
	strbuf_release(&out);
	return rc;
}

int rt_hooks_run(const struct rt_bundle *b, enum rt_hook_kind kind, const char *state_json,
		 struct unik_err *err)
{
	for (size_t i = 0; i < b->n_hooks[kind]; i++)
		if (run_one(&b->hooks[kind][i], state_json, err))
			return unik_err_prefix(err, "%s hook %zu", kind_names[kind], i);
	return 0;
}
