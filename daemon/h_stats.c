/* h_stats.c - GET /v1/instances/{ref}/stats (instance_stats.h). */
#include <stdlib.h>

#include "daemon.h"
#include "handlers.h"
#include "http.h"
#include "instance_stats.h"
#include "store.h"

#define STATS_MAX_INTERVAL_MS 10000

void h_instances_stats(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	long long interval;
	json_t *stats = NULL;
	char *id = NULL;

	if (http_query_int(req, "interval_ms", 500, &interval, &err))
		goto fail;
	if (interval < 0 || interval > STATS_MAX_INTERVAL_MS) {
		unik_err_set(&err, UNIK_E_INVALID, "interval_ms must be 0..%d, not %lld",
			     STATS_MAX_INTERVAL_MS, interval);
		goto fail;
	}
	if (store_instance_resolve(req->d->store, req->params[0], &id, &err) ||
	    instance_stats(req->d, id, (int)interval, &stats, &err))
		goto fail;
	http_reply_json(req, 200, stats);
	free(id);
	return;
fail:
	http_reply_error(req, &err);
	free(id);
}
