/* restart.c - restart policies (restart.h). */
#include "restart.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESTART_MAX_COUNT 1000000

int unik_restart_parse(const char *s, struct unik_restart *out, struct unik_err *err)
{
	out->policy = UNIK_RESTART_NO;
	out->max = 0;
	if (!s || !*s || !strcmp(s, "no"))
		return 0;
	if (!strcmp(s, "always")) {
		out->policy = UNIK_RESTART_ALWAYS;
		return 0;
	}
	if (!strncmp(s, "on-failure", 10) && (s[10] == '\0' || s[10] == ':')) {
		out->policy = UNIK_RESTART_ON_FAILURE;
		if (s[10] == ':') {
			char *end;
			long n;

			errno = 0;
			n = strtol(s + 11, &end, 10);
			if (errno || end == s + 11 || *end || n < 1 || n > RESTART_MAX_COUNT ||
			    s[11] == '+' || s[11] == ' ')
				return unik_err_set(err, UNIK_E_INVALID,
						    "restart policy '%s': the count after "
						    "on-failure: must be 1..%d",
						    s, RESTART_MAX_COUNT);
			out->max = (int)n;
		}
		return 0;
	}
	return unik_err_set(err, UNIK_E_INVALID,
			    "restart policy '%s': expected no, on-failure, on-failure:N or always",
			    s);
}

void unik_restart_format(const struct unik_restart *r, char *buf, size_t size)
{
	switch (r->policy) {
	case UNIK_RESTART_ALWAYS: snprintf(buf, size, "always"); break;
	case UNIK_RESTART_ON_FAILURE:
		if (r->max)
			snprintf(buf, size, "on-failure:%d", r->max);
		else
			snprintf(buf, size, "on-failure");
		break;
	default: snprintf(buf, size, "no");
	}
}

int unik_restart_wanted(const struct unik_restart *r, int count, int exit_code)
{
	switch (r->policy) {
	case UNIK_RESTART_ALWAYS: return 1;
	case UNIK_RESTART_ON_FAILURE: return exit_code != 0 && (!r->max || count < r->max);
	default: return 0;
	}
}
