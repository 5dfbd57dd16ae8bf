/* summon.c - the settings of summoned instances (summon.h). */
#include "summon.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int unik_duration_parse(const char *s, long long *ms, struct unik_err *err)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1000 } };
	char *end;
	double v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		goto bad;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		goto bad;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit)) {
			double r = v * units[i].ms;

			if (r > (double)UNIK_SUMMON_IDLE_MAX_MS)
				return unik_err_set(err, UNIK_E_INVALID,
						    "duration '%s' is longer than a week", s);
			*ms = (long long)(r + 0.5);
			return 0;
		}
bad:
	return unik_err_set(err, UNIK_E_INVALID,
			    "bad duration '%s': use a number with ms, s, m or h (30s, 500ms, 2m)",
			    s ? s : "");
}

int unik_summon_from_json(json_t *j, struct unik_summon *out, struct unik_err *err)
{
	json_t *idle, *max, *pool;

	memset(out, 0, sizeof(*out));
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_object(j))
		return unik_err_set(err, UNIK_E_INVALID, "field 'summon' must be an object");
	out->enabled = 1;
	out->max = 1;
	idle = json_object_get(j, "idle_timeout");
	max = json_object_get(j, "max");
	pool = json_object_get(j, "pool");
	if (idle && !json_is_null(idle)) {
		double v = json_is_number(idle) ? json_number_value(idle) : -1;

		if (!json_is_number(idle) || !isfinite(v) || v < 0 ||
		    v * 1000 > (double)UNIK_SUMMON_IDLE_MAX_MS)
			return unik_err_set(err, UNIK_E_INVALID,
					    "summon.idle_timeout must be a number of seconds, 0 "
					    "(never) up to a week");
		out->idle_timeout_ms = (long long)(v * 1000 + 0.5);
	}
	if (max && !json_is_null(max)) {
		if (!json_is_integer(max) || json_integer_value(max) < 1 ||
		    json_integer_value(max) > 64)
			return unik_err_set(err, UNIK_E_INVALID,
					    "summon.max must be an integer 1..64");
		out->max = (int)json_integer_value(max);
	}
	if (pool && !json_is_null(pool)) {
		const char *v = json_string_value(pool);
		size_t n = v ? strlen(v) : 0;

		if (!v || n < 1 || n >= sizeof(out->pool) || strspn(v, "0123456789abcdef") != n)
			return unik_err_set(err, UNIK_E_INVALID,
					    "summon.pool must be an instance id");
		memcpy(out->pool, v, n + 1);
	}
	return 0;
}

json_t *unik_summon_to_json(const struct unik_summon *s)
{
	json_t *j;

	if (!s->enabled)
		return json_null();
	j = json_pack("{sfsi}", "idle_timeout", (double)s->idle_timeout_ms / 1000.0, "max", s->max);
	if (s->pool[0])
		json_object_set_new(j, "pool", json_string(s->pool));
	return j;
}

const char *unik_summon_state(const struct unik_instance *in)
{
	if (unik_state_active(in->state))
		return unik_state_name(in->state);
	return in->started ? "idle" : "summonable";
}
