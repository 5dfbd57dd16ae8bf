/* codec.h - the JSON member helpers of api/types.c, for the other codecs
 * of api/ (volumes.c).  Not for callers outside api/.
 *
 * The getters borrow `j`; an absent or null member leaves *out as it is
 * (a required string: INVALID "missing field").  A member of the wrong
 * type is INVALID naming it.  The makers return NEW references. */
#ifndef UNIK_API_CODEC_H
#define UNIK_API_CODEC_H

#include <jansson.h>
#include <stdint.h>

#include "../lib/error.h"
#include "../lib/strv.h"

int unik_json_get_str(json_t *j, const char *key, char **out, int required, struct unik_err *err);
int unik_json_get_int(json_t *j, const char *key, long long *out, struct unik_err *err);
int unik_json_get_bool(json_t *j, const char *key, int *out, struct unik_err *err);
/* An RFC 3339 time member into unix seconds. */
int unik_json_get_time(json_t *j, const char *key, int64_t *out, struct unik_err *err);
/* -1 with err unless j is an object; `what` names it ("volume"). */
int unik_json_need_object(json_t *j, const char *what, struct unik_err *err);
/* RFC 3339 string, or null for 0. */
json_t *unik_json_time(int64_t t);

#endif
