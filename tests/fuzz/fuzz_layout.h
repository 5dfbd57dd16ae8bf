/* fuzz_layout.h - what the OCI layout targets (fuzz_oci_rootfs,
 * fuzz_oci_layout) share: a folder of FUZZ_TMPDIR (removed at exit) holding
 * the layout under test and a canary file beside it. */
#ifndef UNIK_FUZZ_LAYOUT_H
#define UNIK_FUZZ_LAYOUT_H

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "fuzz.h"

#define FUZZ_CANARY "canary"

static char fl_base[PATH_MAX], fl_layout[PATH_MAX], fl_canary[PATH_MAX];

static void fl_remove(void)
{
	fs_remove_tree(fl_base, NULL);
}

/* Makes the folder (named after the target) once, in LLVMFuzzerInitialize. */
static inline void fuzz_layout_init(const char *name)
{
	const char *tmp = getenv("FUZZ_TMPDIR");

	snprintf(fl_base, sizeof(fl_base), "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
	FUZZ_CHECK(mkdtemp(fl_base), "cannot make a folder for the layouts");
	atexit(fl_remove);
	snprintf(fl_layout, sizeof(fl_layout), "%s/layout", fl_base);
	snprintf(fl_canary, sizeof(fl_canary), "%s/" FUZZ_CANARY, fl_base);
}

static inline void fuzz_write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	FUZZ_CHECK(fd >= 0 && write(fd, data, size) == (ssize_t)size && close(fd) == 0,
		   "cannot write %s", path);
}

/* An empty layout (blobs/sha256 only) and a fresh canary beside it. */
static inline void fuzz_layout_fresh(void)
{
	char blobs[PATH_MAX + 16];

	FUZZ_CHECK(fs_remove_tree(fl_layout, NULL) == 0, "cannot clear the layout");
	snprintf(blobs, sizeof(blobs), "%s/blobs/sha256", fl_layout);
	FUZZ_CHECK(fs_mkdir_p(blobs, 0700, NULL) == 0, "cannot make %s", blobs);
	fuzz_write_file(fl_canary, FUZZ_CANARY, strlen(FUZZ_CANARY));
}

/* Only the layout and the unchanged canary in the folder; at the layout's
 * top, only the names `keep` lists (NULL-terminated). */
static inline void fuzz_layout_check(const char *const *keep)
{
	struct dirent *e;
	struct stat st;
	DIR *d;

	FUZZ_CHECK((d = opendir(fl_base)), "the folder is gone");
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			FUZZ_CHECK(!strcmp(e->d_name, "layout") || !strcmp(e->d_name, FUZZ_CANARY),
				   "%s written beside the layout", e->d_name);
	closedir(d);
	FUZZ_CHECK((d = opendir(fl_layout)), "the layout is gone");
	while ((e = readdir(d))) {
		int known = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");

		for (size_t i = 0; keep[i] && !known; i++)
			known = !strcmp(e->d_name, keep[i]);
		FUZZ_CHECK(known, "%s left in the layout", e->d_name);
	}
	closedir(d);
	FUZZ_CHECK(stat(fl_canary, &st) == 0 && S_ISREG(st.st_mode) &&
		       st.st_size == (off_t)strlen(FUZZ_CANARY),
		   "the canary changed");
}

#endif
