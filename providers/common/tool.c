/* tool.c - running a toolstack's command (see tool.h). */
#include "tool.h"

#include "../../lib/host_run.h"
#include "guest.h"

#define TOOL_OUTPUT_MAX (256 * 1024)

int tool_run(const char *what, const char *hint, const char *const *argv, int timeout_s,
	     struct strbuf *out, struct unik_err *err)
{
	struct strbuf seen = STRBUF_INIT;
	struct host_run r = { .argv = argv,
			      .timeout_ms = timeout_s * 1000,
			      .out = &seen,
			      .out_max = TOOL_OUTPUT_MAX };
	struct host_run_status st;
	int n = 0;

	while (argv[n])
		n++;
	if (n == 0 || n > TOOL_ARGS_MAX + 1)
		return unik_err_set(err, UNIK_E_INTERNAL, "%s: bad tool argument list", what);
	if (host_run(&r, &st, err) < 0) {
		unik_err_prefix(err, "%s", what);
		return -1;
	}
	if (st.timed_out) {
		strbuf_release(&seen);
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "%s: `%s %s` did not finish in %d s",
				    what, argv[0], argv[1] ? argv[1] : "", timeout_s);
	}
	if (out && seen.len)
		strbuf_add(out, seen.buf, seen.len);
	if (host_run_ok(&st)) {
		strbuf_release(&seen);
		return 0;
	}
	if (st.not_run)
		unik_err_set(err, UNIK_E_UNAVAILABLE, "%s: cannot run %s (%s)", what, argv[0],
			     hint);
	else {
		struct strbuf tail = STRBUF_INIT;

		guest_tail_line(seen.buf ? seen.buf : "", seen.len, 300, &tail);
		unik_err_set(err, UNIK_E_UNAVAILABLE, "%s: `%s %s` failed (%s %d)%s%s", what,
			     argv[0], argv[1] ? argv[1] : "", st.exited ? "exit" : "signal",
			     st.code, tail.len ? ": " : "", strbuf_str(&tail));
		strbuf_release(&tail);
	}
	strbuf_release(&seen);
	return -1;
}
