/* common.c - what the commands share: errors, JSON output, ref paths. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../api/types.h"
#include "cmd.h"

void cmd_error(const struct unik_err *err)
{
	fprintf(stderr, "unik: %s\n", err->msg[0] ? err->msg : "unknown error");
}

int cmd_unreachable(const struct unik_err *err)
{
	return err->code == UNIK_E_UNAVAILABLE;
}

void cmd_print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	fputc('\n', stdout);
}

void cmd_ref_path(struct strbuf *path, const char *kind, const char *ref, const char *suffix)
{
	strbuf_addf(path, "/v1/%s/", kind);
	client_escape(path, ref);
	strbuf_adds(path, suffix ? suffix : "");
}

int cmd_write_stdout(const char *data, size_t len, void *arg, struct unik_err *err)
{
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) == EOF)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot write to stdout: %s",
				    strerror(errno));
	return 0;
}

const char *cmd_short_id(const char *id, char buf[16])
{
	snprintf(buf, 16, "%.*s", UNIK_SHORT_ID_LEN, id ? id : "");
	return buf;
}

int cmd_for_each_ref(struct cmd_ctx *ctx, int argc, char **argv, cmd_ref_fn fn, void *opts)
{
	int status = 0;

	for (int i = 0; i < argc; i++) {
		struct unik_err err = UNIK_ERR_INIT;

		if (!fn(ctx, argv[i], opts, &err))
			continue;
		cmd_error(&err);
		status = 1;
		if (cmd_unreachable(&err))
			break;
	}
	fflush(stdout);
	return status;
}
