/* rmtree.c - rm -rf by file descriptor.
 *
 * The walk holds one folder fd at a time and a stack of the folders above
 * it (name, device, inode), so depth is limited by memory only (nftw() and
 * path names stop at PATH_MAX).  It goes down with openat(O_NOFOLLOW) and
 * back up with openat("..") checked against the stack, so a folder moved
 * away meanwhile stops the walk instead of leading it elsewhere.  Symlinks
 * are removed, never followed; another file system below is not entered.
 */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strv.h"
#include "xalloc.h"

#define RM_MAX_RESCANS 8 /* entries that keep appearing in a folder: give up */

struct rm_level {
	char *name; /* in the folder above */
	dev_t dev;
	ino_t ino;
	struct strv subdirs; /* found by the last scan, not yet removed */
	size_t next;
	int scans;
};

struct rm_walk {
	struct rm_level *v;
	size_t n, alloc;
	dev_t top_dev;
	struct unik_err *err;
};

static struct rm_level *push(struct rm_walk *w, const char *name, const struct stat *st)
{
	struct rm_level *l;

	if (w->n == w->alloc) {
		w->alloc = w->alloc ? 2 * w->alloc : 32;
		w->v = xrealloc(w->v, w->alloc * sizeof(*w->v));
	}
	l = &w->v[w->n++];
	memset(l, 0, sizeof(*l));
	l->name = xstrdup(name);
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	return l;
}

static void pop(struct rm_walk *w)
{
	struct rm_level *l = &w->v[--w->n];

	free(l->name);
	strv_release(&l->subdirs);
}

/* Opens the folder `name` in `dirfd` that fstatat() described as `st`;
 * gives it owner rwx when it lacks them (a build may leave 0500 folders). */
static int open_dir(int dirfd, const char *name, const struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat now;

	if (fd < 0 && errno == EACCES &&
	    fchmodat(dirfd, name, (st->st_mode & 07777) | 0700, AT_SYMLINK_NOFOLLOW) == 0)
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		close(fd);
		errno = ESTALE; /* replaced between the stat and the open */
		return -1;
	}
	if ((now.st_mode & 0700) != 0700)
		fchmod(fd, (now.st_mode & 07777) | 0700);
	return fd;
}

/* Removes the non-folders of the folder `fd` and lists its subfolders. */
static int scan(struct rm_walk *w, int fd, struct rm_level *l)
{
	DIR *d;
	struct dirent *de;
	int dup_fd = dup(fd), rc = 0;

	if (dup_fd < 0 || !(d = fdopendir(dup_fd))) {
		if (dup_fd >= 0)
			close(dup_fd);
		return unik_err_set(w->err, UNIK_E_INTERNAL, "cannot list %s: %s", l->name,
				    strerror(errno));
	}
	rewinddir(d); /* the dup shares the offset of an earlier scan */
	strv_release(&l->subdirs);
	l->next = 0;
	l->scans++;
	while (rc == 0 && (errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		int is_dir = de->d_type == DT_DIR;
		struct stat st;

		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (de->d_type == DT_UNKNOWN) {
			if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno != ENOENT)
					rc = unik_err_set(w->err, UNIK_E_INTERNAL,
							  "cannot stat %s: %s", name,
							  strerror(errno));
				continue;
			}
			is_dir = S_ISDIR(st.st_mode);
		}
		if (is_dir)
			strv_push(&l->subdirs, name);
		else if (unlinkat(fd, name, 0) < 0 && errno != ENOENT)
			rc = unik_err_set(w->err, UNIK_E_INTERNAL, "cannot remove %s: %s", name,
					  strerror(errno));
	}
	if (rc == 0 && errno)
		rc = unik_err_set(w->err, UNIK_E_INTERNAL, "cannot list %s: %s", l->name,
				  strerror(errno));
	closedir(d);
	return rc;
}

/* Steps from folder `fd` (level n-1) into its next subfolder, or back up
 * once it is empty, removing it.  *fd is the new current folder; returns
 * 1 when the top folder is gone, 0 to go on, -1 on errors. */
static int step(struct rm_walk *w, int dirfd, int *fd)
{
	struct rm_level *l = &w->v[w->n - 1];
	struct stat st;
	int nfd, pfd;

	while (l->next < l->subdirs.n) {
		const char *sub = l->subdirs.v[l->next++];

		if (fstatat(*fd, sub, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return unik_err_set(w->err, UNIK_E_INTERNAL, "cannot stat %s: %s", sub,
					    strerror(errno));
		}
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(*fd, sub, 0) < 0 && errno != ENOENT)
				return unik_err_set(w->err, UNIK_E_INTERNAL, "cannot remove %s: %s",
						    sub, strerror(errno));
			continue;
		}
		if (st.st_dev != w->top_dev)
			return unik_err_set(
			    w->err, UNIK_E_INTERNAL,
			    "%s is another file system (a mount point); not removed", sub);
		nfd = open_dir(*fd, sub, &st);
		if (nfd < 0)
			return unik_err_set(w->err, UNIK_E_INTERNAL, "cannot open %s: %s", sub,
					    strerror(errno));
		l = push(w, sub, &st);
		close(*fd);
		*fd = nfd;
		return scan(w, nfd, l);
	}
	/* no subfolder left: anything new since the scan? */
	if (l->subdirs.n > 0) {
		if (l->scans >= RM_MAX_RESCANS)
			return unik_err_set(w->err, UNIK_E_INTERNAL,
					    "%s keeps changing while it is removed", l->name);
		return scan(w, *fd, l);
	}
	if (w->n == 1) {
		close(*fd);
		*fd = -1;
		if (unlinkat(dirfd, l->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			return unik_err_set(w->err, UNIK_E_INTERNAL, "cannot remove %s: %s",
					    l->name, strerror(errno));
		return 1;
	}
	pfd = openat(*fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0 || fstat(pfd, &st) < 0 || st.st_dev != w->v[w->n - 2].dev ||
	    st.st_ino != w->v[w->n - 2].ino) {
		if (pfd >= 0)
			close(pfd);
		return unik_err_set(w->err, UNIK_E_INTERNAL,
				    "%s was moved while it was removed; stopped", l->name);
	}
	close(*fd);
	*fd = pfd;
	if (unlinkat(pfd, l->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return unik_err_set(w->err, UNIK_E_INTERNAL, "cannot remove %s: %s", l->name,
				    strerror(errno));
	pop(w);
	return 0;
}

int fs_remove_tree_at(int dirfd, const char *name, struct unik_err *err)
{
	struct rm_walk w = { NULL, 0, 0, 0, err };
	struct stat st;
	int fd, r;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0
				       : unik_err_set(err, UNIK_E_INTERNAL, "cannot stat %s: %s",
						      name, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return unik_err_set(err, UNIK_E_INTERNAL, "cannot remove %s: %s", name,
					    strerror(errno));
		return 0;
	}
	fd = open_dir(dirfd, name, &st);
	if (fd < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot open %s: %s", name,
				    strerror(errno));
	w.top_dev = st.st_dev;
	r = scan(&w, fd, push(&w, name, &st));
	while (r == 0)
		r = step(&w, dirfd, &fd);
	if (fd >= 0)
		close(fd);
	while (w.n)
		pop(&w);
	free(w.v);
	return r < 0 ? -1 : 0;
}
