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
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"

#define MANIFEST "unik.json"
/* Where the runtime reads the file-system settings (runtime/core/vfs_cpio.c). */
#define FS_SETTINGS "/.unik/fs"

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

static int copy(const char *from, const char *to, struct unik_err *err)
{
	const char *argv[] = { "cp", "-a", "--", from, to, NULL };

	return run_command(argv, NULL, err);
}

/* Copies one manifest entry into the staging tree. */
static int stage_entry(const char *src_dir, const char *root, const char *guest, const char *source,
		       struct unik_err *err)
{
	char *real_dir = realpath(src_dir, NULL), *path = NULL, *real = NULL, *dst = NULL;
	char *parent = NULL;
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
	parent = xstrdup(dst);
	*strrchr(parent, '/') = '\0';
	if (fs_mkdir_p(parent, 0755, err) || copy(real, dst, err))
		goto cleanup;
	rc = 0;
cleanup:
	free(real_dir);
	free(path);
	free(real);
	free(dst);
	free(parent);
	return rc;
}

/* "overlay_size": bytes (a number, or a string with K, M or G), or "N%" of
 * the guest's memory; the line for the runtime in *out. */
static int overlay_size(json_t *v, struct strbuf *out, struct unik_err *err)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	long long n = json_is_integer(v) ? json_integer_value(v) : -1;
	char *end = NULL;

	if (s) {
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno || end == s)
			n = -1;
		else if (!strcmp(end, "%"))
			n = n >= 1 && n <= 100 ? n : -1;
		else if (!strcmp(end, "K") || !strcmp(end, "k"))
			n = n <= (1LL << 40) ? n << 10 : -1;
		else if (!strcmp(end, "M"))
			n = n <= (1LL << 30) ? n << 20 : -1;
		else if (!strcmp(end, "G"))
			n = n <= (1LL << 20) ? n << 30 : -1;
		else if (*end)
			n = -1;
	}
	if (n < 0 || (!(s && end && *end == '%') && n < 65536))
		return unik_err_set(err, UNIK_E_INVALID,
				    MANIFEST ": 'overlay_size' is a size of at least 64K (\"16M\", "
					     "1048576) or a share of memory (\"25%%\")");
	strbuf_addf(out, "limit %lld%s\n", n, s && end && *end == '%' ? "%" : "");
	return 0;
}

/* "readonly": guest paths of the packed tree (or "/") that give EROFS. */
static int readonly_paths(json_t *v, const char *root, struct strbuf *out, struct unik_err *err)
{
	size_t i;
	json_t *p;

	if (!json_is_array(v))
		return unik_err_set(err, UNIK_E_INVALID,
				    MANIFEST ": 'readonly' lists guest paths: [\"/etc\"]");
	json_array_foreach (v, i, p) {
		const char *path = json_is_string(p) ? json_string_value(p) : NULL;
		char *staged;
		struct stat st;
		int found;

		if (!path || (strcmp(path, "/") && !guest_path_ok(path)) || strchr(path, '\n'))
			return unik_err_set(err, UNIK_E_INVALID,
					    MANIFEST ": readonly: entries are absolute paths "
						     "without '.' or '..'");
		staged = xasprintf("%s%s", root, path);
		found = lstat(staged, &st) == 0;
		free(staged);
		if (!found)
			return unik_err_set(
			    err, UNIK_E_INVALID,
			    MANIFEST ": readonly: '%s' is not among the image's files", path);
		strbuf_addf(out, "readonly %s\n", path);
	}
	return 0;
}

/* Writes the settings of unik.json's "overlay_size" and "readonly" for the
 * runtime as the packed file /.unik/fs. */
static int fs_settings(json_t *j, const char *root, const struct unik_build_spec *spec,
		       struct unik_err *err)
{
	json_t *size = json_object_get(j, "overlay_size"), *ro = json_object_get(j, "readonly");
	struct strbuf sb = STRBUF_INIT;
	char *path = NULL, *dir = NULL;
	int rc = -1;

	if (!size && !ro)
		return 0;
	path = xasprintf("%s" FS_SETTINGS, root);
	dir = xasprintf("%s/.unik", root);
	if (fs_exists(path)) {
		unik_err_set(err, UNIK_E_INVALID, "the guest path " FS_SETTINGS " is unik's own");
		goto cleanup;
	}
	if ((size && overlay_size(size, &sb, err)) || (ro && readonly_paths(ro, root, &sb, err)) ||
	    fs_mkdir_p(dir, 0755, err) ||
	    fs_write_file_atomic(path, strbuf_str(&sb), sb.len, 0444, err))
		goto cleanup;
	if (spec->log) {
		char *line = xasprintf(MANIFEST ": file-system settings: %s", strbuf_str(&sb));

		for (char *p = line; *p; p++)
			if (*p == '\n')
				*p = p[1] ? ',' : '\0';
		spec->log(spec->log_ctx, line);
		free(line);
	}
	rc = 0;
cleanup:
	strbuf_release(&sb);
	free(path);
	free(dir);
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
		if (strcmp(k, "files") && strcmp(k, "readonly") && strcmp(k, "overlay_size")) {
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
		int r = copy(all, root, err);

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
		if (stage_entry(spec->src_dir, root, k, json_string_value(v), err))
			goto cleanup;
		if (spec->log) {
			char *line = xasprintf(MANIFEST ": %s -> %s", json_string_value(v), k);

			spec->log(spec->log_ctx, line);
			free(line);
		}
	}
	if (fs_settings(j, root, spec, err))
		goto cleanup;
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
