/* oci_ref.c - registry references (see oci_ref.h). */
#include "oci_ref.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/xalloc.h"
#include "types.h"

#define REF_MAX 1024
#define TAG_MAX 128

static int host_ok(const char *h, size_t n)
{
	int dot_or_colon = 0, colon = 0;

	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c == ':') {
			if (colon++ || i == 0 || i + 1 == n)
				return 0;
			dot_or_colon = 1;
		} else if (colon) {
			if (!isdigit(c))
				return 0; /* the port */
		} else if (c == '.') {
			dot_or_colon = 1;
		} else if (!isalnum(c) && c != '-') {
			return 0;
		}
	}
	return dot_or_colon || (n == 9 && !strncmp(h, "localhost", 9));
}

/* One path component: [a-z0-9]+ joined by '.', '_', '__' or '-'+. */
static int component_ok(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t run = 0, sep;

		while (i < n && (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]))) {
			i++;
			run++;
		}
		if (!run)
			return 0;
		if (i == n)
			return 1;
		sep = i;
		if (s[i] == '.' || s[i] == '_') {
			i++;
			if (s[sep] == '_' && i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return 0;
		}
		if (i == n)
			return 0;
	}
	return n > 0;
}

static int tag_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > TAG_MAX || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-')
			return 0;
	return 1;
}

static int digest_ok(const char *d)
{
	size_t n = strlen(d);

	if (n != 7 + 64 || strncmp(d, "sha256:", 7))
		return 0;
	for (size_t i = 7; i < n; i++)
		if (!isdigit((unsigned char)d[i]) && !(d[i] >= 'a' && d[i] <= 'f'))
			return 0;
	return 1;
}

static int parse_name(const char *s, struct oci_ref *out, struct unik_err *err);

int oci_ref_parse(const char *s, struct oci_ref *out, struct unik_err *err)
{
	const char *at = s ? strchr(s, '@') : NULL;
	char *name;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!at)
		return parse_name(s, out, err);
	if (strlen(s) > REF_MAX)
		return unik_err_set(err, UNIK_E_INVALID, "a registry reference is at most %d bytes",
				    REF_MAX);
	if (strchr(at + 1, '@'))
		return unik_err_set(err, UNIK_E_INVALID, "'%s': more than one '@'", s);
	if (strncmp(at + 1, "sha256:", 7) && strchr(at + 1, ':'))
		return unik_err_set(err, UNIK_E_INVALID,
				    "'%s': only sha256 digests are supported (@sha256:HEX)", s);
	if (!digest_ok(at + 1))
		return unik_err_set(err, UNIK_E_INVALID,
				    "'%s': bad digest (@sha256: and 64 lower-case hex digits)", s);
	name = xstrndup(s, (size_t)(at - s));
	rc = parse_name(name, out, err);
	free(name);
	if (rc)
		return -1;
	out->digest = xstrdup(at + 1);
	return 0;
}

static int parse_name(const char *s, struct oci_ref *out, struct unik_err *err)
{
	const char *slash, *colon, *last;
	char *repo = NULL;

	if (!s || !*s)
		return unik_err_set(err, UNIK_E_INVALID,
				    "say which registry reference: REGISTRY/REPO:TAG");
	if (strlen(s) > REF_MAX)
		return unik_err_set(err, UNIK_E_INVALID, "a registry reference is at most %d bytes",
				    REF_MAX);
	slash = strchr(s, '/');
	if (!slash || !host_ok(s, (size_t)(slash - s)))
		return unik_err_set(err, UNIK_E_INVALID,
				    "'%s' names no registry: write REGISTRY/REPO[:TAG], where "
				    "REGISTRY is a host name with a '.', a host:port or localhost",
				    s);
	last = strrchr(slash + 1, '/');
	last = last ? last + 1 : slash + 1;
	colon = strchr(last, ':');
	repo = colon ? xstrndup(slash + 1, (size_t)(colon - slash - 1)) : xstrdup(slash + 1);
	for (const char *p = repo, *e;; p = e + 1) {
		e = strchr(p, '/');
		if (!component_ok(p, e ? (size_t)(e - p) : strlen(p))) {
			unik_err_set(err, UNIK_E_INVALID,
				     "'%s': bad repository name '%s' (lower-case letters, digits, "
				     "and '.', '_', '-' between them, components separated by '/')",
				     s, repo);
			free(repo);
			return -1;
		}
		if (!e)
			break;
	}
	if (colon && !tag_ok(colon + 1)) {
		free(repo);
		return unik_err_set(err, UNIK_E_INVALID,
				    "'%s': bad tag (letters, digits, '_', '.', '-', at most %d, "
				    "not starting with '.' or '-')",
				    s, TAG_MAX);
	}
	/* its full form (":latest" added) stays in the limit too */
	if (!colon && strlen(s) + sizeof(":latest") - 1 > REF_MAX) {
		free(repo);
		return unik_err_set(err, UNIK_E_INVALID,
				    "a registry reference is at most %d bytes (with its tag)",
				    REF_MAX);
	}
	out->registry = xstrndup(s, (size_t)(slash - s));
	out->repo = repo;
	out->tag = xstrdup(colon ? colon + 1 : "latest");
	out->tagged = colon != NULL;
	return 0;
}

int oci_registry_valid(const char *host)
{
	return host && host_ok(host, strlen(host));
}

void oci_ref_release(struct oci_ref *r)
{
	free(r->registry);
	free(r->repo);
	free(r->digest);
	free(r->tag);
	memset(r, 0, sizeof(*r));
}

char *oci_ref_image_name(const struct oci_ref *r)
{
	const char *last = strrchr(r->repo, '/');
	char *name;

	last = last ? last + 1 : r->repo;
	name = strcmp(r->tag, "latest") ? xasprintf("%s-%s", last, r->tag) : xstrdup(last);
	if (!unik_name_valid(name)) {
		free(name);
		return NULL;
	}
	return name;
}
