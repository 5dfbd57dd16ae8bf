/* follow.h - streams a growing file (console log, job events) to a client,
 * optionally following it until its producer is done, like `tail -f`. */
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
/* http_stream_read-compatible reader and finaliser. */
ssize_t follow_read(void *ctx, char *buf, size_t max);
void follow_free(void *ctx);

#endif
