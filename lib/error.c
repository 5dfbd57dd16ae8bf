/* error.c - the error struct, its code table and die(). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static const struct {
	const char *name;
	int http;
} errcodes[UNIK_E__COUNT] = {
	[UNIK_E_OK] = { "ok", 200 },
	[UNIK_E_INVALID] = { "invalid_argument", 400 },
	[UNIK_E_UNAUTHORIZED] = { "unauthorized", 401 },
	[UNIK_E_NOT_FOUND] = { "not_found", 404 },
	[UNIK_E_CONFLICT] = { "conflict", 409 },
	[UNIK_E_TOO_LARGE] = { "too_large", 413 },
	[UNIK_E_UNSUPPORTED] = { "not_supported", 501 },
	[UNIK_E_UNAVAILABLE] = { "unavailable", 503 },
	[UNIK_E_INTERNAL] = { "internal", 500 },
};

/* Formats into buf (capacity cap) as valid UTF-8 cut on a character
 * boundary: invalid bytes of the arguments become "\xNN". */
static void format_utf8(char *buf, size_t cap, const char *fmt, va_list ap)
{
	char *text = NULL;
	int n = vasprintf(&text, fmt, ap);

	if (n < 0) {
		snprintf(buf, cap, "%s", "out of memory formatting an error");
		return;
	}
	utf8_sanitize(buf, cap, text, (size_t)n);
	free(text);
}

int unik_err_set(struct unik_err *err, enum unik_errcode code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	format_utf8(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int unik_err_prefix(struct unik_err *err, const char *fmt, ...)
{
	char pre[UNIK_ERR_MSG_MAX];
	char *both;
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	format_utf8(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	/* both parts are valid UTF-8 already; the join is cut once more */
	if (asprintf(&both, "%s: %s", pre, err->msg) < 0)
		abort();
	utf8_sanitize(err->msg, sizeof(err->msg), both, strlen(both));
	free(both);
	if (err->code == UNIK_E_OK)
		err->code = UNIK_E_INTERNAL;
	return -1;
}

void unik_err_clear(struct unik_err *err)
{
	if (!err)
		return;
	err->code = UNIK_E_OK;
	err->msg[0] = '\0';
}

const char *unik_errcode_name(enum unik_errcode code)
{
	if ((unsigned)code >= UNIK_E__COUNT)
		code = UNIK_E_INTERNAL;
	return errcodes[code].name;
}

int unik_errcode_http(enum unik_errcode code)
{
	if ((unsigned)code >= UNIK_E__COUNT)
		code = UNIK_E_INTERNAL;
	return errcodes[code].http;
}

enum unik_errcode unik_errcode_from_name(const char *name)
{
	for (int i = 0; i < UNIK_E__COUNT; i++)
		if (name && !strcmp(errcodes[i].name, name))
			return (enum unik_errcode)i;
	return UNIK_E_INTERNAL;
}

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("unik: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}
