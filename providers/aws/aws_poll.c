/* aws_poll.c - the daemon's state poll of aws instances, batched.
 *
 * unikd asks status() of every instance without a host process every 2 s.
 * One DescribeInstances per instance per poll would make EC2's request
 * limits the bound on how many instances unik can run; instead one
 * DescribeInstances of every instance tagged unik:instance (any state, all
 * pages) serves every status() of that endpoint, region and account for
 * AWS_POLL_FRESH_MS.  An instance the batch does not hold (run since, or
 * gone) is asked by id, so a fresh instance is never taken for a gone one.
 * The batch is made under a lock: status() calls that meet a stale batch
 * wait for the one call that refreshes it rather than each making their
 * own.  The console output (GetConsoleOutput has no batch form) is asked
 * of a running instance every AWS_CONSOLE_EVERY_MS, of one stopping or
 * stopped at every poll (its exit line).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_int.h"
#include "lib/clock.h"
#include "lib/xalloc.h"

#define POLL_SLOTS 8 /* endpoints x regions x accounts kept at once */
#define POLL_MAX 1024 /* instances in one batch */
#define CONSOLE_SLOTS 1024
#define POLL_PAGES 8

struct poll_slot {
	char *key; /* endpoint, region, access key */
	long long at_ms; /* when the batch was made; 0: never */
	struct ec2_instance *in;
	size_t n;
};

static pthread_mutex_t poll_lock = PTHREAD_MUTEX_INITIALIZER;
static struct poll_slot slots[POLL_SLOTS];

static char *slot_key(const struct aws_client *c)
{
	return xasprintf("%s|%s|%s", c->endpoint ? c->endpoint : "", c->region ? c->region : "",
			 c->access_key ? c->access_key : "");
}

/* The slot for `key` (the least recently made one reused). */
static struct poll_slot *slot_for(const char *key)
{
	struct poll_slot *oldest = &slots[0];

	for (size_t i = 0; i < POLL_SLOTS; i++) {
		if (slots[i].key && !strcmp(slots[i].key, key))
			return &slots[i];
		if (!slots[i].key || slots[i].at_ms < oldest->at_ms)
			oldest = &slots[i];
		if (!slots[i].key)
			break;
	}
	free(oldest->key);
	free(oldest->in);
	memset(oldest, 0, sizeof(*oldest));
	oldest->key = xstrdup(key);
	return oldest;
}

int ec2_instances_tagged(const struct aws_client *c, const char *key, struct ec2_instance *out,
			 size_t max, size_t *n, struct unik_err *err)
{
	const struct ec2_filter f[] = {
		{ "Filter.1.Name", "tag-key" },
		{ "Filter.1.Value.1", key },
		{ "MaxResults", "1000" },
	};
	return ec2_instances_pages(c, f, sizeof(f) / sizeof(f[0]), POLL_PAGES, out, max, n, err);
}

int aws_poll_instance(const struct aws_client *c, const char *id, struct ec2_instance *out,
		      struct unik_err *err)
{
	char *key = slot_key(c);
	struct poll_slot *s;
	long long now;
	int rc = 0;

	pthread_mutex_lock(&poll_lock);
	s = slot_for(key);
	free(key);
	now = clock_now_ms();
	if (!s->at_ms || now - s->at_ms >= AWS_POLL_FRESH_MS || now < s->at_ms) {
		struct ec2_instance *in = xcalloc(POLL_MAX, sizeof(*in));
		size_t n = 0;

		rc = ec2_instances_tagged(c, AWS_TAG_INSTANCE, in, POLL_MAX, &n, err);
		if (rc == 0) {
			free(s->in);
			s->in = in;
			s->n = n;
			s->at_ms = clock_now_ms();
		} else {
			free(in);
		}
	}
	for (size_t i = 0; rc == 0 && i < s->n; i++)
		if (!strcmp(s->in[i].id, id)) {
			*out = s->in[i];
			pthread_mutex_unlock(&poll_lock);
			return 0;
		}
	pthread_mutex_unlock(&poll_lock);
	if (rc)
		return -1;
	/* not in the batch: run since it was made, or gone (NOT_FOUND) */
	return ec2_describe_instance(c, id, out, err);
}

/* When each instance's console was asked last (by EC2 id). */
struct console_slot {
	char id[EC2_ID_MAX];
	long long at_ms;
};
static struct console_slot consoles[CONSOLE_SLOTS];

int aws_poll_console_due(const char *id, int running)
{
	struct console_slot *c = NULL, *oldest = &consoles[0];
	long long now = clock_now_ms();
	int due;

	pthread_mutex_lock(&poll_lock);
	for (size_t i = 0; i < CONSOLE_SLOTS && !c; i++) {
		if (!strcmp(consoles[i].id, id))
			c = &consoles[i];
		else if (consoles[i].at_ms < oldest->at_ms)
			oldest = &consoles[i];
	}
	if (!c) {
		c = oldest;
		snprintf(c->id, sizeof(c->id), "%s", id);
		c->at_ms = 0;
	}
	due = !running || !c->at_ms || now - c->at_ms >= AWS_CONSOLE_EVERY_MS || now < c->at_ms;
	if (due)
		c->at_ms = now;
	pthread_mutex_unlock(&poll_lock);
	return due;
}

void aws_poll_forget(const struct aws_client *c)
{
	char *key = slot_key(c);

	pthread_mutex_lock(&poll_lock);
	for (size_t i = 0; i < POLL_SLOTS; i++)
		if (slots[i].key && !strcmp(slots[i].key, key))
			slots[i].at_ms = 0;
	pthread_mutex_unlock(&poll_lock);
	free(key);
}
