/* files.c - files/ and unik.json (see files.h). */
#include "files.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/fsutil.h"
#include "../lib/run.h"
#include "../lib/xalloc.h"

#define MANIFEST "unik.json"

/* 1 if `p` is an absolute guest path without "." or ".." components. */
static int guest_path_ok(const char *p)
{
	if (p[0] != '/' || !p[1])
		return 0;
	for (const char *s = p + 1; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += n + (e ? 1 : 0);
	}
	return 1;
}

/* Runs a tool that may write only in the staging tree `root`. */
static int in_tree(struct sandbox *sb, const char *root, const char *const *argv,
		   struct unik_err *err)
{
	const char *rw[] = { root, NULL };
	struct run_opts opts = { NULL, NULL, NULL, NULL, sb, rw };

	return run_command(argv, &opts, err);
}

/* cp -a into the staging tree `root`; with `mkdirs` the folders on the way
 * to `to` are made first, in the sandbox too, so that a link the files put
 * there leads nowhere on the host. */
static int copy(struct sandbox *sb, const char *root, const char *from, const char *to, int mkdirs,
		struct unik_err *err)
{
	char *parent = xstrdup(to);
	const char *mk[] = { "mkdir", "-p", "--", parent, NULL };
	const char *cp[] = { "cp", "-a", "--", from, to, NULL };
	int rc;

	*strrchr(parent, '/') = '\0';
	rc = (mkdirs && in_tree(sb, root, mk, err)) || in_tree(sb, root, cp, err) ? -1 : 0;
	free(parent);
	return rc;
}

/* Copies one manifest entry into the staging tree. */
static int stage_entry(const struct unik_build_spec *spec, const char *root, const char *guest,
		       const char *source, struct unik_err *err)
{
	const char *src_dir = spec->src_dir;
	char *real_dir = realpath(src_dir, NULL), *path = NULL, *real = NULL, *dst = NULL;
	int rc = -1;

	if (!guest_path_ok(guest)) {
		unik_err_set(err, UNIK_E_INVALID,
			     MANIFEST ": files: '%s' must be an absolute path without '.' or '..'",
			     guest);
		goto cleanup;
	}
	path = xasprintf("%s/%s", src_dir, source);
	real = source[0] == '/' ? NULL : realpath(path, NULL);
	if (!real_dir || !real || strncmp(real, real_dir, strlen(real_dir)) ||
	    (real[strlen(real_dir)] != '/' && real[strlen(real_dir)] != '\0')) {
		unik_err_set(err, UNIK_E_INVALID,
			     MANIFEST ": files: '%s' (for %s) is not a file or folder of the source"
				      " folder",
			     source, guest);
		goto cleanup;
	}
	dst = xasprintf("%s%s", root, guest);
	if (copy(spec->sandbox, root, real, dst, 1, err))
		goto cleanup;
	rc = 0;
cleanup:
	free(real_dir);
	free(path);
	free(real);
	free(dst);
	return rc;
}

int compiler_files_tree(const struct unik_build_spec *spec, char **tree, struct unik_err *err)
{
	char *manifest = xasprintf("%s/" MANIFEST, spec->src_dir);
	char *files = xasprintf("%s/files", spec->src_dir);
	char *root = NULL;
	json_error_t jerr;
	json_t *j = NULL, *map, *v;
	const char *k;
	int rc = -1;

	*tree = NULL;
	if (!fs_exists(manifest)) {
		*tree = files;
		files = NULL;
		rc = 0;
		goto cleanup;
	}
	j = json_load_file(manifest, 0, &jerr);
	if (!j) {
		unik_err_set(err, UNIK_E_INVALID, MANIFEST ": line %d: %s", jerr.line, jerr.text);
		goto cleanup;
	}
	json_object_foreach (j, k, v) {
		if (strcmp(k, "files")) {
			unik_err_set(err, UNIK_E_INVALID, MANIFEST ": unknown key '%s'", k);
			goto cleanup;
		}
	}
	map = json_object_get(j, "files");
	if (map && !json_is_object(map)) {
		unik_err_set(err, UNIK_E_INVALID,
			     MANIFEST ": 'files' maps guest paths to source paths: "
				      "{\"/etc/app.conf\": \"config/app.conf\"}");
		goto cleanup;
	}
	root = xasprintf("%s/rootfs", spec->work_dir);
	if (fs_mkdir_p(root, 0755, err))
		goto cleanup;
	if (fs_exists(files)) {
		char *all = xasprintf("%s/.", files);
		int r = copy(spec->sandbox, root, all, root, 0, err);

		free(all);
		if (r)
			goto cleanup;
	}
	json_object_foreach (map, k, v) {
		if (!json_is_string(v)) {
			unik_err_set(err, UNIK_E_INVALID, MANIFEST ": files: '%s' needs a string",
				     k);
			goto cleanup;
		}
		if (stage_entry(spec, root, k, json_string_value(v), err))
			goto cleanup;
		if (spec->log) {
			char *line = xasprintf(MANIFEST ": %s -> %s", json_string_value(v), k);

			spec->log(spec->log_ctx, line);
			free(line);
		}
	}
	*tree = root;
	root = NULL;
	rc = 0;
cleanup:
	json_decref(j);
	free(manifest);
	free(files);
	free(root);
	return rc;
}
