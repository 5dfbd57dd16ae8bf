/* summon.h - summoning (`unik run --summon`): an instance whose published
 * ports listen in unikd while its VM is down; the first connection boots
 * it (daemon/summon.h).  The settings of the run request and the record,
 * their JSON (the "summon" object), and the state shown for it. */
#ifndef UNIK_API_SUMMON_H
#define UNIK_API_SUMMON_H

#include <jansson.h>

#include "../lib/error.h"
#include "types.h"

#define UNIK_SUMMON_IDLE_MAX_MS (7LL * 24 * 3600 * 1000) /* a week */

/* "30s", "500ms", "2m", "1h", or a bare number of seconds (fractions
 * allowed: "1.5"): milliseconds, 0..UNIK_SUMMON_IDLE_MAX_MS. */
int unik_duration_parse(const char *s, long long *ms, struct unik_err *err);

/* {"idle_timeout": SECONDS, "max": N[, "pool": ID]}; NULL or null: not
 * summoned.  "pool" is in the records of a pool's other members. */
int unik_summon_from_json(json_t *j, struct unik_summon *out, struct unik_err *err);
/* The request's object (nothing kept of the state). */
json_t *unik_summon_to_json(const struct unik_summon *s);

/* What `unik ps` shows for a summoned instance: "summonable" (listening,
 * never booted), "idle" (listening, its VM stopped after running), or the
 * state of its running VM. */
const char *unik_summon_state(const struct unik_instance *in);

#endif
