/* image.c - the unik image in a bundle's rootfs: <dir>/image.json, where
 * <dir> is "unik" or the folder the annotation org.unik.image names (both
 * inside the rootfs), and the artifacts beside it.  Every name is resolved
 * beneath the rootfs (lib/safeopen.h): a link leading out of it is refused.
 *
 *   {"format": "unik-elf", "kernel": "kernel", "initrd": null,
 *    "args": ["a", "b"], "memory_mb": 64, "provider": "spt"}
 *
 * format and kernel are required; the rest is optional; unknown keys are
 * ignored (newer writers). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../abi/boot.h"
#include "../../lib/safeopen.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "rt.h"

#define ANN_IMAGE "org.unik.image"

static int bad(struct unik_err *err, const char *dir, const char *why)
{
	return unik_err_set(err, UNIK_E_INVALID, "the unik image (rootfs /%s/image.json): %s", dir,
			    why);
}

/* A plain file name: no folder, not "." or "..". */
static int plain_name(const char *s)
{
	return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..") && strlen(s) < 256;
}

static int parse(json_t *j, struct rt_image *img, struct unik_err *err)
{
	json_t *f = json_object_get(j, "format"), *k = json_object_get(j, "kernel");
	json_t *ini = json_object_get(j, "initrd"), *a = json_object_get(j, "args");
	json_t *m = json_object_get(j, "memory_mb"), *p = json_object_get(j, "provider"), *v;
	size_t i;

	if (!json_is_object(j))
		return bad(err, img->dir, "not a JSON object");
	if (!json_is_string(f))
		return bad(err, img->dir, "no \"format\"");
	if (strcmp(json_string_value(f), UNIK_FORMAT_UNIK_ELF))
		return bad(err, img->dir, "only images of format unik-elf run here (spt, hvt)");
	if (!json_is_string(k) || !plain_name(json_string_value(k)))
		return bad(err, img->dir, "\"kernel\" is not a file name beside image.json");
	if (ini && !json_is_null(ini))
		return bad(err, img->dir, "a unik-elf image has no initrd");
	if (a && !json_is_null(a)) {
		if (!json_is_array(a) || json_array_size(a) > 4096)
			return bad(err, img->dir, "\"args\" is not a list of strings");
		json_array_foreach (a, i, v) {
			if (!json_is_string(v) ||
			    strlen(json_string_value(v)) != json_string_length(v))
				return bad(err, img->dir, "\"args\" is not a list of strings");
			strv_push(&img->args, json_string_value(v));
		}
	}
	if (m && !json_is_null(m)) {
		if (!json_is_integer(m) || json_integer_value(m) < 2 ||
		    json_integer_value(m) > 3072)
			return bad(err, img->dir, "\"memory_mb\" is not a size in MiB (2..3072)");
		img->memory_mb = (int)json_integer_value(m);
	}
	if (p && !json_is_null(p)) {
		if (!json_is_string(p) || !plain_name(json_string_value(p)))
			return bad(err, img->dir, "\"provider\" is not a name");
		img->provider = xstrdup(json_string_value(p));
	}
	img->format = xstrdup(json_string_value(f));
	img->kernel = xstrdup(json_string_value(k));
	return 0;
}

/* The image folder relative to the rootfs: "unik", or the annotation's. */
static int image_dir(const struct rt_bundle *b, struct rt_image *img, int *named,
		     struct unik_err *err)
{
	const char *ann = rt_annotation(&b->ann_keys, &b->ann_values, ANN_IMAGE);
	size_t n;

	*named = ann != NULL;
	if (!ann) {
		img->dir = xstrdup("unik");
		return 0;
	}
	while (*ann == '/')
		ann++;
	n = strlen(ann);
	while (n && ann[n - 1] == '/')
		n--;
	if (!n || n > 1024)
		return unik_err_set(err, UNIK_E_INVALID,
				    "annotation " ANN_IMAGE " is not a folder of the rootfs");
	img->dir = xstrndup(ann, n);
	return 0;
}

int rt_image_find(const struct rt_bundle *b, struct rt_image *img, int *rootfd,
		  struct unik_err *err)
{
	struct strbuf text = STRBUF_INIT;
	char *rel;
	int fd, named, rc;

	memset(img, 0, sizeof(*img));
	*rootfd = -1;
	if (image_dir(b, img, &named, err))
		return -1;
	*rootfd = safe_dir_open(b->rootfs);
	if (*rootfd < 0) {
		if (named)
			return unik_err_set(err, UNIK_E_NOT_FOUND, "rootfs %s: %s", b->rootfs,
					    strerror(errno));
		return 0; /* runc will say what is wrong with it */
	}
	rel = xasprintf("%s/image.json", img->dir);
	fd = safe_openat(*rootfd, rel, O_RDONLY, 0, 0);
	free(rel);
	if (fd < 0) {
		if (errno == ENOENT && !named)
			return 0;
		return unik_err_set(err, UNIK_E_INVALID, "rootfs /%s/image.json: %s", img->dir,
				    errno == EXDEV ? "leads outside the rootfs" : strerror(errno));
	}
	rc = safe_read_fd(fd, "image.json", RT_IMAGE_JSON_MAX, &text, err);
	close(fd);
	if (rc) {
		strbuf_release(&text);
		return -1;
	}
	rc = rt_image_parse(strbuf_str(&text), text.len, img, err);
	strbuf_release(&text);
	return rc ? -1 : 1;
}

int rt_image_parse(const char *text, size_t len, struct rt_image *img, struct unik_err *err)
{
	json_error_t jerr;
	json_t *j;
	int rc;

	if (!img->dir)
		img->dir = xstrdup("unik");
	if (len > RT_IMAGE_JSON_MAX)
		return bad(err, img->dir, "too large");
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return bad(err, img->dir, jerr.text);
	rc = parse(j, img, err);
	json_decref(j);
	return rc;
}

void rt_image_release(struct rt_image *img)
{
	free(img->dir);
	free(img->format);
	free(img->kernel);
	free(img->provider);
	strv_release(&img->args);
	memset(img, 0, sizeof(*img));
}
