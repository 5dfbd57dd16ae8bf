/* ec2.c - the EC2 calls of the aws provider (see ec2.h). */
#include "providers/aws/ec2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

#define MAX_PAGES 50

static int retryable(long status, const struct strbuf *body)
{
	char code[128];

	if (status != 400 && status != 403 && status != 503)
		return 0;
	ec2_error_code(body->buf, body->len, code, sizeof(code));
	return ec2_throttling(code);
}

static int send_query(const struct aws_client *c, struct ec2_query *q, struct ec2_doc **out,
		      struct unik_err *err)
{
	static const struct sigv4_header ct = {
		"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"
	};
	struct aws_http_req req = { 0 };
	struct aws_http_resp resp;
	int rc;

	*out = NULL;
	req.method = "POST";
	req.service = "ec2";
	req.path = "/";
	req.headers = &ct;
	req.nheaders = 1;
	req.body = strbuf_str(&q->sb);
	req.body_len = q->sb.len;
	req.retryable = retryable;
	aws_http_resp_init(&resp);
	if (aws_http_do(c, &req, &resp, err)) {
		aws_http_resp_release(&resp);
		return unik_err_prefix(err, "ec2 %s", q->action);
	}
	if (resp.status != 200)
		rc = ec2_map_error(q->action, resp.status, strbuf_str(&resp.body), resp.body.len,
				   err);
	else
		rc = ec2_parse(q->action, strbuf_str(&resp.body), resp.body.len, out, err);
	aws_http_resp_release(&resp);
	return rc;
}

int ec2_call(const struct aws_client *c, struct ec2_query *q, struct ec2_doc **out,
	     struct unik_err *err)
{
	int rc = send_query(c, q, out, err);

	ec2_query_release(q);
	return rc;
}

/* A call whose reply only says it was done. */
static int call_done(const struct aws_client *c, struct ec2_query *q, struct unik_err *err)
{
	struct ec2_doc *d;
	int rc = ec2_call(c, q, &d, err);

	ec2_doc_free(d);
	return rc;
}

static int id_ok(const char *id, const char *prefix)
{
	size_t n = strlen(prefix), len = strlen(id);

	if (len <= n || len >= EC2_ID_MAX || strncmp(id, prefix, n))
		return 0;
	for (size_t i = n; i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

static int want_id(const char *action, const char *id, const char *prefix, struct unik_err *err)
{
	if (id_ok(id, prefix))
		return 0;
	return unik_err_set(err, UNIK_E_INVALID, "ec2 %s: '%.80s' is not a %s id", action, id,
			    prefix);
}

int ec2_register_image(const struct aws_client *c, const char *name, const char *description,
		       const char *snapshot, char ami[EC2_ID_MAX], struct unik_err *err)
{
	struct ec2_query q;
	struct ec2_doc *d;
	int rc;

	if (want_id("RegisterImage", snapshot, "snap-", err))
		return -1;
	ec2_query_init(&q, "RegisterImage");
	ec2_query_add(&q, "Name", name);
	if (description)
		ec2_query_add(&q, "Description", description);
	ec2_query_add(&q, "Architecture", "x86_64");
	ec2_query_add(&q, "VirtualizationType", "hvm");
	ec2_query_add(&q, "BootMode", "legacy-bios");
	ec2_query_add(&q, "EnaSupport", "true");
	ec2_query_add(&q, "RootDeviceName", "/dev/xvda");
	ec2_query_add(&q, "BlockDeviceMapping.1.DeviceName", "/dev/xvda");
	ec2_query_add(&q, "BlockDeviceMapping.1.Ebs.SnapshotId", snapshot);
	ec2_query_add(&q, "BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true");
	ec2_query_add(&q, "BlockDeviceMapping.1.Ebs.VolumeType", "gp3");
	rc = ec2_call(c, &q, &d, err);
	if (rc)
		return -1;
	ec2_text(d, "imageId", ami, EC2_ID_MAX);
	ec2_doc_free(d);
	if (!id_ok(ami, "ami-"))
		return unik_err_set(err, UNIK_E_INTERNAL,
				    "ec2 RegisterImage: the reply has no image id");
	return 0;
}

/* Describes the one resource `id` (a `prefix` id): the reply in *out
 * (caller frees) when its `id_path` names it, else NOT_FOUND. */
static int describe_one(const struct aws_client *c, const char *action, const char *param,
			const char *id, const char *prefix, const char *id_path,
			struct ec2_doc **out, struct unik_err *err)
{
	struct ec2_query q;
	char got[EC2_ID_MAX];
	int rc;

	*out = NULL;
	if (want_id(action, id, prefix, err))
		return -1;
	ec2_query_init(&q, action);
	ec2_query_add(&q, param, id);
	rc = ec2_call(c, &q, out, err);
	if (rc)
		return -1;
	ec2_text(*out, id_path, got, sizeof(got));
	if (strcmp(got, id)) {
		ec2_doc_free(*out);
		*out = NULL;
		return unik_err_set(err, UNIK_E_NOT_FOUND, "ec2 %s: no %s", action, id);
	}
	return 0;
}

int ec2_image_state(const struct aws_client *c, const char *ami, char *state, size_t size,
		    struct unik_err *err)
{
	struct ec2_doc *d;

	if (describe_one(c, "DescribeImages", "ImageId.1", ami, "ami-", "imagesSet/item/imageId",
			 &d, err))
		return -1;
	ec2_text(d, "imagesSet/item/imageState", state, size);
	ec2_doc_free(d);
	if (!state[0])
		return unik_err_set(err, UNIK_E_NOT_FOUND, "ec2 DescribeImages: no image %s", ami);
	return 0;
}

int ec2_image_tag(const struct aws_client *c, const char *ami, const char *key, char *out,
		  size_t size, struct unik_err *err)
{
	struct ec2_doc *d;

	if (describe_one(c, "DescribeImages", "ImageId.1", ami, "ami-", "imagesSet/item/imageId",
			 &d, err))
		return -1;
	ec2_tag_value(d, "imagesSet/item/tagSet", key, out, size);
	ec2_doc_free(d);
	return 0;
}

int ec2_image_by_name(const struct aws_client *c, const char *name, char ami[EC2_ID_MAX],
		      struct unik_err *err)
{
	struct ec2_query q;
	struct ec2_doc *d;
	int rc;

	ec2_query_init(&q, "DescribeImages");
	ec2_query_add(&q, "Owner.1", "self");
	ec2_query_add(&q, "Filter.1.Name", "name");
	ec2_query_add(&q, "Filter.1.Value.1", name);
	rc = ec2_call(c, &q, &d, err);
	if (rc)
		return -1;
	ec2_text(d, "imagesSet/item/imageId", ami, EC2_ID_MAX);
	ec2_doc_free(d);
	if (ami[0] && !id_ok(ami, "ami-"))
		return unik_err_set(err, UNIK_E_INTERNAL,
				    "ec2 DescribeImages: a malformed image id in the reply");
	return 0;
}

/* Deletes the one resource `id` (a `prefix` id); one already gone is no
 * error. */
static int delete_one(const struct aws_client *c, const char *action, const char *param,
		      const char *id, const char *prefix, struct unik_err *err)
{
	struct ec2_query q;

	if (want_id(action, id, prefix, err))
		return -1;
	ec2_query_init(&q, action);
	ec2_query_add(&q, param, id);
	if (call_done(c, &q, err) == 0)
		return 0;
	if (err->code == UNIK_E_NOT_FOUND) {
		unik_err_clear(err);
		return 0;
	}
	return -1;
}

int ec2_deregister_image(const struct aws_client *c, const char *ami, struct unik_err *err)
{
	return delete_one(c, "DeregisterImage", "ImageId", ami, "ami-", err);
}

int ec2_delete_snapshot(const struct aws_client *c, const char *snap, struct unik_err *err)
{
	return delete_one(c, "DeleteSnapshot", "SnapshotId", snap, "snap-", err);
}

int ec2_snapshot_state(const struct aws_client *c, const char *snap, char *state, size_t size,
		       struct unik_err *err)
{
	struct ec2_doc *d;

	if (describe_one(c, "DescribeSnapshots", "SnapshotId.1", snap, "snap-",
			 "snapshotSet/item/snapshotId", &d, err))
		return -1;
	ec2_text(d, "snapshotSet/item/status", state, size);
	ec2_doc_free(d);
	if (!state[0])
		return unik_err_set(err, UNIK_E_NOT_FOUND, "ec2 DescribeSnapshots: no snapshot %s",
				    snap);
	return 0;
}

int ec2_create_tags(const struct aws_client *c, const char *resource, const char *const *keys,
		    const char *const *values, size_t n, struct unik_err *err)
{
	struct ec2_query q;

	ec2_query_init(&q, "CreateTags");
	ec2_query_add(&q, "ResourceId.1", resource);
	for (size_t i = 0; i < n; i++) {
		char k[48];

		snprintf(k, sizeof(k), "Tag.%zu.Key", i + 1);
		ec2_query_add(&q, k, keys[i]);
		snprintf(k, sizeof(k), "Tag.%zu.Value", i + 1);
		ec2_query_add(&q, k, values[i]);
	}
	return call_done(c, &q, err);
}

int ec2_run_instance(const struct aws_client *c, const struct ec2_run *r, char id[EC2_ID_MAX],
		     struct unik_err *err)
{
	struct ec2_query q;
	struct ec2_doc *d;
	int rc;

	if (want_id("RunInstances", r->ami, "ami-", err))
		return -1;
	ec2_query_init(&q, "RunInstances");
	ec2_query_add(&q, "ImageId", r->ami);
	ec2_query_add(&q, "InstanceType", r->instance_type);
	ec2_query_add(&q, "MinCount", "1");
	ec2_query_add(&q, "MaxCount", "1");
	if (r->client_token)
		ec2_query_add(&q, "ClientToken", r->client_token);
	if (r->subnet)
		ec2_query_add(&q, "SubnetId", r->subnet);
	if (r->security_group)
		ec2_query_add(&q, "SecurityGroupId.1", r->security_group);
	if (r->key_name)
		ec2_query_add(&q, "KeyName", r->key_name);
	if (r->user_data) {
		struct strbuf b64 = STRBUF_INIT;

		ec2_base64(r->user_data, strlen(r->user_data), &b64);
		ec2_query_add(&q, "UserData", strbuf_str(&b64));
		strbuf_release(&b64);
	}
	if (r->ntags)
		ec2_query_add(&q, "TagSpecification.1.ResourceType", "instance");
	for (size_t i = 0; i < r->ntags; i++) {
		char k[64];

		snprintf(k, sizeof(k), "TagSpecification.1.Tag.%zu.Key", i + 1);
		ec2_query_add(&q, k, r->tag_keys[i]);
		snprintf(k, sizeof(k), "TagSpecification.1.Tag.%zu.Value", i + 1);
		ec2_query_add(&q, k, r->tag_values[i]);
	}
	rc = ec2_call(c, &q, &d, err);
	if (rc)
		return -1;
	/* RunInstances answers a reservation: instancesSet/item at its top */
	ec2_text(d, "instancesSet/item/instanceId", id, EC2_ID_MAX);
	ec2_doc_free(d);
	if (!id_ok(id, "i-"))
		return unik_err_set(err, UNIK_E_INTERNAL,
				    "ec2 RunInstances: the reply has no instance id");
	return 0;
}

int ec2_describe_instance(const struct aws_client *c, const char *id, struct ec2_instance *out,
			  struct unik_err *err)
{
	struct ec2_query q;
	struct ec2_doc *d;
	struct ec2_instance in[4];
	size_t n = 0;
	int rc;

	if (want_id("DescribeInstances", id, "i-", err))
		return -1;
	ec2_query_init(&q, "DescribeInstances");
	ec2_query_add(&q, "InstanceId.1", id);
	rc = ec2_call(c, &q, &d, err);
	if (rc)
		return -1;
	rc = ec2_parse_instances(d, in, 4, &n, NULL, 0);
	ec2_doc_free(d);
	if (rc)
		return unik_err_set(err, UNIK_E_INTERNAL,
				    "ec2 DescribeInstances: a malformed instance in the reply");
	for (size_t i = 0; i < n; i++)
		if (!strcmp(in[i].id, id)) {
			*out = in[i];
			return 0;
		}
	return unik_err_set(err, UNIK_E_NOT_FOUND, "ec2 DescribeInstances: no instance %s", id);
}

int ec2_instances_pages(const struct aws_client *c, const struct ec2_filter *f, size_t nf,
			int max_pages, struct ec2_instance *out, size_t max, size_t *n,
			struct unik_err *err)
{
	char next[1024] = "";

	*n = 0;
	for (int page = 0; page < max_pages; page++) {
		struct ec2_query q;
		struct ec2_doc *d;
		size_t got = 0;
		int rc;

		ec2_query_init(&q, "DescribeInstances");
		for (size_t i = 0; i < nf; i++)
			ec2_query_add(&q, f[i].name, f[i].value);
		if (next[0])
			ec2_query_add(&q, "NextToken", next);
		rc = ec2_call(c, &q, &d, err);
		if (rc)
			return -1;
		rc = ec2_parse_instances(d, out + *n, max - *n, &got, next, sizeof(next));
		ec2_doc_free(d);
		if (rc)
			return unik_err_set(err, UNIK_E_INTERNAL,
					    "ec2 DescribeInstances: a malformed instance or more "
					    "than %zu matching %s=%s",
					    max, nf ? f[0].name : "", nf ? f[0].value : "");
		*n += got;
		if (!next[0])
			return 0;
	}
	return unik_err_set(err, UNIK_E_INTERNAL, "ec2 DescribeInstances: more than %d pages",
			    max_pages);
}

int ec2_instances_by_tag(const struct aws_client *c, const char *key, const char *value,
			 struct ec2_instance *out, size_t max, size_t *n, struct unik_err *err)
{
	char tag[160];

	if ((size_t)snprintf(tag, sizeof(tag), "tag:%s", key) >= sizeof(tag))
		return unik_err_set(err, UNIK_E_INVALID, "ec2: tag key too long");
	const struct ec2_filter f[] = {
		{ "Filter.1.Name", tag },
		{ "Filter.1.Value.1", value },
		{ "Filter.2.Name", "instance-state-name" },
		{ "Filter.2.Value.1", "pending" },
		{ "Filter.2.Value.2", "running" },
		{ "Filter.2.Value.3", "stopping" },
		{ "Filter.2.Value.4", "stopped" },
		{ "Filter.2.Value.5", "shutting-down" },
	};
	return ec2_instances_pages(c, f, sizeof(f) / sizeof(f[0]), MAX_PAGES, out, max, n, err);
}

int ec2_instance_action(const struct aws_client *c, const char *action, const char *id, int force,
			struct unik_err *err)
{
	struct ec2_query q;

	if (want_id(action, id, "i-", err))
		return -1;
	ec2_query_init(&q, action);
	ec2_query_add(&q, "InstanceId.1", id);
	if (force)
		ec2_query_add(&q, "Force", "true");
	return call_done(c, &q, err);
}

int ec2_console_output(const struct aws_client *c, const char *id, struct strbuf *out,
		       struct unik_err *err)
{
	struct ec2_query q;
	struct ec2_doc *d;
	char *b64;
	int rc;

	if (want_id("GetConsoleOutput", id, "i-", err))
		return -1;
	ec2_query_init(&q, "GetConsoleOutput");
	ec2_query_add(&q, "InstanceId", id);
	rc = ec2_call(c, &q, &d, err);
	if (rc)
		return -1;
	b64 = ec2_text_dup(d, "output");
	ec2_doc_free(d);
	strbuf_reset(out);
	rc = ec2_unbase64(b64, strlen(b64), out);
	free(b64);
	if (rc)
		return unik_err_set(err, UNIK_E_INTERNAL,
				    "ec2 GetConsoleOutput: the output is not base64");
	return 0;
}

int ec2_pick_instance_type(const struct aws_client *c, const char *families, int memory_mb,
			   char *type, size_t size, struct unik_err *err)
{
	char next[1024] = "";
	long best_mib = 0;
	size_t nf = 0;

	type[0] = 0;
	for (int page = 0; page < MAX_PAGES; page++) {
		struct ec2_query q;
		struct ec2_doc *d;
		const char *f = families;
		int rc;

		ec2_query_init(&q, "DescribeInstanceTypes");
		ec2_query_add(&q, "Filter.1.Name", "instance-type");
		nf = 0;
		while (*f) {
			size_t len = strcspn(f, ",");

			if (len) {
				char k[48], v[64];

				snprintf(k, sizeof(k), "Filter.1.Value.%zu", ++nf);
				snprintf(v, sizeof(v), "%.*s.*", (int)(len < 40 ? len : 40), f);
				ec2_query_add(&q, k, v);
			}
			f += len;
			if (*f == ',')
				f++;
		}
		if (!nf) {
			ec2_query_release(&q);
			return unik_err_set(err, UNIK_E_INVALID,
					    "aws: no instance families configured");
		}
		if (next[0])
			ec2_query_add(&q, "NextToken", next);
		rc = ec2_call(c, &q, &d, err);
		if (rc)
			return -1;
		rc = ec2_types_pick(d, memory_mb, type, size, &best_mib, next, sizeof(next));
		ec2_doc_free(d);
		if (rc)
			return unik_err_set(
			    err, UNIK_E_INTERNAL,
			    "ec2 DescribeInstanceTypes: a malformed type in the reply");
		if (!next[0])
			break;
	}
	if (!type[0])
		return unik_err_set(err, UNIK_E_NOT_FOUND,
				    "aws: no x86_64 instance type of families %s has %d MiB",
				    families, memory_mb);
	return 0;
}
