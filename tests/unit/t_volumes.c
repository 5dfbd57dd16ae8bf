/* t_volumes.c - instances with volumes against the mock providers: what a
 * provider is given (disk order, formats, converted read-only copies), the
 * one-writer rule (also under concurrent starts), many readers, 501 for a
 * provider without volumes or without hot-plug, hot-plug on one that has
 * it, and detach/attach of stopped instances. */
#include <sys/stat.h>

#include "../../daemon/instance_volumes.h"
#include "../../daemon/volume_attach.h"
#include "../../daemon/volume_disk.h"
#include "daemon_fixture.h"
#include "tap.h"

/* A volume record with a real (empty) disk of file system `type`. */
static void volume(struct unikd *d, const char *name, const char *type)
{
	struct unik_volume v;
	struct unik_err err = UNIK_ERR_INIT;
	long long size = 2 << 20;
	char *dir, *disk;

	unik_volume_init(&v);
	v.id = blobs_digest_buf(name, strlen(name));
	memmove(v.id, v.id + strlen("sha256:"), strlen(v.id) - strlen("sha256:") + 1);
	v.name = xstrdup(name);
	v.type = xstrdup(type);
	v.format = xstrdup("raw");
	v.created = unikd_now();
	dir = volume_dir(d, v.id);
	disk = volume_master_path(d, v.id);
	if (fs_mkdir_p(dir, 0700, &err) || volume_disk_make(d, type, &size, NULL, NULL, disk, &err))
		printf("# cannot make %s: %s\n", name, err.msg);
	v.size = size;
	if (store_volume_put(d->store, &v, &err))
		abort();
	free(dir);
	free(disk);
	unik_volume_release(&v);
}

static int run_vols(struct unikd *d, const char *name, const char *provider, int start,
		    const char *const *vols, struct unik_instance *out, struct unik_err *err)
{
	struct unik_run_request rq;
	int rc;

	unik_run_request_init(&rq);
	rq.image = xstrdup("hello");
	rq.name = xstrdup(name);
	rq.provider = xstrdup(provider);
	rq.start = start;
	for (size_t i = 0; vols && vols[i]; i++)
		strv_push(&rq.volumes, vols[i]);
	unik_instance_init(out);
	unik_err_clear(err);
	rc = instance_create(d, &rq, out, err);
	unik_run_request_release(&rq);
	return rc;
}

static char *disks_of(const char *id)
{
	static char buf[512];

	buf[0] = 0;
	mock_vm_disks(id, buf, sizeof(buf));
	return buf;
}

static int users_running(struct unikd *d, const char *name)
{
	struct unik_volume v;
	char *id = NULL;
	int n = 0;

	unik_volume_init(&v);
	if (store_volume_resolve(d->store, name, &id, NULL) == 0 &&
	    store_volume_get(d->store, id, &v, NULL) == 0 &&
	    store_volume_users(d->store, &v, NULL) == 0)
		for (size_t i = 0; i < v.n_users; i++)
			n += v.users[i].running;
	unik_volume_release(&v);
	free(id);
	return n;
}

static void given_to_providers(struct unikd *d)
{
	static const char *const vols[] = { "data:/data", "cfg:/etc/cfg:ro", NULL };
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in;
	char id[UNIK_ID_LEN + 1];
	struct stat st;
	char *copy, *vid = NULL;

	ok(run_vols(d, "a", "mock", 1, vols, &in, &err) == 0, "a run with two volumes: %s",
	   err.msg);
	snprintf(id, sizeof(id), "%s", in.id ? in.id : "");
	is_int((int)in.n_volumes, 2, "the record lists both");
	is_str(disks_of(id), "data:/data:rw:raw cfg:/etc/cfg:ro:qcow2",
	       "the provider got them in disk order: rw on the raw master, ro as configured");
	store_volume_resolve(d->store, "cfg", &vid, NULL);
	copy = unikd_path(d, "volumes/%s/disk.0.qcow2", vid ? vid : "?");
	ok(stat(copy, &st) == 0, "the read-only volume was converted and cached: %s", copy);
	free(copy);
	free(vid);
	is_int(users_running(d, "data"), 1, "data has a running user");
	unik_instance_release(&in);
	ok(instance_stop(d, id, 1, &in, &err) == 0, "stop: %s", err.msg);
	unik_instance_release(&in);
	is_int(users_running(d, "data"), 0, "and then none");
	ok(instance_remove(d, id, 0, &err) == 0, "rm: %s", err.msg);
}

static void one_writer(struct unikd *d)
{
	static const char *const rw[] = { "data:/data", NULL };
	static const char *const ro[] = { "data:/data:ro", NULL };
	static const char *const cfg[] = { "cfg:/cfg:ro", NULL };
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance a, b, c, r1, r2;
	struct fx_async s1, s2;

	ok(run_vols(d, "w1", "mock", 1, rw, &a, &err) == 0, "a writer runs: %s", err.msg);
	ok(run_vols(d, "w2", "mock", 1, rw, &b, &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "a second writer is 409: %s", err.msg);
	is_int(fx_state(d, b.id), -1, "and leaves no record");
	unik_instance_release(&b);
	ok(run_vols(d, "w2", "mock", 0, rw, &b, &err) == 0, "it can be created, not started: %s",
	   err.msg);
	unik_instance_init(&c);
	ok(instance_start(d, b.id, &c, &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "its start is 409 too: %s", err.msg);
	unik_instance_release(&c);
	is_int(fx_state(d, b.id), UNIK_STATE_CREATED, "that record is kept as it was");
	ok(run_vols(d, "r0", "mock", 1, ro, &c, &err) < 0 && err.code == UNIK_E_CONFLICT,
	   "a reader while it is written is 409: %s", err.msg);
	ok(run_vols(d, "r1", "mock", 1, cfg, &r1, &err) == 0 &&
	       run_vols(d, "r2", "mock-proc", 1, cfg, &r2, &err) == 0,
	   "two readers of another volume run: %s", err.msg);
	is_int(users_running(d, "cfg"), 2, "both counted");
	ok(instance_stop(d, a.id, 1, &c, &err) == 0, "the writer stops");
	unik_instance_release(&c);
	ok(instance_start(d, b.id, &c, &err) == 0, "now the second writer starts: %s", err.msg);
	unik_instance_release(&c);
	ok(instance_stop(d, b.id, 1, &c, &err) == 0, "and stops");
	unik_instance_release(&c);

	/* two starts at once: exactly one of them gets the volume */
	fx_async(&s1, d, FX_START, a.id, NULL);
	fx_async(&s2, d, FX_START, b.id, NULL);
	fx_join(&s1);
	fx_join(&s2);
	ok((s1.rv == 0) != (s2.rv == 0), "of two concurrent writers' starts exactly one runs");
	ok((s1.rv ? s1.err.code : s2.err.code) == UNIK_E_CONFLICT, "the other is 409: %s",
	   s1.rv ? s1.err.msg : s2.err.msg);
	is_int(users_running(d, "data"), 1, "one running user");
	unik_instance_release(&s1.out);
	unik_instance_release(&s2.out);
	ok(instance_remove(d, a.id, 1, &err) == 0 && instance_remove(d, b.id, 1, &err) == 0 &&
	       instance_remove(d, r1.id, 1, &err) == 0 && instance_remove(d, r2.id, 1, &err) == 0,
	   "all removed: %s", err.msg);
	ok(c.id == NULL, "nothing else");
	unik_instance_release(&a);
	unik_instance_release(&b);
	unik_instance_release(&r1);
	unik_instance_release(&r2);
}

static void unsupported(struct unikd *d)
{
	static const char *const rw[] = { "data:/data", NULL };
	static const char *const two[] = { "data:/a", "cfg:/b:ro", NULL };
	static const char *const three[] = { "data:/a", "cfg:/b:ro", "spare:/c", NULL };
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in;
	struct unik_attach_request rq = { NULL, "/spare", 0 };
	char id[UNIK_ID_LEN + 1];
	int before = fx_count(d);

	ok(run_vols(d, "n1", "mock-none", 0, rw, &in, &err) < 0 && err.code == UNIK_E_UNSUPPORTED,
	   "a provider without volumes: 501 (%s)", err.msg);
	unik_instance_release(&in);
	ok(run_vols(d, "n2", "mock-proc", 0, three, &in, &err) < 0 && err.code == UNIK_E_INVALID,
	   "more volumes than the provider takes: 400 (%s)", err.msg);
	unik_instance_release(&in);
	is_int(fx_count(d), before, "no record made");
	ok(run_vols(d, "p1", "mock-proc", 1, two, &in, &err) == 0, "two on mock-proc: %s", err.msg);
	snprintf(id, sizeof(id), "%s", in.id ? in.id : "");
	rq.instance = id;
	unik_instance_release(&in);
	ok(volume_attach(d, "spare", &rq, &in, &err) < 0 && err.code == UNIK_E_UNSUPPORTED,
	   "hot-plug on a provider without it: 501 (%s)", err.msg);
	ok(volume_detach(d, "cfg", "p1", &in, &err) < 0 && err.code == UNIK_E_UNSUPPORTED,
	   "detach too");
	ok(instance_remove(d, id, 1, &err) == 0, "rm -f: %s", err.msg);
}

static void hotplug(struct unikd *d)
{
	static const char *const rw[] = { "data:/data", NULL };
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_instance in, out;
	struct unik_attach_request rq = { NULL, "/spare", 0 };
	char id[UNIK_ID_LEN + 1];

	ok(run_vols(d, "h1", "mock", 1, rw, &in, &err) == 0, "runs with one volume: %s", err.msg);
	snprintf(id, sizeof(id), "%s", in.id ? in.id : "");
	rq.instance = id;
	unik_instance_release(&in);
	ok(volume_attach(d, "spare", &rq, &out, &err) == 0, "hot-plug attach: %s", err.msg);
	is_str(disks_of(id), "data:/data:rw:raw spare:/spare:rw:raw", "the VM has the new disk");
	is_int((int)out.n_volumes, 2, "and the record");
	unik_instance_release(&out);
	rq.path = "/data/x";
	ok(volume_attach(d, "cfg", &rq, &out, &err) < 0 && err.code == UNIK_E_INVALID,
	   "an overlapping path: 400 (%s)", err.msg);
	ok(volume_detach(d, "data", id, &out, &err) == 0, "hot-plug detach: %s", err.msg);
	is_str(disks_of(id), "spare:/spare:rw:raw", "the VM lost the disk");
	ok(out.n_volumes == 1 && !strcmp(out.volumes[0].name, "spare"), "so did the record");
	unik_instance_release(&out);
	ok(volume_detach(d, "data", id, &out, &err) < 0 && err.code == UNIK_E_NOT_FOUND,
	   "detach of a volume it does not mount: 404");
	ok(instance_stop(d, id, 1, &out, &err) == 0, "stop");
	unik_instance_release(&out);
	rq.path = "/cfg";
	rq.read_only = 1;
	ok(volume_attach(d, "cfg", &rq, &out, &err) == 0 && out.n_volumes == 2,
	   "attach to a stopped instance: %s", err.msg);
	unik_instance_release(&out);
	ok(instance_start(d, id, &out, &err) == 0, "start: %s", err.msg);
	is_str(disks_of(id), "spare:/spare:rw:raw cfg:/cfg:ro:qcow2", "it boots with both");
	unik_instance_release(&out);
	ok(instance_remove(d, id, 1, &err) == 0, "rm -f");
}

int main(void)
{
	char *root = fx_root();
	struct unikd d;
	char *image;

	if (fx_up(&d, root, "[mock]\nvolume_format = qcow2\n") < 0)
		return 1;
	image = fx_image(&d, "hello", UNIK_FORMAT_UNIK_ELF);
	volume(&d, "data", "ext2");
	volume(&d, "cfg", "ext4");
	volume(&d, "spare", "ext2");
	given_to_providers(&d);
	one_writer(&d);
	unsupported(&d);
	hotplug(&d);
	ok(mock_vms_running() == 0, "no mock VM runs");
	fx_down(&d);
	fs_remove_tree(root, NULL);
	free(root);
	free(image);
	return tap_done();
}
