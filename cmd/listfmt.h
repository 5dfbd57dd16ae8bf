/* listfmt.h - what the listing commands (ps, images) share: --filter
 * KEY=VALUE and --format TEMPLATE (gotmpl.h) over rows of JSON objects.
 */
#ifndef UNIK_CMD_LISTFMT_H
#define UNIK_CMD_LISTFMT_H

#include <jansson.h>
#include <stdio.h>

#include "../lib/error.h"
#include "../lib/strv.h"

struct filters {
	struct strv keys, values; /* one pair per --filter */
};

/* Splits each "KEY=VALUE" of `given` (label=K has no '=' in its value
 * needed) into `f`; KEY must be one of `allowed` (NULL-terminated). */
int filters_parse(struct filters *f, const struct strv *given, const char *const *allowed,
		  struct unik_err *err);
void filters_release(struct filters *f);

/* 1 when no filter names `key`; else 1 when test() passes for any of their
 * values (Docker's rule: one key's values are or'ed, keys are and'ed, but
 * labels are and'ed: filters_all_ok()). */
int filters_ok(const struct filters *f, const char *key, int (*test)(const char *want, void *arg),
	       void *arg);
/* 1 when test() passes for every value of `key` (labels: Docker and's them). */
int filters_all_ok(const struct filters *f, const char *key,
		   int (*test)(const char *want, void *arg), void *arg);
/* 1 when `key` is filtered on. */
int filters_has(const struct filters *f, const char *key);

/* The label filter's test: `want` is "K" or "K=V", `labels` a JSON object. */
int filters_label_test(const char *want, void *labels);

/* "K=V,K2=V2" of a labels object (NEW string; "" for none). */
char *listfmt_labels(json_t *labels);

/* Checks a --format: 0, or -1 with `err` set. */
int listfmt_check(const char *format, struct unik_err *err);
/* Prints `rows` (a JSON array of objects) through `format`: "table T"
 * aligns the tab-separated cells of T under a header made of the field
 * names in capitals; anything else prints one line per row. */
void listfmt_print(const char *format, json_t *rows, FILE *f);

#endif
