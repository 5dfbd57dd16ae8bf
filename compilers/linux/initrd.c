/* initrd.c - the "linux" compiler's initramfs: our init, the program, the
 * kernel modules the init loads, and the upload's files/ folder. */
#include "linux.h"
#include "../common/cpio.h"
#include "../common/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/safeopen.h"
#include "../../abi/etc_defaults.h"
#include "../../lib/xalloc.h"

static int is_module(const struct dirent *e)
{
	size_t len = strlen(e->d_name);

	return len > 3 && !strcmp(e->d_name + len - 3, ".ko");
}

static int add_modules(struct cpio_writer *w, const char *dir, struct unik_err *err)
{
	struct dirent **ents = NULL;
	int n, rc = 0;

	if (!dir || !*dir)
		return 0;
	n = scandir(dir, &ents, is_module, alphasort);
	if (n < 0)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot list kernel modules in %s: %s",
				    dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		if (rc == 0) {
			char *src = xasprintf("%s/%s", dir, ents[i]->d_name);
			char *name = xasprintf("unik/modules/%s", ents[i]->d_name);

			rc = cpio_add_file(w, name, src, 0644, err);
			free(src);
			free(name);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* The program: a file the build made in the source or work folder, read
 * beneath that folder (a symlink out of it is refused). */
static int add_app(struct cpio_writer *w, const char *app, struct unik_err *err)
{
	int fd = safe_open_file(app, O_RDONLY | O_NONBLOCK, 0, err);
	int rc;

	if (fd < 0)
		return unik_err_prefix(err, "the program");
	rc = cpio_add_file_fd(w, "app", fd, 0755, err);
	close(fd);
	return rc;
}

static int add_etc_defaults(struct cpio_writer *w, int tree, struct unik_err *err)
{
	static const struct {
		const char *name, *text;
	} defs[] = { { "etc/passwd", UNIK_ETC_PASSWD }, { "etc/group", UNIK_ETC_GROUP } };
	bool has_etc = tree >= 0 && faccessat(tree, "etc", F_OK, AT_SYMLINK_NOFOLLOW) == 0;

	if (!has_etc && cpio_add_dir(w, "etc", 0755, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		if (has_etc && faccessat(tree, defs[i].name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (cpio_add_data(w, defs[i].name, defs[i].text, strlen(defs[i].text), 0644, err) <
		    0)
			return -1;
	}
	return 0;
}

int linux_initrd_pack(const struct unik_build_spec *spec, const struct linux_guest *g,
		      const char *app, const char *out_path, struct unik_err *err)
{
	static const char *const dirs[] = { "dev", "proc", "sys", "unik", "unik/modules" };
	char *files = NULL;
	struct cpio_writer w;
	int tree = -1, rc = -1;

	if (compiler_files_tree(spec, &files, err) < 0 || compiler_files_open(files, &tree, err)) {
		free(files);
		return -1;
	}
	if (cpio_open(&w, out_path, err) < 0) {
		if (tree >= 0)
			close(tree);
		free(files);
		return -1;
	}
	/* The upload's files first: our entries below win on a name clash. */
	if (tree >= 0 && cpio_add_tree(&w, "", tree, err) < 0)
		goto cleanup;
	/* The runtime's /etc/passwd and /etc/group where the upload has none
	 * (nginx's getpwnam("www-data")): the same names as in a unikernel. */
	if (add_etc_defaults(&w, tree, err) < 0)
		goto cleanup;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (cpio_add_dir(&w, dirs[i], 0755, err) < 0)
			goto cleanup;
	if (cpio_add_dir(&w, "tmp", 01777, err) < 0 ||
	    cpio_add_chardev(&w, "dev/console", 0600, 5, 1, err) < 0 ||
	    cpio_add_file(&w, "init", g->init, 0755, err) < 0 || add_app(&w, app, err) < 0 ||
	    add_modules(&w, g->modules, err) < 0)
		goto cleanup;
	rc = cpio_finish(&w, err);
cleanup:
	if (rc < 0)
		cpio_abort(&w);
	if (tree >= 0)
		close(tree);
	free(files);
	return rc;
}
