/* published.c - images copied to the providers that keep their own (see
 * published.h). */
#include "published.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "../providers/dispatch.h"
#include "blobs.h"
#include "companion.h"
#include "daemon.h"
#include "stagings.h"

#define REF_MAX 512

/* One publication (or removal) at a time: a second start of the same
 * image waits and then finds the reference. */
static pthread_mutex_t publish_lock = PTHREAD_MUTEX_INITIALIZER;

static void fill_spec(struct unikd *d, const struct unik_image *im, const char *disk,
		      const char *dir, const char *kernel, struct unik_publish_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->image_id = im->id;
	s->image_name = im->name;
	s->digest = im->digest;
	s->format = im->format;
	s->kernel = kernel;
	s->disk = disk;
	s->dir = dir;
	s->memory_mb = im->memory_mb > 0 ? (int)im->memory_mb : 0;
	s->cfg = &d->cfg;
}

/* The reference kept in `path`, or -1 when there is none (or it is not one
 * a provider could have written: then it is ignored, and published anew). */
static int read_ref(const char *path, char **ref)
{
	struct strbuf sb = STRBUF_INIT;
	struct unik_err err = UNIK_ERR_INIT;
	const char *s;
	size_t n;

	*ref = NULL;
	if (fs_read_file(path, &sb, &err)) {
		strbuf_release(&sb);
		return -1;
	}
	s = strbuf_str(&sb);
	n = strlen(s);
	if (n == 0 || n >= REF_MAX || n != sb.len) {
		strbuf_release(&sb);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			strbuf_release(&sb);
			return -1;
		}
	*ref = xstrdup(s);
	strbuf_release(&sb);
	return 0;
}

int published_get(struct unikd *d, const struct unik_image *im, const struct unik_provider *p,
		  const char *disk, void (*progress)(void *ctx, const char *line), void *ctx,
		  char **ref, struct unik_err *err)
{
	char *top = stagings_dir(d, im), *dir = NULL, *path = NULL, *kernel = NULL;
	char buf[REF_MAX];
	struct unik_publish_spec s;
	struct companion_files cf;
	int rc = -1;

	*ref = NULL;
	memset(&cf, 0, sizeof(cf));
	if (!top)
		return unik_err_set(err, UNIK_E_INTERNAL, "image %s (%.*s) has no manifest digest",
				    im->name ? im->name : "<none>", UNIK_SHORT_ID_LEN, im->id);
	dir = xasprintf("%s/published/%s", top, p->name);
	path = xasprintf("%s.ref", dir);
	pthread_mutex_lock(&publish_lock);
	if (read_ref(path, ref) == 0) {
		rc = 0;
		goto done;
	}
	if (fs_mkdir_p(dir, 0700, err) ||
	    (im->kernel && blobs_path(d->state_dir, im->kernel, &kernel, err)) ||
	    companion_files_get(d, im, p, 1, &cf, err))
		goto done;
	fill_spec(d, im, disk, dir, kernel, &s);
	s.companion_format = cf.format;
	s.companion_kernel = cf.kernel;
	s.companion_disk = cf.disk;
	s.companion_digest = cf.digest;
	s.progress = progress;
	s.progress_ctx = ctx;
	unikd_log("image %s: publishing it on %s", im->id, p->name);
	if (provider_publish(p, &s, buf, sizeof(buf), err)) {
		unik_err_prefix(err, "publishing image %s (%.*s) on %s",
				im->name ? im->name : "<none>", UNIK_SHORT_ID_LEN, im->id, p->name);
		goto done;
	}
	if (fs_write_file_atomic(path, buf, strlen(buf), 0600, err))
		goto done;
	unikd_log("image %s: published on %s as %s", im->id, p->name, buf);
	*ref = xstrdup(buf);
	rc = 0;
done:
	pthread_mutex_unlock(&publish_lock);
	companion_files_release(&cf);
	free(top);
	free(dir);
	free(path);
	free(kernel);
	return rc;
}

int published_remove(struct unikd *d, const struct unik_image *im, int force, struct unik_err *err)
{
	char *top = stagings_dir(d, im), *pub;
	int rc = 0;

	if (!top)
		return 0;
	pub = xasprintf("%s/published", top);
	pthread_mutex_lock(&publish_lock);
	for (size_t i = 0; unik_providers[i]; i++) {
		const struct unik_provider *p = unik_providers[i];
		char *dir = xasprintf("%s/%s", pub, p->name), *path = xasprintf("%s.ref", dir);
		struct unik_err e = UNIK_ERR_INIT;
		struct unik_publish_spec s;
		char *ref = NULL;

		if (read_ref(path, &ref) == 0) {
			fill_spec(d, im, NULL, dir, NULL, &s);
			if (provider_unpublish(p, &s, ref, &e) == 0 || force) {
				if (e.code != UNIK_E_OK)
					unikd_log("image %s: its copy %s on %s is left there: %s",
						  im->id, ref, p->name, e.msg);
				else
					unikd_log("image %s: unpublished %s from %s", im->id, ref,
						  p->name);
				unlink(path);
				fs_remove_tree(dir, NULL);
			} else if (rc == 0) {
				unik_err_set(err, e.code,
					     "removing image %s's (%.*s) copy %s on %s: %s",
					     im->name ? im->name : "<none>", UNIK_SHORT_ID_LEN,
					     im->id, ref, p->name, e.msg);
				rc = -1;
			}
		}
		free(ref);
		free(dir);
		free(path);
	}
	pthread_mutex_unlock(&publish_lock);
	free(pub);
	free(top);
	return rc;
}

void published_fill(struct unikd *d, struct unik_image *im)
{
	char *top = stagings_dir(d, im);

	strv_release(&im->published);
	for (size_t i = 0; top && unik_providers[i]; i++) {
		char *path = xasprintf("%s/published/%s.ref", top, unik_providers[i]->name), *ref;

		if (read_ref(path, &ref) == 0) {
			strv_push(&im->published, unik_providers[i]->name);
			free(ref);
		}
		free(path);
	}
	free(top);
}
