/* blobs.c - content-addressed blob store (sha256). */
#include "blobs.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/hex.h"
#include "../lib/safeopen.h"
#include "../lib/xalloc.h"

#define PREFIX "sha256:"

static char *hexdigest(const unsigned char *md, unsigned len)
{
	char *s = xmalloc(sizeof(PREFIX) + 2 * len);

	memcpy(s, PREFIX, sizeof(PREFIX) - 1);
	hex_encode(md, len, s + sizeof(PREFIX) - 1);
	return s;
}

char *blobs_digest_buf(const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	return hexdigest(md, mdlen);
}

int blobs_init(const char *state_dir, struct unik_err *err)
{
	char *dir = xasprintf("%s/blobs/sha256", state_dir);
	int rc = fs_mkdir_p(dir, 0700, err);

	free(dir);
	return rc;
}

static int valid_digest(const char *d)
{
	if (!d || strncmp(d, PREFIX, sizeof(PREFIX) - 1))
		return 0;
	d += sizeof(PREFIX) - 1;
	if (strlen(d) != 64)
		return 0;
	for (; *d; d++)
		if (!((*d >= '0' && *d <= '9') || (*d >= 'a' && *d <= 'f')))
			return 0;
	return 1;
}

int blobs_path(const char *state_dir, const char *digest, char **path, struct unik_err *err)
{
	if (!valid_digest(digest))
		return unik_err_set(err, UNIK_E_INVALID, "bad blob digest '%s'",
				    digest ? digest : "");
	*path = xasprintf("%s/blobs/sha256/%s", state_dir, digest + sizeof(PREFIX) - 1);
	if (!fs_exists(*path)) {
		free(*path);
		*path = NULL;
		return unik_err_set(err, UNIK_E_NOT_FOUND, "blob %s is missing from the store",
				    digest);
	}
	return 0;
}

static int put_file(const char *state_dir, const char *path, const char *expect, char **digest,
		    long long *size, struct unik_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char buf[65536];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *tmp =
	    xasprintf("%s/blobs/tmp.%d.%lx", state_dir, (int)getpid(), (unsigned long)(size_t)ctx);
	char *final = NULL;
	int in = -1, out = -1, rc = -1;
	long long total = 0;
	struct stat st;
	ssize_t n;

	/* an artifact of a build: its folder and the file itself must not be
	 * symlinks (a build step could point them at any host file) */
	in = safe_open_file(path, O_RDONLY | O_NONBLOCK, SAFE_NO_SYMLINKS, err);
	if (in < 0) {
		unik_err_prefix(err, "the image artifact");
		goto cleanup;
	}
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		unik_err_set(err, UNIK_E_INVALID, "the image artifact %s is not a regular file",
			     path);
		goto cleanup;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot create %s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		if (write(out, buf, (size_t)n) != n) {
			unik_err_set(err, UNIK_E_INTERNAL, "cannot write %s: %s", tmp,
				     strerror(errno));
			goto cleanup;
		}
		total += n;
	}
	if (n < 0 || fsync(out) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot copy %s: %s", path, strerror(errno));
		goto cleanup;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	*digest = hexdigest(md, mdlen);
	if (expect && strcmp(*digest, expect)) {
		unik_err_set(err, UNIK_E_INVALID,
			     "blob %s does not match its digest (its content hashes to %s): "
			     "refused",
			     expect, *digest);
		free(*digest);
		*digest = NULL;
		goto cleanup;
	}
	final = xasprintf("%s/blobs/sha256/%s", state_dir, *digest + sizeof(PREFIX) - 1);
	if (rename(tmp, final) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot store blob %s: %s", final,
			     strerror(errno));
		free(*digest);
		*digest = NULL;
		goto cleanup;
	}
	chmod(final, 0400);
	if (size)
		*size = total;
	rc = 0;
cleanup:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc)
		unlink(tmp);
	EVP_MD_CTX_free(ctx);
	free(tmp);
	free(final);
	return rc;
}

int blobs_put_file(const char *state_dir, const char *path, char **digest, long long *size,
		   struct unik_err *err)
{
	return put_file(state_dir, path, NULL, digest, size, err);
}

int blobs_put_verified(const char *state_dir, const char *path, const char *expect, long long *size,
		       struct unik_err *err)
{
	char *digest = NULL;
	int rc;

	if (!valid_digest(expect))
		return unik_err_set(err, UNIK_E_INVALID, "bad blob digest '%s'",
				    expect ? expect : "");
	rc = put_file(state_dir, path, expect, &digest, size, err);
	free(digest);
	return rc;
}

int blobs_file_digest(const char *path, char **digest, long long *size, struct unik_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char buf[65536];
	EVP_MD_CTX *ctx;
	long long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot open %s: %s", path,
				    strerror(errno));
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0) {
			EVP_DigestUpdate(ctx, buf, (size_t)n);
			total += n;
		}
	close(fd);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (n < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot read %s", path);
	*digest = hexdigest(md, mdlen);
	if (size)
		*size = total;
	return 0;
}

int blobs_digest_valid(const char *digest)
{
	return valid_digest(digest);
}

int blobs_remove(const char *state_dir, const char *digest, struct unik_err *err)
{
	char *path;

	if (!valid_digest(digest))
		return unik_err_set(err, UNIK_E_INVALID, "bad blob digest '%s'", digest);
	path = xasprintf("%s/blobs/sha256/%s", state_dir, digest + sizeof(PREFIX) - 1);
	if (unlink(path) < 0 && errno != ENOENT) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot remove %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	return 0;
}
