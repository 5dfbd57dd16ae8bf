/* oci_import.c - an OCI image layout back into a unik image: every blob
 * read through its descriptor and checked against its digest and size
 * before anything is stored (see oci_layout.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../api/formats.h"
#include "../lib/xalloc.h"
#include "../providers/dispatch.h"
#include "blobs.h"
#include "daemon.h"
#include "ids.h"
#include "oci_layout.h"
#include "oci_media.h"
#include "oci_rootfs.h"
#include "store.h"

#define MAX_ARGS 4096

static int bad(struct unik_err *err, const char *what)
{
	return unik_err_set(err, UNIK_E_INVALID, "not a unik image layout: %s", what);
}

/* A descriptor's digest, size and media type, checked. */
static int desc_fields(json_t *desc, const char **digest, long long *size, const char **media,
		       struct unik_err *err)
{
	json_t *d = json_object_get(desc, "digest"), *s = json_object_get(desc, "size");

	if (!json_is_object(desc) || !json_is_string(d) || !json_is_integer(s) ||
	    !json_is_string(json_object_get(desc, "mediaType")))
		return bad(err, "a descriptor lacks its mediaType, digest or size");
	*digest = json_string_value(d);
	*size = json_integer_value(s);
	*media = json_string_value(json_object_get(desc, "mediaType"));
	if (!blobs_digest_valid(*digest))
		return unik_err_set(err, UNIK_E_INVALID,
				    "unsupported or malformed digest '%s' (only sha256)", *digest);
	if (*size < 0)
		return bad(err, "a descriptor has a negative size");
	return 0;
}

/* Opens the layout's blob `digest` as a regular file of `size` bytes. */
static int open_blob(const char *dir, const char *digest, long long size, char **path,
		     struct unik_err *err)
{
	struct stat st;
	int fd;

	*path = xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
	fd = open(*path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		unik_err_set(err, UNIK_E_INVALID, "blob %s %s", digest,
			     errno == ELOOP ? "is a symlink: refused"
					    : "is missing from the layout");
		goto fail;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		unik_err_set(err, UNIK_E_INVALID, "blob %s is not a regular file", digest);
		goto fail;
	}
	if (st.st_size != size) {
		unik_err_set(err, UNIK_E_INVALID,
			     "blob %s has %lld bytes where its descriptor says %lld: refused",
			     digest, (long long)st.st_size, size);
		goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	free(*path);
	*path = NULL;
	return -1;
}

/* Reads the JSON blob of `desc` (NEW reference), verified; `media` (may be
 * NULL) is the media type it must have. */
static int read_json_blob(const char *dir, json_t *desc, const char *media, json_t **out,
			  struct unik_err *err)
{
	const char *digest, *mt;
	long long size;
	char *path = NULL, *buf = NULL, *got = NULL;
	json_error_t je;
	int fd, rc = -1;

	if (desc_fields(desc, &digest, &size, &mt, err))
		return -1;
	if (media && strcmp(mt, media))
		return unik_err_set(err, UNIK_E_INVALID,
				    "not a unik image: %s is a %s where a %s was expected", digest,
				    mt, media);
	if (size > OCI_MAX_JSON)
		return unik_err_set(err, UNIK_E_INVALID, "blob %s: %lld bytes of JSON is too much",
				    digest, size);
	fd = open_blob(dir, digest, size, &path, err);
	if (fd < 0)
		return -1;
	buf = xmalloc((size_t)size + 1);
	{
		long long off = 0;
		ssize_t n = 0;

		while (off < size && ((n = read(fd, buf + off, (size_t)(size - off))) > 0 ||
				      (n < 0 && errno == EINTR)))
			if (n > 0)
				off += n;
		if (off != size) {
			unik_err_set(err, UNIK_E_INVALID, "cannot read blob %s", digest);
			goto out;
		}
	}
	got = blobs_digest_buf(buf, (size_t)size);
	if (strcmp(got, digest)) {
		unik_err_set(err, UNIK_E_INVALID,
			     "blob %s does not match its digest (its content hashes to %s): "
			     "refused",
			     digest, got);
		goto out;
	}
	*out = json_loadb(buf, (size_t)size, JSON_REJECT_DUPLICATES, &je);
	if (!*out) {
		unik_err_set(err, UNIK_E_INVALID, "blob %s is not valid JSON: %s", digest, je.text);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	free(path);
	free(buf);
	free(got);
	return rc;
}

static const char *annotation(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(obj, "annotations"), key));
}

/* The image index (or manifest) named `tag` in index.json (NEW
 * reference); *is_index says which. */
static int read_top(const char *dir, const char *tag, json_t **index, int *is_index,
		    struct unik_err *err)
{
	char *path = xasprintf("%s/index.json", dir);
	json_t *top, *list, *pick = NULL, *m;
	json_error_t je;
	size_t i;
	int rc = -1;

	top = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	free(path);
	if (!top)
		return bad(err, "no readable index.json");
	list = json_object_get(top, "manifests");
	if (!json_is_array(list) || json_array_size(list) == 0) {
		bad(err, "index.json lists no image");
		goto out;
	}
	json_array_foreach (list, i, m) {
		const char *ref = annotation(m, OCI_ANN_REF_NAME);

		if (tag ? (ref && !strcmp(ref, tag)) : json_array_size(list) == 1)
			pick = m;
	}
	if (!pick) {
		if (tag)
			unik_err_set(err, UNIK_E_NOT_FOUND, "the layout has no image tagged '%s'",
				     tag);
		else
			unik_err_set(err, UNIK_E_INVALID,
				     "the layout holds %zu images: say which (a tag)",
				     json_array_size(list));
		goto out;
	}
	{
		const char *mt = json_string_value(json_object_get(pick, "mediaType"));

		*is_index = !mt || strcmp(mt, OCI_MT_MANIFEST);
		rc = read_json_blob(dir, pick, *is_index ? OCI_MT_INDEX : NULL, index, err);
	}
out:
	json_decref(top);
	return rc;
}

/* What the artifact config says, checked. */
static int parse_config(json_t *cfg, struct unik_image *im, struct unik_err *err)
{
	json_t *args = json_object_get(cfg, "args"), *mem = json_object_get(cfg, "memory_mb"), *a;
	const char *format = json_string_value(json_object_get(cfg, "format"));
	const char *compiler = json_string_value(json_object_get(cfg, "compiler"));
	size_t i;

	if (!json_is_object(cfg) || !format || !json_is_array(args) || !json_is_integer(mem))
		return bad(err, "its config lacks format, args or memory_mb");
	if (!unik_format_find(format))
		return unik_err_set(err, UNIK_E_INVALID, "unknown image format '%s'", format);
	if (json_integer_value(mem) < 0 || json_integer_value(mem) > (1 << 20))
		return bad(err, "bad memory_mb");
	if (json_integer_value(mem) &&
	    unik_providers_check_memory((long long)json_integer_value(mem), err))
		return -1;
	if (json_array_size(args) > MAX_ARGS)
		return bad(err, "too many args");
	im->format = xstrdup(format);
	im->compiler = xstrdup(compiler ? compiler : "");
	im->memory_mb = (int)json_integer_value(mem);
	json_array_foreach (args, i, a) {
		if (!json_is_string(a))
			return bad(err, "an arg is not a string");
		strv_push(&im->args, json_string_value(a));
	}
	return 0;
}

/* The kernel and initrd layers' descriptors (borrowed from `man`; both
 * NULL unless they are found and the list is right: the caller takes its
 * own references only on success). */
static int find_layers(json_t *man, json_t **kernel, json_t **initrd, struct unik_err *err)
{
	json_t *layers = json_object_get(man, "layers"), *l, *k = NULL, *ird = NULL;
	size_t i;

	*kernel = *initrd = NULL;
	if (!json_is_array(layers))
		return bad(err, "its artifact manifest has no layers");
	json_array_foreach (layers, i, l) {
		const char *mt = json_string_value(json_object_get(l, "mediaType"));

		if (mt && !strcmp(mt, OCI_MT_KERNEL) && !k)
			k = l;
		else if (mt && !strcmp(mt, OCI_MT_INITRD) && !ird)
			ird = l;
		else
			return bad(err, "its artifact manifest has an unknown or repeated layer");
	}
	if (!k)
		return bad(err, "its artifact manifest has no kernel layer");
	*kernel = k;
	*initrd = ird;
	return 0;
}

/* The artifact manifest's one layer is a rootfs tar (the layer it shares
 * with the runnable manifest). */
static int shares_rootfs(json_t *man)
{
	json_t *layers = json_object_get(man, "layers");
	const char *mt = json_string_value(json_object_get(json_array_get(layers, 0), "mediaType"));

	return json_array_size(layers) == 1 && mt && !strcmp(mt, OCI_MT_LAYER_TAR);
}

/* Checks one layer's file in the layout and copies it into the blob store
 * (verified); *fresh is 1 when the store did not have it before. */
static int store_layer(struct unikd *d, const char *dir, json_t *desc, char **digest,
		       long long *size, int *fresh, struct unik_err *err)
{
	const char *dg, *mt;
	char *path = NULL, *have = NULL;
	int fd, rc;

	*fresh = 0;
	if (desc_fields(desc, &dg, size, &mt, err))
		return -1;
	fd = open_blob(dir, dg, *size, &path, err);
	if (fd < 0)
		return -1;
	close(fd);
	*fresh = blobs_path(d->state_dir, dg, &have, NULL) != 0;
	free(have);
	rc = blobs_put_verified(d->state_dir, path, dg, NULL, err);
	free(path);
	if (rc)
		*fresh = 0;
	else
		*digest = xstrdup(dg);
	return rc;
}

/* Removes a blob this import added, unless an image uses it now. */
static void unstore(struct unikd *d, const char *digest)
{
	int users = 0;

	if (store_blob_users(d->store, digest, &users, NULL) == 0 && users == 0)
		blobs_remove(d->state_dir, digest, NULL);
}

static int save(struct unikd *d, const char *dir, json_t *kdesc, json_t *idesc,
		const char *want_digest, const char *name, struct unik_image *im, char **image_id,
		struct unik_err *err)
{
	long long ksize = 0, isize = 0;
	int kfresh = 0, ifresh = 0, rc = -1;
	char *same = NULL;

	pthread_mutex_lock(&d->lock); /* blob puts and image deletes exclude each other */
	if (store_layer(d, dir, kdesc, &im->kernel, &ksize, &kfresh, err) ||
	    (idesc && store_layer(d, dir, idesc, &im->initrd, &isize, &ifresh, err)))
		goto out;
	im->size = ksize + isize;
	im->digest = oci_image_digest(im);
	if (want_digest && strcmp(want_digest, im->digest)) {
		unik_err_set(err, UNIK_E_INVALID,
			     "the image's description says digest %s, its content is %s: "
			     "refused",
			     want_digest, im->digest);
		goto out;
	}
	if (store_image_find_digest(d->store, im->digest, &same, err))
		goto out;
	if (same) {
		/* the same image already here: it, when it has this name (or no
		 * name is asked for); else a second record of its blobs, as a tag */
		struct unik_image old;

		unik_image_init(&old);
		if (store_image_get(d->store, same, &old, err))
			goto out;
		if (!name || (old.name && !strcmp(old.name, name))) {
			*image_id = xstrdup(old.id);
			unik_image_release(&old);
			rc = 0;
			goto out;
		}
		unik_image_release(&old);
	}
	im->id = ids_new();
	im->name = name ? xstrdup(name) : NULL;
	im->created = unikd_now();
	rc = store_image_put_tagged(d->store, im, err);
	if (!rc)
		*image_id = xstrdup(im->id);
out:
	if (rc) {
		if (kfresh)
			unstore(d, im->kernel);
		if (ifresh)
			unstore(d, im->initrd);
	}
	pthread_mutex_unlock(&d->lock);
	free(same);
	return rc;
}

int oci_layout_read(const char *dir, const char *tag, long long max_extract,
		    struct oci_layout_image *out, struct unik_err *err)
{
	json_t *index = NULL, *man = NULL, *cfg = NULL, *list, *m, *art = NULL, *run = NULL;
	json_t *kd = NULL, *id = NULL;
	int rc = -1, is_index = 1;
	size_t i;

	memset(out, 0, sizeof(*out));
	unik_image_init(&out->im);
	if (read_top(dir, tag, &index, &is_index, err))
		goto out;
	list = json_object_get(index, "manifests");
	json_array_foreach (list, i, m) {
		const char *kind = annotation(m, OCI_ANN_KIND);
		json_t *plat = json_object_get(m, "platform");
		const char *arch = json_string_value(json_object_get(plat, "architecture"));
		const char *os = json_string_value(json_object_get(plat, "os"));

		if (kind && !strcmp(kind, OCI_KIND_ARTIFACT) && !art)
			art = m;
		else if (!run && arch && os && !strcmp(arch, "amd64") && !strcmp(os, "linux"))
			run = m;
	}
	if (art) {
		if (read_json_blob(dir, art, OCI_MT_MANIFEST, &man, err) ||
		    read_json_blob(dir, json_object_get(man, "config"), OCI_MT_UNIK_CONFIG, &cfg,
				   err))
			goto out;
		if (shares_rootfs(man)) {
			/* its layer is the runnable manifest's rootfs tar: the image
			 * out of it (its /unik/image.json is the config's document) */
			json_decref(cfg);
			cfg = NULL;
			if (oci_rootfs_read(dir, man, max_extract, &cfg, &kd, &id, err))
				goto out;
		} else {
			/* an earlier layout: the kernel and initrd as raw layers */
			if (find_layers(man, &kd, &id, err))
				goto out;
			json_incref(kd);
			json_incref(id);
		}
	} else {
		/* no artifact manifest: the runnable one's /unik/ rootfs */
		if (is_index && !run) {
			unik_err_set(err, UNIK_E_INVALID,
				     "not a unik image: its index has no manifest marked %s=%s "
				     "and none for linux/amd64",
				     OCI_ANN_KIND, OCI_KIND_ARTIFACT);
			goto out;
		}
		if (is_index && read_json_blob(dir, run, OCI_MT_MANIFEST, &man, err))
			goto out;
		if (oci_rootfs_read(dir, is_index ? man : index, max_extract, &cfg, &kd, &id, err))
			goto out;
	}
	if (parse_config(cfg, &out->im, err))
		goto out;
	if (json_string_value(json_object_get(cfg, "digest")))
		out->digest = xstrdup(json_string_value(json_object_get(cfg, "digest")));
	out->kernel = kd;
	out->initrd = id;
	kd = id = NULL;
	rc = 0;
out:
	json_decref(index);
	json_decref(man);
	json_decref(cfg);
	json_decref(kd);
	json_decref(id);
	if (rc)
		oci_layout_image_release(out);
	return rc;
}

void oci_layout_image_release(struct oci_layout_image *li)
{
	unik_image_release(&li->im);
	json_decref(li->kernel);
	json_decref(li->initrd);
	free(li->digest);
	li->kernel = li->initrd = NULL;
	li->digest = NULL;
}

int oci_layout_import(struct unikd *d, const char *dir, const char *tag, const char *name,
		      char **image_id, struct unik_err *err)
{
	struct oci_layout_image li;
	int rc;

	if (name && !unik_name_valid(name))
		return unik_err_set(err, UNIK_E_INVALID,
				    "invalid image name '%s': use letters, digits, '_', '.', '-' "
				    "(at most %d), starting with a letter or digit",
				    name, UNIK_NAME_MAX);
	if (oci_layout_read(dir, tag, d->max_extract, &li, err))
		return -1;
	rc = save(d, dir, li.kernel, li.initrd, li.digest, name, &li.im, image_id, err);
	oci_layout_image_release(&li);
	return rc;
}
