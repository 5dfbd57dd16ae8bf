/* cmd_cp.c - cp INSTANCE:PATH HOSTPATH|-: files out of an instance's
 * volumes (GET /v1/instances/{ref}/archive), put on the host as
 * `docker cp` puts them: into HOSTPATH when it is a folder, else as
 * HOSTPATH; "-" writes the tar itself on the standard output. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/xalloc.h"
#include "archive_dyn.h"
#include "cmd.h"

static int write_fd(const char *data, size_t len, void *arg, struct unik_err *err)
{
	int fd = *(int *)arg;

	while (len) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return unik_err_set(err, UNIK_E_INTERNAL, "writing the copy: %s",
					    strerror(errno));
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/* 1 when `name` (a tar entry's) is relative and has no ".." component. */
static int name_safe(const char *name)
{
	const char *p = name;

	if (!*name || name[0] == '/')
		return 0;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += n;
		while (*p == '/')
			p++;
	}
	return 1;
}

/* What follows the top entry's name in `name` ("" or "/..."). */
static const char *name_rest(const char *name)
{
	const char *r = name + strcspn(name, "/");

	return r[0] == '/' && !r[1] ? r + 1 : r;
}

/* Extracts the tar at fd: its top entry becomes `dest` (when `into` is 0)
 * or goes into folder `dest`. */
static int extract(int fd, const char *dest, int into, struct unik_err *err)
{
	struct archive *a, *w;
	struct archive_entry *e;
	struct stat st;
	int rc = -1, r;

	if (archive_dyn_load(err))
		return -1;
	a = archive_read_new();
	w = archive_write_disk_new();
	archive_read_support_format_tar(a);
	archive_write_disk_set_options(
	    w, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		   ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_UNLINK);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		unik_err_set(err, UNIK_E_INTERNAL, "reading the copy: %s", archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e), *rest;
		char *full;

		if (!name || !name_safe(name) || archive_entry_hardlink(e)) {
			unik_err_set(err, UNIK_E_INVALID,
				     "the daemon sent an entry unik cp refuses: %s",
				     name ? name : "(no name)");
			goto out;
		}
		if (!into && !*name_rest(name) && archive_entry_filetype(e) == AE_IFDIR &&
		    lstat(dest, &st) == 0 && !S_ISDIR(st.st_mode)) {
			unik_err_set(err, UNIK_E_INVALID, "cannot copy a folder onto the file %s",
				     dest);
			goto out;
		}
		rest = name_rest(name);
		full = into ? xasprintf("%s/%s", dest, name) : xasprintf("%s%s", dest, rest);
		archive_entry_copy_pathname(e, full);
		free(full);
		archive_entry_set_uid(e, getuid());
		archive_entry_set_gid(e, getgid());
		if (archive_write_header(w, e) != ARCHIVE_OK) {
			unik_err_set(err, UNIK_E_INTERNAL, "%s", archive_error_string(w));
			goto out;
		}
		for (;;) {
			const void *buf;
			size_t len;
			la_int64_t off;

			r = archive_read_data_block(a, &buf, &len, &off);
			if (r == ARCHIVE_EOF)
				break;
			if (r != ARCHIVE_OK ||
			    archive_write_data_block(w, buf, len, off) != ARCHIVE_OK) {
				unik_err_set(err, UNIK_E_INTERNAL, "%s",
					     r != ARCHIVE_OK ? archive_error_string(a)
							     : archive_error_string(w));
				goto out;
			}
		}
		if (archive_write_finish_entry(w) != ARCHIVE_OK) {
			unik_err_set(err, UNIK_E_INTERNAL, "%s", archive_error_string(w));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		unik_err_set(err, UNIK_E_INTERNAL, "reading the copy: %s", archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	if (archive_write_close(w) != ARCHIVE_OK && !rc)
		rc = unik_err_set(err, UNIK_E_INTERNAL, "%s", archive_error_string(w));
	archive_write_free(w);
	return rc;
}

static int cp_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	const char *src = argv[0], *dest = argv[1], *colon = strchr(src, ':');
	char tmpl[] = "/tmp/unik-cp.XXXXXX", *ref, *real;
	struct stat st;
	int fd, rc, into;

	if (strchr(dest, ':') && !colon)
		return cmd_usage_error(ctx->cmd,
				       "copying into an instance is not supported: a unikernel's "
				       "files come from its image and volumes (unik volume create "
				       "--from DIR, unik build)");
	if (!colon || colon == src)
		return cmd_usage_error(ctx->cmd, "the source must be INSTANCE:PATH, not '%s'", src);
	if (strchr(dest, ':'))
		return cmd_usage_error(ctx->cmd, "copying between instances is not supported");
	ref = xstrndup(src, (size_t)(colon - src));
	cmd_ref_path(&path, "instances", ref, "/archive");
	client_query(&path, "path", colon + 1);
	free(ref);
	if (!strcmp(dest, "-")) {
		if (isatty(1)) {
			fprintf(stderr,
				"unik: cp to - writes a tar: redirect the standard output\n");
			strbuf_release(&path);
			return 1;
		}
		fd = 1;
		rc = client_stream(ctx->client, strbuf_str(&path), write_fd, &fd, &err);
		if (rc)
			cmd_error(&err);
		strbuf_release(&path);
		return rc ? 1 : 0;
	}
	into = stat(dest, &st) == 0 && S_ISDIR(st.st_mode);
	/* the extraction refuses to write through symbolic links: the place
	 * the user named is taken with its links resolved */
	real = into ? realpath(dest, NULL) : NULL;
	if (!into) {
		char *d = xstrdup(dest), *b = xstrdup(dest), *rd;

		rd = realpath(dirname(d), NULL);
		if (rd)
			real = xasprintf("%s/%s", rd, basename(b));
		free(rd);
		free(d);
		free(b);
	}
	if (!real) {
		fprintf(stderr, "unik: %s: %s\n", dest, strerror(errno));
		strbuf_release(&path);
		return 1;
	}
	fd = mkstemp(tmpl);
	if (fd < 0) {
		fprintf(stderr, "unik: cannot make a temporary file: %s\n", strerror(errno));
		strbuf_release(&path);
		free(real);
		return 1;
	}
	unlink(tmpl);
	rc = client_stream(ctx->client, strbuf_str(&path), write_fd, &fd, &err);
	if (!rc && lseek(fd, 0, SEEK_SET) < 0)
		rc = unik_err_set(&err, UNIK_E_INTERNAL, "%s", strerror(errno));
	if (!rc)
		rc = extract(fd, real, into, &err);
	close(fd);
	free(real);
	if (rc)
		cmd_error(&err);
	strbuf_release(&path);
	return rc ? 1 : 0;
}

const struct cmd cmd_cp = {
	.name = "cp",
	.fn = cp_main,
	.min_args = 2,
	.max_args = 2,
	.usage = "cp INSTANCE:PATH HOSTPATH|-",
	.summary = "Copy files out of an instance's volumes",
	.help =
	    "PATH must lie on a volume the instance mounts (unik run -v): the daemon reads the\n"
	    "volume's disk (never mounting it) and sends the files as a tar.  When HOSTPATH\n"
	    "is a folder they go into it, else they are written as HOSTPATH; '-' writes the\n"
	    "tar on the standard output.  An instance running with the volume read-write is\n"
	    "refused (stop it first).  The image's own files and what a running guest keeps\n"
	    "in memory cannot be copied; neither can files be copied into an instance.\n",
};
