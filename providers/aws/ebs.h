/* ebs.h - a raw disk uploaded as an EBS snapshot with the EBS direct APIs
 * (docs/providers/aws.md): StartSnapshot, PutSnapshotBlock for each block
 * that is not all zeros (512 KiB, base64 SHA-256 checksum, the last partial
 * block zero-padded), N requests in parallel over libcurl's multi
 * interface, retries with capped exponential backoff and full jitter on
 * throttling, 5xx and connection errors, then CompleteSnapshot with the
 * LINEAR aggregated checksum, and a wait until the snapshot's blocks can be
 * listed (ListSnapshotBlocks), which also checks that the snapshot holds
 * exactly the blocks written.
 *
 * Resumable: with a state folder, the snapshot, its client token, the
 * disk's size and SHA-256 and the set of blocks acknowledged are kept in
 * <state_dir>/ebs-upload.state (written through a temporary file and
 * rename).  The next call with the same disk continues that snapshot when it
 * is still pending (StartSnapshot again with the same client token answers
 * the same snapshot), sending only the blocks missing; a changed disk, an
 * expired, failed or vanished snapshot or a state file that does not parse
 * starts over.
 */
#ifndef UNIK_AWS_EBS_H
#define UNIK_AWS_EBS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "providers/aws/aws_creds.h"

#define EBS_BLOCK_SIZE 524288u /* the EBS direct APIs' block: 512 KiB */
#define EBS_GIB (1ull << 30)
#define EBS_MAX_BLOCKS (1ull << 25) /* 16 TiB, the largest EBS snapshot */
#define EBS_DEFAULT_PARALLEL 8
#define EBS_MAX_PARALLEL 64
#define EBS_DEFAULT_ATTEMPTS 8 /* tries of one request before giving up */
#define EBS_DEFAULT_TIMEOUT_MIN 60 /* StartSnapshot's Timeout (10..4320) */
#define EBS_STATE_FILE "ebs-upload.state"

/* Progress, for the daemon to stream. */
struct ebs_progress {
	const char *phase; /* "scan", "start", "upload", "complete", "wait", "done" */
	uint64_t blocks_total; /* blocks of the disk */
	uint64_t blocks_done; /* written (this run or before) + skipped as zero */
	uint64_t blocks_written; /* acknowledged by EBS, all runs */
	uint64_t blocks_skipped; /* all zeros: never sent */
	uint64_t blocks_resumed; /* acknowledged in an earlier run */
	uint64_t bytes_sent; /* block bytes acknowledged in this run */
	uint64_t retries; /* requests tried again in this run */
};
typedef void (*ebs_progress_fn)(const struct ebs_progress *p, void *ctx);

struct ebs_upload_opts {
	const char *disk; /* the raw disk (disk_stage_raw) */
	const struct aws_creds *creds; /* keys (+ token) */
	const char *region; /* required */
	const char
	    *endpoint; /* "http(s)://host[:port]"; NULL: https://ebs.<region>.amazonaws.com */
	const char *digest; /* the image's digest, tagged on the snapshot ("sha256:..."), or NULL */
	const char *description; /* NULL: "unik image <digest>" */
	const char *state_dir; /* an existing folder for the state; NULL: not resumable */
	unsigned parallel; /* requests in flight; 0: EBS_DEFAULT_PARALLEL */
	unsigned max_attempts; /* per request; 0: EBS_DEFAULT_ATTEMPTS */
	unsigned backoff_base_ms; /* first retry's cap; 0: 100 */
	unsigned backoff_max_ms; /* cap of any wait; 0: 20000 */
	unsigned timeout_min; /* StartSnapshot Timeout; 0: EBS_DEFAULT_TIMEOUT_MIN */
	unsigned request_timeout_s; /* one request, connect included; 0: 120 */
	unsigned wait_s; /* how long to wait for "completed"; 0: 600 */
	ebs_progress_fn progress; /* NULL: none */
	void *progress_ctx;
};

struct ebs_result {
	char snapshot_id[65];
	char status[16]; /* "completed" */
	uint64_t volume_gib;
	uint64_t blocks_total, blocks_written, blocks_skipped, blocks_resumed;
	uint64_t bytes_sent; /* this run */
	uint64_t retries; /* this run */
	char checksum[48]; /* the LINEAR aggregated checksum sent */
	int resumed; /* 1: an earlier run's snapshot was continued */
};

/* Uploads opts->disk as a new EBS snapshot (or continues the one in
 * opts->state_dir) and waits until it is completed.  0 with `out` filled,
 * or -1: INVALID for bad options, a disk that is not a regular file or is
 * empty or too big, credentials AWS refuses (the message says which
 * operation and AWS's error); UNAVAILABLE when EBS keeps failing after
 * every attempt or cannot be reached; INTERNAL otherwise.  On failure the
 * state file is left for the next call (unless the snapshot is in error). */
int ebs_upload(const struct ebs_upload_opts *opts, struct ebs_result *out, struct unik_err *err);

struct unik_config;
/* parallel, max_attempts, timeout_min and wait_s from the daemon's config
 * (aws.ebs_parallel 1..64, default 8; aws.ebs_attempts 1..100, default 8;
 * aws.ebs_timeout_min 10..4320, default 60; aws.ebs_wait_s 1..86400,
 * default 600).  INVALID for a value that is not a number in range. */
int ebs_opts_from_config(const struct unik_config *cfg, struct ebs_upload_opts *o,
			 struct unik_err *err);

/* ---- the pieces, exposed for the tests (providers/aws/ebs_plan.c) ---- */

/* What a disk is made of: one entry per 512 KiB block. */
struct ebs_plan {
	uint64_t disk_size;
	uint64_t nblocks; /* ceil(disk_size / EBS_BLOCK_SIZE) */
	uint64_t volume_gib; /* ceil(disk_size / GiB), at least 1 */
	uint64_t nzero; /* blocks that are all zeros */
	unsigned char *zero; /* [nblocks]: 1 when the block is all zeros */
	unsigned char (
	    *sha)[32]; /* [nblocks]: SHA-256 of the (padded) block; 0s for a zero block */
	char disk_sha256[65]; /* hex SHA-256 of the whole disk */
};

/* Reads the disk at `path` once: its size, whether each block is all zeros
 * and, when it is not, its SHA-256 (the last block padded with zeros to
 * 512 KiB), and the whole disk's SHA-256. */
int ebs_plan_disk(const char *path, struct ebs_plan *plan, struct unik_err *err);
/* The same from a buffer (tests). */
void ebs_plan_buffer(const void *data, size_t len, struct ebs_plan *plan);
void ebs_plan_release(struct ebs_plan *plan);

/* Block `index` of a disk of `disk_size` bytes: its offset and how many of
 * its bytes are on the disk (the rest is padding); 0 past the end. */
size_t ebs_block_span(uint64_t disk_size, uint64_t index, uint64_t *offset);
/* The volume a disk of `size` bytes needs: GiB, rounded up, at least 1. */
uint64_t ebs_volume_gib(uint64_t size);
/* 1 when the n bytes are all zero. */
int ebs_is_zero(const void *data, size_t n);
/* Base64 (RFC 4648, padded) of n bytes into out (4*ceil(n/3)+1 bytes). */
void ebs_base64(const unsigned char *in, size_t n, char *out);
/* The LINEAR aggregated checksum: base64 of the SHA-256 of the 32-byte
 * SHA-256 digests of the written blocks (written[i] != 0), concatenated in
 * ascending block index order.  out: 45 bytes. */
void ebs_linear_checksum(const struct ebs_plan *plan, const unsigned char *written, char out[45]);
/* The wait before try `attempt` (1 = the first retry): a uniformly random
 * value in [0, min(max_ms, base_ms * 2^(attempt-1))] ("full jitter"),
 * `rnd` a random 64-bit value. */
unsigned ebs_backoff_ms(unsigned attempt, unsigned base_ms, unsigned max_ms, uint64_t rnd);

/* ---- the state file (providers/aws/ebs_state.c) ---- */

struct ebs_state {
	char snapshot_id[65];
	char client_token[65];
	uint64_t block_size;
	uint64_t disk_size;
	char disk_sha256[65];
	uint64_t volume_gib;
	int64_t updated; /* unix time of StartSnapshot or of the last block acknowledged */
	unsigned timeout_min;
	int completing; /* CompleteSnapshot was sent */
	uint64_t nblocks;
	unsigned char *acked; /* [nblocks]: 1 once EBS acknowledged the block */
};

/* Writes the state to `path` through a temporary file and rename(), so a
 * crash leaves the old state or the new one; with `sync` the file is
 * fsync()ed first (the uploader syncs at most once a second: a state lost
 * to a power cut only means blocks sent again). */
int ebs_state_save(const char *path, const struct ebs_state *st, int sync, struct unik_err *err);
/* Reads it back: 0 with `st` filled (release with ebs_state_release), 1
 * when there is no state file, -1 (INVALID) when it does not parse or its
 * values are out of range — the caller then starts over. */
int ebs_state_load(const char *path, struct ebs_state *st, struct unik_err *err);
void ebs_state_release(struct ebs_state *st);

#endif
