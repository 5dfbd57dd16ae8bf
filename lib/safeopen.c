/* safeopen.c - confined opens beneath a folder fd (see safeopen.h). */
#include "safeopen.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "xalloc.h"

#define SAFE_MAX_LINKS 40 /* as the kernel's MAXSYMLINKS */
#define SAFE_LINK_MAX 4096

int safeopen_force_fallback;

int safe_dir_open(const char *dir)
{
	return open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* 1 when openat2 works here; probed once (a racing second probe is harmless). */
static int have_openat2(void)
{
	static int state; /* 0 unknown, 1 yes, -1 no */
	int s = __atomic_load_n(&state, __ATOMIC_RELAXED);

	if (safeopen_force_fallback)
		return 0;
	if (!s) {
		struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
		long fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));

		s = fd >= 0 || (errno != ENOSYS && errno != EPERM) ? 1 : -1;
		if (fd >= 0)
			close((int)fd);
		__atomic_store_n(&state, s, __ATOMIC_RELAXED);
	}
	return s > 0;
}

static int kernel_openat(int rootfd, const char *rel, int flags, unsigned mode, unsigned how_flags)
{
	struct open_how how;
	long fd = -1;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		how.mode = mode;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
	if (how_flags & SAFE_NO_SYMLINKS)
		how.resolve |= RESOLVE_NO_SYMLINKS;
	/* EAGAIN: a rename or mount raced the lookup; the kernel asks to retry */
	for (int i = 0; i < 16; i++) {
		fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
		if (fd >= 0 || (errno != EAGAIN && errno != EINTR))
			break;
	}
	return (int)fd;
}

/* The folders the fallback resolver walked into; fds[0] is the root (not
 * owned).  ".." pops, so it never leaves the folders actually walked. */
struct walk {
	int *fds;
	size_t n, alloc;
};

static void walk_push(struct walk *w, int fd)
{
	if (w->n == w->alloc) {
		w->alloc = w->alloc ? 2 * w->alloc : 16;
		w->fds = xrealloc(w->fds, w->alloc * sizeof(*w->fds));
	}
	w->fds[w->n++] = fd;
}

static void walk_release(struct walk *w)
{
	int saved = errno;

	for (size_t i = 1; i < w->n; i++)
		close(w->fds[i]);
	free(w->fds);
	errno = saved;
}

/* Replaces the unwalked part of `path` (from `rest`) by `target` + rest. */
static int splice_link(struct strbuf *path, size_t rest, int dirfd, const char *name)
{
	char target[SAFE_LINK_MAX];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target));
	struct strbuf next = STRBUF_INIT;

	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(target)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (n == 0 || target[0] == '/') {
		errno = n ? EXDEV : ENOENT;
		return -1;
	}
	strbuf_add(&next, target, (size_t)n);
	strbuf_adds(&next, strbuf_str(path) + rest);
	strbuf_release(path);
	*path = next;
	return 0;
}

/* 1 when `name` in `dirfd` is a symlink (errno kept otherwise). */
static int is_link_at(int dirfd, const char *name)
{
	int saved = errno;
	struct stat st;
	int r = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);

	errno = saved;
	return r;
}

static int fallback_openat(int rootfd, const char *rel, int flags, unsigned mode, unsigned how)
{
	struct strbuf path = STRBUF_INIT;
	struct walk w = { NULL, 0, 0 };
	struct stat rst, st;
	int nofollow_last = flags & O_NOFOLLOW, links = 0, fd = -1;
	size_t pos = 0;

	if (fstat(rootfd, &rst) < 0)
		return -1;
	if (rel[0] == '/') {
		errno = EXDEV;
		return -1;
	}
	strbuf_adds(&path, rel);
	walk_push(&w, rootfd);
	for (;;) {
		const char *all = strbuf_str(&path), *s = all + pos, *e;
		int cur = w.fds[w.n - 1];
		char name[256];
		size_t n;

		while (*s == '/')
			s++;
		if (!*s) { /* the path names the folder reached so far */
			fd = openat(cur, ".", flags | O_CLOEXEC, mode);
			break;
		}
		e = strchr(s, '/');
		n = e ? (size_t)(e - s) : strlen(s);
		if (n >= sizeof(name)) {
			errno = ENAMETOOLONG;
			break;
		}
		memcpy(name, s, n);
		name[n] = '\0';
		pos = (size_t)(s - all) + n;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			if (w.n == 1) {
				errno = EXDEV;
				break;
			}
			close(w.fds[--w.n]);
			continue;
		}
		if (all[pos]) { /* a folder on the way */
			int nfd;

			if (fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				break;
			if (S_ISLNK(st.st_mode))
				goto follow;
			if (!S_ISDIR(st.st_mode)) {
				errno = ENOTDIR;
				break;
			}
			nfd = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (nfd < 0)
				break;
			if (fstat(nfd, &st) < 0 || st.st_dev != rst.st_dev) {
				close(nfd);
				errno = EXDEV;
				break;
			}
			walk_push(&w, nfd);
			continue;
		}
		fd = openat(cur, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0) {
			if (fstat(fd, &st) < 0) {
				close(fd);
				fd = -1;
				break;
			}
			if (S_ISLNK(st.st_mode) && !nofollow_last) { /* O_PATH opened the link */
				close(fd);
				fd = -1;
				goto follow;
			}
			if (st.st_dev != rst.st_dev) {
				close(fd);
				fd = -1;
				errno = EXDEV;
			}
			break;
		}
		if (nofollow_last || (errno != ELOOP && errno != ENOTDIR) || !is_link_at(cur, name))
			break;
	follow:
		if ((how & SAFE_NO_SYMLINKS) || ++links > SAFE_MAX_LINKS) {
			errno = ELOOP;
			break;
		}
		if (splice_link(&path, pos, cur, name) < 0)
			break;
		pos = 0;
	}
	walk_release(&w);
	strbuf_release(&path);
	return fd;
}

int safe_openat(int rootfd, const char *rel, int flags, unsigned mode, unsigned how)
{
	if (!*rel)
		rel = ".";
	if (have_openat2()) {
		int fd = kernel_openat(rootfd, rel, flags, mode, how);

		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return fd;
	}
	return fallback_openat(rootfd, rel, flags, mode, how);
}

/* INVALID / NOT_FOUND / INTERNAL for an open of `path` that failed. */
static int open_error(struct unik_err *err, int e, const char *path, const char *root, unsigned how)
{
	switch (e) {
	case ENOENT: return unik_err_set(err, UNIK_E_NOT_FOUND, "%s does not exist", path);
	case EXDEV:
		return unik_err_set(err, UNIK_E_INVALID,
				    "%s leads outside %s (a symlink or mount); refused", path,
				    root);
	case ELOOP:
		return unik_err_set(
		    err, UNIK_E_INVALID,
		    how & SAFE_NO_SYMLINKS
			? "%s is or goes through a symlink; refused"
			: "%s: a symlink loop, or a symlink where none may be; refused",
		    path);
	case ENOTDIR:
		return unik_err_set(err, UNIK_E_INVALID, "%s: a part of it is not a folder", path);
	case EISDIR: return unik_err_set(err, UNIK_E_INVALID, "%s is a folder", path);
	case ENAMETOOLONG: return unik_err_set(err, UNIK_E_INVALID, "%s: name too long", path);
	default: return unik_err_set(err, UNIK_E_INTERNAL, "cannot open %s: %s", path, strerror(e));
	}
}

int safe_open_in(const char *root, const char *path, int flags, unsigned how, struct unik_err *err)
{
	size_t rl = strlen(root);
	const char *rel;
	int rootfd, fd, e;

	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 1 && root[0] == '/')
		rl = 0; /* the root folder: every absolute path is in it */
	if (strncmp(path, root, rl) || (path[rl] && path[rl] != '/'))
		return unik_err_set(err, UNIK_E_INTERNAL, "%s is not in %s", path, root);
	for (rel = path + rl; *rel == '/'; rel++)
		;
	rootfd = safe_dir_open(root);
	if (rootfd < 0) {
		e = errno;
		if (e == ELOOP || e == ENOTDIR)
			return unik_err_set(err, UNIK_E_INVALID,
					    "%s is not a folder (a symlink in its place?); refused",
					    root);
		return open_error(err, e, root, root, 0);
	}
	fd = safe_openat(rootfd, rel, flags, 0, how);
	e = errno;
	close(rootfd);
	if (fd < 0)
		return open_error(err, e, path, root, how);
	return fd;
}

/* Splits `path` into a new string holding its folder and a pointer to its
 * last component (inside `path`). */
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

int safe_open_file(const char *path, int flags, unsigned how, struct unik_err *err)
{
	const char *base;
	char *dir = split_path(path, &base);
	int fd;

	if (!*base) {
		free(dir);
		return unik_err_set(err, UNIK_E_INTERNAL, "%s names no file", path);
	}
	fd = safe_open_in(dir, path, flags, how, err);
	free(dir);
	return fd;
}

int safe_create(const char *path, unsigned mode, struct unik_err *err)
{
	const char *base;
	char *dir = split_path(path, &base);
	int dfd = safe_dir_open(dir), fd = -1;

	if (dfd < 0) {
		unik_err_set(err,
			     errno == ELOOP || errno == ENOTDIR ? UNIK_E_INVALID : UNIK_E_INTERNAL,
			     "cannot create %s: its folder: %s", path, strerror(errno));
		goto cleanup;
	}
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		unik_err_set(err, UNIK_E_INTERNAL, "%s names no file", path);
		goto cleanup;
	}
	if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT) {
		unik_err_set(err, errno == EISDIR ? UNIK_E_INVALID : UNIK_E_INTERNAL,
			     "cannot replace %s: %s", path, strerror(errno));
		goto cleanup;
	}
	fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		unik_err_set(err, UNIK_E_INTERNAL, "cannot create %s: %s", path, strerror(errno));
cleanup:
	if (dfd >= 0)
		close(dfd);
	free(dir);
	return fd;
}

int safe_mkdirs_at(int rootfd, const char *rel, unsigned mode)
{
	int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	const char *s = rel;

	while (cur >= 0 && *s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		char name[256];
		int nfd;

		if (n == 0 || (n == 1 && s[0] == '.')) {
			s += n + (e ? 1 : 0);
			continue;
		}
		if (n >= sizeof(name) || (n == 2 && s[0] == '.' && s[1] == '.')) {
			close(cur);
			errno = n >= sizeof(name) ? ENAMETOOLONG : EINVAL;
			return -1;
		}
		memcpy(name, s, n);
		name[n] = '\0';
		s += n + (e ? 1 : 0);
		if (mkdirat(cur, name, mode) < 0 && errno != EEXIST) {
			nfd = -1;
		} else {
			nfd = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (nfd < 0 && (errno == ENOTDIR || errno == ELOOP))
				errno = is_link_at(cur, name) ? ELOOP : ENOTDIR;
		}
		{
			int saved = errno;

			close(cur);
			errno = saved;
		}
		cur = nfd;
	}
	return cur;
}

int safe_read_fd(int fd, const char *what, long long max, struct strbuf *out, struct unik_err *err)
{
	char buf[65536];
	struct stat st;
	long long total = 0;
	ssize_t n;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return unik_err_set(err, UNIK_E_INVALID, "%s is not a regular file", what);
	if (st.st_size > max)
		return unik_err_set(err, UNIK_E_INVALID, "%s is larger than %lld bytes", what, max);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return unik_err_set(err, UNIK_E_INTERNAL, "cannot read %s: %s", what,
					    strerror(errno));
		total += n;
		if (total > max)
			return unik_err_set(err, UNIK_E_INVALID, "%s is larger than %lld bytes",
					    what, max);
		strbuf_add(out, buf, (size_t)n);
	}
	return 0;
}
