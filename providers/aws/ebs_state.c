/* ebs_state.c - the resumable upload's state file.
 *
 * Text, one "key value" a line, in this order:
 *
 *   unik-ebs-upload 1
 *   snapshot snap-0123abcd
 *   client-token <[A-Za-z0-9-] token>
 *   block-size 524288
 *   disk-size <bytes>
 *   disk-sha256 <64 hex>
 *   volume-gib <n>
 *   updated <unix time of the last block acknowledged>
 *   timeout-min <10..4320>
 *   completing 0|1
 *   acked <hex bitmap, bit i of the block i, ceil(nblocks/4) digits>
 *
 * It is never trusted: every line is checked, sizes must agree with each
 * other, and anything else is INVALID (the upload then starts over).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "providers/aws/ebs.h"

#define STATE_MAGIC "unik-ebs-upload 1"
#define STATE_MAX (EBS_MAX_BLOCKS / 4 + 4096)

static const char hexd[] = "0123456789abcdef";

/* temporary file + rename, without fsync (ebs_state_save's sync = 0) */
static int write_renamed(const char *path, const char *data, size_t len, struct unik_err *err)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	size_t done = 0;
	int fd, rc = -1;

	unlink(tmp); /* a leftover of a crashed run with this pid */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "upload state %s: %s", tmp, strerror(errno));
		goto out;
	}
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			unik_err_set(err, UNIK_E_INTERNAL, "upload state %s: %s", tmp,
				     w < 0 ? strerror(errno) : "short write");
			break;
		}
		done += (size_t)w;
	}
	close(fd);
	if (done == len && rename(tmp, path) == 0)
		rc = 0;
	else if (done == len)
		unik_err_set(err, UNIK_E_INTERNAL, "upload state %s: %s", path, strerror(errno));
	if (rc < 0)
		unlink(tmp);
out:
	free(tmp);
	return rc;
}

int ebs_state_save(const char *path, const struct ebs_state *st, int sync, struct unik_err *err)
{
	struct strbuf sb;
	int rc;

	strbuf_init(&sb);
	strbuf_addf(&sb,
		    STATE_MAGIC "\nsnapshot %s\nclient-token %s\nblock-size %" PRIu64
				"\ndisk-size %" PRIu64 "\ndisk-sha256 %s\nvolume-gib %" PRIu64
				"\nupdated %" PRId64 "\ntimeout-min %u\ncompleting %d\nacked ",
		    st->snapshot_id, st->client_token, st->block_size, st->disk_size,
		    st->disk_sha256, st->volume_gib, st->updated, st->timeout_min,
		    st->completing ? 1 : 0);
	for (uint64_t i = 0; i < st->nblocks; i += 4) {
		unsigned v = 0;

		for (unsigned b = 0; b < 4 && i + b < st->nblocks; b++)
			if (st->acked[i + b])
				v |= 1u << b;
		strbuf_addch(&sb, hexd[v]);
	}
	strbuf_addch(&sb, '\n');
	rc = sync ? fs_write_file_atomic(path, sb.buf, sb.len, 0600, err)
		  : write_renamed(path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return rc;
}

/* The value of line `key` at *p (advancing past it), NUL-ended in place. */
static char *take(char **p, const char *key)
{
	size_t kl = strlen(key);
	char *line = *p, *nl;

	if (strncmp(line, key, kl) || line[kl] != ' ')
		return NULL;
	nl = strchr(line, '\n');
	if (!nl)
		return NULL;
	*nl = '\0';
	*p = nl + 1;
	return line + kl + 1;
}

static int take_u64(char **p, const char *key, uint64_t max, uint64_t *out)
{
	char *v = take(p, key), *end;
	unsigned long long x;

	if (!v || !*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 20)
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x > max)
		return -1;
	*out = x;
	return 0;
}

static int take_word(char **p, const char *key, const char *chars, size_t min, size_t max,
		     char *out)
{
	char *v = take(p, key);
	size_t n;

	if (!v)
		return -1;
	n = strlen(v);
	if (n < min || n > max || strspn(v, chars) != n)
		return -1;
	memcpy(out, v, n + 1);
	return 0;
}

static int parse(char *s, struct ebs_state *st)
{
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-";
	uint64_t v, completing, nb;
	char *p = s, *acked;
	size_t ndig;

	if (strncmp(p, STATE_MAGIC "\n", sizeof(STATE_MAGIC)))
		return -1;
	p += sizeof(STATE_MAGIC);
	if (take_word(&p, "snapshot", alnum, 6, 64, st->snapshot_id) < 0 ||
	    strncmp(st->snapshot_id, "snap-", 5) ||
	    strspn(st->snapshot_id + 5, "0123456789abcdef") != strlen(st->snapshot_id + 5))
		return -1;
	if (take_word(&p, "client-token", alnum, 16, 64, st->client_token) < 0)
		return -1;
	if (take_u64(&p, "block-size", EBS_BLOCK_SIZE, &st->block_size) < 0 ||
	    st->block_size != EBS_BLOCK_SIZE)
		return -1;
	if (take_u64(&p, "disk-size", EBS_MAX_BLOCKS * EBS_BLOCK_SIZE, &st->disk_size) < 0 ||
	    st->disk_size == 0)
		return -1;
	if (take_word(&p, "disk-sha256", "0123456789abcdef", 64, 64, st->disk_sha256) < 0)
		return -1;
	if (take_u64(&p, "volume-gib", EBS_MAX_BLOCKS * EBS_BLOCK_SIZE / EBS_GIB, &st->volume_gib) <
		0 ||
	    st->volume_gib != ebs_volume_gib(st->disk_size))
		return -1;
	if (take_u64(&p, "updated", INT64_MAX, &v) < 0)
		return -1;
	st->updated = (int64_t)v;
	if (take_u64(&p, "timeout-min", 4320, &v) < 0 || v < 10)
		return -1;
	st->timeout_min = (unsigned)v;
	if (take_u64(&p, "completing", 1, &completing) < 0)
		return -1;
	st->completing = (int)completing;
	nb = (st->disk_size + EBS_BLOCK_SIZE - 1) / EBS_BLOCK_SIZE;
	acked = take(&p, "acked");
	ndig = (size_t)((nb + 3) / 4);
	if (!acked || strlen(acked) != ndig || strspn(acked, hexd) != ndig || *p)
		return -1;
	st->nblocks = nb;
	st->acked = xcalloc(nb, 1);
	for (uint64_t i = 0; i < nb; i++) {
		unsigned d = (unsigned)(strchr(hexd, acked[i / 4]) - hexd);

		st->acked[i] = (d >> (i % 4)) & 1;
	}
	/* bits past the last block must be clear */
	if (nb % 4 && (strchr(hexd, acked[ndig - 1]) - hexd) >> (nb % 4))
		return -1;
	return 0;
}

int ebs_state_load(const char *path, struct ebs_state *st, struct unik_err *err)
{
	struct strbuf sb;
	struct stat sst;
	int fd, rc;

	memset(st, 0, sizeof(*st));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0)
		return unik_err_set(err, UNIK_E_INVALID, "upload state %s: %s", path,
				    strerror(errno));
	if (fstat(fd, &sst) < 0 || !S_ISREG(sst.st_mode) || sst.st_size > (off_t)STATE_MAX) {
		close(fd);
		return unik_err_set(err, UNIK_E_INVALID,
				    "upload state %s: not a regular file of at most %llu bytes",
				    path, (unsigned long long)STATE_MAX);
	}
	strbuf_init(&sb);
	strbuf_grow(&sb, (size_t)sst.st_size);
	for (;;) {
		ssize_t r;

		strbuf_grow(&sb, 4096);
		r = read(fd, sb.buf + sb.len, 4096);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || sb.len + (size_t)r > STATE_MAX) {
			rc = r < 0 || r > 0 ? -1 : 0;
			break;
		}
		sb.len += (size_t)r;
	}
	close(fd);
	if (rc == 0) {
		sb.buf[sb.len] = '\0';
		if (memchr(sb.buf, '\0', sb.len) || parse(sb.buf, st) < 0)
			rc = -1;
	}
	strbuf_release(&sb);
	if (rc < 0) {
		ebs_state_release(st);
		return unik_err_set(err, UNIK_E_INVALID, "upload state %s: malformed", path);
	}
	return 0;
}

void ebs_state_release(struct ebs_state *st)
{
	free(st->acked);
	st->acked = NULL;
	st->nblocks = 0;
}
