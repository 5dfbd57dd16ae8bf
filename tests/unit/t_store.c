/* t_store.c - the SQLite store: records, name/prefix lookup, persistence,
 * and a rename that is one transaction. */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../daemon/store.h"
#include "../../lib/fsutil.h"
#include "../../lib/xalloc.h"
#include "tap.h"

static void image(struct unik_image *im, const char *id, const char *name, const char *kernel)
{
	unik_image_init(im);
	im->id = xstrdup(id);
	im->name = xstrdup(name);
	im->compiler = xstrdup("linux");
	im->format = xstrdup("linux-initrd");
	im->kernel = xstrdup(kernel);
	im->created = 100;
}

static void instance(struct unik_instance *in, const char *id, const char *name, const char *image,
		     enum unik_state st)
{
	unik_instance_init(in);
	in->id = xstrdup(id);
	in->name = xstrdup(name);
	in->image = xstrdup(image);
	in->provider = xstrdup("qemu");
	in->state = st;
}

/* Runs `sql` on the database file through a connection of its own. */
static int sql_on(const char *db, const char *sql)
{
	sqlite3 *h;
	int rc;

	if (sqlite3_open(db, &h) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(h, 5000);
	rc = sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	sqlite3_close(h);
	return rc;
}

static int name_is(struct store *st, const char *id, const char *name)
{
	struct unik_image im;
	int same;

	unik_image_init(&im);
	same = store_image_get(st, id, &im, NULL) == 0 &&
	       (name ? im.name && !strcmp(im.name, name) : !im.name);
	unik_image_release(&im);
	return same;
}

/* The volumes table: records, users through the instances' records, and a
 * volume a record mounts cannot be deleted. */
static void volumes(struct store *st)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_volume v, got, *list = NULL;
	struct unik_instance in, back;
	size_t n = 0;
	char *id = NULL;

	unik_volume_init(&v);
	v.id = xstrdup("cccc5555");
	v.name = xstrdup("data");
	v.type = xstrdup("ext2");
	v.format = xstrdup("raw");
	v.size = 8 << 20;
	v.created = 200;
	ok(store_volume_put(st, &v, &err) == 0, "volume saved: %s", err.msg);
	free(v.id);
	v.id = xstrdup("cccc6666");
	ok(store_volume_put(st, &v, &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "a second volume of the same name is a conflict");
	free(v.id);
	v.id = xstrdup("cccc5555");
	ok(store_volume_resolve(st, "data", &id, &err) == 0 && !strcmp(id, "cccc5555"),
	   "a volume resolves by name");
	free(id);
	unik_volume_init(&got);
	ok(store_volume_get(st, "cccc5555", &got, &err) == 0 && got.size == 8 << 20 &&
	       !strcmp(got.type, "ext2") && got.n_users == 0,
	   "and reads back");
	unik_volume_release(&got);

	instance(&in, "eeee7777", "user1", "aaaa1111", UNIK_STATE_RUNNING);
	in.volumes = xcalloc(1, sizeof(*in.volumes));
	in.volumes[0] =
	    (struct unik_mount){ xstrdup("cccc5555"), xstrdup("data"), xstrdup("/data"), 1 };
	in.n_volumes = 1;
	ok(store_instance_put(st, &in, &err) == 0, "an instance that mounts it saved");
	unik_instance_init(&back);
	ok(store_instance_get(st, "eeee7777", &back, &err) == 0 && back.n_volumes == 1 &&
	       !strcmp(back.volumes[0].path, "/data") && back.volumes[0].read_only,
	   "its record keeps the mount");
	unik_instance_release(&back);
	unik_volume_init(&got);
	got.id = xstrdup("cccc5555");
	ok(store_volume_users(st, &got, &err) == 0 && got.n_users == 1 &&
	       !strcmp(got.users[0].instance_name, "user1") && got.users[0].running &&
	       got.users[0].read_only,
	   "the volume's users come from the instances' records");
	unik_volume_release(&got);
	ok(store_volume_delete(st, "cccc5555", &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "a mounted volume cannot be deleted: %s", err.msg);
	in.volumes[0].volume[0] = 'x'; /* no such volume */
	ok(store_instance_put(st, &in, &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "a record cannot mount a volume that does not exist");
	ok(store_instance_get(st, "eeee7777", &back, &err) == 0 && back.n_volumes == 1 &&
	       !strcmp(back.volumes[0].volume, "cccc5555"),
	   "and the failed put changed nothing");
	unik_instance_release(&back);
	unik_mounts_free(in.volumes, in.n_volumes);
	in.volumes = NULL;
	in.n_volumes = 0;
	ok(store_instance_put(st, &in, &err) == 0, "the instance lets go of it");
	ok(store_volume_list(st, &list, &n, &err) == 0 && n == 1, "one volume listed");
	store_volumes_free(list, n);
	ok(store_volume_delete(st, "cccc5555", &err) == 0, "then it can be deleted");
	ok(store_volume_get(st, "cccc5555", &got, &err) < 0 && err.code == UNIK_E_NOT_FOUND,
	   "and is gone");
	ok(store_instance_delete(st, "eeee7777", &err) == 0, "the instance removed");
	unik_instance_release(&in);
	unik_volume_release(&v);
}

/* store_image_put_tagged: the name moves with the new image, or not at all. */
static void tagged(struct store *st, const char *db)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_image im;
	char *id = NULL;

	image(&im, "ffff0001", "tagme", "sha256:k1");
	ok(store_image_put_tagged(st, &im, &err) == 0, "put_tagged saves a new name");
	unik_image_release(&im);
	/* the new image's insert fails after the old one lost its name */
	ok(sql_on(db, "CREATE TRIGGER fail_put BEFORE INSERT ON images WHEN NEW.id = 'ffff0002'"
		      " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END") == 0,
	   "a trigger refuses the next image");
	image(&im, "ffff0002", "tagme", "sha256:k1");
	ok(store_image_put_tagged(st, &im, &err) < 0, "put_tagged fails: %s", err.msg);
	ok(name_is(st, "ffff0001", "tagme"), "and the old image keeps its name (rolled back)");
	ok(store_image_get(st, "ffff0002", &(struct unik_image){ 0 }, NULL) < 0,
	   "the new image is not there");
	ok(sql_on(db, "DROP TRIGGER fail_put") == 0, "the trigger goes");
	ok(store_image_put_tagged(st, &im, &err) == 0, "put_tagged succeeds: %s", err.msg);
	ok(name_is(st, "ffff0001", NULL) && name_is(st, "ffff0002", "tagme"),
	   "the name moved to the new image");
	ok(store_image_resolve(st, "tagme", &id, &err) == 0 && !strcmp(id, "ffff0002"),
	   "and resolves to it");
	free(id);
	ok(store_image_put_tagged(st, &im, &err) == 0 && name_is(st, "ffff0002", "tagme"),
	   "saving it again under its own name is fine");
	unik_image_release(&im);
	store_image_delete(st, "ffff0001", NULL);
	store_image_delete(st, "ffff0002", NULL);
}

/* GET /v1/instances' list from the stored texts: the same documents as
 * decoding and encoding each record, the same filter, and an older
 * unikd's record (a field missing) brought to today's shape first. */
static void instance_docs(const char *db)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance a, b, c;
	struct strbuf out = STRBUF_INIT;
	struct store *st = NULL;
	json_t *arr, *want;
	size_t n = 0;

	ok(store_open(&st, db, &err) == 0, "docs: store opens: %s", err.msg);
	instance(&a, "dddd0001", "docs-running", "aaaa0001", UNIK_STATE_RUNNING);
	instance(&b, "dddd0002", "docs-exited", "aaaa0001", UNIK_STATE_EXITED);
	instance(&c, "dddd0003", "docs-summon", "aaaa0001", UNIK_STATE_CREATED);
	a.created = 30;
	b.created = 20;
	c.created = 10;
	c.summon.enabled = 1;
	strv_push(&a.labels, "k=v \"quoted\" \xc3\xa9");
	ok(store_instance_put(st, &a, &err) == 0 && store_instance_put(st, &b, &err) == 0 &&
	       store_instance_put(st, &c, &err) == 0,
	   "docs: three records saved");
	ok(store_instance_docs(st, 1, &out, &err) == 0, "docs: all listed: %s", err.msg);
	arr = json_loads(strbuf_str(&out), 0, NULL);
	want = json_array();
	json_array_append_new(want, unik_instance_to_json(&a));
	json_array_append_new(want, unik_instance_to_json(&b));
	json_array_append_new(want, unik_instance_to_json(&c));
	ok(arr && json_array_size(arr) >= 3 &&
	       json_equal(json_array_get(arr, 0), json_array_get(want, 0)) &&
	       json_equal(json_array_get(arr, 1), json_array_get(want, 1)) &&
	       json_equal(json_array_get(arr, 2), json_array_get(want, 2)),
	   "docs: the stored texts are the API's documents, newest first");
	json_decref(arr);
	strbuf_reset(&out);
	ok(store_instance_docs(st, 0, &out, &err) == 0, "docs: active listed");
	arr = json_loads(strbuf_str(&out), 0, NULL);
	{
		int has_a = 0, has_b = 0, has_c = 0;
		size_t i;
		json_t *e;

		json_array_foreach (arr, i, e) {
			const char *id = json_string_value(json_object_get(e, "id"));

			has_a |= id && !strcmp(id, "dddd0001");
			has_b |= id && !strcmp(id, "dddd0002");
			has_c |= id && !strcmp(id, "dddd0003");
		}
		ok(arr && has_a && !has_b && has_c,
		   "docs: without all, the running and the summonable ones, not the exited");
	}
	json_decref(arr);
	store_close(st);
	st = NULL;

	/* an older unikd wrote the exited one without its labels field */
	ok(sql_on(db, "UPDATE instances SET doc = json_remove(doc, '$.labels')"
		      " WHERE id = 'dddd0002'") == 0,
	   "docs: a record made older by hand");
	ok(store_open(&st, db, &err) == 0 && store_instance_docs_refresh(st, NULL, &n, &err) == 0 &&
	       n == 1,
	   "docs: the refresh rewrites exactly the older record (%zu)", n);
	strbuf_reset(&out);
	ok(store_instance_docs(st, 1, &out, &err) == 0, "docs: listed after the refresh");
	arr = json_loads(strbuf_str(&out), 0, NULL);
	ok(arr && json_equal(json_array_get(arr, 1), json_array_get(want, 1)),
	   "docs: the older record now reads as today's encoder writes it");
	json_decref(arr);
	ok(store_instance_docs_refresh(st, "rev-1", &n, &err) == 0 && n == 0,
	   "docs: a second refresh has nothing to do");
	ok(sql_on(db, "UPDATE instances SET doc = json_remove(doc, '$.labels')"
		      " WHERE id = 'dddd0002'") == 0 &&
	       store_instance_docs_refresh(st, "rev-1", &n, &err) == 0 && n == 0,
	   "docs: the same build does not look again");
	ok(store_instance_docs_refresh(st, "rev-2", &n, &err) == 0 && n == 1,
	   "docs: another build does");
	ok(store_instance_delete(st, "dddd0001", &err) == 0 &&
	       store_instance_delete(st, "dddd0002", &err) == 0 &&
	       store_instance_delete(st, "dddd0003", &err) == 0,
	   "docs: records removed");
	json_decref(want);
	strbuf_release(&out);
	store_close(st);
	unik_instance_release(&a);
	unik_instance_release(&b);
	unik_instance_release(&c);
}

int main(void)
{
	char tmpl[] = "/tmp/unik-t-store.XXXXXX";
	char *dir = mkdtemp(tmpl), *db = xasprintf("%s/unik.db", dir), *id = NULL;
	struct unik_err err = UNIK_ERR_INIT;
	struct store *st = NULL;
	struct unik_image im, got;
	struct unik_instance in, in2;
	struct unik_image *list;
	size_t n = 0;
	int total = -1, running = -1, users = -1;

	ok(store_open(&st, db, &err) == 0, "store opens: %s", err.msg);
	volumes(st);
	image(&im, "aaaa1111", "hello", "sha256:k1");
	ok(store_image_put(st, &im, &err) == 0, "image saved");
	unik_image_release(&im);
	image(&im, "aaaa2222", "other", "sha256:k1");
	ok(store_image_put(st, &im, &err) == 0, "second image saved");
	unik_image_release(&im);
	image(&im, "bbbb3333", "hello", "sha256:k2");
	ok(store_image_put(st, &im, &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "duplicate image name is a conflict: %s", err.msg);
	ok(store_image_untag(st, "hello", &err) == 0, "untag the old image");
	ok(store_image_put(st, &im, &err) == 0, "then the name can move");
	unik_image_release(&im);

	ok(store_image_resolve(st, "hello", &id, &err) == 0 && !strcmp(id, "bbbb3333"),
	   "name resolves exactly");
	free(id);
	id = NULL;
	ok(store_image_resolve(st, "bbb", &id, &err) == 0 && !strcmp(id, "bbbb3333"),
	   "unique prefix resolves");
	free(id);
	id = NULL;
	ok(store_image_resolve(st, "aaaa", &id, &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "ambiguous prefix is a conflict");
	ok(store_image_resolve(st, "ell", &id, &err) < 0 && err.code == UNIK_E_NOT_FOUND,
	   "a substring of a name is not a match");
	ok(store_image_resolve(st, "1111", &id, &err) < 0 && err.code == UNIK_E_NOT_FOUND,
	   "a substring of an id is not a match");
	ok(store_image_resolve(st, "%", &id, &err) < 0 && err.code == UNIK_E_NOT_FOUND,
	   "wildcards are not patterns");

	image(&im, "dddd4444", "digested", "sha256:k3");
	im.digest = xstrdup("sha256:feed");
	ok(store_image_put(st, &im, &err) == 0, "image with a digest saved");
	unik_image_release(&im);
	ok(store_image_find_digest(st, "sha256:feed", &id, &err) == 0 && id &&
	       !strcmp(id, "dddd4444"),
	   "an image is found by its manifest digest");
	free(id);
	id = NULL;
	ok(store_image_find_digest(st, "sha256:none", &id, &err) == 0 && !id,
	   "an unknown digest finds nothing");
	ok(store_image_delete(st, "dddd4444", &err) == 0, "and it is deleted again");

	unik_image_init(&got);
	ok(store_image_get(st, "aaaa1111", &got, &err) == 0 && got.name == NULL,
	   "the untagged image has no name");
	unik_image_release(&got);
	ok(store_blob_users(st, "sha256:k1", &users, &err) == 0 && users == 2,
	   "blob used by two images (%d)", users);

	instance(&in, "cccc0001", "web", "bbbb3333", UNIK_STATE_RUNNING);
	ok(store_instance_put(st, &in, &err) == 0, "instance saved");
	instance(&in2, "cccc0002", "web", "bbbb3333", UNIK_STATE_EXITED);
	ok(store_instance_put(st, &in2, &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "duplicate instance name is a conflict");
	free(in2.name);
	in2.name = xstrdup("db");
	ok(store_instance_put(st, &in2, &err) == 0, "other name is fine");
	ok(store_image_users(st, "bbbb3333", &total, &running, &err) == 0 && total == 2 &&
	       running == 1,
	   "image users: %d total, %d running", total, running);
	{
		struct unik_instance watched, *v = NULL;
		size_t nv = 0;

		instance(&watched, "cccc0003", "api", "bbbb3333", UNIK_STATE_RUNNING);
		watched.pid = 4242;
		ok(store_instance_put(st, &watched, &err) == 0, "instance with a pid saved");
		ok(store_instance_list_unwatched(st, &v, &nv, &err) == 0 && nv == 1 &&
		       !strcmp(v[0].id, "cccc0001"),
		   "unwatched: only the running one without a pid");
		store_instances_free(v, nv);
		unik_instance_release(&watched);
	}
	{
		struct unik_instance starting, *v = NULL;
		enum unik_state parsed = UNIK_STATE_EXITED;
		size_t nv = 0;

		instance(&starting, "cccc0004", "boot", "bbbb3333", UNIK_STATE_STARTING);
		ok(store_instance_put(st, &starting, &err) == 0, "a starting instance saved");
		ok(store_image_users(st, "bbbb3333", &total, &running, &err) == 0 && running == 3,
		   "a starting instance counts as running for its image (%d)", running);
		ok(store_instance_list_unwatched(st, &v, &nv, &err) == 0 && nv == 1,
		   "but is not polled as unwatched");
		ok(unik_state_from_name("starting", &parsed) == 0 &&
		       parsed == UNIK_STATE_STARTING && unik_state_active(parsed),
		   "'starting' is a state of its own, and active");
		store_instances_free(v, nv);
		ok(store_instance_delete(st, "cccc0004", &err) == 0, "starting instance deleted");
		unik_instance_release(&starting);
	}
	tagged(st, db);
	store_close(st);
	st = NULL;
	instance_docs(db);

	ok(store_open(&st, db, &err) == 0, "store reopens");
	ok(store_image_list(st, &list, &n, &err) == 0 && n == 3, "images persist (%zu)", n);
	store_images_free(list, n);
	unik_instance_release(&in2);
	unik_instance_init(&in2);
	ok(store_instance_get(st, "cccc0001", &in2, &err) == 0 && in2.state == UNIK_STATE_RUNNING,
	   "instance persists with its state");
	ok(store_instance_delete(st, "cccc0001", &err) == 0, "instance deleted");
	ok(store_instance_delete(st, "cccc0001", &err) < 0 && err.code == UNIK_E_NOT_FOUND,
	   "second delete is NOT_FOUND");
	store_close(st);
	unik_instance_release(&in);
	unik_instance_release(&in2);
	fs_remove_tree(dir, NULL);
	free(db);
	return tap_done();
}
