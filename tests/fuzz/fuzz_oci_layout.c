/* fuzz_oci_layout.c - an OCI image layout read back into a unik image
 * (daemon/oci_import.c oci_layout_read(): index.json, the image index, the
 * artifact or runnable manifest, the config, or the /unik/ rootfs layer;
 * what `unik load` and a pull hand to the import, before its store).
 *
 * Input: a flags byte (bit 0: ask for the tag "v1", else the only image),
 * then parts separated by the line "%%\n" (a tar layer holds NULs): index.json,
 * then blobs 1, 2, ... (at most 9).
 * Each blob is stored under its own digest.  In a blob's text, "@N" becomes
 * the digest and "#N" the size of a later blob N; in index.json, of any
 * blob; so the digests of the documents agree as they do in a layout.
 * Promises checked:
 *   - a refusal is INVALID, NOT_FOUND or TOO_LARGE and can be sent as a
 *     JSON error body;
 *   - an accepted layout gives a known format, memory 0..1048576 MiB, at
 *     most 4096 args, a kernel descriptor of the kernel type (an initrd
 *     one of the initrd type, or none), a digest only as the config has it;
 *   - nothing is written beside the layout (the canary stays) and nothing
 *     left in it but its own files and blobs (no scratch folder).
 */
#include <stdlib.h>

#include "../../api/formats.h"
#include "../../daemon/blobs.h"
#include "../../daemon/oci_layout.h"
#include "../../daemon/oci_media.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "fuzz_layout.h"

#define MAX_BLOBS 9
#define MAX_EXTRACT (256 << 10)
#define SEP "\n%%\n"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_layout_init("fuzz-oci-layout");
	return 0;
}

/* part's text with "@N"/"#N" of blobs above `from` replaced */
static void expand(struct strbuf *out, const uint8_t *p, size_t n, int from, char *digest[],
		   size_t size[], int nblobs)
{
	for (size_t i = 0; i < n; i++) {
		int k = i + 1 < n ? p[i + 1] - '0' : -1;

		if ((p[i] == '@' || p[i] == '#') && k > from && k <= nblobs) {
			if (p[i] == '@')
				strbuf_adds(out, digest[k]);
			else
				strbuf_addf(out, "%zu", size[k]);
			i++;
		} else {
			strbuf_addch(out, (char)p[i]);
		}
	}
}

static void check_desc(json_t *d, const char *media)
{
	const char *mt = json_string_value(json_object_get(d, "mediaType"));

	FUZZ_CHECK(json_is_object(d) && mt && !strcmp(mt, media), "a %s descriptor of type %s",
		   media, mt ? mt : "(none)");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unik_err err = UNIK_ERR_INIT;
	const uint8_t *part[MAX_BLOBS + 1];
	size_t len[MAX_BLOBS + 1], bsize[MAX_BLOBS + 1] = { 0 };
	char *digest[MAX_BLOBS + 1] = { 0 }, *dir;
	static const char *const keep[] = { "blobs", "index.json", NULL };
	struct oci_layout_image li;
	int n = 0, rc;

	if (size < 1)
		return 0;
	for (size_t start = 1; n <= MAX_BLOBS;) {
		const uint8_t *sep = memmem(data + start, size - start, SEP, strlen(SEP));
		size_t end = sep ? (size_t)(sep - data) : size;

		part[n] = data + start;
		len[n++] = end - start;
		if (!sep)
			break;
		start = end + strlen(SEP);
	}
	fuzz_layout_fresh();
	dir = xasprintf("%s/blobs/sha256", fl_layout);
	for (int k = n - 1; k >= 0; k--) { /* the last blob first: the others name it */
		struct strbuf t = STRBUF_INIT;
		char *path;

		expand(&t, part[k], len[k], k, digest, bsize, n - 1);
		if (k == 0) {
			path = xasprintf("%s/index.json", fl_layout);
		} else {
			digest[k] = blobs_digest_buf(t.buf ? t.buf : "", t.len);
			bsize[k] = t.len;
			path = xasprintf("%s/%s", dir, digest[k] + 7);
		}
		fuzz_write_file(path, t.buf ? t.buf : "", t.len);
		free(path);
		strbuf_release(&t);
	}

	rc = oci_layout_read(fl_layout, data[0] & 1 ? "v1" : NULL, MAX_EXTRACT, &li, &err);
	if (getenv("FUZZ_VERBOSE")) /* replaying one input: what came of it */
		fprintf(stderr, "fuzz_oci_layout: %s\n", rc ? err.msg : "accepted");
	if (rc) {
		json_t *j = unik_error_to_json(&err);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

		FUZZ_CHECK((err.code == UNIK_E_INVALID || err.code == UNIK_E_NOT_FOUND ||
			    err.code == UNIK_E_TOO_LARGE) &&
			       text,
			   "a refused layout cannot be sent (code %d): %s", (int)err.code, err.msg);
		FUZZ_CHECK(!li.kernel && !li.initrd && !li.digest, "a refusal keeps results");
		free(text);
		json_decref(j);
	} else {
		FUZZ_CHECK(unik_format_find(li.im.format), "an unknown format %s", li.im.format);
		FUZZ_CHECK(li.im.memory_mb >= 0 && li.im.memory_mb <= (1 << 20), "memory %d",
			   li.im.memory_mb);
		FUZZ_CHECK(li.im.args.n <= 4096, "%zu args", li.im.args.n);
		check_desc(li.kernel, OCI_MT_KERNEL);
		if (li.initrd)
			check_desc(li.initrd, OCI_MT_INITRD);
		oci_layout_image_release(&li);
	}
	fuzz_layout_check(keep);
	for (int k = 0; k < n; k++)
		free(digest[k]);
	free(dir);
	return 0;
}
