/* error.h - the one error convention of unik.
 *
 * Functions that can fail return 0 on success and -1 on failure, after
 * filling a caller-owned `struct unik_err`.  The error code maps to one
 * HTTP status (see unik_errcode_http) and one wire name, so an error made
 * deep inside a provider reaches the client unchanged as
 * {"error":{"code":"<name>","message":"<msg>"}}.
 */
#ifndef UNIK_ERROR_H
#define UNIK_ERROR_H

enum unik_errcode {
	UNIK_E_OK = 0,
	UNIK_E_INVALID, /* 400 bad input from the caller */
	UNIK_E_UNAUTHORIZED, /* 401 missing or wrong bearer token */
	UNIK_E_NOT_FOUND, /* 404 no such object */
	UNIK_E_CONFLICT, /* 409 name taken, object in use, wrong state */
	UNIK_E_TOO_LARGE, /* 413 upload over the configured limit */
	UNIK_E_UNSUPPORTED, /* 501 the provider/compiler lacks the operation */
	UNIK_E_UNAVAILABLE, /* 503 a needed host facility is missing */
	UNIK_E_INTERNAL, /* 500 anything else */
	UNIK_E__COUNT
};

#define UNIK_ERR_MSG_MAX 1024

struct unik_err {
	enum unik_errcode code;
	char msg[UNIK_ERR_MSG_MAX];
};

#define UNIK_ERR_INIT                                                                              \
	{                                                                                          \
		UNIK_E_OK,                                                                         \
		{                                                                                  \
			0                                                                          \
		}                                                                                  \
	}

/* Fills `err` (if not NULL) and returns -1, so callers can write
 * `return unik_err_set(err, UNIK_E_INVALID, "bad name '%s'", n);`. */
int unik_err_set(struct unik_err *err, enum unik_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the message already in `err` with more context; returns -1. */
int unik_err_prefix(struct unik_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void unik_err_clear(struct unik_err *err);

/* Wire name ("not_found") and HTTP status (404) of a code. */
const char *unik_errcode_name(enum unik_errcode code);
int unik_errcode_http(enum unik_errcode code);
/* Inverse of unik_errcode_name; unknown names map to UNIK_E_INTERNAL. */
enum unik_errcode unik_errcode_from_name(const char *name);

/* Prints "unik: <msg>" to stderr and exits 1.  Only for main()s. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
