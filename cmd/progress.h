/* progress.h - byte progress of a job's transfers (the "progress" events
 * of push and pull jobs, docs/oci.md): on a terminal a bar per blob,
 * redrawn in place; otherwise a plain line per blob at each tenth and at
 * its end. */
#ifndef UNIK_CMD_PROGRESS_H
#define UNIK_CMD_PROGRESS_H

#include <stdio.h>

struct progress {
	FILE *out;
	int tty;
	char id[80]; /* the blob whose bar is the last line (tty), or "" */
	int shown; /* plain: the last tenth printed of `id`, -1 none */
};

void progress_init(struct progress *p, FILE *out, int tty);
/* One event: `done` of `total` bytes of blob `id`. */
void progress_update(struct progress *p, const char *id, long long done, long long total);
/* Before any other line: ends a bar being drawn. */
void progress_break(struct progress *p);
/* "1.5 MiB" of n bytes into buf. */
void progress_bytes(char *buf, size_t size, long long n);

#endif
