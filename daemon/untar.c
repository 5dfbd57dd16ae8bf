/* untar.c - safe tarball extraction with libarchive. */
#include "untar.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/xalloc.h"

/* 1 if the relative path `p` (as seen from folder depth `base_depth`)
 * stays inside the tree: no absolute path, never climbs above the root. */
static int path_stays_inside(const char *p, int base_depth)
{
	int depth = base_depth;
	const char *s = p;

	if (*p == '/')
		return 0;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (!(n == 0 || (n == 1 && s[0] == '.'))) {
			depth++;
		}
		s += n;
		if (*s == '/')
			s++;
	}
	return 1;
}

static int has_dotdot(const char *p)
{
	const char *s = p;

	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return 1;
		s += n;
		if (*s == '/')
			s++;
	}
	return 0;
}

/* Depth of the folder that holds entry `p`. */
static int parent_depth(const char *p)
{
	int depth = 0;
	const char *s = p;

	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (!e)
			break; /* last component is the entry itself */
		if (!(n == 0 || (n == 1 && s[0] == '.')))
			depth++;
		s = e + 1;
	}
	return depth;
}

static int check_entry(struct archive_entry *ae, struct unik_err *err)
{
	const char *path = archive_entry_pathname(ae);
	const char *link;
	mode_t type = archive_entry_filetype(ae);

	if (!path || !*path)
		return unik_err_set(err, UNIK_E_INVALID, "tar entry without a name");
	if (path[0] == '/')
		return unik_err_set(err, UNIK_E_INVALID,
				    "tar entry '%s' has an absolute path; refused", path);
	if (has_dotdot(path))
		return unik_err_set(err, UNIK_E_INVALID, "tar entry '%s' contains '..'; refused",
				    path);
	if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
		return unik_err_set(err, UNIK_E_INVALID,
				    "tar entry '%s' is a device, fifo or socket; refused", path);
	link = archive_entry_symlink(ae);
	if (type == AE_IFLNK) {
		if (!link || link[0] == '/')
			return unik_err_set(err, UNIK_E_INVALID,
					    "tar entry '%s' is a symlink to an absolute path (%s);"
					    " refused",
					    path, link ? link : "");
		if (!path_stays_inside(link, parent_depth(path)))
			return unik_err_set(err, UNIK_E_INVALID,
					    "tar entry '%s' is a symlink that leaves the source"
					    " folder (%s); refused",
					    path, link);
	}
	link = archive_entry_hardlink(ae);
	if (link && (link[0] == '/' || has_dotdot(link)))
		return unik_err_set(err, UNIK_E_INVALID,
				    "tar entry '%s' is a hard link out of the source folder (%s);"
				    " refused",
				    path, link);
	return 0;
}

static int copy_data(struct archive *in, struct archive *out, long long *written,
		     long long max_bytes, const char *path, struct unik_err *err)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK) {
		*written += (long long)size;
		if (*written > max_bytes)
			return unik_err_set(err, UNIK_E_TOO_LARGE,
					    "the extracted source exceeds the limit of %lld bytes",
					    max_bytes);
		if (archive_write_data_block(out, buf, size, off) != ARCHIVE_OK)
			return unik_err_set(err, UNIK_E_INTERNAL, "cannot write %s: %s", path,
					    archive_error_string(out));
	}
	if (r != ARCHIVE_EOF)
		return unik_err_set(err, UNIK_E_INVALID, "corrupt tar data in %s: %s", path,
				    archive_error_string(in));
	return 0;
}

int untar_safe(const char *archive_path, const char *dest, long long max_bytes, long *files,
	       struct unik_err *err)
{
	struct archive *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	struct archive_entry *ae;
	char *root = realpath(dest, NULL);
	long long written = 0;
	int rc = -1, r;
	long count = 0;

	if (!root) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot resolve %s: %s", dest, strerror(errno));
		goto cleanup;
	}
	archive_read_support_format_tar(in);
	archive_read_support_format_gnutar(in);
	archive_read_support_filter_gzip(in);
	archive_read_support_filter_bzip2(in);
	archive_read_support_filter_xz(in);
	archive_read_support_filter_none(in);
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						ARCHIVE_EXTRACT_PERM);
	if (archive_read_open_filename(in, archive_path, 65536) != ARCHIVE_OK) {
		unik_err_set(err, UNIK_E_INVALID, "the upload is not a tar archive: %s",
			     archive_error_string(in));
		goto cleanup;
	}
	while ((r = archive_read_next_header(in, &ae)) == ARCHIVE_OK) {
		char *path, *full;

		if (check_entry(ae, err))
			goto cleanup;
		/* the entry's own strings change below: keep the name */
		path = xstrdup(archive_entry_pathname(ae));
		full = xasprintf("%s/%s", root, path);
		archive_entry_set_pathname(ae, full);
		if (archive_entry_hardlink(ae)) {
			char *hl = xasprintf("%s/%s", root, archive_entry_hardlink(ae));

			archive_entry_set_hardlink(ae, hl);
			free(hl);
		}
		archive_entry_set_uid(ae, getuid());
		archive_entry_set_gid(ae, getgid());
		archive_entry_set_perm(ae, archive_entry_perm(ae) & 0755);
		if (archive_write_header(out, ae) != ARCHIVE_OK) {
			unik_err_set(err, UNIK_E_INVALID, "cannot extract '%s': %s", path,
				     archive_error_string(out));
			free(full);
			free(path);
			goto cleanup;
		}
		if (archive_entry_size(ae) > 0 &&
		    copy_data(in, out, &written, max_bytes, path, err)) {
			free(full);
			free(path);
			goto cleanup;
		}
		if (archive_write_finish_entry(out) != ARCHIVE_OK) {
			unik_err_set(err, UNIK_E_INTERNAL, "cannot finish '%s': %s", path,
				     archive_error_string(out));
			free(full);
			free(path);
			goto cleanup;
		}
		free(full);
		free(path);
		count++;
	}
	if (r != ARCHIVE_EOF) {
		unik_err_set(err, UNIK_E_INVALID, "the upload is not a valid tar archive: %s",
			     archive_error_string(in));
		goto cleanup;
	}
	if (count == 0) {
		unik_err_set(err, UNIK_E_INVALID, "the uploaded archive is empty");
		goto cleanup;
	}
	if (files)
		*files = count;
	rc = 0;
cleanup:
	free(root);
	archive_read_free(in);
	archive_write_free(out);
	return rc;
}
