/* h_events.c - GET /v1/events: the event stream (events.h). */
#include "events.h"
#include "handlers.h"
#include "http.h"

void h_events(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct events_query q = { 0 };
	const char *since = http_query(req, "since"), *until = http_query(req, "until");

	strv_init(&q.filters);
	http_query_all(req, "filter", &q.filters);
	if ((since && events_parse_time(since, "since", &q.since_ns, &err)) ||
	    (until && events_parse_time(until, "until", &q.until_ns, &err)) ||
	    events_check_filters(&q.filters, &err)) {
		http_reply_error(req, &err);
		strv_release(&q.filters);
		return;
	}
	q.has_since = since != NULL;
	if (until && q.until_ns == 0)
		q.until_ns = 1; /* the epoch itself: nothing */
	http_reply_stream(req, 200, "application/x-ndjson", events_stream_read, events_stream_ready,
			  events_stream_open(req->d, &q), events_stream_free);
	strv_release(&q.filters);
}
