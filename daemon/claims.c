/* claims.c - one holder per instance at a time (see claims.h). */
#include "claims.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/xalloc.h"
#include "daemon.h"

struct claim *claim_find(struct unikd *d, const char *id)
{
	for (struct claim *c = d->claims; c; c = c->next)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

struct claim *claim_try(struct unikd *d, const char *id)
{
	struct claim *c;

	if (claim_find(d, id))
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->id = xstrdup(id);
	c->next = d->claims;
	d->claims = c;
	return c;
}

struct claim *claim_take(struct unikd *d, const char *id)
{
	struct claim *c;

	while (!(c = claim_try(d, id)))
		unikd_wait_changed(d, 1000); /* woken by claim_drop */
	return c;
}

void claim_note_exit(struct claim *c, pid_t pid, int wait_status)
{
	c->exit_noted = 1;
	c->exit_pid = pid;
	c->exit_status = wait_status;
}

void claim_drop(struct unikd *d, struct claim *c)
{
	for (struct claim **pp = &d->claims; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c->id);
	free(c);
	pthread_cond_broadcast(&d->changed);
}
