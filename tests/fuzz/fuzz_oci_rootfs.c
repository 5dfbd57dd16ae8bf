/* fuzz_oci_rootfs.c - the rootfs layer of a runnable OCI manifest, read
 * back into a unik image (daemon/oci_rootfs.c oci_rootfs_read(): a pull's
 * or a `unik load`'s layer, read with libarchive: tar, any compression).
 *
 * Input: the layer.  The harness makes a layout around it (the blob under
 * its own digest, a manifest naming it) in a fresh folder of FUZZ_TMPDIR,
 * with a canary file beside the layout.  A custom mutator fixes the ustar
 * header checksums after mutating.
 * Promises checked:
 *   - a refusal is INVALID or TOO_LARGE and can be sent as a JSON error;
 *   - an accepted layer gives a JSON object naming "kernel" (and "initrd"
 *     exactly when an initrd came out), a kernel descriptor (and an initrd
 *     one with it) whose digest is the one image.json names and whose size
 *     is its blob's, at most MAX bytes in all;
 *   - nothing is left but the layout's blobs (no scratch folder), nothing
 *     written beside the layout: the canary stays alone and unchanged.
 * FUZZ_VERBOSE=1 prints what came of each input.
 */
#include <jansson.h>
#include <stdlib.h>

#include "../../api/types.h"
#include "../../daemon/blobs.h"
#include "../../daemon/oci_media.h"
#include "../../daemon/oci_rootfs.h"
#include "../../lib/xalloc.h"
#include "fuzz_layout.h"

#define MAX (256 << 10)

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed);
int LLVMFuzzerInitialize(int *argc, char ***argv);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
	(void)seed;
	size = LLVMFuzzerMutate(data, size, max_size);
	fuzz_tar_fix_checksums(data, size);
	return size;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_layout_init("fuzz-oci-rootfs");
	return 0;
}

static long long file_size(const char *dir, const char *digest)
{
	char *p = xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
	struct stat st;
	int ok = lstat(p, &st) == 0 && S_ISREG(st.st_mode);

	free(p);
	return ok ? (long long)st.st_size : -1;
}

/* The descriptor `d` is of `media`, names digest `want`, and its size is
 * its blob's; returns the size. */
static long long check_desc(json_t *d, const char *media, json_t *want)
{
	const char *dg = json_string_value(json_object_get(d, "digest"));
	const char *mt = json_string_value(json_object_get(d, "mediaType"));
	json_t *sz = json_object_get(d, "size");

	FUZZ_CHECK(dg && mt && json_is_integer(sz) && !strcmp(mt, media),
		   "a descriptor of %s lacks its fields", media);
	FUZZ_CHECK(json_is_string(want) && !strcmp(dg, json_string_value(want)) &&
		       blobs_digest_valid(dg),
		   "the %s descriptor names %s, not image.json's digest", media, dg);
	FUZZ_CHECK(json_integer_value(sz) >= 0 &&
		       file_size(fl_layout, dg) == json_integer_value(sz),
		   "the %s blob %s has %lld bytes, its descriptor says %lld", media, dg,
		   file_size(fl_layout, dg), (long long)json_integer_value(sz));
	return (long long)json_integer_value(sz);
}

/* Only regular files in blobs/sha256 (the layer, the kernel, the initrd),
 * only blobs/ at the top, the canary alone beside the layout. */
static void check_tree(void)
{
	static const char *const keep[] = { "blobs", NULL };
	char *blobs = xasprintf("%s/blobs/sha256", fl_layout), *p;
	struct dirent *e;
	struct stat st;
	DIR *d;
	int n = 0;

	fuzz_layout_check(keep);
	FUZZ_CHECK((d = opendir(blobs)), "blobs/sha256 is gone");
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", blobs, e->d_name);
		FUZZ_CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode) && ++n <= 3,
			   "blobs/sha256/%s is no blob of the layer", e->d_name);
		free(p);
	}
	closedir(d);
	free(blobs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unik_err err = UNIK_ERR_INIT;
	char *digest = blobs_digest_buf(data, size), *blob, *dir;
	json_t *man, *doc = NULL, *kd = NULL, *id = NULL;
	int rc;

	fuzz_layout_fresh();
	dir = xasprintf("%s/blobs/sha256", fl_layout);
	blob = xasprintf("%s/%s", dir, digest + 7);
	fuzz_write_file(blob, data, size);
	man = json_pack("{s[{sssssI}]}", "layers", "mediaType", OCI_MT_LAYER_TAR, "digest", digest,
			"size", (json_int_t)size);

	rc = oci_rootfs_read(fl_layout, man, MAX, &doc, &kd, &id, &err);
	if (getenv("FUZZ_VERBOSE")) /* replaying one input: what came of it */
		fprintf(stderr, "fuzz_oci_rootfs: %s\n", rc ? err.msg : "accepted");
	if (rc) {
		json_t *j = unik_error_to_json(&err);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

		FUZZ_CHECK((err.code == UNIK_E_INVALID || err.code == UNIK_E_TOO_LARGE) && text,
			   "a refused layer cannot be sent (code %d): %s", (int)err.code, err.msg);
		FUZZ_CHECK(!doc && !kd && !id, "a refusal returns results");
		free(text);
		json_decref(j);
	} else {
		json_t *iname = json_object_get(doc, "initrd");
		long long total;

		FUZZ_CHECK(json_is_object(doc) && kd, "an accepted layer without its results");
		FUZZ_CHECK(!strcmp(json_string_value(json_object_get(doc, "kernel")) ?: "",
				   OCI_KERNEL_FILE),
			   "image.json does not name the kernel");
		FUZZ_CHECK(!iname == !id, "an initrd named %s but %s", iname ? "" : "not",
			   id ? "one came out" : "none came out");
		total = check_desc(kd, OCI_MT_KERNEL, json_object_get(doc, "kernel_digest"));
		if (id)
			total +=
			    check_desc(id, OCI_MT_INITRD, json_object_get(doc, "initrd_digest"));
		FUZZ_CHECK(total <= MAX, "%lld bytes extracted, over %d", total, MAX);
	}
	check_tree();
	json_decref(doc);
	json_decref(kd);
	json_decref(id);
	json_decref(man);
	free(blob);
	free(dir);
	free(digest);
	return 0;
}
