/* client_curl.c - the client's TCP and TLS transport: libcurl, opened
 * when the first such client is set up (curl_dyn.h). */
#include <errno.h>
#include <string.h>

#include "client_int.h"
#include "curl_dyn.h"

int client_curl_init(struct unik_client *cl, struct unik_err *err)
{
	if (curl_dyn_load(err))
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot initialise libcurl");
	cl->curl_ready = 1;
	return 0;
}

void client_curl_release(struct unik_client *cl)
{
	if (cl->curl_ready)
		curl_global_cleanup();
	cl->curl_ready = 0;
}

struct curl_rq {
	struct request *rq;
	CURL *curl;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct curl_rq *c = userdata;
	size_t n = size * nmemb;

	if (!c->rq->status)
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->rq->status);
	return request_body(c->rq, ptr, n) ? 0 : n;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct curl_rq *c = userdata;

	return request_cancelled(c->rq);
}

static int transport_error(const struct curl_rq *c, CURLcode res, const char *errbuf)
{
	const struct request *rq = c->rq;
	long oserr = 0;
	const char *why = *errbuf ? errbuf : curl_easy_strerror(res);

	curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &oserr);
	if (res == CURLE_PEER_FAILED_VERIFICATION || res == CURLE_SSL_CONNECT_ERROR ||
	    res == CURLE_SSL_CERTPROBLEM || res == CURLE_SSL_CACERT_BADFILE ||
	    res == CURLE_SSL_CIPHER)
		return unik_err_set(rq->err, UNIK_E_UNAVAILABLE,
				    "TLS with the unik daemon at %s failed: %s (check --tlscacert, "
				    "--tlscert, --tlskey or $UNIK_CERT_PATH)",
				    rq->cl->host, why);
	if (oserr)
		why = strerror((int)oserr);
	if (res == CURLE_COULDNT_CONNECT || res == CURLE_COULDNT_RESOLVE_HOST ||
	    (res == CURLE_OPERATION_TIMEDOUT && !rq->status))
		return unik_err_set(
		    rq->err, UNIK_E_UNAVAILABLE, "cannot reach the unik daemon at %s: %s (%s)",
		    rq->cl->host, why,
		    oserr == EACCES || oserr == EPERM ? CLIENT_ACCESS_HINT : CLIENT_START_HINT);
	return unik_err_set(rq->err, UNIK_E_UNAVAILABLE,
			    "lost the connection to the unik daemon at %s: %s", rq->cl->host, why);
}

int client_curl_perform(struct request *rq)
{
	struct unik_client *cl = rq->cl;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	struct strbuf url = STRBUF_INIT, line = STRBUF_INIT;
	struct curl_rq c = { rq, curl_easy_init() };
	CURLcode res;
	int rc = 0;

	if (!c.curl)
		return unik_err_set(rq->err, UNIK_E_INTERNAL, "cannot initialise libcurl");
	strbuf_addf(&url, "%s%s", cl->base_url, rq->path);
	curl_easy_setopt(c.curl, CURLOPT_URL, strbuf_str(&url));
	if (cl->ca_file)
		curl_easy_setopt(c.curl, CURLOPT_CAINFO, cl->ca_file);
	if (cl->cert_file) {
		curl_easy_setopt(c.curl, CURLOPT_SSLCERT, cl->cert_file);
		curl_easy_setopt(c.curl, CURLOPT_SSLKEY, cl->key_file);
	}
	if (cl->token) {
		strbuf_addf(&line, "Authorization: Bearer %s", cl->token);
		hdrs = curl_slist_append(hdrs, strbuf_str(&line));
	}
	if (!rq->fn)
		hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (!strcmp(rq->method, "POST")) {
		strbuf_reset(&line);
		strbuf_addf(&line, "Content-Type:%s%s", rq->content_type ? " " : "",
			    rq->content_type ? rq->content_type : "");
		hdrs = curl_slist_append(hdrs, strbuf_str(&line));
		hdrs = curl_slist_append(hdrs, "Expect:");
		curl_easy_setopt(c.curl, CURLOPT_POST, 1L);
		curl_easy_setopt(c.curl, CURLOPT_POSTFIELDS, rq->data ? rq->data : "");
		curl_easy_setopt(c.curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->len);
	} else if (strcmp(rq->method, "GET")) {
		curl_easy_setopt(c.curl, CURLOPT_CUSTOMREQUEST, rq->method);
	}
	curl_easy_setopt(c.curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c.curl, CURLOPT_USERAGENT, "unik/" UNIK_VERSION);
	curl_easy_setopt(c.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c.curl, CURLOPT_CONNECTTIMEOUT, (long)CLIENT_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c.curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c.curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c.curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c.curl, CURLOPT_WRITEDATA, &c);
	if (cl->cancel) {
		curl_easy_setopt(c.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c.curl, CURLOPT_XFERINFODATA, &c);
		curl_easy_setopt(c.curl, CURLOPT_NOPROGRESS, 0L);
	}

	res = curl_easy_perform(c.curl);
	curl_easy_getinfo(c.curl, CURLINFO_RESPONSE_CODE, &rq->status);
	if (res != CURLE_OK && !rq->fn_failed && !rq->cancelled)
		rc = transport_error(&c, res, errbuf);
	curl_easy_cleanup(c.curl);
	curl_slist_free_all(hdrs);
	strbuf_release(&url);
	strbuf_release(&line);
	return rc;
}
