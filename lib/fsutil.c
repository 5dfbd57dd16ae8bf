/* fsutil.c - small file-system helpers. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safeopen.h"
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

/* Splits `path` into its folder (new string) and last component. */
static char *split_path(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		*base = path;
		return xstrdup(".");
	}
	*base = slash + 1;
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

int fs_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
			 struct unik_err *err)
{
	static unsigned counter;
	const char *base;
	char *dir = split_path(path, &base), *tmp = NULL;
	int dfd = safe_dir_open(dir), fd = -1, rc = -1;

	if (dfd < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot write %s: its folder: %s", path,
			     strerror(errno));
		goto cleanup;
	}
	/* a fresh name, never a file or link someone put there */
	for (int i = 0; i < 100 && fd < 0; i++) {
		free(tmp);
		tmp = xasprintf(".%s.tmp.%d.%u", base, (int)getpid(),
				__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot create a file next to %s: %s", path,
			     strerror(errno));
		goto cleanup;
	}
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlinkat(dfd, tmp, 0);
		goto cleanup;
	}
	close(fd);
	if (renameat(dfd, tmp, dfd, base) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot rename a file to %s: %s", path,
			     strerror(errno));
		unlinkat(dfd, tmp, 0);
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (dfd >= 0)
		close(dfd);
	free(dir);
	free(tmp);
	return rc;
}

int fs_remove_tree(const char *path, struct unik_err *err)
{
	size_t len = strlen(path);
	char *p, *dir;
	const char *base;
	int dfd, rc;

	while (len > 1 && path[len - 1] == '/')
		len--;
	p = xstrndup(path, len);
	dir = split_path(p, &base);
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		rc = unik_err_set(err, UNIK_E_INTERNAL, "refusing to remove %s", path);
		goto cleanup;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = errno == ENOENT ? 0
				     : unik_err_set(err, UNIK_E_INTERNAL, "cannot open %s: %s", dir,
						    strerror(errno));
		goto cleanup;
	}
	rc = fs_remove_tree_at(dfd, base, err);
	close(dfd);
cleanup:
	free(p);
	free(dir);
	return rc;
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
	out = safe_create(dst, mode, err);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) < 0) {
			n = -1;
			break;
		}
	if (n == 0) {
		rc = close(out) == 0 ? 0 : -1;
		out = -1;
	}
	if (rc < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot copy %s to %s: %s", src, dst,
			     strerror(errno));
		if (out >= 0)
			close(out);
	}
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
