/* labels.h - the labels of images and instances (`--label K=V`): kept as
 * "K=V" strings, sent and stored as a JSON object {"K": "V"}. */
#ifndef UNIK_API_LABELS_H
#define UNIK_API_LABELS_H

#include <jansson.h>

#include "../lib/error.h"
#include "../lib/strv.h"

#define UNIK_LABELS_MAX 64
#define UNIK_LABEL_KEY_MAX 128
#define UNIK_LABEL_VALUE_MAX 1024

/* Adds label `kv` ("K=V", or "K" for an empty value) to `labels`; a key
 * given again replaces the earlier value.  0, or -1 with `err` set when
 * the key is empty, too long or has control characters, the value too
 * long, or there are too many labels. */
int unik_label_add(struct strv *labels, const char *kv, struct unik_err *err);

/* {"K": "V", ...} of `labels` (NEW). */
json_t *unik_labels_to_json(const struct strv *labels);

/* Reads member `key` of object `j` (absent or null: none) into `labels`,
 * checked as unik_label_add() does. */
int unik_labels_from_json(json_t *j, const char *key, struct strv *labels, struct unik_err *err);

#endif
