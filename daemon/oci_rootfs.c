/* oci_rootfs.c - a unik image read from its runnable manifest alone: the
 * /unik/ rootfs layer (docs/oci.md), for copies of a unik image that kept
 * only the linux/amd64 manifest of its index (a copy without --all, an
 * engine's pull and push).  The layer is checked against its digest first;
 * the kernel and initrd it holds are then checked by the digests that
 * /unik/image.json names, when oci_import.c stores them. */
#include "oci_rootfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "blobs.h"
#include "oci_media.h"

static int bad(struct unik_err *err, const char *what)
{
	return unik_err_set(err, UNIK_E_INVALID, "not a unik image: %s", what);
}

/* The layer's one descriptor, its file checked against digest and size. */
static int check_layer(const char *dir, json_t *man, char **path, struct unik_err *err)
{
	json_t *layers = json_object_get(man, "layers"), *l = json_array_get(layers, 0);
	const char *mt = json_string_value(json_object_get(l, "mediaType"));
	const char *dg = json_string_value(json_object_get(l, "digest"));
	json_t *sz = json_object_get(l, "size");
	char *got = NULL;
	long long size = -1;
	struct stat st = { 0 };
	int rc = -1;

	if (json_array_size(layers) != 1 || !mt || !dg || !json_is_integer(sz))
		return bad(err, "its manifest has no artifact manifest and not one rootfs layer");
	if (strcmp(mt, OCI_MT_LAYER_TAR) && strcmp(mt, OCI_MT_LAYER_TAR "+gzip") &&
	    strcmp(mt, "application/vnd.docker.image.rootfs.diff.tar.gzip"))
		return unik_err_set(err, UNIK_E_INVALID, "not a unik image: a layer of type %s",
				    mt);
	if (!blobs_digest_valid(dg))
		return unik_err_set(err, UNIK_E_INVALID,
				    "unsupported or malformed digest '%s' (only sha256)", dg);
	*path = xasprintf("%s/blobs/sha256/%s", dir, dg + 7);
	if (lstat(*path, &st) < 0 || !S_ISREG(st.st_mode)) {
		unik_err_set(err, UNIK_E_INVALID, "blob %s %s", dg,
			     S_ISLNK(st.st_mode) ? "is a symlink: refused"
						 : "is missing from the layout");
		goto out;
	}
	if (st.st_size != json_integer_value(sz)) {
		unik_err_set(err, UNIK_E_INVALID,
			     "blob %s has %lld bytes where its descriptor says %lld: refused", dg,
			     (long long)st.st_size, (long long)json_integer_value(sz));
		goto out;
	}
	if (blobs_file_digest(*path, &got, &size, err))
		goto out;
	if (strcmp(got, dg) || size != json_integer_value(sz)) {
		unik_err_set(err, UNIK_E_INVALID,
			     "blob %s does not match its digest or size (its content hashes to %s, "
			     "%lld bytes): refused",
			     dg, got, size);
		goto out;
	}
	rc = 0;
out:
	if (rc) {
		free(*path);
		*path = NULL;
	}
	free(got);
	return rc;
}

/* Copies the current entry's data to a new file `out`, at most `max` bytes. */
static int copy_entry(struct archive *a, const char *out, long long max, long long *size,
		      struct unik_err *err)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	char buf[65536];
	la_ssize_t n;

	if (fd < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot create %s: %s", out,
				    strerror(errno));
	*size = 0;
	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		*size += n;
		if (*size > max || write(fd, buf, (size_t)n) != n) {
			close(fd);
			unlink(out);
			return *size > max ? unik_err_set(err, UNIK_E_TOO_LARGE,
							  "the rootfs layer holds more than %lld "
							  "bytes",
							  max)
					   : unik_err_set(err, UNIK_E_INTERNAL, "writing %s", out);
		}
	}
	close(fd);
	if (n < 0) {
		unlink(out);
		return unik_err_set(err, UNIK_E_INVALID, "the rootfs layer: %s",
				    archive_error_string(a));
	}
	return 0;
}

static const char *strip_dot(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (name[0] == '/')
		name++;
	return name;
}

/* Reads unik/image.json and unik/kernel, unik/initrd out of the layer. */
static int read_layer(const char *layer, const char *work, long long max, json_t **doc,
		      long long *ksize, long long *isize, struct unik_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *kpath = xasprintf("%s/kernel", work), *ipath = xasprintf("%s/initrd", work);
	struct strbuf text = STRBUF_INIT;
	long long total = 0;
	int r, rc = -1;

	*ksize = *isize = -1;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, layer, 65536) != ARCHIVE_OK) {
		unik_err_set(err, UNIK_E_INVALID, "the rootfs layer: %s", archive_error_string(a));
		goto out;
	}
	/* a warning (a name libarchive cannot convert to the C locale: a
	 * rootfs file with a UTF-8 name) is no error for the entries we skip */
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *raw = archive_entry_pathname(e), *name;
		long long *size = NULL;
		const char *dst = NULL;

		if (!raw || archive_entry_filetype(e) != AE_IFREG)
			continue;
		name = strip_dot(raw);
		if (!strcmp(name, "unik/" OCI_IMAGE_JSON)) {
			char buf[4096];
			la_ssize_t n;

			strbuf_reset(&text);
			while ((n = archive_read_data(a, buf, sizeof(buf))) > 0 &&
			       text.len < OCI_MAX_JSON)
				strbuf_add(&text, buf, (size_t)n);
			continue;
		}
		if (!strcmp(name, "unik/" OCI_KERNEL_FILE)) {
			dst = kpath;
			size = ksize;
		} else if (!strcmp(name, "unik/" OCI_INITRD_FILE)) {
			dst = ipath;
			size = isize;
		} else {
			continue;
		}
		unlink(dst); /* a later entry of the same name wins, as in a rootfs */
		if (copy_entry(a, dst, max - total, size, err))
			goto out;
		total += *size;
	}
	if (r != ARCHIVE_EOF) {
		unik_err_set(err, UNIK_E_INVALID, "the rootfs layer: %s", archive_error_string(a));
		goto out;
	}
	if (!text.len || *ksize < 0) {
		bad(err, "its rootfs has no /unik/image.json and /unik/kernel");
		goto out;
	}
	*doc = json_loadb(text.buf, text.len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		*doc = NULL;
		bad(err, "its /unik/image.json is not a JSON object");
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	strbuf_release(&text);
	free(kpath);
	free(ipath);
	return rc;
}

/* Moves the extracted `src` to the layout's blob of `digest` (a string
 * of the doc; checked by the caller's store), as a descriptor. */
static int as_blob(const char *dir, const char *src, json_t *digest, long long size,
		   const char *media, json_t **desc, struct unik_err *err)
{
	const char *dg = json_string_value(digest);
	char *dst;
	int rc = 0;

	if (!dg || !blobs_digest_valid(dg))
		return bad(err, "its /unik/image.json names no sha256 digest of an artifact");
	dst = xasprintf("%s/blobs/sha256/%s", dir, dg + 7);
	unlink(dst);
	if (rename(src, dst) < 0)
		rc = unik_err_set(err, UNIK_E_INTERNAL, "cannot move %s: %s", src, strerror(errno));
	else
		*desc = json_pack("{sssssI}", "mediaType", media, "digest", dg, "size",
				  (json_int_t)size);
	free(dst);
	return rc;
}

int oci_rootfs_read(const char *dir, json_t *man, long long max, json_t **doc, json_t **kdesc,
		    json_t **idesc, struct unik_err *err)
{
	char *layer = NULL, *work = xasprintf("%s/rootfs.%d", dir, (int)getpid());
	char *kpath = xasprintf("%s/kernel", work), *ipath = xasprintf("%s/initrd", work);
	long long ksize, isize;
	const char *kname, *iname;
	int rc = -1;

	*doc = *kdesc = *idesc = NULL;
	fs_remove_tree(work, NULL);
	if (check_layer(dir, man, &layer, err) || fs_mkdir_p(work, 0700, err) ||
	    read_layer(layer, work, max, doc, &ksize, &isize, err))
		goto out;
	kname = json_string_value(json_object_get(*doc, "kernel"));
	iname = json_string_value(json_object_get(*doc, "initrd"));
	if (!kname || strcmp(kname, OCI_KERNEL_FILE) || (iname && strcmp(iname, OCI_INITRD_FILE)) ||
	    (!iname) != (isize < 0)) {
		bad(err, "its /unik/image.json does not name the files of /unik/");
		goto out;
	}
	if (as_blob(dir, kpath, json_object_get(*doc, "kernel_digest"), ksize, OCI_MT_KERNEL, kdesc,
		    err) ||
	    (iname && as_blob(dir, ipath, json_object_get(*doc, "initrd_digest"), isize,
			      OCI_MT_INITRD, idesc, err)))
		goto out;
	rc = 0;
out:
	if (rc) {
		json_decref(*doc);
		json_decref(*kdesc);
		json_decref(*idesc);
		*doc = *kdesc = *idesc = NULL;
	}
	fs_remove_tree(work, NULL);
	free(layer);
	free(work);
	free(kpath);
	free(ipath);
	return rc;
}
