/* stagings.c - the cache of images' staged disks (see stagings.h). */
#include "stagings.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../abi/boot.h"
#include "../lib/fsutil.h"
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "../providers/common/disk_stage.h"
#include "../providers/common/guest.h"
#include "blobs.h"
#include "daemon.h"

/* One staging at a time: a second request for the same one waits and then
 * finds it made. */
static pthread_mutex_t stage_lock = PTHREAD_MUTEX_INITIALIZER;

/* The digest's hex, or NULL when it is not "sha256:<64 hex>". */
static const char *digest_hex(const struct unik_image *im)
{
	const char *h;

	if (!im->digest || strncmp(im->digest, "sha256:", 7))
		return NULL;
	h = im->digest + 7;
	if (strlen(h) != 64 || strspn(h, "0123456789abcdef") != 64)
		return NULL;
	return h;
}

char *stagings_dir(struct unikd *d, const struct unik_image *im)
{
	const char *hex = digest_hex(im);

	return hex ? unikd_path(d, "stagings/%s", hex) : NULL;
}

static const char *file_of(const char *format)
{
	if (!strcmp(format, "raw"))
		return "disk.raw";
	if (!strcmp(format, "raw-gpt"))
		return "disk-gpt.raw";
	if (!strcmp(format, "vmdk"))
		return "disk.vmdk";
	if (!strcmp(format, "vdi"))
		return "disk.vdi";
	return "image.ova";
}

static char *staging_path(struct unikd *d, const char *hex, const char *format)
{
	return unikd_path(d, "stagings/%s/%s", hex, file_of(format));
}

void stagings_fill(struct unikd *d, struct unik_image *im)
{
	const char *hex = digest_hex(im);

	strv_release(&im->stagings);
	for (int i = 0; hex && disk_formats[i]; i++) {
		char *p = staging_path(d, hex, disk_formats[i]);

		if (fs_exists(p))
			strv_push(&im->stagings, disk_formats[i]);
		free(p);
	}
}

/* The command line a staged disk boots with: the image's default arguments
 * (instances that need more get a copy with their own, disk_stage_set_cmdline). */
static int image_cmdline(const struct unik_image *im, struct strbuf *out, struct unik_err *err)
{
	struct unik_run_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.format = im->format;
	spec.args = &im->args;
	return guest_cmdline(&spec, 0, NULL, 0, out, err);
}

/* Makes `format` at `path` (from the stagings it needs, made first). */
static int stage(struct unikd *d, const struct unik_image *im, const char *hex, const char *format,
		 const char *path, struct unik_err *err);

static int need(struct unikd *d, const struct unik_image *im, const char *hex, const char *format,
		char **path, struct unik_err *err)
{
	*path = staging_path(d, hex, format);
	if (fs_exists(*path))
		return 0;
	if (stage(d, im, hex, format, *path, err) == 0)
		return 0;
	free(*path);
	*path = NULL;
	return -1;
}

static int stage(struct unikd *d, const struct unik_image *im, const char *hex, const char *format,
		 const char *path, struct unik_err *err)
{
	char *dir = unikd_path(d, "stagings/%s", hex), *tmp = xasprintf("%s.tmp", path);
	char *work = xasprintf("%s/work-%s", dir, format), *kernel = NULL, *from = NULL;
	struct strbuf cmd = STRBUF_INIT;
	int rc = -1;

	unlink(tmp);
	if (fs_mkdir_p(work, 0700, err))
		goto done;
	if (!strcmp(format, "raw") && !strcmp(im->format, UNIK_FORMAT_LINUX_INITRD)) {
		char *initrd = NULL;
		int bad = blobs_path(d->state_dir, im->kernel, &kernel, err) ||
			  blobs_path(d->state_dir, im->initrd, &initrd, err) ||
			  image_cmdline(im, &cmd, err) ||
			  disk_stage_raw_linux(kernel, initrd, strbuf_str(&cmd), work, tmp, err);

		free(initrd);
		if (bad)
			goto done;
	} else if (!strcmp(format, "raw") || !strcmp(format, "raw-gpt")) {
		if (blobs_path(d->state_dir, im->kernel, &kernel, err) ||
		    image_cmdline(im, &cmd, err) ||
		    (strcmp(format, "raw") ? disk_stage_gpt : disk_stage_raw)(
			kernel, strbuf_str(&cmd), work, tmp, err))
			goto done;
	} else if (!strcmp(format, "vmdk") || !strcmp(format, "vdi")) {
		if (need(d, im, hex, "raw", &from, err) || disk_convert(from, format, tmp, err))
			goto done;
	} else {
		char *raw = NULL;
		struct disk_ova_spec ova = { .memory_mb = im->memory_mb > 0 ? im->memory_mb : 64,
					     .cpus = 1 };

		if (need(d, im, hex, "raw", &raw, err))
			goto done;
		ova.capacity = fs_file_size(raw);
		free(raw);
		if (need(d, im, hex, "vmdk", &from, err))
			goto done;
		ova.name = im->name ? im->name : im->id;
		ova.vmdk = from;
		if (disk_make_ova(&ova, tmp, err))
			goto done;
	}
	if (rename(tmp, path) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "renaming %s: %s", tmp, strerror(errno));
		goto done;
	}
	unikd_log("image %s: staged its %s disk (%lld bytes)", im->id, format, fs_file_size(path));
	rc = 0;
done:
	if (rc)
		unlink(tmp);
	fs_remove_tree(work, NULL);
	strbuf_release(&cmd);
	free(dir);
	free(tmp);
	free(work);
	free(kernel);
	free(from);
	return rc;
}

int stagings_get(struct unikd *d, const struct unik_image *im, const char *format, char **path,
		 struct unik_err *err)
{
	const char *hex = digest_hex(im);
	int rc;

	*path = NULL;
	if (!disk_format_known(format))
		return unik_err_set(err, UNIK_E_INVALID,
				    "unknown disk format '%s': use raw, raw-gpt, vmdk, vdi or ova",
				    format ? format : "");
	if (!im->format || !im->kernel ||
	    (strcmp(im->format, UNIK_FORMAT_UNIK_ELF) &&
	     (strcmp(im->format, UNIK_FORMAT_LINUX_INITRD) || !im->initrd)))
		return unik_err_set(err, UNIK_E_UNSUPPORTED,
				    "image %s (%.*s) is %s: only unik-elf and linux-initrd images "
				    "boot from a staged disk",
				    im->name ? im->name : "<none>", UNIK_SHORT_ID_LEN, im->id,
				    im->format ? im->format : "of no format");
	if (!strcmp(im->format, UNIK_FORMAT_LINUX_INITRD) && !strcmp(format, "raw-gpt"))
		return unik_err_set(
		    err, UNIK_E_UNSUPPORTED,
		    "image %s (%.*s) is linux-initrd: its staged disk is raw (MBR), "
		    "not raw-gpt",
		    im->name ? im->name : "<none>", UNIK_SHORT_ID_LEN, im->id);
	if (!hex)
		return unik_err_set(err, UNIK_E_INTERNAL, "image %s (%.*s) has no manifest digest",
				    im->name ? im->name : "<none>", UNIK_SHORT_ID_LEN, im->id);
	pthread_mutex_lock(&stage_lock);
	rc = need(d, im, hex, format, path, err);
	pthread_mutex_unlock(&stage_lock);
	return rc;
}

void stagings_remove(struct unikd *d, const struct unik_image *im)
{
	const char *hex = digest_hex(im);
	char *dir;

	if (!hex)
		return;
	dir = unikd_path(d, "stagings/%s", hex);
	pthread_mutex_lock(&stage_lock);
	fs_remove_tree(dir, NULL);
	pthread_mutex_unlock(&stage_lock);
	free(dir);
}
