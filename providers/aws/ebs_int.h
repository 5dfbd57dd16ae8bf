/* ebs_int.h - what providers/aws/ebs_upload.c (the blocks) and
 * ebs_complete.c (start, completion, the whole flow) share.  Internal. */
#ifndef UNIK_AWS_EBS_INT_H
#define UNIK_AWS_EBS_INT_H

#include <curl/curl.h>

#include "providers/aws/ebs.h"
#include "providers/aws/ebs_http.h"

enum { SLOT_FREE, SLOT_RUNNING, SLOT_WAITING };

struct slot {
	CURL *easy;
	struct ebs_call call;
	unsigned char *buf;
	char sum[48];
	char path[128];
	uint64_t block;
	unsigned attempt;
	int state;
	uint64_t wake_ms;
};

struct up {
	const struct ebs_upload_opts *o;
	struct ebs_target tgt;
	struct ebs_plan plan;
	struct ebs_state st;
	char *state_path;
	int fd;
	CURLM *multi;
	CURL *easy1; /* the one-at-a-time calls */
	struct slot *slots;
	unsigned nslots;
	uint64_t next;
	struct ebs_progress prog;
	uint64_t last_sync_ms; /* the state file was last fsync()ed */
	uint64_t started_ms; /* StartSnapshot made the snapshot (this run); 0: an older one */
	int dirty;
	uint64_t rng;
	unsigned attempts, base_ms, max_ms;
};

/* How long a snapshot this run started may be unknown to EBS (a 404)
 * before it is taken as gone: coldsnap needed two minutes. */
#define EBS_NOTFOUND_GRACE_MS 150000u

uint64_t ebs_now_ms(void);
/* 1 when a 404 now is the snapshot not known yet, not gone. */
int ebs_young(const struct up *u);
uint64_t ebs_rnd(struct up *u);
void ebs_sleep_ms(unsigned ms);
void ebs_report(struct up *u, const char *phase);
int ebs_save_state(struct up *u, struct unik_err *err);
/* One call on u->easy1, tried again while the answers say so (up to
 * u->attempts); a retry verdict that runs out becomes EBS_FATAL. */
enum ebs_verdict ebs_call_once(struct up *u, struct ebs_call *c, struct unik_err *err);
/* Sends every non-zero block not yet acknowledged. */
enum ebs_verdict ebs_upload_blocks(struct up *u, struct unik_err *err);
void ebs_new_token(struct up *u);

#endif
