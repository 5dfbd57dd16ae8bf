/* t_companion.c - an image's companion (unik build --provider): its JSON
 * (api/types.c), the store's columns that keep its blobs (daemon/store.c,
 * schema step 2), and the aws provider's side: which families give ENA
 * (the table behind the pick of the linux base, aws_nitro.c) and the
 * two-pair reference (aws.c). */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../daemon/store.h"
#include "../../lib/xalloc.h"
#include "../../providers/aws/aws_int.h"
#include "tap.h"

/* An image `id` with kernel blob `kernel` and a linux companion of blobs
 * `ck` and `ci`. */
static void image_with_companion(struct unik_image *im, const char *id, const char *kernel,
				 const char *ck, const char *ci)
{
	unik_image_init(im);
	im->id = xstrdup(id);
	im->name = xstrdup(id);
	im->kernel = xstrdup(kernel);
	im->companion.compiler = xstrdup("linux");
	im->companion.format = xstrdup("linux-initrd");
	im->companion.kernel = xstrdup(ck);
	im->companion.initrd = xstrdup(ci);
}

static void t_codec(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_image a, b;
	json_t *j;

	image_with_companion(&a, "abcd", "sha256:k0", "sha256:k", "sha256:i");
	a.compiler = xstrdup("c");
	a.format = xstrdup("unik-elf");
	a.companion.memory_mb = 256;
	j = unik_image_to_json(&a);
	unik_image_init(&b);
	ok(unik_image_from_json(j, &b, &err) == 0, "an image with a companion decodes: %s",
	   err.msg);
	ok(b.companion.compiler && !strcmp(b.companion.compiler, "linux") &&
	       !strcmp(b.companion.format, "linux-initrd") &&
	       !strcmp(b.companion.kernel, "sha256:k") && !strcmp(b.companion.initrd, "sha256:i") &&
	       b.companion.memory_mb == 256,
	   "its companion round-trips");
	json_decref(j);
	unik_image_release(&b);
	unik_image_release(&a);

	unik_image_init(&a);
	a.id = xstrdup("abcd");
	j = unik_image_to_json(&a);
	ok(json_is_null(json_object_get(j, "companion")), "no companion: null");
	unik_image_init(&b);
	ok(unik_image_from_json(j, &b, &err) == 0 && !b.companion.compiler, "null decodes to none");
	json_decref(j);
	unik_image_release(&b);
	unik_image_release(&a);

	static const char *const bad[] = {
		"{\"id\":\"x\",\"companion\":3}",
		"{\"id\":\"x\",\"companion\":{}}",
		"{\"id\":\"x\",\"companion\":{\"compiler\":\"linux\",\"format\":\"linux-initrd\"}}",
		"{\"id\":\"x\",\"companion\":{\"compiler\":1,\"format\":\"f\",\"kernel\":\"k\"}}",
		"{\"id\":\"x\",\"companion\":{\"compiler\":\"l\",\"format\":\"f\",\"kernel\":\"k\","
		"\"memory\":-1}}",
		"{\"id\":\"x\",\"companion\":{\"compiler\":\"l\",\"format\":\"f\",\"kernel\":\"k\","
		"\"memory\":99999999999}}",
		"{\"id\":\"x\",\"companion\":{\"compiler\":\"l\",\"format\":\"f\",\"kernel\":\"k\","
		"\"initrd\":[]}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *h = json_loads(bad[i], 0, NULL);

		unik_err_clear(&err);
		unik_image_init(&b);
		ok(h && unik_image_from_json(h, &b, &err) < 0 && err.code == UNIK_E_INVALID,
		   "hostile companion %zu refused: %s", i, err.msg);
		unik_image_release(&b);
		json_decref(h);
	}
}

/* A database of schema 1 (no companion columns) gets them at open, and
 * the companion's blobs count as used. */
static void t_store(void)
{
	char tmpl[] = "/tmp/unik-t-companion.XXXXXX";
	char *dir = mkdtemp(tmpl), *db = xasprintf("%s/unik.db", dir);
	struct unik_err err = UNIK_ERR_INIT;
	struct store *st = NULL;
	struct unik_image im, got;
	sqlite3 *h;
	int users = -1;

	ok(sqlite3_open(db, &h) == SQLITE_OK &&
	       sqlite3_exec(h,
			    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
			    "INSERT INTO meta VALUES('schema_version','1');"
			    "CREATE TABLE images(id TEXT PRIMARY KEY, name TEXT UNIQUE,"
			    " kernel TEXT, initrd TEXT, created INTEGER, doc TEXT NOT NULL);"
			    "INSERT INTO images VALUES('old1', 'old', 'sha256:k0', NULL, 1,"
			    " '{\"id\":\"old1\",\"name\":\"old\",\"kernel\":\"sha256:k0\"}');",
			    NULL, NULL, NULL) == SQLITE_OK,
	   "a schema-1 database");
	sqlite3_close(h);
	ok(store_open(&st, db, &err) == 0, "it opens (schema step 2): %s", err.msg);
	unik_image_init(&got);
	ok(st && store_image_get(st, "old1", &got, &err) == 0 && !got.companion.compiler,
	   "its image is there, without a companion");
	unik_image_release(&got);
	image_with_companion(&im, "new1", "sha256:k1", "sha256:ck", "sha256:ci");
	ok(store_image_put(st, &im, &err) == 0, "an image with a companion is saved: %s", err.msg);
	ok(store_blob_users(st, "sha256:ck", &users, &err) == 0 && users == 1,
	   "the companion's kernel blob has a user");
	ok(store_blob_users(st, "sha256:ci", &users, &err) == 0 && users == 1,
	   "the companion's initrd blob has a user");
	ok(store_blob_users(st, "sha256:zz", &users, &err) == 0 && users == 0, "another has none");
	store_close(st);
	st = NULL;
	ok(store_open(&st, db, &err) == 0, "it opens again (the step is not made twice): %s",
	   err.msg);
	ok(store_image_delete(st, "new1", &err) == 0 &&
	       store_blob_users(st, "sha256:ck", &users, &err) == 0 && users == 0,
	   "the image removed: its companion's blob is free");
	store_close(st);
	unik_image_release(&im);
	unlink(db);
	{
		char *wal = xasprintf("%s-wal", db), *shm = xasprintf("%s-shm", db);

		unlink(wal);
		unlink(shm);
		free(wal);
		free(shm);
	}
	rmdir(dir);
	free(db);
}

/* The family table (EC2's answer first when it gave one). */
static void t_families(void)
{
	static const struct {
		const char *type, *hv, *ena;
		int want;
	} c[] = {
		{ "t2.micro", "", "", 0 },
		{ "t2.2xlarge", "", "", 0 },
		{ "m4.large", "", "", 0 },
		{ "m4.10xlarge", "", "", 0 },
		{ "m4.16xlarge", "", "", 1 },
		{ "c4.large", "", "", 0 },
		{ "m3.medium", "", "", 0 },
		{ "r3.large", "", "", 0 },
		{ "t3.micro", "", "", 1 },
		{ "t3a.micro", "", "", 1 },
		{ "m5.large", "", "", 1 },
		{ "c5.large", "", "", 1 },
		{ "m6i.large", "", "", 1 },
		{ "r4.large", "", "", 1 },
		{ "x1.16xlarge", "", "", 1 },
		{ "t2", "", "", 1 },
		{ "", "", "", 1 },
		{ "t2x.micro", "", "", 1 },
		{ "t2.micro", "xen", "unsupported", 0 },
		{ "t2.micro", "xen", "supported", 1 },
		{ "m5.large", "nitro", "required", 1 },
		{ "m5.large", "nitro", "", 1 },
		{ "m4.16xlarge", "xen", "supported", 1 },
		{ "c4.large", "xen", "unsupported", 0 },
		{ "zz.large", "nitro", "unsupported", 1 },
	};
	const char *const *xen = aws_xen_families();
	int has_t2 = 0, has_t3 = 0;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		ok(aws_type_has_ena(c[i].type, c[i].hv, c[i].ena) == c[i].want,
		   "%s (hypervisor '%s', ena '%s'): %s", c[i].type, c[i].hv, c[i].ena,
		   c[i].want ? "ENA: the linux base" : "no ENA: the image");
	for (size_t i = 0; xen[i]; i++) {
		has_t2 |= !strcmp(xen[i], "t2");
		has_t3 |= !strcmp(xen[i], "t3");
	}
	ok(has_t2 && !has_t3, "the table lists t2, not t3");
	ok(aws_type_has_ena(NULL, NULL, NULL) == 1, "no type: ENA (the safe answer)");
}

static void t_refs(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	char ami[EC2_ID_MAX], snap[EC2_ID_MAX], ca[EC2_ID_MAX], cs[EC2_ID_MAX];

	ok(aws_ref_parse2("ami-01 snap-02", ami, snap, ca, cs, &err) == 0 &&
	       !strcmp(ami, "ami-01") && !strcmp(snap, "snap-02") && !ca[0] && !cs[0],
	   "one pair: no companion");
	ok(aws_ref_parse2("ami-01 snap-02 ami-0a snap-0b", ami, snap, ca, cs, &err) == 0 &&
	       !strcmp(ami, "ami-01") && !strcmp(snap, "snap-02") && !strcmp(ca, "ami-0a") &&
	       !strcmp(cs, "snap-0b"),
	   "two pairs: the companion's second");
	ok(aws_ref_parse("ami-01 snap-02 ami-0a snap-0b", ami, snap, &err) == 0 &&
	       !strcmp(ami, "ami-01") && !strcmp(snap, "snap-02"),
	   "aws_ref_parse takes the first pair of two");
	static const char *const bad[] = {
		"ami-01 snap-02 ami-0a",	  "ami-01 snap-02 ",
		"ami-01 snap-02 snap-0a ami-0b",  "ami-01 snap-02 ami-0a snap-0b x",
		"ami-01 snap-02 ami-0a snap-0Z",  "ami-01 snap-02  ami-0a snap-0b",
		"ami-01 snap-02 ami-0a snap-0b ", "ami-01  snap-02",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unik_err_clear(&err);
		ok(aws_ref_parse2(bad[i], ami, snap, ca, cs, &err) < 0 &&
		       err.code == UNIK_E_INVALID && !ca[0],
		   "'%s' refused", bad[i]);
	}
}

int main(void)
{
	t_codec();
	t_store();
	t_families();
	t_refs();
	return tap_done();
}
