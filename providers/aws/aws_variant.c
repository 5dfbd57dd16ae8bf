/* aws_variant.c - runs whose command line is not the image's own.
 *
 * An AMI boots the command line its staged disk's grub.cfg holds: the
 * image's default arguments.  A run with other arguments, --env, --trace
 * or --verbose gets an AMI of its own: a copy of the staged disk with the
 * run's command line (disk_stage_set_cmdline), published as the image is
 * (EBS direct upload, zero blocks skipped, RegisterImage; resumable from
 * the instance's folder) under the name unik-<digest>-<instance id>, kept
 * for the instance's later starts and deregistered (its snapshot deleted)
 * with the instance by rm.  A run that differs from the image only in its
 * arguments and environment boots the image's own AMI instead when that
 * AMI reads user data (an image with the network stack, aws_userdata.c):
 * its words go as the instance's user data.  Images without the stack
 * (they cannot ask IMDS) have the words baked into the run's own AMI.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws_int.h"
#include "lib/fsutil.h"
#include "lib/xalloc.h"
#include "providers/common/disk_stage.h"
#include "providers/common/guest.h"

#define VARIANT_DIR "ami-variant" /* the publication's folder, in the instance's */
#define VARIANT_REF "ami-variant.ref" /* "ami-... snap-..." once registered */

static char *in_dir(const struct unik_run_spec *spec, const char *name)
{
	return xasprintf("%s/%s", spec->dir, name);
}

/* A progress line into the instance's log (a lost line is nothing more). */
static void log_line(void *ctx, const char *line)
{
	const struct unik_run_spec *spec = ctx;
	int fd = open(spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	char *l = xasprintf("%s\n", line);

	if (fd >= 0) {
		if (write(fd, l, strlen(l)) < 0) {
			/* the log cannot be written: the line is lost */
		}
		close(fd);
	}
	free(l);
}

int aws_run_cmdline(const struct unik_run_spec *spec, struct strbuf *mine, struct unik_err *err)
{
	struct unik_run_spec s = *spec;

	s.net = NULL; /* the VPC's network: no unik.ip= words */
	s.n_volumes = 0;
	return guest_cmdline(&s, 0, NULL, 0, mine, err);
}

/* *yes 1 when the run may boot base_ami with its words as user data: the
 * AMI reads user data (tag unik:userdata=imds) and the run's command line
 * differs from the disk's only in what the user data replaces. */
static int userdata_ami(const struct unik_run_spec *spec, const struct aws_client *c,
			const char *base_ami, const char *theirs, int *yes, struct unik_err *err)
{
	char tag[16] = "";

	*yes = 0;
	if (aws_userdata_fits(spec, theirs, yes, err))
		return -1;
	if (!*yes)
		return 0;
	if (ec2_image_tag(c, base_ami, AWS_TAG_USERDATA, tag, sizeof(tag), err))
		return -1;
	*yes = !strcmp(tag, "imds");
	return 0;
}

int aws_variant_ami(const struct unik_run_spec *spec, const struct aws_client *c,
		    const char *base_ami, char ami[EC2_ID_MAX], struct unik_err *err)
{
	struct strbuf mine = STRBUF_INIT, theirs = STRBUF_INIT, sb = STRBUF_INIT;
	char *ref_path = in_dir(spec, VARIANT_REF), *dir = in_dir(spec, VARIANT_DIR), *disk = NULL;
	char digest[80] = "", ref[256], snap[EC2_ID_MAX];
	struct unik_publish_spec ps;
	int rc = -1, fits = 0;

	if (!spec->boot_disk) {
		unik_err_set(err, UNIK_E_INTERNAL, "aws: no staged disk for the run");
		goto out;
	}
	if (disk_stage_get_cmdline(spec->boot_disk, spec->dir, &theirs, err) ||
	    userdata_ami(spec, c, base_ami, strbuf_str(&theirs), &fits, err))
		goto out;
	if (fits) {
		snprintf(ami, EC2_ID_MAX, "%s", base_ami); /* the words go as user data */
		rc = 0;
		goto out;
	}
	if (aws_run_cmdline(spec, &mine, err))
		goto out;
	if (!strcmp(strbuf_str(&mine), strbuf_str(&theirs))) {
		snprintf(ami, EC2_ID_MAX, "%s", base_ami); /* the image's own AMI */
		rc = 0;
		goto out;
	}
	if (fs_exists(ref_path) && fs_read_file(ref_path, &sb, err) == 0 &&
	    aws_ref_parse(strbuf_str(&sb), ami, snap, err) == 0) {
		rc = 0; /* made by an earlier start of this instance */
		goto out;
	}
	unik_err_clear(err);
	if (ec2_image_tag(c, base_ami, AWS_TAG_IMAGE, digest, sizeof(digest), err))
		goto out;
	if (strncmp(digest, "sha256:", 7) || strlen(digest) < 47) {
		unik_err_set(err, UNIK_E_INTERNAL, "aws: %s has no %s tag", base_ami,
			     AWS_TAG_IMAGE);
		goto out;
	}
	if (fs_mkdir_p(dir, 0700, err))
		goto out;
	disk = xasprintf("%s/disk.raw", dir);
	log_line((void *)spec,
		 "aws: this run's command line is not the image's: an AMI of its own");
	if (spec->format && !strcmp(spec->format, UNIK_FORMAT_LINUX_INITRD))
		strbuf_adds(&mine, " " AWS_LINUX_NET); /* as the image's AMI has (aws_publish) */
	if (fs_copy_file(spec->boot_disk, disk, 0600, err) ||
	    disk_stage_set_cmdline(disk, strbuf_str(&mine), dir, err))
		goto out;
	memset(&ps, 0, sizeof(ps));
	ps.image_id = spec->id;
	ps.image_name = spec->name;
	ps.digest = digest;
	ps.format = spec->format;
	ps.kernel = spec->kernel;
	ps.disk = disk;
	ps.dir = dir;
	ps.cfg = spec->cfg;
	ps.progress = log_line;
	ps.progress_ctx = (void *)spec;
	if (aws_publish_disk(&ps, 0, ref, sizeof(ref), err) ||
	    fs_write_file_atomic(ref_path, ref, strlen(ref), 0600, err) ||
	    aws_ref_parse(ref, ami, snap, err))
		goto out;
	rc = 0;
out:
	if (disk)
		unlink(disk); /* the snapshot has it; a resumed upload copies it again */
	free(disk);
	free(dir);
	free(ref_path);
	strbuf_release(&mine);
	strbuf_release(&theirs);
	strbuf_release(&sb);
	return rc;
}

int aws_variant_remove(const struct unik_run_spec *spec, struct unik_err *err)
{
	char *ref_path = in_dir(spec, VARIANT_REF), *dir = in_dir(spec, VARIANT_DIR);
	struct strbuf sb = STRBUF_INIT;
	struct unik_publish_spec ps;
	int rc = 0;

	if (fs_exists(ref_path) && fs_read_file(ref_path, &sb, err) == 0) {
		memset(&ps, 0, sizeof(ps));
		ps.image_id = spec->id;
		ps.dir = dir;
		ps.cfg = spec->cfg;
		rc = aws_unpublish(&ps, strbuf_str(&sb), err);
		if (rc == 0)
			unlink(ref_path);
	}
	if (rc == 0)
		fs_remove_tree(dir, NULL);
	strbuf_release(&sb);
	free(ref_path);
	free(dir);
	return rc;
}
