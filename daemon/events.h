/* events.h - the daemon's event stream: what happened to instances, images
 * and volumes, kept in a bounded ring in memory (the newest EVENTS_RING
 * events; nothing on disk) and served by GET /v1/events as
 * newline-delimited JSON, like Docker's /events.
 *
 * Each event is one line:
 *   {"time": S, "time_nano": NS, "type": "instance", "action": "die",
 *    "id": "...", "name": "...", "attributes": {...}}
 * Types and actions: instance create/start/die/stop/kill/destroy/restart/
 * summon/idle-stop,
 * image build/pull/push/load/delete/tag, volume create/mount/unmount/destroy.
 * events_emit may be called from any thread, with or without d->lock held
 * (the ring has its own lock); streams waiting for more are polled by the
 * HTTP layer, so no notification is needed. */
#ifndef UNIKD_EVENTS_H
#define UNIKD_EVENTS_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"
#include "../lib/strv.h"

struct unikd;

#define EVENTS_RING 4096

/* Records one event.  `id`, `name` may be NULL (recorded as ""); `attrs` is
 * an object of string values (stolen; NULL for none). */
void events_emit(const char *type, const char *action, const char *id, const char *name,
		 json_t *attrs);

/* What a client asked for: the time window (nanoseconds since the epoch;
 * 0: unbounded) and the filters ("key=value": type, event (the action),
 * id (a prefix), name; the same key given twice: either value, different
 * keys: all of them). */
struct events_query {
	int64_t since_ns, until_ns;
	int has_since;
	struct strv filters;
};

struct unik_instance;
/* An instance's event: its id and name, with attributes image (its name),
 * image_id and provider besides `attrs` (stolen; may be NULL). */
void events_instance(const struct unik_instance *in, const char *action, json_t *attrs);

/* Parses a time as the API takes it: Unix seconds ("1700000000",
 * "1700000000.5"), RFC 3339 UTC ("2026-12-01T18:00:00Z") or a duration
 * before now ("30s", "10m", "2h").  0, or -1 with err (INVALID). */
int events_parse_time(const char *s, const char *what, int64_t *out_ns, struct unik_err *err);
/* Checks the filters.  0, or -1 with err (INVALID). */
int events_check_filters(const struct strv *filters, struct unik_err *err);

/* A reader of the ring for one stream (http_stream_read/ready/fini).
 * Without since it starts with the next event (with until but no since:
 * the oldest kept); it ends after `until`, or when the daemon stops. */
void *events_stream_open(struct unikd *d, const struct events_query *q);
ssize_t events_stream_read(void *ctx, char *buf, size_t max);
int events_stream_ready(void *ctx, int changed);
void events_stream_free(void *ctx);

/* The current time in nanoseconds since the epoch. */
int64_t events_now_ns(void);

#endif
