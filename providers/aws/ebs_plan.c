/* ebs_plan.c - a disk cut into EBS blocks: which are all zeros, each one's
 * SHA-256, the whole disk's SHA-256; base64, the LINEAR aggregated checksum
 * and the retry backoff. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/hex.h"
#include "lib/xalloc.h"
#include "providers/aws/ebs.h"

size_t ebs_block_span(uint64_t disk_size, uint64_t index, uint64_t *offset)
{
	uint64_t off;

	if (index >= EBS_MAX_BLOCKS)
		return 0;
	off = index * EBS_BLOCK_SIZE;
	if (offset)
		*offset = off;
	if (off >= disk_size)
		return 0;
	return disk_size - off < EBS_BLOCK_SIZE ? (size_t)(disk_size - off) : EBS_BLOCK_SIZE;
}

uint64_t ebs_volume_gib(uint64_t size)
{
	uint64_t g = size / EBS_GIB + (size % EBS_GIB != 0);

	return g ? g : 1;
}

int ebs_is_zero(const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i = 0;

	/* word at a time once aligned; the compiler vectorises the loop */
	for (; i < n && ((uintptr_t)(p + i) & 7); i++)
		if (p[i])
			return 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if (w)
			return 0;
	}
	for (; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

void ebs_base64(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

static void hex32(const unsigned char md[32], char hex[65])
{
	hex_encode(md, 32, hex);
}

static void plan_init(struct ebs_plan *plan, uint64_t size)
{
	memset(plan, 0, sizeof(*plan));
	plan->disk_size = size;
	plan->nblocks = (size + EBS_BLOCK_SIZE - 1) / EBS_BLOCK_SIZE;
	plan->volume_gib = ebs_volume_gib(size);
	plan->zero = xcalloc(plan->nblocks ? plan->nblocks : 1, 1);
	plan->sha = xcalloc(plan->nblocks ? plan->nblocks : 1, sizeof(*plan->sha));
}

/* One block's entry from its `n` bytes in buf (EBS_BLOCK_SIZE bytes long:
 * the rest is zeroed here). */
static void plan_block(struct ebs_plan *plan, uint64_t i, unsigned char *buf, size_t n)
{
	if (n < EBS_BLOCK_SIZE)
		memset(buf + n, 0, EBS_BLOCK_SIZE - n);
	plan->zero[i] = (unsigned char)ebs_is_zero(buf, n);
	if (plan->zero[i])
		plan->nzero++; /* never sent nor summed: no digest */
	else
		SHA256(buf, EBS_BLOCK_SIZE, plan->sha[i]);
}

void ebs_plan_buffer(const void *data, size_t len, struct ebs_plan *plan)
{
	unsigned char *buf = xmalloc(EBS_BLOCK_SIZE), md[32];
	uint64_t off;

	plan_init(plan, len);
	for (uint64_t i = 0; i < plan->nblocks; i++) {
		size_t n = ebs_block_span(len, i, &off);

		memcpy(buf, (const unsigned char *)data + off, n);
		plan_block(plan, i, buf, n);
	}
	SHA256(data, len, md);
	hex32(md, plan->disk_sha256);
	free(buf);
}

int ebs_plan_disk(const char *path, struct ebs_plan *plan, struct unik_err *err)
{
	unsigned char *buf = NULL, md[32];
	EVP_MD_CTX *ctx = NULL;
	struct stat st;
	int fd, rc = -1;
	unsigned mdlen = 0;

	memset(plan, 0, sizeof(*plan));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return unik_err_set(err, errno == ENOENT ? UNIK_E_NOT_FOUND : UNIK_E_INVALID,
				    "disk %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		unik_err_set(err, UNIK_E_INVALID, "disk %s: not a regular file with data", path);
		goto out;
	}
	if ((uint64_t)st.st_size > EBS_MAX_BLOCKS * EBS_BLOCK_SIZE) {
		unik_err_set(err, UNIK_E_INVALID, "disk %s: %lld bytes, over EBS's 16 TiB", path,
			     (long long)st.st_size);
		goto out;
	}
	plan_init(plan, (uint64_t)st.st_size);
	buf = xmalloc(EBS_BLOCK_SIZE);
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		unik_err_set(err, UNIK_E_INTERNAL, "sha256: cannot start a digest");
		goto out;
	}
	for (uint64_t i = 0; i < plan->nblocks; i++) {
		uint64_t off;
		size_t n = ebs_block_span(plan->disk_size, i, &off), got = 0;

		while (got < n) {
			ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				unik_err_set(err, UNIK_E_INTERNAL, "disk %s: read at %llu: %s",
					     path, (unsigned long long)(off + got),
					     r < 0 ? strerror(errno) : "the file shrank");
				goto out;
			}
			got += (size_t)r;
		}
		EVP_DigestUpdate(ctx, buf, n);
		plan_block(plan, i, buf, n);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	hex32(md, plan->disk_sha256);
	rc = 0;
out:
	if (rc < 0)
		ebs_plan_release(plan);
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	return rc;
}

void ebs_plan_release(struct ebs_plan *plan)
{
	free(plan->zero);
	free(plan->sha);
	plan->zero = NULL;
	plan->sha = NULL;
}

void ebs_linear_checksum(const struct ebs_plan *plan, const unsigned char *written, char out[45])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned mdlen = 0;

	if (!ctx)
		abort();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (uint64_t i = 0; i < plan->nblocks; i++)
		if (written[i])
			EVP_DigestUpdate(ctx, plan->sha[i], 32);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	ebs_base64(md, 32, out);
}

unsigned ebs_backoff_ms(unsigned attempt, unsigned base_ms, unsigned max_ms, uint64_t rnd)
{
	uint64_t cap = base_ms;

	if (attempt == 0)
		return 0;
	for (unsigned i = 1; i < attempt && cap < max_ms; i++)
		cap *= 2;
	if (cap > max_ms)
		cap = max_ms;
	return (unsigned)(rnd % (cap + 1));
}
