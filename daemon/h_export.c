/* h_export.c - GET /v1/images/{ref}/export?format=raw|raw-gpt|vmdk|vdi|ova: the
 * image's staged disk (stagings.h), staged first when it is not cached,
 * streamed as application/octet-stream. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/xalloc.h"
#include "daemon.h"
#include "handlers.h"
#include "http.h"
#include "stagings.h"
#include "store.h"

void h_images_export(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	const char *format = http_query(req, "format");
	struct unik_image im;
	char *id = NULL, *path = NULL;
	int fd;

	unik_image_init(&im);
	if (!format || !*format) {
		unik_err_set(&err, UNIK_E_INVALID,
			     "say which disk format: format=raw|raw-gpt|vmdk|vdi|ova");
		goto fail;
	}
	if (store_image_resolve(req->d->store, req->params[0], &id, &err) ||
	    store_image_get(req->d->store, id, &im, &err) ||
	    stagings_get(req->d, &im, format, &path, &err))
		goto fail;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		unik_err_set(&err, UNIK_E_INTERNAL, "opening %s: %s", path, strerror(errno));
		goto fail;
	}
	http_reply_fd(req, 200, "application/octet-stream", fd);
	goto cleanup;
fail:
	http_reply_error(req, &err);
cleanup:
	unik_image_release(&im);
	free(id);
	free(path);
}
