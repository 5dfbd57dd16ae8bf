/* aws_userdata.c - a run's arguments and environment as EC2 user data.
 *
 * An image whose kernel links the network stack (aws_image_has_network)
 * is published with " unik.userdata=imds" appended to its staged disk's
 * grub.cfg (a copy of the daemon's staging, in the publication's folder)
 * and its AMI tagged unik:userdata=imds.  Its runtime asks IMDSv2 for the
 * user data before the program starts and takes its unik.arg= and
 * unik.env= words in place of the disk's (docs/runtime.md, "User data").
 * So a run that differs from the image only in its arguments or
 * environment boots the image's own AMI with those words as its user
 * data; any other difference (--trace, --verbose, ...), an image without
 * the stack (hello-c) or an AMI published before the tag existed keep an
 * AMI of the run's own (aws_variant.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws_int.h"
#include "lib/bootargs.h"
#include "lib/fsutil.h"
#include "lib/xalloc.h"
#include "providers/common/disk_stage.h"
#include "providers/common/guest.h"

#define UD_DISK "userdata-disk.raw" /* the staged disk with the word (either) */

int aws_user_data(const struct unik_run_spec *spec, struct strbuf *out, struct unik_err *err)
{
	static const struct strv none = STRV_INIT;
	struct strbuf w = STRBUF_INIT;
	const char *s;
	int rc = 0;

	bootargs_append(&w, spec->args ? spec->args : &none, spec->env ? spec->env : &none);
	strbuf_adds(&w, " " UNIK_BOOT_ID);
	bootargs_encode(&w, spec->id ? spec->id : "");
	for (s = strbuf_str(&w); *s == ' '; s++)
		;
	if (strlen(s) > AWS_USER_DATA_MAX)
		rc = unik_err_set(err, UNIK_E_INVALID,
				  "aws: the run's arguments and environment make %zu bytes of "
				  "user data; EC2 takes at most %d",
				  strlen(s), AWS_USER_DATA_MAX);
	else
		strbuf_adds(out, s);
	strbuf_release(&w);
	return rc;
}

int aws_userdata_capable(const struct unik_publish_spec *spec, int *yes, struct unik_err *err)
{
	*yes = 0;
	if (!spec->kernel || !spec->format || strcmp(spec->format, UNIK_FORMAT_UNIK_ELF))
		return 0;
	return aws_image_has_network(spec->kernel, yes, err);
}

int aws_userdata_disk(const struct unik_publish_spec *spec, const char *word, char **disk,
		      struct unik_err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	char *path = xasprintf("%s/" UD_DISK, spec->dir);
	char *tmp = xasprintf("%s/" UD_DISK ".tmp", spec->dir);
	int rc = -1;

	*disk = NULL;
	if (fs_exists(path)) { /* made by a publication cut short: the same bytes */
		*disk = path;
		path = NULL;
		rc = 0;
		goto out;
	}
	if (disk_stage_get_cmdline(spec->disk, spec->dir, &cmd, err))
		goto out;
	strbuf_addf(&cmd, " %s", word);
	unlink(tmp);
	if (fs_copy_file(spec->disk, tmp, 0600, err) ||
	    disk_stage_set_cmdline(tmp, strbuf_str(&cmd), spec->dir, err))
		goto out;
	if (rename(tmp, path)) {
		unik_err_set(err, UNIK_E_INTERNAL, "aws: renaming %s: %s", tmp, strerror(errno));
		goto out;
	}
	*disk = path;
	path = NULL;
	rc = 0;
out:
	if (rc)
		unlink(tmp);
	strbuf_release(&cmd);
	free(path);
	free(tmp);
	return rc;
}

void aws_userdata_disk_done(const struct unik_publish_spec *spec)
{
	char *path = xasprintf("%s/" UD_DISK, spec->dir);

	unlink(path); /* the snapshot holds it */
	free(path);
}

/* The words of `words` (a command line) other than unik.arg=, unik.env=
 * and unik.userdata=imds, in order, joined by one space, into rest;
 * whether it has unik.arg= and unik.env= words. */
static void split_words(const char *words, struct strbuf *rest, int *has_arg, int *has_env)
{
	const char *p = words;

	*has_arg = *has_env = 0;
	while (*p) {
		const char *e;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		for (e = p; *e && *e != ' '; e++)
			;
		if (!strncmp(p, UNIK_BOOT_ARG, strlen(UNIK_BOOT_ARG)))
			*has_arg = 1;
		else if (!strncmp(p, UNIK_BOOT_ENV, strlen(UNIK_BOOT_ENV)))
			*has_env = 1;
		else if (strncmp(p, UNIK_BOOT_USERDATA_IMDS, strlen(UNIK_BOOT_USERDATA_IMDS)) ||
			 (e - p) != (long)strlen(UNIK_BOOT_USERDATA_IMDS))
			strbuf_addf(rest, "%s%.*s", rest->len ? " " : "", (int)(e - p), p);
		p = e;
	}
}

int aws_userdata_fits(const struct unik_run_spec *spec, const char *theirs, int *yes,
		      struct unik_err *err)
{
	struct unik_run_spec s = *spec;
	struct strbuf mine = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	int mine_arg, mine_env, their_arg, their_env, ignored_arg, ignored_env;
	int rc = -1;

	*yes = 0;
	s.net = NULL;
	s.n_volumes = 0;
	s.args = NULL;
	s.env = NULL;
	if (guest_cmdline(&s, 0, NULL, 0, &mine, err))
		goto out;
	split_words(strbuf_str(&mine), &a, &ignored_arg, &ignored_env);
	split_words(theirs, &b, &their_arg, &their_env);
	/* the runtime keeps the disk's arguments (environment) when the user
	 * data has none: then the disk's must be none too */
	mine_arg = spec->args && spec->args->n > 0;
	mine_env = spec->env && spec->env->n > 0;
	*yes = !strcmp(strbuf_str(&a), strbuf_str(&b)) && (mine_arg || !their_arg) &&
	       (mine_env || !their_env);
	rc = 0;
out:
	strbuf_release(&mine);
	strbuf_release(&a);
	strbuf_release(&b);
	return rc;
}
