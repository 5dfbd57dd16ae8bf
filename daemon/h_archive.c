/* h_archive.c - GET /v1/instances/{ref}/archive?path=PATH: the files at
 * PATH of an instance, as a tar stream (unik cp INSTANCE:PATH HOSTPATH).
 *
 * What an instance can expose from outside is its volumes: PATH must lie
 * on one of its mounts.  The volume's disk is copied into a work folder
 * and read there by the tools that made it (debugfs rdump for ext2/ext4,
 * mcopy for fat), in the build sandbox (the disk's content is the guest's,
 * so hostile); the disk is never mounted on the host.  The files they
 * write are put in a tar (symbolic links as links, never followed) whose
 * top entry is PATH's last name.  A running instance that mounts the
 * volume read-write is refused (409): its disk changes under the reader.
 * Files that are not on a volume (the image's own, the guest's in-memory
 * overlay) are 404, saying so. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/run.h"
#include "../lib/sandbox.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "handlers.h"
#include "http.h"
#include "ids.h"
#include "jobs.h"
#include "store.h"
#include "volume_disk.h"

#define ARCHIVE_PATH_MAX 1024

/* `in` cleaned into `out`: absolute, no empty or "." components, no ".."
 * (refused), no trailing '/', no control characters or '"' (debugfs
 * reads the path as a quoted word). */
static int clean_path(const char *in, struct strbuf *out, struct unik_err *err)
{
	const char *p = in;

	if (!in || !*in)
		return unik_err_set(err, UNIK_E_INVALID, "say which path: path=/PATH");
	if (in[0] != '/')
		return unik_err_set(err, UNIK_E_INVALID, "the path must be absolute, not '%.200s'",
				    in);
	if (strlen(in) > ARCHIVE_PATH_MAX)
		return unik_err_set(err, UNIK_E_INVALID, "the path is longer than %d bytes",
				    ARCHIVE_PATH_MAX);
	for (const char *c = in; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '"' || *c == '\\')
			return unik_err_set(err, UNIK_E_INVALID,
					    "the path has a character unik cp does not take");
	while (*p) {
		const char *e;
		size_t n;

		while (*p == '/')
			p++;
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && !strncmp(p, "..", 2))
			return unik_err_set(err, UNIK_E_INVALID, "the path may not hold '..'");
		if (n && !(n == 1 && *p == '.')) {
			strbuf_addch(out, '/');
			strbuf_add(out, p, n);
		}
		p += n;
	}
	if (!out->len)
		strbuf_addch(out, '/');
	return 0;
}

/* The mount of `in` holding `path` (the deepest), or NULL; *inner is
 * path inside it ("/" for its top). */
static const struct unik_mount *find_mount(const struct unik_instance *in, const char *path,
					   const char **inner)
{
	const struct unik_mount *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < in->n_volumes; i++) {
		const char *mp = in->volumes[i].path;
		size_t n = strlen(mp);

		if (strncmp(path, mp, n) || (path[n] && path[n] != '/') || n < best_len)
			continue;
		best = &in->volumes[i];
		best_len = n;
		*inner = path[n] ? path + n : "/";
	}
	return best;
}

/* Adds the tree under `dir` to a tar at `tar_path`: entries named
 * relative to dir, links kept as links. */
static int write_tar(const char *dir, const char *tar_path, struct unik_err *err)
{
	struct archive *disk = archive_read_disk_new(), *out = archive_write_new();
	struct archive_entry *e;
	size_t dlen = strlen(dir);
	int rc = -1, r;

	archive_write_set_format_pax_restricted(out);
	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_standard_lookup(disk);
	if (archive_write_open_filename(out, tar_path) != ARCHIVE_OK) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot write the tar: %s",
			     archive_error_string(out));
		goto out;
	}
	if (archive_read_disk_open(disk, dir) != ARCHIVE_OK) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot read the copied files: %s",
			     archive_error_string(disk));
		goto out;
	}
	for (;;) {
		const char *name;

		e = archive_entry_new();
		r = archive_read_next_header2(disk, e);
		if (r == ARCHIVE_EOF) {
			archive_entry_free(e);
			break;
		}
		if (r != ARCHIVE_OK) {
			unik_err_set(err, UNIK_E_INTERNAL, "reading the copied files: %s",
				     archive_error_string(disk));
			archive_entry_free(e);
			goto out;
		}
		archive_read_disk_descend(disk);
		/* the names relative to dir (which itself is left out) */
		name = archive_entry_pathname(e);
		if (strncmp(name, dir, dlen) || name[dlen] != '/' || !name[dlen + 1]) {
			archive_entry_free(e);
			continue;
		}
		archive_entry_copy_sourcepath(e, name);
		archive_entry_copy_pathname(e, name + dlen + 1);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_uname(e, "root");
		archive_entry_set_gname(e, "root");
		if (archive_write_header(out, e) != ARCHIVE_OK) {
			unik_err_set(err, UNIK_E_INTERNAL, "writing the tar: %s",
				     archive_error_string(out));
			archive_entry_free(e);
			goto out;
		}
		if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0) {
			int fd =
			    open(archive_entry_sourcepath(e), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			char buf[65536];
			ssize_t got;

			if (fd < 0) {
				unik_err_set(err, UNIK_E_INTERNAL, "reading a copied file: %s",
					     strerror(errno));
				archive_entry_free(e);
				goto out;
			}
			while ((got = read(fd, buf, sizeof(buf))) > 0)
				archive_write_data(out, buf, (size_t)got);
			close(fd);
		}
		archive_entry_free(e);
	}
	rc = 0;
out:
	archive_read_free(disk);
	if (archive_write_close(out) != ARCHIVE_OK && !rc)
		rc = unik_err_set(err, UNIK_E_INTERNAL, "writing the tar: %s",
				  archive_error_string(out));
	archive_write_free(out);
	return rc;
}

/* Copies `inner` of the disk (a copy in `work`) into work/out/NAME. */
static int dump_files(struct unikd *d, const char *work, const char *type, const char *disk,
		      const char *inner, const char *name, struct unik_err *err)
{
	struct sandbox sb;
	char *out = xasprintf("%s/out", work), *top = xasprintf("%s/out/%s", work, name);
	char *cmd = NULL, *src = NULL;
	const char *rw[] = { out, NULL };
	struct run_opts opts = { work, NULL, NULL, NULL, &sb, rw };
	int rc = -1, root = !strcmp(inner, "/");

	if (fs_mkdir_p(out, 0700, err) || (root && fs_mkdir_p(top, 0700, err)))
		goto done;
	if (sandbox_open(&sb, jobs_sandbox_conf(d), work, err) < 0)
		goto done;
	if (strcmp(type, "fat")) {
		const char *argv[] = { "debugfs", "-R", NULL, disk, NULL };

		cmd = xasprintf("rdump \"%s\" \"%s\"", inner, root ? top : out);
		argv[2] = cmd;
		rc = run_command(argv, &opts, err);
	} else {
		const char *argv[] = { "mcopy", "-s", "-p", "-n", "-i", disk, NULL, NULL, NULL };

		src = xasprintf("::%s%s", inner, root ? "/*" : "");
		argv[6] = src;
		argv[7] = root ? top : out;
		rc = run_command(argv, &opts, err);
		if (rc && (strstr(err->msg, "not found") || strstr(err->msg, "No match")) && root) {
			unik_err_clear(err); /* an empty volume */
			rc = 0;
		} else if (rc && strstr(err->msg, "not found")) {
			unik_err_set(err, UNIK_E_NOT_FOUND, "no such file on the volume: %s",
				     inner);
		}
	}
	sandbox_close(&sb);
	if (!rc && !root && !fs_exists(top))
		rc = unik_err_set(err, UNIK_E_NOT_FOUND, "no such file on the volume: %s", inner);
done:
	free(out);
	free(top);
	free(cmd);
	free(src);
	return rc;
}

void h_instances_archive(struct http_req *req)
{
	struct unikd *d = req->d;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	struct unik_instance in;
	struct unik_volume v;
	const struct unik_mount *m;
	const char *inner = "/", *name;
	char *id = NULL, *rnd = ids_new(), *work = NULL, *disk = NULL, *master = NULL;
	char *tar = NULL, *outdir = NULL;
	int rv, fd;

	unik_instance_init(&in);
	unik_volume_init(&v);
	if (clean_path(http_query(req, "path"), &path, &err))
		goto fail;
	pthread_mutex_lock(&d->lock);
	rv = store_instance_resolve(d->store, req->params[0], &id, &err) ||
	     store_instance_get(d->store, id, &in, &err);
	m = rv ? NULL : find_mount(&in, strbuf_str(&path), &inner);
	if (!rv && m)
		rv = store_volume_get(d->store, m->volume, &v, &err);
	pthread_mutex_unlock(&d->lock);
	if (rv)
		goto fail;
	if (!m) {
		unik_err_set(&err, UNIK_E_NOT_FOUND,
			     "%s is not on a volume of %s: unik cp copies the files of an "
			     "instance's volumes; the image's packed files and what a running "
			     "guest keeps in memory cannot be copied out",
			     strbuf_str(&path), in.name);
		goto fail;
	}
	if (unik_state_active(in.state) && !m->read_only) {
		unik_err_set(&err, UNIK_E_CONFLICT,
			     "%s is running and writes volume %s (at %s): stop it first, its "
			     "disk changes under a reader",
			     in.name, m->name, m->path);
		goto fail;
	}
	name = strrchr(strbuf_str(&path), '/') + 1;
	if (!*name)
		name = "root";
	work = unikd_path(d, "tmp/archive-%.16s", rnd);
	disk = xasprintf("%s/disk.raw", work);
	master = volume_master_path(d, v.id);
	tar = xasprintf("%s.tar", work);
	outdir = xasprintf("%s/out", work);
	if (fs_mkdir_p(work, 0700, &err) || fs_copy_file(master, disk, 0600, &err) ||
	    dump_files(d, work, v.type, disk, inner, name, &err) || write_tar(outdir, tar, &err))
		goto fail;
	fd = open(tar, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	unlink(tar);
	if (fd < 0) {
		unik_err_set(&err, UNIK_E_INTERNAL, "opening the tar: %s", strerror(errno));
		goto fail;
	}
	http_reply_fd(req, 200, "application/x-tar", fd);
	goto cleanup;
fail:
	http_reply_error(req, &err);
cleanup:
	if (work)
		fs_remove_tree(work, NULL);
	if (tar)
		unlink(tar);
	unik_instance_release(&in);
	unik_volume_release(&v);
	strbuf_release(&path);
	free(id);
	free(rnd);
	free(work);
	free(disk);
	free(master);
	free(tar);
	free(outdir);
}
