/* pack.c - joins a static program, its files and the unik runtime into
 * one bootable ELF (see pack.h).
 *
 * The program and the cpio archive are embedded with .incbin; `ld` links
 * that with unik-runtime.o using unik-runtime.ld.  The network stack
 * (unik-net.o) and local sockets (unik-unix.o) are linked only when the
 * program needs them; --gc-sections drops the runtime's functions and
 * objects that nothing reaches (runtime.mk builds each in its own section:
 * without unik-net.o, for one, the platforms' network drivers).  The image
 * is linked with its symbols into the work folder (unik-image.elf, for
 * profiles: scripts/bench-boot) and copied to its place without them
 * (nothing reads them at run time: a third of a small image).
 */
#include "pack.h"
#include "app_symbols.h"
#include "cpio.h"
#include "diag.h"
#include "files.h"
#include "program.h"
#include "syscall_set.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../abi/app_plan.h"
#include "../../api/formats.h"
#include "../../lib/fsutil.h"
#include "../../lib/run.h"
#include "../../lib/safeopen.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"

const char *compiler_runtime_dir(const struct unik_config *cfg)
{
	return cfg ? unik_config_get(cfg, "c.runtime", UNIK_DATADIR) : UNIK_DATADIR;
}

int compiler_runtime_check(const char *runtime_dir, struct unik_err *err)
{
	static const char *const parts[] = { "unik-runtime.o", "unik-runtime.ld", "unik-net.o",
					     "unik-unix.o", "unik-syscalls.list" };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		char *p = xasprintf("%s/%s", runtime_dir, parts[i]);
		int ok = fs_exists(p);

		free(p);
		if (!ok)
			return unik_err_set(
			    err, UNIK_E_UNAVAILABLE,
			    "the unik runtime is missing in %s (set c.runtime, or run 'make')",
			    runtime_dir);
	}
	return 0;
}

/* The largest program read_program() reads into memory. */
#define APP_MAX (1LL << 30)

/* Paths go inside "..." of an assembler directive. */
static int asm_safe(const char *path, struct unik_err *err)
{
	if (strpbrk(path, "\"\\\n"))
		return unik_err_set(err, UNIK_E_INVALID, "path %s cannot be embedded", path);
	return 0;
}

/* argv[0]: the image name when it is plain, else "app". */
static const char *program_name(const char *name)
{
	if (!name || !*name || strlen(name) > 64)
		return "app";
	for (const char *p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			    *p))
			return "app";
	return name;
}

/* files/ (or the staging tree) as a cpio archive, read by descriptor
 * beneath the folder that holds it: links are stored as links. */
static int pack_files(const char *files_dir, const char *cpio_path, struct unik_err *err)
{
	struct cpio_writer w;
	int tree = -1, rc = -1;

	if (files_dir && compiler_files_open(files_dir, &tree, err) < 0)
		return -1;
	if (cpio_open(&w, cpio_path, err) < 0)
		goto cleanup;
	if (tree >= 0 && cpio_add_tree(&w, "", tree, err) < 0) {
		cpio_abort(&w);
		goto cleanup;
	}
	rc = cpio_finish(&w, err);
cleanup:
	if (tree >= 0)
		close(tree);
	return rc;
}

/* The payload's assembler: the program and the files in .unik_payload,
 * the name, the load plan in .rodata (when `plan` is NULL, the hook that
 * links the runtime's reader of ELF headers instead), and `table` (the
 * system-call table). */
static int write_payload_asm(const char *path, const char *app, const char *cpio, const char *plan,
			     const char *name, const struct strbuf *table, struct unik_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	if (asm_safe(app, err) < 0 || asm_safe(cpio, err) < 0 || (plan && asm_safe(plan, err) < 0))
		return -1;
	strbuf_addf(&sb,
		    "\t.section .unik_payload, \"a\"\n"
		    "\t.balign 4096\n"
		    "\t.globl unik_app_elf, unik_app_elf_end, unik_files, unik_files_end\n"
		    "unik_app_elf:\n\t.incbin \"%s\"\nunik_app_elf_end:\n"
		    "\t.balign 16\n"
		    "unik_files:\n\t.incbin \"%s\"\nunik_files_end:\n"
		    "\t.section .rodata\n"
		    "\t.globl unik_app_name\n"
		    "unik_app_name:\n\t.asciz \"%s\"\n",
		    app, cpio, program_name(name));
	if (plan)
		strbuf_addf(&sb,
			    "\t.balign 8\n"
			    "\t.globl unik_app_plan\n"
			    "unik_app_plan:\n\t.incbin \"%s\"\n",
			    plan);
	else /* the runtime reads the ELF headers at boot: its reader is linked */
		strbuf_adds(&sb, "\t.text\n"
				 "\t.globl unik_plan_from_elf\n"
				 "\t.type unik_plan_from_elf, @function\n"
				 "unik_plan_from_elf:\tjmp elf_plan_from_file\n");
	strbuf_add(&sb, table->buf, table->len);
	strbuf_adds(&sb, "\t.section .note.GNU-stack, \"\", @progbits\n");
	rc = fs_write_file_atomic(path, sb.buf, sb.len, 0644, err);
	strbuf_release(&sb);
	return rc;
}

/* What the program's sockets need of the runtime. */
#define SOCKS_UNIX 1 /* unik-unix.o: it makes sockets or socket pairs */
#define SOCKS_NET 2 /* unik-net.o: it makes sockets (always with SOCKS_UNIX) */

/* 1 when the symbol table defines the function `name`. */
static int defines(const struct strbuf *f, const Elf64_Shdr *symtab, const Elf64_Shdr *strtab,
		   const char *name)
{
	const Elf64_Sym *sym = (const Elf64_Sym *)(f->buf + symtab->sh_offset);
	const char *names = f->buf + strtab->sh_offset;
	size_t n = symtab->sh_size / sizeof(*sym), len = strlen(name) + 1;

	for (size_t i = 0; i < n; i++)
		if (sym[i].st_shndx != SHN_UNDEF && ELF64_ST_TYPE(sym[i].st_info) == STT_FUNC &&
		    strtab->sh_size >= len && sym[i].st_name <= strtab->sh_size - len &&
		    !memcmp(names + sym[i].st_name, name, len))
			return 1;
	return 0;
}

/* SOCKS_* bits for the program `f`: musl makes every socket (DNS
 * lookups' included) through socket(), and socket pairs through
 * socketpair(); a program without a symbol table to tell gets both. */
static int makes_sockets(const struct strbuf *f)
{
	const Elf64_Shdr *symtab, *strtab = NULL;
	int found = SOCKS_UNIX | SOCKS_NET;

	symtab = app_elf_symtab(f, &strtab);
	if (symtab) {
		found = defines(f, symtab, strtab, "socket") ? SOCKS_UNIX | SOCKS_NET : 0;
		if (!found && defines(f, symtab, strtab, "socketpair"))
			found = SOCKS_UNIX;
	}
	return found;
}

/* The program file `app`, whole, in *f. */
static int read_program(const char *app, struct strbuf *f, struct unik_err *err)
{
	int fd = safe_open_file(app, O_RDONLY | O_NONBLOCK, 0, err), rc;

	if (fd < 0)
		return -1;
	rc = safe_read_fd(fd, "the program", APP_MAX, f, err);
	close(fd);
	return rc < 0 ? -1 : 0;
}

/* The image's system-call table (syscall_set.h) into the payload's
 * assembler, the choice in the build log. */
static int add_syscall_table(const struct pack_spec *ps, const struct strbuf *app,
			     struct strbuf *as, unik_log_fn log, void *log_ctx,
			     struct unik_err *err)
{
	char *list = xasprintf("%s/unik-syscalls.list", ps->runtime_dir);
	struct syscall_set set;
	int linked, volumes, rc;

	if (ps->syscalls_why)
		syscall_set_all(&set, ps->syscalls_why);
	else
		syscall_set_of_program(app, &set);
	rc = syscall_table_asm(list, &set, as, &linked, &volumes, err);
	free(list);
	if (rc == 0 && log) {
		char line[256];

		snprintf(line, sizeof(line), "system calls: %d linked (%s)", linked,
			 set.all ? set.why : "those its musl objects make");
		log(log_ctx, line);
		log(log_ctx, volumes
				 ? "volumes: linked (the program makes calls that take paths)"
				 : "volumes: left out (the program makes no call that takes a "
				   "path: no file systems, disk drivers, /proc or default /etc "
				   "files; an image run with volumes stops at boot, naming them)");
	}
	return rc;
}

/* The load plan of the program into plan_path (abi/app_plan.h): 1 when
 * written, 0 when the program has none (the runtime then reads its ELF,
 * and says at boot what is wrong with it), -1 on error. */
static int write_plan(const struct strbuf *f, const char *plan_path, unik_log_fn log, void *log_ctx,
		      struct unik_err *err)
{
	struct app_plan plan;

	if (app_plan_from_elf(f->buf, f->len, &plan) < 0) {
		if (log)
			log(log_ctx, "load plan: none (the runtime reads the program's ELF "
				     "headers at boot)");
		return 0;
	}
	if (fs_write_file_atomic(plan_path, &plan, sizeof(plan), 0644, err) < 0)
		return -1;
	if (log) {
		char line[128];

		snprintf(line, sizeof(line), "load plan: %u segments, checked at build time",
			 plan.nseg);
		log(log_ctx, line);
	}
	return 1;
}

/* Runs a binutils tool that may write only the folder `writes`. */
static int run_tool(const char *const *argv, const char *what, const char *writes,
		    struct sandbox *sb, unik_log_fn log, void *log_ctx, struct unik_err *err)
{
	const char *rw[] = { writes, NULL };
	struct diag_log dl = { log, log_ctx, NULL, writes, NULL };
	struct run_opts opts = { NULL, NULL, log ? compiler_diag_line : NULL, &dl, sb, rw };

	if (run_command(argv, &opts, err) < 0) {
		compiler_diag_error(&dl, err);
		return unik_err_prefix(err, "%s failed", what);
	}
	return 0;
}

int compiler_pack_image(const struct pack_spec *ps, struct sandbox *sb, unik_log_fn log,
			void *log_ctx, struct unik_err *err)
{
	const char *work_dir = ps->work_dir, *out_path = ps->out_path;
	char *rt_obj = xasprintf("%s/unik-runtime.o", ps->runtime_dir);
	char *rt_ld = xasprintf("%s/unik-runtime.ld", ps->runtime_dir);
	char *net_obj = xasprintf("%s/unik-net.o", ps->runtime_dir);
	char *unix_obj = xasprintf("%s/unik-unix.o", ps->runtime_dir);
	char *app_copy = xasprintf("%s/unik-app.elf", work_dir);
	char *funcs = xasprintf("%s/unik-app.functions", work_dir);
	char *cpio = xasprintf("%s/unik-files.cpio", work_dir);
	char *plan_path = xasprintf("%s/unik-plan.bin", work_dir);
	char *asm_path = xasprintf("%s/unik-payload.S", work_dir);
	char *obj = xasprintf("%s/unik-payload.o", work_dir);
	char *linked = xasprintf("%s/unik-image.elf", work_dir);
	char *out_dir = xstrdup(out_path);
	char *slash = strrchr(out_dir, '/');
	struct strbuf app = STRBUF_INIT, orig = STRBUF_INIT, table = STRBUF_INIT;
	int socks, planned, rc = -1;

	if (!slash) {
		unik_err_set(err, UNIK_E_INTERNAL, "image path %s is not in a folder", out_path);
		goto cleanup;
	}
	*slash = '\0';
	if (compiler_runtime_check(ps->runtime_dir, err) < 0)
		goto cleanup;
	/* the records of its system calls are read here and not packed */
	if (read_program(ps->app, &orig, err) < 0)
		goto cleanup;
	/* of its symbols only the functions: fault reports name those */
	if (app_write_function_names(&orig, funcs, err) < 0)
		goto cleanup;
	{
		const char *strip[] = { "objcopy",
					"--strip-all",
					"--keep-symbols",
					funcs,
					"--remove-section=.unik_syscalls",
					"--remove-section=.comment",
					ps->app,
					app_copy,
					NULL };

		if (run_tool(strip, "objcopy", work_dir, sb, log, log_ctx, err) < 0)
			goto cleanup;
	}
	/* the bytes the image embeds: the plan and the symbol table are theirs */
	if (read_program(app_copy, &app, err) < 0)
		goto cleanup;
	socks = ps->sockets == PACK_SOCKETS_ALWAYS ? SOCKS_UNIX | SOCKS_NET : makes_sockets(&orig);
	planned = write_plan(&app, plan_path, log, log_ctx, err);
	if (planned < 0)
		goto cleanup;
	if (log && ps->sockets == PACK_SOCKETS_ALWAYS) {
		char line[512];

		snprintf(line, sizeof(line), "network stack and local sockets: linked (%s)",
			 ps->sockets_why ? ps->sockets_why : "always, for this compiler");
		log(log_ctx, line);
	} else if (log) {
		log(log_ctx, socks & SOCKS_NET
				 ? "network stack: linked (the program makes sockets)"
				 : "network stack: left out (the program makes no sockets)");
		log(log_ctx,
		    socks & SOCKS_UNIX ? "local sockets: linked" : "local sockets: left out");
	}
	if (pack_files(ps->files_dir, cpio, err) < 0)
		goto cleanup;
	if (!planned) {
		free(plan_path);
		plan_path = NULL; /* no plan in the image */
	}
	if (add_syscall_table(ps, &orig, &table, log, log_ctx, err) < 0 ||
	    write_payload_asm(asm_path, app_copy, cpio, plan_path, ps->name, &table, err) < 0)
		goto cleanup;
	{
		const char *as[] = { "as", "-o", obj, asm_path, NULL };
		const char *ld[] = { "ld",
				     "-nostdlib",
				     "-static",
				     "-z",
				     "max-page-size=4096",
				     "--build-id=none",
				     "--gc-sections",
				     "--strip-debug",
				     "-T",
				     rt_ld,
				     "-o",
				     linked,
				     rt_obj,
				     obj,
				     socks & SOCKS_UNIX ? unix_obj : NULL,
				     socks & SOCKS_NET ? net_obj : NULL,
				     NULL };

		/* net_init stays: it marks an image that drives a network (the aws
		 * provider reads it: providers/aws/aws_nitro.c; unikd gives the
		 * others no address: daemon/network.c); unik_app_name stays too, so
		 * every image has a symbol table and a missing net_init is an answer */
		const char *strip[] = { "objcopy",
					"--strip-all",
					"--keep-symbol=net_init",
					"--keep-symbol=unik_app_name",
					linked,
					out_path,
					NULL };

		if (run_tool(as, "as", work_dir, sb, log, log_ctx, err) < 0 ||
		    run_tool(ld, "ld", work_dir, sb, log, log_ctx, err) < 0 ||
		    run_tool(strip, "objcopy", out_dir, sb, log, log_ctx, err) < 0)
			goto cleanup;
	}
	rc = 0;
cleanup:
	strbuf_release(&app);
	strbuf_release(&table);
	strbuf_release(&orig);
	free(rt_obj);
	free(rt_ld);
	free(net_obj);
	free(unix_obj);
	free(app_copy);
	free(funcs);
	free(cpio);
	free(plan_path);
	free(asm_path);
	free(obj);
	free(linked);
	free(out_dir);
	return rc;
}

void compiler_pack_result(const struct unik_build_spec *spec, char **image, int base_mb,
			  struct unik_build_result *out)
{
	long long size = fs_file_size(*image);

	compiler_progress(spec, "image: %lld bytes (format unik-elf)", size);
	unik_build_result_release(out);
	out->format = xstrdup(UNIK_FORMAT_UNIK_ELF);
	out->kernel = *image;
	out->initrd = NULL;
	out->memory_mb = base_mb + (int)(2 * (size > 0 ? size : 0) >> 20);
	*image = NULL;
}
