/* ebs_complete.c - ebs_upload()'s flow (providers/aws/ebs.h): plan the
 * disk, resume or start the snapshot, send the blocks (ebs_upload.c),
 * CompleteSnapshot, wait for "completed" and check the snapshot's blocks.
 *
 * The wait: CompleteSnapshot answers the snapshot's Status; when it is
 * "pending", ListSnapshotBlocks is asked (with a backoff, up to wait_s)
 * until it lists the snapshot, which EBS does once the snapshot is
 * completed.  DescribeSnapshots is EC2's (the provider's) to call. */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "providers/aws/ebs_int.h"

/* StartSnapshot with the state's client token: the snapshot id and status
 * into `id` and `status`. */
static int start_snapshot(struct up *u, char id[65], char status[16], struct unik_err *err)
{
	struct ebs_call c;
	json_t *req, *tags, *ans = NULL;
	char *body, *desc;
	const char *sid, *sst;
	int rc = -1;

	desc = u->o->description ? xstrdup(u->o->description)
				 : xasprintf("unik image %s", u->o->digest ? u->o->digest : "");
	tags = json_pack("[{s:s,s:s}]", "Key", "unik:managed", "Value", "true");
	if (u->o->digest)
		json_array_append_new(tags, json_pack("{s:s,s:s}", "Key", "unik:image-digest",
						      "Value", u->o->digest));
	req = json_pack("{s:I,s:o,s:s,s:s,s:i}", "VolumeSize", (json_int_t)u->plan.volume_gib,
			"Tags", tags, "Description", desc, "ClientToken", u->st.client_token,
			"Timeout", (int)u->st.timeout_min);
	free(desc);
	if (!req)
		return unik_err_set(err, UNIK_E_INVALID,
				    "EBS StartSnapshot: bad digest or description");
	body = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(req);
	ebs_call_init(&c);
	c.op = "StartSnapshot";
	c.method = "POST";
	c.path = "/snapshots";
	c.content_type = "application/json";
	c.body = body;
	c.body_len = strlen(body);
	if (ebs_call_once(u, &c, err) != EBS_OK)
		goto out;
	ans = json_loadb(c.answer.buf ? c.answer.buf : "", c.answer.len, 0, NULL);
	sid = json_string_value(json_object_get(ans, "SnapshotId"));
	sst = json_string_value(json_object_get(ans, "Status"));
	if (!sid || strlen(sid) < 6 || strlen(sid) > 64 || strncmp(sid, "snap-", 5) ||
	    strspn(sid + 5, "0123456789abcdef") != strlen(sid + 5)) {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "EBS StartSnapshot: no valid SnapshotId");
		goto out;
	}
	if (json_integer_value(json_object_get(ans, "BlockSize")) != EBS_BLOCK_SIZE) {
		unik_err_set(err, UNIK_E_UNAVAILABLE,
			     "EBS StartSnapshot: block size %" JSON_INTEGER_FORMAT ", not %u",
			     json_integer_value(json_object_get(ans, "BlockSize")), EBS_BLOCK_SIZE);
		goto out;
	}
	snprintf(id, 65, "%s", sid);
	snprintf(status, 16, "%s", sst ? sst : "");
	rc = 0;
out:
	json_decref(ans);
	ebs_call_release(&c);
	free(body);
	return rc;
}

/* CompleteSnapshot: its Status into `status`. */
static enum ebs_verdict complete_snapshot(struct up *u, char status[16], struct unik_err *err)
{
	char count[24], sum[48], path[128];
	uint64_t n = 0;
	struct ebs_call c;
	enum ebs_verdict v;
	json_t *ans;
	const char *st;

	for (uint64_t i = 0; i < u->plan.nblocks; i++)
		n += u->st.acked[i];
	snprintf(count, sizeof(count), "%" PRIu64, n);
	ebs_linear_checksum(&u->plan, u->st.acked, sum);
	snprintf(path, sizeof(path), "/snapshots/completion/%s", u->st.snapshot_id);
	ebs_call_init(&c);
	c.op = "CompleteSnapshot";
	c.method = "POST";
	c.path = path;
	c.retry_gone = 1;
	ebs_call_header(&c, "x-amz-ChangedBlocksCount", count);
	ebs_call_header(&c, "x-amz-Checksum", sum);
	ebs_call_header(&c, "x-amz-Checksum-Algorithm", "SHA256");
	ebs_call_header(&c, "x-amz-Checksum-Aggregation-Method", "LINEAR");
	v = ebs_call_once(u, &c, err);
	if (v == EBS_OK) {
		ans = json_loadb(c.answer.buf ? c.answer.buf : "", c.answer.len, 0, NULL);
		st = json_string_value(json_object_get(ans, "Status"));
		snprintf(status, 16, "%s", st ? st : "");
		json_decref(ans);
	}
	ebs_call_release(&c);
	return v;
}

/* Percent-encodes a page token ([A-Za-z0-9+/=]) for the query. */
static void add_token(struct strbuf *q, const char *tok)
{
	for (; *tok; tok++)
		if (*tok == '+' || *tok == '/' || *tok == '=')
			strbuf_addf(q, "%%%02X", (unsigned char)*tok);
		else
			strbuf_addch(q, *tok);
}

/* ListSnapshotBlocks, every page: EBS_OK when the snapshot lists exactly
 * the acknowledged blocks (else FATAL: a block is missing or extra), or the
 * verdict of the call that failed. */
static enum ebs_verdict list_blocks(struct up *u, struct unik_err *err)
{
	unsigned char *seen = xcalloc(u->plan.nblocks, 1);
	char path[128], *next = NULL;
	enum ebs_verdict v = EBS_OK;
	uint64_t pages = 0;
	struct strbuf q;

	strbuf_init(&q);
	snprintf(path, sizeof(path), "/snapshots/%s/blocks", u->st.snapshot_id);
	do {
		struct ebs_call c;
		json_t *ans, *blocks, *b;
		const char *nt;
		size_t k;

		strbuf_reset(&q);
		strbuf_adds(&q, "maxResults=10000");
		if (next) {
			strbuf_adds(&q, "&pageToken=");
			add_token(&q, next);
		}
		ebs_call_init(&c);
		c.op = "ListSnapshotBlocks";
		c.method = "GET";
		c.path = path;
		c.query = strbuf_str(&q);
		v = ebs_call_once(u, &c, err);
		free(next);
		next = NULL;
		if (v != EBS_OK) {
			ebs_call_release(&c);
			break;
		}
		ans = json_loadb(c.answer.buf ? c.answer.buf : "", c.answer.len, 0, NULL);
		ebs_call_release(&c);
		blocks = json_object_get(ans, "Blocks");
		if (!json_is_object(ans) || (blocks && !json_is_array(blocks)) ||
		    (json_object_get(ans, "VolumeSize") &&
		     json_integer_value(json_object_get(ans, "VolumeSize")) !=
			 (json_int_t)u->plan.volume_gib)) {
			unik_err_set(
			    err, UNIK_E_UNAVAILABLE,
			    "EBS ListSnapshotBlocks %s: a malformed answer or another volume size",
			    u->st.snapshot_id);
			v = EBS_FATAL;
		}
		json_array_foreach (blocks, k, b) {
			json_t *ji = json_object_get(b, "BlockIndex");
			json_int_t i = json_integer_value(ji);

			if (v != EBS_OK)
				break;
			if (!json_is_integer(ji) || i < 0 || (uint64_t)i >= u->plan.nblocks ||
			    seen[i] || !u->st.acked[i]) {
				unik_err_set(err, UNIK_E_UNAVAILABLE,
					     "snapshot %s lists block %" JSON_INTEGER_FORMAT
					     ", which was not written (or twice)",
					     u->st.snapshot_id, i);
				v = EBS_FATAL;
			} else {
				seen[i] = 1;
			}
		}
		nt = json_string_value(json_object_get(ans, "NextToken"));
		if (v == EBS_OK && nt && *nt) {
			if (strlen(nt) > 256 ||
			    strspn(nt, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456"
				       "789+/=") != strlen(nt)) {
				unik_err_set(err, UNIK_E_UNAVAILABLE,
					     "EBS ListSnapshotBlocks: a malformed NextToken");
				v = EBS_FATAL;
			} else {
				next = xstrdup(nt);
			}
		}
		json_decref(ans);
	} while (v == EBS_OK && next && ++pages <= u->plan.nblocks / 100 + 2);
	if (v == EBS_OK && next) {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "EBS ListSnapshotBlocks: too many pages");
		v = EBS_FATAL;
	}
	for (uint64_t i = 0; v == EBS_OK && i < u->plan.nblocks; i++)
		if (u->st.acked[i] && !seen[i]) {
			unik_err_set(err, UNIK_E_UNAVAILABLE,
				     "snapshot %s lacks block %" PRIu64 ", which EBS acknowledged",
				     u->st.snapshot_id, i);
			v = EBS_FATAL;
		}
	free(next);
	free(seen);
	strbuf_release(&q);
	return v;
}

/* Waits until ListSnapshotBlocks answers (the snapshot is completed), then
 * checks its blocks. */
static int wait_completed(struct up *u, struct unik_err *err)
{
	uint64_t deadline = ebs_now_ms() + (uint64_t)(u->o->wait_s ? u->o->wait_s : 600) * 1000;
	unsigned delay = 500;

	ebs_report(u, "wait");
	for (;;) {
		enum ebs_verdict v = list_blocks(u, err);

		if (v == EBS_OK)
			return 0;
		/* a pending snapshot is not listed (404 or 400); refused keys end it */
		if (err->code == UNIK_E_INVALID && strstr(err->msg, "refused the credentials"))
			return -1;
		if (strstr(err->msg, "which was not written") || strstr(err->msg, "lacks block"))
			return -1;
		if (ebs_now_ms() + delay > deadline)
			return unik_err_prefix(err, "snapshot %s not completed after %u s",
					       u->st.snapshot_id,
					       u->o->wait_s ? u->o->wait_s : 600);
		ebs_sleep_ms(delay);
		delay = delay * 2 > 10000 ? 10000 : delay * 2;
	}
}

/* The state from an earlier run, when it is for this disk and not
 * expired: 1 (u->st filled), else 0 (u->st fresh). */
static int take_state(struct up *u)
{
	struct unik_err e = UNIK_ERR_INIT;
	struct ebs_state *s = &u->st;
	int64_t now = (int64_t)time(NULL);

	if (!u->state_path || ebs_state_load(u->state_path, s, &e) != 0)
		return 0;
	if (s->disk_size != u->plan.disk_size || strcmp(s->disk_sha256, u->plan.disk_sha256) ||
	    s->nblocks != u->plan.nblocks || s->volume_gib != u->plan.volume_gib ||
	    s->updated > now + 300 || now - s->updated > (int64_t)s->timeout_min * 60 - 120) {
		ebs_state_release(s);
		return 0;
	}
	/* a zero block is never sent: a state saying otherwise lies */
	for (uint64_t i = 0; i < s->nblocks; i++)
		if (u->plan.zero[i])
			s->acked[i] = 0;
	return 1;
}

static void fresh_state(struct up *u)
{
	ebs_state_release(&u->st);
	memset(&u->st, 0, sizeof(u->st));
	ebs_new_token(u);
	u->st.block_size = EBS_BLOCK_SIZE;
	u->st.disk_size = u->plan.disk_size;
	memcpy(u->st.disk_sha256, u->plan.disk_sha256, 65);
	u->st.volume_gib = u->plan.volume_gib;
	u->st.timeout_min = u->o->timeout_min ? u->o->timeout_min : EBS_DEFAULT_TIMEOUT_MIN;
	u->st.nblocks = u->plan.nblocks;
	u->st.acked = xcalloc(u->plan.nblocks, 1);
}

static void count_progress(struct up *u, int resumed)
{
	uint64_t w = 0;

	for (uint64_t i = 0; i < u->plan.nblocks; i++)
		w += u->st.acked[i];
	u->prog.blocks_written = w;
	u->prog.blocks_resumed = resumed ? w : 0;
	u->prog.blocks_done = w + u->plan.nzero;
}

/* One go at the snapshot: 0 done, -1 failed, 1 start over with a fresh
 * snapshot (the resumed one is gone or not pending). */
static int run(struct up *u, int resumed, char status[16], struct unik_err *err)
{
	int was_completing = resumed && u->st.completing;
	char id[65];
	enum ebs_verdict v;

	ebs_report(u, "start");
	if (start_snapshot(u, id, status, err) < 0)
		return -1;
	if (resumed && strcmp(id, u->st.snapshot_id)) {
		/* the client token did not lead back to it: a new snapshot */
		memset(u->st.acked, 0, u->st.nblocks);
		u->st.completing = 0;
		resumed = 0;
	}
	if (resumed && u->st.completing && !strcmp(status, "completed")) {
		count_progress(u, 1);
		return wait_completed(u, err);
	}
	if (strcmp(status, "pending"))
		return resumed ? 1
			       : unik_err_set(err, UNIK_E_UNAVAILABLE,
					      "EBS StartSnapshot: snapshot %s is '%s', not pending",
					      id, status);
	memcpy(u->st.snapshot_id, id, 65);
	u->started_ms = resumed ? 0 : ebs_now_ms();
	u->st.updated = (int64_t)time(NULL);
	count_progress(u, resumed);
	if (ebs_save_state(u, err) < 0)
		return -1;
	ebs_report(u, "upload");
	v = ebs_upload_blocks(u, err);
	if (v == EBS_GONE || (v == EBS_FATAL && resumed && u->prog.bytes_sent == 0 &&
			      err->code == UNIK_E_INVALID && !strstr(err->msg, "refused the")))
		return resumed ? 1 : -1;
	if (v != EBS_OK)
		return -1;
	for (uint64_t i = 0; i < u->plan.nblocks; i++)
		if (!u->plan.zero[i] && !u->st.acked[i])
			return unik_err_set(err, UNIK_E_INTERNAL, "block %" PRIu64 " was not sent",
					    i);
	u->st.completing = 1;
	if (ebs_save_state(u, err) < 0)
		return -1;
	ebs_report(u, "complete");
	v = complete_snapshot(u, status, err);
	if (v != EBS_OK) {
		/* the run that crashed had sent CompleteSnapshot: EBS refuses a
		 * second one while it completes; wait for it instead */
		if (was_completing && v == EBS_FATAL) {
			struct unik_err e2 = UNIK_ERR_INIT;

			if (wait_completed(u, &e2) == 0) {
				snprintf(status, 16, "completed");
				return 0;
			}
			*err = e2;
			return -1;
		}
		return v == EBS_GONE && resumed ? 1 : -1;
	}
	if (!strcmp(status, "error")) {
		if (u->state_path)
			unlink(u->state_path);
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "EBS CompleteSnapshot: snapshot %s is in error",
				    u->st.snapshot_id);
	}
	if (strcmp(status, "completed") && strcmp(status, "pending"))
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "EBS CompleteSnapshot: snapshot %s: status '%.15s'",
				    u->st.snapshot_id, status);
	if (wait_completed(u, err) < 0)
		return -1;
	snprintf(status, 16, "completed");
	return 0;
}

static int check_opts(const struct ebs_upload_opts *o, struct unik_err *err)
{
	if (!o->disk)
		return unik_err_set(err, UNIK_E_INVALID, "EBS upload: no disk");
	if (o->parallel > EBS_MAX_PARALLEL)
		return unik_err_set(err, UNIK_E_INVALID, "EBS upload: parallel %u over %d",
				    o->parallel, EBS_MAX_PARALLEL);
	if (o->timeout_min && (o->timeout_min < 10 || o->timeout_min > 4320))
		return unik_err_set(err, UNIK_E_INVALID,
				    "EBS upload: timeout %u min outside 10..4320", o->timeout_min);
	if (o->max_attempts > 100)
		return unik_err_set(err, UNIK_E_INVALID, "EBS upload: %u attempts is too many",
				    o->max_attempts);
	if (o->digest && (strlen(o->digest) > 255 || !*o->digest))
		return unik_err_set(err, UNIK_E_INVALID, "EBS upload: bad digest");
	if (o->description && (strlen(o->description) > 255 || !*o->description))
		return unik_err_set(err, UNIK_E_INVALID, "EBS upload: bad description");
	return 0;
}

int ebs_upload(const struct ebs_upload_opts *o, struct ebs_result *out, struct unik_err *err)
{
	struct up u;
	char status[16] = "";
	int rc = -1, resumed;

	memset(out, 0, sizeof(*out));
	memset(&u, 0, sizeof(u));
	u.fd = -1;
	u.o = o;
	if (check_opts(o, err) < 0)
		return -1;
	if (ebs_target_init(&u.tgt, o->endpoint, o->region, o->creds,
			    o->request_timeout_s ? o->request_timeout_s : 120, err) < 0)
		return -1;
	if (getrandom(&u.rng, sizeof(u.rng), 0) != sizeof(u.rng) || !u.rng)
		u.rng = (uint64_t)time(NULL) * 2654435761u + (uint64_t)getpid() + 1;
	u.attempts = o->max_attempts ? o->max_attempts : EBS_DEFAULT_ATTEMPTS;
	u.base_ms = o->backoff_base_ms ? o->backoff_base_ms : 100;
	u.max_ms = o->backoff_max_ms ? o->backoff_max_ms : 20000;
	u.nslots = o->parallel ? o->parallel : EBS_DEFAULT_PARALLEL;
	if (o->state_dir)
		u.state_path = xasprintf("%s/%s", o->state_dir, EBS_STATE_FILE);
	ebs_report(&u, "scan");
	if (ebs_plan_disk(o->disk, &u.plan, err) < 0)
		goto out;
	u.prog.blocks_total = u.plan.nblocks;
	u.prog.blocks_skipped = u.plan.nzero;
	u.fd = open(o->disk, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	u.multi = curl_multi_init();
	u.easy1 = curl_easy_init();
	u.slots = xcalloc(u.nslots, sizeof(*u.slots));
	if (u.fd < 0 || !u.multi || !u.easy1) {
		unik_err_set(err, UNIK_E_INTERNAL, "EBS upload: cannot open %s or start libcurl",
			     o->disk);
		goto out;
	}
	curl_multi_setopt(u.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)u.nslots + 1);
	for (unsigned k = 0; k < u.nslots; k++) {
		u.slots[k].easy = curl_easy_init();
		u.slots[k].buf = xmalloc(EBS_BLOCK_SIZE);
		ebs_call_init(&u.slots[k].call);
		if (!u.slots[k].easy) {
			unik_err_set(err, UNIK_E_INTERNAL, "EBS upload: curl_easy_init failed");
			goto out;
		}
	}
	resumed = take_state(&u);
	if (!resumed)
		fresh_state(&u);
	rc = run(&u, resumed, status, err);
	if (rc == 1) {
		/* the snapshot of the earlier run is gone: once more, from scratch */
		unik_err_clear(err);
		resumed = 0;
		fresh_state(&u);
		rc = run(&u, 0, status, err);
	}
	if (rc != 0) {
		rc = -1;
		goto out;
	}
	if (u.state_path)
		unlink(u.state_path);
	memcpy(out->snapshot_id, u.st.snapshot_id, 65);
	snprintf(out->status, sizeof(out->status), "%s", status);
	out->volume_gib = u.plan.volume_gib;
	out->blocks_total = u.plan.nblocks;
	out->blocks_written = u.prog.blocks_written;
	out->blocks_skipped = u.plan.nzero;
	out->blocks_resumed = u.prog.blocks_resumed;
	out->bytes_sent = u.prog.bytes_sent;
	out->retries = u.prog.retries;
	out->resumed = u.prog.blocks_resumed > 0 || resumed;
	ebs_linear_checksum(&u.plan, u.st.acked, out->checksum);
	ebs_report(&u, "done");
out:
	for (unsigned k = 0; u.slots && k < u.nslots; k++) {
		if (u.slots[k].easy)
			curl_easy_cleanup(u.slots[k].easy);
		ebs_call_release(&u.slots[k].call);
		free(u.slots[k].buf);
	}
	free(u.slots);
	if (u.easy1)
		curl_easy_cleanup(u.easy1);
	if (u.multi)
		curl_multi_cleanup(u.multi);
	if (u.fd >= 0)
		close(u.fd);
	ebs_state_release(&u.st);
	ebs_plan_release(&u.plan);
	ebs_target_release(&u.tgt);
	free(u.state_path);
	return rc;
}
