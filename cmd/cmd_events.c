/* cmd_events.c - events: the daemon's event stream (GET /v1/events). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/strv.h"
#include "cmd.h"
#include "gotmpl.h"

struct events_opts {
	const char *since, *until, *format;
	struct strv filter;
};

static const struct opt events_options[] = {
	OPT_STRING(0, "since", NULL, struct events_opts, since, "TIME",
		   "also the kept events since TIME (Unix seconds, RFC 3339, or a duration "
		   "before now: 10m)"),
	OPT_STRING(0, "until", NULL, struct events_opts, until, "TIME",
		   "stop at TIME (as --since); without --since, from the oldest kept"),
	OPT_LIST('f', "filter", NULL, struct events_opts, filter, "KEY=VALUE",
		 "only matching events: type=instance|image|volume, event=ACTION, name=NAME, "
		 "id=PREFIX (repeat a key for either value)"),
	OPT_STRING(0, "format", NULL, struct events_opts, format, "FORMAT",
		   "json (one JSON object a line) or a template such as '{{.Action}} {{.Name}}'"),
	OPT_END(),
};

/* Docker's default line: TIME TYPE ACTION ID (key=value, ...). */
static void print_plain(json_t *ev, struct strbuf *out)
{
	json_int_t ns = json_integer_value(json_object_get(ev, "time_nano"));
	time_t secs = (time_t)(ns / 1000000000);
	json_t *attrs = json_object_get(ev, "attributes");
	const char *k, *name = json_string_value(json_object_get(ev, "name"));
	json_t *v;
	struct tm tm;
	char when[32];

	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	strbuf_addf(out, "%s.%09lldZ %s %s %s (", when, (long long)(ns % 1000000000),
		    json_string_value(json_object_get(ev, "type")),
		    json_string_value(json_object_get(ev, "action")),
		    json_string_value(json_object_get(ev, "id")));
	json_object_foreach (attrs, k, v) {
		if (json_is_string(v))
			strbuf_addf(out, "%s=%s, ", k, json_string_value(v));
	}
	strbuf_addf(out, "name=%s)", name ? name : "");
}

static int on_line(const char *data, size_t len, void *arg, struct unik_err *err)
{
	const struct events_opts *o = arg;
	struct strbuf out = STRBUF_INIT;
	json_error_t jerr;
	json_t *ev;
	int rc;

	if (len == 0)
		return 0;
	if (o->format && !strcmp(o->format, "json"))
		return cmd_write_stdout(data, len, NULL, err) ||
		       cmd_write_stdout("\n", 1, NULL, err);
	ev = json_loadb(data, len, 0, &jerr);
	if (!json_is_object(ev) || !json_is_string(json_object_get(ev, "type")) ||
	    !json_is_string(json_object_get(ev, "action")) ||
	    !json_is_string(json_object_get(ev, "id"))) {
		json_decref(ev);
		return unik_err_set(err, UNIK_E_INTERNAL,
				    "the daemon sent an event that is not one");
	}
	if (o->format) {
		struct unik_err terr = UNIK_ERR_INIT;

		gotmpl_render(o->format, ev, &out, &terr); /* checked at the start */
	} else
		print_plain(ev, &out);
	strbuf_addch(&out, '\n');
	rc = cmd_write_stdout(strbuf_str(&out), out.len, NULL, err);
	strbuf_release(&out);
	json_decref(ev);
	return rc;
}

static int events_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct events_opts *o = opts;
	struct strbuf path = STRBUF_INIT;
	struct unik_err err = UNIK_ERR_INIT;
	int rc;

	(void)argc;
	(void)argv;
	if (o->format && strcmp(o->format, "json") && gotmpl_check(o->format, &err))
		return cmd_usage_error(ctx->cmd, "%s", err.msg);
	strbuf_adds(&path, "/v1/events");
	if (o->since)
		client_query(&path, "since", o->since);
	if (o->until)
		client_query(&path, "until", o->until);
	for (size_t i = 0; i < o->filter.n; i++)
		client_query(&path, "filter", o->filter.v[i]);
	rc = client_stream_lines(ctx->client, strbuf_str(&path), on_line, (void *)o, &err);
	if (rc)
		cmd_error(&err);
	strbuf_release(&path);
	return rc ? 1 : 0;
}

const struct cmd cmd_events = {
	.name = "events",
	.fn = events_main,
	.opts = events_options,
	.opts_size = sizeof(struct events_opts),
	.min_args = 0,
	.max_args = 0,
	.usage = "events [--since TIME] [--until TIME] [--filter KEY=VALUE] [--format FORMAT]",
	.summary = "Print the daemon's events as they happen",
	.help =
	    "Events: instance create, start, die (with its exit_code), stop, kill, destroy,\n"
	    "restart; image build, pull, push, load, delete, tag; volume create, mount, unmount,\n"
	    "destroy.  The daemon keeps the last 4096 in memory (none survive its restart).\n"
	    "Without --until it follows until Ctrl-C.  Template fields: .Time, .Time_nano,\n"
	    ".Type, .Action, .ID, .Name, .Attributes.KEY; {{json .}} prints the event.\n",
};
