/* restart.h - restart policies of instances (`unik run --restart`), as
 * Docker's: "no", "on-failure[:N]" (at most N restarts; none given: no
 * limit), "always".  The daemon's supervisor applies them when a VM ends
 * by itself (daemon/restarts.h); never after a stop asked by a user. */
#ifndef UNIK_API_RESTART_H
#define UNIK_API_RESTART_H

#include <stddef.h>

#include "../lib/error.h"

enum unik_restart_policy {
	UNIK_RESTART_NO = 0,
	UNIK_RESTART_ON_FAILURE,
	UNIK_RESTART_ALWAYS,
};

struct unik_restart {
	enum unik_restart_policy policy;
	int max; /* on-failure: at most this many restarts; 0: no limit */
};

/* Parses a policy (NULL or "": "no").  0, or -1 with err (INVALID). */
int unik_restart_parse(const char *s, struct unik_restart *out, struct unik_err *err);
/* The canonical text of a policy ("on-failure:3") in buf. */
void unik_restart_format(const struct unik_restart *r, char *buf, size_t size);
/* 1 if an instance with policy `r`, restarted `count` times so far, is to
 * be restarted after ending with `exit_code` (-1: unknown, a failure). */
int unik_restart_wanted(const struct unik_restart *r, int count, int exit_code);

#endif
