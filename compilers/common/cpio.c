/* cpio.c - "newc" cpio archives for initramfs images.
 *
 * Each entry is a 110-byte ASCII header ("070701" and thirteen 8-digit hex
 * fields), the NUL-terminated name, padding to 4 bytes, the data, padding
 * to 4 bytes.  The archive ends with the entry "TRAILER!!!".
 */
#include "cpio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/safeopen.h"
#include "../../lib/strv.h"
#include "../../lib/xalloc.h"

#define CPIO_HDR_LEN 110
#define CPIO_MAX_DEPTH 64

static int put(struct cpio_writer *w, const void *data, size_t len, struct unik_err *err)
{
	if (len && fwrite(data, 1, len, w->f) != len)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot write %s: %s", w->path,
				    strerror(errno));
	w->off += len;
	return 0;
}

static int pad4(struct cpio_writer *w, struct unik_err *err)
{
	static const char zeros[4];

	return put(w, zeros, (4 - w->off % 4) % 4, err);
}

static int header(struct cpio_writer *w, const char *name, unsigned mode, unsigned long long size,
		  unsigned rmajor, unsigned rminor, struct unik_err *err)
{
	char hdr[CPIO_HDR_LEN + 1];
	size_t namesize = strlen(name) + 1;

	if (size > 0xffffffffULL)
		return unik_err_set(err, UNIK_E_TOO_LARGE, "%s: too large for a cpio archive",
				    name);
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++w->ino, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u, (unsigned)size, 0u, 0u,
		 rmajor, rminor, (unsigned)namesize, 0u);
	if (put(w, hdr, CPIO_HDR_LEN, err) < 0 || put(w, name, namesize, err) < 0)
		return -1;
	return pad4(w, err);
}

int cpio_open(struct cpio_writer *w, const char *path, struct unik_err *err)
{
	/* a fresh file: never through a link a build step left at `path` */
	int fd = safe_create(path, 0644, err);

	w->off = 0;
	w->ino = 0;
	w->path = NULL;
	w->f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!w->f) {
		if (fd >= 0) {
			unik_err_set(err, UNIK_E_INTERNAL, "cannot create %s: %s", path,
				     strerror(errno));
			close(fd);
			unlink(path);
		}
		return -1;
	}
	w->path = xstrdup(path);
	return 0;
}

int cpio_add_dir(struct cpio_writer *w, const char *name, unsigned perm, struct unik_err *err)
{
	return header(w, name, S_IFDIR | (perm & 07777), 0, 0, 0, err);
}

int cpio_add_data(struct cpio_writer *w, const char *name, const void *data, size_t len,
		  unsigned perm, struct unik_err *err)
{
	if (header(w, name, S_IFREG | (perm & 07777), len, 0, 0, err) < 0 ||
	    put(w, data, len, err) < 0)
		return -1;
	return pad4(w, err);
}

int cpio_add_chardev(struct cpio_writer *w, const char *name, unsigned perm, unsigned major,
		     unsigned minor, struct unik_err *err)
{
	return header(w, name, S_IFCHR | (perm & 07777), 0, major, minor, err);
}

int cpio_add_file_fd(struct cpio_writer *w, const char *name, int fd, unsigned perm,
		     struct unik_err *err)
{
	char buf[65536];
	struct stat st;
	unsigned long long left;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return unik_err_set(err, UNIK_E_INVALID, "%s: not a regular file", name);
	left = (unsigned long long)st.st_size;
	if (header(w, name, S_IFREG | (perm & 07777), left, 0, 0, err) < 0)
		return -1;
	while (left > 0) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t got = read(fd, buf, want);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return unik_err_set(err, UNIK_E_INTERNAL, "%s changed while being read",
					    name);
		if (put(w, buf, (size_t)got, err) < 0)
			return -1;
		left -= (unsigned long long)got;
	}
	return pad4(w, err);
}

int cpio_add_file(struct cpio_writer *w, const char *name, const char *src, unsigned perm,
		  struct unik_err *err)
{
	int fd = open(src, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot open %s: %s", src,
				    strerror(errno));
	rc = cpio_add_file_fd(w, name, fd, perm, err);
	close(fd);
	return rc;
}

static int add_symlink(struct cpio_writer *w, const char *name, int dirfd, const char *base,
		       struct unik_err *err)
{
	char target[4096];
	ssize_t n = readlinkat(dirfd, base, target, sizeof(target));

	if (n < 0 || (size_t)n >= sizeof(target))
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot read the link %s", name);
	if (header(w, name, S_IFLNK | 0777, (unsigned long long)n, 0, 0, err) < 0 ||
	    put(w, target, (size_t)n, err) < 0)
		return -1;
	return pad4(w, err);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in folder `fd` but "." and "..", sorted bytewise. */
static int list_dir(int fd, const char *what, struct strv *out, struct unik_err *err)
{
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot list %s: %s", what,
				    strerror(errno));
	}
	rewinddir(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(out, de->d_name);
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), by_name);
	return 0;
}

/* One entry `base` of folder `dirfd`, named `name` in the archive. */
static int add_entry(struct cpio_writer *w, const char *name, int dirfd, const char *base,
		     int depth, struct unik_err *err);

static int add_tree(struct cpio_writer *w, const char *prefix, int dirfd, int depth,
		    struct unik_err *err)
{
	struct strv names = STRV_INIT;
	int rc;

	if (depth > CPIO_MAX_DEPTH)
		return unik_err_set(err, UNIK_E_INVALID, "%s: folders nested too deep",
				    *prefix ? prefix : "files");
	rc = list_dir(dirfd, *prefix ? prefix : "files", &names, err);
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		char *name = *prefix ? xasprintf("%s/%s", prefix, names.v[i]) : xstrdup(names.v[i]);

		rc = add_entry(w, name, dirfd, names.v[i], depth, err);
		free(name);
	}
	strv_release(&names);
	return rc;
}

static int add_entry(struct cpio_writer *w, const char *name, int dirfd, const char *base,
		     int depth, struct unik_err *err)
{
	struct stat st;
	int fd, rc;

	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot stat %s: %s", name,
				    strerror(errno));
	if (S_ISLNK(st.st_mode))
		return add_symlink(w, name, dirfd, base, err);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return 0; /* devices, fifos, sockets: not packed */
	/* O_NOFOLLOW: a symlink swapped in since the stat is not followed */
	fd = openat(dirfd, base,
		    (S_ISDIR(st.st_mode) ? O_DIRECTORY : O_NONBLOCK) | O_RDONLY | O_NOFOLLOW |
			O_CLOEXEC);
	if (fd < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot open %s: %s", name,
				    strerror(errno));
	if (S_ISDIR(st.st_mode))
		rc = cpio_add_dir(w, name, st.st_mode, err) < 0
			 ? -1
			 : add_tree(w, name, fd, depth + 1, err);
	else
		rc = cpio_add_file_fd(w, name, fd, st.st_mode, err);
	close(fd);
	return rc;
}

int cpio_add_tree(struct cpio_writer *w, const char *prefix, int dirfd, struct unik_err *err)
{
	return add_tree(w, prefix, dirfd, 0, err);
}

int cpio_finish(struct cpio_writer *w, struct unik_err *err)
{
	static const char zeros[512];
	int rc;

	if (header(w, "TRAILER!!!", 0, 0, 0, 0, err) < 0 ||
	    put(w, zeros, (512 - w->off % 512) % 512, err) < 0) {
		cpio_abort(w);
		return -1;
	}
	rc = fclose(w->f);
	w->f = NULL;
	if (rc != 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot write %s: %s", w->path, strerror(errno));
		cpio_abort(w);
		return -1;
	}
	free(w->path);
	w->path = NULL;
	return 0;
}

void cpio_abort(struct cpio_writer *w)
{
	if (w->f) {
		fclose(w->f);
		w->f = NULL;
	}
	if (w->path) {
		unlink(w->path);
		free(w->path);
		w->path = NULL;
	}
}
