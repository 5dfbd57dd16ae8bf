/* fstree.c - walk a folder tree by file descriptor (see fstree.h). */
#include "fstree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

/* One folder on the way down: its entries and where the walk is in them. */
struct level {
	char **names;
	size_t n, next;
	dev_t dev;
	ino_t ino;
};

static void level_release(struct level *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	memset(l, 0, sizeof(*l));
}

/* Reads the entry names of the open folder `fd` (whose fstat is `st`). */
static int level_read(int fd, const struct stat *st, struct level *l, struct unik_err *err)
{
	int own = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t cap = 0;
	struct dirent *e;
	DIR *d;

	memset(l, 0, sizeof(*l));
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	d = own >= 0 ? fdopendir(own) : NULL;
	if (!d) {
		if (own >= 0)
			close(own);
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot read a folder: %s",
				    strerror(errno));
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (l->n == cap) {
			cap = cap ? 2 * cap : 16;
			l->names = xrealloc(l->names, cap * sizeof(*l->names));
		}
		l->names[l->n++] = xstrdup(e->d_name);
	}
	closedir(d);
	return 0;
}

static int changed(struct unik_err *err)
{
	return unik_err_set(err, UNIK_E_CONFLICT, "the folder tree changed while it was walked");
}

int fstree_walk(int rootfd, fstree_fn fn, void *ctx, struct unik_err *err)
{
	struct level *lv = NULL;
	size_t depth = 0, cap = 0;
	struct stat st;
	dev_t dev;
	int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;

	if (fd < 0 || fstat(fd, &st) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot open a folder: %s", strerror(errno));
		goto out;
	}
	dev = st.st_dev;
	lv = xcalloc(cap = 16, sizeof(*lv));
	if (level_read(fd, &st, &lv[0], err) < 0)
		goto out;
	depth = 1;
	while (depth) {
		struct level *l = &lv[depth - 1];
		struct stat cst, sst;
		const char *name;
		int sub, up;

		if (l->next == l->n) { /* done with this folder: back to its parent */
			level_release(l);
			if (--depth == 0)
				break;
			up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (up < 0 || fstat(up, &sst) < 0 || sst.st_dev != lv[depth - 1].dev ||
			    sst.st_ino != lv[depth - 1].ino) {
				if (up >= 0)
					close(up);
				changed(err);
				goto out;
			}
			close(fd);
			fd = up;
			continue;
		}
		name = l->names[l->next++];
		if (fstatat(fd, name, &cst, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue; /* removed since the folder was read */
			unik_err_set(err, UNIK_E_INTERNAL, "cannot stat %s: %s", name,
				     strerror(errno));
			goto out;
		}
		if (fn(ctx, fd, name, &cst, err) < 0)
			goto out;
		if (!S_ISDIR(cst.st_mode) || cst.st_dev != dev)
			continue;
		sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue; /* replaced or removed meanwhile */
		if (fstat(sub, &sst) < 0 || sst.st_dev != cst.st_dev || sst.st_ino != cst.st_ino) {
			close(sub);
			continue;
		}
		if (depth == cap) {
			lv = xrealloc(lv, 2 * cap * sizeof(*lv));
			memset(lv + cap, 0, cap * sizeof(*lv));
			cap *= 2;
		}
		if (level_read(sub, &sst, &lv[depth], err) < 0) {
			close(sub);
			goto out;
		}
		depth++;
		close(fd);
		fd = sub;
	}
	rc = 0;
out:
	while (depth)
		level_release(&lv[--depth]);
	free(lv);
	if (fd >= 0)
		close(fd);
	return rc;
}
