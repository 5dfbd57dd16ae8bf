/* t_oci.c - registry references; the OCI layout of an image written and
 * read back (the same image, its kernel the same blob); deterministic tars;
 * hostile layouts refused with nothing stored: missing or wrong blobs,
 * changed bytes, wrong sizes, symlinked blobs, foreign digests and media
 * types, unknown formats; the registry's challenges and token replies. */
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../api/oci_ref.h"
#include "../../daemon/blobs.h"
#include "../../daemon/daemon.h"
#include "../../daemon/oci_challenge.h"
#include "../../daemon/oci_layout.h"
#include "../../daemon/oci_tar.h"
#include "../../daemon/store.h"
#include "../../lib/fsutil.h"
#include "../../lib/xalloc.h"
#include "tap.h"

static void refs(void)
{
	static const char *const good[][4] = {
		{ "127.0.0.1:5000/hello:v1", "127.0.0.1:5000", "hello", "v1" },
		{ "localhost/a/b", "localhost", "a/b", "latest" },
		{ "reg.example.org/team/my-app_x.y:1.0-rc_2", "reg.example.org", "team/my-app_x.y",
		  "1.0-rc_2" },
		{ "r.io/a__b--c:_t", "r.io", "a__b--c", "_t" },
		{ "r.io/a/"
		  "b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		  "r.io", "a/b", "latest" },
		{ "r.io:5000/"
		  "a:v2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		  "r.io:5000", "a", "v2" },
	};
	static const char *const bad[] = {
		"hello:v1", /* no registry */
		"library/hello", /* "library" is no host */
		"r.io/Hello", /* upper case */
		"r.io/a//b",
		"r.io/-a",
		"r.io/a-",
		"r.io/a:",
		"r.io/a:.x",
		"r.io/a:-x",
		"r.io/a@sha256:00",
		"r.io/"
		"a@sha256:"
		"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", /* upper case */
		"r.io/"
		"a@sha512:"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"r.io/"
		"a@sha256:"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef@"
		"sha256:"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"r.io/"
		"a@0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"r.io/a@",
		"@sha256:"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"r.io@sha256:"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"r.io/"
		"a:@sha256:"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"r.io/"
		"a@sha256:"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefx",
		"host:port/a",
		"r.io:/a",
		"",
		"r.io/",
		"r.io/a:"
		"0123456789012345678901234567890123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789012345678901234567890123456789"
		"0",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct unik_err err = UNIK_ERR_INIT;
		struct oci_ref r;

		if (!ok(oci_ref_parse(good[i][0], &r, &err) == 0, "parses %s", good[i][0])) {
			printf("#   %s\n", err.msg);
			continue;
		}
		is_str(r.registry, good[i][1], "%s: registry", good[i][0]);
		is_str(r.repo, good[i][2], "%s: repo", good[i][0]);
		is_str(r.tag, good[i][3], "%s: tag", good[i][0]);
		ok(!strchr(good[i][0], '@') == !r.digest &&
		       (!r.digest || !strcmp(r.digest, strchr(good[i][0], '@') + 1)),
		   "%s: digest", good[i][0]);
		{
			const char *path = good[i][0] + strlen(r.registry) + 1;
			size_t n = strcspn(path, "@");

			ok(r.tagged == (memchr(path, ':', n) != NULL), "%s: tagged", good[i][0]);
		}
		oci_ref_release(&r);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct unik_err err = UNIK_ERR_INIT;
		struct oci_ref r;

		ok(oci_ref_parse(bad[i], &r, &err) < 0 && err.code == UNIK_E_INVALID && err.msg[0],
		   "refuses '%.40s'", bad[i]);
	}
	{
		/* 1023 bytes, but 1030 with the ":latest" it means: over the limit */
		char *longref = xmalloc(1024);
		struct unik_err err = UNIK_ERR_INIT;
		struct oci_ref r;

		memcpy(longref, "r.io/", 5);
		memset(longref + 5, 'a', 1018);
		longref[1023] = '\0';
		ok(oci_ref_parse(longref, &r, &err) < 0 && strstr(err.msg, "with its tag"),
		   "a reference over the limit once ':latest' is added is refused");
		free(longref);
	}
	{
		struct oci_ref r = { "r.io", "team/hello", "latest", NULL, 1 };
		char *n = oci_ref_image_name(&r);

		is_str(n, "hello", "latest: the repo's last part");
		free(n);
		r.tag = "v1.2";
		n = oci_ref_image_name(&r);
		is_str(n, "hello-v1.2", "another tag: -TAG");
		free(n);
	}
}

static char *slurp(const char *path, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;

	if (fs_read_file(path, &sb, NULL))
		return NULL;
	*len = sb.len;
	return strbuf_detach(&sb);
}

static void tars(const char *dir)
{
	char *a = xasprintf("%s/a.tar", dir), *b = xasprintf("%s/b.tar", dir);
	struct oci_tar_entry e[] = {
		{ "unik/", 0755, NULL, NULL, 0 },
		{ "unik/image.json", 0644, NULL, "{}", 2 },
	};
	size_t la = 0, lb = 0;
	char *ta, *tb;

	ok(oci_tar_write(a, e, 2, NULL) == 0, "writes a tar");
	sleep(1); /* another second: no time may enter the bytes */
	ok(oci_tar_write(b, e, 2, NULL) == 0, "writes it again");
	ta = slurp(a, &la);
	tb = slurp(b, &lb);
	ok(ta && tb && la == lb && la > 0 && !memcmp(ta, tb, la), "the same bytes both times");
	free(ta);
	free(tb);
	free(a);
	free(b);
}

static struct unikd D;

static int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int rc = fd >= 0 && write(fd, data, len) == (ssize_t)len ? 0 : -1;

	if (fd >= 0)
		close(fd);
	return rc;
}

static int count_images(void)
{
	struct unik_image *v;
	size_t n = 0;

	if (store_image_list(D.store, &v, &n, NULL))
		return -1;
	store_images_free(v, n);
	return (int)n;
}

static int count_blobs(void)
{
	char *cmd = xasprintf("ls %s/blobs/sha256 | wc -l", D.state_dir);
	FILE *p = popen(cmd, "r");
	int n = -1;

	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	free(cmd);
	return n;
}

/* The JSON blob of descriptor `desc` in layout `lay` (NEW reference). */
static json_t *layout_json(const char *lay, json_t *desc)
{
	const char *dg = json_string_value(json_object_get(desc, "digest"));
	char *path = dg ? xasprintf("%s/blobs/sha256/%s", lay, dg + 7) : NULL;
	json_t *j = path ? json_load_file(path, 0, NULL) : NULL;

	free(path);
	return j;
}

/* The layer digests of the runnable (linux) and the artifact manifest of
 * layout `lay`'s one image: "R A" (caller frees). */
static char *layout_layers(const char *lay)
{
	char *path = xasprintf("%s/index.json", lay), *out;
	json_t *top = json_load_file(path, 0, NULL), *idx, *m, *man;
	const char *r = "", *a = "";
	size_t i;
	json_t *mans[2] = { NULL, NULL };

	idx = layout_json(lay, json_array_get(json_object_get(top, "manifests"), 0));
	json_array_foreach (json_object_get(idx, "manifests"), i, m) {
		const char *os =
		    json_string_value(json_object_get(json_object_get(m, "platform"), "os"));

		man = layout_json(lay, m);
		mans[os && !strcmp(os, "linux") ? 0 : 1] = man;
	}
	if (mans[0])
		r = json_string_value(json_object_get(
		    json_array_get(json_object_get(mans[0], "layers"), 0), "digest"));
	if (mans[1])
		a = json_string_value(json_object_get(
		    json_array_get(json_object_get(mans[1], "layers"), 0), "digest"));
	out = xasprintf("%s %s %zu", r ? r : "", a ? a : "",
			json_array_size(json_object_get(mans[1], "layers")));
	json_decref(mans[0]);
	json_decref(mans[1]);
	json_decref(idx);
	json_decref(top);
	free(path);
	return out;
}

/* A fresh copy of layout `src` in `dst` (cp -a). */
static void copy_layout(const char *src, const char *dst)
{
	char *cmd = xasprintf("rm -rf %s && cp -a %s %s && chmod -R u+w %s", dst, src, dst, dst);

	if (system(cmd) != 0)
		printf("# %s failed\n", cmd);
	free(cmd);
}

/* Imports `dir`; expects a refusal naming `needle`, nothing stored. */
static void refused(const char *dir, const char *needle, const char *what)
{
	struct unik_err err = UNIK_ERR_INIT;
	int images = count_images(), blobs = count_blobs();
	char *id = NULL;

	ok(oci_layout_import(&D, dir, NULL, "evil", &id, &err) < 0 && err.code, "%s: refused",
	   what);
	if (!ok(strstr(err.msg, needle) != NULL, "%s: says '%s'", what, needle))
		printf("#   %s\n", err.msg);
	ok(count_images() == images && count_blobs() == blobs, "%s: nothing stored", what);
	free(id);
}

/* Writes `text` as a blob of layout `dir`; its digest (caller frees). */
static char *put_blob(const char *dir, const char *text)
{
	char *dg = blobs_digest_buf(text, strlen(text)), *p, *sub;

	sub = xasprintf("%s/blobs/sha256", dir);
	fs_mkdir_p(sub, 0700, NULL);
	p = xasprintf("%s/%s", sub, dg + 7);
	write_file(p, text, strlen(text));
	free(p);
	free(sub);
	return dg;
}

/* An artifact manifest of the earlier kind (raw kernel and initrd layers)
 * whose layer list goes wrong after its kernel: refused, and the kernel
 * descriptor it had found is not released twice (fuzz_oci_layout found
 * the use after free under ASan: regression kernel-then-unknown-layer). */
static void layer_list_refused(const char *dir)
{
	static const char *const lists[] = {
		"{\"mediaType\":\"application/vnd.unik.kernel.v1\",\"digest\":\"%s\",\"size\":2},"
		"{\"mediaType\":\"application/x-other\",\"digest\":\"%s\",\"size\":2}",
		"{\"mediaType\":\"application/vnd.unik.kernel.v1\",\"digest\":\"%s\",\"size\":2},"
		"{\"mediaType\":\"application/vnd.unik.kernel.v1\",\"digest\":\"%s\",\"size\":2}",
	};
	char *t = xasprintf("%s/layers", dir);

	for (size_t i = 0; i < sizeof(lists) / sizeof(*lists); i++) {
		char *cfg, *k, *man, *mdg, *ix, *idg, *top, *p, *layers;

		fs_remove_tree(t, NULL);
		cfg = put_blob(t, "{\"format\":\"unik-elf\",\"args\":[],\"memory_mb\":0}");
		k = put_blob(t, "kk");
		layers = xasprintf(lists[i], k, k);
		man = xasprintf(
		    "{\"config\":{\"mediaType\":\"application/vnd.unik.image.config."
		    "v1+json\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[%s]}",
		    cfg, strlen("{\"format\":\"unik-elf\",\"args\":[],\"memory_mb\":0}"), layers);
		mdg = put_blob(t, man);
		ix = xasprintf("{\"manifests\":[{\"mediaType\":\"application/vnd.oci.image."
			       "manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,"
			       "\"annotations\":{\"org.unik.kind\":\"artifact\"}}]}",
			       mdg, strlen(man));
		idg = put_blob(t, ix);
		top = xasprintf("{\"manifests\":[{\"mediaType\":\"application/vnd.oci.image."
				"index.v1+json\",\"digest\":\"%s\",\"size\":%zu}]}",
				idg, strlen(ix));
		p = xasprintf("%s/index.json", t);
		write_file(p, top, strlen(top));
		refused(t, "an unknown or repeated layer",
			i ? "two kernel layers" : "a kernel layer, then an unknown one");
		free(cfg);
		free(k);
		free(layers);
		free(man);
		free(mdg);
		free(ix);
		free(idg);
		free(top);
		free(p);
	}
	free(t);
}

static void layouts(const char *dir)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_image im, back;
	char *kpath = xasprintf("%s/kernel.bin", dir), *lay = xasprintf("%s/layout", dir);
	char *t = xasprintf("%s/t", dir), *idx = NULL, *id = NULL, *p, *kernel_blob, *rootfs;
	char kernel[4096], *tar = NULL;
	size_t tar_len = 0;

	D.state_dir = xasprintf("%s/state", dir);
	D.max_extract = 1 << 20;
	pthread_mutex_init(&D.lock, NULL);
	p = xasprintf("%s/images.db", D.state_dir);
	fs_mkdir_p(D.state_dir, 0700, NULL);
	ok(blobs_init(D.state_dir, NULL) == 0 && store_open(&D.store, p, &err) == 0,
	   "a state dir and a store");
	free(p);
	for (size_t i = 0; i < sizeof(kernel); i++)
		kernel[i] = (char)(i * 7);
	write_file(kpath, kernel, sizeof(kernel));
	unik_image_init(&im);
	{
		long long ks = 0;

		ok(blobs_put_file(D.state_dir, kpath, &im.kernel, &ks, NULL) == 0, "a kernel blob");
		im.size = ks;
	}
	im.id = xstrdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	im.name = xstrdup("orig");
	im.compiler = xstrdup("c");
	im.format = xstrdup("unik-elf");
	im.memory_mb = 64;
	strv_push(&im.args, "a b");
	strv_push(&im.args, "--x");
	im.digest = oci_image_digest(&im);
	im.created = 1;
	ok(store_image_put(D.store, &im, NULL) == 0, "the image record");

	ok(oci_layout_write(&D, &im, lay, "v1", &idx, &err) == 0, "writes the layout");
	ok(idx && blobs_digest_valid(idx), "names the index digest");
	{
		char *l = layout_layers(lay), *sp = strchr(l, ' ');

		ok(!strncmp(l, "sha256:", 7) && sp && !strncmp(sp + 1, l, (size_t)(sp - l)) &&
		       !strcmp(sp + 1 + (sp - l), " 1"),
		   "the artifact manifest's one layer is the runnable rootfs layer (%s)", l);
		rootfs = xstrndup(l + 7, (size_t)(sp - l - 7));
		free(l);
	}
	p = xasprintf("%s/blobs/sha256/%s", lay, im.kernel + 7);
	ok(access(p, F_OK) != 0, "the kernel is in the layout once: inside the rootfs tar");
	free(p);
	p = xasprintf("%s/blobs/sha256/%s", lay, rootfs);
	tar = slurp(p, &tar_len);
	ok(tar && tar_len > sizeof(kernel), "the rootfs tar holds the kernel");
	kernel_blob = p;
	ok(oci_layout_import(&D, lay, "v1", "copy", &id, &err) == 0, "imports it");
	unik_image_init(&back);
	ok(id && store_image_get(D.store, id, &back, NULL) == 0, "the copy is stored");
	ok(id && strcmp(id, im.id), "as a record of its own");
	is_str(back.name, "copy", "named as asked");
	is_str(back.kernel, im.kernel, "the same kernel blob");
	is_str(back.digest, im.digest, "the same digest");
	is_str(back.format, "unik-elf", "the format");
	ok(back.memory_mb == 64 && back.args.n == 2 && !strcmp(back.args.v[0], "a b") &&
	       !strcmp(back.args.v[1], "--x"),
	   "memory and args");
	unik_image_release(&back);
	free(id);
	id = NULL;
	ok(oci_layout_import(&D, lay, "nope", NULL, &id, &err) < 0 && err.code == UNIK_E_NOT_FOUND,
	   "an unknown tag is NOT_FOUND");
	unik_err_clear(&err);

	/* hostile variants: each a copy of the good layout, changed */
	copy_layout(lay, t);
	p = xasprintf("%s/blobs/sha256/%s", t, rootfs);
	tar[3000] ^= 1; /* a byte of the kernel inside the tar (past the headers and image.json) */
	write_file(p, tar, tar_len);
	tar[3000] ^= 1;
	/* the store must not know the kernel for "nothing stored" to mean it */
	store_image_delete(D.store, im.id, NULL);
	{
		char *cid = NULL;

		store_image_resolve(D.store, "copy", &cid, NULL);
		store_image_delete(D.store, cid, NULL);
		free(cid);
	}
	blobs_remove(D.state_dir, im.kernel, NULL);
	refused(t, "does not match its digest", "a changed byte in the rootfs layer");
	write_file(p, tar, tar_len - 1);
	refused(t, "bytes where its descriptor says", "a short rootfs layer");
	unlink(p);
	refused(t, "missing from the layout", "a missing rootfs layer");
	symlink(kernel_blob, p);
	refused(t, "is a symlink", "a symlinked rootfs layer");
	free(p);
	free(tar);
	free(rootfs);

	copy_layout(lay, t);
	p = xasprintf("%s/index.json", t);
	write_file(p, "{\"manifests\":[]}", 16);
	refused(t, "lists no image", "an empty index.json");
	write_file(p, "[", 1);
	refused(t, "no readable index.json", "a broken index.json");
	{
		char *top = xasprintf("{\"manifests\":[{\"mediaType\":\"application/vnd.oci.image."
				      "index.v1+json\",\"digest\":\"md5:abc\",\"size\":3}]}");

		write_file(p, top, strlen(top));
		refused(t, "only sha256", "a foreign digest");
		free(top);
		top = xasprintf("{\"manifests\":[{\"mediaType\":\"application/vnd.oci.image."
				"layer.v1.tar\",\"digest\":\"%s\",\"size\":4096}]}",
				im.kernel);
		write_file(p, top, strlen(top));
		refused(t, "where a application/vnd.oci.image.index.v1+json was expected",
			"a layer where the index should be");
		free(top);
		top = xasprintf("{\"manifests\":[{\"mediaType\":\"application/vnd.oci.image."
				"manifest.v1+json\",\"digest\":\"%s\",\"size\":4096}]}",
				im.kernel);
		write_file(p, top, strlen(top));
		refused(t, "is not valid JSON", "a kernel named as the manifest");
		free(top);
		top = xasprintf("{\"manifests\":[{\"mediaType\":\"application/vnd.oci.image."
				"index.v1+json\",\"digest\":\"%s\",\"size\":99999999999}]}",
				idx);
		write_file(p, top, strlen(top));
		refused(t, "too much", "a huge JSON blob");
		free(top);
	}
	free(p);

	/* a layout whose config names an unknown format: re-signed, so only
	 * the format check can refuse it */
	{
		struct unik_image odd = im;

		odd.format = "cobol-elf";
		odd.id = "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
		/* the kernel blob back in the store, for the writer */
		blobs_put_file(D.state_dir, kpath, &odd.kernel, NULL, NULL);
		free(odd.kernel);
		odd.kernel = im.kernel;
		odd.digest = oci_image_digest(&odd);
		p = xasprintf("rm -rf %s", t);
		if (system(p) != 0)
			printf("# %s failed\n", p);
		free(p);
		ok(oci_layout_write(&D, &odd, t, "v1", NULL, &err) == 0, "writes an odd layout");
		blobs_remove(D.state_dir, im.kernel, NULL);
		refused(t, "unknown image format 'cobol-elf'", "an unknown format");
		free(odd.digest);
	}
	layer_list_refused(dir);

	store_close(D.store);
	unik_image_release(&im);
	free(kernel_blob);
	free(kpath);
	free(lay);
	free(t);
	free(idx);
}

/* The registry's WWW-Authenticate challenges and token replies
 * (daemon/oci_challenge.c, fuzz_oci_auth). */
static void challenges(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct oci_challenge c;
	static const char *const refused[] = {
		"Bearerrealm=\"https://a/t\"", /* another scheme word, not Bearer */
		"Basically",
		"Negotiate x",
		"",
		"Bearer",
		"Bearer realm=ftp://a/t",
		"Bearer realm=\"https://a/t x\"", /* a blank inside the URL */
		"Bearer realm=\"https://a/t\r\nX-Evil: 1\"", /* a header into the URL */
		"Bearer realm=\"https://a/t\",service=\"s\tx\"", /* a control byte */
		"Bearer realm=\"https://a/t\",scope=\"a\x01\"",
	};
	static const char *const tokens_refused[] = {
		"{\"token\":\"a b\"}",
		"{\"token\":\"a\\u0000b\"}",
		"{\"token\":\"\"}",
		"{\"token\":\"\\u00e9\"}",
		"{\"token\":\"a\\r\\nX: 1\"}",
		"{\"token\":3}",
		"[]",
		"{\"access_token\":\"a\\u007f\"}",
	};
	static const char good_tok[] = "{\"token\":\"eyJ.e30.c2ln\",\"access_token\":\"x\"}";
	static const char access_tok[] = "{\"access_token\":\"a-_~+/=\"}";
	char *tok;

	ok(oci_challenge_parse("bearer realm=\"https://auth.r.io/token?x=1\", service=\"r.io\","
			       "scope=\"repository:a/b:pull\"",
			       &c, &err) == 0 &&
	       c.scheme == OCI_AUTH_BEARER && !strcmp(c.realm, "https://auth.r.io/token?x=1") &&
	       !strcmp(c.service, "r.io") && !strcmp(c.scope, "repository:a/b:pull"),
	   "a Bearer challenge: realm, service, scope");
	oci_challenge_release(&c);
	ok(oci_challenge_parse("Bearer realm=http://127.0.0.1:5001/t,service=a\\\"b", &c, &err) ==
		   0 &&
	       !strcmp(c.realm, "http://127.0.0.1:5001/t") && !c.scope,
	   "an unquoted realm, no scope");
	oci_challenge_release(&c);
	ok(oci_challenge_parse("Basic realm=\"x\"", &c, &err) == 0 && c.scheme == OCI_AUTH_BASIC,
	   "a Basic challenge");
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		memset(&err, 0, sizeof(err));
		ok(oci_challenge_parse(refused[i], &c, &err) && err.code == UNIK_E_UNAUTHORIZED &&
		       !c.realm,
		   "challenge %zu refused: %s", i, err.msg);
	}
	ok(oci_token_reply(good_tok, strlen(good_tok), &tok, &err) == 0 &&
	       !strcmp(tok, "eyJ.e30.c2ln"),
	   "a token");
	free(tok);
	ok(oci_token_reply(access_tok, strlen(access_tok), &tok, &err) == 0 &&
	       !strcmp(tok, "a-_~+/="),
	   "an access_token");
	free(tok);
	for (size_t i = 0; i < sizeof(tokens_refused) / sizeof(*tokens_refused); i++) {
		memset(&err, 0, sizeof(err));
		ok(oci_token_reply(tokens_refused[i], strlen(tokens_refused[i]), &tok, &err) &&
		       !tok && err.code == UNIK_E_UNAVAILABLE,
		   "token reply %zu refused", i);
	}
}

int main(void)
{
	char tmpl[] = "/tmp/t_oci.XXXXXX";
	char *dir = mkdtemp(tmpl), *cmd;

	refs();
	challenges();
	tars(dir);
	layouts(dir);
	cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", dir);
	free(cmd);
	return tap_done();
}
