/* events.c - the ring of events and its readers (events.h). */
#include "events.h"

#include <errno.h>
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../api/types.h"
#include "../lib/xalloc.h"
#include "daemon.h"

struct event {
	uint64_t seq; /* 1, 2, ...: 0 is an empty slot */
	int64_t time_ns;
	char *type, *action, *id, *name;
	char *line; /* the JSON, with its '\n' */
};

/* One ring per daemon process: events are the process's own. */
static struct {
	pthread_mutex_t lock;
	struct event slot[EVENTS_RING];
	uint64_t next_seq; /* of the next event recorded */
} ring = { PTHREAD_MUTEX_INITIALIZER, { { 0 } }, 1 };

int64_t events_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void event_clear(struct event *e)
{
	free(e->type);
	free(e->action);
	free(e->id);
	free(e->name);
	free(e->line);
	memset(e, 0, sizeof(*e));
}

void events_emit(const char *type, const char *action, const char *id, const char *name,
		 json_t *attrs)
{
	int64_t now = events_now_ns();
	json_t *j;
	char *text;
	struct event *e;

	if (!attrs)
		attrs = json_object();
	j = json_pack("{sIsIsssssssssO}", "time", (json_int_t)(now / 1000000000), "time_nano",
		      (json_int_t)now, "type", type, "action", action, "id", id ? id : "", "name",
		      name ? name : "", "attributes", attrs);
	json_decref(attrs);
	if (!j)
		return; /* a string that is not UTF-8: nothing sensible to send */
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		return;
	pthread_mutex_lock(&ring.lock);
	e = &ring.slot[ring.next_seq % EVENTS_RING];
	event_clear(e);
	e->seq = ring.next_seq++;
	e->time_ns = now;
	e->type = xstrdup(type);
	e->action = xstrdup(action);
	e->id = xstrdup(id ? id : "");
	e->name = xstrdup(name ? name : "");
	e->line = xasprintf("%s\n", text);
	pthread_mutex_unlock(&ring.lock);
	free(text);
}

void events_instance(const struct unik_instance *in, const char *action, json_t *attrs)
{
	if (!attrs)
		attrs = json_object();
	json_object_set_new(attrs, "image", json_string(in->image_name ? in->image_name : ""));
	json_object_set_new(attrs, "image_id", json_string(in->image ? in->image : ""));
	json_object_set_new(attrs, "provider", json_string(in->provider ? in->provider : ""));
	events_emit("instance", action, in->id, in->name, attrs);
}

/* RFC 3339 UTC with an optional fraction ("2026-12-01T21:30:00.123456789Z",
 * as `unik logs -t` prints): 0, or -1 when s is not one. */
static int parse_rfc3339_frac(const char *s, int64_t *out_ns)
{
	struct tm tm;
	const char *p;
	int64_t frac = 0, scale = 1000000000;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]))
			return -1;
		for (p++; isdigit((unsigned char)*p); p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	}
	if (p[0] != 'Z' || p[1])
		return -1;
	*out_ns = (int64_t)timegm(&tm) * 1000000000 + frac;
	return 0;
}

int events_parse_time(const char *s, const char *what, int64_t *out_ns, struct unik_err *err)
{
	int64_t t;
	char *end;
	double v;

	if (!s || !*s)
		return unik_err_set(err, UNIK_E_INVALID, "%s: an empty time", what);
	if (unik_time_parse(s, &t) == 0) {
		*out_ns = t * 1000000000;
		return 0;
	}
	if (parse_rfc3339_frac(s, out_ns) == 0)
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 1e11 || s[0] == '-' || s[0] == '+' ||
	    (*end && end[1]))
		goto bad;
	switch (*end) {
	case '\0': *out_ns = (int64_t)(v * 1e9); return 0;
	case 's': break;
	case 'm': v *= 60; break;
	case 'h': v *= 3600; break;
	default: goto bad;
	}
	*out_ns = events_now_ns() - (int64_t)(v * 1e9);
	return 0;
bad:
	return unik_err_set(err, UNIK_E_INVALID,
			    "%s: '%s' is not a time (Unix seconds, RFC 3339 such as "
			    "2026-12-01T18:00:00Z, or a duration before now such as 10m)",
			    what, s);
}

static const char *const filter_keys[] = { "type", "event", "id", "name", NULL };

int events_check_filters(const struct strv *filters, struct unik_err *err)
{
	for (size_t i = 0; i < filters->n; i++) {
		const char *f = filters->v[i], *eq = strchr(f, '=');
		int known = 0;

		for (size_t k = 0; eq && filter_keys[k]; k++)
			known |= strlen(filter_keys[k]) == (size_t)(eq - f) &&
				 !strncmp(f, filter_keys[k], (size_t)(eq - f));
		if (!known)
			return unik_err_set(err, UNIK_E_INVALID,
					    "filter '%s': expected KEY=VALUE with KEY one of "
					    "type, event, id, name",
					    f);
	}
	return 0;
}

/* The event's value for a filter key. */
static const char *field(const struct event *e, const char *key, size_t klen)
{
	if (klen == 4 && !strncmp(key, "type", 4))
		return e->type;
	if (klen == 5 && !strncmp(key, "event", 5))
		return e->action;
	if (klen == 2 && !strncmp(key, "id", 2))
		return e->id;
	return e->name;
}

/* 1 if e passes every key of the filters (any of one key's values). */
static int matches(const struct event *e, const struct strv *filters)
{
	for (size_t k = 0; filter_keys[k]; k++) {
		size_t klen = strlen(filter_keys[k]);
		int given = 0, hit = 0;

		for (size_t i = 0; i < filters->n; i++) {
			const char *f = filters->v[i];
			const char *v = f + klen + 1, *have;

			if (strncmp(f, filter_keys[k], klen) || f[klen] != '=')
				continue;
			given = 1;
			have = field(e, f, klen);
			if (klen == 2 ? *v && !strncmp(have, v, strlen(v)) : !strcmp(have, v))
				hit = 1;
		}
		if (given && !hit)
			return 0;
	}
	return 1;
}

struct events_stream {
	struct unikd *d;
	uint64_t next; /* the next seq to look at */
	int64_t since_ns, until_ns;
	struct strv filters;
	char *pending; /* a line not yet all sent */
	size_t off;
};

void *events_stream_open(struct unikd *d, const struct events_query *q)
{
	struct events_stream *s = xcalloc(1, sizeof(*s));

	s->d = d;
	s->since_ns = q->since_ns;
	s->until_ns = q->until_ns;
	strv_init(&s->filters);
	strv_copy(&s->filters, &q->filters);
	pthread_mutex_lock(&ring.lock);
	if (q->has_since || q->until_ns)
		s->next = ring.next_seq > EVENTS_RING ? ring.next_seq - EVENTS_RING : 1;
	else
		s->next = ring.next_seq;
	pthread_mutex_unlock(&ring.lock);
	return s;
}

/* Takes the next matching event's line into s->pending (ring.lock held).
 * 1 if there was one, 0 if none yet, -1 if none will come (past until). */
static int take_locked(struct events_stream *s)
{
	uint64_t oldest = ring.next_seq > EVENTS_RING ? ring.next_seq - EVENTS_RING : 1;

	if (s->next < oldest)
		s->next = oldest; /* a slow reader: those were overwritten */
	for (; s->next < ring.next_seq; s->next++) {
		const struct event *e = &ring.slot[s->next % EVENTS_RING];

		if (s->until_ns && e->time_ns > s->until_ns)
			return -1;
		if (e->time_ns < s->since_ns || !matches(e, &s->filters))
			continue;
		s->pending = xstrdup(e->line);
		s->off = 0;
		s->next++;
		return 1;
	}
	return s->until_ns && events_now_ns() > s->until_ns ? -1 : 0;
}

static int shutting_down(const struct unikd *d)
{
	return __atomic_load_n(&d->shutting_down, __ATOMIC_RELAXED);
}

ssize_t events_stream_read(void *ctx, char *buf, size_t max)
{
	struct events_stream *s = ctx;
	size_t n = 0;
	int end = 0;

	while (n < max && !end) {
		if (!s->pending) {
			int r;

			pthread_mutex_lock(&ring.lock);
			r = take_locked(s);
			pthread_mutex_unlock(&ring.lock);
			if (r <= 0) {
				end = r < 0;
				break;
			}
		}
		size_t len = strlen(s->pending + s->off);
		size_t k = len < max - n ? len : max - n;

		memcpy(buf + n, s->pending + s->off, k);
		n += k;
		s->off += k;
		if (!s->pending[s->off]) {
			free(s->pending);
			s->pending = NULL;
		}
	}
	if (n)
		return (ssize_t)n;
	return end || shutting_down(s->d) ? -1 : 0;
}

int events_stream_ready(void *ctx, int changed)
{
	struct events_stream *s = ctx;
	int more;

	(void)changed;
	if (s->pending || shutting_down(s->d))
		return 1;
	pthread_mutex_lock(&ring.lock);
	more = s->next < ring.next_seq;
	pthread_mutex_unlock(&ring.lock);
	return more || (s->until_ns && events_now_ns() > s->until_ns);
}

void events_stream_free(void *ctx)
{
	struct events_stream *s = ctx;

	if (!s)
		return;
	strv_release(&s->filters);
	free(s->pending);
	free(s);
}
