/* oci_layout.c - a unik image as an OCI image layout (see oci_layout.h). */
#include "oci_layout.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/xalloc.h"
#include "blobs.h"
#include "daemon.h"
#include "oci_media.h"
#include "oci_tar.h"

char *oci_image_digest(const struct unik_image *im)
{
	json_t *m = json_pack("{sssssssssoso}", "format", im->format, "compiler", im->compiler,
			      "kernel", im->kernel, "initrd", im->initrd ? im->initrd : "",
			      "memory", json_integer(im->memory_mb), "args", json_array());
	char *text, *digest;

	for (size_t i = 0; i < im->args.n; i++)
		json_array_append_new(json_object_get(m, "args"), json_string(im->args.v[i]));
	/* an image with a companion is another image; without one the digest
	 * is the one images had before companions existed */
	if (im->companion.compiler)
		json_object_set_new(
		    m, "companion",
		    json_pack("{sssssssssi}", "compiler", im->companion.compiler, "format",
			      im->companion.format ? im->companion.format : "", "kernel",
			      im->companion.kernel ? im->companion.kernel : "", "initrd",
			      im->companion.initrd ? im->companion.initrd : "", "memory",
			      im->companion.memory_mb));
	text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(m);
	digest = blobs_digest_buf(text, strlen(text));
	free(text);
	return digest;
}

/* ---- writing ---------------------------------------------------------- */

static json_t *args_json(const struct unik_image *im)
{
	json_t *a = json_array();

	for (size_t i = 0; i < im->args.n; i++)
		json_array_append_new(a, json_string(im->args.v[i]));
	return a;
}

/* The /unik/image.json document (also the artifact manifest's config). */
static json_t *image_doc(const struct unik_image *im)
{
	json_t *j = json_pack("{sisssssisoss}", "schema", 1, "format", im->format, "compiler",
			      im->compiler ? im->compiler : "", "memory_mb", im->memory_mb, "args",
			      args_json(im), "kernel", OCI_KERNEL_FILE);

	json_object_set_new(j, "kernel_digest", json_string(im->kernel));
	if (im->initrd) {
		json_object_set_new(j, "initrd", json_string(OCI_INITRD_FILE));
		json_object_set_new(j, "initrd_digest", json_string(im->initrd));
	}
	json_object_set_new(j, "digest", json_string(im->digest));
	return j;
}

static json_t *annotations(const struct unik_image *im, const char *kind)
{
	json_t *a = json_object();
	json_t *args = args_json(im);
	char mem[32], *argtext = json_dumps(args, JSON_COMPACT);

	snprintf(mem, sizeof(mem), "%d", im->memory_mb);
	json_object_set_new(a, OCI_ANN_KIND, json_string(kind));
	json_object_set_new(a, OCI_ANN_FORMAT, json_string(im->format));
	json_object_set_new(a, OCI_ANN_COMPILER, json_string(im->compiler ? im->compiler : ""));
	json_object_set_new(a, OCI_ANN_ARGS, json_string(argtext));
	json_object_set_new(a, OCI_ANN_MEMORY, json_string(mem));
	json_object_set_new(a, OCI_ANN_DIGEST, json_string(im->digest));
	json_decref(args);
	free(argtext);
	return a;
}

static json_t *descriptor(const char *media, const char *digest, long long size)
{
	return json_pack("{sssssI}", "mediaType", media, "digest", digest, "size",
			 (json_int_t)size);
}

/* Stores `text` as a blob of the layout; fills its digest and size. */
static int put_bytes(const char *dir, const char *text, size_t len, char **digest, long long *size,
		     struct unik_err *err)
{
	char *path;
	int rc;

	*digest = blobs_digest_buf(text, len);
	*size = (long long)len;
	path = xasprintf("%s/blobs/sha256/%s", dir, *digest + 7);
	rc = fs_write_file_atomic(path, text, len, 0644, err);
	free(path);
	return rc;
}

/* Stores the JSON `j` (stolen) as a blob of the layout. */
static int put_json(const char *dir, json_t *j, char **digest, long long *size,
		    struct unik_err *err)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int rc = text ? put_bytes(dir, text, strlen(text), digest, size, err)
		      : unik_err_set(err, UNIK_E_INTERNAL, "cannot encode an OCI document");

	free(text);
	json_decref(j);
	return rc;
}

/* The runnable manifest: a config and the /unik/ rootfs layer. */
static int write_runnable(struct unikd *d, const struct unik_image *im, const char *dir,
			  const char *doc_text, json_t **desc, json_t **layer, struct unik_err *err)
{
	char *kpath = NULL, *ipath = NULL, *tarpath = xasprintf("%s/rootfs.tar", dir);
	char *tdig = NULL, *cdig = NULL, *mdig = NULL;
	long long tsize = 0, csize = 0, msize = 0;
	struct oci_tar_entry ents[4];
	json_t *cfg, *cmd, *man;
	size_t n = 0;
	int rc = -1;

	if (blobs_path(d->state_dir, im->kernel, &kpath, err) ||
	    (im->initrd && blobs_path(d->state_dir, im->initrd, &ipath, err)))
		goto out;
	memset(ents, 0, sizeof(ents));
	ents[n++] = (struct oci_tar_entry){ "unik/", 0755, NULL, NULL, 0 };
	ents[n++] = (struct oci_tar_entry){ "unik/" OCI_IMAGE_JSON, 0644, NULL, doc_text,
					    strlen(doc_text) };
	if (ipath)
		ents[n++] = (struct oci_tar_entry){ "unik/" OCI_INITRD_FILE, 0644, ipath, NULL, 0 };
	ents[n++] = (struct oci_tar_entry){ "unik/" OCI_KERNEL_FILE, 0755, kpath, NULL, 0 };
	if (oci_tar_write(tarpath, ents, n, err))
		goto out;
	{
		char *final;

		if (blobs_file_digest(tarpath, &tdig, &tsize, err))
			goto out;
		final = xasprintf("%s/blobs/sha256/%s", dir, tdig + 7);
		if (rename(tarpath, final) < 0) {
			unik_err_set(err, UNIK_E_INTERNAL, "cannot rename %s: %s", tarpath,
				     strerror(errno));
			free(final);
			goto out;
		}
		free(final);
	}
	cmd = args_json(im);
	cfg = json_pack("{ssss}", "architecture", "amd64", "os", "linux");
	json_object_set_new(cfg, "config",
			    json_pack("{s[s]soso}", "Entrypoint", "/unik/" OCI_KERNEL_FILE, "Cmd",
				      cmd, "Labels", annotations(im, OCI_KIND_RUNNABLE)));
	json_object_set_new(cfg, "rootfs",
			    json_pack("{sss[s]}", "type", "layers", "diff_ids", tdig));
	if (put_json(dir, cfg, &cdig, &csize, err))
		goto out;
	man = json_pack("{sissso}", "schemaVersion", 2, "mediaType", OCI_MT_MANIFEST, "config",
			descriptor(OCI_MT_IMAGE_CONFIG, cdig, csize));
	*layer = descriptor(OCI_MT_LAYER_TAR, tdig, tsize);
	json_object_set_new(man, "layers", json_pack("[O]", *layer));
	json_object_set_new(man, "annotations", annotations(im, OCI_KIND_RUNNABLE));
	if (put_json(dir, man, &mdig, &msize, err))
		goto out;
	*desc = descriptor(OCI_MT_MANIFEST, mdig, msize);
	json_object_set_new(*desc, "platform",
			    json_pack("{ssss}", "architecture", "amd64", "os", "linux"));
	json_object_set_new(*desc, "annotations",
			    json_pack("{ss}", OCI_ANN_KIND, OCI_KIND_RUNNABLE));
	rc = 0;
out:
	unlink(tarpath);
	free(tarpath);
	free(kpath);
	free(ipath);
	free(tdig);
	free(cdig);
	free(mdig);
	return rc;
}

static json_t *layer_desc(const char *media, const char *digest, long long size, const char *role)
{
	json_t *l = descriptor(media, digest, size);

	json_object_set_new(l, "annotations",
			    json_pack("{ssss}", OCI_ANN_TITLE, role, OCI_ANN_ROLE, role));
	return l;
}

/* The artifact manifest: the unik config, and as its one layer the
 * runnable manifest's rootfs tar `rootfs` itself (the same blob: the
 * registry stores the image once). */
static int write_artifact(const struct unik_image *im, const char *dir, const char *doc_text,
			  json_t *rootfs, json_t **desc, struct unik_err *err)
{
	char *cdig = NULL, *mdig = NULL;
	long long csize = 0, msize = 0;
	json_t *man, *layers;
	int rc = -1;

	if (put_bytes(dir, doc_text, strlen(doc_text), &cdig, &csize, err))
		goto out;
	layers = json_pack("[o]", layer_desc(OCI_MT_LAYER_TAR,
					     json_string_value(json_object_get(rootfs, "digest")),
					     json_integer_value(json_object_get(rootfs, "size")),
					     OCI_ROOTFS_ROLE));
	man = json_pack("{sisssoso}", "schemaVersion", 2, "mediaType", OCI_MT_MANIFEST, "config",
			descriptor(OCI_MT_UNIK_CONFIG, cdig, csize), "layers", layers);
	json_object_set_new(man, "annotations", annotations(im, OCI_KIND_ARTIFACT));
	if (put_json(dir, man, &mdig, &msize, err))
		goto out;
	*desc = descriptor(OCI_MT_MANIFEST, mdig, msize);
	json_object_set_new(*desc, "platform",
			    json_pack("{ssss}", "architecture", "unknown", "os", "unknown"));
	json_object_set_new(*desc, "annotations", annotations(im, OCI_KIND_ARTIFACT));
	rc = 0;
out:
	free(cdig);
	free(mdig);
	return rc;
}

int oci_layout_write(struct unikd *d, const struct unik_image *im, const char *dir, const char *tag,
		     char **index_digest, struct unik_err *err)
{
	char *blobdir = xasprintf("%s/blobs/sha256", dir), *path = NULL, *text = NULL;
	char *idig = NULL, *doc_text = NULL;
	long long isize = 0;
	json_t *run = NULL, *art = NULL, *idx, *top, *rootfs = NULL;
	int rc = -1;

	if (!im->kernel || !im->format || !im->digest) {
		unik_err_set(err, UNIK_E_INTERNAL, "image %s has no kernel, format or digest",
			     im->id);
		goto out;
	}
	if (fs_mkdir_p(blobdir, 0755, err))
		goto out;
	{
		json_t *doc = image_doc(im);

		doc_text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(doc);
	}
	if (write_runnable(d, im, dir, doc_text, &run, &rootfs, err) ||
	    write_artifact(im, dir, doc_text, rootfs, &art, err))
		goto out;
	idx = json_pack("{sisss[oo]}", "schemaVersion", 2, "mediaType", OCI_MT_INDEX, "manifests",
			run, art);
	run = art = NULL;
	json_object_set_new(idx, "annotations", annotations(im, OCI_KIND_ARTIFACT));
	if (put_json(dir, idx, &idig, &isize, err))
		goto out;
	top = json_pack("{sis[o]}", "schemaVersion", 2, "manifests",
			descriptor(OCI_MT_INDEX, idig, isize));
	json_object_set_new(json_array_get(json_object_get(top, "manifests"), 0), "annotations",
			    json_pack("{ss}", OCI_ANN_REF_NAME, tag));
	text = json_dumps(top, JSON_COMPACT);
	json_decref(top);
	path = xasprintf("%s/index.json", dir);
	if (fs_write_file_atomic(path, text, strlen(text), 0644, err))
		goto out;
	free(path);
	path = xasprintf("%s/oci-layout", dir);
	if (fs_write_file_atomic(path, OCI_LAYOUT_FILE, strlen(OCI_LAYOUT_FILE), 0644, err))
		goto out;
	if (index_digest) {
		*index_digest = idig;
		idig = NULL;
	}
	rc = 0;
out:
	json_decref(run);
	json_decref(art);
	json_decref(rootfs);
	free(blobdir);
	free(path);
	free(text);
	free(idig);
	free(doc_text);
	return rc;
}
