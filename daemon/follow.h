/* follow.h - streams a growing file (console log, job events) to a client,
 * optionally following it until its producer is done, like `tail -f`.
 * Never blocks: the reader runs on the HTTP polling thread. */
#ifndef UNIKD_FOLLOW_H
#define UNIKD_FOLLOW_H

#include <stdint.h>
#include <sys/types.h>

struct unikd;

/* 1 when the producer has finished (no more bytes will come). */
typedef int (*follow_done_fn)(struct unikd *d, const char *id);

struct follow;

/* Opens `path` at the start of its last `tail` lines (tail < 0: whole file).
 * Returns NULL if the file cannot be opened. */
struct follow *follow_open(struct unikd *d, const char *path, long tail, int follow,
			   follow_done_fn done, const char *id);
/* Line by line instead of byte by byte (GET .../logs?timestamps, since,
 * until): each line's time comes from `times_path` (log_times.h); lines
 * before since_ns are skipped, the stream ends at the first line after
 * until_ns, and with `timestamps` each line starts with its time in RFC
 * 3339 with nanoseconds ("2026-12-01T21:30:00.123456789Z ").  A last line
 * without its newline is held until the newline comes or the producer is
 * done. */
struct follow_lines {
	int timestamps;
	int has_since, has_until;
	int64_t since_ns, until_ns;
	const char *times_path; /* borrowed */
};
void follow_set_lines(struct follow *f, const struct follow_lines *fl);
/* http_stream_read: the next bytes, 0 when there are none yet (the HTTP
 * layer then parks the stream), -1 at the end (not following, or the
 * producer is done and everything was read, or the daemon stops). */
ssize_t follow_read(void *ctx, char *buf, size_t max);
/* http_stream_ready: 1 when the file grew, or (asked when `changed`, and
 * once at first) the producer is done. */
int follow_ready(void *ctx, int changed);
void follow_free(void *ctx);

#endif
