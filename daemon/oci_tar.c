/* oci_tar.c - deterministic tar files for OCI layouts (see oci_tar.h). */
#include "oci_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/strv.h"
#include "../lib/xalloc.h"

static int add_entry(struct archive *a, const struct oci_tar_entry *e, struct unik_err *err)
{
	struct archive_entry *ae = archive_entry_new();
	size_t nlen = strlen(e->name);
	int dir = nlen && e->name[nlen - 1] == '/';
	int fd = -1, rc = -1;
	long long size = (long long)e->len;
	char buf[65536];
	ssize_t n;

	if (!dir && e->src) {
		struct stat st;

		fd = open(e->src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			unik_err_set(err, UNIK_E_INTERNAL, "cannot read %s: %s", e->src,
				     fd < 0 ? strerror(errno) : "not a regular file");
			goto out;
		}
		size = st.st_size;
	}
	archive_entry_set_pathname(ae, e->name);
	archive_entry_set_filetype(ae, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(ae, e->mode & 07777);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_mtime(ae, 0, 0);
	archive_entry_set_size(ae, dir ? 0 : size);
	if (archive_write_header(a, ae) != ARCHIVE_OK) {
		unik_err_set(err, UNIK_E_INTERNAL, "tar: %s: %s", e->name, archive_error_string(a));
		goto out;
	}
	if (!dir && e->src) {
		while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0 && archive_write_data(a, buf, (size_t)n) != n) {
				unik_err_set(err, UNIK_E_INTERNAL, "tar: writing %s: %s", e->name,
					     archive_error_string(a));
				goto out;
			}
		if (n < 0) {
			unik_err_set(err, UNIK_E_INTERNAL, "reading %s: %s", e->src,
				     strerror(errno));
			goto out;
		}
	} else if (!dir && e->len && archive_write_data(a, e->data, e->len) != (la_ssize_t)e->len) {
		unik_err_set(err, UNIK_E_INTERNAL, "tar: writing %s: %s", e->name,
			     archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	archive_entry_free(ae);
	return rc;
}

int oci_tar_write(const char *out, const struct oci_tar_entry *ents, size_t n, struct unik_err *err)
{
	struct archive *a = archive_write_new();
	int fd, rc = -1;

	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		archive_write_free(a);
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot create %s: %s", out,
				    strerror(errno));
	}
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		unik_err_set(err, UNIK_E_INTERNAL, "tar: %s", archive_error_string(a));
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (add_entry(a, &ents[i], err))
			goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		unik_err_set(err, UNIK_E_INTERNAL, "tar: %s", archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	archive_write_free(a);
	if (fsync(fd) < 0 && !rc)
		rc = unik_err_set(err, UNIK_E_INTERNAL, "writing %s: %s", out, strerror(errno));
	close(fd);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the entries under `dir`/`rel` (rel "" or ending in '/'). */
static int walk(const char *dir, const char *rel, struct strv *names, struct strv *srcs,
		struct unik_err *err)
{
	char *path = xasprintf("%s/%s", dir, rel);
	DIR *dp = opendir(path);
	struct strv kids = STRV_INIT;
	struct dirent *de;
	int rc = 0;

	if (!dp) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot list %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while ((de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(&kids, de->d_name);
	closedir(dp);
	if (kids.n)
		qsort(kids.v, kids.n, sizeof(kids.v[0]), by_name);
	for (size_t i = 0; i < kids.n && !rc; i++) {
		char *name = xasprintf("%s%s", rel, kids.v[i]);
		char *src = xasprintf("%s/%s", dir, name);
		struct stat st;

		if (lstat(src, &st) < 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
			rc = unik_err_set(err, UNIK_E_INTERNAL, "%s: not a file or folder", src);
		} else if (S_ISDIR(st.st_mode)) {
			char *sub = xasprintf("%s/", name);

			strv_push(names, sub);
			strv_push(srcs, "");
			rc = walk(dir, sub, names, srcs, err);
			free(sub);
		} else {
			strv_push(names, name);
			strv_push(srcs, src);
		}
		free(name);
		free(src);
	}
	strv_release(&kids);
	free(path);
	return rc;
}

int oci_tar_dir(const char *dir, const char *out, struct unik_err *err)
{
	struct strv names = STRV_INIT, srcs = STRV_INIT;
	struct oci_tar_entry *ents = NULL;
	int rc = walk(dir, "", &names, &srcs, err);

	if (!rc) {
		ents = xcalloc(names.n + 1, sizeof(*ents));
		for (size_t i = 0; i < names.n; i++) {
			int isdir = !*srcs.v[i];

			ents[i].name = names.v[i];
			ents[i].mode = isdir ? 0755 : 0644;
			ents[i].src = isdir ? NULL : srcs.v[i];
		}
		rc = oci_tar_write(out, ents, names.n, err);
	}
	free(ents);
	strv_release(&names);
	strv_release(&srcs);
	return rc;
}
