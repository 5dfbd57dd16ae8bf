/* run_host_tool.c - running a trusted host tool directly (see run_host_tool.h). */
#include "run_host_tool.h"

#include "host_run.h"
#include "strbuf.h"

#define OUTPUT_KEEP 2048 /* bytes of a tool's output kept for its error */

int run_host_tool(const char *const *argv, const char *cwd, struct unik_err *err)
{
	struct strbuf out = STRBUF_INIT;
	struct host_run r = { .argv = argv, .cwd = cwd, .out = &out, .out_max = OUTPUT_KEEP };
	struct host_run_status st;

	if (host_run(&r, &st, err) < 0)
		return -1;
	if (host_run_ok(&st)) {
		strbuf_release(&out);
		return 0;
	}
	if (st.not_run)
		unik_err_set(err, UNIK_E_UNAVAILABLE, "%s is not installed (scripts/install-deps)",
			     argv[0]);
	else
		unik_err_set(err, UNIK_E_INTERNAL, "%s failed (status %d): %s", argv[0],
			     st.exited ? st.code : 128 + st.code, strbuf_str(&out));
	strbuf_release(&out);
	return -1;
}
