/* state.c - a container's record, <root>/<id>/unik.json (written through a
 * temporary file and rename: a crash leaves the old record or the new), and
 * its status, found from the process itself: its pid with the start time
 * recorded at create (so a reused pid is not taken for it), and whether
 * exec.fifo is still there (created) or not (running). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/procstat.h"
#include "../../lib/safeopen.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "rt.h"

/* runc's rule: letters, digits, '_', '+', '-', '.'; not "." or "..". */
int rt_id_ok(const char *id, struct unik_err *err)
{
	size_t n = strlen(id);

	if (!n || n > RT_ID_MAX || !strcmp(id, ".") || !strcmp(id, ".."))
		return unik_err_set(err, UNIK_E_INVALID, "invalid container id '%.*s'", 200, id);
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '.'))
			return unik_err_set(err, UNIK_E_INVALID, "invalid container id '%.*s'", 200,
					    id);
	}
	return 0;
}

char *rt_state_dir(const struct rt_ctx *ctx, const char *id)
{
	return xasprintf("%s/%s", ctx->root, id);
}

static char *dup_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

int rt_state_load(const struct rt_ctx *ctx, const char *id, struct rt_state *st,
		  struct unik_err *err)
{
	char *path = xasprintf("%s/%s/" RT_STATE_FILE, ctx->root, id);
	struct strbuf text = STRBUF_INIT;
	json_error_t jerr;
	json_t *j, *ann, *v;
	const char *k;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc;

	memset(st, 0, sizeof(*st));
	if (fd < 0) {
		rc = errno == ENOENT || errno == ENOTDIR
			 ? 0
			 : unik_err_set(err, UNIK_E_INTERNAL, "%s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	rc = safe_read_fd(fd, path, 1 << 20, &text, err);
	close(fd);
	j = rc ? NULL : json_loadb(strbuf_str(&text), text.len, 0, &jerr);
	strbuf_release(&text);
	if (!j) {
		if (!rc)
			unik_err_set(err, UNIK_E_INTERNAL, "%s: %s", path, jerr.text);
		free(path);
		return -1;
	}
	free(path);
	st->id = xstrdup(id);
	st->bundle = dup_str(j, "bundle");
	st->rootfs = dup_str(j, "rootfs");
	st->created = dup_str(j, "created");
	st->provider = dup_str(j, "provider");
	v = json_object_get(j, "pid");
	st->pid = json_is_integer(v) ? (pid_t)json_integer_value(v) : 0;
	v = json_object_get(j, "start_time");
	st->start_time = json_is_integer(v) ? (unsigned long long)json_integer_value(v) : 0;
	ann = json_object_get(j, "annotations");
	json_object_foreach (ann, k, v) {
		if (!json_is_string(v))
			continue;
		strv_push(&st->ann_keys, k);
		strv_push(&st->ann_values, json_string_value(v));
	}
	json_decref(j);
	return 1;
}

static json_t *annotations(const struct strv *keys, const struct strv *values)
{
	json_t *a = json_object();

	for (size_t i = 0; i < keys->n; i++)
		json_object_set_new(a, keys->v[i], json_string(values->v[i]));
	return a;
}

int rt_state_save(const struct rt_ctx *ctx, const struct rt_state *st, struct unik_err *err)
{
	char *path = xasprintf("%s/%s/" RT_STATE_FILE, ctx->root, st->id), *s;
	json_t *j = json_object();
	int rc;

	json_object_set_new(j, "id", json_string(st->id));
	json_object_set_new(j, "bundle", json_string(st->bundle));
	json_object_set_new(j, "rootfs", json_string(st->rootfs));
	json_object_set_new(j, "created", json_string(st->created));
	json_object_set_new(j, "provider", json_string(st->provider));
	json_object_set_new(j, "pid", json_integer(st->pid));
	json_object_set_new(j, "start_time", json_integer((json_int_t)st->start_time));
	json_object_set_new(j, "annotations", annotations(&st->ann_keys, &st->ann_values));
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rc = fs_write_file_atomic(path, s, strlen(s), 0600, err);
	free(s);
	free(path);
	return rc;
}

void rt_state_release(struct rt_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->provider);
	strv_release(&st->ann_keys);
	strv_release(&st->ann_values);
	memset(st, 0, sizeof(*st));
}

unsigned long long rt_proc_start_time(pid_t pid, int *zombie)
{
	struct proc_stat ps;

	*zombie = 0;
	if (proc_stat_read(pid, &ps))
		return 0;
	*zombie = ps.state == 'Z' || ps.state == 'X';
	return ps.start_time;
}

enum rt_status rt_status_of(const struct rt_ctx *ctx, const struct rt_state *st)
{
	char *fifo;
	int zombie, has_fifo;
	struct stat sb;

	if (st->pid <= 0)
		return RT_CREATING;
	if (rt_proc_start_time(st->pid, &zombie) != st->start_time || zombie)
		return RT_STOPPED;
	fifo = xasprintf("%s/%s/" RT_FIFO, ctx->root, st->id);
	has_fifo = lstat(fifo, &sb) == 0;
	free(fifo);
	return has_fifo ? RT_CREATED : RT_RUNNING;
}

const char *rt_status_name(enum rt_status s)
{
	static const char *const names[] = { "creating", "created", "running", "stopped" };

	return names[s];
}

char *rt_state_json(const struct rt_ctx *ctx, const struct rt_state *st, int indent)
{
	enum rt_status s = rt_status_of(ctx, st);
	json_t *j = json_object();
	char *out;

	json_object_set_new(j, "ociVersion", json_string(RT_OCI_VERSION));
	json_object_set_new(j, "id", json_string(st->id));
	json_object_set_new(j, "pid", json_integer(s == RT_STOPPED ? 0 : st->pid));
	json_object_set_new(j, "status", json_string(rt_status_name(s)));
	json_object_set_new(j, "bundle", json_string(st->bundle));
	json_object_set_new(j, "rootfs", json_string(st->rootfs));
	json_object_set_new(j, "created", json_string(st->created));
	json_object_set_new(j, "owner", json_string(""));
	json_object_set_new(j, "annotations", annotations(&st->ann_keys, &st->ann_values));
	out = json_dumps(j, indent ? JSON_INDENT(2) : JSON_COMPACT);
	json_decref(j);
	return out;
}
