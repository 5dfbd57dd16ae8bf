/* ec2.h - the EC2 Query API calls the aws provider makes.
 *
 * Each call is a form-encoded POST to / (Action=...&Version=2016-11-15)
 * through aws_http.h; its XML answer is parsed with libxml2 without
 * network access, entity substitution or DTD loading (a reply with a DTD
 * is refused), after a size check.  Errors (<Response><Errors><Error>)
 * become unik_err codes with the AWS error code and message in the text:
 * *.NotFound -> NOT_FOUND, state conflicts -> CONFLICT, malformed or
 * refused parameters -> INVALID, credentials refused, capacity, limits,
 * throttling and 5xx -> UNAVAILABLE.
 */
#ifndef UNIK_AWS_EC2_H
#define UNIK_AWS_EC2_H

#include <stddef.h>

#include "lib/error.h"
#include "lib/strbuf.h"
#include "providers/aws/aws_http.h"

#define EC2_API_VERSION "2016-11-15"
#define EC2_ID_MAX 64 /* "i-0123456789abcdef0", "ami-...", "snap-..." */
#define EC2_MAX_REPLY (4 << 20)

/* A query string under construction: "Action=X&Version=...&K=V...". */
struct ec2_query {
	struct strbuf sb;
	char action[64];
};
void ec2_query_init(struct ec2_query *q, const char *action);
void ec2_query_add(struct ec2_query *q, const char *key, const char *value);
void ec2_query_addf(struct ec2_query *q, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ec2_query_release(struct ec2_query *q);
/* RFC 3986 percent-encoding (only A-Za-z0-9-_.~ kept) of s, appended. */
void ec2_urlencode(struct strbuf *out, const char *s);

/* The EC2 error code of a reply body ("" when it has none) into code. */
void ec2_error_code(const char *body, size_t len, char *code, size_t size);
/* Is this an EC2 error code of throttling (RequestLimitExceeded, ...)? */
int ec2_throttling(const char *code);
/* Maps an error reply (HTTP status, body) into err; returns -1. */
int ec2_map_error(const char *action, long status, const char *body, size_t len,
		  struct unik_err *err);

/* A parsed reply: an opaque document. */
struct ec2_doc;
/* Parses a reply (INVALID for one that is not well-formed, has a DTD, or
 * is over EC2_MAX_REPLY); its root element must be <action>Response. */
int ec2_parse(const char *action, const char *body, size_t len, struct ec2_doc **out,
	      struct unik_err *err);
void ec2_doc_free(struct ec2_doc *d);

/* Sends the query (released here, whatever the outcome) and parses its
 * answer (the error mapped when it is one). */
int ec2_call(const struct aws_client *c, struct ec2_query *q, struct ec2_doc **out,
	     struct unik_err *err);

/* Registers an AMI from a completed snapshot: hvm, x86_64, legacy-bios,
 * ENA support, root /dev/xvda.  The AMI's id into ami. */
int ec2_register_image(const struct aws_client *c, const char *name, const char *description,
		       const char *snapshot, char ami[EC2_ID_MAX], struct unik_err *err);
/* The AMI's state ("available", "pending", ...); NOT_FOUND when absent. */
int ec2_image_state(const struct aws_client *c, const char *ami, char *state, size_t size,
		    struct unik_err *err);
/* The value of the AMI's tag `key` into out ("" when it has none). */
int ec2_image_tag(const struct aws_client *c, const char *ami, const char *key, char *out,
		  size_t size, struct unik_err *err);
/* The value of tag `key` in the tag set at `path` ("imagesSet/item/tagSet"). */
void ec2_tag_value(struct ec2_doc *d, const char *path, const char *key, char *out, size_t size);
/* The AMI registered under `name` by this account (DescribeImages, owner
 * self, filter name): its id into ami, "" when there is none. */
int ec2_image_by_name(const struct aws_client *c, const char *name, char ami[EC2_ID_MAX],
		      struct unik_err *err);
/* These two succeed for what is gone already. */
int ec2_deregister_image(const struct aws_client *c, const char *ami, struct unik_err *err);
int ec2_delete_snapshot(const struct aws_client *c, const char *snap, struct unik_err *err);
/* The snapshot's state ("pending", "completed", "error"); NOT_FOUND. */
int ec2_snapshot_state(const struct aws_client *c, const char *snap, char *state, size_t size,
		       struct unik_err *err);
/* Tags a resource: keys[i] = values[i]. */
int ec2_create_tags(const struct aws_client *c, const char *resource, const char *const *keys,
		    const char *const *values, size_t n, struct unik_err *err);

struct ec2_run {
	const char *ami, *instance_type;
	const char *subnet, *security_group, *key_name; /* each NULL: none */
	const char *client_token; /* idempotency: a retried run makes no second VM */
	const char *user_data; /* raw bytes (base64-encoded here), or NULL */
	const char *const *tag_keys, *const *tag_values; /* the instance's tags */
	size_t ntags;
};
int ec2_run_instance(const struct aws_client *c, const struct ec2_run *r, char id[EC2_ID_MAX],
		     struct unik_err *err);

struct ec2_instance {
	char id[EC2_ID_MAX];
	char state[32]; /* pending, running, shutting-down, terminated, stopping, stopped */
	char type[32];
	char reason[256]; /* stateReason/message, or "" */
};
/* One instance by id; NOT_FOUND when EC2 does not know it. */
int ec2_describe_instance(const struct aws_client *c, const char *id, struct ec2_instance *out,
			  struct unik_err *err);
/* One DescribeInstances query parameter (filters, MaxResults). */
struct ec2_filter {
	const char *name, *value;
};
/* DescribeInstances with the parameters f[0..nf), following NextToken for
 * at most max_pages pages; at most `max` instances, their count in *n. */
int ec2_instances_pages(const struct aws_client *c, const struct ec2_filter *f, size_t nf,
			int max_pages, struct ec2_instance *out, size_t max, size_t *n,
			struct unik_err *err);
/* The instances tagged key=value not terminated, at most `max` (ids), in
 * *n (follows NextToken). */
int ec2_instances_by_tag(const struct aws_client *c, const char *key, const char *value,
			 struct ec2_instance *out, size_t max, size_t *n, struct unik_err *err);
/* StopInstances, StartInstances, TerminateInstances of one instance
 * (`force` for StopInstances' Force). */
int ec2_instance_action(const struct aws_client *c, const char *action, const char *id, int force,
			struct unik_err *err);
/* The console output (decoded) into out: "" when none yet. */
int ec2_console_output(const struct aws_client *c, const char *id, struct strbuf *out,
		       struct unik_err *err);
/* The smallest x86_64 type of at least memory_mb MiB among the families
 * `families` (comma-separated, "t2,m4,c4": their "<family>.*" types), by
 * memory then name.  NOT_FOUND when none is big enough. */
int ec2_pick_instance_type(const struct aws_client *c, const char *families, int memory_mb,
			   char *type, size_t size, struct unik_err *err);

/* Parsing, for the tests: the reply bodies above. */
/* DescribeInstanceTypes: the smallest x86_64 type of at least memory_mb
 * in this page, if smaller than *best_mib (best "" at first). */
int ec2_types_pick(struct ec2_doc *d, int memory_mb, char *best, size_t size, long *best_mib,
		   char *next_token, size_t nt_size);
int ec2_parse_instances(struct ec2_doc *d, struct ec2_instance *out, size_t max, size_t *n,
			char *next_token, size_t nt_size);
/* The text of the element at a path of local names from the root
 * ("imageId", "snapshotSet/item/status"): first match, "" when absent. */
void ec2_text(struct ec2_doc *d, const char *path, char *out, size_t size);

/* The same, all of it, unfiltered (the caller frees it). */
char *ec2_text_dup(struct ec2_doc *d, const char *path);

/* Base64 (RFC 4648, padded). */
void ec2_base64(const void *data, size_t len, struct strbuf *out);
/* Decodes base64 (white space skipped); -1 for malformed input. */
int ec2_unbase64(const char *s, size_t len, struct strbuf *out);

#endif
