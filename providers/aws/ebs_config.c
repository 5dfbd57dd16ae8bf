/* ebs_config.c - the upload's knobs from the daemon's configuration
 * (docs/config.md, section [aws]). */
#include "lib/config.h"
#include "providers/aws/ebs.h"

static int knob(const struct unik_config *cfg, const char *key, long long def, long long min,
		long long max, unsigned *out, struct unik_err *err)
{
	long long v;

	if (unik_config_get_int(cfg, key, def, &v, err) < 0)
		return -1;
	if (v < min || v > max)
		return unik_err_set(err, UNIK_E_INVALID, "config %s = %lld: outside %lld..%lld",
				    key, v, min, max);
	*out = (unsigned)v;
	return 0;
}

int ebs_opts_from_config(const struct unik_config *cfg, struct ebs_upload_opts *o,
			 struct unik_err *err)
{
	if (knob(cfg, "aws.ebs_parallel", EBS_DEFAULT_PARALLEL, 1, EBS_MAX_PARALLEL, &o->parallel,
		 err) < 0 ||
	    knob(cfg, "aws.ebs_attempts", EBS_DEFAULT_ATTEMPTS, 1, 100, &o->max_attempts, err) <
		0 ||
	    knob(cfg, "aws.ebs_timeout_min", EBS_DEFAULT_TIMEOUT_MIN, 10, 4320, &o->timeout_min,
		 err) < 0 ||
	    knob(cfg, "aws.ebs_wait_s", 600, 1, 86400, &o->wait_s, err) < 0)
		return -1;
	return 0;
}
