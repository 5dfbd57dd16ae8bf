/* oci_pull.c - a registry's image into an OCI layout, every blob verified
 * while it streams (see oci_pull.h). */
#include "oci_pull.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "blobs.h"
#include "jobs.h"
#include "oci_media.h"
#include "oci_registry.h"

#define MAX_MANIFESTS 64 /* manifests of an image index */
#define MAX_BLOBS 256 /* config and layers of one manifest */
#define MAX_TRIES 8 /* failed requests in a row before a blob is given up */
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define ACCEPT                                                                                     \
	"Accept: " OCI_MT_INDEX ", " OCI_MT_MANIFEST ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST

struct pull {
	struct reg_session s;
	const char *layout;
	long long max, total; /* bytes of blobs allowed, fetched */
};

/* Where one fetch's body goes, hashed on the way. */
struct sink {
	struct pull *p;
	struct reg_resp *r;
	int fd; /* the blob's file, or -1: into mem */
	struct strbuf *mem;
	EVP_MD_CTX *md;
	long long got, limit;
	int fresh; /* no byte of this request written yet */
	int over; /* 1: more than limit, 2: more than p->max */
	int ioerr;
};

static void restart(struct sink *k)
{
	k->p->total -= k->got;
	k->got = 0;
	EVP_DigestInit_ex(k->md, EVP_sha256(), NULL);
	if (k->fd >= 0) {
		if (ftruncate(k->fd, 0) < 0 || lseek(k->fd, 0, SEEK_SET) < 0)
			k->ioerr = errno;
	} else {
		strbuf_reset(k->mem);
	}
}

static int sink_write(void *arg, const char *buf, size_t n)
{
	struct sink *k = arg;

	if (k->fresh) {
		k->fresh = 0;
		if (k->r->status != 206 && k->got) /* the whole blob again */
			restart(k);
	}
	if (k->ioerr)
		return -1;
	if (k->got + (long long)n > k->limit || k->p->total + (long long)n > k->p->max) {
		k->over = k->got + (long long)n > k->limit ? 1 : 2;
		return -1;
	}
	if (k->fd >= 0) {
		for (size_t off = 0; off < n;) {
			ssize_t w = write(k->fd, buf + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				k->ioerr = w < 0 ? errno : ENOSPC;
				return -1;
			}
			off += (size_t)w;
		}
	} else {
		strbuf_add(k->mem, buf, n);
	}
	EVP_DigestUpdate(k->md, buf, n);
	k->got += (long long)n;
	k->p->total += (long long)n;
	if (k->fd >= 0)
		reg_progress(&k->p->s, k->got, 0);
	return 0;
}

static void backoff(int failures)
{
	struct timespec ts = { 0, 200000000L * (failures < 5 ? failures : 5) };

	nanosleep(&ts, NULL);
}

static char *hex_digest(EVP_MD_CTX *md)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *out = xmalloc(7 + 64 + 1);

	EVP_DigestFinal_ex(md, d, &n);
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", d[i]);
	return out;
}

/* GETs /v2/REPO/KIND/REF (KIND "manifests" or "blobs") into `fd` (or
 * `mem`), resuming a cut blob with a Range request; `expect` (NULL: the
 * registry's Docker-Content-Digest, when it sends one) and `size` (-1:
 * up to `limit`) are what the content must be.  *digest (caller frees):
 * the content's digest; *media (may be NULL, caller frees): its
 * Content-Type. */
static int fetch(struct pull *p, const char *kind, const char *ref, const char *expect,
		 long long size, long long limit, int fd, struct strbuf *mem, char **digest,
		 char **media, struct unik_err *err)
{
	char *url = xasprintf("%s/v2/%s/%s/%s", p->s.base, p->s.t->ref.repo, kind, ref);
	struct sink k = { .p = p, .fd = fd, .mem = mem, .limit = size >= 0 ? size : limit };
	char *got = NULL, *header_digest = NULL;
	const char *noun = !strcmp(kind, "blobs") ? "blob" : "manifest";
	int failures = 0, rc = -1;

	k.md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(k.md, EVP_sha256(), NULL);
	for (;;) {
		struct curl_slist *h = NULL;
		struct reg_resp r;
		char range[64];
		int c;

		reg_resp_init(&r);
		r.sink = sink_write;
		r.sink_arg = &k;
		k.r = &r;
		k.fresh = 1;
		if (!strcmp(kind, "manifests"))
			h = curl_slist_append(h, ACCEPT);
		if (k.got && fd >= 0) {
			snprintf(range, sizeof(range), "Range: bytes=%lld-", k.got);
			h = curl_slist_append(h, range);
		}
		c = reg_call(&p->s, "GET", url, h, -1, 0, 0, &r, err);
		curl_slist_free_all(h);
		if (c) {
			reg_resp_release(&r);
			goto out;
		}
		if (k.over || k.ioerr) {
			if (k.ioerr)
				unik_err_set(err, UNIK_E_INTERNAL, "writing %s %s: %s", noun, ref,
					     strerror(k.ioerr));
			else if (k.over == 2)
				unik_err_set(err, UNIK_E_INVALID,
					     "the image has more than %lld bytes of blobs "
					     "(daemon.max_extract): refused",
					     p->max);
			else
				unik_err_set(err, UNIK_E_INVALID,
					     "%s %s has more than the %lld bytes %s: refused", noun,
					     ref, k.limit,
					     size >= 0 ? "its descriptor says" : "allowed");
			reg_resp_release(&r);
			goto out;
		}
		if (r.cc == CURLE_OK && (r.status == 200 || r.status == 206)) {
			if (k.fresh && r.status == 200 && k.got) /* an empty 200 after a cut */
				restart(&k);
			if (media && r.content_type)
				*media = xstrndup(r.content_type, strcspn(r.content_type, "; "));
			header_digest = r.digest ? xstrdup(r.digest) : NULL;
			reg_resp_release(&r);
			break;
		}
		if (reg_stopped(&p->s, err)) {
			reg_resp_release(&r);
			goto out;
		}
		if (r.cc == CURLE_OK && r.status >= 400 && r.status < 500 && r.status != 408 &&
		    r.status != 429) {
			if (r.status == 404)
				unik_err_set(err, UNIK_E_NOT_FOUND,
					     "%s/%s: the registry has no %s %s",
					     p->s.t->ref.registry, p->s.t->ref.repo, noun, ref);
			else
				unik_err_set(err, UNIK_E_INTERNAL,
					     "%s %s: the registry answered %ld", noun, ref,
					     r.status);
			reg_resp_release(&r);
			goto out;
		}
		if (++failures > MAX_TRIES) {
			unik_err_set(err, UNIK_E_UNAVAILABLE, "%s %s failed %d times: %s", noun,
				     ref, MAX_TRIES,
				     r.cc != CURLE_OK ? r.errbuf : "the registry answered 5xx");
			reg_resp_release(&r);
			goto out;
		}
		jobs_step(p->s.jc, "%s %.19s: %s; resuming at byte %lld", noun, ref,
			  r.cc != CURLE_OK ? r.errbuf : "the registry answered 5xx", k.got);
		reg_resp_release(&r);
		backoff(failures);
	}
	got = hex_digest(k.md);
	if (!expect && header_digest && blobs_digest_valid(header_digest))
		expect = header_digest;
	if (expect && strcmp(got, expect)) {
		unik_err_set(err, UNIK_E_INVALID,
			     "%s %s: digest did not match (its content hashes to %s, not %s): "
			     "refused, nothing stored",
			     noun, ref, got, expect);
		goto out;
	}
	if (size >= 0 && k.got != size) {
		unik_err_set(err, UNIK_E_INVALID,
			     "%s %s has %lld bytes where its descriptor says %lld: refused", noun,
			     ref, k.got, size);
		goto out;
	}
	*digest = got;
	got = NULL;
	rc = 0;
out:
	EVP_MD_CTX_free(k.md);
	free(got);
	free(header_digest);
	free(url);
	return rc;
}

static char *blob_path(const struct pull *p, const char *digest)
{
	return xasprintf("%s/blobs/sha256/%s", p->layout, digest + 7);
}

/* A descriptor's digest and size, checked. */
static int desc_fields(json_t *desc, const char **digest, long long *size, struct unik_err *err)
{
	json_t *d = json_object_get(desc, "digest"), *s = json_object_get(desc, "size");

	if (!json_is_object(desc) || !json_is_string(d) || !json_is_integer(s) ||
	    json_integer_value(s) < 0)
		return unik_err_set(err, UNIK_E_INVALID,
				    "the registry's manifest has a descriptor without a digest "
				    "or size");
	*digest = json_string_value(d);
	*size = json_integer_value(s);
	if (!blobs_digest_valid(*digest))
		return unik_err_set(err, UNIK_E_INVALID,
				    "unsupported or malformed digest '%.80s' (only sha256)",
				    *digest);
	return 0;
}

/* One blob into the layout (once: a layer two manifests share is fetched
 * once), with byte progress. */
static int pull_blob(struct pull *p, json_t *desc, struct unik_err *err)
{
	const char *digest;
	long long size;
	char *path, *tmp, *got = NULL;
	struct stat st;
	int fd, rc = -1;

	if (desc_fields(desc, &digest, &size, err))
		return -1;
	path = blob_path(p, digest);
	if (lstat(path, &st) == 0) { /* fetched and verified already */
		free(path);
		return 0;
	}
	tmp = xasprintf("%s/.partial", p->layout);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	jobs_step(p->s.jc, "pulling blob %.19s (%lld bytes)", digest, size);
	p->s.blob = digest;
	p->s.blob_size = size;
	p->s.last_progress = -(1LL << 30);
	rc = fetch(p, "blobs", digest, digest, size, size, fd, NULL, &got, NULL, err);
	if (!rc)
		reg_progress(&p->s, size, 1);
	p->s.blob = NULL;
	if (close(fd) < 0 && !rc)
		rc = unik_err_set(err, UNIK_E_INTERNAL, "%s: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, path) < 0)
		rc = unik_err_set(err, UNIK_E_INTERNAL, "cannot rename %s: %s", tmp,
				  strerror(errno));
out:
	if (rc)
		unlink(tmp);
	free(tmp);
	free(path);
	free(got);
	return rc;
}

static int is_index_type(const char *mt)
{
	return !strcmp(mt, OCI_MT_INDEX) || !strcmp(mt, MT_DOCKER_LIST);
}

/* A manifest (by tag, or by the digest `expect`) into the layout: *doc
 * its JSON, *digest, *size and *media its descriptor's fields. */
static int pull_manifest(struct pull *p, const char *ref, const char *expect, long long size,
			 json_t **doc, char **digest, long long *msize, char **media,
			 struct unik_err *err)
{
	struct strbuf mem = STRBUF_INIT;
	char *ctype = NULL, *path = NULL;
	const char *mt;
	json_error_t je;
	int rc = -1;

	*doc = NULL;
	if (fetch(p, "manifests", ref, expect, size, OCI_MAX_JSON, -1, &mem, digest, &ctype, err))
		goto out;
	*doc = json_loadb(strbuf_str(&mem), mem.len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(*doc)) {
		unik_err_set(err, UNIK_E_INVALID, "manifest %.80s is not a JSON object", ref);
		goto out;
	}
	mt = json_string_value(json_object_get(*doc, "mediaType"));
	if (!mt)
		mt = ctype ? ctype : "";
	if (strcmp(mt, OCI_MT_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST) && !is_index_type(mt)) {
		unik_err_set(err, UNIK_E_INVALID,
			     "manifest %.80s is a '%.80s': unikd's client reads OCI and Docker v2 "
			     "manifests and indexes",
			     ref, mt);
		goto out;
	}
	*media = xstrdup(mt);
	*msize = (long long)mem.len;
	path = blob_path(p, *digest);
	rc = fs_write_file_atomic(path, strbuf_str(&mem), mem.len, 0644, err);
out:
	if (rc) {
		json_decref(*doc);
		*doc = NULL;
	}
	strbuf_release(&mem);
	free(ctype);
	free(path);
	return rc;
}

/* The config and layers of one (image or artifact) manifest. */
static int pull_image(struct pull *p, json_t *man, struct unik_err *err)
{
	json_t *layers = json_object_get(man, "layers"), *l;
	size_t i;

	if (!json_is_array(layers) || json_array_size(layers) > MAX_BLOBS)
		return unik_err_set(err, UNIK_E_INVALID,
				    "a manifest has no list of layers, or more than %d", MAX_BLOBS);
	if (pull_blob(p, json_object_get(man, "config"), err))
		return -1;
	json_array_foreach (layers, i, l) {
		if (pull_blob(p, l, err) || reg_stopped(&p->s, err))
			return -1;
	}
	return 0;
}

static int write_top(struct pull *p, const char *media, const char *digest, long long size,
		     struct unik_err *err)
{
	json_t *top = json_pack("{sis[{sssssIs{ss}}]}", "schemaVersion", 2, "manifests",
				"mediaType", media, "digest", digest, "size", (json_int_t)size,
				"annotations", OCI_ANN_REF_NAME, p->s.t->ref.tag);
	char *text = json_dumps(top, JSON_COMPACT), *path = xasprintf("%s/index.json", p->layout);
	char *lay = xasprintf("%s/oci-layout", p->layout);
	int rc =
	    fs_write_file_atomic(path, text, strlen(text), 0644, err) ||
		    fs_write_file_atomic(lay, OCI_LAYOUT_FILE, strlen(OCI_LAYOUT_FILE), 0644, err)
		? -1
		: 0;

	json_decref(top);
	free(text);
	free(path);
	free(lay);
	return rc;
}

int oci_pull_layout(struct job_ctx *jc, const char *work, const char *layout,
		    const struct oci_transfer *t, long long max, struct unik_err *err)
{
	struct pull p = { .layout = layout, .max = max };
	char *blobdir = xasprintf("%s/blobs/sha256", layout), *digest = NULL, *media = NULL;
	const char *ref = t->ref.digest ? t->ref.digest : t->ref.tag;
	json_t *top = NULL, *list, *m;
	long long size = 0, blobs_before;
	size_t i;
	int rc = -1;

	if (reg_open(&p.s, jc, t, work, "pull", err) || fs_mkdir_p(blobdir, 0755, err))
		goto out;
	jobs_step(jc, "pulling from %s/%s%s%s", t->ref.registry, t->ref.repo,
		  t->ref.digest ? "@" : ":", ref);
	if (pull_manifest(&p, ref, t->ref.digest, -1, &top, &digest, &size, &media, err))
		goto out;
	if (!is_index_type(media)) {
		if (pull_image(&p, top, err))
			goto out;
	} else {
		list = json_object_get(top, "manifests");
		if (!json_is_array(list) || json_array_size(list) > MAX_MANIFESTS) {
			unik_err_set(err, UNIK_E_INVALID,
				     "the image index has no list of manifests, or more than %d",
				     MAX_MANIFESTS);
			goto out;
		}
		json_array_foreach (list, i, m) {
			const char *dg;
			long long sz, msz;
			json_t *man = NULL;
			char *mdg = NULL, *mmt = NULL;
			int bad;

			if (desc_fields(m, &dg, &sz, err))
				goto out;
			bad = pull_manifest(&p, dg, dg, sz, &man, &mdg, &msz, &mmt, err) ||
			      (is_index_type(mmt) &&
			       unik_err_set(err, UNIK_E_INVALID,
					    "an image index inside the image index: refused")) ||
			      pull_image(&p, man, err);
			json_decref(man);
			free(mdg);
			free(mmt);
			if (bad)
				goto out;
		}
	}
	blobs_before = p.total;
	rc = write_top(&p, media, digest, size, err);
	if (!rc)
		jobs_step(jc, "pulled %s (%lld bytes of blobs)", digest, blobs_before);
out:
	reg_close(&p.s);
	json_decref(top);
	free(blobdir);
	free(digest);
	free(media);
	return rc;
}
