/* t_untar.c - uploads that try to escape the build folder, write through
 * links, or exhaust disk and inodes are refused and write nothing outside. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../daemon/untar.h"
#include "../../lib/fsutil.h"
#include "../../lib/safeopen.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "tap.h"

#define HARD 1 /* an entry of type HARD is a hard link to data_or_link */
#define E(path, type, data)                                                                        \
	{                                                                                          \
		path, type, data, 0, 0                                                             \
	}
#define E_(path, type, data) E(path, type, data)

struct entry {
	const char *path;
	mode_t type;
	const char *data_or_link;
	unsigned perm; /* 0: 0644 */
	long long sparse; /* > 0: a sparse file this long, data_or_link at its start */
};

static void add(struct archive *a, const struct entry *e)
{
	struct archive_entry *ae = archive_entry_new();
	size_t len = e->data_or_link ? strlen(e->data_or_link) : 0;

	archive_entry_set_pathname(ae, e->path);
	archive_entry_set_filetype(ae, e->type == HARD ? AE_IFREG : e->type);
	archive_entry_set_perm(ae, e->perm ? e->perm : 0644);
	if (e->type == AE_IFLNK)
		archive_entry_set_symlink(ae, e->data_or_link);
	if (e->type == HARD)
		archive_entry_set_hardlink(ae, e->data_or_link);
	if (e->type == AE_IFREG)
		archive_entry_set_size(ae, e->sparse ? e->sparse : (la_int64_t)len);
	if (e->sparse)
		archive_entry_sparse_add_entry(ae, 0, (la_int64_t)len);
	if (e->type == AE_IFCHR)
		archive_entry_set_rdev(ae, makedev(1, 3));
	archive_write_header(a, ae);
	if (e->type == AE_IFREG && len)
		archive_write_data(a, e->data_or_link, len);
	archive_entry_free(ae);
}

static void make_tar(const char *out, const struct entry *e, size_t n, int gzip)
{
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	archive_write_open_filename(a, out);
	for (size_t i = 0; i < n; i++)
		add(a, &e[i]);
	archive_write_close(a);
	archive_write_free(a);
}

static char *root;

static char *at(const char *rel)
{
	return xasprintf("%s/%s", root, rel);
}

static int try_lim(const struct entry *e, size_t n, int gzip, long long max, long entries,
		   struct unik_err *err)
{
	char *tar = at("in.tar"), *dest = at("dest");
	struct untar_limits lim = { max, entries };
	int rc;

	fs_remove_tree(dest, NULL);
	fs_mkdir_p(dest, 0700, NULL);
	make_tar(tar, e, n, gzip);
	unik_err_clear(err);
	rc = untar_extract(tar, dest, &lim, NULL, err);
	free(tar);
	free(dest);
	return rc;
}

static int try(const struct entry *e, size_t n, struct unik_err *err)
{
	return try_lim(e, n, 0, 1 << 20, 1000, err);
}

#define TRY(e, err) try(e, sizeof(e) / sizeof(e[0]), err)

/* Contents of dest/<rel>, or "" (new string). */
static char *content(const char *rel)
{
	char *p = xasprintf("%s/dest/%s", root, rel);
	struct strbuf sb = STRBUF_INIT;

	fs_read_file(p, &sb, NULL);
	free(p);
	strbuf_addch(&sb, '\0'); /* never empty: detach gives a string */
	return strbuf_detach(&sb);
}

static int dest_has(const char *rel)
{
	char *p = xasprintf("%s/dest/%s", root, rel);
	int r = fs_exists(p);

	free(p);
	return r;
}

static void basics(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	const struct entry good[] = {
		E("src", AE_IFDIR, NULL),
		E("src/main.c", AE_IFREG, "int main(void){return 0;}\n"),
		E("src/link", AE_IFLNK, "main.c"),
		E("src/up", AE_IFLNK, "../src/main.c"),
		E("./", AE_IFDIR, NULL),
	};
	const struct entry dotdot[] = { E("../outside", AE_IFREG, "pwned") };
	const struct entry deep_dotdot[] = { E("a/../../outside", AE_IFREG, "pwned") };
	const struct entry abs_path[] = { E("/tmp/unik-abs-pwned", AE_IFREG, "pwned") };
	const struct entry abs_link[] = { E("etc", AE_IFLNK, "/etc") };
	const struct entry esc_link[] = { E("a/l", AE_IFLNK, "../../outside") };
	const struct entry through_link[] = {
		E("l", AE_IFLNK, "."),
		E("l/x", AE_IFREG, "fine"),
	};
	const struct entry dev[] = { E("null", AE_IFCHR, NULL) };
	const struct entry big[] = { E("big", AE_IFREG,
				       "0123456789012345678901234567890123456789") };
	char *outside = at("outside"), *p;

	ok(try_lim(good, 5, 1, 1 << 20, 100, &err) == 0, "a normal tar.gz extracts: %s", err.msg);
	ok(dest_has("src/main.c"), "its file is there");
	p = content("src/up");
	is_str(p, "int main(void){return 0;}\n", "an in-tree symlink works");
	free(p);
	ok(TRY(good, &err) == 0, "plain tar extracts too");

	ok(TRY(dotdot, &err) < 0 && err.code == UNIK_E_INVALID && strstr(err.msg, ".."),
	   "'../' entry refused: %s", err.msg);
	ok(TRY(deep_dotdot, &err) < 0, "'a/../../' entry refused");
	ok(!fs_exists(outside), "nothing written outside");
	ok(TRY(abs_path, &err) < 0 && strstr(err.msg, "absolute"), "absolute path refused: %s",
	   err.msg);
	ok(!fs_exists("/tmp/unik-abs-pwned"), "nothing written at the absolute path");
	ok(TRY(abs_link, &err) < 0 && strstr(err.msg, "symlink"), "absolute symlink refused: %s",
	   err.msg);
	ok(TRY(esc_link, &err) < 0 && strstr(err.msg, "leaves"), "escaping symlink refused: %s",
	   err.msg);
	ok(TRY(dev, &err) < 0 && strstr(err.msg, "device"), "device node refused: %s", err.msg);
	ok(TRY(through_link, &err) < 0 && strstr(err.msg, "l/x") && strstr(err.msg, "symlink"),
	   "writing through a symlink is refused: %s", err.msg);
	ok(!fs_exists(outside), "still nothing outside");
	ok(try_lim(big, 1, 0, 10, 100, &err) < 0 && err.code == UNIK_E_TOO_LARGE,
	   "over the extraction limit is TOO_LARGE: %s", err.msg);
	ok(!dest_has("big"), "and the file was not written");
	p = at("garbage.tar");
	fs_write_file_atomic(p, "this is not a tar file at all, not even close.........", 54, 0600,
			     NULL);
	ok(untar_safe(p, root, 1 << 20, NULL, &err) < 0 && err.code == UNIK_E_INVALID,
	   "garbage is INVALID: %s", err.msg);
	free(p);
	free(outside);
}

/* Links that each look local but resolve outside through one another. */
static void symlink_chains(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	const struct entry chain[] = {
		E("a", AE_IFDIR, NULL),	    E("a/u", AE_IFLNK, ".."), /* dest */
		E("b", AE_IFLNK, "a/u/.."), /* dest/.. */
		E("c", AE_IFLNK, "b/.."), /* dest/../.. */
		E("files", AE_IFDIR, NULL), E("files/x", AE_IFLNK, "../c/etc/passwd"),
	};
	/* b first, while a/u does not exist yet: only the finished tree tells */
	const struct entry chain_late[] = {
		E("b", AE_IFLNK, "a/u/.."),
		E("a/u", AE_IFLNK, ".."),
	};
	const struct entry fine[] = {
		E("a", AE_IFDIR, NULL),
		E("a/u", AE_IFLNK, ".."),
		E("b", AE_IFLNK, "a/u/a"),
		E("c", AE_IFLNK, "b/u/b/u/a/u"),
		E("dangling", AE_IFLNK, "no/such/file"),
		E("loop", AE_IFLNK, "loop"),
	};

	for (int fallback = 0; fallback <= 1; fallback++) {
		const char *mode = fallback ? " (user-space resolver)" : " (openat2)";

		safeopen_force_fallback = fallback;
		ok(TRY(chain, &err) < 0 && err.code == UNIK_E_INVALID &&
		       strstr(err.msg, "leads outside"),
		   "a chain of local-looking links out is refused%s: %s", mode, err.msg);
		ok(TRY(chain_late, &err) < 0 && strstr(err.msg, "'b'"),
		   "also when the link it goes through comes later%s: %s", mode, err.msg);
		ok(TRY(fine, &err) == 0, "links through links that stay inside extract%s: %s", mode,
		   err.msg);
	}
	safeopen_force_fallback = 0;
}

static void sizes_and_counts(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	const struct entry sparse_big[] = {
		E("small", AE_IFREG, "x"),
		{ "sparse", AE_IFREG, "head", 0, 1536LL << 20 },
	};
	const struct entry sparse_ok[] = { { "sparse", AE_IFREG, "head", 0, 100000 } };
	struct entry many[600];
	char names[600][16];
	char *p;
	struct stat st;

	ok(TRY(sparse_big, &err) < 0 && err.code == UNIK_E_TOO_LARGE && strstr(err.msg, "sparse"),
	   "a 1.5 GB sparse file counts 1.5 GB: %s", err.msg);
	ok(!dest_has("sparse"), "it was not written");
	ok(TRY(sparse_ok, &err) == 0, "a small sparse file extracts: %s", err.msg);
	p = at("dest/sparse");
	ok(stat(p, &st) == 0 && st.st_size == 100000, "with its logical size");
	free(p);
	p = content("sparse");
	ok(!memcmp(p, "head", 4), "and its data");
	free(p);
	for (int i = 0; i < 600; i++) {
		snprintf(names[i], sizeof(names[i]), "e%d", i);
		many[i] = (struct entry)E_(names[i], AE_IFREG, "");
	}
	ok(try_lim(many, 600, 0, 1 << 20, 500, &err) < 0 && err.code == UNIK_E_TOO_LARGE &&
	       strstr(err.msg, "500"),
	   "more entries than the limit is TOO_LARGE: %s", err.msg);
	ok(try_lim(many, 600, 0, 1 << 20, 600, &err) == 0, "at the limit is fine");
	{
		/* 10 MB of zeros compress to a few KB: the logical limit holds */
		char *zeros = xcalloc(1, 10 << 20);
		struct entry bomb[] = { E("zeros", AE_IFREG, NULL) };

		memset(zeros, 'z', (10 << 20) - 1);
		bomb[0].data_or_link = zeros;
		ok(try_lim(bomb, 1, 1, 1 << 20, 10, &err) < 0 && err.code == UNIK_E_TOO_LARGE,
		   "a compression bomb stops at the limit: %s", err.msg);
		free(zeros);
	}
}

static void hard_links(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	const struct entry inside[] = {
		E("d/f", AE_IFREG, "data"),
		E("h", HARD, "d/f"),
		E("d/h2", HARD, "./d/f"),
	};
	const struct entry abs[] = { E("h", HARD, "/etc/passwd") };
	const struct entry up[] = { E("h", HARD, "../outside") };
	const struct entry missing[] = { E("h", HARD, "nothing") };
	const struct entry to_dir[] = { E("d", AE_IFDIR, NULL), E("h", HARD, "d") };
	const struct entry to_link[] = { E("l", AE_IFLNK, "f"), E("h", HARD, "l") };
	const struct entry via_link[] = {
		E("sub/f", AE_IFREG, "data"),
		E("l", AE_IFLNK, "sub"),
		E("h", HARD, "l/f"),
	};
	struct stat a, b;
	char *p, *q;

	ok(TRY(inside, &err) == 0, "hard links inside the tree extract: %s", err.msg);
	p = at("dest/d/f");
	q = at("dest/h");
	ok(stat(p, &a) == 0 && stat(q, &b) == 0 && a.st_ino == b.st_ino, "as the same file");
	free(p);
	free(q);
	ok(TRY(abs, &err) < 0 && strstr(err.msg, "hard link out of the source folder"),
	   "an absolute hard link is refused as one: %s", err.msg);
	ok(TRY(up, &err) < 0 && strstr(err.msg, "hard link out of the source folder"),
	   "a '..' hard link is refused as one: %s", err.msg);
	ok(TRY(missing, &err) < 0 && strstr(err.msg, "hard link"),
	   "a hard link to nothing is refused: %s", err.msg);
	ok(TRY(to_dir, &err) < 0 && strstr(err.msg, "not a regular file"),
	   "a hard link to a folder is refused: %s", err.msg);
	ok(TRY(to_link, &err) < 0 && strstr(err.msg, "not a regular file"),
	   "a hard link to a symlink is refused: %s", err.msg);
	ok(TRY(via_link, &err) < 0 && strstr(err.msg, "symlink"),
	   "a hard link through a symlink is refused: %s", err.msg);
}

static void names_and_types(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf deep = STRBUF_INIT, longname = STRBUF_INIT, part = STRBUF_INIT;
	const struct entry file_then_dir[] = { E("x", AE_IFREG, "f"), E("x/y", AE_IFREG, "g") };
	const struct entry dir_then_file[] = { E("d", AE_IFDIR, NULL), E("d", AE_IFREG, "f") };
	const struct entry file_then_dirent[] = { E("x", AE_IFREG, "f"), E("x", AE_IFDIR, NULL) };
	const struct entry link_then_file[] = {
		E("victim", AE_IFREG, "orig"),
		E("l", AE_IFLNK, "victim"),
		E("l", AE_IFREG, "new"),
	};
	const struct entry link_then_dir[] = { E("l", AE_IFLNK, "."), E("l", AE_IFDIR, NULL) };
	const struct entry modes[] = {
		{ "suid", AE_IFREG, "x", 06777, 0 },
		{ "sdir", AE_IFDIR, NULL, 03777, 0 },
	};
	const struct entry utf8[] = { E("caf\xc3\xa9/na\xc3\xafve.txt", AE_IFREG, "x") };
	struct entry one[1];
	struct stat st;
	char *p, *at_dest = at("dest");

	ok(TRY(file_then_dir, &err) < 0 && strstr(err.msg, "file"),
	   "a file used as a folder is refused: %s", err.msg);
	ok(TRY(dir_then_file, &err) < 0 && strstr(err.msg, "folder earlier"),
	   "a folder replaced by a file is refused: %s", err.msg);
	ok(TRY(file_then_dirent, &err) < 0 && strstr(err.msg, "folder here"),
	   "a file replaced by a folder is refused: %s", err.msg);
	ok(TRY(link_then_file, &err) == 0, "a file after a symlink of its name extracts: %s",
	   err.msg);
	p = content("victim");
	is_str(p, "orig", "the symlink's target was not written through");
	free(p);
	p = at("dest/l");
	ok(lstat(p, &st) == 0 && S_ISREG(st.st_mode), "the symlink was replaced by the file");
	free(p);
	ok(TRY(link_then_dir, &err) < 0 && strstr(err.msg, "symlink"),
	   "a folder where a symlink is is refused: %s", err.msg);
	ok(TRY(modes, &err) == 0, "modes extract: %s", err.msg);
	p = at("dest/suid");
	memset(&st, 0, sizeof(st));
	stat(p, &st);
	ok((st.st_mode & 07777) == 0755,
	   "setuid/setgid and group/other write are dropped (06777 -> %o)", st.st_mode & 07777);
	free(p);
	p = at("dest/sdir");
	memset(&st, 0, sizeof(st));
	stat(p, &st);
	ok((st.st_mode & 07777) == 0755, "and from folders (03777 -> %o)", st.st_mode & 07777);
	free(p);

	/* written as a UTF-8 pax name (as unik build does in a UTF-8 locale),
	 * read in the daemon's C locale */
	setlocale(LC_CTYPE, "C.UTF-8");
	p = at("in.tar");
	make_tar(p, utf8, 1, 0);
	setlocale(LC_CTYPE, "C");
	fs_remove_tree(at_dest, NULL);
	fs_mkdir_p(at_dest, 0700, NULL);
	ok(untar_safe(p, at_dest, 1 << 20, NULL, &err) == 0 &&
	       dest_has("caf\xc3\xa9/na\xc3\xafve.txt"),
	   "a UTF-8 pax name the C locale cannot convert extracts as its bytes: %s", err.msg);
	free(p);
	for (int i = 0; i < UNTAR_MAX_DEPTH + 1; i++)
		strbuf_adds(&deep, "d/");
	strbuf_adds(&deep, "f");
	one[0] = (struct entry)E_(deep.buf, AE_IFREG, "x");
	ok(TRY(one, &err) < 0 && strstr(err.msg, "deeper"), "too deep a name is refused: %.60s",
	   err.msg);
	for (int i = 0; i < 30; i++)
		strbuf_adds(&longname, "0123456789abcdef0123456789abcdef0123456789abcdef/");
	strbuf_adds(&longname, "f");
	one[0] = (struct entry)E_(longname.buf, AE_IFREG, "x");
	ok(TRY(one, &err) == 0, "a 1.5 KB name in a pax header extracts: %s", err.msg);
	for (int i = 0; i < 60; i++)
		strbuf_adds(&longname, "/0123456789abcdef0123456789abcdef0123456789abcdef");
	one[0] = (struct entry)E_(longname.buf, AE_IFREG, "x");
	ok(TRY(one, &err) < 0 && strstr(err.msg, "longer than"),
	   "a name over %d bytes is refused: %.60s", UNTAR_MAX_PATH, err.msg);
	for (int i = 0; i < 300; i++)
		strbuf_addch(&part, 'p');
	one[0] = (struct entry)E_(part.buf, AE_IFREG, "x");
	ok(TRY(one, &err) < 0 && strstr(err.msg, "part longer"),
	   "a name part over 255 bytes is refused: %.60s", err.msg);
	free(at_dest);
	strbuf_release(&deep);
	strbuf_release(&longname);
	strbuf_release(&part);
}

/* Files keep the archive's modification times (make compares them). */
static void mtimes(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	char *tar = at("in.tar"), *dest = at("dest"), *p;
	struct untar_limits lim = { 1 << 20, 1000 };
	struct archive *a = archive_write_new();
	const char *names[] = { "parse.y", "parse.c" };
	const long long times[] = { 1000000000LL, 1600000000LL };
	struct stat st;

	archive_write_set_format_pax_restricted(a);
	archive_write_open_filename(a, tar);
	for (int i = 0; i < 2; i++) {
		struct archive_entry *ae = archive_entry_new();

		archive_entry_set_pathname(ae, names[i]);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, 2);
		archive_entry_set_mtime(ae, (time_t)times[i], 0);
		archive_write_header(a, ae);
		archive_write_data(a, "x\n", 2);
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
	fs_remove_tree(dest, NULL);
	fs_mkdir_p(dest, 0700, NULL);
	ok(untar_extract(tar, dest, &lim, NULL, &err) == 0, "a tar with modification times");
	for (int i = 0; i < 2; i++) {
		p = xasprintf("%s/%s", dest, names[i]);
		ok(stat(p, &st) == 0 && (long long)st.st_mtime == times[i],
		   "%s keeps its modification time", names[i]);
		free(p);
	}
	free(tar);
	free(dest);
}

int main(void)
{
	char tmpl[] = "/tmp/unik-t-untar.XXXXXX";

	root = mkdtemp(tmpl);
	basics();
	symlink_chains();
	sizes_and_counts();
	hard_links();
	names_and_types();
	mtimes();
	fs_remove_tree(root, NULL);
	return tap_done();
}
