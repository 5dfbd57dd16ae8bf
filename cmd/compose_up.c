/* compose_up.c - compose up and down: the project's volumes, images and
 * instances made, kept or removed through the REST API alone.
 *
 * up is idempotent: each instance carries a hash of the request it was
 * made from (COMPOSE_LABEL_HASH, the image id included, so a rebuild that
 * changed the image counts); an instance with the same hash is kept (and
 * started if it had exited), one with another hash is replaced. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "../api/labels.h"
#include "../lib/xalloc.h"
#include "compose.h"

static void path_ref(struct strbuf *path, const char *kind, const char *ref, const char *suffix)
{
	strbuf_reset(path);
	cmd_ref_path(path, kind, ref, suffix);
}

/* ---- volumes --------------------------------------------------------- */

static int ensure_volume(struct cmd_ctx *ctx, const struct compose_volume *v)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	char num[32];
	int rc;

	path_ref(&path, "volumes", v->name, NULL);
	rc = client_json(ctx->client, "GET", strbuf_str(&path), NULL, NULL, &err);
	if (!rc) {
		fprintf(stderr, "Volume %s: exists\n", v->name);
		strbuf_release(&path);
		return 0;
	}
	if (err.code != UNIK_E_NOT_FOUND) {
		cmd_error(&err);
		strbuf_release(&path);
		return -1;
	}
	strbuf_reset(&path);
	strbuf_adds(&path, "/v1/volumes");
	client_query(&path, "name", v->name);
	snprintf(num, sizeof(num), "%lld", v->size);
	client_query(&path, "size", num);
	if (v->type)
		client_query(&path, "type", v->type);
	unik_err_clear(&err);
	rc = client_json(ctx->client, "POST", strbuf_str(&path), NULL, NULL, &err);
	if (rc)
		cmd_error(&err);
	else
		fprintf(stderr, "Volume %s: created\n", v->name);
	strbuf_release(&path);
	return rc;
}

/* ---- images ---------------------------------------------------------- */

/* The image id of service `s`: built (the daemon's build cache makes an
 * unchanged folder quick), or looked up.  NEW, or NULL (printed). */
static char *service_image(struct cmd_ctx *ctx, const struct compose_project *p,
			   const struct compose_service *s)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	struct unik_image im;
	char *id = NULL, *name, sid[16];
	json_t *j = NULL;

	if (s->build) {
		struct cmd_build_req br = { 0 };
		int cached = 0;

		name = s->image ? xstrdup(s->image) : xasprintf("%s-%s", p->name, s->name);
		br.dir = s->build;
		br.name = name;
		if (cmd_build_dir(ctx, &br, &id, &cached)) {
			fprintf(stderr, "unik: service %s: the build of %s failed\n", s->name,
				s->build);
			free(name);
			free(id);
			return NULL;
		}
		fprintf(stderr, "Image %s: %s %s\n", name, cached ? "unchanged" : "built",
			cmd_short_id(id, sid));
		free(name);
		return id;
	}
	unik_image_init(&im);
	path_ref(&path, "images", s->image, NULL);
	if (client_json(ctx->client, "GET", strbuf_str(&path), NULL, &j, &err) ||
	    unik_image_from_json(j, &im, &err)) {
		unik_err_prefix(&err, "service %s: image %s", s->name, s->image);
		cmd_error(&err);
	} else {
		id = xstrdup(im.id);
	}
	unik_image_release(&im);
	json_decref(j);
	strbuf_release(&path);
	return id;
}

/* ---- instances ------------------------------------------------------- */

/* FNV-1a 64 of the request, keys sorted, in hex. */
static void request_hash(const struct unik_run_request *rq, char out[17])
{
	json_t *j = unik_run_request_to_json(rq);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	uint64_t h = 1469598103934665603ULL;

	for (const char *c = s ? s : ""; *c; c++) {
		h ^= (unsigned char)*c;
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
	free(s);
	json_decref(j);
}

static void make_request(const struct compose_project *p, const struct compose_service *s,
			 const char *image, struct unik_run_request *rq)
{
	struct unik_err err = UNIK_ERR_INIT;
	char *l, hash[17];

	rq->image = xstrdup(image);
	rq->name = compose_instance_name(p, s);
	rq->provider = xstrdup(s->provider);
	rq->memory_mb = s->memory_mb;
	rq->restart = xstrdup(s->restart);
	strv_copy(&rq->args, &s->command);
	strv_copy(&rq->env, &s->env);
	strv_copy(&rq->ports, &s->ports);
	strv_copy(&rq->volumes, &s->volumes);
	l = xasprintf("%s=%s", COMPOSE_LABEL_PROJECT, p->name);
	unik_label_add(&rq->labels, l, &err);
	free(l);
	l = xasprintf("%s=%s", COMPOSE_LABEL_SERVICE, s->name);
	unik_label_add(&rq->labels, l, &err);
	free(l);
	unik_label_add(&rq->labels, COMPOSE_LABEL_NUMBER "=1", &err);
	request_hash(rq, hash);
	l = xasprintf("%s=%s", COMPOSE_LABEL_HASH, hash);
	unik_label_add(&rq->labels, l, &err);
	free(l);
}

/* Stops (gracefully, waiting for it) and removes instance `ref`. */
static int remove_instance(struct cmd_ctx *ctx, const char *ref, int active)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	int rc = 0;

	if (active) {
		path_ref(&path, "instances", ref, "/stop");
		if (client_json(ctx->client, "POST", strbuf_str(&path), NULL, NULL, &err) &&
		    err.code != UNIK_E_CONFLICT)
			rc = -1;
		path_ref(&path, "instances", ref, "/wait");
		if (!rc && client_json(ctx->client, "POST", strbuf_str(&path), NULL, NULL, &err))
			rc = -1;
	}
	path_ref(&path, "instances", ref, "?force=1");
	unik_err_clear(&err);
	if (!rc && client_json(ctx->client, "DELETE", strbuf_str(&path), NULL, NULL, &err) &&
	    err.code != UNIK_E_NOT_FOUND)
		rc = -1;
	if (rc)
		cmd_error(&err);
	strbuf_release(&path);
	return rc;
}

static int create_instance(struct cmd_ctx *ctx, const struct unik_run_request *rq, const char *what)
{
	struct unik_err err = UNIK_ERR_INIT;
	json_t *body = unik_run_request_to_json(rq);
	int rc = client_json(ctx->client, "POST", "/v1/instances", body, NULL, &err);

	json_decref(body);
	if (rc)
		cmd_error(&err);
	else
		fprintf(stderr, "Instance %s: %s\n", rq->name, what);
	return rc;
}

/* Makes instance rq->name match `rq`: kept, started, or replaced. */
static int ensure_instance(struct cmd_ctx *ctx, const struct unik_run_request *rq)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	struct unik_instance in;
	json_t *j = NULL;
	const char *have, *want;
	int rc;

	unik_instance_init(&in);
	path_ref(&path, "instances", rq->name, NULL);
	rc = client_json(ctx->client, "GET", strbuf_str(&path), NULL, &j, &err);
	if (rc && err.code == UNIK_E_NOT_FOUND) {
		rc = create_instance(ctx, rq, "started");
		goto out;
	}
	if (rc || unik_instance_from_json(j, &in, &err)) {
		cmd_error(&err);
		rc = -1;
		goto out;
	}
	have = compose_label(&in.labels, COMPOSE_LABEL_HASH);
	want = compose_label(&rq->labels, COMPOSE_LABEL_HASH);
	if (have && !strcmp(have, want)) {
		if (unik_state_active(in.state)) {
			fprintf(stderr, "Instance %s: running, up to date\n", rq->name);
		} else {
			path_ref(&path, "instances", in.id, "/start");
			rc = client_json(ctx->client, "POST", strbuf_str(&path), NULL, NULL, &err);
			if (rc)
				cmd_error(&err);
			else
				fprintf(stderr, "Instance %s: started again\n", rq->name);
		}
		goto out;
	}
	if (!compose_label(&in.labels, COMPOSE_LABEL_PROJECT)) {
		fprintf(stderr,
			"unik: an instance named %s exists and is not the project's: remove it "
			"or name the project otherwise (-p)\n",
			rq->name);
		rc = -1;
		goto out;
	}
	rc = remove_instance(ctx, in.id, unik_state_active(in.state));
	if (!rc)
		rc = create_instance(ctx, rq, "recreated");
out:
	unik_instance_release(&in);
	json_decref(j);
	strbuf_release(&path);
	return rc;
}

/* ---- up -------------------------------------------------------------- */

struct up_opts {
	int detach;
};

static const struct opt up_options[] = {
	OPT_BOOL('d', "detach", NULL, struct up_opts, detach,
		 "start them in the background (default: follow their logs)"),
	OPT_END(),
};

static int up_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct up_opts *o = opts;
	struct compose_project p;
	struct strv names = STRV_INIT;
	struct timeval tv;
	char since[48];
	int status = 0;

	if (compose_open(&p))
		return 1;
	/* attached, the logs from now on: what the instances print once up
	 * starts them (the daemon's clock is taken to be this one's) */
	gettimeofday(&tv, NULL);
	snprintf(since, sizeof(since), "%lld.%03d", (long long)tv.tv_sec, (int)(tv.tv_usec / 1000));
	for (size_t i = 0; i < p.n_volumes && !status; i++)
		if (ensure_volume(ctx, &p.volumes[i]))
			status = 1;
	for (size_t i = 0; i < p.n_services && !status; i++) {
		const struct compose_service *s = &p.services[i];
		struct unik_run_request rq;
		char *image = service_image(ctx, &p, s);

		if (!image) {
			status = 1;
			break;
		}
		unik_run_request_init(&rq);
		make_request(&p, s, image, &rq);
		if (ensure_instance(ctx, &rq))
			status = 1;
		else
			strv_push(&names, rq.name);
		unik_run_request_release(&rq);
		free(image);
	}
	if (!status && !o->detach)
		status = compose_follow(ctx, names.v, names.v, names.n, 1, 1, since);
	strv_release(&names);
	compose_release(&p);
	return status;
}

const struct cmd cmd_compose_up = {
	.name = "compose up",
	.fn = up_main,
	.opts = up_options,
	.opts_size = sizeof(struct up_opts),
	.max_args = 0,
	.usage = "compose up [-d]",
	.summary = "Create the volumes, build the images, start the instances",
	.help = "In depends_on order.  A service's build folder is built as 'unik build' does\n"
		"(an unchanged one comes from the daemon's build cache) into the image named by\n"
		"its image: key, else PROJECT-SERVICE.  An instance already made from the same\n"
		"settings and image is kept (started again if it had exited); one made otherwise\n"
		"is replaced.  Without -d the services' logs follow until they all exit; Ctrl-C\n"
		"stops them, a second one detaches.\n",
};

/* ---- down ------------------------------------------------------------ */

struct down_opts {
	int volumes;
};

static const struct opt down_options[] = {
	OPT_BOOL('v', "volumes", NULL, struct down_opts, volumes,
		 "remove the named volumes of the file too"),
	OPT_END(),
};

static int down_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct down_opts *o = opts;
	struct compose_project p;
	json_t *arr = NULL, *j;
	int status = 0;
	size_t i;

	if (compose_open(&p))
		return 1;
	if (compose_list(ctx, p.name, &arr)) {
		json_decref(arr);
		compose_release(&p);
		return 1;
	}
	/* the reverse of the start order, then any the file no longer names */
	for (size_t pass = 0; pass <= p.n_services; pass++) {
		const struct compose_service *s =
		    pass < p.n_services ? &p.services[p.n_services - 1 - pass] : NULL;

		json_array_foreach (arr, i, j) {
			struct unik_instance in;
			struct unik_err err = UNIK_ERR_INIT;
			const char *svc;

			unik_instance_init(&in);
			if (unik_instance_from_json(j, &in, &err)) {
				cmd_error(&err);
				status = 1;
				unik_instance_release(&in);
				continue;
			}
			svc = compose_label(&in.labels, COMPOSE_LABEL_SERVICE);
			if (s ? (svc && !strcmp(svc, s->name))
			      : !(svc && compose_service(&p, svc))) {
				if (remove_instance(ctx, in.id, unik_state_active(in.state)))
					status = 1;
				else
					fprintf(stderr, "Instance %s: removed\n", in.name);
			}
			unik_instance_release(&in);
		}
	}
	for (size_t v = 0; o->volumes && v < p.n_volumes; v++) {
		struct unik_err err = UNIK_ERR_INIT;
		struct strbuf path = STRBUF_INIT;

		path_ref(&path, "volumes", p.volumes[v].name, NULL);
		if (!client_json(ctx->client, "DELETE", strbuf_str(&path), NULL, NULL, &err)) {
			fprintf(stderr, "Volume %s: removed\n", p.volumes[v].name);
		} else if (err.code != UNIK_E_NOT_FOUND) {
			cmd_error(&err);
			status = 1;
		}
		strbuf_release(&path);
	}
	json_decref(arr);
	compose_release(&p);
	return status;
}

const struct cmd cmd_compose_down = {
	.name = "compose down",
	.fn = down_main,
	.opts = down_options,
	.opts_size = sizeof(struct down_opts),
	.max_args = 0,
	.usage = "compose down [-v]",
	.summary = "Stop and remove the project's instances (-v: and its volumes)",
	.help = "Every instance labelled with the project, gracefully stopped first, in the\n"
		"reverse of the start order.  Images are kept.\n",
};
