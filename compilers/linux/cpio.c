/* cpio.c - "newc" cpio archives for initramfs images.
 *
 * Each entry is a 110-byte ASCII header ("070701" and thirteen 8-digit hex
 * fields), the NUL-terminated name, padding to 4 bytes, the data, padding
 * to 4 bytes.  The archive ends with the entry "TRAILER!!!".
 */
#include "cpio.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	w->off = 0;
	w->ino = 0;
	w->f = fopen(path, "wbe");
	if (!w->f) {
		w->path = NULL;
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot create %s: %s", path,
				    strerror(errno));
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

int cpio_add_file(struct cpio_writer *w, const char *name, const char *src, unsigned perm,
		  struct unik_err *err)
{
	char buf[65536];
	FILE *in = fopen(src, "rbe");
	struct stat st;
	unsigned long long left;
	int rc = -1;

	if (!in)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot open %s: %s", src,
				    strerror(errno));
	if (fstat(fileno(in), &st) < 0 || !S_ISREG(st.st_mode)) {
		unik_err_set(err, UNIK_E_INVALID, "%s: not a regular file", src);
		goto cleanup;
	}
	left = (unsigned long long)st.st_size;
	if (header(w, name, S_IFREG | (perm & 07777), left, 0, 0, err) < 0)
		goto cleanup;
	while (left > 0) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		size_t got = fread(buf, 1, want, in);

		if (got == 0) {
			unik_err_set(err, UNIK_E_INTERNAL, "%s changed while being read", src);
			goto cleanup;
		}
		if (put(w, buf, got, err) < 0)
			goto cleanup;
		left -= got;
	}
	rc = pad4(w, err);
cleanup:
	fclose(in);
	return rc;
}

static int add_symlink(struct cpio_writer *w, const char *name, const char *src,
		       struct unik_err *err)
{
	char target[4096];
	ssize_t n = readlink(src, target, sizeof(target));

	if (n < 0 || (size_t)n >= sizeof(target))
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot read link %s", src);
	if (header(w, name, S_IFLNK | 0777, (unsigned long long)n, 0, 0, err) < 0 ||
	    put(w, target, (size_t)n, err) < 0)
		return -1;
	return pad4(w, err);
}

static int add_tree(struct cpio_writer *w, const char *prefix, const char *dir, int depth,
		    struct unik_err *err)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);
	int rc = 0;

	if (n < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot list %s: %s", dir,
				    strerror(errno));
	if (depth > CPIO_MAX_DEPTH)
		rc = unik_err_set(err, UNIK_E_INVALID, "%s: folders nested too deep", dir);
	for (int i = 0; i < n && rc == 0; i++) {
		const char *base = ents[i]->d_name;
		char *src, *name;
		struct stat st;

		if (!strcmp(base, ".") || !strcmp(base, ".."))
			continue;
		src = xasprintf("%s/%s", dir, base);
		name = *prefix ? xasprintf("%s/%s", prefix, base) : xstrdup(base);
		if (lstat(src, &st) < 0)
			rc = unik_err_set(err, UNIK_E_INTERNAL, "cannot stat %s: %s", src,
					  strerror(errno));
		else if (S_ISDIR(st.st_mode) && cpio_add_dir(w, name, st.st_mode, err) < 0)
			rc = -1;
		else if (S_ISDIR(st.st_mode))
			rc = add_tree(w, name, src, depth + 1, err);
		else if (S_ISREG(st.st_mode))
			rc = cpio_add_file(w, name, src, st.st_mode, err);
		else if (S_ISLNK(st.st_mode))
			rc = add_symlink(w, name, src, err);
		free(src);
		free(name);
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

int cpio_add_tree(struct cpio_writer *w, const char *prefix, const char *dir, struct unik_err *err)
{
	return add_tree(w, prefix, dir, 0, err);
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
