/* cmd_ps.c - ps: the instances, filtered, as a table or through --format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../api/summon.h"
#include "../api/types.h"
#include "../lib/portspec.h"
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "cmd.h"
#include "humanize.h"
#include "listfmt.h"
#include "table.h"

struct ps_opts {
	int all;
	int json;
	int quiet;
	int latest;
	int last;
	int no_trunc;
	struct strv filters;
	const char *format;
};

static const struct opt ps_options[] = {
	OPT_BOOL('a', "all", NULL, struct ps_opts, all,
		 "show every instance, not only running ones"),
	OPT_LIST('f', "filter", NULL, struct ps_opts, filters, "KEY=VALUE",
		 "only the matching ones: id=, name=, status=, provider=, image=, label=K[=V]"),
	OPT_STRING(0, "format", NULL, struct ps_opts, format, "TEMPLATE",
		   "print through a template ('table {{.ID}}\\t{{.Names}}'; see 'unik inspect')"),
	OPT_BOOL('l', "latest", NULL, struct ps_opts, latest,
		 "only the latest created instance (any state)"),
	OPT_INT('n', "last", NULL, struct ps_opts, last, "N", -1,
		"only the N latest created instances (any state)"),
	OPT_BOOL(0, "no-trunc", NULL, struct ps_opts, no_trunc, "full ids"),
	OPT_BOOL(0, "json", NULL, struct ps_opts, json, "print the raw JSON"),
	OPT_BOOL('q', "quiet", NULL, struct ps_opts, quiet, "print the instance ids only"),
	OPT_END(),
};

static const char *const ps_filter_keys[] = { "id",    "name",	"status", "provider",
					      "image", "label", NULL };

static char *ports_text(const struct unik_instance *in)
{
	struct strbuf sb = STRBUF_INIT;

	/* a summon pool's other member: the ports are its pool's */
	if (in->summon.pool[0]) {
		char id[16];

		strbuf_addf(&sb, "pool of %s", cmd_short_id(in->summon.pool, id));
		return strbuf_detach(&sb);
	}
	/* Docker's form: 127.0.0.1:8080->8080/tcp */
	for (size_t i = 0; i < in->ports.n; i++) {
		struct portspec ps;

		if (portspec_parse(in->ports.v[i], &ps, NULL))
			continue;
		strbuf_addf(&sb, "%s%s:%d->%d/%s", sb.len ? ", " : "", ps.host_ip, ps.host_port,
			    ps.guest_port, portspec_proto(&ps));
	}
	return strbuf_detach(&sb);
}

static char *status_text(const struct unik_instance *in)
{
	struct strbuf sb = STRBUF_INIT;

	if (in->summon.enabled)
		strbuf_adds(&sb, unik_summon_state(in));
	else if (in->state == UNIK_STATE_EXITED && in->exit_code >= 0)
		strbuf_addf(&sb, "exited (%d)", in->exit_code);
	else
		strbuf_adds(&sb, unik_state_name(in->state));
	return strbuf_detach(&sb);
}

static void set_owned(json_t *row, const char *key, char *s)
{
	json_object_set_new(row, key, json_string(s ? s : ""));
	free(s);
}

/* The record with Docker's names for the columns added: ID, Names, Image,
 * Provider, State, Status, Address, CreatedAt, RunningFor, Ports, Labels. */
static json_t *ps_row(json_t *j, const struct unik_instance *in, int no_trunc, int64_t now)
{
	json_t *row = json_deep_copy(j);
	char id[16], ago[64], created[32];
	time_t t = (time_t)in->created;
	struct tm tm;

	human_ago(in->created, now, ago, sizeof(ago));
	strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S +0000 UTC", gmtime_r(&t, &tm));
	json_object_set_new(row, "ID", json_string(no_trunc ? in->id : cmd_short_id(in->id, id)));
	json_object_set_new(row, "Names", json_string(in->name ? in->name : ""));
	json_object_set_new(row, "Image",
			    json_string(in->image_name ? in->image_name
					: no_trunc     ? in->image
						       : cmd_short_id(in->image, id)));
	json_object_set_new(row, "Provider", json_string(in->provider ? in->provider : ""));
	json_object_set_new(
	    row, "State",
	    json_string(in->summon.enabled ? unik_summon_state(in) : unik_state_name(in->state)));
	set_owned(row, "Status", status_text(in));
	json_object_set_new(row, "Address", json_string(in->address ? in->address : ""));
	json_object_set_new(row, "CreatedAt", json_string(created));
	json_object_set_new(row, "RunningFor", json_string(ago));
	set_owned(row, "Ports", ports_text(in));
	set_owned(row, "Labels", listfmt_labels(json_object_get(j, "labels")));
	return row;
}

static int test_id(const char *want, void *arg)
{
	const struct unik_instance *in = arg;

	return *want && !strncmp(in->id, want, strlen(want));
}

static int test_name(const char *want, void *arg)
{
	const struct unik_instance *in = arg;

	return in->name && strstr(in->name, want);
}

static int test_status(const char *want, void *arg)
{
	const struct unik_instance *in = arg;

	return !strcmp(unik_state_name(in->state), want) ||
	       (in->summon.enabled && !strcmp(unik_summon_state(in), want));
}

static int test_provider(const char *want, void *arg)
{
	const struct unik_instance *in = arg;

	return in->provider && !strcmp(in->provider, want);
}

static int test_image(const char *want, void *arg)
{
	const struct unik_instance *in = arg;

	return (in->image_name && !strcmp(in->image_name, want)) ||
	       (*want && in->image && !strncmp(in->image, want, strlen(want)));
}

static int ps_match(const struct filters *f, const struct unik_instance *in, json_t *j)
{
	void *arg = (void *)in;

	return filters_ok(f, "id", test_id, arg) && filters_ok(f, "name", test_name, arg) &&
	       filters_ok(f, "status", test_status, arg) &&
	       filters_ok(f, "provider", test_provider, arg) &&
	       filters_ok(f, "image", test_image, arg) &&
	       filters_all_ok(f, "label", filters_label_test, json_object_get(j, "labels"));
}

struct ps_item {
	struct unik_instance in;
	json_t *j; /* borrowed */
	size_t order; /* in the daemon's list */
};

/* Newest first; the daemon's order between equals. */
static int by_created_desc(const void *a, const void *b)
{
	const struct ps_item *x = a, *y = b;

	if (x->in.created != y->in.created)
		return x->in.created < y->in.created ? 1 : -1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void table_row(struct table *t, json_t *row)
{
	static const char *const cols[] = { "ID",     "Names",	 "Image",      "Provider",
					    "Status", "Address", "RunningFor", "Ports" };

	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
		const char *s = json_string_value(json_object_get(row, cols[c]));

		table_cell(t, s);
	}
}

static int ps_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct ps_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	struct filters f;
	json_t *arr = NULL, *j, *rows;
	struct ps_item *items;
	size_t i, n = 0, limit;
	int all, status = 0;
	int64_t now = (int64_t)time(NULL);

	if (o->last < -1)
		return cmd_usage_error(ctx->cmd, "-n expects a number of instances (0 or more)");
	if (o->format && listfmt_check(o->format, &err))
		return cmd_usage_error(ctx->cmd, "%s", err.msg);
	if (filters_parse(&f, &o->filters, ps_filter_keys, &err)) {
		filters_release(&f);
		return cmd_usage_error(ctx->cmd, "%s", err.msg);
	}
	/* as docker's: a status filter, -l and -n look at every state */
	all = o->all || o->latest || o->last >= 0 || filters_has(&f, "status");
	if (client_json(ctx->client, "GET", all ? "/v1/instances?all=1" : "/v1/instances", NULL,
			&arr, &err)) {
		cmd_error(&err);
		filters_release(&f);
		return 1;
	}
	if (!json_is_array(arr)) {
		fprintf(stderr, "unik: the unik daemon's list of instances is not a JSON array\n");
		json_decref(arr);
		filters_release(&f);
		return 1;
	}
	items = xcalloc(json_array_size(arr) + 1, sizeof(*items));
	json_array_foreach (arr, i, j) {
		struct ps_item *it = &items[n];

		unik_instance_init(&it->in);
		if (unik_instance_from_json(j, &it->in, &err)) {
			unik_err_prefix(&err, "the unik daemon sent a bad instance");
			unik_instance_release(&it->in);
			status = 1;
			break;
		}
		if (!ps_match(&f, &it->in, j)) {
			unik_instance_release(&it->in);
			continue;
		}
		it->j = j;
		it->order = i;
		n++;
	}
	limit = n;
	if (!status && (o->latest || o->last >= 0)) {
		qsort(items, n, sizeof(*items), by_created_desc);
		limit = o->latest ? (n ? 1 : 0) : (size_t)o->last < n ? (size_t)o->last : n;
	}
	rows = json_array();
	for (i = 0; i < limit; i++)
		json_array_append_new(rows,
				      o->json ? json_incref(items[i].j)
					      : ps_row(items[i].j, &items[i].in, o->no_trunc, now));
	if (status) {
		cmd_error(&err);
	} else if (o->json) {
		cmd_print_json(rows);
	} else if (o->quiet) {
		json_array_foreach (rows, i, j) {
			printf("%s\n", json_string_value(json_object_get(j, "ID")));
		}
	} else if (o->format) {
		listfmt_print(o->format, rows, stdout);
	} else {
		struct table t;

		table_init(&t, "ID NAME IMAGE PROVIDER STATE ADDRESS CREATED PORTS");
		json_array_foreach (rows, i, j) {
			table_row(&t, j);
		}
		table_print(&t, stdout);
		table_release(&t);
	}
	for (i = 0; i < n; i++)
		unik_instance_release(&items[i].in);
	free(items);
	json_decref(rows);
	json_decref(arr);
	filters_release(&f);
	return status;
}

const struct cmd cmd_ps = {
	.name = "ps",
	.alias = "instances",
	.fn = ps_main,
	.opts = ps_options,
	.opts_size = sizeof(struct ps_opts),
	.max_args = 0,
	.usage = "ps [-a] [-f KEY=VALUE]... [--format TEMPLATE] [-l | -n N] [--no-trunc] [-q]",
	.summary = "List the instances",
	.help =
	    "STATE is created, running, stopping, or exited with the program's exit status\n"
	    "in brackets when it is known.\n"
	    "\n"
	    "Filters: id=PREFIX, name=SUBSTRING, status=created|starting|running|stopping|exited,\n"
	    "provider=NAME, image=NAME|ID-PREFIX, label=KEY or label=KEY=VALUE.  The values of\n"
	    "one key are or'ed (label's and'ed), different keys and'ed.  A status filter, -l and "
	    "-n look at every\n"
	    "instance, as -a does.\n"
	    "\n"
	    "--format fields: .ID .Names .Image .Provider .State .Status .Address .CreatedAt\n"
	    ".RunningFor .Ports .Labels, and every key of the JSON record ({{.exit_code}}).\n"
	    "'table ' before the template aligns the tab-separated cells under a header.\n",
};
