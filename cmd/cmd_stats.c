/* cmd_stats.c - stats: CPU and memory of running instances
 * (GET /v1/instances/{ref}/stats), refreshed like `docker stats`. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../lib/strv.h"
#include "cmd.h"
#include "humanize.h"
#include "table.h"

struct stats_opts {
	int no_stream;
	int json;
};

static const struct opt stats_options[] = {
	OPT_BOOL(0, "no-stream", NULL, struct stats_opts, no_stream,
		 "print the figures once instead of refreshing them"),
	OPT_BOOL(0, "json", NULL, struct stats_opts, json, "print each sample's JSON"),
	OPT_END(),
};

/* The running instances' ids (no refs given). */
static int running_refs(struct cmd_ctx *ctx, struct strv *refs, struct unik_err *err)
{
	json_t *arr, *v;
	size_t i;

	if (client_json(ctx->client, "GET", "/v1/instances", NULL, &arr, err))
		return -1;
	json_array_foreach (arr, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *state = json_string_value(json_object_get(v, "state"));

		if (id && state && !strcmp(state, "running"))
			strv_push(refs, id);
	}
	json_decref(arr);
	return 0;
}

/* One round: a sample of each ref, as a table (or JSON lines).  The
 * status is 1 if any failed (each failure printed). */
static int one_round(struct cmd_ctx *ctx, const struct stats_opts *o, const struct strv *refs,
		     int stop_unreachable, int *unreachable)
{
	struct table t;
	int status = 0;

	table_init(&t, "ID NAME CPU% MEM_USAGE/LIMIT MEM% THREADS");
	for (size_t i = 0; i < refs->n; i++) {
		struct strbuf path = STRBUF_INIT;
		struct unik_err err = UNIK_ERR_INIT;
		json_t *s;
		char idb[16], use[32], lim[32];
		double mem, limit;

		cmd_ref_path(&path, "instances", refs->v[i], "/stats");
		if (client_json(ctx->client, "GET", strbuf_str(&path), NULL, &s, &err)) {
			strbuf_release(&path);
			cmd_error(&err);
			status = 1;
			if (cmd_unreachable(&err)) {
				*unreachable = 1;
				if (stop_unreachable)
					break;
			}
			continue;
		}
		strbuf_release(&path);
		if (o->json) {
			json_dumpf(s, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(s);
			continue;
		}
		mem = (double)json_integer_value(json_object_get(s, "memory_bytes"));
		limit = (double)json_integer_value(json_object_get(s, "memory_limit_bytes"));
		human_size((int64_t)mem, use, sizeof(use));
		human_size((int64_t)limit, lim, sizeof(lim));
		table_cell(&t, cmd_short_id(json_string_value(json_object_get(s, "id")), idb));
		table_cell(&t, json_string_value(json_object_get(s, "name")));
		table_cellf(&t, "%.2f%%", json_real_value(json_object_get(s, "cpu_percent")));
		table_cellf(&t, "%s / %s", use, lim);
		table_cellf(&t, "%.2f%%", limit > 0 ? 100.0 * mem / limit : 0.0);
		table_cellf(&t, "%lld",
			    (long long)json_integer_value(json_object_get(s, "threads")));
		json_decref(s);
	}
	if (!o->json)
		table_print(&t, stdout);
	table_release(&t);
	fflush(stdout);
	return status;
}

static int stats_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct stats_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	struct strv refs;
	int status = 0, unreachable = 0, tty = isatty(STDOUT_FILENO);

	strv_init(&refs);
	for (int i = 0; i < argc; i++)
		strv_push(&refs, argv[i]);
	for (;;) {
		if (!argc) {
			strv_release(&refs);
			strv_init(&refs);
			if (running_refs(ctx, &refs, &err)) {
				cmd_error(&err);
				status = 1;
				break;
			}
		}
		if (!o->no_stream && tty && !o->json)
			fputs("\033[H\033[2J", stdout); /* a refreshing screen, as docker stats */
		status = one_round(ctx, o, &refs, 1, &unreachable);
		if (o->no_stream || unreachable || (argc && status))
			break;
		if (!refs.n)
			sleep(1); /* nothing runs: look again in a second */
	}
	strv_release(&refs);
	return status;
}

const struct cmd cmd_stats = {
	.name = "stats",
	.fn = stats_main,
	.opts = stats_options,
	.opts_size = sizeof(struct stats_opts),
	.min_args = 0,
	.max_args = -1,
	.usage = "stats [--no-stream] [--json] [INSTANCE...]",
	.summary = "Show the CPU and memory use of running instances",
	.help =
	    "Without INSTANCE: every running instance.  The figures are those of the VM's host\n"
	    "process (providers hvt, spt, qemu): CPU over half a second of each refresh, RSS\n"
	    "against the guest's memory.  Other providers' VMs have no host process here:\n"
	    "the daemon answers 501.  It refreshes until Ctrl-C; --no-stream prints once.\n",
};
