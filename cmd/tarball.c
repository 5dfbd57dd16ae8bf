/* tarball.c - pack a folder with libarchive (tar, pax format, gzip). */
#include "tarball.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_dyn.h"
#include "../lib/xalloc.h"

struct packer {
	struct archive *a;
	struct strbuf full; /* path on disk */
	struct strbuf rel; /* path in the archive */
	struct unik_err *err;
};

static la_ssize_t to_strbuf(struct archive *a, void *arg, const void *buf, size_t n)
{
	strbuf_add(arg, buf, n);
	return (la_ssize_t)n;
}

static int archive_fail(struct packer *p, const char *what)
{
	return unik_err_set(p->err, UNIK_E_INTERNAL, "cannot pack %s: %s", what,
			    archive_error_string(p->a) ? archive_error_string(p->a)
						       : "libarchive error");
}

static int copy_data(struct packer *p, const char *path)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;
	int rc = 0;

	if (fd < 0)
		return unik_err_set(p->err, UNIK_E_INVALID, "cannot read %s: %s", path,
				    strerror(errno));
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = unik_err_set(p->err, UNIK_E_INVALID, "cannot read %s: %s", path,
					  strerror(errno));
			break;
		}
		if (archive_write_data(p->a, buf, (size_t)n) != n) {
			rc = archive_fail(p, path);
			break;
		}
	}
	close(fd);
	return rc;
}

/* Writes the entry at p->full / p->rel, whose lstat() is `st`. */
static int add_entry(struct packer *p, const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();
	const char *full = strbuf_str(&p->full);
	char target[4096];
	int rc = 0;

	archive_entry_copy_stat(e, st);
	archive_entry_set_pathname(e, strbuf_str(&p->rel));
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "");
	archive_entry_set_gname(e, "");
	archive_entry_set_nlink(e, 1);
	if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlink(full, target, sizeof(target) - 1);

		if (n < 0) {
			archive_entry_free(e);
			return unik_err_set(p->err, UNIK_E_INVALID, "cannot read the link %s: %s",
					    full, strerror(errno));
		}
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
		archive_entry_set_size(e, 0);
	} else if (S_ISDIR(st->st_mode)) {
		archive_entry_set_size(e, 0);
	}
	if (archive_write_header(p->a, e) != ARCHIVE_OK)
		rc = archive_fail(p, full);
	else if (S_ISREG(st->st_mode))
		rc = copy_data(p, full);
	archive_entry_free(e);
	return rc;
}

/* Packs the folder p->full, whose entries are named under p->rel. */
static int add_dir(struct packer *p, int top)
{
	struct dirent **names = NULL;
	size_t full_len = p->full.len, rel_len = p->rel.len;
	int n, rc = 0;

	n = scandir(strbuf_str(&p->full), &names, NULL, alphasort);
	if (n < 0)
		return unik_err_set(p->err, UNIK_E_INVALID, "cannot read the folder %s: %s",
				    strbuf_str(&p->full), strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		struct stat st;

		if (rc || !strcmp(name, ".") || !strcmp(name, "..") ||
		    (top && !strcmp(name, ".git")))
			continue;
		strbuf_addf(&p->full, "/%s", name);
		strbuf_addf(&p->rel, "%s%s", rel_len ? "/" : "", name);
		if (lstat(strbuf_str(&p->full), &st) < 0)
			rc = unik_err_set(p->err, UNIK_E_INVALID, "cannot stat %s: %s",
					  strbuf_str(&p->full), strerror(errno));
		else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
			fprintf(stderr, "unik: skipping %s: not a file, folder or symlink\n",
				strbuf_str(&p->full));
		else
			rc = add_entry(p, &st);
		if (!rc && S_ISDIR(st.st_mode))
			rc = add_dir(p, 0);
		p->full.len = full_len;
		p->full.buf[full_len] = '\0';
		p->rel.len = rel_len;
		if (p->rel.buf)
			p->rel.buf[rel_len] = '\0';
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int tarball_pack_dir(const char *dir, struct strbuf *out, struct unik_err *err)
{
	struct packer p = { NULL, STRBUF_INIT, STRBUF_INIT, err };
	int rc;

	if (archive_dyn_load(err))
		return -1;
	p.a = archive_write_new();
	if (!p.a)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot initialise libarchive");
	strbuf_adds(&p.full, dir);
	while (p.full.len > 1 && p.full.buf[p.full.len - 1] == '/')
		p.full.buf[--p.full.len] = '\0';
	if (archive_write_add_filter_gzip(p.a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(p.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(p.a, 1) != ARCHIVE_OK ||
	    archive_write_open(p.a, out, NULL, to_strbuf, NULL) != ARCHIVE_OK)
		rc = archive_fail(&p, dir);
	else
		rc = add_dir(&p, 1);
	if (archive_write_close(p.a) != ARCHIVE_OK && !rc)
		rc = archive_fail(&p, dir);
	archive_write_free(p.a);
	strbuf_release(&p.full);
	strbuf_release(&p.rel);
	return rc;
}
