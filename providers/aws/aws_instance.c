/* aws_instance.c - the "aws" provider's instances: one EC2 instance each,
 * run from the image's AMI (see aws_int.h). */
#include "aws_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/clock.h"
#include "../../lib/fsutil.h"
#include "../../lib/xalloc.h"
#include "../common/guest.h"

#define LOG_START_FILE "ec2-log-start" /* the log's size when the instance last booted */
#define RUNS_FILE "ec2-runs" /* how many RunInstances were sent: the client token */
#define STATE_WAIT_S 180 /* a stopping instance to become stopped before a start */
#define FORCE_WAIT_S 120 /* after StopInstances Force */
#define CONSOLE_TAIL 512 /* bytes of the old output looked for in the new */
#define CONSOLE_MIN_OVERLAP 32
#define LOG_TAIL (256 * 1024) /* bytes of the log collect() reads */

static char *in_dir(const struct unik_run_spec *spec, const char *name)
{
	return xasprintf("%s/%s", spec->dir, name);
}

/* The EC2 instance id kept for the instance into id ("" if none). */
static void kept_instance(const struct unik_run_spec *spec, char id[EC2_ID_MAX])
{
	char *path = in_dir(spec, AWS_INSTANCE_FILE);
	struct strbuf sb = STRBUF_INIT;
	struct unik_err ignored = UNIK_ERR_INIT;

	id[0] = 0;
	if (fs_exists(path) && fs_read_file(path, &sb, &ignored) == 0 && sb.len < EC2_ID_MAX &&
	    !strncmp(strbuf_str(&sb), "i-", 2))
		snprintf(id, EC2_ID_MAX, "%.*s", (int)strcspn(strbuf_str(&sb), "\n"),
			 strbuf_str(&sb));
	strbuf_release(&sb);
	free(path);
}

static int keep_instance(const struct unik_run_spec *spec, const char *id, struct unik_err *err)
{
	char *path = in_dir(spec, AWS_INSTANCE_FILE), *text = xasprintf("%s\n", id);
	int rc = fs_write_file_atomic(path, text, strlen(text), 0600, err);

	free(path);
	free(text);
	return rc;
}

static void forget(const struct unik_run_spec *spec, const char *name)
{
	char *path = in_dir(spec, name);

	unlink(path);
	free(path);
}

size_t aws_console_new(const char *seen, size_t seen_len, const char *now, size_t now_len)
{
	size_t t = seen_len < CONSOLE_TAIL ? seen_len : CONSOLE_TAIL;
	const char *tail = seen + seen_len - t, *hit = NULL;

	if (!seen_len)
		return 0;
	if (now_len >= seen_len && !memcmp(now, seen, seen_len))
		return seen_len;
	if (now_len <= seen_len && !memcmp(seen + seen_len - now_len, now, now_len))
		return now_len; /* nothing new */
	/* the window moved: where the old output's end is in the new one */
	for (const char *p = now; p + t <= now + now_len;) {
		const char *m = memmem(p, (size_t)(now + now_len - p), tail, t);

		if (!m)
			break;
		hit = m;
		p = m + 1;
	}
	if (hit)
		return (size_t)(hit - now) + t;
	/* less than the tail overlaps: the longest end of seen that begins
	 * now, if long enough not to be chance */
	for (size_t k = t < now_len ? t : now_len; k >= CONSOLE_MIN_OVERLAP; k--)
		if (!memcmp(seen + seen_len - k, now, k))
			return k;
	return 0;
}

int aws_console_exit_status(const char *text, size_t len)
{
	/* the runtime's verbose exit line; "unik:" before the runtime said "unikernel:" */
	static const char *const keys[] = { UNIK_EXIT_STATUS_KEY, "unikernel: exit status ",
					    "unik: exit status " };
	int status = -1;

	for (size_t i = 0; i < len; i++) {
		if (i && text[i - 1] != '\n')
			continue;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = strlen(keys[k]), j;
			long v = 0;

			if (len - i <= kl || memcmp(text + i, keys[k], kl))
				continue;
			for (j = i + kl;
			     j < len && j < i + kl + 4 && text[j] >= '0' && text[j] <= '9'; j++)
				v = v * 10 + (text[j] - '0');
			if (j > i + kl && v <= 255 &&
			    (j == len || text[j] == '\n' || text[j] == '\r' || text[j] == ' '))
				status = (int)v;
		}
	}
	return status;
}

/* Appends what is new in the instance's console output to its log. */
static int pull_console(const struct unik_run_spec *spec, const struct aws_client *c,
			const char *id, struct unik_err *err)
{
	struct strbuf now = STRBUF_INIT, seen = STRBUF_INIT;
	char *path = in_dir(spec, AWS_CONSOLE_FILE);
	struct unik_err ignored = UNIK_ERR_INIT;
	size_t off;
	int rc = ec2_console_output(c, id, &now, err);

	if (rc == 0 && fs_exists(path))
		fs_read_file(path, &seen, &ignored);
	off = rc == 0 ? aws_console_new(seen.buf ? seen.buf : "", seen.len, now.buf ? now.buf : "",
					now.len)
		      : 0;
	if (rc == 0 && off < now.len) {
		int fd = open(spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd < 0 || write(fd, now.buf + off, now.len - off) != (ssize_t)(now.len - off))
			rc = unik_err_set(err, UNIK_E_INTERNAL, "aws: writing %s: %s",
					  spec->log_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		if (rc == 0)
			rc = fs_write_file_atomic(path, now.buf, now.len, 0600, err);
	}
	strbuf_release(&now);
	strbuf_release(&seen);
	free(path);
	return rc;
}

/* Waits until the instance is in one of `want` (space-separated), polling
 * with backoff (500 ms doubling to 5 s) for up to timeout_s.  1 when it is
 * (or is gone, *gone = 1), 0 when the time ran out, -1 on error. */
static int wait_for(const struct aws_client *c, const char *id, const char *want, int timeout_s,
		    struct ec2_instance *in, int *gone, struct unik_err *err)
{
	long long until = clock_now_ms() + (long long)timeout_s * 1000;
	int ms = 500;

	*gone = 0;
	for (;;) {
		size_t n;

		if (ec2_describe_instance(c, id, in, err)) {
			if (err->code != UNIK_E_NOT_FOUND)
				return -1;
			unik_err_clear(err);
			*gone = 1;
			return 1;
		}
		n = strlen(in->state);
		for (const char *w = want; *w;) {
			size_t len = strcspn(w, " ");

			if (len == n && !strncmp(w, in->state, n))
				return 1;
			w += len;
			while (*w == ' ')
				w++;
		}
		if (clock_now_ms() >= until)
			return 0;
		clock_sleep_ms(ms);
		ms = ms * 2 > 5000 ? 5000 : ms * 2;
	}
}

/* An instance of ours found by tag (a start cut short after RunInstances
 * answered but before the id was kept). */
static int find_tagged(const struct unik_run_spec *spec, const struct aws_client *c,
		       char id[EC2_ID_MAX], struct unik_err *err)
{
	struct ec2_instance in[8];
	size_t n = 0;

	id[0] = 0;
	if (ec2_instances_by_tag(c, AWS_TAG_INSTANCE, spec->id, in, 8, &n, err))
		return -1;
	for (size_t i = 0; i < n && !id[0]; i++)
		if (strcmp(in[i].state, "shutting-down"))
			snprintf(id, EC2_ID_MAX, "%s", in[i].id);
	return 0;
}

/* Boots the kept instance `id` again if it is stopped: 1 done (or it
 * runs), 0 it is gone (run a new one), -1 error. */
static int restart(const struct aws_client *c, const char *id, struct unik_err *err)
{
	struct ec2_instance in;
	int gone, rc = wait_for(c, id, "pending running stopped terminated shutting-down",
				STATE_WAIT_S, &in, &gone, err);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return unik_err_set(err, UNIK_E_CONFLICT, "aws: instance %s is still %s after %d s",
				    id, in.state, STATE_WAIT_S);
	if (gone || !strcmp(in.state, "terminated") || !strcmp(in.state, "shutting-down"))
		return 0;
	if (!strcmp(in.state, "stopped") && ec2_instance_action(c, "StartInstances", id, 0, err))
		return -1;
	return 1;
}

/* collect() reads the log from here on: an exit line of an earlier boot is
 * not this one's. */
static int mark_log_start(const struct unik_run_spec *spec, struct unik_err *err)
{
	struct stat st;
	char *path = in_dir(spec, LOG_START_FILE), size[32];
	int rc;

	snprintf(size, sizeof(size), "%lld",
		 stat(spec->log_path, &st) == 0 ? (long long)st.st_size : 0LL);
	rc = fs_write_file_atomic(path, size, strlen(size), 0600, err);
	free(path);
	return rc;
}

/* The run's instance type: aws.instance_type, else the smallest of
 * aws.instance_families with the run's memory. */
static int pick_type(const struct unik_run_spec *spec, const struct aws_client *c, char *type,
		     size_t type_size, struct unik_err *err)
{
	const char *cfg_type = unik_config_get(spec->cfg, "aws.instance_type", NULL);
	const char *fam = unik_config_get(spec->cfg, "aws.instance_families", AWS_DEFAULT_FAMILIES);

	if (cfg_type && *cfg_type) {
		snprintf(type, type_size, "%s", cfg_type);
		return 0;
	}
	return ec2_pick_instance_type(c, fam, spec->memory_mb, type, type_size, err);
}

static int run_new(const struct unik_run_spec *spec, const struct aws_client *c, const char *ami,
		   char id[EC2_ID_MAX], const char *type, struct unik_err *err)
{
	char token[64], runs_s[24] = "0", digest[80] = "";
	const char *keys[] = { AWS_TAG_INSTANCE, AWS_TAG_IMAGE, "Name" };
	const char *values[3];
	struct ec2_run r = { 0 };
	struct strbuf ud = STRBUF_INIT, sb = STRBUF_INIT;
	struct unik_err ignored = UNIK_ERR_INIT;
	char *runs_path = in_dir(spec, RUNS_FILE), *name;
	long runs = 0;
	int rc;

	if (fs_exists(runs_path) && fs_read_file(runs_path, &sb, &ignored) == 0)
		runs = strtol(strbuf_str(&sb), NULL, 10);
	strbuf_release(&sb);
	snprintf(runs_s, sizeof(runs_s), "%ld", runs + 1);
	if (fs_write_file_atomic(runs_path, runs_s, strlen(runs_s), 0600, err)) {
		free(runs_path);
		return -1;
	}
	free(runs_path);
	snprintf(token, sizeof(token), "unik-%.40s-%ld", spec->id, runs + 1);
	/* the image's digest: the tag its AMI carries (the run spec has none) */
	if (ec2_image_tag(c, ami, AWS_TAG_IMAGE, digest, sizeof(digest), err))
		return -1;
	if (!digest[0])
		snprintf(digest, sizeof(digest), "unknown");
	name = xasprintf("unik-%s", spec->name ? spec->name : spec->id);
	values[0] = spec->id;
	values[1] = digest;
	values[2] = name;
	/* the run's arguments, environment and id as user data: what the
	 * runtime of an AMI published with unik.userdata=imds boots with
	 * (aws_userdata.c); an AMI of the run's own boots its grub.cfg's */
	if (aws_user_data(spec, &ud, err)) {
		free(name);
		return -1;
	}
	r.ami = ami;
	r.instance_type = type;
	r.subnet = unik_config_get(spec->cfg, "aws.subnet_id", NULL);
	r.security_group = unik_config_get(spec->cfg, "aws.security_group_id", NULL);
	r.key_name = unik_config_get(spec->cfg, "aws.key_name", NULL);
	r.client_token = token;
	r.user_data = ud.len ? strbuf_str(&ud) : NULL;
	r.tag_keys = keys;
	r.tag_values = values;
	r.ntags = 3;
	rc = ec2_run_instance(c, &r, id, err);
	strbuf_release(&ud);
	free(name);
	return rc;
}

int aws_start(const struct unik_run_spec *spec, struct unik_vm *vm, struct unik_err *err)
{
	struct aws_setup s;
	char ami[EC2_ID_MAX], snap[EC2_ID_MAX], id[EC2_ID_MAX], type[64] = "";
	char boot_ami[EC2_ID_MAX], c_ami[EC2_ID_MAX], c_snap[EC2_ID_MAX], why[128] = "";
	struct unik_run_spec run = *spec;
	int rc = -1, r = 0;

	if (!spec->published)
		return unik_err_set(err, UNIK_E_INTERNAL, "aws: the image is not published");
	if (aws_ref_parse2(spec->published, ami, snap, c_ami, c_snap, err) ||
	    aws_setup_load(spec->cfg, &s, err))
		return -1;
	snprintf(boot_ami, sizeof(boot_ami), "%s", ami);
	kept_instance(spec, id);
	if (!id[0] && find_tagged(spec, &s.client, id, err))
		goto out;
	if (id[0]) {
		r = restart(&s.client, id, err);
		if (r < 0)
			goto out;
	}
	if (r == 0) {
		struct strbuf ud = STRBUF_INIT;

		r = aws_user_data(spec, &ud, err); /* too long: refused before any upload */
		strbuf_release(&ud);
		if (r)
			goto out;
		/* the type, then the base that runs on it: the image or its
		 * companion (aws_nitro.c) */
		if (pick_type(spec, &s.client, type, sizeof(type), err) ||
		    aws_pick_base(spec, &s.client, type, c_ami, &run, why, sizeof(why), err))
			goto out;
		if (why[0])
			snprintf(ami, sizeof(ami), "%s", c_ami);
		if (aws_variant_ami(&run, &s.client, ami, boot_ami, err) ||
		    run_new(&run, &s.client, boot_ami, id, type, err))
			goto out;
		forget(spec, AWS_CONSOLE_FILE); /* a new instance: a new console */
	}
	if (keep_instance(spec, id, err) || mark_log_start(spec, err))
		goto out;
	vm->pid = 0;
	snprintf(vm->note, sizeof(vm->note), "EC2 instance %s%s%s%s from %s%s%s", id,
		 type[0] ? " (" : "", type, type[0] ? ")" : "", boot_ami, why[0] ? "; " : "", why);
	rc = 0;
out:
	aws_poll_forget(&s.client); /* whatever was sent: the batch may be behind */
	aws_setup_release(&s);
	return rc;
}

int aws_status(const struct unik_run_spec *spec, enum unik_vm_state *state, pid_t *pid,
	       struct unik_err *err)
{
	struct aws_setup s;
	struct ec2_instance in;
	char id[EC2_ID_MAX];
	struct unik_err ignored = UNIK_ERR_INIT;

	*pid = 0;
	kept_instance(spec, id);
	if (!id[0]) {
		*state = UNIK_VM_GONE;
		return 0;
	}
	if (aws_setup_load(spec->cfg, &s, err))
		return -1;
	/* the daemon's poll of every instance without a process waits on this:
	 * few, short tries (it asks again in a moment) */
	s.client.max_attempts = 3;
	s.client.timeout_ms = 15000;
	s.client.connect_timeout_ms = 3000;
	s.client.backoff_cap_ms = 2000;
	if (aws_poll_instance(&s.client, id, &in, err)) {
		aws_setup_release(&s);
		if (err->code != UNIK_E_NOT_FOUND)
			return -1;
		unik_err_clear(err);
		*state = UNIK_VM_GONE;
		return 0;
	}
	if (!strcmp(in.state, "pending") || !strcmp(in.state, "running") ||
	    !strcmp(in.state, "stopping"))
		*state = UNIK_VM_RUNNING; /* stopping: not ended yet */
	else if (!strcmp(in.state, "stopped") || !strcmp(in.state, "shutting-down"))
		*state = UNIK_VM_STOPPED;
	else
		*state = UNIK_VM_GONE; /* terminated */
	if (strcmp(in.state, "pending") && aws_poll_console_due(id, !strcmp(in.state, "running")))
		pull_console(spec, &s.client, id, &ignored); /* a log a little behind, no more */
	aws_setup_release(&s);
	return 0;
}

/* EC2's StopInstances: the ACPI power button, which the runtime's PC
 * platform turns into SIGTERM for the program; the instance is kept (a
 * later start boots it again), TerminateInstances comes with remove(). */
int aws_stop(const struct unik_run_spec *spec, pid_t pid, int timeout_s, struct unik_err *err)
{
	struct aws_setup s;
	struct ec2_instance in;
	struct unik_err ignored = UNIK_ERR_INIT;
	char id[EC2_ID_MAX];
	int gone = 0, rc = 0;

	kept_instance(spec, id);
	if (!id[0])
		return 0;
	if (aws_setup_load(spec->cfg, &s, err))
		return -1;
	if (timeout_s > 0) {
		if (ec2_instance_action(&s.client, "StopInstances", id, 0, err) &&
		    err->code != UNIK_E_NOT_FOUND && err->code != UNIK_E_CONFLICT) {
			aws_poll_forget(&s.client);
			aws_setup_release(&s);
			return -1;
		}
		unik_err_clear(err);
		rc = wait_for(&s.client, id, "stopped terminated", timeout_s, &in, &gone, err);
	}
	if (rc == 0) {
		/* the program did not end in time: forced (no ACPI, no SIGTERM) */
		if (ec2_instance_action(&s.client, "StopInstances", id, 1, err) &&
		    err->code != UNIK_E_NOT_FOUND && err->code != UNIK_E_CONFLICT) {
			aws_poll_forget(&s.client);
			aws_setup_release(&s);
			return -1;
		}
		unik_err_clear(err);
		rc = wait_for(&s.client, id, "stopped terminated", FORCE_WAIT_S, &in, &gone, err);
		if (rc == 0)
			unik_err_set(err, UNIK_E_UNAVAILABLE,
				     "aws: instance %s is still %s %d s after a forced stop", id,
				     in.state, FORCE_WAIT_S);
	}
	if (rc > 0 && !gone)
		pull_console(spec, &s.client, id, &ignored);
	aws_poll_forget(&s.client);
	aws_setup_release(&s);
	return rc > 0 ? 0 : -1;
}

int aws_collect(const struct unik_run_spec *spec, int wait_status, struct unik_exit *out,
		struct unik_err *err)
{
	int fd = open(spec->log_path, O_RDONLY | O_CLOEXEC);
	char *buf = xmalloc(LOG_TAIL), *path = in_dir(spec, LOG_START_FILE);
	struct strbuf sb = STRBUF_INIT;
	struct unik_err ignored = UNIK_ERR_INIT;
	long long start = 0;
	ssize_t n = 0;
	struct stat st;

	if (fs_exists(path) && fs_read_file(path, &sb, &ignored) == 0)
		start = strtoll(strbuf_str(&sb), NULL, 10);
	strbuf_release(&sb);
	free(path);
	if (fd >= 0 && fstat(fd, &st) == 0) {
		off_t from = st.st_size > LOG_TAIL ? st.st_size - LOG_TAIL : 0;

		if (start > 0 && start <= st.st_size && from < start)
			from = (off_t)start;
		n = pread(fd, buf, LOG_TAIL, from);
	}
	if (fd >= 0)
		close(fd);
	out->exit_code = n > 0 ? aws_console_exit_status(buf, (size_t)n) : -1;
	free(buf);
	snprintf(out->message, sizeof(out->message), "%s",
		 out->exit_code >= 0
		     ? "exited"
		     : "the instance stopped without an exit status on its console");
	return 0;
}

/* TerminateInstances of the instance (and of any other tagged as this
 * unik instance's: a start cut short); the EBS root volume goes with it
 * (DeleteOnTermination). */
int aws_remove(const struct unik_run_spec *spec, struct unik_err *err)
{
	struct aws_setup s;
	struct ec2_instance in[8];
	char id[EC2_ID_MAX];
	size_t n = 0;
	int rc = 0;

	kept_instance(spec, id);
	if (aws_setup_load(spec->cfg, &s, err))
		return -1;
	if (id[0] && ec2_instance_action(&s.client, "TerminateInstances", id, 0, err) &&
	    err->code != UNIK_E_NOT_FOUND)
		rc = -1;
	if (rc == 0) {
		unik_err_clear(err);
		rc = ec2_instances_by_tag(&s.client, AWS_TAG_INSTANCE, spec->id, in, 8, &n, err);
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (strcmp(in[i].id, id) &&
		    ec2_instance_action(&s.client, "TerminateInstances", in[i].id, 0, err) &&
		    err->code != UNIK_E_NOT_FOUND)
			rc = -1;
	aws_poll_forget(&s.client);
	aws_setup_release(&s);
	if (rc == 0) {
		unik_err_clear(err);
		rc = aws_variant_remove(spec, err);
	}
	if (rc == 0) {
		forget(spec, AWS_INSTANCE_FILE);
		forget(spec, AWS_CONSOLE_FILE);
		forget(spec, LOG_START_FILE);
	}
	return rc;
}
