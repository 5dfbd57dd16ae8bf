/* console_stream.h - an instance's two console logs (standard output and
 * standard error) as one HTTP stream: one of them, or both, either raw or in
 * Docker's multiplexed framing (each chunk behind an 8-byte header naming
 * its stream), for GET /v1/instances/{ref}/logs. */
#ifndef UNIKD_CONSOLE_STREAM_H
#define UNIKD_CONSOLE_STREAM_H

#include <sys/types.h>

#include "follow.h"

#define CONSOLE_STREAM_OUT 1 /* the stream bytes of the framing, as Docker's */
#define CONSOLE_STREAM_ERR 2
#define CONSOLE_MUX_HEADER 8
#define CONSOLE_MUX_TYPE "application/vnd.docker.multiplexed-stream"

struct console_stream;

/* Opens the logs chosen by `streams` (CONSOLE_STREAM_OUT | _ERR), each at
 * its last `tail` lines (follow_open).  A missing standard error log (an
 * instance created before there were two) reads as empty.  NULL when the
 * standard output log cannot be opened. */
struct console_stream *console_stream_open(struct unikd *d, const char *out_path,
					   const char *err_path, int streams, int framed, long tail,
					   int follow, follow_done_fn done, const char *id);
/* Line mode for both logs (follow_set_lines): out_fl for standard output,
 * err_fl for standard error (each with its own times file). */
void console_stream_set_lines(struct console_stream *cs, const struct follow_lines *out_fl,
			      const struct follow_lines *err_fl);
/* The http_stream functions (as follow_read, follow_ready, follow_free). */
ssize_t console_stream_read(void *ctx, char *buf, size_t max);
int console_stream_ready(void *ctx, int changed);
void console_stream_free(void *ctx);

#endif
