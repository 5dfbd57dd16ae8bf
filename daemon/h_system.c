/* h_system.c - version, health, compilers, providers. */
#include <string.h>

#include "../api/formats.h"
#include "../compilers/compiler.h"
#include "../providers/dispatch.h"
#include "daemon.h"
#include "handlers.h"
#include "http.h"
#include "instances.h"
#include "store.h"

void h_version(struct http_req *req)
{
	http_reply_json(req, 200,
			json_pack("{ssssss}", "version", UNIK_VERSION, "api_version", "1",
				  "git_commit", UNIK_GITREV));
}

void h_health(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance *inst;
	struct unik_image *im;
	size_t ni, nm;
	int running = 0;

	if (store_instance_list(req->d->store, &inst, &ni, &err) ||
	    store_image_list(req->d->store, &im, &nm, &err)) {
		http_reply_error(req, &err);
		return;
	}
	for (size_t i = 0; i < ni; i++)
		running += inst[i].state == UNIK_STATE_RUNNING;
	store_instances_free(inst, ni);
	store_images_free(im, nm);
	http_reply_json(req, 200,
			json_pack("{sssIsIsi}", "status", "ok", "images", (json_int_t)nm,
				  "instances", (json_int_t)ni, "running", running));
}

void h_compilers(struct http_req *req)
{
	json_t *arr = json_array();

	for (size_t i = 0; unik_compilers[i]; i++) {
		const struct unik_compiler *c = unik_compilers[i];
		struct unik_err err = UNIK_ERR_INIT;
		int ok = !c->probe || c->probe(&req->d->cfg, &err) == 0;

		json_array_append_new(arr, json_pack("{sssssbso}", "name", c->name, "description",
						     c->description, "usable", ok, "reason",
						     ok ? json_null() : json_string(err.msg)));
	}
	http_reply_json(req, 200, arr);
}

static json_t *caps_json(unsigned caps)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ UNIK_CAP_RUN, "run" },
		{ UNIK_CAP_STOP, "stop" },
		{ UNIK_CAP_RESTART, "restart" },
		{ UNIK_CAP_LOGS, "logs" },
		{ UNIK_CAP_EXIT_CODE, "exit_code" },
		{ UNIK_CAP_NETWORK, "network" },
		{ UNIK_CAP_USERNET, "user_network" },
		{ UNIK_CAP_VOLUMES, "volumes" },
		{ UNIK_CAP_VOLUME_HOTPLUG, "volume_hotplug" },
		{ UNIK_CAP_PUBLISH, "publish" },
		{ UNIK_CAP_STDIN, "stdin" },
	};
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (caps & names[i].bit)
			json_array_append_new(a, json_string(names[i].name));
	return a;
}

void h_providers(struct http_req *req)
{
	/* the provider a run of an image of the default format gets */
	const struct unik_provider *def =
	    instance_default_provider(req->d, unik_formats[0].name, NULL);
	json_t *arr = json_array();

	for (size_t i = 0; unik_providers[i]; i++) {
		const struct unik_provider *p = unik_providers[i];
		struct unik_err err = UNIK_ERR_INIT;
		int ok = provider_probe(p, &req->d->cfg, &err) == 0;
		json_t *formats = json_array();

		for (size_t f = 0; p->formats && p->formats[f]; f++)
			json_array_append_new(formats, json_string(p->formats[f]));
		json_array_append_new(
		    arr, json_pack("{sssssososbsosb}", "name", p->name, "description",
				   p->description, "capabilities", caps_json(unik_provider_caps(p)),
				   "formats", formats, "usable", ok, "reason",
				   ok ? json_null() : json_string(err.msg), "default", p == def));
	}
	http_reply_json(req, 200, arr);
}
