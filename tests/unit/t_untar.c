/* t_untar.c - uploads that try to escape the build folder are refused and
 * write nothing outside it. */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../daemon/untar.h"
#include "../../lib/fsutil.h"
#include "../../lib/xalloc.h"
#include "tap.h"

struct entry {
	const char *path;
	mode_t type;
	const char *data_or_link;
};

static void make_tar(const char *out, const struct entry *e, size_t n, int gzip)
{
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	archive_write_open_filename(a, out);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();

		archive_entry_set_pathname(ae, e[i].path);
		archive_entry_set_filetype(ae, e[i].type);
		archive_entry_set_perm(ae, 0644);
		if (e[i].type == AE_IFLNK)
			archive_entry_set_symlink(ae, e[i].data_or_link);
		if (e[i].type == AE_IFREG)
			archive_entry_set_size(ae, (la_int64_t)strlen(e[i].data_or_link));
		if (e[i].type == AE_IFCHR)
			archive_entry_set_rdev(ae, makedev(1, 3));
		archive_write_header(a, ae);
		if (e[i].type == AE_IFREG)
			archive_write_data(a, e[i].data_or_link, strlen(e[i].data_or_link));
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static int try(const char *root, const struct entry *e, size_t n, int gzip, long long max,
	       struct unik_err *err)
{
	char *tar = xasprintf("%s/in.tar", root), *dest = xasprintf("%s/dest", root);
	int rc;

	fs_remove_tree(dest, NULL);
	fs_mkdir_p(dest, 0700, NULL);
	make_tar(tar, e, n, gzip);
	rc = untar_safe(tar, dest, max, NULL, err);
	free(tar);
	free(dest);
	return rc;
}

int main(void)
{
	char tmpl[] = "/tmp/unik-t-untar.XXXXXX";
	char *root = mkdtemp(tmpl);
	char *outside = xasprintf("%s/outside", root);
	char *p;
	struct unik_err err = UNIK_ERR_INIT;
	const struct entry good[] = {
		{ "src", AE_IFDIR, NULL },
		{ "src/main.c", AE_IFREG, "int main(void){return 0;}\n" },
		{ "src/link", AE_IFLNK, "main.c" },
		{ "src/up", AE_IFLNK, "../src/main.c" },
	};
	const struct entry dotdot[] = { { "../outside", AE_IFREG, "pwned" } };
	const struct entry deep_dotdot[] = { { "a/../../outside", AE_IFREG, "pwned" } };
	const struct entry abs_path[] = { { "/tmp/unik-abs-pwned", AE_IFREG, "pwned" } };
	const struct entry abs_link[] = { { "etc", AE_IFLNK, "/etc" } };
	const struct entry esc_link[] = { { "a/l", AE_IFLNK, "../../outside" } };
	const struct entry through_link[] = {
		{ "l", AE_IFLNK, "." },
		{ "l/x", AE_IFREG, "fine" },
	};
	const struct entry dev[] = { { "null", AE_IFCHR, NULL } };
	const struct entry big[] = { { "big", AE_IFREG,
				       "0123456789012345678901234567890123456789" } };

	ok(try(root, good, 4, 1, 1 << 20, &err) == 0, "a normal tar.gz extracts: %s", err.msg);
	p = xasprintf("%s/dest/src/main.c", root);
	ok(fs_exists(p), "its file is there");
	free(p);
	ok(try(root, good, 4, 0, 1 << 20, &err) == 0, "plain tar extracts too");

	ok(try(root, dotdot, 1, 0, 1 << 20, &err) < 0 && err.code == UNIK_E_INVALID &&
	       strstr(err.msg, ".."),
	   "'../' entry refused: %s", err.msg);
	ok(try(root, deep_dotdot, 1, 0, 1 << 20, &err) < 0, "'a/../../' entry refused");
	ok(!fs_exists(outside), "nothing written outside");
	ok(try(root, abs_path, 1, 0, 1 << 20, &err) < 0 && strstr(err.msg, "absolute"),
	   "absolute path refused: %s", err.msg);
	ok(!fs_exists("/tmp/unik-abs-pwned"), "nothing written at the absolute path");
	ok(try(root, abs_link, 1, 0, 1 << 20, &err) < 0 && strstr(err.msg, "symlink"),
	   "absolute symlink refused: %s", err.msg);
	ok(try(root, esc_link, 1, 0, 1 << 20, &err) < 0 && strstr(err.msg, "leaves"),
	   "escaping symlink refused: %s", err.msg);
	ok(try(root, dev, 1, 0, 1 << 20, &err) < 0 && strstr(err.msg, "device"),
	   "device node refused: %s", err.msg);
	ok(try(root, through_link, 2, 0, 1 << 20, &err) < 0 && strstr(err.msg, "l/x"),
	   "writing through a symlink is refused: %s", err.msg);
	ok(!fs_exists(outside), "still nothing outside");
	ok(try(root, big, 1, 0, 10, &err) < 0 && err.code == UNIK_E_TOO_LARGE,
	   "over the extraction limit is TOO_LARGE: %s", err.msg);
	p = xasprintf("%s/garbage.tar", root);
	fs_write_file_atomic(p, "this is not a tar file at all, not even close.........", 54, 0600,
			     NULL);
	ok(untar_safe(p, root, 1 << 20, NULL, &err) < 0 && err.code == UNIK_E_INVALID,
	   "garbage is INVALID: %s", err.msg);
	free(p);
	fs_remove_tree(root, NULL);
	free(outside);
	return tap_done();
}
