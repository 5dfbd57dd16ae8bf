/* aws_creds.c - AWS credentials, region and endpoint from the environment
 * and the AWS CLI's files (INI, read strictly and with bounds). */
#include "providers/aws/aws_creds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xalloc.h"

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int key_ok(const char *k)
{
	if (!*k)
		return 0;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		      (*k >= '0' && *k <= '9') || *k == '_' || *k == '-' || *k == '.'))
			return 0;
	return 1;
}

/* A section header's name with runs of white space made one space
 * ("profile   x" is "profile x"). */
static void squeeze(char *s)
{
	char *o = s, *start = s;
	int sp = 0;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\t') {
			sp = 1;
			continue;
		}
		if (sp && o != start)
			*o++ = ' ';
		sp = 0;
		*o++ = *s;
	}
	*o = '\0';
}

static char *read_bounded(const char *path, size_t *len, int *absent, struct unik_err *err)
{
	FILE *f = fopen(path, "re");
	char *buf;

	*absent = 0;
	if (!f) {
		if (errno == ENOENT || errno == ENOTDIR) {
			*absent = 1;
			return NULL;
		}
		unik_err_set(err, UNIK_E_INVALID, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(AWS_INI_MAX_FILE + 1);
	*len = fread(buf, 1, AWS_INI_MAX_FILE + 1, f);
	if (ferror(f) || *len > AWS_INI_MAX_FILE) {
		unik_err_set(err, UNIK_E_INVALID, "%s: %s", path,
			     ferror(f) ? "read error" : "over 1 MiB");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[*len] = '\0';
	if (memchr(buf, '\0', *len)) {
		unik_err_set(err, UNIK_E_INVALID, "%s: NUL byte in the file", path);
		free(buf);
		return NULL;
	}
	return buf;
}

int aws_ini_get(const char *path, const char *section, const char *key, char **value,
		struct unik_err *err)
{
	size_t len = 0, lineno = 0;
	int absent, in = 0, have_key = 0, sections = 0;
	char *buf = read_bounded(path, &len, &absent, err), *p, *next;

	*value = NULL;
	if (!buf)
		return absent ? 0 : -1;
	for (p = buf; p < buf + len; p = next) {
		char *nl = strchr(p, '\n'), *s, *eq;
		int indented = *p == ' ' || *p == '\t';

		next = nl ? nl + 1 : buf + len;
		if (nl)
			*nl = '\0';
		lineno++;
		if (strlen(p) > AWS_INI_MAX_LINE) {
			unik_err_set(err, UNIK_E_INVALID, "%s:%zu: line over %d bytes", path,
				     lineno, AWS_INI_MAX_LINE);
			goto bad;
		}
		if (*p && p[strlen(p) - 1] == '\r') /* CRLF files */
			p[strlen(p) - 1] = '\0';
		for (s = p; *s; s++)
			if ((unsigned char)*s < 0x20 && *s != '\t') {
				unik_err_set(err, UNIK_E_INVALID, "%s:%zu: control byte", path,
					     lineno);
				goto bad;
			}
		s = trim(p);
		if (!*s || *s == '#' || *s == ';')
			continue;
		/* Indented lines under a key are that key's sub-keys (s3 = ...). */
		if (indented && have_key)
			continue;
		if (*s == '[') {
			size_t n = strlen(s);

			if (n < 3 || s[n - 1] != ']') {
				unik_err_set(err, UNIK_E_INVALID, "%s:%zu: bad section header",
					     path, lineno);
				goto bad;
			}
			s[n - 1] = '\0';
			s = trim(s + 1);
			squeeze(s);
			in = !strcmp(s, section);
			have_key = 0;
			sections++;
			continue;
		}
		if (!(eq = strchr(s, '='))) {
			unik_err_set(err, UNIK_E_INVALID,
				     "%s:%zu: neither a section nor key = value", path, lineno);
			goto bad;
		}
		*eq = '\0';
		s = trim(s);
		if (!key_ok(s) || !sections) {
			unik_err_set(err, UNIK_E_INVALID, "%s:%zu: %s", path, lineno,
				     sections ? "bad key" : "key before any [section]");
			goto bad;
		}
		have_key = 1;
		if (in && !strcmp(s, key)) {
			if (*value) {
				unik_err_set(err, UNIK_E_INVALID, "%s:%zu: %s set twice in [%s]",
					     path, lineno, key, section);
				goto bad;
			}
			*value = xstrdup(trim(eq + 1));
		}
	}
	free(buf);
	return 0;
bad:
	free(*value);
	*value = NULL;
	free(buf);
	return -1;
}

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return (*envp)[n + 1] ? *envp + n + 1 : NULL;
	return NULL;
}

/* Bytes 0x21..0x7e only, 1..max of them; alnum: [A-Za-z0-9] only. */
static int field_ok(const char *s, size_t max, int alnum)
{
	size_t n = 0;

	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= max || c <= 0x20 || c >= 0x7f)
			return 0;
		if (alnum && !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			       (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return n > 0;
}

static int check(struct aws_creds *c, const char *where, struct unik_err *err)
{
	if (c->access_key && !field_ok(c->access_key, 128, 1))
		return unik_err_set(err, UNIK_E_INVALID, "%s: bad access key id", where);
	if (c->secret_key && !field_ok(c->secret_key, 1024, 0))
		return unik_err_set(err, UNIK_E_INVALID, "%s: bad secret access key", where);
	if (c->session_token && !field_ok(c->session_token, 8192, 0))
		return unik_err_set(err, UNIK_E_INVALID, "%s: bad session token", where);
	if (c->region && !field_ok(c->region, 64, 1))
		return unik_err_set(err, UNIK_E_INVALID, "%s: bad region '%.64s'", where,
				    c->region);
	if (c->endpoint &&
	    (!field_ok(c->endpoint, 2048, 0) ||
	     (strncmp(c->endpoint, "https://", 8) && strncmp(c->endpoint, "http://", 7))))
		return unik_err_set(err, UNIK_E_INVALID, "%s: endpoint must be an http(s) URL",
				    where);
	return 0;
}

/* Keys of `section` in `path`; 1 when the file had a key pair, 0 none. */
static int keys_from(const char *path, const char *section, struct aws_creds *c,
		     struct unik_err *err)
{
	char *ak = NULL, *sk = NULL, *tok = NULL;

	if (aws_ini_get(path, section, "aws_access_key_id", &ak, err) < 0 ||
	    aws_ini_get(path, section, "aws_secret_access_key", &sk, err) < 0 ||
	    aws_ini_get(path, section, "aws_session_token", &tok, err) < 0)
		goto bad;
	if (!ak && !sk) {
		free(tok);
		return 0;
	}
	if (!ak || !sk) {
		unik_err_set(err, UNIK_E_INVALID, "%s [%s]: %s without %s", path, section,
			     ak ? "aws_access_key_id" : "aws_secret_access_key",
			     ak ? "aws_secret_access_key" : "aws_access_key_id");
		goto bad;
	}
	c->access_key = ak;
	c->secret_key = sk;
	c->session_token = tok;
	return 1;
bad:
	free(ak);
	free(sk);
	free(tok);
	return -1;
}

void aws_creds_free(struct aws_creds *c)
{
	free(c->access_key);
	if (c->secret_key)
		memset(c->secret_key, 0, strlen(c->secret_key));
	free(c->secret_key);
	free(c->session_token);
	free(c->region);
	free(c->endpoint);
	free(c->profile);
	memset(c, 0, sizeof(*c));
}

static char *file_of(char *const *envp, const char *var, const char *name)
{
	const char *v = env_get(envp, var), *home = env_get(envp, "HOME");

	if (v)
		return xstrdup(v);
	return home ? xasprintf("%s/.aws/%s", home, name) : NULL;
}

int aws_creds_load(char *const *envp, struct aws_creds *out, struct unik_err *err)
{
	const char *prof = env_get(envp, "AWS_PROFILE"), *ak = env_get(envp, "AWS_ACCESS_KEY_ID");
	const char *sk = env_get(envp, "AWS_SECRET_ACCESS_KEY"), *v;
	char *cred = file_of(envp, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
	char *conf = file_of(envp, "AWS_CONFIG_FILE", "config"), *csec = NULL;
	int rc = -1, got = 0;

	memset(out, 0, sizeof(*out));
	if (!prof)
		prof = env_get(envp, "AWS_DEFAULT_PROFILE");
	out->profile = xstrdup(prof ? prof : "default");
	if (!field_ok(out->profile, 128, 0) || strchr(out->profile, ']')) {
		unik_err_set(err, UNIK_E_INVALID, "bad AWS profile name");
		goto out;
	}
	csec = strcmp(out->profile, "default") ? xasprintf("profile %s", out->profile)
					       : xstrdup("default");
	if (ak || sk) {
		if (!ak || !sk) {
			unik_err_set(err, UNIK_E_INVALID, "%s is set but %s is not",
				     ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
				     ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
			goto out;
		}
		out->access_key = xstrdup(ak);
		out->secret_key = xstrdup(sk);
		out->session_token = xstrdup(env_get(envp, "AWS_SESSION_TOKEN"));
		out->source = "env";
		got = 1;
	}
	if (!got && cred && (got = keys_from(cred, out->profile, out, err)) < 0)
		goto out;
	if (got && !out->source)
		out->source = "credentials-file";
	if (!got && conf && (got = keys_from(conf, csec, out, err)) < 0)
		goto out;
	if (got && !out->source)
		out->source = "config-file";
	/* Region and endpoint: the environment, then the profile in config. */
	if ((v = env_get(envp, "AWS_REGION")) || (v = env_get(envp, "AWS_DEFAULT_REGION")))
		out->region = xstrdup(v);
	else if (conf && aws_ini_get(conf, csec, "region", &out->region, err) < 0)
		goto out;
	if ((v = env_get(envp, "AWS_ENDPOINT_URL")))
		out->endpoint = xstrdup(v);
	else if (conf && aws_ini_get(conf, csec, "endpoint_url", &out->endpoint, err) < 0)
		goto out;
	if (!got && !((v = env_get(envp, "AWS_EC2_METADATA_DISABLED")) && !strcasecmp(v, "true"))) {
		v = env_get(envp, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
		if (aws_imds_creds(v ? v : "http://169.254.169.254", out, err) < 0) {
			unik_err_prefix(err,
					"no AWS credentials in the environment or files, and IMDS");
			goto out;
		}
		out->source = "imds";
		got = 1;
	}
	if (!got) {
		unik_err_set(err, UNIK_E_UNAVAILABLE,
			     "no AWS credentials (environment, %s, %s; IMDS disabled)",
			     cred ? cred : "no credentials file", conf ? conf : "no config file");
		goto out;
	}
	rc = check(out, out->source, err);
out:
	if (rc < 0)
		aws_creds_free(out);
	free(cred);
	free(conf);
	free(csec);
	return rc;
}
