/* build_cache.c - the build cache (see build_cache.h). */
#include "build_cache.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../compilers/compiler.h"
#include "../lib/fsutil.h"
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "jobs.h"

#ifndef UNIK_GITREV
#define UNIK_GITREV "unknown"
#endif

/* Hashes a length-prefixed field, so that fields cannot run into each other. */
static void put_field(EVP_MD_CTX *md, const char *tag, const void *data, size_t len)
{
	uint64_t n = len;

	EVP_DigestUpdate(md, tag, strlen(tag) + 1);
	EVP_DigestUpdate(md, &n, sizeof(n));
	if (len)
		EVP_DigestUpdate(md, data, len);
}

static void put_str(EVP_MD_CTX *md, const char *tag, const char *s)
{
	put_field(md, tag, s ? s : "", s ? strlen(s) : 0);
}

static int hash_entries(EVP_MD_CTX *md, const char *tar_path, struct unik_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	char buf[65536];
	int r, rc = 0;

	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_none(a);
	if (archive_read_open_filename(a, tar_path, 65536) != ARCHIVE_OK) {
		rc = unik_err_set(err, UNIK_E_INVALID, "cannot read the source archive: %s",
				  archive_error_string(a));
		archive_read_free(a);
		return rc;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		unsigned meta[2] = { (unsigned)archive_entry_filetype(ae),
				     (unsigned)archive_entry_perm(ae) };
		la_ssize_t n;

		put_str(md, "path", archive_entry_pathname(ae));
		put_field(md, "meta", meta, sizeof(meta));
		put_str(md, "link", archive_entry_symlink(ae));
		put_str(md, "hardlink", archive_entry_hardlink(ae));
		EVP_DigestUpdate(md, "data", 5);
		while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
			EVP_DigestUpdate(md, buf, (size_t)n);
		if (n < 0) {
			r = ARCHIVE_FATAL;
			break;
		}
		EVP_DigestUpdate(md, "end", 4);
	}
	if (r != ARCHIVE_EOF)
		rc = unik_err_set(err, UNIK_E_INVALID, "cannot read the source archive: %s",
				  archive_error_string(a) ? archive_error_string(a) : "bad entry");
	archive_read_free(a);
	return rc;
}

int build_cache_key(const char *tar_path, const struct build_request *br, char **key,
		    struct unik_err *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char mem[32], *hex;

	if (!md)
		abort(); /* out of memory, as xalloc */
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	put_str(md, "unikd", UNIK_VERSION " " UNIK_GITREV);
	put_str(md, "compiler", br->compiler ? br->compiler->name : "auto");
	if (br->companion)
		put_str(md, "companion", br->companion->name);
	snprintf(mem, sizeof(mem), "%d", br->memory_mb);
	put_str(md, "memory", mem);
	for (size_t i = 0; i < br->args.n; i++)
		put_str(md, "arg", br->args.v[i]);
	for (size_t i = 0; i < br->labels.n; i++)
		put_str(md, "label", br->labels.v[i]);
	if (hash_entries(md, tar_path, err)) {
		EVP_MD_CTX_free(md);
		return -1;
	}
	EVP_DigestFinal_ex(md, out, &len);
	EVP_MD_CTX_free(md);
	hex = xmalloc(2 * len + 1);
	for (unsigned i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	*key = hex;
	return 0;
}

static int id_ok(const char *s, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

char *build_cache_lookup(struct unikd *d, const char *key)
{
	char *path = unikd_path(d, "build-cache/%s", key);
	struct strbuf sb = STRBUF_INIT;
	struct unik_err err = UNIK_ERR_INIT;
	char *id = NULL;

	if (fs_exists(path) && fs_read_file(path, &sb, &err) == 0) {
		while (sb.len && (sb.buf[sb.len - 1] == '\n'))
			sb.buf[--sb.len] = '\0';
		if (id_ok(sb.buf, sb.len))
			id = strbuf_detach(&sb);
	}
	strbuf_release(&sb);
	free(path);
	return id;
}

void build_cache_store(struct unikd *d, const char *key, const char *image_id)
{
	char *dir = unikd_path(d, "build-cache");
	char *path = unikd_path(d, "build-cache/%s", key);
	struct unik_err err = UNIK_ERR_INIT;

	if (fs_mkdir_p(dir, 0700, &err) ||
	    fs_write_file_atomic(path, image_id, strlen(image_id), 0600, &err))
		unikd_log("build cache: cannot record %.12s: %s", key, err.msg);
	free(dir);
	free(path);
}
