/* oci_upload.c - chunked, resumable blob uploads (see oci_upload.h). */
#include "oci_upload.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/xalloc.h"
#include "jobs.h"
#include "oci_registry.h"

#define MAX_FAILURES 8 /* failed requests in a row before a blob is given up */

/* "0-N" of an upload's status: the bytes it has (N+1), 0 without one. */
static long long range_end(const char *range)
{
	const char *p;
	char *end;
	long long n;

	if (!range)
		return 0;
	p = strchr(range, '-');
	if (!p)
		return 0;
	errno = 0;
	n = strtoll(p + 1, &end, 10);
	if (errno || end == p + 1 || n < 0)
		return 0;
	return n + 1;
}

static void backoff(int failures)
{
	struct timespec ts = { 0, 200000000L * (failures < 5 ? failures : 5) };

	nanosleep(&ts, NULL);
}

static int failed(struct reg_session *s, const char *what, const struct reg_resp *r, int *failures,
		  struct unik_err *err)
{
	if (reg_stopped(s, err))
		return -1;
	if (r->cc == CURLE_OK && r->status >= 400 && r->status < 500 && r->status != 408 &&
	    r->status != 416 && r->status != 429 && r->status != 404)
		return unik_err_set(err, UNIK_E_INTERNAL, "%s: the registry answered %ld", what,
				    r->status);
	if (++*failures > MAX_FAILURES)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "%s failed %d times: %s", what,
				    MAX_FAILURES,
				    r->cc != CURLE_OK ? r->errbuf : "the registry answered 5xx");
	if (r->cc != CURLE_OK)
		jobs_step(s->jc, "%s: %s; resuming", what, r->errbuf);
	else
		jobs_step(s->jc, "%s: the registry answered %ld; resuming", what, r->status);
	backoff(*failures);
	return 0;
}

/* Starts an upload; *loc its Location. */
static int begin(struct reg_session *s, long long *chunk, char **loc, int *failures,
		 struct unik_err *err)
{
	char *url = xasprintf("%s/v2/%s/blobs/uploads/", s->base, s->t->ref.repo);
	int rc = -1;

	for (;;) {
		struct reg_resp r;

		reg_resp_init(&r);
		if (reg_call(s, "POST", url, NULL, -1, 0, 0, &r, err)) {
			reg_resp_release(&r);
			break;
		}
		if (r.cc == CURLE_OK && r.status == 202) {
			char *end;
			long long min = r.min_chunk ? strtoll(r.min_chunk, &end, 10) : 0;

			free(*loc);
			*loc = reg_absolute(s, r.location);
			if (min > *chunk && min <= OCI_CHUNK_MAX)
				*chunk = min;
			reg_resp_release(&r);
			if (*loc)
				rc = 0;
			else
				unik_err_set(err, UNIK_E_INTERNAL,
					     "the registry started an upload without a Location");
			break;
		}
		if (failed(s, "starting an upload", &r, failures, err)) {
			reg_resp_release(&r);
			break;
		}
		reg_resp_release(&r);
	}
	free(url);
	return rc;
}

/* How many bytes upload *loc holds (it may move *loc); -1 when it is gone
 * (0 and a new upload in *loc). */
static int status(struct reg_session *s, char **loc, long long *have, struct unik_err *err)
{
	struct reg_resp r;
	int rc = -1;

	reg_resp_init(&r);
	if (reg_call(s, "GET", *loc, NULL, -1, 0, 0, &r, err))
		goto out;
	if (r.cc == CURLE_OK && (r.status == 204 || r.status == 202 || r.status == 200)) {
		char *moved = reg_absolute(s, r.location);

		*have = range_end(r.range);
		if (moved) {
			free(*loc);
			*loc = moved;
		}
		rc = 0;
	} else {
		rc = 1; /* unknown or unreachable: the caller decides */
	}
out:
	reg_resp_release(&r);
	return rc;
}

static int blob_exists(struct reg_session *s, const char *digest, struct unik_err *err)
{
	char *url = xasprintf("%s/v2/%s/blobs/%s", s->base, s->t->ref.repo, digest);
	struct reg_resp r;
	int rc;

	reg_resp_init(&r);
	rc = reg_call(s, "HEAD", url, NULL, -1, 0, 0, &r, err) ? -1
	     : r.cc == CURLE_OK && r.status == 200	       ? 1
							       : 0;
	reg_resp_release(&r);
	free(url);
	return rc;
}

static int upload_blob(struct reg_session *s, const char *path, const char *digest, long long size,
		       long long chunk, struct unik_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), failures = 0, rc = -1;
	char *loc = NULL, *what = xasprintf("blob %.19s", digest);
	long long off = 0;
	long last_status = 0;

	if (fd < 0) {
		free(what);
		return unik_err_set(err, UNIK_E_INTERNAL, "%s: %s", path, strerror(errno));
	}
	s->blob = digest;
	s->blob_size = size;
	s->last_progress = -(1LL << 30);
	if (begin(s, &chunk, &loc, &failures, err))
		goto out;
	while (off < size || size == 0) {
		long long n = size - off < chunk ? size - off : chunk;
		struct curl_slist *h = NULL;
		char cr[64];
		struct reg_resp r;

		if (size == 0)
			break;
		if (reg_stopped(s, err))
			goto out;
		snprintf(cr, sizeof(cr), "Content-Range: %lld-%lld", off, off + n - 1);
		h = curl_slist_append(h, cr);
		h = curl_slist_append(h, "Content-Type: application/octet-stream");
		s->blob_base = off;
		reg_resp_init(&r);
		rc = reg_call(s, "PATCH", loc, h, fd, off, n, &r, err);
		curl_slist_free_all(h);
		if (rc) {
			reg_resp_release(&r);
			goto out;
		}
		rc = -1;
		if (r.cc == CURLE_OK && r.status == 202) {
			char *moved = reg_absolute(s, r.location);

			if (moved) {
				free(loc);
				loc = moved;
			}
			off += n;
			failures = 0;
			reg_progress(s, off, 1);
			reg_resp_release(&r);
			continue;
		}
		last_status = r.cc == CURLE_OK ? r.status : 0;
		if (failed(s, what, &r, &failures, err)) {
			reg_resp_release(&r);
			goto out;
		}
		reg_resp_release(&r);
		/* where is the upload?  on from there, or from the start of a new one */
		{
			long long have = 0;
			int st = status(s, &loc, &have, err);

			if (st < 0)
				goto out;
			if (st > 0 || have > size) {
				jobs_step(s->jc, "%s: the registry lost the upload; starting again",
					  what);
				if (begin(s, &chunk, &loc, &failures, err))
					goto out;
				off = 0;
			} else {
				/* "0-0" is both nothing and one byte: a 416 tells */
				if (have == 1 && last_status != 416)
					have = 0;
				jobs_step(s->jc,
					  "%s: the registry has %lld of %lld bytes; resuming", what,
					  have, size);
				off = have;
			}
		}
	}
	for (;;) {
		char *url = xasprintf("%s%cdigest=%s", loc, strchr(loc, '?') ? '&' : '?', digest);
		struct curl_slist *h =
		    curl_slist_append(NULL, "Content-Type: application/octet-stream");
		struct reg_resp r;
		int c;

		reg_resp_init(&r);
		c = reg_call(s, "PUT", url, h, -1, 0, 0, &r, err);
		curl_slist_free_all(h);
		free(url);
		if (c) {
			reg_resp_release(&r);
			goto out;
		}
		if (r.cc == CURLE_OK && (r.status == 201 || r.status == 204)) {
			reg_resp_release(&r);
			break;
		}
		if (r.cc == CURLE_OK && r.status == 400) {
			reg_resp_release(&r);
			unik_err_set(err, UNIK_E_INTERNAL,
				     "%s: the registry refused its digest (400)", what);
			goto out;
		}
		if (failed(s, what, &r, &failures, err)) {
			reg_resp_release(&r);
			goto out;
		}
		reg_resp_release(&r);
		c = blob_exists(s, digest, err); /* the PUT may have arrived */
		if (c < 0)
			goto out;
		if (c)
			break;
	}
	reg_progress(s, size, 1);
	rc = 0;
out:
	s->blob = NULL;
	free(loc);
	free(what);
	close(fd);
	return rc;
}

static int hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return 0;
	return 1;
}

int oci_upload_blobs(struct job_ctx *jc, const char *work, const char *layout,
		     const struct oci_transfer *t, long long chunk, struct unik_err *err)
{
	struct reg_session s;
	char *dir = xasprintf("%s/blobs/sha256", layout);
	DIR *dh = NULL;
	struct dirent *de;
	long long sent = 0;
	int rc = -1, n = 0, skipped = 0;

	if (reg_open(&s, jc, t, work, "pull,push", err))
		goto out;
	dh = opendir(dir);
	if (!dh) {
		unik_err_set(err, UNIK_E_INTERNAL, "%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(dh))) {
		char *path, *digest;
		struct stat st;
		int have;

		if (!hex64(de->d_name))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		digest = xasprintf("sha256:%s", de->d_name);
		if (lstat(path, &st) || !S_ISREG(st.st_mode)) {
			free(path);
			free(digest);
			continue;
		}
		have = blob_exists(&s, digest, err);
		if (have == 0) {
			jobs_step(jc, "uploading blob %.19s (%lld bytes)", digest,
				  (long long)st.st_size);
			if (upload_blob(&s, path, digest, (long long)st.st_size, chunk, err))
				have = -1;
			else
				sent += (long long)st.st_size;
		} else if (have > 0) {
			jobs_step(jc, "blob %.19s is already there", digest);
			skipped++;
		}
		free(path);
		free(digest);
		if (have < 0)
			goto out;
		n++;
	}
	jobs_step(jc, "%d blobs in the registry (%lld bytes uploaded, %d already there)", n, sent,
		  skipped);
	rc = 0;
out:
	if (dh)
		closedir(dh);
	reg_close(&s);
	free(dir);
	return rc;
}
