/* t_buildtree.c - the daemon's in-process readers of a build folder (the
 * compilers' cpio packing and unik.json staging, the blob store) never read
 * a host file through a symlink the build planted; the records of the
 * built program's system calls and the runtime's list of them are read as
 * the hostile input they are (compilers/common/syscall_set.c). */
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../compilers/common/cpio.h"
#include "../../compilers/common/diag.h"
#include "../../compilers/common/files.h"
#include "../../compilers/common/syscall_set.h"
#include "../../daemon/blobs.h"
#include "../../lib/fsutil.h"
#include "../../lib/sandbox.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "tap.h"

#define SECRET "host-secret-0123456789"

static char *root;

static char *at(const char *rel)
{
	return xasprintf("%s/%s", root, rel);
}

static void put(const char *rel, const char *data)
{
	char *p = at(rel);

	fs_write_file_atomic(p, data, strlen(data), 0644, NULL);
	free(p);
}

static void mkdirs(const char *rel)
{
	char *p = at(rel);

	fs_mkdir_p(p, 0755, NULL);
	free(p);
}

static void link_at(const char *target, const char *rel)
{
	char *p = at(rel);

	if (symlink(target, p) < 0)
		printf("# symlink %s: failed\n", rel);
	free(p);
}

static unsigned hex8(const char *s)
{
	char b[9];

	memcpy(b, s, 8);
	b[8] = '\0';
	return (unsigned)strtoul(b, NULL, 16);
}

/* Finds `name` in a newc archive; its mode and data.  1 if found. */
static int cpio_find(const struct strbuf *a, const char *name, unsigned *mode, struct strbuf *data)
{
	size_t off = 0;

	while (off + 110 <= a->len && !memcmp(a->buf + off, "070701", 6)) {
		const char *h = a->buf + off;
		unsigned m = hex8(h + 14), size = hex8(h + 54), namesize = hex8(h + 94);
		const char *n = h + 110;
		size_t data_off = (off + 110 + namesize + 3) & ~(size_t)3;

		if (data_off + size > a->len)
			return 0;
		if (!strcmp(n, name)) {
			*mode = m;
			strbuf_reset(data);
			strbuf_add(data, a->buf + data_off, size);
			return 1;
		}
		off = (data_off + size + 3) & ~(size_t)3;
	}
	return 0;
}

/* Packs the tree `rel` as compilers/common/pack.c and initrd.c do; the archive in *out. */
static int pack(const char *tree_rel, struct strbuf *out, struct unik_err *err)
{
	char *tree = at(tree_rel), *cpio = at("out.cpio");
	struct cpio_writer w;
	int fd = -1, rc = -1;

	strbuf_reset(out);
	if (compiler_files_open(tree, &fd, err) < 0 || cpio_open(&w, cpio, err) < 0)
		goto cleanup;
	if (fd >= 0 && cpio_add_tree(&w, "", fd, err) < 0) {
		cpio_abort(&w);
		goto cleanup;
	}
	rc = cpio_finish(&w, err) < 0 ? -1 : fs_read_file(cpio, out, err);
cleanup:
	if (fd >= 0)
		close(fd);
	free(tree);
	free(cpio);
	return rc;
}

static int no_secret(const struct strbuf *a)
{
	return a->len == 0 || !memmem(a->buf, a->len, SECRET, strlen(SECRET));
}

/* A build folder b/{src,scratch,out} next to a host secret; src/c leads
 * out through a chain of links that each look local. */
static void setup(void)
{
	put("secret", SECRET);
	mkdirs("b/src/a");
	mkdirs("b/src/files/etc");
	mkdirs("b/scratch");
	mkdirs("b/out");
	link_at("..", "b/src/a/u"); /* src */
	link_at("a/u/..", "b/src/b"); /* b */
	link_at("b/..", "b/src/c"); /* the test root */
	put("b/src/files/etc/motd", "hello");
	link_at("../../c/secret", "b/src/files/etc/x");
	link_at("../../c", "b/src/files/etc/d");
	{
		char *abs = at("secret");

		link_at(abs, "b/src/files/abs");
		free(abs);
	}
}

static void packing(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf a = STRBUF_INIT, data = STRBUF_INIT;
	unsigned mode = 0;

	ok(pack("b/src/files", &a, &err) == 0, "files/ with links out packs: %s", err.msg);
	ok(cpio_find(&a, "etc/motd", &mode, &data) && !strcmp(strbuf_str(&data), "hello"),
	   "its files are in the archive");
	ok(cpio_find(&a, "etc/x", &mode, &data) && (mode & 0170000) == 0120000 &&
	       !strcmp(strbuf_str(&data), "../../c/secret"),
	   "a link through the chain is stored as a link");
	ok(cpio_find(&a, "abs", &mode, &data) && (mode & 0170000) == 0120000,
	   "an absolute link is stored as a link");
	ok(no_secret(&a), "the host file's content is not in the archive");

	link_at("c", "b/src/files2");
	ok(pack("b/src/files2", &a, &err) < 0 && err.code == UNIK_E_INVALID,
	   "files/ itself a link out through the chain is refused: %s", err.msg);
	ok(no_secret(&a), "nothing packed");
	link_at("files", "b/src/files3");
	ok(pack("b/src/files3", &a, &err) == 0 && cpio_find(&a, "etc/motd", &mode, &data),
	   "files/ a link inside the source folder is followed");
	ok(pack("b/src/nothing", &a, &err) == 0, "no files/ is fine");
	strbuf_release(&a);
	strbuf_release(&data);
}

static int files_tree(const char *manifest, struct unik_err *err)
{
	struct unik_build_spec spec;
	char *src = at("b/src"), *scratch = at("b/scratch"), *tree = NULL,
	     *p = at("b/src/unik.json");
	char *rootfs = at("b/scratch/rootfs");
	int rc;

	struct unik_config cfg;
	struct sandbox_conf sc;
	struct sandbox sb;
	char *build = at("b");

	memset(&spec, 0, sizeof(spec));
	spec.src_dir = src;
	spec.work_dir = scratch;
	if (manifest) /* NULL: the unik.json the caller made */
		fs_write_file_atomic(p, manifest, strlen(manifest), 0644, NULL);
	fs_remove_tree(rootfs, NULL);
	unik_err_clear(err);
	/* the tools (cp) run in the build's sandbox, as in a real build */
	unik_config_init(&cfg);
	memset(&sc, 0, sizeof(sc));
	rc = sandbox_conf_load(&sc, &cfg, err) || sandbox_open(&sb, &sc, build, err);
	if (rc == 0) {
		spec.sandbox = &sb;
		rc = compiler_files_tree(&spec, &tree, err);
		sandbox_close(&sb);
	}
	sandbox_conf_release(&sc);
	unik_config_release(&cfg);
	free(build);
	free(src);
	free(scratch);
	free(tree);
	free(p);
	free(rootfs);
	return rc;
}

static void manifests(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf a = STRBUF_INIT, data = STRBUF_INIT;
	unsigned mode = 0;
	char *p;

	ok(files_tree("{\"files\": {\"/etc/app.conf\": \"files/etc/motd\"}}", &err) == 0,
	   "a manifest entry inside the source folder stages: %s", err.msg);
	ok(pack("b/scratch/rootfs", &a, &err) == 0 && cpio_find(&a, "etc/app.conf", &mode, &data) &&
	       !strcmp(strbuf_str(&data), "hello"),
	   "and packs");
	ok(cpio_find(&a, "etc/x", &mode, &data) && (mode & 0170000) == 0120000 && no_secret(&a),
	   "files/ links stay links in the staging tree");
	ok(files_tree("{\"files\": {\"/x\": \"c/secret\"}}", &err) < 0 &&
	       err.code == UNIK_E_INVALID && strstr(err.msg, "c/secret"),
	   "an entry through the chain is refused: %s", err.msg);
	ok(files_tree("{\"files\": {\"/x\": \"b/../secret\"}}", &err) < 0,
	   "an entry through a link to '..' is refused: %s", err.msg);
	ok(files_tree("{\"files\": {\"/etc/x/y\": \"files/etc/motd\"}}", &err) < 0 &&
	       strstr(err.msg, "symlink"),
	   "an entry whose folder is a link in files/ is refused: %s", err.msg);
	ok(files_tree("{\"files\": {\"/etc/d/made/y\": \"files/etc/motd\"}}", &err) < 0 &&
	       strstr(err.msg, "symlink"),
	   "also a link to a folder outside: %s", err.msg);
	p = at("made");
	ok(!fs_exists(p), "and nothing was made outside");
	free(p);
	p = at("b/src/unik.json");
	unlink(p);
	free(p);
	link_at("c/secret", "b/src/unik.json");
	ok(files_tree(NULL, &err) < 0 && err.code == UNIK_E_INVALID && !strstr(err.msg, "host"),
	   "a unik.json that is a link out is refused, its content unread: %s", err.msg);
	p = at("b/src/unik.json");
	unlink(p);
	free(p);
	strbuf_release(&a);
	strbuf_release(&data);
}

static void blobs(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	char *state = at("state"), *art = at("b/out/unik.elf"), *digest = NULL, *p;
	long long size = 0;

	blobs_init(state, NULL);
	put("b/out/real.elf", "image");
	p = at("b/out/real.elf");
	ok(blobs_put_file(state, p, &digest, &size, &err) == 0 && size == 5,
	   "a regular artifact is stored: %s", err.msg);
	free(p);
	free(digest);
	digest = NULL;
	link_at("../../secret", "b/out/unik.elf");
	ok(blobs_put_file(state, art, &digest, &size, &err) < 0 && err.code == UNIK_E_INVALID,
	   "an artifact replaced by a link to a host file is refused: %s", err.msg);
	free(digest);
	digest = NULL;
	link_at("../secret-out", "b/out2");
	p = at("secret-out");
	fs_mkdir_p(p, 0700, NULL);
	free(p);
	put("secret-out/unik.elf", SECRET);
	p = at("b/out2/unik.elf");
	ok(blobs_put_file(state, p, &digest, &size, &err) < 0,
	   "an artifact folder replaced by a link is refused: %s", err.msg);
	free(p);
	free(digest);
	free(state);
	free(art);
}

static void writers(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct cpio_writer w;
	struct strbuf sb = STRBUF_INIT;
	char *out = at("b/out/initrd.cpio"), *secret = at("secret");

	link_at("../../secret", "b/out/initrd.cpio");
	ok(cpio_open(&w, out, &err) == 0 && cpio_finish(&w, &err) == 0,
	   "an archive over a planted link is written: %s", err.msg);
	fs_read_file(secret, &sb, NULL);
	is_str(strbuf_str(&sb), SECRET, "the link's target is untouched");
	strbuf_release(&sb);
	free(out);
	free(secret);
}

/* compilers/common/diag.c: a tool's lines without host paths */
static void diagnostics(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "/b/1/src/main.c:5:3: error: x", "main.c:5:3: error: x" },
		{ "In file included from /b/1/src/sub/x.h:2,", "In file included from sub/x.h:2," },
		{ "/usr/bin/ld: /tmp/ccQc.o: in function `main':",
		  "ld: ccQc.o: in function `main':" },
		{ "/usr/lib/gcc/x86_64-linux-gnu/12/../../../x86_64-linux-gnu/crt1.o: bad",
		  "crt1.o: bad" },
		{ "'/opt/tc/bin/musl-gcc' exited with status 1",
		  "'musl-gcc' exited with status 1" },
		{ "/b/1/work/app: not static", "app: not static" },
		{ "see http://x/y/z and a/b/c", "see http://x/y/z and a/b/c" },
		{ "/ and /x and /dev/null stay", "/ and /x and /dev/null stay" },
		{ "/b/1/srcx/main.c: a sibling", "/b/1/srcx/main.c: a sibling" },
		{ "/root/secret.h: No such file", "/root/secret.h: No such file" },
		{ "In file included from /tc/musl/include/stdio.h:7:",
		  "In file included from stdio.h:7:" },
		{ "/tc/musl-x/y.h: beside the toolchain", "/tc/musl-x/y.h: beside the toolchain" },
		{ "'/tc/musl/bin/musl-gcc' exited", "'musl-gcc' exited" },
		{ "", "" },
	};
	char *tools = compiler_diag_tool_dir("/tc/musl/bin/musl-gcc");
	struct diag_log dl = { NULL, NULL, "/b/1/src", "/b/1/work", tools };
	struct unik_err err = UNIK_ERR_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf sb = STRBUF_INIT;

		compiler_diag_rewrite(cases[i].in, &dl, &sb);
		is_str(strbuf_str(&sb), cases[i].want, "diag: '%s'", cases[i].in);
		strbuf_release(&sb);
	}
	is_str(compiler_diag_tool("/usr/bin/musl-gcc"), "musl-gcc", "diag: a tool's name");
	is_str(compiler_diag_tool("cc"), "cc", "diag: a bare name stays");
	unik_err_set(&err, UNIK_E_INTERNAL, "'/usr/bin/cc' exited with status 1\nmain.c:1: e");
	compiler_diag_error(&dl, &err);
	is_str(err.msg, "'cc' exited with status 1\nmain.c:1: e",
	       "diag: without a log, the error keeps the output");
	dl.log = (unik_log_fn)1; /* only tested for NULL here */
	compiler_diag_error(&dl, &err);
	is_str(err.msg, "'cc' exited with status 1",
	       "diag: with a log, the error does not repeat it");
	is_str(tools, "/tc/musl", "diag: a toolchain's root is two folders above its driver");
	ok(!compiler_diag_tool_dir("musl-gcc") && !compiler_diag_tool_dir("/cc"),
	   "diag: a bare name has no toolchain root");
	free(tools);
}

/* A 64-bit ELF file with one section .unik_syscalls holding `n` words. */
static void records_elf(struct strbuf *f, const uint32_t *words, size_t n)
{
	static const char names[] = "\0.shstrtab\0.unik_syscalls";
	Elf64_Ehdr eh = { .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = 3, .e_shstrndx = 1 };
	Elf64_Shdr sh[3] = { { 0 } };

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	sh[1] = (Elf64_Shdr){ .sh_name = 1,
			      .sh_type = SHT_STRTAB,
			      .sh_offset = sizeof(eh),
			      .sh_size = sizeof(names) };
	sh[2] = (Elf64_Shdr){ .sh_name = 11,
			      .sh_type = SHT_PROGBITS,
			      .sh_offset = sizeof(eh) + sizeof(names),
			      .sh_size = 4 * n };
	eh.e_shoff = (sizeof(eh) + sizeof(names) + 4 * n + 7) & ~7ul;
	strbuf_reset(f);
	strbuf_add(f, &eh, sizeof(eh));
	strbuf_add(f, names, sizeof(names));
	strbuf_add(f, words, 4 * n);
	strbuf_add(f, "\0\0\0\0\0\0\0", eh.e_shoff - f->len);
	strbuf_add(f, sh, sizeof(sh));
}

#define IN(set, nr) (((set).bits[(nr) / 8] >> ((nr) % 8)) & 1)

static int table(const char *list, const struct syscall_set *set, struct strbuf *out, int *linked,
		 int *volumes)
{
	struct unik_err err = { 0 };
	char *p = at("syscalls.list");
	int rc;

	put("syscalls.list", list);
	strbuf_reset(out);
	rc = syscall_table_asm(p, set, out, linked, volumes, &err);
	free(p);
	return rc;
}

static void syscall_sets(void)
{
	static const uint32_t calls[] = { 1, 60, 231, 60, 0x40000002 };
	static const uint32_t dynamic[] = { 1, UINT32_MAX };
	static const uint32_t huge[] = { 4096 };
	struct strbuf f = STRBUF_INIT, out = STRBUF_INIT;
	struct syscall_set set;
	int linked, volumes;
	const char *good = "unik-syscalls 2 5\n"
			   "0 1 write sys_write strong -\n"
			   "1 2 open sys_open strong volume\n"
			   "2 3 close sys_close strong -\n"
			   "3 60 exit sys_exit weak -\n"
			   "4 231 exit_group - - -\n"
			   "hook unik_volumes_mount volumes_mount\n";

	records_elf(&f, calls, 5);
	syscall_set_of_program(&f, &set);
	ok(!set.all && set.count == 4 && IN(set, 1) && IN(set, 60) && IN(set, 231) && IN(set, 2) &&
	       !IN(set, 0),
	   "the records give the calls (%d)", set.count);
	ok(!(set.paths[0] & 4), "a fixed-path record is no path the program chooses");
	records_elf(&f, dynamic, 2);
	syscall_set_of_program(&f, &set);
	ok(set.all && strstr(set.why, "known only at run time"), "a -1 record: every call");
	records_elf(&f, huge, 1);
	syscall_set_of_program(&f, &set);
	ok(set.all, "a number past the table: every call");
	records_elf(&f, calls, 5);
	f.buf[f.len - sizeof(Elf64_Shdr) + 39] = 0x7f; /* the records' sh_size */
	syscall_set_of_program(&f, &set);
	ok(set.all, "a section past the file's end: every call");
	strbuf_reset(&f);
	strbuf_adds(&f, "not an elf file");
	syscall_set_of_program(&f, &set);
	ok(set.all && strstr(set.why, "unik's musl"), "no records: every call, said why");
	records_elf(&f, calls, 5);
	((Elf64_Ehdr *)f.buf)->e_shoff += 4;
	syscall_set_of_program(&f, &set);
	ok(set.all, "misaligned section headers: every call");

	records_elf(&f, calls, 5);
	syscall_set_of_program(&f, &set);
	ok(table(good, &set, &out, &linked, &volumes) == 0 && linked == 3 && !volumes &&
	       strstr(out.buf, ".quad sys_write") && strstr(out.buf, ".weak sys_exit") &&
	       strstr(out.buf, ".quad sys_open") && !strstr(out.buf, "sys_close") &&
	       !strstr(out.buf, "jmp"),
	   "the table holds the recorded calls; musl's /dev/null open links no volumes");
	ok(strstr(out.buf, "unik_syscall_omitted:\n\t.byte 0x08,"), "the left-out close is marked");
	ok(strstr(out.buf, ".quad 0, .Lunik_call_4\n") &&
	       strstr(out.buf, ".Lunik_call_4:\t.asciz \"exit_group\"") &&
	       strstr(out.buf, "\t.org unik_syscall_index + 8\n\t.short 4\n"),
	   "a recorded call the runtime does not serve: no function, its name");
	ok(strstr(out.buf, "\"write\"") && !strstr(out.buf, "\"close\"") &&
	       strstr(out.buf, "\t.org unik_syscall_index + 10\n\t.globl unik_syscall_omitted"),
	   "only the names of the calls the program makes; the index covers every slot");
	ok(table("unik-syscalls 2 4\n0 1 write - strong -\nhook a b\n", &set, &out, &linked,
		 &volumes) < 0,
	   "a call without a function but with a binding is refused");
	set.paths[0] |= 4;
	ok(table(good, &set, &out, &linked, &volumes) == 0 && linked == 3 && volumes &&
	       strstr(out.buf, "unik_volumes_mount:\tjmp volumes_mount"),
	   "an open of the program's own path: the volume hooks are in");
	syscall_set_all(&set, "test");
	ok(table(good, &set, &out, &linked, &volumes) == 0 && linked == 4 && volumes,
	   "every call: all of them, volumes too");
	ok(table("unik-syscalls 2 4\n0 1 write sys_write\" strong -\n"
		 "hook a b\n",
		 &set, &out, &linked, &volumes) < 0,
	   "a function that is no identifier is refused");
	ok(table("unik-syscalls 2 4\n1 1 write sys_write strong -\n0 0 read sys_read strong -\n"
		 "hook a b\n",
		 &set, &out, &linked, &volumes) < 0,
	   "slots out of order are refused");
	ok(table("unik-syscalls 2 4\n9 1 write sys_write strong -\nhook a b\n", &set, &out, &linked,
		 &volumes) < 0,
	   "a slot past the table is refused");
	ok(table("unik-syscalls 2 4\nhook a b\n0 1 write sys_write strong -\n", &set, &out, &linked,
		 &volumes) < 0,
	   "a call after the hooks is refused");
	ok(table("unik-syscalls 2 4\n0 1 write sys_write strong -\n", &set, &out, &linked,
		 &volumes) < 0,
	   "a list without hooks is refused");
	ok(table("unik-syscalls 1 4\n", &set, &out, &linked, &volumes) < 0,
	   "another list version is refused");
	strbuf_release(&f);
	strbuf_release(&out);
}

int main(void)
{
	char tmpl[] = "/tmp/unik-t-buildtree.XXXXXX";

	root = mkdtemp(tmpl);
	chmod(root, 0711); /* the build user reaches b/, as in state/tmp */
	diagnostics();
	setup();
	packing();
	manifests();
	blobs();
	writers();
	syscall_sets();
	fs_remove_tree(root, NULL);
	return tap_done();
}
