/* fuzz_api_json.c - the JSON decoders of api/types.c.
 *
 * Input: one byte choosing the decoder, then the JSON text.
 *   0  the body of POST /v1/instances, read as the daemon reads it
 *      (http_body_json, then unik_run_request_from_json);
 *   1  an image, 2 an instance, 3 a job, 4 an error body, 5 a volume: what
 *      the CLI decodes from the daemon's answers (and the daemon from its
 *      store);
 *   6  the body of POST /v1/volumes/{ref}/attach.
 * Promises checked:
 *   - a refused input gets an error that can be sent as a JSON error body
 *     (a message that is valid UTF-8: jansson refuses anything else);
 *   - an accepted input encodes to JSON text, that text decodes again, and
 *     encodes to the same text (the codecs agree with each other);
 *   - a failed job keeps its error when encoded.
 */
#include <jansson.h>
#include <string.h>

#include "../../api/types.h"
#include "../../daemon/http.h"
#include "../../lib/strbuf.h"
#include "fuzz.h"

struct codec {
	const char *name;
	void (*init)(void *obj);
	void (*release)(void *obj);
	int (*decode)(json_t *j, void *obj, struct unik_err *err);
	json_t *(*encode)(const void *obj);
};

/* Typed wrappers: each codec's functions behind one signature. */
#define CODEC_FNS(T, fn)                                                                           \
	static void T##_init_w(void *o)                                                            \
	{                                                                                          \
		unik_##fn##_init(o);                                                               \
	}                                                                                          \
	static void T##_release_w(void *o)                                                         \
	{                                                                                          \
		unik_##fn##_release(o);                                                            \
	}                                                                                          \
	static int T##_decode_w(json_t *j, void *o, struct unik_err *err)                          \
	{                                                                                          \
		return unik_##fn##_from_json(j, o, err);                                           \
	}                                                                                          \
	static json_t *T##_encode_w(const void *o)                                                 \
	{                                                                                          \
		return unik_##fn##_to_json(o);                                                     \
	}

CODEC_FNS(run, run_request)
CODEC_FNS(image, image)
CODEC_FNS(instance, instance)
CODEC_FNS(job, job)
CODEC_FNS(vol, volume)
CODEC_FNS(attach, attach_request)

static void error_init_w(void *o)
{
	unik_err_clear(o);
}

static void error_release_w(void *o)
{
	(void)o;
}

static int error_decode_w(json_t *j, void *o, struct unik_err *err)
{
	if (unik_error_from_json(j, o) == 0)
		return 0;
	return unik_err_set(err, UNIK_E_INVALID, "not an error body");
}

static json_t *error_encode_w(const void *o)
{
	return unik_error_to_json(o);
}

#define CODEC(T, name)                                                                             \
	{                                                                                          \
		name, T##_init_w, T##_release_w, T##_decode_w, T##_encode_w                        \
	}

static const struct codec codecs[] = {
	CODEC(run, "run request"),	 CODEC(image, "image"),
	CODEC(instance, "instance"),	 CODEC(job, "job"),
	CODEC(error, "error"),		 CODEC(vol, "volume"),
	CODEC(attach, "attach request"),
};

/* Enough room for any of the decoded structs. */
union any {
	struct unik_run_request rq;
	struct unik_image im;
	struct unik_instance in;
	struct unik_job job;
	struct unik_err err;
	struct unik_volume vol;
	struct unik_attach_request attach;
};

/* The error must make a JSON error body the daemon can send. */
static void check_sendable(const struct codec *c, const struct unik_err *err)
{
	json_t *j = unik_error_to_json(err);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	FUZZ_CHECK(text, "the %s decoder's error cannot be sent as JSON: \"%s\"", c->name,
		   err->msg);
	free(text);
	json_decref(j);
}

/* Decodes j; on success returns the compact encoding of what was decoded
 * (NULL if it cannot be encoded), on failure checks the error and returns
 * NULL with *ok = 0. */
static char *decode_encode(const struct codec *c, json_t *j, int *ok)
{
	struct unik_err err = UNIK_ERR_INIT;
	union any obj;
	json_t *enc;
	char *text;

	c->init(&obj);
	*ok = c->decode(j, &obj, &err) == 0;
	if (!*ok) {
		check_sendable(c, &err);
		c->release(&obj);
		return NULL;
	}
	enc = c->encode(&obj);
	text = enc ? json_dumps(enc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (c->decode == job_decode_w && obj.job.state == UNIK_JOB_FAILED)
		FUZZ_CHECK(json_is_object(json_object_get(enc, "error")),
			   "a failed job lost its error when encoded (message \"%s\")",
			   obj.job.error.msg);
	json_decref(enc);
	c->release(&obj);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct codec *c;
	struct unik_err err = UNIK_ERR_INIT;
	json_t *j, *j2;
	char *text1, *text2;
	int ok;

	if (size < 1)
		return 0;
	c = &codecs[data[0] % (sizeof(codecs) / sizeof(codecs[0]))];
	if (c == &codecs[0] || c->decode == attach_decode_w) {
		/* the daemon's way in: the request body, then the decoder */
		struct http_req req;

		memset(&req, 0, sizeof(req));
		strbuf_init(&req.body);
		strbuf_add(&req.body, data + 1, size - 1);
		if (http_body_json(&req, &j, &err)) {
			check_sendable(c, &err);
			strbuf_release(&req.body);
			return 0;
		}
		strbuf_release(&req.body);
	} else {
		/* the CLI's way in (cmd/client.c) */
		j = json_loadb((const char *)data + 1, size - 1, 0, NULL);
		if (!j)
			return 0;
	}
	text1 = decode_encode(c, j, &ok);
	json_decref(j);
	if (!ok)
		return 0;
	FUZZ_CHECK(text1, "a decoded %s cannot be encoded as JSON", c->name);
	j2 = json_loads(text1, 0, NULL);
	FUZZ_CHECK(j2, "the encoded %s is not JSON: %s", c->name, text1);
	text2 = decode_encode(c, j2, &ok);
	json_decref(j2);
	FUZZ_CHECK(ok, "the encoded %s does not decode again: %s", c->name, text1);
	FUZZ_CHECK(text2 && !strcmp(text1, text2),
		   "the %s codec does not round-trip:\n  first:  %s\n  second: %s", c->name, text1,
		   text2 ? text2 : "(none)");
	free(text1);
	free(text2);
	return 0;
}
