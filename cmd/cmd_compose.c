/* cmd_compose.c - compose: the group and its -f/-p options, ps, logs,
 * config, and what up and down (compose_up.c) share.  docs/cli.md. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/xalloc.h"
#include "compose.h"
#include "group.h"
#include "table.h"

static const char *opt_file, *opt_project;

int compose_open(struct compose_project *p)
{
	static const char *const names[] = { "compose.yaml", "compose.yml", "docker-compose.yaml",
					     "docker-compose.yml", NULL };
	struct unik_err err = UNIK_ERR_INIT;
	const char *file = opt_file;

	for (const char *const *n = names; !file && *n; n++)
		if (access(*n, F_OK) == 0)
			file = *n;
	if (!file) {
		fprintf(stderr, "unik: no compose.yaml (or compose.yml, docker-compose.yaml, "
				"docker-compose.yml) here; name one with 'unik compose -f FILE'\n");
		return -1;
	}
	if (compose_load(p, file, opt_project, &err)) {
		cmd_error(&err);
		compose_release(p);
		return -1;
	}
	return 0;
}

char *compose_instance_name(const struct compose_project *p, const struct compose_service *s)
{
	return xasprintf("%s-%s-1", p->name, s->name);
}

const char *compose_label(const struct strv *labels, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < labels->n; i++)
		if (!strncmp(labels->v[i], key, n) && labels->v[i][n] == '=')
			return labels->v[i] + n + 1;
	return NULL;
}

int compose_list(struct cmd_ctx *ctx, const char *project, json_t **out)
{
	struct unik_err err = UNIK_ERR_INIT;
	json_t *arr = NULL, *j;
	size_t i;

	*out = json_array();
	if (client_json(ctx->client, "GET", "/v1/instances?all=1", NULL, &arr, &err)) {
		cmd_error(&err);
		return -1;
	}
	if (!json_is_array(arr)) {
		fprintf(stderr, "unik: the unik daemon's list of instances is not a JSON array\n");
		json_decref(arr);
		return -1;
	}
	json_array_foreach (arr, i, j) {
		const char *v = json_string_value(
		    json_object_get(json_object_get(j, "labels"), COMPOSE_LABEL_PROJECT));

		if (v && !strcmp(v, project))
			json_array_append(*out, j);
	}
	json_decref(arr);
	return 0;
}

/* ---- following logs -------------------------------------------------- */

static volatile sig_atomic_t interrupts;

static void on_signal(int sig)
{
	if (interrupts < 2)
		interrupts++;
}

struct follower {
	struct unik_client client; /* shallow copy of the main one */
	const char *id, *name;
	int width;
	int follow;
	const char *since;
	int failed;
	struct unik_err err;
	pthread_t thread;
	int started;
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t streams_left;

static int stop_streams(void *arg)
{
	int *hard = arg;

	return interrupts >= *hard;
}

static int print_line(const char *data, size_t len, void *arg, struct unik_err *err)
{
	struct follower *f = arg;

	pthread_mutex_lock(&out_lock);
	printf("%-*s | %.*s\n", f->width, f->name, (int)len, data);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
	return 0;
}

static void *follow_one(void *arg)
{
	struct follower *f = arg;
	struct strbuf path = STRBUF_INIT;

	cmd_ref_path(&path, "instances", f->id, "/logs");
	if (f->follow)
		client_query(&path, "follow", "1");
	if (f->since)
		client_query(&path, "since", f->since);
	if (client_stream_lines(&f->client, strbuf_str(&path), print_line, f, &f->err))
		f->failed = 1;
	strbuf_release(&path);
	__atomic_fetch_sub(&streams_left, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void stop_all(struct cmd_ctx *ctx, char **ids, char **names, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		struct unik_err err = UNIK_ERR_INIT;
		struct strbuf path = STRBUF_INIT;

		cmd_ref_path(&path, "instances", ids[i], "/stop");
		if (client_json(ctx->client, "POST", strbuf_str(&path), NULL, NULL, &err) &&
		    err.code != UNIK_E_CONFLICT)
			fprintf(stderr, "unik: cannot stop %s: %s\n", names[i], err.msg);
		strbuf_release(&path);
	}
}

int compose_follow(struct cmd_ctx *ctx, char **ids, char **names, size_t n, int follow,
		   int stop_on_interrupt, const char *since)
{
	struct follower *fs = xcalloc(n ? n : 1, sizeof(*fs));
	struct sigaction sa, old_int, old_term;
	int width = 0, status = 0, stopping = 0;
	static int hard = 2, soft = 1;

	interrupts = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(names[i]) > width)
			width = (int)strlen(names[i]);
	streams_left = (sig_atomic_t)n;
	for (size_t i = 0; i < n; i++) {
		struct follower *f = &fs[i];

		f->client = *ctx->client;
		f->client.cancel = stop_streams;
		f->client.cancel_arg = stop_on_interrupt ? &hard : &soft;
		f->id = ids[i];
		f->name = names[i];
		f->width = width;
		f->follow = follow;
		f->since = since;
		f->started = !pthread_create(&f->thread, NULL, follow_one, f);
		if (!f->started) {
			__atomic_fetch_sub(&streams_left, 1, __ATOMIC_SEQ_CST);
			fprintf(stderr, "unik: no thread to follow %s\n", names[i]);
			status = 1;
		}
	}
	while (__atomic_load_n(&streams_left, __ATOMIC_SEQ_CST) > 0 &&
	       interrupts < (stop_on_interrupt ? 2 : 1)) {
		if (stop_on_interrupt && interrupts == 1 && !stopping) {
			stopping = 1;
			fprintf(stderr, "unik: stopping (press Ctrl-C again to detach)\n");
			stop_all(ctx, ids, names, n);
		}
		usleep(100 * 1000);
	}
	for (size_t i = 0; i < n; i++) {
		if (!fs[i].started)
			continue;
		pthread_join(fs[i].thread, NULL);
		if (fs[i].failed && !interrupts) {
			fprintf(stderr, "unik: logs of %s: %s\n", fs[i].name, fs[i].err.msg);
			status = 1;
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(fs);
	return interrupts ? 130 : status;
}

/* The project's instances of `argv` services (all when argc is 0), in the
 * file's start order; the names and ids are NEW. */
static int select_instances(struct cmd_ctx *ctx, const struct compose_project *p, int argc,
			    char **argv, struct strv *ids, struct strv *names, int running_only)
{
	json_t *arr;
	int rc = 0;

	for (int a = 0; a < argc; a++)
		if (!compose_service(p, argv[a])) {
			fprintf(stderr, "unik: no service '%s' in %s\n", argv[a], p->file);
			return -1;
		}
	if (compose_list(ctx, p->name, &arr)) {
		json_decref(arr);
		return -1;
	}
	for (size_t s = 0; s < p->n_services; s++) {
		const struct compose_service *sv = &p->services[s];
		int wanted = argc == 0;
		json_t *j;
		size_t i;

		for (int a = 0; a < argc && !wanted; a++)
			wanted = !strcmp(argv[a], sv->name);
		if (!wanted)
			continue;
		json_array_foreach (arr, i, j) {
			struct unik_instance in;
			struct unik_err err = UNIK_ERR_INIT;
			const char *svc;

			unik_instance_init(&in);
			if (unik_instance_from_json(j, &in, &err)) {
				cmd_error(&err);
				rc = -1;
			} else if ((svc = compose_label(&in.labels, COMPOSE_LABEL_SERVICE)) &&
				   !strcmp(svc, sv->name) &&
				   (!running_only || unik_state_active(in.state))) {
				strv_push(ids, in.id);
				strv_push(names, in.name);
			}
			unik_instance_release(&in);
		}
	}
	json_decref(arr);
	return rc;
}

/* ---- logs ------------------------------------------------------------ */

struct logs_opts {
	int follow;
};

static const struct opt logs_options[] = {
	OPT_BOOL('f', "follow", NULL, struct logs_opts, follow,
		 "follow the output until the instances exit"),
	OPT_END(),
};

static int logs_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct logs_opts *o = opts;
	struct compose_project p;
	struct strv ids = STRV_INIT, names = STRV_INIT;
	int status = 1;

	if (compose_open(&p))
		return 1;
	if (!select_instances(ctx, &p, argc, argv, &ids, &names, 0))
		status = compose_follow(ctx, ids.v, names.v, ids.n, o->follow, 0, NULL);
	strv_release(&ids);
	strv_release(&names);
	compose_release(&p);
	return status;
}

static const struct cmd cmd_compose_logs = {
	.name = "compose logs",
	.fn = logs_main,
	.opts = logs_options,
	.opts_size = sizeof(struct logs_opts),
	.max_args = -1,
	.usage = "compose logs [-f] [SERVICE...]",
	.summary = "Show the console output of the services",
	.help = "Each line comes after the instance's name, as 'docker compose logs' shows it.\n",
};

/* ---- ps -------------------------------------------------------------- */

struct ps_opts {
	int all;
	int quiet;
};

static const struct opt ps_options[] = {
	OPT_BOOL('a', "all", NULL, struct ps_opts, all, "show exited instances too"),
	OPT_BOOL('q', "quiet", NULL, struct ps_opts, quiet, "print the instance ids only"),
	OPT_END(),
};

static int ps_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct ps_opts *o = opts;
	struct compose_project p;
	struct strv ids = STRV_INIT, names = STRV_INIT;
	struct table t;
	int status = 0;

	if (compose_open(&p))
		return 1;
	if (select_instances(ctx, &p, argc, argv, &ids, &names, !o->all)) {
		compose_release(&p);
		return 1;
	}
	table_init(&t, "NAME SERVICE STATUS PORTS");
	for (size_t i = 0; i < ids.n && !status; i++) {
		struct unik_err err = UNIK_ERR_INIT;
		struct strbuf path = STRBUF_INIT, st = STRBUF_INIT, ports = STRBUF_INIT;
		struct unik_instance in;
		json_t *j = NULL;

		unik_instance_init(&in);
		cmd_ref_path(&path, "instances", ids.v[i], NULL);
		if (client_json(ctx->client, "GET", strbuf_str(&path), NULL, &j, &err) ||
		    unik_instance_from_json(j, &in, &err)) {
			if (err.code != UNIK_E_NOT_FOUND) { /* removed meanwhile: not shown */
				cmd_error(&err);
				status = 1;
			}
		} else if (o->quiet) {
			printf("%s\n", in.id);
		} else {
			strbuf_adds(&st, unik_state_name(in.state));
			if (in.state == UNIK_STATE_EXITED && in.exit_code >= 0)
				strbuf_addf(&st, " (%d)", in.exit_code);
			for (size_t k = 0; k < in.ports.n; k++)
				strbuf_addf(&ports, "%s%s", k ? ", " : "", in.ports.v[k]);
			table_cell(&t, in.name);
			table_cell(&t, compose_label(&in.labels, COMPOSE_LABEL_SERVICE));
			table_cell(&t, strbuf_str(&st));
			table_cell(&t, strbuf_str(&ports));
		}
		unik_instance_release(&in);
		json_decref(j);
		strbuf_release(&path);
		strbuf_release(&st);
		strbuf_release(&ports);
	}
	if (!o->quiet && !status)
		table_print(&t, stdout);
	table_release(&t);
	strv_release(&ids);
	strv_release(&names);
	compose_release(&p);
	return status;
}

static const struct cmd cmd_compose_ps = {
	.name = "compose ps",
	.fn = ps_main,
	.opts = ps_options,
	.opts_size = sizeof(struct ps_opts),
	.max_args = -1,
	.usage = "compose ps [-a] [-q] [SERVICE...]",
	.summary = "List the project's instances",
	.help = "The running ones, in start order; -a adds the exited ones.\n",
};

/* ---- config ---------------------------------------------------------- */

static json_t *strv_json(const struct strv *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, unik_json_text(sv->v[i]));
	return a;
}

static int config_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	struct compose_project p;
	json_t *j, *svcs, *vols;

	if (compose_open(&p))
		return 1;
	j = json_object();
	svcs = json_array();
	vols = json_array();
	json_object_set_new(j, "name", json_string(p.name));
	for (size_t i = 0; i < p.n_services; i++) {
		const struct compose_service *s = &p.services[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", unik_json_text(s->name));
		json_object_set_new(o, "build", unik_json_text(s->build));
		json_object_set_new(o, "image", unik_json_text(s->image));
		json_object_set_new(o, "command",
				    s->has_command ? strv_json(&s->command) : json_null());
		json_object_set_new(o, "environment", strv_json(&s->env));
		json_object_set_new(o, "ports", strv_json(&s->ports));
		json_object_set_new(o, "volumes", strv_json(&s->volumes));
		json_object_set_new(o, "depends_on", strv_json(&s->depends_on));
		json_object_set_new(o, "restart", unik_json_text(s->restart));
		json_object_set_new(o, "provider", unik_json_text(s->provider));
		json_object_set_new(o, "memory_mb", json_integer(s->memory_mb));
		json_array_append_new(svcs, o);
	}
	for (size_t i = 0; i < p.n_volumes; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "key", unik_json_text(p.volumes[i].key));
		json_object_set_new(o, "name", unik_json_text(p.volumes[i].name));
		json_object_set_new(o, "size", json_integer(p.volumes[i].size));
		json_object_set_new(o, "type", unik_json_text(p.volumes[i].type));
		json_array_append_new(vols, o);
	}
	json_object_set_new(j, "services", svcs);
	json_object_set_new(j, "volumes", vols);
	cmd_print_json(j);
	json_decref(j);
	compose_release(&p);
	return 0;
}

static const struct cmd cmd_compose_config = {
	.name = "compose config",
	.fn = config_main,
	.max_args = 0,
	.usage = "compose config",
	.summary = "Check the compose file and print it as unik reads it (JSON)",
	.help = "Services in start order, environment files read, volumes with the daemon's\n"
		"names.  Needs no daemon.\n",
};

/* ---- the group ------------------------------------------------------- */

static const struct cmd *const subcommands[] = {
	&cmd_compose_up,   &cmd_compose_down,	&cmd_compose_ps,
	&cmd_compose_logs, &cmd_compose_config, NULL,
};

/* -f FILE, --file FILE, --file=FILE, -p NAME, --project-name NAME, ... */
static int global_opt(int argc, char **argv, int *i, const char *s, const char *l, const char **v)
{
	size_t n = strlen(l);

	if (!strcmp(argv[*i], s) || !strcmp(argv[*i], l)) {
		if (*i + 1 >= argc)
			return -1;
		*v = argv[++*i];
		return 1;
	}
	if (!strncmp(argv[*i], l, n) && argv[*i][n] == '=') {
		*v = argv[*i] + n + 1;
		return 1;
	}
	return 0;
}

static int compose_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	int i = 0, r;

	for (; i < argc; i++) {
		r = global_opt(argc, argv, &i, "-f", "--file", &opt_file);
		if (!r)
			r = global_opt(argc, argv, &i, "-p", "--project-name", &opt_project);
		if (r < 0)
			return cmd_usage_error(ctx->cmd, "%s needs a value", argv[i]);
		if (!r)
			break;
	}
	return cmd_group_main(ctx, "compose",
			      "Run the services of a compose.yaml: build, volumes, instances.",
			      subcommands, argc - i, argv + i);
}

const struct cmd cmd_compose = {
	.name = "compose",
	.fn = compose_main,
	.flags = CMD_RAW_ARGS,
	.max_args = -1,
	.usage = "compose [-f FILE] [-p NAME] COMMAND [ARG...]",
	.subs = subcommands,
	.summary = "Run the services of a compose file: up, down, ps, logs, config",
	.help = "Commands:\n"
		"  up         Create the volumes, build the images, start the instances\n"
		"  down       Stop and remove the instances (-v: and the volumes)\n"
		"  ps         List the project's instances\n"
		"  logs       Show the console output of the services\n"
		"  config     Check the compose file and print it as unik reads it (JSON)\n"
		"Options (before COMMAND):\n"
		"  -f, --file FILE          the compose file (default: compose.yaml, compose.yml,\n"
		"                           docker-compose.yaml or docker-compose.yml here)\n"
		"  -p, --project-name NAME  the project (default: the file's name:, else\n"
		"                           $COMPOSE_PROJECT_NAME, else the file's folder)\n"
		"Instances are named PROJECT-SERVICE-1 and labelled com.docker.compose.project\n"
		"and com.docker.compose.service.  See docs/cli.md for the file format.\n",
};
