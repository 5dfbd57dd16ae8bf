/* common.c - what the commands share: errors, JSON output, ref paths. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../api/types.h"
#include "../lib/xalloc.h"
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

static int write_fd(const char *data, size_t len, void *arg, struct unik_err *err)
{
	int fd = *(int *)arg;

	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return unik_err_set(err, UNIK_E_INTERNAL, "writing: %s", strerror(errno));
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int cmd_download(struct cmd_ctx *ctx, const char *path, const char *output, const char *what)
{
	struct unik_err err = UNIK_ERR_INIT;
	char *tmp = NULL;
	int fd = 1, rc;

	if (!output && isatty(1)) {
		fprintf(stderr,
			"unik: %s writes %s: give -o FILE or redirect the standard output\n",
			ctx->cmd->name, what);
		return 1;
	}
	if (output) {
		/* written beside FILE, renamed over it when whole */
		tmp = xasprintf("%s.part", output);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "unik: %s: %s\n", tmp, strerror(errno));
			free(tmp);
			return 1;
		}
	}
	rc = client_stream(ctx->client, path, write_fd, &fd, &err);
	if (output) {
		if (close(fd) < 0 && !rc)
			rc = unik_err_set(&err, UNIK_E_INTERNAL, "writing %s: %s", tmp,
					  strerror(errno));
		if (!rc && rename(tmp, output) < 0)
			rc = unik_err_set(&err, UNIK_E_INTERNAL, "renaming %s: %s", tmp,
					  strerror(errno));
		if (rc)
			unlink(tmp);
	}
	if (rc)
		cmd_error(&err);
	free(tmp);
	return rc ? 1 : 0;
}
