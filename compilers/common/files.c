/* files.c - files/ and unik.json (see files.h). */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/run.h"
#include "../../lib/safeopen.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"

#define MANIFEST "unik.json"
#define MANIFEST_MAX (1 << 20)
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

int compiler_files_open(const char *tree, int *fd, struct unik_err *err)
{
	struct unik_err e = UNIK_ERR_INIT;

	*fd = safe_open_file(tree, O_RDONLY | O_DIRECTORY, 0, &e);
	if (*fd >= 0 || e.code == UNIK_E_NOT_FOUND)
		return 0;
	if (err)
		*err = e;
	return unik_err_prefix(err, "files");
}

/* The folder `rel` in the staging tree `rootfd`, made as needed without
 * following a symlink that files/ put there.  An O_PATH fd, or -1. */
static int staging_dir(int rootfd, const char *rel, const char *guest, struct unik_err *err)
{
	int fd = safe_mkdirs_at(rootfd, rel, 0755);

	if (fd >= 0)
		return fd;
	if (errno == ELOOP || errno == ENOTDIR)
		return unik_err_set(err, UNIK_E_INVALID,
				    MANIFEST ": files: the folder of '%s' is %s in files/; refused",
				    guest, errno == ELOOP ? "a symlink" : "a file");
	return unik_err_set(err, UNIK_E_INTERNAL, "cannot create the folder of %s: %s", guest,
			    strerror(errno));
}

/* Copies one manifest entry into the staging tree `root` (fd `rootfd`). */
static int stage_entry(struct sandbox *sb, const char *src_dir, const char *root, int rootfd,
		       const char *guest, const char *source, struct unik_err *err)
{
	char *real_dir = NULL, *path = NULL, *real = NULL, *dst = NULL, *parent = NULL;
	struct unik_err e = UNIK_ERR_INIT;
	int fd = -1, pfd = -1, rc = -1;

	if (!guest_path_ok(guest)) {
		unik_err_set(err, UNIK_E_INVALID,
			     MANIFEST ": files: '%s' must be an absolute path without '.' or '..'",
			     guest);
		goto cleanup;
	}
	/* resolved in the real tree beneath the source folder, symlinks
	 * included: a chain of links that each look local cannot leave it */
	path = xasprintf("%s/%s", src_dir, source);
	if (source[0] != '/')
		fd = safe_open_in(src_dir, path, O_PATH, 0, &e);
	if (fd < 0) {
		unik_err_set(err, UNIK_E_INVALID,
			     MANIFEST ": files: '%s' (for %s) is not a file or folder of the source"
				      " folder%s",
			     source, guest,
			     e.code == UNIK_E_INVALID ? " (it leads outside through a symlink)"
						      : "");
		goto cleanup;
	}
	close(fd);
	/* the same resolution as a path for cp; checked once more */
	real_dir = realpath(src_dir, NULL);
	real = realpath(path, NULL);
	if (!real_dir || !real || strncmp(real, real_dir, strlen(real_dir)) ||
	    (real[strlen(real_dir)] != '/' && real[strlen(real_dir)] != '\0')) {
		unik_err_set(err, UNIK_E_INVALID,
			     MANIFEST ": files: '%s' (for %s) is not a file or folder of the source"
				      " folder",
			     source, guest);
		goto cleanup;
	}
	parent = xstrndup(guest + 1, (size_t)(strrchr(guest, '/') - (guest + 1)));
	pfd = staging_dir(rootfd, parent, guest, err);
	if (pfd < 0)
		goto cleanup;
	/* the entry replaces what files/ had there (never written through) */
	if (fs_remove_tree_at(pfd, strrchr(guest, '/') + 1, err))
		goto cleanup;
	dst = xasprintf("%s%s", root, guest);
	if (copy(sb, root, real, dst, 0, err))
		goto cleanup;
	rc = 0;
cleanup:
	if (pfd >= 0)
		close(pfd);
	free(real_dir);
	free(path);
	free(real);
	free(dst);
	free(parent);
	return rc;
}

/* Reads and parses unik.json beneath the source folder. */
static json_t *load_manifest(const char *src_dir, const char *manifest, struct unik_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	json_error_t jerr;
	json_t *j = NULL;
	int fd = safe_open_in(src_dir, manifest, O_RDONLY | O_NONBLOCK, 0, err);

	if (fd < 0) {
		unik_err_prefix(err, MANIFEST);
		return NULL;
	}
	if (safe_read_fd(fd, MANIFEST, MANIFEST_MAX, &sb, err) == 0) {
		j = json_loadb(strbuf_str(&sb), sb.len, 0, &jerr);
		if (!j)
			unik_err_set(err, UNIK_E_INVALID, MANIFEST ": line %d: %s", jerr.line,
				     jerr.text);
	}
	close(fd);
	strbuf_release(&sb);
	return j;
}

/* Makes the staging folder rootfs in the work folder; its fd, or -1. */
static int staging_root(const char *work_dir, struct unik_err *err)
{
	int wfd = safe_dir_open(work_dir), fd = -1;

	if (wfd < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot open %s: %s", work_dir,
				    strerror(errno));
	if (mkdirat(wfd, "rootfs", 0755) == 0 || errno == EEXIST)
		fd = openat(wfd, "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		unik_err_set(err, UNIK_E_INTERNAL, "cannot create %s/rootfs: %s", work_dir,
			     strerror(errno));
	close(wfd);
	return fd;
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
static int readonly_paths(json_t *v, int rootfd, struct strbuf *out, struct unik_err *err)
{
	size_t i;
	json_t *p;

	if (!json_is_array(v))
		return unik_err_set(err, UNIK_E_INVALID,
				    MANIFEST ": 'readonly' lists guest paths: [\"/etc\"]");
	json_array_foreach (v, i, p) {
		const char *path = json_is_string(p) ? json_string_value(p) : NULL;
		int fd;

		if (!path || (strcmp(path, "/") && !guest_path_ok(path)) || strchr(path, '\n'))
			return unik_err_set(err, UNIK_E_INVALID,
					    MANIFEST ": readonly: entries are absolute paths "
						     "without '.' or '..'");
		/* looked up beneath the staging tree: its links never lead out */
		fd = safe_openat(rootfd, path[1] ? path + 1 : ".", O_PATH | O_NOFOLLOW, 0, 0);
		if (fd >= 0)
			close(fd);
		if (fd < 0)
			return unik_err_set(
			    err, UNIK_E_INVALID,
			    MANIFEST ": readonly: '%s' is not among the image's files", path);
		strbuf_addf(out, "readonly %s\n", path);
	}
	return 0;
}

/* Writes the settings of unik.json's "overlay_size" and "readonly" for the
 * runtime as the packed file /.unik/fs of the staging tree `rootfd`. */
static int fs_settings(json_t *j, int rootfd, const struct unik_build_spec *spec,
		       struct unik_err *err)
{
	json_t *size = json_object_get(j, "overlay_size"), *ro = json_object_get(j, "readonly");
	struct strbuf sb = STRBUF_INIT;
	int dfd = -1, fd = -1, rc = -1;

	if (!size && !ro)
		return 0;
	if ((size && overlay_size(size, &sb, err)) || (ro && readonly_paths(ro, rootfd, &sb, err)))
		goto cleanup;
	dfd = staging_dir(rootfd, ".unik", FS_SETTINGS, err);
	if (dfd < 0)
		goto cleanup;
	fd = openat(dfd, "fs", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0) {
		if (errno == EEXIST)
			unik_err_set(err, UNIK_E_INVALID,
				     "the guest path " FS_SETTINGS " is unik's own");
		else
			unik_err_set(err, UNIK_E_INTERNAL, "cannot write " FS_SETTINGS ": %s",
				     strerror(errno));
		goto cleanup;
	}
	if (write(fd, strbuf_str(&sb), sb.len) != (ssize_t)sb.len) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot write " FS_SETTINGS ": %s",
			     strerror(errno));
		goto cleanup;
	}
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
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	strbuf_release(&sb);
	return rc;
}

int compiler_files_tree(const struct unik_build_spec *spec, char **tree, struct unik_err *err)
{
	char *manifest = xasprintf("%s/" MANIFEST, spec->src_dir);
	char *files = xasprintf("%s/files", spec->src_dir);
	char *root = NULL;
	json_t *j = NULL, *map, *v;
	const char *k;
	int rootfd = -1, fd, rc = -1;

	*tree = NULL;
	if (!fs_exists(manifest)) {
		*tree = files;
		files = NULL;
		rc = 0;
		goto cleanup;
	}
	j = load_manifest(spec->src_dir, manifest, err);
	if (!j)
		goto cleanup;
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
	rootfd = staging_root(spec->work_dir, err);
	if (rootfd < 0 || compiler_files_open(files, &fd, err))
		goto cleanup;
	if (fd >= 0) { /* checked beneath the source folder: cp gets a folder inside */
		char *all = xasprintf("%s/.", files);
		int r;

		close(fd);
		r = copy(spec->sandbox, root, all, root, 0, err);
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
		if (stage_entry(spec->sandbox, spec->src_dir, root, rootfd, k, json_string_value(v),
				err))
			goto cleanup;
		if (spec->log) {
			char *line = xasprintf(MANIFEST ": %s -> %s", json_string_value(v), k);

			spec->log(spec->log_ctx, line);
			free(line);
		}
	}
	if (fs_settings(j, rootfd, spec, err))
		goto cleanup;
	*tree = root;
	root = NULL;
	rc = 0;
cleanup:
	if (rootfd >= 0)
		close(rootfd);
	json_decref(j);
	free(manifest);
	free(files);
	free(root);
	return rc;
}

/* 1 for names a build uses rather than the program at run time. */
static int build_file(const char *n)
{
	static const char *const names[] = { "Makefile", "makefile",  "GNUmakefile",
					     MANIFEST,	 "configure", "CMakeLists.txt",
					     "go.mod",	 "go.sum",    "go.work",
					     NULL };
	static const char *const exts[] = { ".c",   ".h",  ".S",  ".s",	 ".cc", ".cpp", ".cxx",
					    ".hpp", ".go", ".mk", ".md", ".o",	".a",	NULL };
	static const char *const prefixes[] = { ".", "README", "LICENSE", "COPYING", NULL };
	size_t len = strlen(n);

	for (int i = 0; names[i]; i++)
		if (!strcmp(n, names[i]))
			return 1;
	for (int i = 0; exts[i]; i++) {
		size_t e = strlen(exts[i]);

		if (len > e && !strcmp(n + len - e, exts[i]))
			return 1;
	}
	for (int i = 0; prefixes[i]; i++)
		if (!strncmp(n, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

void compiler_files_note_strays(const struct unik_build_spec *spec)
{
	struct strbuf sb = STRBUF_INIT;
	int fd, n = 0, more = 0;
	DIR *dir;
	struct dirent *e;

	if (!spec->log)
		return;
	fd = open(spec->src_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(dir))) {
		struct stat st;

		if (build_file(e->d_name) ||
		    fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n++ < 5)
			strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", e->d_name);
		else
			more++;
	}
	closedir(dir);
	if (n) {
		char *line;

		if (more)
			strbuf_addf(&sb, " and %d more", more);
		line = xasprintf(
		    "note: %s %s beside the sources and not in the image: put files "
		    "the program opens under files/ (packed at /) or map them in " MANIFEST,
		    strbuf_str(&sb), n == 1 ? "is" : "are");
		spec->log(spec->log_ctx, line);
		free(line);
	}
	strbuf_release(&sb);
}

char *compiler_files_summary(const struct unik_build_spec *spec, const char *tree)
{
	char *manifest = xasprintf("%s/" MANIFEST, spec->src_dir);
	char *files = xasprintf("%s/files", spec->src_dir);
	int has_manifest = fs_exists(manifest), has_files = fs_exists(files);
	char *line;

	if (tree && fs_exists(tree) && (has_files || has_manifest))
		line = xasprintf("files packed read-only at /: %s%s%s", has_files ? "files/" : "",
				 has_files && has_manifest ? " and " : "",
				 has_manifest ? "the entries of " MANIFEST : "");
	else
		line = xstrdup("no files packed (there is no files/ folder nor " MANIFEST ")");
	free(manifest);
	free(files);
	return line;
}
