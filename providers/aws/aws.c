/* aws.c - the "aws" provider's table, its probe and check, and images
 * published as AMIs (see aws_int.h). */
#include "aws_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../api/formats.h"
#include "../../lib/clock.h"
#include "../../lib/fsutil.h"
#include "../../lib/xalloc.h"
#include "../common/disk_stage.h"
#include "../common/guest.h"
#include "providers/aws/ebs.h"

extern char **environ;

#define AWS_MIN_MEMORY_MB 2 /* a type of at least the run's memory is picked */
#define AWS_MAX_MEMORY_MB (4 * 1024 * 1024)
#define PUBLISH_WAIT_S 900 /* snapshot completed, AMI available */
#define AMI_FILE "ami" /* "ami-... snap-...", once registered */
#define SNAPSHOT_FILE "snapshot" /* the uploaded snapshot's id */

static const char *const aws_formats[] = { UNIK_FORMAT_UNIK_ELF, UNIK_FORMAT_LINUX_INITRD, NULL };

int aws_setup_load(const struct unik_config *cfg, struct aws_setup *s, struct unik_err *err)
{
	const char *region = unik_config_get(cfg, "aws.region", NULL);
	const char *endpoint = unik_config_get(cfg, "aws.endpoint_url", NULL);

	memset(s, 0, sizeof(*s));
	if (aws_creds_load(environ, &s->creds, err))
		return unik_err_prefix(err, "aws");
	if (region && *region) {
		free(s->creds.region);
		s->creds.region = xstrdup(region);
	}
	if (endpoint && *endpoint) {
		free(s->creds.endpoint);
		s->creds.endpoint = xstrdup(endpoint);
	}
	if (!s->creds.region) {
		aws_creds_free(&s->creds);
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "aws: no region (AWS_REGION, the profile's region, or "
				    "aws.region in the configuration)");
	}
	s->client.access_key = s->creds.access_key;
	s->client.secret_key = s->creds.secret_key;
	s->client.session_token = s->creds.session_token;
	s->client.region = s->creds.region;
	s->client.endpoint = s->creds.endpoint;
	return 0;
}

void aws_setup_release(struct aws_setup *s)
{
	aws_creds_free(&s->creds);
	memset(s, 0, sizeof(*s));
}

static int id_chars_ok(const char *s, size_t n, const char *prefix)
{
	size_t p = strlen(prefix);

	if (n <= p || n >= EC2_ID_MAX || strncmp(s, prefix, p))
		return 0;
	for (size_t i = p; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The "ami-... snap-..." pair at the start of s: its length, 0 if none. */
static size_t ref_pair(const char *s, char ami[EC2_ID_MAX], char snap[EC2_ID_MAX])
{
	const char *sp = strchr(s, ' '), *end;

	if (!sp || !id_chars_ok(s, (size_t)(sp - s), "ami-"))
		return 0;
	end = strchr(sp + 1, ' ');
	if (!end)
		end = sp + 1 + strlen(sp + 1);
	if (!id_chars_ok(sp + 1, (size_t)(end - sp - 1), "snap-"))
		return 0;
	snprintf(ami, EC2_ID_MAX, "%.*s", (int)(sp - s), s);
	snprintf(snap, EC2_ID_MAX, "%.*s", (int)(end - sp - 1), sp + 1);
	return (size_t)(end - s);
}

int aws_ref_parse2(const char *ref, char ami[EC2_ID_MAX], char snap[EC2_ID_MAX],
		   char c_ami[EC2_ID_MAX], char c_snap[EC2_ID_MAX], struct unik_err *err)
{
	size_t n = ref ? ref_pair(ref, ami, snap) : 0, m = 0;

	c_ami[0] = c_snap[0] = 0;
	if (n && ref[n] == ' ')
		m = ref_pair(ref + n + 1, c_ami, c_snap);
	if (!n || (ref[n] && (!m || ref[n + 1 + m]))) {
		c_ami[0] = c_snap[0] = 0;
		return unik_err_set(err, UNIK_E_INVALID,
				    "aws: '%.100s' is not a reference \"ami-... snap-...\" (with "
				    "a second pair for the image's companion)",
				    ref ? ref : "");
	}
	return 0;
}

int aws_ref_parse(const char *ref, char ami[EC2_ID_MAX], char snap[EC2_ID_MAX],
		  struct unik_err *err)
{
	char c_ami[EC2_ID_MAX], c_snap[EC2_ID_MAX];

	return aws_ref_parse2(ref, ami, snap, c_ami, c_snap, err);
}

/* Credentials found and EC2 answering (the instance-type look-up the runs
 * make). */
static int aws_probe(const struct unik_config *cfg, struct unik_err *err)
{
	struct aws_setup s;
	char type[64];
	const char *fam = unik_config_get(cfg, "aws.instance_families", AWS_DEFAULT_FAMILIES);
	int rc;

	if (aws_setup_load(cfg, &s, err))
		return -1;
	s.client.max_attempts = 2;
	s.client.timeout_ms = 10000;
	rc = ec2_pick_instance_type(&s.client, fam, AWS_MIN_MEMORY_MB, type, sizeof(type), err);
	aws_setup_release(&s);
	if (rc && err->code != UNIK_E_NOT_FOUND)
		return unik_err_prefix(err, "aws: EC2 does not answer");
	unik_err_clear(err);
	return 0;
}

/* The configured instance type against the image's network (aws_nitro.c),
 * before anything is published; a type picked by memory is checked when
 * the run starts. */
static int check_type(const struct unik_run_spec *spec, struct unik_err *err)
{
	const char *type = unik_config_get(spec->cfg, "aws.instance_type", NULL);
	struct aws_setup s;
	int rc;

	if (!type || !*type || !spec->kernel)
		return 0;
	if (aws_setup_load(spec->cfg, &s, err))
		return -1;
	rc = aws_check_type_network(spec, &s.client, type, err);
	aws_setup_release(&s);
	return rc;
}

/* Any command line runs (one that is not the image's own gets an AMI of its
 * own when it starts, aws_variant.c); the instance type is checked. */
static int aws_check(const struct unik_run_spec *spec, struct unik_err *err)
{
	return check_type(spec, err);
}

static void progress(const struct unik_publish_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void progress(const struct unik_publish_spec *spec, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!spec->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	spec->progress(spec->progress_ctx, line);
}

struct upload_ctx {
	const struct unik_publish_spec *spec;
	long long last_ms;
};

static void on_upload(const struct ebs_progress *p, void *ctx)
{
	struct upload_ctx *u = ctx;
	long long now = clock_now_ms();

	if (!strcmp(p->phase, "scan") || (!strcmp(p->phase, "upload") && now - u->last_ms < 2000))
		return;
	u->last_ms = now;
	progress(u->spec,
		 "aws: snapshot %s: block %llu/%llu (%llu written, %llu zero, %llu resumed, %llu "
		 "retries)",
		 p->phase, (unsigned long long)p->blocks_done, (unsigned long long)p->blocks_total,
		 (unsigned long long)p->blocks_written, (unsigned long long)p->blocks_skipped,
		 (unsigned long long)p->blocks_resumed, (unsigned long long)p->retries);
}

static char *file_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* The first line of a small file of ours, or NULL. */
static char *read_line(const char *dir, const char *name)
{
	char *path = file_in(dir, name), *line = NULL;
	struct strbuf sb = STRBUF_INIT;
	struct unik_err ignored = UNIK_ERR_INIT;

	if (fs_exists(path) && fs_read_file(path, &sb, &ignored) == 0 && sb.len < 256) {
		line = xstrndup(strbuf_str(&sb), strcspn(strbuf_str(&sb), "\n"));
	}
	strbuf_release(&sb);
	free(path);
	return line;
}

static int write_line(const char *dir, const char *name, const char *line, struct unik_err *err)
{
	char *path = file_in(dir, name), *text = xasprintf("%s\n", line);
	int rc = fs_write_file_atomic(path, text, strlen(text), 0600, err);

	free(path);
	free(text);
	return rc;
}

/* Waits until `id` (polled by `get`) is `want`: backoff 1 s doubling to
 * 15 s, up to PUBLISH_WAIT_S.  A state other than it and "pending" (a
 * snapshot in error, an AMI failed or deregistered) fails at once. */
static int wait_state(const struct aws_client *c, const char *id, const char *want,
		      int (*get)(const struct aws_client *, const char *, char *, size_t,
				 struct unik_err *),
		      struct unik_err *err)
{
	long long until = clock_now_ms() + PUBLISH_WAIT_S * 1000LL;
	int ms = 1000;

	for (;;) {
		char state[32];

		if (get(c, id, state, sizeof(state), err))
			return -1;
		if (!strcmp(state, want))
			return 0;
		if (strcmp(state, "pending"))
			return unik_err_set(err, UNIK_E_UNAVAILABLE,
					    "aws: %s is in state %s, not %s", id, state, want);
		if (clock_now_ms() + ms > until)
			return unik_err_set(err, UNIK_E_UNAVAILABLE,
					    "aws: %s is still %s after %d s", id, state,
					    PUBLISH_WAIT_S);
		clock_sleep_ms(ms);
		ms = ms * 2 > 15000 ? 15000 : ms * 2;
	}
}

/* The AMI's name: unique per image (digest and id), so that a publication
 * resumed after RegisterImage answered but before its id was kept finds
 * its AMI by name instead of registering another. */
static void ami_name(const struct unik_publish_spec *spec, char *buf, size_t size)
{
	snprintf(buf, size, "unik-%.40s-%.16s", spec->digest + 7, spec->image_id);
}

static int upload(const struct unik_publish_spec *spec, struct aws_setup *s, char snap[EC2_ID_MAX],
		  struct unik_err *err)
{
	struct ebs_upload_opts o;
	struct ebs_result r;
	struct upload_ctx u = { spec, 0 };
	char *kept = read_line(spec->dir, SNAPSHOT_FILE), state[32];

	/* an upload finished earlier: its snapshot, if it is still there */
	if (kept && ec2_snapshot_state(&s->client, kept, state, sizeof(state), err) == 0 &&
	    strcmp(state, "error")) {
		snprintf(snap, EC2_ID_MAX, "%s", kept);
		free(kept);
		progress(spec, "aws: snapshot %s uploaded earlier (%s)", snap, state);
		return 0;
	}
	if (kept && err->code != UNIK_E_NOT_FOUND && err->code != UNIK_E_OK &&
	    err->code != UNIK_E_INVALID) {
		free(kept);
		return -1;
	}
	free(kept);
	unik_err_clear(err);
	memset(&o, 0, sizeof(o));
	if (ebs_opts_from_config(spec->cfg, &o, err))
		return -1;
	o.disk = spec->disk;
	o.creds = &s->creds;
	o.region = s->creds.region;
	o.endpoint = s->creds.endpoint;
	o.digest = spec->digest;
	o.state_dir = spec->dir;
	o.progress = on_upload;
	o.progress_ctx = &u;
	progress(spec, "aws: uploading %s as an EBS snapshot", spec->disk);
	if (ebs_upload(&o, &r, err))
		return unik_err_prefix(err, "aws: uploading the image's disk");
	snprintf(snap, EC2_ID_MAX, "%s", r.snapshot_id);
	progress(spec, "aws: snapshot %s: %llu blocks written, %llu zero, %llu resumed", snap,
		 (unsigned long long)r.blocks_written, (unsigned long long)r.blocks_skipped,
		 (unsigned long long)r.blocks_resumed);
	return write_line(spec->dir, SNAPSHOT_FILE, snap, err);
}

static int publish_one(const struct unik_publish_spec *spec, char *ref, size_t ref_size,
		       struct unik_err *err);

/* The companion's part of a publication: its own folder inside spec->dir. */
static char *companion_dir(const struct unik_publish_spec *spec)
{
	return xasprintf("%s/" AWS_COMPANION_DIR, spec->dir);
}

/* The image's AMI, then its companion's (the linux base, for the types
 * with ENA: aws_nitro.c): "ami-A snap-A ami-B snap-B". */
int aws_publish(const struct unik_publish_spec *spec, char *ref, size_t ref_size,
		struct unik_err *err)
{
	struct unik_publish_spec cs;
	char cref[128];
	int rc;

	if (publish_one(spec, ref, ref_size, err))
		return -1;
	if (!spec->companion_disk)
		return 0;
	memset(&cs, 0, sizeof(cs));
	cs.image_id = spec->image_id;
	cs.image_name = spec->image_name;
	cs.digest = spec->companion_digest;
	cs.format = spec->companion_format;
	cs.kernel = spec->companion_kernel;
	cs.disk = spec->companion_disk;
	cs.dir = companion_dir(spec);
	cs.memory_mb = spec->memory_mb;
	cs.cfg = spec->cfg;
	cs.progress = spec->progress;
	cs.progress_ctx = spec->progress_ctx;
	progress(spec, "aws: publishing the image's companion (%s)",
		 spec->companion_format ? spec->companion_format : "?");
	rc = fs_mkdir_p(cs.dir, 0700, err) || publish_one(&cs, cref, sizeof(cref), err) ? -1 : 0;
	if (rc == 0 && strlen(ref) + 1 + strlen(cref) >= ref_size)
		rc = unik_err_set(err, UNIK_E_INTERNAL, "aws: the reference is too long");
	if (rc == 0)
		snprintf(ref + strlen(ref), ref_size - strlen(ref), " %s", cref);
	free((char *)cs.dir);
	return rc;
}

static int publish_one(const struct unik_publish_spec *spec, char *ref, size_t ref_size,
		       struct unik_err *err)
{
	struct unik_publish_spec ps = *spec;
	const char *word = UNIK_BOOT_USERDATA_IMDS;
	char *disk = NULL;
	int ud = 0, rc;

	if (!spec->disk)
		return unik_err_set(err, UNIK_E_INTERNAL, "aws: no staged disk to publish");
	if (aws_userdata_capable(spec, &ud, err))
		return -1;
	if (!ud && spec->format && !strcmp(spec->format, UNIK_FORMAT_LINUX_INITRD))
		word = AWS_LINUX_NET; /* the linux base: DHCP for the VPC's address */
	else if (!ud)
		return aws_publish_disk(spec, 0, ref, ref_size, err);
	if (aws_userdata_disk(spec, word, &disk, err))
		return -1;
	ps.disk = disk;
	rc = aws_publish_disk(&ps, ud, ref, ref_size, err);
	if (rc == 0)
		aws_userdata_disk_done(spec);
	free(disk);
	return rc;
}

int aws_publish_disk(const struct unik_publish_spec *spec, int userdata, char *ref, size_t ref_size,
		     struct unik_err *err)
{
	const char *keys[] = { AWS_TAG_IMAGE, "Name", AWS_TAG_USERDATA };
	const char *values[3];
	int ntags = userdata ? 3 : 2;
	struct aws_setup s;
	char *kept, ami[EC2_ID_MAX] = "", snap[EC2_ID_MAX] = "", name[96], state[32];
	int rc = -1;

	if (!spec->disk)
		return unik_err_set(err, UNIK_E_INTERNAL, "aws: no staged disk to publish");
	if (!spec->digest || strncmp(spec->digest, "sha256:", 7) || strlen(spec->digest) < 47)
		return unik_err_set(err, UNIK_E_INVALID, "aws: image %s has no digest",
				    spec->image_id);
	if (aws_setup_load(spec->cfg, &s, err))
		return -1;
	ami_name(spec, name, sizeof(name));
	values[0] = spec->digest;
	values[1] = name;
	values[2] = "imds";
	/* registered earlier (this publication was cut short after it) */
	kept = read_line(spec->dir, AMI_FILE);
	if (kept && aws_ref_parse(kept, ami, snap, err) == 0 &&
	    ec2_image_state(&s.client, ami, state, sizeof(state), err) == 0) {
		free(kept);
		goto wait_ami;
	}
	free(kept);
	if (err->code != UNIK_E_OK && err->code != UNIK_E_NOT_FOUND && err->code != UNIK_E_INVALID)
		goto out;
	unik_err_clear(err);
	ami[0] = 0;
	if (upload(spec, &s, snap, err))
		goto out;
	progress(spec, "aws: waiting for snapshot %s to complete", snap);
	if (wait_state(&s.client, snap, "completed", ec2_snapshot_state, err))
		goto out;
	if (ec2_create_tags(&s.client, snap, keys, values, 2, err))
		goto out;
	if (ec2_image_by_name(&s.client, name, ami, err))
		goto out;
	if (!ami[0] && ec2_register_image(&s.client, name, spec->digest, snap, ami, err))
		goto out;
	snprintf(ref, ref_size, "%s %s", ami, snap);
	if (write_line(spec->dir, AMI_FILE, ref, err) ||
	    ec2_create_tags(&s.client, ami, keys, values, ntags, err))
		goto out;
	progress(spec, "aws: registered %s from %s", ami, snap);
wait_ami:
	if (wait_state(&s.client, ami, "available", ec2_image_state, err))
		goto out;
	snprintf(ref, ref_size, "%s %s", ami, snap);
	rc = 0;
out:
	aws_setup_release(&s);
	return rc;
}

static int unpublish_one(const struct unik_publish_spec *spec, const char *ami, const char *snap,
			 struct unik_err *err);

/* The companion's AMI first: a removal cut short after it leaves the
 * reference's first pair, which a second removal takes. */
int aws_unpublish(const struct unik_publish_spec *spec, const char *ref, struct unik_err *err)
{
	char ami[EC2_ID_MAX], snap[EC2_ID_MAX], c_ami[EC2_ID_MAX], c_snap[EC2_ID_MAX];
	struct unik_publish_spec cs = *spec;
	int rc = 0;

	if (aws_ref_parse2(ref, ami, snap, c_ami, c_snap, err))
		return -1;
	if (c_ami[0]) {
		cs.dir = companion_dir(spec);
		rc = unpublish_one(&cs, c_ami, c_snap, err);
		free((char *)cs.dir);
	}
	return rc ? -1 : unpublish_one(spec, ami, snap, err);
}

static int unpublish_one(const struct unik_publish_spec *spec, const char *ami, const char *snap,
			 struct unik_err *err)
{
	struct aws_setup s;
	int rc;

	if (aws_setup_load(spec->cfg, &s, err))
		return -1;
	rc = ec2_deregister_image(&s.client, ami, err);
	/* EC2 may hold the snapshot "in use" a moment after the deregistration */
	for (int i = 0, ms = 1000; rc == 0; i++, ms *= 2) {
		rc = ec2_delete_snapshot(&s.client, snap, err);
		if (rc == 0 || err->code != UNIK_E_CONFLICT || i >= 5)
			break;
		unik_err_clear(err);
		clock_sleep_ms(ms);
		rc = 0;
	}
	aws_setup_release(&s);
	if (rc == 0) {
		char *a = file_in(spec->dir, AMI_FILE), *b = file_in(spec->dir, SNAPSHOT_FILE);

		unlink(a);
		unlink(b);
		free(a);
		free(b);
	}
	return rc;
}

const struct unik_provider unik_provider_aws = {
	.name = "aws",
	.description = "unik-elf and linux-initrd images as EC2 instances booted from AMIs "
		       "(EBS direct snapshots). Xen types without ENA (t1, t2, m1-m3, m4 to "
		       "10xlarge, c1, c3, c4, r3, i2, d2, g2) run any image; every other type "
		       "(Nitro: t3, m5, c5, ...; m4.16xlarge) has only ENA, which the unik "
		       "runtime lacks: a unik-elf image that makes sockets runs there on its "
		       "companion, the linux base (built too by unik build --provider aws, its "
		       "own AMI), and is refused without one (or build with --compiler linux, "
		       "which runs on any type); others run. Runs "
		       "of an image with sockets take their arguments and --env as user data",
	.auto_priority = 0, /* chosen only by name: a cloud costs money */
	.formats = aws_formats,
	.min_memory_mb = AWS_MIN_MEMORY_MB,
	.max_memory_mb = AWS_MAX_MEMORY_MB,
	.boot_disk_format = "raw", /* the daemon's cached staging, uploaded once */
	.companion_compiler = "linux", /* the linux base for Nitro types (aws_nitro.c) */
	.console_log = 1, /* GetConsoleOutput, appended by status() */
	.net_modes = 0, /* the VPC's network, not the daemon's bridge */
	.check = aws_check,
	.probe = aws_probe,
	.start = aws_start,
	.stop = aws_stop,
	.collect = aws_collect,
	.remove = aws_remove,
	.status = aws_status,
	.publish = aws_publish,
	.unpublish = aws_unpublish,
};
