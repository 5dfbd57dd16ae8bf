/* strv.h - a NULL-terminated vector of owned strings (argv, env lists). */
#ifndef UNIK_STRV_H
#define UNIK_STRV_H

#include <stddef.h>

struct strv {
	char **v; /* v[n] == NULL once anything was pushed; NULL when empty */
	size_t n;
};

#define STRV_INIT                                                                                  \
	{                                                                                          \
		NULL, 0                                                                            \
	}

void strv_init(struct strv *sv);
void strv_release(struct strv *sv);
/* Copies `s`. */
void strv_push(struct strv *sv, const char *s);
/* Takes ownership of `s`. */
void strv_push_owned(struct strv *sv, char *s);
void strv_copy(struct strv *dst, const struct strv *src);
/* Index of the first element equal to `s`, or -1. */
long strv_find(const struct strv *sv, const char *s);

#endif
