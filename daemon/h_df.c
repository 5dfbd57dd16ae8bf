/* h_df.c - GET /v1/system/df: what the daemon's state takes on disk, by
 * kind (`unik system df`).  Sizes are the blocks the files use (du's), the
 * state folder walked without following links. */
#include <dirent.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/xalloc.h"
#include "daemon.h"
#include "handlers.h"
#include "http.h"
#include "store.h"

#define DF_MAX_DEPTH 32

struct du {
	long long bytes;
	long long entries; /* directly in the folder walked */
};

/* Adds what `dirfd` holds (closed here) to `du`. */
static void du_dir(int dirfd, int depth, struct du *du)
{
	DIR *dir = fdopendir(dirfd);
	struct dirent *e;

	if (!dir) {
		close(dirfd);
		return;
	}
	while ((e = readdir(dir))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (depth == 0)
			du->entries++;
		du->bytes += (long long)st.st_blocks * 512;
		if (S_ISDIR(st.st_mode) && depth < DF_MAX_DEPTH) {
			int fd = openat(dirfd, e->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (fd >= 0)
				du_dir(fd, depth + 1, du);
		}
	}
	closedir(dir);
}

static struct du du_of(struct unikd *d, const char *sub)
{
	struct du du = { 0, 0 };
	char *path = unikd_path(d, "%s", sub);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		du_dir(fd, 0, &du);
	free(path);
	return du;
}

void h_system_df(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance *inst;
	struct unik_image *im;
	struct unik_volume *vols;
	size_t ni, nm, nv, active = 0, dangling = 0;
	struct du blobs, instances, volumes, stagings;

	if (store_instance_list(req->d->store, &inst, &ni, &err)) {
		http_reply_error(req, &err);
		return;
	}
	if (store_image_list(req->d->store, &im, &nm, &err)) {
		store_instances_free(inst, ni);
		http_reply_error(req, &err);
		return;
	}
	if (store_volume_list(req->d->store, &vols, &nv, &err)) {
		store_instances_free(inst, ni);
		store_images_free(im, nm);
		http_reply_error(req, &err);
		return;
	}
	for (size_t i = 0; i < ni; i++)
		active += unik_state_active(inst[i].state);
	for (size_t i = 0; i < nm; i++)
		dangling += !im[i].name;
	store_instances_free(inst, ni);
	store_images_free(im, nm);
	store_volumes_free(vols, nv);
	blobs = du_of(req->d, "blobs");
	instances = du_of(req->d, "instances");
	volumes = du_of(req->d, "volumes");
	stagings = du_of(req->d, "stagings");
	http_reply_json(
	    req, 200,
	    json_pack("{s{sIsIsI}s{sIsIsI}s{sIsI}s{sIsI}}", "images", "count", (json_int_t)nm,
		      "dangling", (json_int_t)dangling, "size", (json_int_t)blobs.bytes,
		      "instances", "count", (json_int_t)ni, "active", (json_int_t)active, "size",
		      (json_int_t)instances.bytes, "volumes", "count", (json_int_t)nv, "size",
		      (json_int_t)volumes.bytes, "stagings", "count", (json_int_t)stagings.entries,
		      "size", (json_int_t)stagings.bytes));
}
