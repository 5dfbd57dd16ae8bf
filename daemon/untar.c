/* untar.c - reading the archive with libarchive: names, limits, and the
 * final check of the extracted tree's symlinks.  Entries are written by
 * untar_entry.c. */
#include "untar.h"
#include "untar_entry.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/safeopen.h"
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"

#define NAME_PART_MAX 255

int untar_split_name(const char *entry, const char *kind, const char *name, struct strv *parts,
		     struct unik_err *err)
{
	const char *s = name;

	if (!name || !*name)
		return unik_err_set(err, UNIK_E_INVALID, "tar entry '%s' has %s without a name",
				    entry ? entry : "", kind);
	if (strlen(name) > UNTAR_MAX_PATH)
		return unik_err_set(err, UNIK_E_INVALID,
				    "tar entry '%.200s...' has %s longer than %d bytes; refused",
				    entry ? entry : name, kind, UNTAR_MAX_PATH);
	if (name[0] == '/')
		return unik_err_set(err, UNIK_E_INVALID,
				    "tar entry '%s' has %s that is absolute (%s); refused",
				    entry ? entry : name, kind, name);
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return unik_err_set(
			    err, UNIK_E_INVALID,
			    "tar entry '%s' has %s that contains '..' (%s); refused",
			    entry ? entry : name, kind, name);
		if (n > NAME_PART_MAX)
			return unik_err_set(err, UNIK_E_INVALID,
					    "tar entry '%.200s' has %s with a part longer than %d "
					    "bytes; refused",
					    entry ? entry : name, kind, NAME_PART_MAX);
		if (n && !(n == 1 && s[0] == '.'))
			strv_push_owned(parts, xstrndup(s, n));
		if (parts->n > UNTAR_MAX_DEPTH)
			return unik_err_set(
			    err, UNIK_E_INVALID,
			    "tar entry '%.200s...' is nested deeper than %d folders; "
			    "refused",
			    entry ? entry : name, UNTAR_MAX_DEPTH);
		s += n;
		if (*s == '/')
			s++;
	}
	return 0;
}

/* A quick first check with a clear message: does the symlink target
 * `link`, seen from a folder `depth` levels down, climb above the root on
 * its face?  The real check resolves it in the tree (check_links). */
static int climbs_out(const char *link, size_t depth)
{
	long d = (long)depth;
	const char *s = link;

	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (--d < 0)
				return 1;
		} else if (n && !(n == 1 && s[0] == '.')) {
			d++;
		}
		s += n;
		if (*s == '/')
			s++;
	}
	return 0;
}

int untar_check_symlink(const char *path, size_t depth, const char *link, struct unik_err *err)
{
	if (!link || !*link)
		return unik_err_set(err, UNIK_E_INVALID,
				    "tar entry '%s' is a symlink without a target; refused", path);
	if (strlen(link) > UNTAR_MAX_PATH)
		return unik_err_set(err, UNIK_E_INVALID,
				    "tar entry '%s' is a symlink longer than %d bytes; refused",
				    path, UNTAR_MAX_PATH);
	if (link[0] == '/')
		return unik_err_set(err, UNIK_E_INVALID,
				    "tar entry '%s' is a symlink to an absolute path (%s); refused",
				    path, link);
	if (climbs_out(link, depth))
		return unik_err_set(
		    err, UNIK_E_INVALID,
		    "tar entry '%s' is a symlink that leaves the source folder (%s);"
		    " refused",
		    path, link);
	return 0;
}

/* Every symlink below folder `dirfd` (at `path` in the tree, "" for the
 * root) must resolve inside the tree, through whatever other links its
 * target meets: a chain of links that each look local (a/u -> .., b ->
 * a/u/.., ...) is caught here.  Dangling links and loops are left alone:
 * they lead nowhere, and later readers open the tree beneath its root. */
static int check_links(struct untar *u, int dirfd, struct strbuf *path, int depth)
{
	struct strv names = STRV_INIT;
	size_t len = path->len;
	int dup_fd = dup(dirfd), rc = 0;
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return unik_err_set(u->err, UNIK_E_INTERNAL, "cannot list the extracted tree: %s",
				    strerror(errno));
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(&names, de->d_name);
	closedir(d);
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		struct stat st;
		int fd;

		path->len = len;
		strbuf_addf(path, "%s%s", len ? "/" : "", names.v[i]);
		if (fstatat(dirfd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			fd = safe_openat(u->root, strbuf_str(path), O_PATH, 0, 0);
			if (fd >= 0)
				close(fd);
			else if (errno == EXDEV)
				rc =
				    unik_err_set(u->err, UNIK_E_INVALID,
						 "tar entry '%s' is a symlink that leads outside "
						 "the source folder (through other links); refused",
						 strbuf_str(path));
		} else if (S_ISDIR(st.st_mode) && depth < UNTAR_MAX_DEPTH) {
			fd = openat(dirfd, names.v[i],
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				rc = unik_err_set(u->err, UNIK_E_INTERNAL, "cannot open %s: %s",
						  strbuf_str(path), strerror(errno));
				break;
			}
			rc = check_links(u, fd, path, depth + 1);
			close(fd);
		}
	}
	path->len = len;
	if (path->buf)
		path->buf[len] = '\0';
	strv_release(&names);
	return rc;
}

static struct archive *open_archive(const char *archive_path, struct unik_err *err)
{
	struct archive *in = archive_read_new();

	archive_read_support_format_tar(in);
	archive_read_support_format_gnutar(in);
	archive_read_support_filter_gzip(in);
	archive_read_support_filter_bzip2(in);
	archive_read_support_filter_xz(in);
	archive_read_support_filter_none(in);
	if (archive_read_open_filename(in, archive_path, 65536) != ARCHIVE_OK) {
		unik_err_set(err, UNIK_E_INVALID, "the upload is not a tar archive: %s",
			     archive_error_string(in));
		archive_read_free(in);
		return NULL;
	}
	return in;
}

int untar_extract(const char *archive_path, const char *dest, const struct untar_limits *lim,
		  long *files, struct unik_err *err)
{
	struct untar u = { -1, 0, 0, lim, NULL, err };
	struct strbuf path = STRBUF_INIT;
	struct archive_entry *ae;
	long entries = 0;
	int rc = -1, r;

	u.root = safe_dir_open(dest);
	if (u.root < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot open %s: %s", dest,
				    strerror(errno));
	u.in = open_archive(archive_path, err);
	if (!u.in)
		goto cleanup;
	/* ARCHIVE_WARN: e.g. a pax UTF-8 name the C locale cannot convert; the
	 * name is kept as its bytes, which is what we want */
	while ((r = archive_read_next_header(u.in, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (++entries > lim->max_entries) {
			unik_err_set(err, UNIK_E_TOO_LARGE,
				     "the archive has more than %ld entries (the limit)",
				     lim->max_entries);
			goto cleanup;
		}
		r = untar_entry(&u, ae);
		if (r < 0)
			goto cleanup;
	}
	if (r != ARCHIVE_EOF) {
		unik_err_set(err, UNIK_E_INVALID, "the upload is not a valid tar archive: %s",
			     archive_error_string(u.in));
		goto cleanup;
	}
	if (u.written == 0) {
		unik_err_set(err, UNIK_E_INVALID, "the uploaded archive is empty");
		goto cleanup;
	}
	if (check_links(&u, u.root, &path, 0))
		goto cleanup;
	if (files)
		*files = u.written;
	rc = 0;
cleanup:
	strbuf_release(&path);
	if (u.in)
		archive_read_free(u.in);
	close(u.root);
	return rc;
}

int untar_safe(const char *archive_path, const char *dest, long long max_bytes, long *files,
	       struct unik_err *err)
{
	struct untar_limits lim = { max_bytes, UNTAR_DEFAULT_MAX_ENTRIES };

	return untar_extract(archive_path, dest, &lim, files, err);
}
