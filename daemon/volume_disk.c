/* volume_disk.c - making and converting volumes' disks (see volume_disk.h). */
#include "volume_disk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/run.h"
#include "../lib/run_host_tool.h"
#include "../lib/sandbox.h"
#include "../lib/strbuf.h"
#include "../lib/strv.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "jobs.h"
#include "store.h"
#include "../lib/fsutil.h"

#define MIB (1LL << 20)

char *volume_dir(struct unikd *d, const char *id)
{
	return unikd_path(d, "volumes/%s", id);
}

char *volume_master_path(struct unikd *d, const char *id)
{
	return unikd_path(d, "volumes/%s/disk.raw", id);
}

/* The bytes the content under `dir` takes, roughly as a file system
 * stores it: each entry a block, each file rounded up to 4 KiB. */
static long long content_bytes;
static int count_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)path;
	(void)flag;
	(void)f;
	content_bytes += 4096;
	if (S_ISREG(st->st_mode))
		content_bytes += (st->st_size + 4095) / 4096 * 4096;
	return 0;
}

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static long long tree_bytes(const char *dir)
{
	long long n;

	pthread_mutex_lock(&count_lock);
	content_bytes = 0;
	nftw(dir, count_entry, 16, FTW_PHYS);
	n = content_bytes;
	pthread_mutex_unlock(&count_lock);
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The top-level entries of `dir` as "./NAME" arguments (for mcopy). */
static int list_top(const char *dir, struct strv *out, struct unik_err *err)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	if (!dp)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot read %s: %s", dir,
				    strerror(errno));
	while ((e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strv_push_owned(out, xasprintf("./%s", e->d_name));
	closedir(dp);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

/* A sandbox over work_dir for the tools that read user content. */
struct vol_sandbox {
	struct sandbox sb;
	int open;
};

static int sandboxed(struct unikd *d, struct vol_sandbox *vs, const char *work_dir,
		     const char *const *argv, const char *cwd, const char *out_dir,
		     struct unik_err *err)
{
	const char *rw[] = { out_dir, NULL };
	struct run_opts opts = { cwd, NULL, NULL, NULL, &vs->sb, rw };

	if (!vs->open) {
		if (sandbox_open(&vs->sb, jobs_sandbox_conf(d), work_dir, err) < 0)
			return -1;
		vs->open = 1;
	}
	return run_command(argv, &opts, err);
}

static int run_tool(struct unikd *d, struct vol_sandbox *vs, const char *work_dir,
		    const char *const *argv, const char *cwd, const char *out_dir,
		    struct unik_err *err)
{
	if (vs)
		return sandboxed(d, vs, work_dir, argv, cwd, out_dir, err);
	return run_host_tool(argv, cwd, err);
}

static int make_ext(struct unikd *d, struct vol_sandbox *vs, const char *type, long long size,
		    const char *work_dir, const char *content, const char *out, const char *out_dir,
		    struct unik_err *err)
{
	char kib[32];
	const char *argv[16];
	int n = 0;

	snprintf(kib, sizeof(kib), "%lldk", size / 1024);
	argv[n++] = "mke2fs";
	argv[n++] = "-q";
	argv[n++] = "-F";
	argv[n++] = "-t";
	argv[n++] = type;
	argv[n++] = "-E";
	argv[n++] = "root_owner=0:0";
	if (content) {
		argv[n++] = "-d";
		argv[n++] = content;
	}
	argv[n++] = out;
	argv[n++] = kib;
	argv[n] = NULL;
	return run_tool(d, vs, work_dir, argv, NULL, out_dir, err);
}

static int make_fat(struct unikd *d, struct vol_sandbox *vs, long long size, const char *work_dir,
		    const char *content, const char *out, const char *out_dir, struct unik_err *err)
{
	char sectors[32];
	const char *fmt[] = { "mformat", "-i", out,  "-T", sectors, "-h",
			      "64",	 "-s", "32", "::", NULL };
	struct strv cp = STRV_INIT, top = STRV_INIT;
	int fd, rc = -1;

	/* mformat writes into an existing file of the disk's size */
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, size) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot create %s: %s", out, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (vs && jobs_sandbox_conf(d)->drop &&
	    chown(out, jobs_sandbox_conf(d)->uid, jobs_sandbox_conf(d)->gid) < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot hand %s to the build user: %s",
				    out, strerror(errno));
	snprintf(sectors, sizeof(sectors), "%lld", size / 512);
	if (run_tool(d, vs, work_dir, fmt, NULL, out_dir, err))
		return -1;
	if (!content)
		return 0;
	if (list_top(content, &top, err))
		goto cleanup;
	if (top.n == 0) {
		rc = 0;
		goto cleanup;
	}
	/* -s: folders recursively; -p: keep the modes; -Q: stop at the first
	 * error (a name FAT cannot hold, a full disk) */
	strv_push(&cp, "mcopy");
	strv_push(&cp, "-s");
	strv_push(&cp, "-p");
	strv_push(&cp, "-Q");
	strv_push(&cp, "-D");
	strv_push(&cp, "o");
	strv_push(&cp, "-i");
	strv_push(&cp, out);
	for (size_t i = 0; i < top.n; i++)
		strv_push(&cp, top.v[i]);
	strv_push(&cp, "::/");
	rc = run_tool(d, vs, work_dir, (const char *const *)cp.v, content, out_dir, err);
cleanup:
	strv_release(&cp);
	strv_release(&top);
	return rc;
}

int volume_disk_make(struct unikd *d, const char *type, long long *size, const char *work_dir,
		     const char *content, const char *out, struct unik_err *err)
{
	struct vol_sandbox vs;
	char *out_dir = xstrdup(out), *slash = strrchr(out_dir, '/');
	int rc;

	memset(&vs, 0, sizeof(vs));
	if (slash)
		*slash = '\0';
	if (*size == 0) {
		long long need = content ? tree_bytes(content) : 0;

		/* room for the file system's own tables, and to grow */
		*size = need + need / 4 + 8 * MIB;
		if (*size < 16 * MIB)
			*size = 16 * MIB;
	}
	*size = (*size + MIB - 1) / MIB * MIB;
	if (content) {
		const struct sandbox_conf *sc = jobs_sandbox_conf(d);

		if (sc->lim.file_size > 0 && *size > sc->lim.file_size) {
			free(out_dir);
			return unik_err_set(err, UNIK_E_INVALID,
					    "a volume made from a folder may have at most "
					    "build.file_size = %lld MiB (its tools write it in the "
					    "build sandbox), not %lld MiB",
					    sc->lim.file_size / MIB, *size / MIB);
		}
	}
	if (!strcmp(type, "fat"))
		rc = make_fat(d, content ? &vs : NULL, *size, work_dir, content, out, out_dir, err);
	else
		rc = make_ext(d, content ? &vs : NULL, type, *size, work_dir, content, out, out_dir,
			      err);
	if (vs.open)
		sandbox_close(&vs.sb);
	if (rc && content &&
	    (strstr(err->msg, "No space left") || strstr(err->msg, "Could not allocate") ||
	     strstr(err->msg, "Disk full") || strstr(err->msg, "disk full") ||
	     strstr(err->msg, "too small")))
		unik_err_set(err, UNIK_E_INVALID,
			     "the folder does not fit in a %s volume of %lld MiB: give a larger "
			     "--size",
			     type, *size / MIB);
	free(out_dir);
	return rc;
}

/* Removes the converted copies in `dir` other than `keep`. */
static void drop_stale(const char *dir, const char *keep)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	if (!dp)
		return;
	while ((e = readdir(dp))) {
		if (strncmp(e->d_name, "disk.", 5) || !strcmp(e->d_name, "disk.raw") ||
		    !strcmp(e->d_name, keep))
			continue;
		if (unlinkat(dirfd(dp), e->d_name, 0) < 0)
			unikd_log("volume %s: cannot remove %s: %s", dir, e->d_name,
				  strerror(errno));
	}
	closedir(dp);
}

char *volume_disk_for(struct unikd *d, const struct unik_volume *v, const char *format,
		      struct unik_err *err)
{
	char *dir, *master, *name, *path, *tmp;
	struct stat st;

	master = volume_master_path(d, v->id);
	if (!strcmp(format, "raw"))
		return master;
	dir = volume_dir(d, v->id);
	name = xasprintf("disk.%lld.%s", (long long)v->generation, format);
	path = xasprintf("%s/%s", dir, name);
	if (stat(path, &st) < 0) {
		/* made under a temporary name: two starts may convert at once */
		const char *argv[] = { "qemu-img", "convert", "-q",   "-f", "raw",
				       "-O",	   format,    master, NULL, NULL };
		char *rnd =
		    xasprintf("%s/.tmp.%d.%lx", dir, (int)getpid(), (unsigned long)pthread_self());

		tmp = rnd;
		argv[8] = tmp;
		if (run_host_tool(argv, NULL, err) || rename(tmp, path) < 0) {
			if (!err->code)
				unik_err_set(err, UNIK_E_INTERNAL, "cannot keep %s: %s", path,
					     strerror(errno));
			unik_err_prefix(err, "cannot convert volume %s to %s", v->name, format);
			unlink(tmp);
			free(tmp);
			free(path);
			path = NULL;
			goto out;
		}
		free(tmp);
	}
	drop_stale(dir, name);
out:
	free(name);
	free(dir);
	free(master);
	return path;
}

int volumes_reconcile(struct unikd *d, struct unik_err *err)
{
	char *dir = unikd_path(d, "volumes");
	DIR *dp = opendir(dir);
	struct dirent *e;

	if (!dp) {
		free(dir);
		return 0; /* no volume yet */
	}
	while ((e = readdir(dp))) {
		struct unik_volume v;
		int known;

		if (e->d_name[0] == '.')
			continue;
		unik_volume_init(&v);
		known = store_volume_get(d->store, e->d_name, &v, NULL) == 0;
		unik_volume_release(&v);
		if (known)
			continue;
		unikd_log("volume folder %s/%s has no record: removed", dir, e->d_name);
		if (fs_remove_tree_at(dirfd(dp), e->d_name, err)) {
			unikd_log("cannot remove it: %s", err->msg);
			unik_err_clear(err);
		}
	}
	closedir(dp);
	free(dir);
	return 0;
}
