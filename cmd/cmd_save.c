/* cmd_save.c - save (an image as an OCI image layout tar), load (such a
 * tar back), login and logout (registry credentials; creds.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/xalloc.h"
#include "cmd.h"
#include "creds.h"

struct save_opts {
	const char *output;
	const char *input;
	const char *name;
	const char *user;
	const char *ca_cert;
	int password_stdin;
	int insecure;
};

static const struct opt save_options[] = {
	OPT_STRING('o', "output", NULL, struct save_opts, output, "FILE",
		   "write to FILE (default: standard output, not a terminal)"),
	OPT_END(),
};

static const struct opt load_options[] = {
	OPT_STRING('i', "input", NULL, struct save_opts, input, "FILE",
		   "read FILE (default: standard input)"),
	OPT_STRING(0, "name", NULL, struct save_opts, name, "NAME",
		   "name of the loaded image (default: the name it was saved with)"),
	OPT_END(),
};

static const struct opt login_options[] = {
	OPT_STRING('u', "username", NULL, struct save_opts, user, "USER", "the user name"),
	OPT_BOOL(0, "password-stdin", NULL, struct save_opts, password_stdin,
		 "read the password from standard input"),
	OPT_STRING(0, "ca-cert", NULL, struct save_opts, ca_cert, "FILE",
		   "trust the registry's certificate authority in FILE (PEM) too"),
	OPT_BOOL(0, "insecure", NULL, struct save_opts, insecure,
		 "no TLS verification; plain HTTP allowed (loopback test registries)"),
	OPT_END(),
};

static int save_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct save_opts *o = opts;
	struct strbuf path = STRBUF_INIT;
	int rc;

	(void)argc;
	cmd_ref_path(&path, "images", argv[0], "/save");
	rc = cmd_download(ctx, strbuf_str(&path), o->output, "a tar");
	strbuf_release(&path);
	return rc;
}

static int read_all(int fd, struct strbuf *sb, struct unik_err *err)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			strbuf_add(sb, buf, (size_t)n);
	if (n < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "reading: %s", strerror(errno));
	return 0;
}

static int load_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct save_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf tar = STRBUF_INIT, path = STRBUF_INIT;
	json_t *res = NULL;
	int fd = 0, rc;
	char id[16];

	(void)argc;
	(void)argv;
	if (o->input && (fd = open(o->input, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "unik: %s: %s\n", o->input, strerror(errno));
		return 1;
	}
	rc = read_all(fd, &tar, &err);
	if (o->input)
		close(fd);
	strbuf_adds(&path, "/v1/images/load");
	if (o->name)
		client_query(&path, "name", o->name);
	if (!rc)
		rc = client_upload(ctx->client, strbuf_str(&path), "application/x-tar", tar.buf,
				   tar.len, &res, &err);
	if (rc) {
		cmd_error(&err);
	} else {
		const char *name = json_string_value(json_object_get(res, "name"));

		printf("Loaded image %s%s%s\n",
		       cmd_short_id(json_string_value(json_object_get(res, "id")), id),
		       name ? " " : "", name ? name : "");
	}
	json_decref(res);
	strbuf_release(&tar);
	strbuf_release(&path);
	return rc ? 1 : 0;
}

static int login_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct save_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf pw = STRBUF_INIT;
	char *path;
	int rc = 0;

	(void)argc;
	if (!o->user || !*o->user || strchr(o->user, ':')) {
		fprintf(stderr, "unik: login needs -u USER (without ':')\n");
		return CMD_USAGE_STATUS;
	}
	if (o->password_stdin) {
		rc = read_all(0, &pw, &err);
	} else {
		char *p = getpass("Password: ");

		if (p) {
			strbuf_adds(&pw, p);
			explicit_bzero(p, strlen(p));
		}
	}
	while (pw.len && (pw.buf[pw.len - 1] == '\n' || pw.buf[pw.len - 1] == '\r'))
		pw.buf[--pw.len] = '\0';
	if (!rc && !pw.len)
		rc = unik_err_set(&err, UNIK_E_INVALID, "no password given");
	if (!rc) { /* the registry checks them (through the daemon) before they are kept */
		json_t *res = NULL, *body = json_pack("{sss{ssss}sb}", "registry", argv[0], "auth",
						      "username", o->user, "password",
						      strbuf_str(&pw), "insecure", o->insecure);

		rc = creds_add_ca(body, o->ca_cert, &err) ||
		     client_json(ctx->client, "POST", "/v1/registries/login", body, &res, &err);
		json_decref(body);
		json_decref(res);
	}
	if (!rc)
		rc = creds_store(argv[0], o->user, strbuf_str(&pw), NULL, &err);
	if (pw.buf)
		explicit_bzero(pw.buf, pw.len);
	strbuf_release(&pw);
	if (rc) {
		cmd_error(&err);
		return 1;
	}
	path = creds_path();
	printf("Login Succeeded (credentials for %s stored in %s)\n", argv[0], path);
	free(path);
	return 0;
}

static int logout_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct unik_err err = UNIK_ERR_INIT;
	int found = 0;

	(void)ctx;
	(void)opts;
	(void)argc;
	if (creds_store(argv[0], NULL, NULL, &found, &err)) {
		cmd_error(&err);
		return 1;
	}
	printf(found ? "Removing login credentials for %s\n" : "Not logged in to %s\n", argv[0]);
	return 0;
}

const struct cmd cmd_save = {
	.name = "save",
	.fn = save_main,
	.opts = save_options,
	.opts_size = sizeof(struct save_opts),
	.min_args = 1,
	.max_args = 1,
	.usage = "save [-o FILE] IMAGE",
	.summary = "Write an image as an OCI image layout tar",
	.help = "The tar is the layout 'unik push' sends to a registry (docs/oci.md); its\n"
		"index names the image by its name.  'unik load' reads it back.\n",
};

const struct cmd cmd_load = {
	.name = "load",
	.fn = load_main,
	.opts = load_options,
	.opts_size = sizeof(struct save_opts),
	.min_args = 0,
	.max_args = 0,
	.usage = "load [-i FILE] [--name NAME]",
	.summary = "Load an image from an OCI image layout tar",
	.help = "Every blob is checked against its digest; a tar with a changed byte is\n"
		"refused and nothing is stored.\n",
};

const struct cmd cmd_login = {
	.name = "login",
	.fn = login_main,
	.opts = login_options,
	.opts_size = sizeof(struct save_opts),
	.min_args = 1,
	.max_args = 1,
	.usage = "login -u USER [--password-stdin] [--insecure] [--ca-cert FILE] REGISTRY",
	.summary = "Store credentials for a registry",
	.help = "They go to $XDG_CONFIG_HOME/unik/auth.json (else ~/.config/unik/auth.json),\n"
		"mode 0600; push and pull send them to the daemon in their request.  Without\n"
		"stored credentials, push and pull use ~/.docker/config.json (credHelpers,\n"
		"credsStore, auths).  The daemon checks them against the registry first\n"
		"(POST /v1/registries/login): refused credentials are not stored.\n",
};

const struct cmd cmd_logout = {
	.name = "logout",
	.fn = logout_main,
	.min_args = 1,
	.max_args = 1,
	.usage = "logout REGISTRY",
	.summary = "Remove the stored credentials of a registry",
	.help = NULL,
};
