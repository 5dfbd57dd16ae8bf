/* log_times.h - when each part of a console log was written.
 *
 * The VM's monitor writes the console straight into
 * <state>/instances/<id>/console.log; the daemon never sits in that path.
 * A stamper thread watches each running instance's log with inotify and,
 * whenever the file has grown, appends one record to console.times beside
 * it: the log's new size and the wall-clock time (16 bytes, little-endian
 * int64 end offset and nanoseconds since the epoch).  A byte's time is the
 * time of the first record that covers it, so lines get the time the
 * daemon saw them arrive (within the inotify latency); bytes written while
 * no daemon watched (before an adoption) get the log's mtime. */
#ifndef UNIKD_LOG_TIMES_H
#define UNIKD_LOG_TIMES_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

struct unikd;

int log_times_start(struct unikd *d, struct unik_err *err);
void log_times_stop(struct unikd *d);
/* Starts stamping the logs of instance `id` (nothing when it has no log
 * yet); again for a watched one is harmless.  Failures are logged. */
void log_times_watch(struct unikd *d, const char *id);
/* Paths of an instance's console.times and console.err.times, the
 * records of its standard output and standard error logs (caller frees). */
char *log_times_path(const struct unikd *d, const char *id);
char *log_times_err_path(const struct unikd *d, const char *id);

/* A reader of one console.times, for GET .../logs?timestamps&since&until. */
struct log_times_reader;
struct log_times_reader *log_times_open(const char *path);
/* The time (ns since the epoch) of the log byte at `off`: its record's, or
 * now when no record covers it yet. */
int64_t log_times_at(struct log_times_reader *r, int64_t off);
void log_times_close(struct log_times_reader *r);

#endif
