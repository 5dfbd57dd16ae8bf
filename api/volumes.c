/* volumes.c - JSON codecs and checks of the volume objects (see volumes.h). */
#include "volumes.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/xalloc.h"
#include "codec.h"
#include "types.h"

static const char *const volume_types[] = { "ext2", "ext4", "fat", NULL };

int unik_volume_type_valid(const char *type)
{
	for (size_t i = 0; type && volume_types[i]; i++)
		if (!strcmp(type, volume_types[i]))
			return 1;
	return 0;
}

/* 1 if `path` is `dir` or lies below it. */
static int at_or_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

int unik_mount_path_check(const char *path, struct unik_err *err)
{
	static const char *const reserved[] = { "/proc", "/dev", NULL };
	size_t len = path ? strlen(path) : 0;

	if (!len)
		return unik_err_set(err, UNIK_E_INVALID, "a mount path is needed (e.g. /data)");
	if (path[0] != '/')
		return unik_err_set(err, UNIK_E_INVALID,
				    "mount path '%s' is not absolute (it must start with '/')",
				    path);
	if (len > UNIK_VOLUME_PATH_MAX)
		return unik_err_set(err, UNIK_E_INVALID,
				    "mount path of %zu bytes: at most %d are taken", len,
				    UNIK_VOLUME_PATH_MAX);
	if (len == 1)
		return unik_err_set(err, UNIK_E_INVALID,
				    "a volume cannot be mounted at '/': the image's own files are "
				    "there");
	for (const char *p = path; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return unik_err_set(err, UNIK_E_INVALID,
					    "mount path '%s' holds a control character", path);
		if (*p == ':')
			return unik_err_set(err, UNIK_E_INVALID,
					    "mount path '%s' holds a ':' (the separator of "
					    "VOLUME:PATH:ro)",
					    path);
	}
	if (path[len - 1] == '/')
		return unik_err_set(err, UNIK_E_INVALID, "mount path '%s' ends with '/'", path);
	for (const char *c = path + 1; c;) {
		const char *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return unik_err_set(err, UNIK_E_INVALID,
					    "mount path '%s' has an empty, '.' or '..' component",
					    path);
		c = end ? end + 1 : NULL;
	}
	for (size_t i = 0; reserved[i]; i++)
		if (at_or_below(path, reserved[i]))
			return unik_err_set(err, UNIK_E_INVALID,
					    "a volume cannot be mounted at %s: %s belongs to the "
					    "runtime",
					    path, reserved[i]);
	return 0;
}

int unik_mount_paths_overlap(const char *a, const char *b)
{
	return at_or_below(a, b) || at_or_below(b, a);
}

int unik_mount_spec_parse(const char *spec, char **volume, char **path, int *read_only,
			  struct unik_err *err)
{
	const char *colon = spec ? strchr(spec, ':') : NULL;
	const char *last;
	size_t plen;

	*volume = *path = NULL;
	*read_only = 0;
	if (!colon || colon == spec)
		return unik_err_set(err, UNIK_E_INVALID,
				    "volume '%s' is not of the form VOLUME:/PATH[:ro]",
				    spec ? spec : "");
	plen = strlen(colon + 1);
	last = strrchr(colon + 1, ':');
	if (last) {
		if (!strcmp(last, ":ro"))
			*read_only = 1;
		else if (strcmp(last, ":rw"))
			return unik_err_set(err, UNIK_E_INVALID,
					    "volume '%s': the mode after the path must be ro or rw",
					    spec);
		plen = (size_t)(last - (colon + 1));
	}
	*volume = xstrndup(spec, (size_t)(colon - spec));
	*path = xstrndup(colon + 1, plen);
	if (unik_mount_path_check(*path, err) == 0)
		return 0;
	unik_err_prefix(err, "volume '%s'", spec);
	free(*volume);
	free(*path);
	*volume = *path = NULL;
	return -1;
}

/* ---- volume --------------------------------------------------------- */

void unik_volume_init(struct unik_volume *v)
{
	memset(v, 0, sizeof(*v));
}

static void user_release(struct unik_volume_user *u)
{
	free(u->instance);
	free(u->instance_name);
	free(u->path);
}

void unik_volume_release(struct unik_volume *v)
{
	free(v->id);
	free(v->name);
	free(v->type);
	free(v->format);
	for (size_t i = 0; i < v->n_users; i++)
		user_release(&v->users[i]);
	free(v->users);
	unik_volume_init(v);
}

void unik_volume_add_user(struct unik_volume *v, const struct unik_volume_user *u)
{
	struct unik_volume_user *n;

	v->users = xrealloc(v->users, (v->n_users + 1) * sizeof(*v->users));
	n = &v->users[v->n_users++];
	n->instance = xstrdup(u->instance);
	n->instance_name = xstrdup(u->instance_name);
	n->path = xstrdup(u->path);
	n->read_only = u->read_only;
	n->running = u->running;
}

json_t *unik_volume_to_json(const struct unik_volume *v)
{
	json_t *j = json_object(), *users = json_array();

	json_object_set_new(j, "id", unik_json_text(v->id));
	json_object_set_new(j, "name", unik_json_text(v->name));
	json_object_set_new(j, "type", unik_json_text(v->type));
	json_object_set_new(j, "size", json_integer(v->size));
	json_object_set_new(j, "format", unik_json_text(v->format));
	json_object_set_new(j, "created", unik_json_time(v->created));
	json_object_set_new(j, "generation", json_integer(v->generation));
	for (size_t i = 0; i < v->n_users; i++) {
		const struct unik_volume_user *u = &v->users[i];

		json_array_append_new(users, json_pack("{sosososbsb}", "instance",
						       unik_json_text(u->instance), "instance_name",
						       unik_json_text(u->instance_name), "path",
						       unik_json_text(u->path), "read_only",
						       u->read_only, "running", u->running));
	}
	json_object_set_new(j, "attachments", users);
	return j;
}

static int users_from_json(json_t *j, struct unik_volume *out, struct unik_err *err)
{
	json_t *a = json_object_get(j, "attachments"), *e;
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return unik_err_set(err, UNIK_E_INVALID, "field 'attachments' must be an array");
	json_array_foreach (a, i, e) {
		struct unik_volume_user u;
		int rc;

		memset(&u, 0, sizeof(u));
		rc = unik_json_need_object(e, "an attachment", err) ||
		     unik_json_get_str(e, "instance", &u.instance, 1, err) ||
		     unik_json_get_str(e, "instance_name", &u.instance_name, 0, err) ||
		     unik_json_get_str(e, "path", &u.path, 1, err) ||
		     unik_json_get_bool(e, "read_only", &u.read_only, err) ||
		     unik_json_get_bool(e, "running", &u.running, err);
		if (!rc)
			unik_volume_add_user(out, &u);
		user_release(&u);
		if (rc)
			return -1;
	}
	return 0;
}

int unik_volume_from_json(json_t *j, struct unik_volume *out, struct unik_err *err)
{
	long long size = 0, gen = 0;

	if (unik_json_need_object(j, "volume", err) ||
	    unik_json_get_str(j, "id", &out->id, 1, err) ||
	    unik_json_get_str(j, "name", &out->name, 1, err) ||
	    unik_json_get_str(j, "type", &out->type, 1, err) ||
	    unik_json_get_int(j, "size", &size, err) ||
	    unik_json_get_str(j, "format", &out->format, 0, err) ||
	    unik_json_get_time(j, "created", &out->created, err) ||
	    unik_json_get_int(j, "generation", &gen, err) || users_from_json(j, out, err))
		return -1;
	if (size < 0 || gen < 0)
		return unik_err_set(err, UNIK_E_INVALID, "volume %s: negative size or generation",
				    out->id);
	out->size = size;
	out->generation = gen;
	return 0;
}

/* ---- mounts --------------------------------------------------------- */

void unik_mount_release(struct unik_mount *m)
{
	free(m->volume);
	free(m->name);
	free(m->path);
	memset(m, 0, sizeof(*m));
}

void unik_mounts_free(struct unik_mount *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		unik_mount_release(&v[i]);
	free(v);
}

struct unik_mount *unik_mounts_copy(const struct unik_mount *src, size_t n)
{
	struct unik_mount *v = n ? xcalloc(n, sizeof(*v)) : NULL;

	for (size_t i = 0; i < n; i++) {
		v[i].volume = xstrdup(src[i].volume);
		v[i].name = xstrdup(src[i].name);
		v[i].path = xstrdup(src[i].path);
		v[i].read_only = src[i].read_only;
	}
	return v;
}

json_t *unik_mounts_to_json(const struct unik_mount *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(
		    a, json_pack("{sosososb}", "volume", unik_json_text(v[i].volume), "name",
				 unik_json_text(v[i].name), "path", unik_json_text(v[i].path),
				 "read_only", v[i].read_only));
	return a;
}

int unik_mounts_from_json(json_t *j, struct unik_mount **out, size_t *n, struct unik_err *err)
{
	json_t *a = json_object_get(j, "volumes"), *e;
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return unik_err_set(err, UNIK_E_INVALID, "field 'volumes' must be an array");
	json_array_foreach (a, i, e) {
		struct unik_mount m;

		memset(&m, 0, sizeof(m));
		if (unik_json_need_object(e, "a mounted volume", err) ||
		    unik_json_get_str(e, "volume", &m.volume, 1, err) ||
		    unik_json_get_str(e, "name", &m.name, 0, err) ||
		    unik_json_get_str(e, "path", &m.path, 1, err) ||
		    unik_json_get_bool(e, "read_only", &m.read_only, err)) {
			unik_mount_release(&m);
			return -1;
		}
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = m;
	}
	return 0;
}

/* ---- attach request ------------------------------------------------- */

void unik_attach_request_init(struct unik_attach_request *rq)
{
	memset(rq, 0, sizeof(*rq));
}

void unik_attach_request_release(struct unik_attach_request *rq)
{
	free(rq->instance);
	free(rq->path);
	unik_attach_request_init(rq);
}

json_t *unik_attach_request_to_json(const struct unik_attach_request *rq)
{
	return json_pack("{sososb}", "instance", unik_json_text(rq->instance), "path",
			 unik_json_text(rq->path), "read_only", rq->read_only);
}

int unik_attach_request_from_json(json_t *j, struct unik_attach_request *out, struct unik_err *err)
{
	if (unik_json_need_object(j, "request body", err) ||
	    unik_json_get_str(j, "instance", &out->instance, 1, err) ||
	    unik_json_get_str(j, "path", &out->path, 1, err) ||
	    unik_json_get_bool(j, "read_only", &out->read_only, err))
		return -1;
	return unik_mount_path_check(out->path, err);
}

int unik_detach_request_from_json(json_t *j, struct unik_attach_request *out, struct unik_err *err)
{
	if (unik_json_need_object(j, "request body", err) ||
	    unik_json_get_str(j, "instance", &out->instance, 1, err))
		return -1;
	return 0;
}
