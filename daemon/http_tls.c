/* http_tls.c - the TCP listener's certificates, checked at start-up, and
 * the verification of client certificates (--tlsverify), done per
 * connection with the GnuTLS session libmicrohttpd hands us. */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/fsutil.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "http_internal.h"

struct http_tls {
	struct strbuf cert, key, ca;
};

static int read_pem(const char *path, const char *what, struct strbuf *out, struct unik_err *err)
{
	if (fs_read_file(path, out, err))
		return unik_err_prefix(err, "cannot read the TLS %s", what);
	if (!strstr(strbuf_str(out), "-----BEGIN "))
		return unik_err_set(err, UNIK_E_INVALID, "the TLS %s %s is not a PEM file", what,
				    path);
	return 0;
}

/* Loads the pair into GnuTLS once, so a bad file is a clear start-up error. */
static int check_pair(struct http_tls *t, const struct unikd *d, struct unik_err *err)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t c = { (unsigned char *)t->cert.buf, (unsigned)t->cert.len };
	gnutls_datum_t k = { (unsigned char *)t->key.buf, (unsigned)t->key.len };
	int rc = -1, n;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot set up GnuTLS");
	n = gnutls_certificate_set_x509_key_mem2(cred, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (n < 0) {
		unik_err_set(err, UNIK_E_INVALID,
			     "the TLS certificate %s and key %s do not load: %s", d->tls_cert,
			     d->tls_key, gnutls_strerror(n));
		goto out;
	}
	if (t->ca.len) {
		gnutls_datum_t a = { (unsigned char *)t->ca.buf, (unsigned)t->ca.len };

		n = gnutls_certificate_set_x509_trust_mem(cred, &a, GNUTLS_X509_FMT_PEM);
		if (n <= 0) {
			unik_err_set(err, UNIK_E_INVALID,
				     "the TLS CA file %s holds no certificate%s%s", d->tls_ca,
				     n < 0 ? ": " : "", n < 0 ? gnutls_strerror(n) : "");
			goto out;
		}
	}
	rc = 0;
out:
	gnutls_certificate_free_credentials(cred);
	return rc;
}

int tls_load(struct unikd *d, struct http_tls **out, struct unik_err *err)
{
	struct http_tls *t = xcalloc(1, sizeof(*t));

	strbuf_init(&t->cert);
	strbuf_init(&t->key);
	strbuf_init(&t->ca);
	if (read_pem(d->tls_cert, "certificate", &t->cert, err) ||
	    read_pem(d->tls_key, "key", &t->key, err) ||
	    (d->tls_verify && read_pem(d->tls_ca, "CA certificate", &t->ca, err)) ||
	    check_pair(t, d, err)) {
		tls_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

const char *tls_cert_pem(const struct http_tls *t)
{
	return strbuf_str(&t->cert);
}

const char *tls_key_pem(const struct http_tls *t)
{
	return strbuf_str(&t->key);
}

const char *tls_ca_pem(const struct http_tls *t)
{
	return t->ca.len ? strbuf_str(&t->ca) : NULL;
}

void tls_free(struct http_tls *t)
{
	if (!t)
		return;
	if (t->key.buf)
		explicit_bzero(t->key.buf, t->key.len);
	strbuf_release(&t->cert);
	strbuf_release(&t->key);
	strbuf_release(&t->ca);
	free(t);
}

int tls_verify_client(struct http_req *req, struct unik_err *err)
{
	static const char need[] = "a client certificate signed by the daemon's CA is required";
	gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID,
					  (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0 };
	int *verified = req->cw ? park_conn_verified(req->cw) : NULL;
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t session;
	unsigned status = 0, npeers = 0;
	int rc;

	if (verified && *verified == 1)
		return 0;
	ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return unik_err_set(err, UNIK_E_UNAUTHORIZED, "%s (not a TLS connection)", need);
	session = ci->tls_session;
	if (!gnutls_certificate_get_peers(session, &npeers) || npeers == 0)
		return unik_err_set(err, UNIK_E_UNAUTHORIZED, "%s: none was sent", need);
	rc = gnutls_certificate_verify_peers(session, &purpose, 1, &status);
	if (rc < 0)
		return unik_err_set(err, UNIK_E_UNAUTHORIZED, "%s: %s", need, gnutls_strerror(rc));
	if (status) {
		gnutls_datum_t why = { NULL, 0 };

		size_t n;

		gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0);
		n = why.data ? strlen((const char *)why.data) : 0;
		while (n && why.data[n - 1] == ' ')
			why.data[--n] = '\0';
		unik_err_set(err, UNIK_E_UNAUTHORIZED, "%s: %s", need,
			     n ? (const char *)why.data : "not trusted");
		gnutls_free(why.data);
		return -1;
	}
	if (verified)
		*verified = 1;
	return 0;
}
