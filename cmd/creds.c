/* creds.c - registry credentials of the CLI (see creds.h). */
#include "creds.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[o++] = b64chars[(v >> 18) & 63];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64chars[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

/* NULL when `s` is not base64. */
static char *b64_decode(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = xmalloc(n / 4 * 3 + 4);
	unsigned v = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p;

		if (s[i] == '=')
			break;
		p = strchr(b64chars, s[i]);
		if (!p || !*p) {
			free(out);
			return NULL;
		}
		v = (v << 6) | (unsigned)(p - b64chars);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((v >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return out;
}

char *creds_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		return xasprintf("%s/unik/auth.json", xdg);
	return xasprintf("%s/.config/unik/auth.json", home && *home ? home : ".");
}

/* "user:secret" (base64) split; 1 when it held both. */
static int split_auth(const char *b64, char **user, char **secret)
{
	char *plain = b64_decode(b64), *colon;

	if (!plain)
		return 0;
	colon = strchr(plain, ':');
	if (!colon || colon == plain) {
		free(plain);
		return 0;
	}
	*user = xstrndup(plain, (size_t)(colon - plain));
	*secret = xstrdup(colon + 1);
	explicit_bzero(plain, strlen(plain));
	free(plain);
	return 1;
}

/* auths[registry] (also as https://registry and http://registry). */
static json_t *auth_entry(json_t *cfg, const char *registry)
{
	json_t *auths = json_object_get(cfg, "auths"), *v;
	const char *key;

	json_object_foreach (auths, key, v) {
		const char *k = key;

		if (!strncmp(k, "https://", 8))
			k += 8;
		else if (!strncmp(k, "http://", 7))
			k += 7;
		if (!strncmp(k, registry, strlen(registry)) &&
		    (k[strlen(registry)] == '\0' || k[strlen(registry)] == '/'))
			return v;
	}
	return NULL;
}

static int helper_name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* docker-credential-<name> get: 1 with the credentials, 0 when it has none. */
static int run_helper(const char *name, const char *registry, char **user, char **secret,
		      struct unik_err *err)
{
	char *prog = xasprintf("docker-credential-%s", name);
	struct strbuf out = STRBUF_INIT;
	int in[2], outp[2], status = 0, rc = -1;
	char buf[1024];
	ssize_t n;
	pid_t pid;
	json_t *j;

	if (!helper_name_ok(name)) {
		free(prog);
		return unik_err_set(err, UNIK_E_INVALID, "bad credential helper name '%s'", name);
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
		free(prog);
		return unik_err_set(err, UNIK_E_INTERNAL, "pipe: %s", strerror(errno));
	}
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(outp[1], 1);
		execlp(prog, prog, "get", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	if (pid > 0) {
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);

		if (write(in[1], registry, strlen(registry)) < 0)
			(void)0; /* its answer says what went wrong */
		close(in[1]);
		while ((n = read(outp[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0 && out.len < 65536)
				strbuf_add(&out, buf, (size_t)n);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		signal(SIGPIPE, old);
	} else {
		close(in[1]);
	}
	close(outp[0]);
	if (pid < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "fork: %s", strerror(errno));
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "credential helper %s is not installed",
			     prog);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		/* "credentials not found in native keychain": none */
		rc = strstr(strbuf_str(&out), "not found") ? 0 : -1;
		if (rc)
			unik_err_set(err, UNIK_E_INTERNAL, "%s get failed: %s", prog,
				     strbuf_str(&out));
	} else if (!(j = json_loadb(out.buf, out.len, 0, NULL)) ||
		   !json_is_string(json_object_get(j, "Username")) ||
		   !json_is_string(json_object_get(j, "Secret"))) {
		json_decref(j);
		unik_err_set(err, UNIK_E_INTERNAL, "%s get answered no Username/Secret", prog);
	} else {
		*user = xstrdup(json_string_value(json_object_get(j, "Username")));
		*secret = xstrdup(json_string_value(json_object_get(j, "Secret")));
		json_decref(j);
		rc = 1;
	}
	if (out.buf)
		explicit_bzero(out.buf, out.len);
	strbuf_release(&out);
	free(prog);
	return rc;
}

static int from_file(const char *path, const char *registry, int docker, char **user, char **secret,
		     struct unik_err *err)
{
	json_t *cfg = json_load_file(path, 0, NULL), *e;
	const char *helper = NULL;
	int rc = 0;

	if (!cfg)
		return 0;
	if (docker) {
		helper = json_string_value(
		    json_object_get(json_object_get(cfg, "credHelpers"), registry));
		if (!helper)
			helper = json_string_value(json_object_get(cfg, "credsStore"));
	}
	if (helper && *helper)
		rc = run_helper(helper, registry, user, secret, err);
	if (rc == 0 && (e = auth_entry(cfg, registry)) &&
	    json_is_string(json_object_get(e, "auth")))
		rc = split_auth(json_string_value(json_object_get(e, "auth")), user, secret);
	json_decref(cfg);
	return rc;
}

int creds_find(const char *registry, char **user, char **secret, struct unik_err *err)
{
	char *path = creds_path(), *docker;
	const char *home = getenv("HOME"), *dcfg = getenv("DOCKER_CONFIG");
	int rc = from_file(path, registry, 0, user, secret, err);

	free(path);
	if (rc)
		return rc;
	if (dcfg && *dcfg)
		docker = xasprintf("%s/config.json", dcfg);
	else
		docker = xasprintf("%s/.docker/config.json", home && *home ? home : ".");
	rc = from_file(docker, registry, 1, user, secret, err);
	free(docker);
	return rc;
}

int creds_store(const char *registry, const char *user, const char *secret, int *found,
		struct unik_err *err)
{
	char *path = creds_path(), *dir = xstrdup(path), *text = NULL;
	json_t *cfg, *auths;
	int rc = -1;

	*strrchr(dir, '/') = '\0';
	if (fs_mkdir_p(dir, 0700, err))
		goto out;
	cfg = json_load_file(path, 0, NULL);
	if (!json_is_object(cfg)) {
		json_decref(cfg);
		cfg = json_object();
	}
	auths = json_object_get(cfg, "auths");
	if (!json_is_object(auths)) {
		auths = json_object();
		json_object_set_new(cfg, "auths", auths);
	}
	if (found)
		*found = json_object_get(auths, registry) != NULL;
	if (secret) {
		char *plain = xasprintf("%s:%s", user, secret), *b64 = b64_encode(plain);

		json_object_set_new(auths, registry, json_pack("{ss}", "auth", b64));
		explicit_bzero(plain, strlen(plain));
		explicit_bzero(b64, strlen(b64));
		free(plain);
		free(b64);
	} else {
		json_object_del(auths, registry);
	}
	text = json_dumps(cfg, JSON_INDENT(2));
	json_decref(cfg);
	if (fs_write_file_atomic(path, text, strlen(text), 0600, err))
		goto out;
	rc = 0;
out:
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	free(path);
	free(dir);
	return rc;
}

int creds_add_ca(json_t *body, const char *file, struct unik_err *err)
{
	struct strbuf pem = STRBUF_INIT;
	char buf[4096];
	size_t n;
	FILE *f;

	if (!file)
		return 0;
	f = fopen(file, "r");
	if (!f)
		return unik_err_set(err, UNIK_E_INVALID, "%s: %s", file, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && pem.len < (1 << 20))
		strbuf_add(&pem, buf, n);
	fclose(f);
	json_object_set_new(body, "ca_cert", json_string(strbuf_str(&pem)));
	strbuf_release(&pem);
	return 0;
}
