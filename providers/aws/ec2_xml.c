/* ec2_xml.c - EC2 query encoding, its XML replies (libxml2, no network,
 * no entities, no DTD), error mapping, base64 (see ec2.h). */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "providers/aws/ec2.h"

struct ec2_doc {
	xmlDocPtr doc;
};

void ec2_urlencode(struct strbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			strbuf_addch(out, (char)*p);
		} else {
			strbuf_addch(out, '%');
			strbuf_addch(out, hex[*p >> 4]);
			strbuf_addch(out, hex[*p & 15]);
		}
	}
}

void ec2_query_init(struct ec2_query *q, const char *action)
{
	strbuf_init(&q->sb);
	snprintf(q->action, sizeof(q->action), "%s", action);
	strbuf_adds(&q->sb, "Action=");
	ec2_urlencode(&q->sb, action);
	strbuf_adds(&q->sb, "&Version=" EC2_API_VERSION);
}

void ec2_query_add(struct ec2_query *q, const char *key, const char *value)
{
	strbuf_addch(&q->sb, '&');
	ec2_urlencode(&q->sb, key);
	strbuf_addch(&q->sb, '=');
	ec2_urlencode(&q->sb, value);
}

void ec2_query_addf(struct ec2_query *q, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *v;

	va_start(ap, fmt);
	if (vasprintf(&v, fmt, ap) < 0)
		abort();
	va_end(ap);
	ec2_query_add(q, key, v);
	free(v);
}

void ec2_query_release(struct ec2_query *q)
{
	strbuf_release(&q->sb);
}

/* libxml2 prints nothing of its own */
static void quiet(void *ctx, const char *msg, ...)
{
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, quiet);
}

int ec2_parse(const char *action, const char *body, size_t len, struct ec2_doc **out,
	      struct unik_err *err)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	char want[96];

	*out = NULL;
	if (len > EC2_MAX_REPLY)
		return unik_err_set(err, UNIK_E_INVALID, "ec2 %s: the reply is over %d bytes",
				    action, EC2_MAX_REPLY);
	if (memmem(body, len, "<!DOCTYPE", 9) || memmem(body, len, "<!ENTITY", 8))
		return unik_err_set(err, UNIK_E_INVALID, "ec2 %s: the reply has a DTD", action);
	pthread_once(&xml_once, xml_init);
	doc = xmlReadMemory(body, (int)len, "ec2-reply.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				XML_PARSE_NOCDATA);
	if (!doc)
		return unik_err_set(err, UNIK_E_INVALID, "ec2 %s: the reply is not well-formed XML",
				    action);
	root = xmlDocGetRootElement(doc);
	snprintf(want, sizeof(want), "%sResponse", action);
	if (!root || doc->intSubset || strcmp((const char *)root->name, want)) {
		xmlFreeDoc(doc);
		return unik_err_set(err, UNIK_E_INVALID, "ec2 %s: the reply is not a <%s>", action,
				    want);
	}
	*out = xcalloc(1, sizeof(**out));
	(*out)->doc = doc;
	return 0;
}

void ec2_doc_free(struct ec2_doc *d)
{
	if (!d)
		return;
	xmlFreeDoc(d->doc);
	free(d);
}

static xmlNodePtr child(xmlNodePtr n, const char *name, size_t len)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strlen((const char *)c->name) == len &&
		    !strncmp((const char *)c->name, name, len))
			return c;
	return NULL;
}

/* The element at `path` under n (first match at each step). */
static xmlNodePtr at(xmlNodePtr n, const char *path)
{
	while (n && *path) {
		size_t len = strcspn(path, "/");

		n = child(n, path, len);
		path += len;
		if (*path == '/')
			path++;
	}
	return n;
}

/* The element's text (its text children only), printable ASCII kept,
 * others as '?', bounded by size. */
static void text_of(xmlNodePtr n, char *out, size_t size)
{
	size_t k = 0;

	for (xmlNodePtr c = n ? n->children : NULL; c && size; c = c->next) {
		if (c->type != XML_TEXT_NODE || !c->content)
			continue;
		for (const unsigned char *p = c->content; *p && k + 1 < size; p++)
			out[k++] = (*p >= 0x20 && *p < 0x7f) ? (char)*p : (*p == '\n' ? ' ' : '?');
	}
	if (size)
		out[k] = 0;
}

void ec2_text(struct ec2_doc *d, const char *path, char *out, size_t size)
{
	text_of(at(xmlDocGetRootElement(d->doc), path), out, size);
}

char *ec2_text_dup(struct ec2_doc *d, const char *path)
{
	xmlNodePtr n = at(xmlDocGetRootElement(d->doc), path);
	struct strbuf sb = STRBUF_INIT;

	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_TEXT_NODE && c->content)
			strbuf_adds(&sb, (const char *)c->content);
	return strbuf_detach(&sb);
}

void ec2_error_code(const char *body, size_t len, char *code, size_t size)
{
	xmlDocPtr doc;
	xmlNodePtr root, e;

	code[0] = 0;
	if (!body || len > EC2_MAX_REPLY || memmem(body, len, "<!DOCTYPE", 9) ||
	    memmem(body, len, "<!ENTITY", 8))
		return;
	pthread_once(&xml_once, xml_init);
	doc = xmlReadMemory(body, (int)len, "ec2-error.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return;
	root = xmlDocGetRootElement(doc);
	/* EC2: Response/Errors/Error; some services: ErrorResponse/Error */
	e = root ? at(root, "Errors/Error") : NULL;
	if (!e && root)
		e = at(root, "Error");
	text_of(at(e, "Code"), code, size);
	xmlFreeDoc(doc);
}

static void error_message(const char *body, size_t len, char *msg, size_t size)
{
	xmlDocPtr doc;
	xmlNodePtr root, e;

	msg[0] = 0;
	if (!body || len > EC2_MAX_REPLY || memmem(body, len, "<!DOCTYPE", 9) ||
	    memmem(body, len, "<!ENTITY", 8))
		return;
	doc = xmlReadMemory(body, (int)len, "ec2-error.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return;
	root = xmlDocGetRootElement(doc);
	e = root ? at(root, "Errors/Error") : NULL;
	if (!e && root)
		e = at(root, "Error");
	text_of(at(e, "Message"), msg, size);
	xmlFreeDoc(doc);
}

int ec2_throttling(const char *code)
{
	static const char *const t[] = { "RequestLimitExceeded",
					 "Throttling",
					 "ThrottlingException",
					 "RequestThrottled",
					 "RequestThrottledException",
					 "TooManyRequestsException",
					 "SlowDown",
					 "EC2ThrottledException",
					 "BandwidthLimitExceeded",
					 NULL };

	for (size_t i = 0; t[i]; i++)
		if (!strcmp(code, t[i]))
			return 1;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static int one_of(const char *code, const char *const *set)
{
	for (size_t i = 0; set[i]; i++)
		if (!strcmp(code, set[i]))
			return 1;
	return 0;
}

static enum unik_errcode code_of(const char *code, long status)
{
	static const char *const unavailable[] = { "AuthFailure",
						   "UnauthorizedOperation",
						   "InvalidClientTokenId",
						   "SignatureDoesNotMatch",
						   "OptInRequired",
						   "PendingVerification",
						   "Blocked",
						   "InsufficientInstanceCapacity",
						   "InsufficientCapacity",
						   "InstanceLimitExceeded",
						   "VcpuLimitExceeded",
						   "SnapshotLimitExceeded",
						   "ResourceLimitExceeded",
						   "Unavailable",
						   "ServiceUnavailable",
						   "InternalError",
						   "InternalFailure",
						   NULL };
	static const char *const conflict[] = { "IncorrectInstanceState",
						"IncorrectState",
						"InvalidInstanceState",
						"DependencyViolation",
						"InvalidSnapshot.InUse",
						"IdempotentParameterMismatch",
						"InvalidAMIName.Duplicate",
						"InvalidAMIID.Unavailable",
						NULL };

	if (ec2_throttling(code) || one_of(code, unavailable))
		return UNIK_E_UNAVAILABLE;
	if (one_of(code, conflict))
		return UNIK_E_CONFLICT;
	if (ends_with(code, ".NotFound"))
		return UNIK_E_NOT_FOUND;
	if (*code && status >= 400 && status < 500)
		return UNIK_E_INVALID;
	if (status >= 500 || status == 429)
		return UNIK_E_UNAVAILABLE;
	return UNIK_E_INTERNAL;
}

int ec2_map_error(const char *action, long status, const char *body, size_t len,
		  struct unik_err *err)
{
	char code[128], msg[512];

	ec2_error_code(body, len, code, sizeof(code));
	error_message(body, len, msg, sizeof(msg));
	if (!*code)
		return unik_err_set(err, code_of("", status),
				    "ec2 %s: HTTP %ld without an EC2 error in the reply", action,
				    status);
	return unik_err_set(err, code_of(code, status), "ec2 %s: %s: %s", action, code,
			    *msg ? msg : "(no message)");
}

void ec2_base64(const void *data, size_t len, struct strbuf *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		strbuf_addch(out, t[(v >> 18) & 63]);
		strbuf_addch(out, t[(v >> 12) & 63]);
		strbuf_addch(out, i + 1 < len ? t[(v >> 6) & 63] : '=');
		strbuf_addch(out, i + 2 < len ? t[v & 63] : '=');
	}
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int ec2_unbase64(const char *s, size_t len, struct strbuf *out)
{
	unsigned acc = 0;
	int bits = 0, pad = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		int v;

		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = b64val(c);
		if (v < 0 || pad)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			strbuf_addch(out, (char)((acc >> bits) & 0xff));
		}
	}
	if (pad > 2 || bits >= 6)
		return -1;
	return 0;
}

/* reservationSet/item/instancesSet/item, each one instance */
int ec2_parse_instances(struct ec2_doc *d, struct ec2_instance *out, size_t max, size_t *n,
			char *next_token, size_t nt_size)
{
	xmlNodePtr root = xmlDocGetRootElement(d->doc), rs = at(root, "reservationSet");

	*n = 0;
	for (xmlNodePtr r = rs ? rs->children : NULL; r; r = r->next) {
		xmlNodePtr is;

		if (r->type != XML_ELEMENT_NODE || strcmp((const char *)r->name, "item"))
			continue;
		is = at(r, "instancesSet");
		for (xmlNodePtr i = is ? is->children : NULL; i; i = i->next) {
			struct ec2_instance *o;

			if (i->type != XML_ELEMENT_NODE || strcmp((const char *)i->name, "item"))
				continue;
			if (*n >= max)
				return -1;
			o = &out[(*n)++];
			memset(o, 0, sizeof(*o));
			text_of(at(i, "instanceId"), o->id, sizeof(o->id));
			text_of(at(i, "instanceState/name"), o->state, sizeof(o->state));
			text_of(at(i, "instanceType"), o->type, sizeof(o->type));
			text_of(at(i, "stateReason/message"), o->reason, sizeof(o->reason));
			if (!o->id[0] || !o->state[0])
				return -1;
		}
	}
	if (next_token)
		text_of(at(root, "nextToken"), next_token, nt_size);
	return 0;
}

/* instanceTypeSet/item: instanceType, memoryInfo/sizeInMiB,
 * processorInfo/supportedArchitectures/item; the best so far in best. */
int ec2_types_pick(struct ec2_doc *d, int memory_mb, char *best, size_t size, long *best_mib,
		   char *next_token, size_t nt_size)
{
	xmlNodePtr root = xmlDocGetRootElement(d->doc), set = at(root, "instanceTypeSet");

	for (xmlNodePtr t = set ? set->children : NULL; t; t = t->next) {
		char name[64], mib_s[32], *end;
		xmlNodePtr archs;
		int x86 = 0;
		long mib;

		if (t->type != XML_ELEMENT_NODE || strcmp((const char *)t->name, "item"))
			continue;
		text_of(at(t, "instanceType"), name, sizeof(name));
		text_of(at(t, "memoryInfo/sizeInMiB"), mib_s, sizeof(mib_s));
		archs = at(t, "processorInfo/supportedArchitectures");
		for (xmlNodePtr a = archs ? archs->children : NULL; a; a = a->next) {
			char arch[32];

			if (a->type != XML_ELEMENT_NODE)
				continue;
			text_of(a, arch, sizeof(arch));
			x86 |= !strcmp(arch, "x86_64");
		}
		mib = strtol(mib_s, &end, 10);
		if (!name[0] || end == mib_s || *end || mib <= 0)
			return -1;
		if (!x86 || mib < memory_mb)
			continue;
		if (!best[0] || mib < *best_mib || (mib == *best_mib && strcmp(name, best) < 0)) {
			snprintf(best, size, "%s", name);
			*best_mib = mib;
		}
	}
	text_of(at(root, "nextToken"), next_token, nt_size);
	return 0;
}

void ec2_tag_value(struct ec2_doc *d, const char *path, const char *key, char *out, size_t size)
{
	xmlNodePtr set = at(xmlDocGetRootElement(d->doc), path);

	if (size)
		out[0] = 0;
	for (xmlNodePtr t = set ? set->children : NULL; t; t = t->next) {
		char k[256];

		if (t->type != XML_ELEMENT_NODE || strcmp((const char *)t->name, "item"))
			continue;
		text_of(at(t, "key"), k, sizeof(k));
		if (!strcmp(k, key)) {
			text_of(at(t, "value"), out, size);
			return;
		}
	}
}
