/* fsutil.c - small file-system helpers. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

int fs_mkdir_p(const char *path, unsigned mode, struct unik_err *err)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *s = p + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			rc = unik_err_set(err, UNIK_E_INTERNAL, "cannot create directory %s: %s", p,
					  strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

int fs_read_file(const char *path, struct strbuf *out, struct unik_err *err)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return unik_err_set(err, errno == ENOENT ? UNIK_E_NOT_FOUND : UNIK_E_INTERNAL,
				    "cannot open %s: %s", path, strerror(errno));
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return unik_err_set(err, UNIK_E_INTERNAL, "cannot read %s: %s", path,
					    strerror(errno));
		}
		strbuf_add(out, buf, (size_t)n);
	}
	close(fd);
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
			 struct unik_err *err)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int rc = -1;

	if (fd < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot create %s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto cleanup;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto cleanup;
	}
	rc = 0;
cleanup:
	free(tmp);
	return rc;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int fs_remove_tree(const char *path, struct unik_err *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : unik_err_set(err, UNIK_E_INTERNAL, "cannot stat %s: %s",
						      path, strerror(errno));
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot remove %s: %s", path,
				    strerror(errno));
	return 0;
}

int fs_copy_file(const char *src, const char *dst, unsigned mode, struct unik_err *err)
{
	char buf[65536];
	int in, out;
	ssize_t n;
	int rc = -1;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot open %s: %s", src,
				    strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot create %s: %s", dst, strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) < 0)
			break;
	if (n == 0 && close(out) == 0)
		rc = 0;
	else
		unik_err_set(err, UNIK_E_INTERNAL, "cannot copy %s to %s: %s", src, dst,
			     strerror(errno));
	if (rc < 0)
		close(out);
	close(in);
	return rc;
}

int fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

long long fs_file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	return (long long)st.st_size;
}
