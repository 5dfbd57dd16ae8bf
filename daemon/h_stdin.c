/* h_stdin.c - POST /v1/instances/{ref}/stdin: bytes for the program's
 * standard input (an instance created with "stdin": true, unik run -i).
 *
 * The body (up to 1 MiB, any bytes) goes into the instance's console input
 * pipe (stdin_pipes.h); the answer says how much of it was taken, which is
 * less than all when the program does not read fast enough (the client
 * sends the rest again).  ?close=1 ends the input after the body (Ctrl-D,
 * the end of a piped file): the program reads end of file. */
#include <stdlib.h>

#include "../lib/xalloc.h"
#include "daemon.h"
#include "handlers.h"
#include "http.h"
#include "stdin_pipes.h"
#include "store.h"

/* How long one request may wait for the program to make room. */
#define STDIN_WAIT_MS 500

void h_instances_stdin(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in;
	int close_after = http_query_flag(req, "close");
	char *id = NULL;
	ssize_t n = 0;

	unik_instance_init(&in);
	if (store_instance_resolve(req->d->store, req->params[0], &id, &err) ||
	    store_instance_get(req->d->store, id, &in, &err))
		goto fail;
	if (!in.open_stdin) {
		unik_err_set(&err, UNIK_E_CONFLICT,
			     "instance %s was not created with an open standard input (unik run "
			     "-i, \"stdin\": true)",
			     in.name);
		goto fail;
	}
	if (in.state != UNIK_STATE_RUNNING && in.state != UNIK_STATE_STARTING) {
		unik_err_set(&err, UNIK_E_CONFLICT, "instance %s is not running", in.name);
		goto fail;
	}
	if (req->body.len) {
		n = stdin_pipe_write(id, in.name, req->body.buf, req->body.len, STDIN_WAIT_MS,
				     &err);
		if (n < 0)
			goto fail;
	} else if (!stdin_pipe_is_open(id)) {
		unik_err_set(&err, UNIK_E_CONFLICT, "instance %s has no open standard input",
			     in.name);
		goto fail;
	}
	close_after = close_after && (size_t)n == req->body.len;
	if (close_after)
		stdin_pipe_close(id);
	http_reply_json(req, 200,
			json_pack("{sIsb}", "written", (json_int_t)n, "closed", close_after));
	goto out;
fail:
	http_reply_error(req, &err);
out:
	unik_instance_release(&in);
	free(id);
}
