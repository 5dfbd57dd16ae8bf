/* program.c - a compiler's first step: the upload's C sources, or its
 * Makefile, into one static musl executable (see program.h). */
#include "program.h"
#include "diag.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/run.h"
#include "../../lib/safeopen.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"

#define CC_DEFAULT "musl-gcc"

void compiler_progress(const struct unik_build_spec *spec, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!spec->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	spec->log(spec->log_ctx, line);
}

char *compiler_unik_musl_gcc(const char *runtime_dir)
{
	char *stamp = xasprintf("%s/musl/.unik-version", runtime_dir);
	char *gcc = xasprintf("%s/musl/bin/musl-gcc", runtime_dir);
	int ok = fs_exists(stamp) && access(gcc, X_OK) == 0;

	free(stamp);
	if (!ok) {
		free(gcc);
		return NULL;
	}
	return gcc;
}

static int is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

static int has_makefile(const char *dir)
{
	static const char *const names[] = { "GNUmakefile", "makefile", "Makefile" };
	int found = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !found; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		struct stat st;

		found = stat(p, &st) == 0 && S_ISREG(st.st_mode);
		free(p);
	}
	return found;
}

static int is_c_source(const struct dirent *e)
{
	size_t len = strlen(e->d_name);

	return e->d_name[0] != '.' && len > 2 && !strcmp(e->d_name + len - 2, ".c");
}

/* Top-level entries of `dir` accepted by `keep` that are regular files
 * (executable ones when `exec_only`), sorted by name. */
static int list_files(const char *dir, int (*keep)(const struct dirent *), int exec_only,
		      struct strv *out, struct unik_err *err)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, keep, alphasort);

	if (n < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot list %s: %s", dir,
				    strerror(errno));
	for (int i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, ents[i]->d_name);
		struct stat st;

		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && (!exec_only || is_exec_file(p)))
			strv_push(out, ents[i]->d_name);
		free(p);
		free(ents[i]);
	}
	free(ents);
	return 0;
}

/* Rejects what cannot run as /app: not x86-64 ELF, or dynamically linked. */
int compiler_program_check_static(const char *path, struct unik_err *err)
{
	/* the build made it: read beneath its folder, never through a link out */
	int fd = safe_open_file(path, O_RDONLY | O_NONBLOCK, 0, err);
	FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
	Elf64_Ehdr eh;
	int rc = -1;

	if (!f) {
		if (fd < 0)
			return unik_err_prefix(err, "the program");
		close(fd);
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot read %s", path);
	}
	if (fread(&eh, sizeof(eh), 1, f) != 1 || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		unik_err_set(err, UNIK_E_INVALID, "the program is not an x86-64 ELF executable");
		goto cleanup;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (fseek(f, (long)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize), SEEK_SET) < 0 ||
		    fread(&ph, sizeof(ph), 1, f) != 1) {
			unik_err_set(err, UNIK_E_INVALID, "the program has a truncated ELF header");
			goto cleanup;
		}
		if (ph.p_type == PT_INTERP) {
			unik_err_set(err, UNIK_E_INVALID,
				     "the program is dynamically linked; link it statically "
				     "(use $(CC) and $(LDFLAGS) from the make command line)");
			goto cleanup;
		}
	}
	rc = 0;
cleanup:
	fclose(f);
	return rc;
}

/* The executable make left: "app", the image name, or the only new one. */
static char *make_output(const struct unik_build_spec *spec, const struct strv *before,
			 struct unik_err *err)
{
	struct strv after = STRV_INIT, fresh = STRV_INIT;
	char *p = xasprintf("%s/app", spec->src_dir);

	if (is_exec_file(p))
		goto cleanup;
	free(p);
	p = NULL;
	if (spec->name && *spec->name && !strchr(spec->name, '/')) {
		p = xasprintf("%s/%s", spec->src_dir, spec->name);
		if (is_exec_file(p))
			goto cleanup;
		free(p);
		p = NULL;
	}
	if (list_files(spec->src_dir, NULL, 1, &after, err) < 0)
		goto cleanup;
	for (size_t i = 0; i < after.n; i++)
		if (strv_find(before, after.v[i]) < 0)
			strv_push(&fresh, after.v[i]);
	if (fresh.n == 1)
		p = xasprintf("%s/%s", spec->src_dir, fresh.v[0]);
	else
		unik_err_set(err, UNIK_E_INVALID,
			     "make left %s: the Makefile's default target must build an "
			     "executable named 'app'%s%s%s in the top folder",
			     fresh.n ? "several new executables" : "no executable",
			     spec->name ? " (or '" : "", spec->name ? spec->name : "",
			     spec->name ? "')" : "");
cleanup:
	strv_release(&after);
	strv_release(&fresh);
	return p;
}

static int build_with_make(const struct unik_build_spec *spec, const char *cc, char **app_out,
			   struct unik_err *err)
{
	char *cc_arg = xasprintf("CC=%s", cc);
	const char *argv[] = { "make", cc_arg, "LDFLAGS=-static", NULL };
	/* the Makefile is the user's code: it may write its own folder only,
	 * never where unikd writes the image afterwards */
	const char *rw[] = { spec->src_dir, NULL };
	char *src = realpath(spec->src_dir, NULL); /* what make's $(CURDIR) says */
	char *tools = compiler_diag_tool_dir(cc);
	struct diag_log dl = { spec->log, spec->log_ctx, src ? src : spec->src_dir, spec->work_dir,
			       tools };
	struct run_opts opts = { spec->src_dir, NULL, spec->log ? compiler_diag_line : NULL, &dl,
				 spec->sandbox, rw };
	struct strv before = STRV_INIT;
	int rc = -1;

	if (list_files(spec->src_dir, NULL, 1, &before, err) < 0)
		goto cleanup;
	compiler_progress(spec, "building with make CC=%s LDFLAGS=-static", compiler_diag_tool(cc));
	if (run_command(argv, &opts, err) < 0) {
		compiler_diag_error(&dl, err);
		if (err && err->code == UNIK_E_INTERNAL)
			err->code = UNIK_E_INVALID;
		unik_err_prefix(err, "build failed");
		goto cleanup;
	}
	*app_out = make_output(spec, &before, err);
	rc = *app_out ? 0 : -1;
cleanup:
	free(cc_arg);
	free(src);
	free(tools);
	strv_release(&before);
	return rc;
}

static int build_sources(const struct unik_build_spec *spec, const char *cc, char **app_out,
			 struct unik_err *err)
{
	const char *rw[] = { spec->work_dir, NULL }; /* where the program goes */
	char *work = realpath(spec->work_dir, NULL); /* the compiler runs in src_dir */
	char *src = realpath(spec->src_dir, NULL);
	char *tools = compiler_diag_tool_dir(cc);
	struct diag_log dl = { spec->log, spec->log_ctx, src ? src : spec->src_dir, work, tools };
	struct run_opts opts = { spec->src_dir, NULL, spec->log ? compiler_diag_line : NULL, &dl,
				 spec->sandbox, rw };
	struct strv srcs = STRV_INIT, argv = STRV_INIT;
	char *app = NULL;
	int rc = -1;

	if (!work) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot resolve %s: %s", spec->work_dir,
			     strerror(errno));
		goto cleanup;
	}
	app = xasprintf("%s/app", work);
	if (list_files(spec->src_dir, is_c_source, 0, &srcs, err) < 0)
		goto cleanup;
	if (srcs.n == 0) {
		unik_err_set(err, UNIK_E_INVALID,
			     "no C sources: the linux compiler needs *.c files or a Makefile "
			     "in the top folder");
		goto cleanup;
	}
	compiler_progress(spec, "compiling %zu C file%s with %s -static -O2", srcs.n,
			  srcs.n == 1 ? "" : "s", compiler_diag_tool(cc));
	strv_push(&argv, cc);
	strv_push(&argv, "-static");
	strv_push(&argv, "-O2");
	strv_push(&argv, "-o");
	strv_push(&argv, app);
	for (size_t i = 0; i < srcs.n; i++)
		strv_push(&argv, srcs.v[i]);
	if (run_command((const char *const *)argv.v, &opts, err) < 0) {
		compiler_diag_error(&dl, err);
		if (err && err->code == UNIK_E_INTERNAL)
			err->code = UNIK_E_INVALID;
		unik_err_prefix(err, "compile failed");
		goto cleanup;
	}
	*app_out = app;
	app = NULL;
	rc = 0;
cleanup:
	free(work);
	free(src);
	free(tools);
	free(app);
	strv_release(&srcs);
	strv_release(&argv);
	return rc;
}

int compiler_program_build(const struct unik_build_spec *spec, const char *cc, char **app_out,
			   struct unik_err *err)
{
	char *app = NULL;
	int rc;

	*app_out = NULL;
	if (!cc)
		cc = CC_DEFAULT;
	if (has_makefile(spec->src_dir))
		rc = build_with_make(spec, cc, &app, err);
	else
		rc = build_sources(spec, cc, &app, err);
	if (rc == 0 && compiler_program_check_static(app, err) < 0) {
		free(app);
		return -1;
	}
	*app_out = app;
	return rc;
}
