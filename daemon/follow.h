/* follow.h - streams a growing file (console log, job events) to a client,
 * optionally following it until its producer is done, like `tail -f`.
 * Never blocks: the reader runs on the HTTP polling thread. */
#ifndef UNIKD_FOLLOW_H
#define UNIKD_FOLLOW_H

#include <sys/types.h>

struct unikd;

/* 1 when the producer has finished (no more bytes will come). */
typedef int (*follow_done_fn)(struct unikd *d, const char *id);

struct follow;

/* Opens `path` at the start of its last `tail` lines (tail < 0: whole file).
 * Returns NULL if the file cannot be opened. */
struct follow *follow_open(struct unikd *d, const char *path, long tail, int follow,
			   follow_done_fn done, const char *id);
/* http_stream_read: the next bytes, 0 when there are none yet (the HTTP
 * layer then parks the stream), -1 at the end (not following, or the
 * producer is done and everything was read, or the daemon stops). */
ssize_t follow_read(void *ctx, char *buf, size_t max);
/* http_stream_ready: 1 when the file grew, or (asked when `changed`, and
 * once at first) the producer is done. */
int follow_ready(void *ctx, int changed);
void follow_free(void *ctx);

#endif
