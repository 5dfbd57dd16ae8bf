/* sigv4.c - AWS Signature Version 4: canonical request, string to sign,
 * signing key and signature, for the Authorization header and presigned
 * query forms.  SHA-256 and HMAC come from OpenSSL's libcrypto. */
#include "providers/aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"

#define ALGO "AWS4-HMAC-SHA256"

static const char hexd[] = "0123456789ABCDEF";

void sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	hex_encode(md, sizeof(md), hex);
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int olen = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &olen);
}

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static void pct(struct strbuf *sb, unsigned char c)
{
	strbuf_addch(sb, '%');
	strbuf_addch(sb, hexd[c >> 4]);
	strbuf_addch(sb, hexd[c & 15]);
}

/* URI-encodes s[0..n): unreserved bytes stay, '/' stays if keep_slash, a
 * valid %XX stays (upper-cased) if keep_pct, everything else is %XX. */
static void uri_encode(struct strbuf *sb, const char *s, size_t n, int keep_slash, int keep_pct)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int v = keep_pct ? hex_pct_at(s, n, i) : -1;

		if (unreserved(c) || (keep_slash && c == '/')) {
			strbuf_addch(sb, (char)c);
		} else if (v >= 0) {
			pct(sb, (unsigned char)v);
			i += 2;
		} else {
			pct(sb, c);
		}
	}
}

/* Percent-decodes s[0..n) into a new string; a '%' not followed by two
 * hex digits is kept as it is. */
static char *pct_decode(const char *s, size_t n)
{
	char *o = xmalloc(n + 1);
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		int v = hex_pct_at(s, n, i);

		if (v >= 0) {
			o[j++] = (char)v;
			i += 2;
		} else {
			o[j++] = s[i];
		}
	}
	o[j] = '\0';
	return o;
}

/* The canonical URI: the path, normalised if asked (no empty, "." or ".."
 * segments; a trailing '/' kept), then URI-encoded. */
static void canonical_uri(struct strbuf *sb, const char *path, const struct sigv4_params *p)
{
	size_t n = strlen(path);

	if (!p->normalize) {
		uri_encode(sb, path, n, 1, p->no_double_encode);
		return;
	}
	/* Segments start at offs[]; a ".." drops the last one kept. */
	size_t *offs = xmalloc((n + 1) * sizeof(*offs)), *lens = xmalloc((n + 1) * sizeof(*lens));
	size_t nseg = 0, i = 0;
	int trailing = 0;

	while (i < n) {
		size_t j = i;

		while (j < n && path[j] != '/')
			j++;
		size_t len = j - i;

		trailing = j < n || len == 0;
		if (len == 1 && path[i] == '.') {
			trailing = 1;
		} else if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
			if (nseg)
				nseg--;
			trailing = 1;
		} else if (len) {
			offs[nseg] = i;
			lens[nseg++] = len;
			trailing = j < n;
		}
		i = j + 1;
	}
	for (size_t k = 0; k < nseg; k++) {
		strbuf_addch(sb, '/');
		uri_encode(sb, path + offs[k], lens[k], 0, p->no_double_encode);
	}
	if (!nseg || trailing)
		strbuf_addch(sb, '/');
	free(offs);
	free(lens);
}

struct qparam {
	char *k, *v; /* encoded */
};

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c ? c : strcmp(x->v, y->v);
}

static char *enc(const char *s, size_t n)
{
	struct strbuf sb;

	strbuf_init(&sb);
	uri_encode(&sb, s, n, 0, 0);
	return strbuf_detach(&sb);
}

/* Adds one "k=v" (raw, decoded here) to the list. */
static void qparam_add(struct qparam **qp, size_t *nq, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);
	size_t kl = eq ? (size_t)(eq - s) : n;
	char *k = pct_decode(s, kl);
	char *v = eq ? pct_decode(eq + 1, n - kl - 1) : xstrdup("");

	*qp = xrealloc(*qp, (*nq + 1) * sizeof(**qp));
	(*qp)[*nq].k = enc(k, strlen(k));
	(*qp)[*nq].v = enc(v, strlen(v));
	(*nq)++;
	free(k);
	free(v);
}

static void qparam_add_kv(struct qparam **qp, size_t *nq, const char *k, const char *v)
{
	*qp = xrealloc(*qp, (*nq + 1) * sizeof(**qp));
	(*qp)[*nq].k = enc(k, strlen(k));
	(*qp)[*nq].v = enc(v, strlen(v));
	(*nq)++;
}

/* Splits the wire query into parameters (empty ones between '&'s dropped). */
static void qparams_parse(struct qparam **qp, size_t *nq, const char *q)
{
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t n = amp ? (size_t)(amp - q) : strlen(q);

		if (n)
			qparam_add(qp, nq, q, n);
		q += n + (amp != NULL);
	}
}

static void qparams_emit(struct strbuf *sb, struct qparam *qp, size_t nq)
{
	if (nq)
		qsort(qp, nq, sizeof(*qp), qparam_cmp);
	for (size_t i = 0; i < nq; i++) {
		if (i)
			strbuf_addch(sb, '&');
		strbuf_adds(sb, qp[i].k);
		strbuf_addch(sb, '=');
		strbuf_adds(sb, qp[i].v);
		free(qp[i].k);
		free(qp[i].v);
	}
	free(qp);
}

struct chdr {
	char *name; /* lower-case */
	struct strbuf val;
};

static int chdr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct chdr *)a)->name, ((const struct chdr *)b)->name);
}

static int tchar(unsigned char c)
{
	return unreserved(c) || (c && strchr("!#$%&'*+^`|", c));
}

/* Checks a header value: visible bytes, SP, HTAB, and line folds (CR? LF
 * followed by SP or HTAB); nothing else. */
static int value_ok(const char *v)
{
	for (size_t i = 0; v[i]; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\r' && v[i + 1] == '\n')
			c = (unsigned char)v[++i];
		if (c == '\n' && v[i + 1] != ' ' && v[i + 1] != '\t')
			return 0;
		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			return 0;
	}
	return 1;
}

/* Appends the canonical form of a value: trimmed, every run of white space
 * (folds included) one space. */
static void canon_value(struct strbuf *sb, const char *v)
{
	int space = 0, any = 0;

	for (; *v; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
			space = 1;
			continue;
		}
		if (space && any)
			strbuf_addch(sb, ' ');
		strbuf_addch(sb, *v);
		space = 0;
		any = 1;
	}
}

static void chdr_add(struct chdr *h, size_t *nh, const char *name, const char *value)
{
	char *l = xstrdup(name);

	for (char *c = l; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	for (size_t i = 0; i < *nh; i++)
		if (!strcmp(h[i].name, l)) {
			strbuf_addch(&h[i].val, ',');
			canon_value(&h[i].val, value);
			free(l);
			return;
		}
	h[*nh].name = l;
	strbuf_init(&h[*nh].val);
	canon_value(&h[*nh].val, value);
	(*nh)++;
}

static int printable(const char *s, size_t max, int alnum_only)
{
	size_t n = 0;

	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= max || c <= 0x20 || c >= 0x7f)
			return 0;
		if (alnum_only && !unreserved(c))
			return 0;
	}
	return n > 0;
}

static const char *const signer_headers[] = { "authorization", "x-amz-date", "x-amz-security-token",
					      "x-amz-content-sha256" };
static const char *const signer_params[] = { "X-Amz-Algorithm",	    "X-Amz-Credential",
					     "X-Amz-Date",	    "X-Amz-Expires",
					     "X-Amz-SignedHeaders", "X-Amz-Security-Token",
					     "X-Amz-Signature" };

static int check_query(const char *q, struct unik_err *err)
{
	size_t n = q ? strlen(q) : 0;

	if (n > SIGV4_MAX_QUERY)
		return unik_err_set(err, UNIK_E_INVALID, "sigv4: query over %d bytes",
				    SIGV4_MAX_QUERY);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)q[i] < 0x20 || q[i] == 0x7f || q[i] == '#')
			return unik_err_set(err, UNIK_E_INVALID, "sigv4: bad byte in query");
	for (size_t i = 0; i < sizeof(signer_params) / sizeof(*signer_params); i++) {
		size_t l = strlen(signer_params[i]);

		for (const char *s = q; s && (s = strstr(s, signer_params[i])); s += l)
			if ((s == q || s[-1] == '&') && (s[l] == '=' || s[l] == '&' || !s[l]))
				return unik_err_set(err, UNIK_E_INVALID,
						    "sigv4: query already has %s",
						    signer_params[i]);
	}
	return 0;
}

static int check_input(const struct sigv4_request *r, const struct sigv4_params *p, int presign,
		       struct unik_err *err)
{
	int host = 0;

	if (!r->method || !printable(r->method, SIGV4_MAX_FIELD, 1))
		return unik_err_set(err, UNIK_E_INVALID, "sigv4: bad method");
	if (!r->path || r->path[0] != '/' || strlen(r->path) > SIGV4_MAX_PATH)
		return unik_err_set(err, UNIK_E_INVALID,
				    "sigv4: path must start with '/' and be "
				    "at most %d bytes",
				    SIGV4_MAX_PATH);
	for (const char *c = r->path; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '?' || *c == '#')
			return unik_err_set(err, UNIK_E_INVALID, "sigv4: bad byte in path");
	if (check_query(r->query, err) < 0)
		return -1;
	if (r->nheaders > SIGV4_MAX_HEADERS || (r->nheaders && !r->headers))
		return unik_err_set(err, UNIK_E_INVALID, "sigv4: over %d headers",
				    SIGV4_MAX_HEADERS);
	if (r->body_len && !r->body)
		return unik_err_set(err, UNIK_E_INVALID, "sigv4: body length without a body");
	for (size_t i = 0; i < r->nheaders; i++) {
		const char *nm = r->headers[i].name, *v = r->headers[i].value;
		size_t nl = nm ? strlen(nm) : 0;

		if (!nl || nl > SIGV4_MAX_HEADER || !v || strlen(v) > SIGV4_MAX_HEADER)
			return unik_err_set(err, UNIK_E_INVALID, "sigv4: bad header %zu", i);
		for (size_t k = 0; k < nl; k++)
			if (!tchar((unsigned char)nm[k]))
				return unik_err_set(err, UNIK_E_INVALID,
						    "sigv4: bad header name %.64s", nm);
		if (!value_ok(v))
			return unik_err_set(err, UNIK_E_INVALID, "sigv4: bad byte in header %.64s",
					    nm);
		for (size_t k = 0; k < sizeof(signer_headers) / sizeof(*signer_headers); k++)
			if (!strcasecmp(nm, signer_headers[k]))
				return unik_err_set(err, UNIK_E_INVALID,
						    "sigv4: request already has %s", nm);
		host |= !strcasecmp(nm, "host");
	}
	if (!host)
		return unik_err_set(err, UNIK_E_INVALID, "sigv4: no Host header");
	if (!p->access_key || !printable(p->access_key, SIGV4_MAX_FIELD, 1) || !p->secret_key ||
	    !printable(p->secret_key, SIGV4_MAX_TOKEN, 0))
		return unik_err_set(err, UNIK_E_INVALID, "sigv4: bad access or secret key");
	if (p->session_token && !printable(p->session_token, SIGV4_MAX_TOKEN, 0))
		return unik_err_set(err, UNIK_E_INVALID, "sigv4: bad session token");
	if (!p->region || !printable(p->region, SIGV4_MAX_FIELD, 1) || !p->service ||
	    !printable(p->service, SIGV4_MAX_FIELD, 1))
		return unik_err_set(err, UNIK_E_INVALID, "sigv4: bad region or service");
	if (presign && (p->expires < 1 || p->expires > SIGV4_MAX_EXPIRES))
		return unik_err_set(err, UNIK_E_INVALID, "sigv4: expiry must be 1..%d seconds",
				    SIGV4_MAX_EXPIRES);
	return 0;
}

static void added(struct sigv4_result *out, const char *name, const char *value)
{
	out->added[out->nadded].name = xstrdup(name);
	out->added[out->nadded++].value = xstrdup(value);
}

static int sign(const struct sigv4_request *r, const struct sigv4_params *p, int presign,
		struct sigv4_result *out, struct unik_err *err)
{
	char stamp[17], date[9], phash[65], crhash[65];
	struct tm tm;
	struct strbuf sb, scope, signed_h;
	struct chdr h[SIGV4_MAX_HEADERS + 3];
	size_t nh = 0;
	const char *tok = p->session_token && !p->omit_session_token ? p->session_token : NULL;

	memset(out, 0, sizeof(*out));
	if (check_input(r, p, presign, err) < 0)
		return -1;
	if (!gmtime_r(&p->when, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) ||
	    tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		return unik_err_set(err, UNIK_E_INVALID, "sigv4: bad signing time");
	memcpy(date, stamp, 8);
	date[8] = '\0';
	if (p->unsigned_payload)
		snprintf(phash, sizeof(phash), "UNSIGNED-PAYLOAD");
	else
		sigv4_sha256_hex(r->body ? r->body : "", r->body_len, phash);

	for (size_t i = 0; i < r->nheaders; i++)
		chdr_add(h, &nh, r->headers[i].name, r->headers[i].value);
	if (!presign) {
		chdr_add(h, &nh, "x-amz-date", stamp);
		if (tok)
			chdr_add(h, &nh, "x-amz-security-token", tok);
		if (p->content_sha256_header)
			chdr_add(h, &nh, "x-amz-content-sha256", phash);
	}
	qsort(h, nh, sizeof(*h), chdr_cmp);
	strbuf_init(&signed_h);
	for (size_t i = 0; i < nh; i++)
		strbuf_addf(&signed_h, "%s%s", i ? ";" : "", h[i].name);
	strbuf_init(&scope);
	strbuf_addf(&scope, "%s/%s/%s/aws4_request", date, p->region, p->service);

	/* The canonical request. */
	strbuf_init(&sb);
	strbuf_addf(&sb, "%s\n", r->method);
	canonical_uri(&sb, r->path, p);
	strbuf_addch(&sb, '\n');
	{
		struct qparam *qp = NULL;
		size_t nq = 0;
		struct strbuf cred;

		qparams_parse(&qp, &nq, r->query);
		if (presign) {
			strbuf_init(&cred);
			strbuf_addf(&cred, "%s/%s", p->access_key, strbuf_str(&scope));
			char exp[16];

			snprintf(exp, sizeof(exp), "%u", p->expires);
			qparam_add_kv(&qp, &nq, "X-Amz-Algorithm", ALGO);
			qparam_add_kv(&qp, &nq, "X-Amz-Credential", strbuf_str(&cred));
			qparam_add_kv(&qp, &nq, "X-Amz-Date", stamp);
			qparam_add_kv(&qp, &nq, "X-Amz-Expires", exp);
			if (tok)
				qparam_add_kv(&qp, &nq, "X-Amz-Security-Token", tok);
			qparam_add_kv(&qp, &nq, "X-Amz-SignedHeaders", strbuf_str(&signed_h));
			strbuf_release(&cred);
		}
		qparams_emit(&sb, qp, nq);
	}
	strbuf_addch(&sb, '\n');
	for (size_t i = 0; i < nh; i++) {
		strbuf_addf(&sb, "%s:%s\n", h[i].name, strbuf_str(&h[i].val));
		free(h[i].name);
		strbuf_release(&h[i].val);
	}
	strbuf_addf(&sb, "\n%s\n%s", strbuf_str(&signed_h), phash);
	out->canonical_request = strbuf_detach(&sb);

	/* String to sign, signing key, signature. */
	sigv4_sha256_hex(out->canonical_request, strlen(out->canonical_request), crhash);
	strbuf_init(&sb);
	strbuf_addf(&sb, ALGO "\n%s\n%s\n%s", stamp, strbuf_str(&scope), crhash);
	out->string_to_sign = strbuf_detach(&sb);
	{
		unsigned char k[32], sig[32];
		struct strbuf ks;

		strbuf_init(&ks);
		strbuf_addf(&ks, "AWS4%s", p->secret_key);
		hmac(strbuf_str(&ks), ks.len, date, k);
		OPENSSL_cleanse(ks.buf, ks.len);
		strbuf_release(&ks);
		hmac(k, 32, p->region, k);
		hmac(k, 32, p->service, k);
		hmac(k, 32, "aws4_request", k);
		hmac(k, 32, out->string_to_sign, sig);
		OPENSSL_cleanse(k, sizeof(k));
		hex_encode(sig, 32, out->signature);
	}

	/* What goes on the wire. */
	strbuf_init(&sb);
	if (presign) {
		if (r->query && *r->query)
			strbuf_addf(&sb, "%s&", r->query);
		strbuf_addf(&sb, "X-Amz-Algorithm=" ALGO "&X-Amz-Credential=");
		uri_encode(&sb, p->access_key, strlen(p->access_key), 0, 0);
		strbuf_adds(&sb, "%2F");
		uri_encode(&sb, strbuf_str(&scope), scope.len, 0, 0);
		strbuf_addf(&sb, "&X-Amz-Date=%s&X-Amz-SignedHeaders=", stamp);
		uri_encode(&sb, strbuf_str(&signed_h), signed_h.len, 0, 0);
		strbuf_addf(&sb, "&X-Amz-Expires=%u", p->expires);
		if (p->session_token) {
			strbuf_adds(&sb, "&X-Amz-Security-Token=");
			uri_encode(&sb, p->session_token, strlen(p->session_token), 0, 0);
		}
		strbuf_addf(&sb, "&X-Amz-Signature=%s", out->signature);
		out->query = strbuf_detach(&sb);
	} else {
		if (p->session_token)
			added(out, "X-Amz-Security-Token", p->session_token);
		added(out, "X-Amz-Date", stamp);
		if (p->content_sha256_header)
			added(out, "x-amz-content-sha256", phash);
		strbuf_addf(&sb, ALGO " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
			    p->access_key, strbuf_str(&scope), strbuf_str(&signed_h),
			    out->signature);
		added(out, "Authorization", strbuf_str(&sb));
		strbuf_release(&sb);
	}
	strbuf_release(&scope);
	strbuf_release(&signed_h);
	return 0;
}

int sigv4_sign_header(const struct sigv4_request *req, const struct sigv4_params *p,
		      struct sigv4_result *out, struct unik_err *err)
{
	return sign(req, p, 0, out, err);
}

int sigv4_presign(const struct sigv4_request *req, const struct sigv4_params *p,
		  struct sigv4_result *out, struct unik_err *err)
{
	return sign(req, p, 1, out, err);
}

void sigv4_result_free(struct sigv4_result *out)
{
	free(out->canonical_request);
	free(out->string_to_sign);
	free(out->query);
	for (size_t i = 0; i < out->nadded; i++) {
		free(out->added[i].name);
		free(out->added[i].value);
	}
	memset(out, 0, sizeof(*out));
}
