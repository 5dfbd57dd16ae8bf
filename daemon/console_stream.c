/* console_stream.c - both console logs of an instance as one stream
 * (console_stream.h).
 *
 * The two logs are separate files written by the monitor (its stdout and
 * stderr), so the order between them is the order in which the reader finds
 * new bytes: exact while following a live instance, except within one read;
 * a finished log gives each stream's chunks as the reads alternate. */
#include "console_stream.h"

#include <stdint.h>
#include <stdlib.h>

#include "../lib/xalloc.h"

struct console_stream {
	struct follow *f[2]; /* [0] standard output, [1] standard error; NULL: not read */
	int ended[2];
	int framed;
	int next; /* the log to try first: they alternate */
};

struct console_stream *console_stream_open(struct unikd *d, const char *out_path,
					   const char *err_path, int streams, int framed, long tail,
					   int follow, follow_done_fn done, const char *id)
{
	struct console_stream *cs;
	struct follow *out = NULL, *err = NULL;

	/* the first log exists for every instance: its absence is "no log" */
	out = follow_open(d, out_path, tail, follow, done, id);
	if (!out)
		return NULL;
	if (!(streams & CONSOLE_STREAM_OUT)) {
		follow_free(out);
		out = NULL;
	}
	if (streams & CONSOLE_STREAM_ERR)
		err = follow_open(d, err_path, tail, follow, done, id);
	cs = xcalloc(1, sizeof(*cs));
	cs->f[0] = out;
	cs->f[1] = err;
	cs->ended[0] = !out;
	cs->ended[1] = !err;
	cs->framed = framed;
	return cs;
}

void console_stream_set_lines(struct console_stream *cs, const struct follow_lines *out_fl,
			      const struct follow_lines *err_fl)
{
	if (cs->f[0])
		follow_set_lines(cs->f[0], out_fl);
	if (cs->f[1])
		follow_set_lines(cs->f[1], err_fl);
}

/* One chunk of log i into buf: its length (with the header when framed), 0
 * when none is there yet, -1 when the log ended. */
static ssize_t read_one(struct console_stream *cs, int i, char *buf, size_t max)
{
	size_t skip = cs->framed ? CONSOLE_MUX_HEADER : 0;
	ssize_t n;

	if (cs->ended[i])
		return -1;
	if (max <= skip)
		return 0;
	n = follow_read(cs->f[i], buf + skip, max - skip);
	if (n < 0) {
		cs->ended[i] = 1;
		return -1;
	}
	if (n > 0 && cs->framed) {
		uint32_t len = (uint32_t)n;

		buf[0] = (char)(i ? CONSOLE_STREAM_ERR : CONSOLE_STREAM_OUT);
		buf[1] = buf[2] = buf[3] = 0;
		buf[4] = (char)(len >> 24);
		buf[5] = (char)(len >> 16);
		buf[6] = (char)(len >> 8);
		buf[7] = (char)len;
		n += (ssize_t)skip;
	}
	return n;
}

ssize_t console_stream_read(void *ctx, char *buf, size_t max)
{
	struct console_stream *cs = ctx;

	for (int k = 0; k < 2; k++) {
		int i = (cs->next + k) % 2;
		ssize_t n = read_one(cs, i, buf, max);

		if (n > 0) {
			cs->next = (i + 1) % 2;
			return n;
		}
	}
	return cs->ended[0] && cs->ended[1] ? -1 : 0;
}

int console_stream_ready(void *ctx, int changed)
{
	struct console_stream *cs = ctx;
	int ready = 0;

	/* both are asked: each learns that the producer is done */
	for (int i = 0; i < 2; i++)
		if (!cs->ended[i] && follow_ready(cs->f[i], changed))
			ready = 1;
	return ready;
}

void console_stream_free(void *ctx)
{
	struct console_stream *cs = ctx;

	if (!cs)
		return;
	follow_free(cs->f[0]);
	follow_free(cs->f[1]);
	free(cs);
}
