/* untar_entry.c - writes one tar entry beneath the destination folder's fd.
 *
 * Every name is walked one folder at a time from the root with
 * openat(O_NOFOLLOW): a symlink on the way is refused, never followed, so
 * an archive cannot write through a link it planted earlier. */
#include "untar_entry.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/strbuf.h"
#include "../lib/xalloc.h"

/* parts[0..n) joined with '/' (new string). */
static char *join(const struct strv *parts, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s", i ? "/" : "", parts->v[i]);
	return strbuf_detach(&sb);
}

/* Why `name` in `dirfd` could not be opened as a folder; `where` is its
 * path in the tree (the same pointer as `path` when it is the entry). */
static int not_a_folder(struct untar *u, int dirfd, const char *name, const char *path,
			const char *where)
{
	int e = errno;
	struct stat st;

	int link = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);

	if ((link || e == ENOTDIR || e == ELOOP) && path == where)
		return unik_err_set(
		    u->err, UNIK_E_INVALID,
		    "tar entry '%s' is a folder here and %s earlier in the archive; "
		    "refused",
		    path, link ? "a symlink" : "a file");
	if (link)
		return unik_err_set(u->err, UNIK_E_INVALID,
				    "tar entry '%s' goes through '%s', a symlink earlier in the "
				    "archive; refused",
				    path, where);
	if (e == ENOTDIR || e == ELOOP)
		return unik_err_set(
		    u->err, UNIK_E_INVALID,
		    "tar entry '%s' needs '%s' as a folder, but an earlier entry made "
		    "it a file; refused",
		    path, where);
	return unik_err_set(u->err, UNIK_E_INTERNAL, "cannot open the folder %s: %s", where,
			    strerror(e));
}

/* The folder that holds the entry `parts` (all but the last part), made
 * as needed when `create`; an O_PATH fd, or -1 with u->err. */
static int walk_parent(struct untar *u, const struct strv *parts, const char *path, int create)
{
	int cur = openat(u->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (cur < 0)
		return unik_err_set(u->err, UNIK_E_INTERNAL, "cannot open the destination: %s",
				    strerror(errno));
	for (size_t i = 0; i + 1 < parts->n; i++) {
		const char *name = parts->v[i];
		int nfd = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (nfd < 0 && errno == ENOENT && create &&
		    (mkdirat(cur, name, 0755) == 0 || errno == EEXIST))
			nfd = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			char *where = join(parts, i + 1);

			if (errno == ENOENT && !create)
				unik_err_set(
				    u->err, UNIK_E_INVALID,
				    "tar entry '%s' is a hard link into '%s', a folder the "
				    "archive does not hold before it; refused",
				    path, where);
			else
				not_a_folder(u, cur, name, path, where);
			free(where);
			close(cur);
			return -1;
		}
		close(cur);
		cur = nfd;
	}
	return cur;
}

/* Room for a new non-folder `base` in `dfd`: an earlier file or symlink of
 * that name is removed (a later entry wins, as with tar; a symlink is
 * never written through); an earlier folder is not replaced. */
static int make_room(struct untar *u, int dfd, const char *base, const char *path)
{
	struct stat st;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0
				       : unik_err_set(u->err, UNIK_E_INTERNAL, "cannot stat %s: %s",
						      path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return unik_err_set(u->err, UNIK_E_INVALID,
				    "tar entry '%s' is a folder earlier in the archive and not a "
				    "folder here; refused",
				    path);
	if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT)
		return unik_err_set(u->err, UNIK_E_INTERNAL, "cannot replace %s: %s", path,
				    strerror(errno));
	return 0;
}

static int pwrite_all(int fd, const char *p, size_t n, off_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* Gives the file the entry's modification time, when it has one: make
 * compares the times of the folder's files (a generated file must stay newer
 * than its source).  Any time the archive names is allowed (it only orders
 * the build's own files); a bad nanosecond part is dropped. */
static int keep_mtime(int fd, struct archive_entry *ae)
{
	struct timespec ts[2];
	long ns;

	if (!archive_entry_mtime_is_set(ae))
		return 0;
	ns = archive_entry_mtime_nsec(ae);
	ts[0].tv_sec = archive_entry_mtime(ae);
	ts[0].tv_nsec = ns >= 0 && ns < 1000000000L ? ns : 0;
	ts[1] = ts[0];
	return futimens(fd, ts);
}

static int make_file(struct untar *u, struct archive_entry *ae, int dfd, const char *base,
		     const char *path)
{
	la_int64_t size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : 0;
	const void *buf;
	size_t len;
	la_int64_t off;
	int fd, r, rc = -1;

	/* the logical size (a sparse file's holes included), before writing */
	if (size < 0)
		return unik_err_set(u->err, UNIK_E_INVALID, "tar entry '%s' has a bad size", path);
	if (size > u->lim->max_bytes - u->bytes)
		return unik_err_set(
		    u->err, UNIK_E_TOO_LARGE,
		    "the extracted source exceeds the limit of %lld bytes (at '%s', "
		    "%lld bytes)",
		    u->lim->max_bytes, path, (long long)size);
	u->bytes += size;
	if (make_room(u, dfd, base, path))
		return -1;
	fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return unik_err_set(u->err, UNIK_E_INTERNAL, "cannot create %s: %s", path,
				    strerror(errno));
	while ((r = archive_read_data_block(u->in, &buf, &len, &off)) == ARCHIVE_OK) {
		if (off < 0 || (la_int64_t)len > size || off > size - (la_int64_t)len) {
			unik_err_set(u->err, UNIK_E_INVALID,
				     "tar entry '%s' has data beyond its size; refused", path);
			goto cleanup;
		}
		if (pwrite_all(fd, buf, len, (off_t)off) < 0) {
			unik_err_set(u->err, UNIK_E_INTERNAL, "cannot write %s: %s", path,
				     strerror(errno));
			goto cleanup;
		}
	}
	if (r != ARCHIVE_EOF) {
		unik_err_set(u->err, UNIK_E_INVALID, "corrupt tar data in %s: %s", path,
			     archive_error_string(u->in));
		goto cleanup;
	}
	/* trailing holes; no setuid, setgid or sticky bits, nothing group-writable */
	if (ftruncate(fd, (off_t)size) < 0 || fchmod(fd, archive_entry_perm(ae) & 0755) < 0 ||
	    keep_mtime(fd, ae) < 0) {
		unik_err_set(u->err, UNIK_E_INTERNAL, "cannot write %s: %s", path, strerror(errno));
		goto cleanup;
	}
	rc = 0;
cleanup:
	close(fd);
	return rc;
}

static int make_dir(struct untar *u, struct archive_entry *ae, int dfd, const char *base,
		    const char *path)
{
	int fd;

	if (mkdirat(dfd, base, 0700) < 0 && errno != EEXIST)
		return unik_err_set(u->err, UNIK_E_INTERNAL, "cannot create %s: %s", path,
				    strerror(errno));
	fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return not_a_folder(u, dfd, base, path, path);
	/* the owner keeps rwx: the rest of the archive and the clean-up need it */
	fchmod(fd, (archive_entry_perm(ae) & 0755) | 0700);
	close(fd);
	return 0;
}

static int make_symlink(struct untar *u, struct archive_entry *ae, int dfd, const char *base,
			const char *path, size_t depth)
{
	const char *link = archive_entry_symlink(ae);

	if (untar_check_symlink(path, depth, link, u->err) || make_room(u, dfd, base, path))
		return -1;
	if (symlinkat(link, dfd, base) < 0)
		return unik_err_set(u->err, UNIK_E_INTERNAL, "cannot create the symlink %s: %s",
				    path, strerror(errno));
	return 0;
}

/* A hard link to a regular file made earlier from this archive. */
static int make_hardlink(struct untar *u, int dfd, const char *base, const char *path,
			 const char *target)
{
	struct strv tparts = STRV_INIT;
	struct unik_err ignored = UNIK_ERR_INIT;
	struct stat st, here;
	int tfd = -1, rc = -1;
	const char *tbase;

	if (untar_split_name(path, "a hard link target", target, &tparts, &ignored) ||
	    tparts.n == 0) {
		unik_err_set(u->err, UNIK_E_INVALID,
			     "tar entry '%s' is a hard link out of the source folder (%s); refused",
			     path, target);
		goto cleanup;
	}
	tbase = tparts.v[tparts.n - 1];
	tfd = walk_parent(u, &tparts, path, 0);
	if (tfd < 0)
		goto cleanup;
	if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
		unik_err_set(u->err, UNIK_E_INVALID,
			     "tar entry '%s' is a hard link to '%s', which is not a regular file "
			     "earlier in the archive; refused",
			     path, target);
		goto cleanup;
	}
	if (fstatat(dfd, base, &here, AT_SYMLINK_NOFOLLOW) == 0 && here.st_dev == st.st_dev &&
	    here.st_ino == st.st_ino) {
		rc = 0; /* already that file */
		goto cleanup;
	}
	if (make_room(u, dfd, base, path))
		goto cleanup;
	if (linkat(tfd, tbase, dfd, base, 0) < 0) {
		unik_err_set(u->err, UNIK_E_INTERNAL, "cannot create the hard link %s: %s", path,
			     strerror(errno));
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (tfd >= 0)
		close(tfd);
	strv_release(&tparts);
	return rc;
}

int untar_entry(struct untar *u, struct archive_entry *ae)
{
	const char *name = archive_entry_pathname(ae);
	const char *hard = archive_entry_hardlink(ae);
	mode_t type = archive_entry_filetype(ae);
	struct strv parts = STRV_INIT;
	char *path = NULL;
	int dfd = -1, rc = -1;

	if (untar_split_name(NULL, "a name", name, &parts, u->err))
		goto cleanup;
	if (parts.n == 0) { /* "./": the destination itself */
		if (type == AE_IFDIR && !hard)
			rc = 0;
		else
			unik_err_set(u->err, UNIK_E_INVALID,
				     "tar entry '%s' names the source folder itself; refused",
				     name);
		goto cleanup;
	}
	path = join(&parts, parts.n);
	if (!hard && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
		unik_err_set(u->err, UNIK_E_INVALID, "tar entry '%s' is %s; refused", path,
			     type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO ||
				     type == AE_IFSOCK
				 ? "a device, fifo or socket"
				 : "of an unknown type");
		goto cleanup;
	}
	dfd = walk_parent(u, &parts, path, 1);
	if (dfd < 0)
		goto cleanup;
	if (hard)
		rc = make_hardlink(u, dfd, parts.v[parts.n - 1], path, hard);
	else if (type == AE_IFDIR)
		rc = make_dir(u, ae, dfd, parts.v[parts.n - 1], path);
	else if (type == AE_IFLNK)
		rc = make_symlink(u, ae, dfd, parts.v[parts.n - 1], path, parts.n - 1);
	else
		rc = make_file(u, ae, dfd, parts.v[parts.n - 1], path);
	if (rc == 0)
		u->written++;
cleanup:
	if (dfd >= 0)
		close(dfd);
	free(path);
	strv_release(&parts);
	return rc;
}
