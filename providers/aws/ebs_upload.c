/* ebs_upload.c - ebs_upload() (providers/aws/ebs.h): the disk planned
 * once (zero blocks, each block's SHA-256, the disk's SHA-256), then
 * StartSnapshot, the blocks over libcurl's multi interface (a fixed set of
 * slots, each with its own 512 KiB buffer and easy handle: a retry resends
 * the slot's own bytes, never a shared reader), CompleteSnapshot and the
 * wait.
 *
 * Why no block is counted twice or lost: a block is handed to at most one
 * slot at a time, and only a 2xx answer (whose checksum, when EBS sends
 * one, matches ours) marks it acknowledged; ChangedBlocksCount and the
 * LINEAR checksum are computed from the acknowledged set, never from a
 * running counter, and the snapshot is completed only when every non-zero
 * block is in it.  After completion ListSnapshotBlocks must list exactly
 * that set.  The volume size is the disk's, rounded up to GiB (ops #1450). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/sha.h>
#include <stddef.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/hex.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "providers/aws/ebs_int.h"

uint64_t ebs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t ebs_rnd(struct up *u)
{
	/* xorshift64*, seeded from getrandom: jitter, not secrets */
	u->rng ^= u->rng >> 12;
	u->rng ^= u->rng << 25;
	u->rng ^= u->rng >> 27;
	return u->rng * 0x2545F4914F6CDD1DULL;
}

void ebs_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void ebs_report(struct up *u, const char *phase)
{
	u->prog.phase = phase;
	if (u->o->progress)
		u->o->progress(&u->prog, u->o->progress_ctx);
}

int ebs_young(const struct up *u)
{
	return u->started_ms && ebs_now_ms() - u->started_ms < EBS_NOTFOUND_GRACE_MS;
}

int ebs_save_state(struct up *u, struct unik_err *err)
{
	uint64_t t = ebs_now_ms();
	int sync = t - u->last_sync_ms >= 1000 || u->st.completing;

	u->dirty = 0;
	if (!u->state_path)
		return 0;
	if (sync)
		u->last_sync_ms = t;
	return ebs_state_save(u->state_path, &u->st, sync, err);
}

/* Runs one transfer on `easy` to its end through the multi handle. */
static void drive_one(struct up *u, CURL *easy, struct ebs_call *c)
{
	int running = 1, done = 0;

	curl_multi_add_handle(u->multi, easy);
	while (!done) {
		CURLMsg *m;
		int left;

		curl_multi_perform(u->multi, &running);
		while ((m = curl_multi_info_read(u->multi, &left)))
			if (m->msg == CURLMSG_DONE && m->easy_handle == easy) {
				c->curl_rc = m->data.result;
				done = 1;
			}
		if (!done)
			curl_multi_poll(u->multi, NULL, 0, 1000, NULL);
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &c->status);
	curl_multi_remove_handle(u->multi, easy);
}

/* One call, tried up to u->attempts times while the answers say so. */
enum ebs_verdict ebs_call_once(struct up *u, struct ebs_call *c, struct unik_err *err)
{
	for (unsigned attempt = 1;; attempt++) {
		enum ebs_verdict v;

		if (ebs_call_prepare(&u->tgt, c, u->easy1, err) < 0)
			return EBS_FATAL;
		drive_one(u, u->easy1, c);
		v = ebs_call_verdict(c, err);
		if (v == EBS_GONE && c->retry_gone && (attempt < u->attempts || ebs_young(u))) {
			u->prog.retries++;
			ebs_sleep_ms(ebs_backoff_ms(attempt, u->base_ms, u->max_ms, ebs_rnd(u)));
			continue;
		}
		if (v != EBS_RETRY)
			return v;
		if (attempt >= u->attempts) {
			unik_err_prefix(err, "after %u attempts", attempt);
			err->code = UNIK_E_UNAVAILABLE;
			return EBS_FATAL;
		}
		u->prog.retries++;
		ebs_sleep_ms(ebs_backoff_ms(attempt, u->base_ms, u->max_ms, ebs_rnd(u)));
	}
}

void ebs_new_token(struct up *u)
{
	unsigned char r[16];

	/* a token names one request for good: from the kernel's generator */
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(ebs_rnd(u) >> 56);
	memcpy(u->st.client_token, "unik-", 5);
	hex_encode(r, sizeof(r), u->st.client_token + 5);
}

/* The next block to send, from u->next on; 0 when none is left. */
static int next_block(struct up *u, uint64_t *index)
{
	for (; u->next < u->plan.nblocks; u->next++)
		if (!u->plan.zero[u->next] && !u->st.acked[u->next]) {
			*index = u->next++;
			return 1;
		}
	return 0;
}

/* Reads block `i` into the slot and checks it is still what was planned. */
static int load_slot(struct up *u, struct slot *s, uint64_t i, struct unik_err *err)
{
	uint64_t off;
	size_t n = ebs_block_span(u->plan.disk_size, i, &off), got = 0;
	unsigned char md[32];

	while (got < n) {
		ssize_t r = pread(u->fd, s->buf + got, n - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return unik_err_set(err, UNIK_E_CONFLICT,
					    "disk %s: read at %" PRIu64 ": %s", u->o->disk,
					    off + got, r < 0 ? strerror(errno) : "the file shrank");
		got += (size_t)r;
	}
	memset(s->buf + n, 0, EBS_BLOCK_SIZE - n);
	SHA256(s->buf, EBS_BLOCK_SIZE, md);
	if (memcmp(md, u->plan.sha[i], 32))
		return unik_err_set(err, UNIK_E_CONFLICT,
				    "disk %s changed during the upload (block %" PRIu64 ")",
				    u->o->disk, i);
	ebs_base64(md, 32, s->sum);
	snprintf(s->path, sizeof(s->path), "/snapshots/%s/blocks/%" PRIu64, u->st.snapshot_id, i);
	s->block = i;
	s->attempt = 1;
	return 0;
}

static int start_slot(struct up *u, struct slot *s, struct unik_err *err)
{
	struct ebs_call *c = &s->call;

	c->nhdrs = 0;
	c->op = "PutSnapshotBlock";
	c->method = "PUT";
	c->path = s->path;
	c->content_type = "application/octet-stream";
	ebs_call_header(c, "x-amz-Data-Length", "524288");
	ebs_call_header(c, "x-amz-Checksum", s->sum);
	ebs_call_header(c, "x-amz-Checksum-Algorithm", "SHA256");
	c->body = s->buf;
	c->body_len = EBS_BLOCK_SIZE;
	c->unsigned_payload = 1;
	c->retry_gone = 1;
	if (ebs_call_prepare(&u->tgt, c, s->easy, err) < 0)
		return -1;
	curl_multi_add_handle(u->multi, s->easy);
	s->state = SLOT_RUNNING;
	return 0;
}

/* A finished PutSnapshotBlock: 0 (acknowledged or to be retried), or the
 * verdict that ends the upload (err filled). */
static enum ebs_verdict finish_slot(struct up *u, struct slot *s, struct unik_err *err)
{
	enum ebs_verdict v = ebs_call_verdict(&s->call, err);

	if (v == EBS_OK && s->call.checksum[0] && strcmp(s->call.checksum, s->sum)) {
		unik_err_set(err, UNIK_E_UNAVAILABLE,
			     "EBS PutSnapshotBlock %" PRIu64 ": EBS's checksum %.64s is not ours",
			     s->block, s->call.checksum);
		v = EBS_RETRY;
	}
	if (v == EBS_OK) {
		if (!u->st.acked[s->block]) {
			u->st.acked[s->block] = 1;
			u->prog.blocks_written++;
			u->prog.blocks_done++;
			u->prog.bytes_sent += EBS_BLOCK_SIZE;
		}
		u->st.updated = (int64_t)time(NULL);
		u->dirty = 1;
		s->state = SLOT_FREE;
		return EBS_OK;
	}
	if ((v == EBS_RETRY && s->attempt < u->attempts) ||
	    (v == EBS_GONE && (s->attempt < u->attempts || ebs_young(u)))) {
		/* a 404 too: EBS may not know a snapshot just started yet */
		u->prog.retries++;
		s->wake_ms =
		    ebs_now_ms() + ebs_backoff_ms(s->attempt, u->base_ms, u->max_ms, ebs_rnd(u));
		s->attempt++;
		s->state = SLOT_WAITING;
		return EBS_OK;
	}
	if (v == EBS_RETRY) {
		unik_err_prefix(err, "block %" PRIu64 " after %u attempts", s->block, s->attempt);
		err->code = UNIK_E_UNAVAILABLE;
		return EBS_FATAL;
	}
	unik_err_prefix(err, "block %" PRIu64, s->block);
	return v;
}

/* Sends every non-zero block not yet acknowledged.  EBS_OK, or the verdict
 * that stopped it (the blocks in flight are dropped: not acknowledged). */
enum ebs_verdict ebs_upload_blocks(struct up *u, struct unik_err *err)
{
	enum ebs_verdict v = EBS_OK;

	u->next = 0;
	for (;;) {
		uint64_t t = ebs_now_ms(), wake = t + 1000, idx;
		int active = 0, running, left, finished;
		CURLMsg *m;

		for (unsigned k = 0; k < u->nslots && v == EBS_OK; k++) {
			struct slot *s = &u->slots[k];

			if (s->state == SLOT_FREE && next_block(u, &idx)) {
				if (load_slot(u, s, idx, err) < 0 || start_slot(u, s, err) < 0)
					v = EBS_FATAL;
			} else if (s->state == SLOT_WAITING && s->wake_ms <= t) {
				if (start_slot(u, s, err) < 0)
					v = EBS_FATAL;
			}
			if (s->state == SLOT_WAITING && s->wake_ms < wake)
				wake = s->wake_ms;
			if (s->state != SLOT_FREE)
				active++;
		}
		if (v != EBS_OK || !active)
			break;
		curl_multi_perform(u->multi, &running);
		finished = 0;
		while (v == EBS_OK && (m = curl_multi_info_read(u->multi, &left))) {
			struct ebs_call *c;
			struct slot *s;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
			s = (struct slot *)((char *)c - offsetof(struct slot, call));
			c->curl_rc = m->data.result;
			curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &c->status);
			curl_multi_remove_handle(u->multi, s->easy);
			s->state = SLOT_FREE;
			v = finish_slot(u, s, err);
			finished++;
		}
		if (v != EBS_OK)
			break;
		/* every acknowledgement is recorded before it is reported */
		if (u->dirty) {
			struct unik_err e2 = UNIK_ERR_INIT;

			if (ebs_save_state(u, &e2) < 0) {
				*err = e2;
				v = EBS_FATAL;
				break;
			}
			ebs_report(u, "upload");
		}
		if (finished)
			continue; /* free slots to fill first */
		t = ebs_now_ms();
		curl_multi_poll(u->multi, NULL, 0, wake > t ? (int)(wake - t) : 0, NULL);
	}
	for (unsigned k = 0; k < u->nslots; k++) {
		if (u->slots[k].state == SLOT_RUNNING)
			curl_multi_remove_handle(u->multi, u->slots[k].easy);
		u->slots[k].state = SLOT_FREE;
	}
	if (u->dirty) {
		struct unik_err e2 = UNIK_ERR_INIT;

		if (ebs_save_state(u, &e2) < 0 && v == EBS_OK) {
			*err = e2;
			v = EBS_FATAL;
		}
	}
	return v;
}
