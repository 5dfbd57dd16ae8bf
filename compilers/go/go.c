/* go.c - the "go" compiler: a Go program as a unikernel.
 *
 * A Go module folder (go.mod at the top, the main package there) or a
 * folder of *.go files (one main package of the standard library only) is
 * built with the host's Go toolchain (Debian's golang-go) into a static
 * linux/amd64 executable: CGO_ENABLED=0, -trimpath, no network (GOPROXY=off;
 * GOFLAGS=-mod=vendor when vendor/ exists), a private GOCACHE and GOPATH in
 * the build's scratch folder.  compilers/common/pack.c then links it with
 * the unik runtime and the folder's files/, as the c compiler does: format
 * "unik-elf", artifact out_dir/unik.elf.
 *
 * Go makes its sockets with raw system calls, not through a libc, so the
 * symbol check of the c compiler cannot see them: every Go image gets the
 * network stack and local sockets (the build log says so).
 */
#include "go.h"
#include "../common/files.h"
#include "../common/pack.h"
#include "../common/program.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../api/formats.h"
#include "../../lib/fsutil.h"
#include "../../lib/run.h"
#include "../../lib/xalloc.h"

/* The Go runtime's heap, stacks and the image's own pages. */
#define GO_BASE_MEMORY_MB 64
/* A go.mod beats a Makefile or C files next to it (c: 20). */
#define GO_DETECT_MODULE 30
/* Loose *.go files: below a folder the c compiler also fits. */
#define GO_DETECT_FILES 15

const char *go_command(const struct unik_config *cfg)
{
	return cfg ? unik_config_get(cfg, "go.go", "go") : "go";
}

static int need_tool(const char *name, const char *pkg, struct unik_err *err)
{
	char *p = run_which(name);

	if (!p)
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "%s is not installed (apt-get install %s)", name, pkg);
	free(p);
	return 0;
}

/* The toolchain's root: the folder above bin/ of the real `go` binary
 * (/usr/lib/go-1.19 for Debian's /usr/bin/go).  New string, or NULL. */
static char *go_root(const struct unik_config *cfg)
{
	char *path = run_which(go_command(cfg));
	char *real = path ? realpath(path, NULL) : NULL;
	char *slash;

	free(path);
	for (int up = 0; real && up < 2; up++) {
		slash = strrchr(real, '/');
		if (!slash || slash == real) {
			free(real);
			return NULL;
		}
		*slash = '\0';
	}
	return real;
}

static int go_probe(const struct unik_config *cfg, struct unik_err *err)
{
	char *root;

	if (compiler_runtime_check(compiler_runtime_dir(cfg), err) < 0)
		return -1;
	root = go_root(cfg);
	if (!root)
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "the Go toolchain (%s) is not installed (apt-get install "
				    "golang-go, or set go.go)",
				    go_command(cfg));
	free(root);
	if (need_tool("as", "binutils", err) < 0 || need_tool("ld", "binutils", err) < 0 ||
	    need_tool("objcopy", "binutils", err) < 0)
		return -1;
	return 0;
}

static int is_go_file(const struct dirent *e)
{
	size_t len = strlen(e->d_name);

	return e->d_name[0] != '.' && e->d_name[0] != '_' && len > 3 &&
	       !strcmp(e->d_name + len - 3, ".go") &&
	       !(len > 8 && !strcmp(e->d_name + len - 8, "_test.go"));
}

/* The top folder's *.go files but tests, sorted; regular files only. */
static int go_files(const char *dir, struct strv *out, struct unik_err *err)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, is_go_file, alphasort);

	if (n < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot list %s: %s", dir,
				    strerror(errno));
	for (int i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, ents[i]->d_name);
		struct stat st;

		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
			strv_push(out, ents[i]->d_name);
		free(p);
		free(ents[i]);
	}
	free(ents);
	return 0;
}

static int is_regular(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct stat st;
	int ok = lstat(p, &st) == 0 && S_ISREG(st.st_mode);

	free(p);
	return ok;
}

static int is_folder(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct stat st;
	int ok = lstat(p, &st) == 0 && S_ISDIR(st.st_mode);

	free(p);
	return ok;
}

static int go_detect(const char *src_dir)
{
	struct strv files = STRV_INIT;
	int score = 0;

	if (is_regular(src_dir, "go.mod"))
		return GO_DETECT_MODULE;
	if (go_files(src_dir, &files, NULL) == 0 && files.n > 0)
		score = GO_DETECT_FILES;
	strv_release(&files);
	return score;
}

/* The largest source file uses_cgo() reads. */
#define GO_SOURCE_MAX (1 << 20)

/* 1 when a *.go file of the top folder imports "C" (cgo). */
static int uses_cgo(const char *dir)
{
	struct strv files = STRV_INIT;
	int found = 0;

	if (go_files(dir, &files, NULL) < 0)
		return 0;
	for (size_t i = 0; i < files.n && !found; i++) {
		char *p = xasprintf("%s/%s", dir, files.v[i]);
		struct strbuf sb = STRBUF_INIT;
		struct stat st;

		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= GO_SOURCE_MAX &&
		    fs_read_file(p, &sb, NULL) == 0 && sb.buf)
			found = strstr(sb.buf, "import \"C\"") != NULL;
		strbuf_release(&sb);
		free(p);
	}
	strv_release(&files);
	return found;
}

/* The build log, watched for the go command's words for a module it would
 * have to download. */
struct go_log {
	const struct unik_build_spec *spec;
	int wants_network;
};

static void go_log_line(void *ctx, const char *line)
{
	static const char *const network[] = { "GOPROXY=off", "module lookup disabled",
					       "no required module provides package",
					       "cannot find module providing package",
					       "missing go.sum entry" };
	struct go_log *gl = ctx;

	for (size_t i = 0; i < sizeof(network) / sizeof(network[0]); i++)
		if (strstr(line, network[i]))
			gl->wants_network = 1;
	if (gl->spec->log)
		gl->spec->log(gl->spec->log_ctx, line);
}

/* The environment of `go build`: nothing of the host's Go settings, no
 * network, everything it writes under `scratch` (the build's work_dir). */
static void go_env(const char *scratch, int module, int vendor, struct strv *env)
{
	strv_push(env, "CGO_ENABLED=0");
	strv_push(env, "GOOS=linux");
	strv_push(env, "GOARCH=amd64");
	strv_push(env, "GOAMD64=v1");
	strv_push(env, "GOPROXY=off");
	strv_push(env, "GOSUMDB=off");
	strv_push(env, "GONOSUMDB=");
	strv_push(env, "GOPRIVATE=");
	strv_push(env, "GOWORK=off");
	strv_push(env, "GOENV=off");
	strv_push(env, "GO111MODULE=on");
	strv_push(env, "GOTOOLCHAIN=local");
	if (module) /* -mod is refused outside a module */
		strv_push(env, vendor ? "GOFLAGS=-mod=vendor" : "GOFLAGS=-mod=readonly");
	strv_push_owned(env, xasprintf("GOCACHE=%s/go-cache", scratch));
	strv_push_owned(env, xasprintf("GOPATH=%s/go-path", scratch));
	strv_push_owned(env, xasprintf("GOMODCACHE=%s/go-path/pkg/mod", scratch));
	strv_push_owned(env, xasprintf("GOTMPDIR=%s/go-tmp", scratch));
}

static int go_build_program(const struct unik_build_spec *spec, char **app_out,
			    struct unik_err *err)
{
	char *scratch = realpath(spec->work_dir, NULL);
	char *app = NULL, *tmp = NULL;
	struct strv argv = STRV_INIT, env = STRV_INIT, files = STRV_INIT;
	int module = is_regular(spec->src_dir, "go.mod");
	int vendor = module && is_folder(spec->src_dir, "vendor");
	struct go_log gl = { spec, 0 };
	int rc = -1;

	if (!scratch) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot resolve %s: %s", spec->work_dir,
			     strerror(errno));
		goto cleanup;
	}
	app = xasprintf("%s/app", scratch);
	tmp = xasprintf("%s/go-tmp", scratch);
	if (fs_mkdir_p(tmp, 0755, err) < 0)
		goto cleanup;
	if (!module) {
		if (go_files(spec->src_dir, &files, err) < 0)
			goto cleanup;
		if (files.n == 0) {
			unik_err_set(err, UNIK_E_INVALID,
				     "no Go sources: the go compiler needs a go.mod or *.go files "
				     "in the top folder");
			goto cleanup;
		}
	}
	go_env(scratch, module, vendor, &env);
	strv_push(&argv, go_command(spec->cfg));
	strv_push(&argv, "build");
	strv_push(&argv, "-trimpath");
	strv_push(&argv, "-buildvcs=false");
	strv_push(&argv, "-o");
	strv_push(&argv, app);
	if (module)
		strv_push(&argv, ".");
	for (size_t i = 0; i < files.n; i++)
		strv_push(&argv, files.v[i]);
	if (module)
		compiler_progress(spec,
				  "building the Go module with go build -trimpath (CGO_ENABLED=0, "
				  "GOOS=linux GOARCH=amd64, GOPROXY=off%s)",
				  vendor ? ", -mod=vendor" : "");
	else
		compiler_progress(spec,
				  "building %zu Go file%s with go build -trimpath (CGO_ENABLED=0, "
				  "GOOS=linux GOARCH=amd64, GOPROXY=off)",
				  files.n, files.n == 1 ? "" : "s");
	{
		/* the go command writes only the scratch folder (caches, output) */
		const char *rw[] = { scratch, NULL };
		struct run_opts opts = { spec->src_dir, &env, go_log_line, &gl, spec->sandbox, rw };

		if (run_command((const char *const *)argv.v, &opts, err) < 0) {
			if (err && err->code == UNIK_E_INTERNAL)
				err->code = UNIK_E_INVALID;
			if (uses_cgo(spec->src_dir))
				unik_err_prefix(err,
						"go build failed: the program uses cgo (import "
						"\"C\"), which unik does not support: Go "
						"programs are built with CGO_ENABLED=0");
			else if (gl.wants_network)
				unik_err_prefix(
				    err, "go build failed: the program needs modules that "
					 "are not in the upload, and builds have no network: "
					 "run 'go mod vendor' in the folder first "
					 "(vendor/ is used when present)");
			else
				unik_err_prefix(err, "go build failed");
			goto cleanup;
		}
	}
	if (compiler_program_check_static(app, err) < 0)
		goto cleanup;
	*app_out = app;
	app = NULL;
	rc = 0;
cleanup:
	free(scratch);
	free(app);
	free(tmp);
	strv_release(&argv);
	strv_release(&env);
	strv_release(&files);
	return rc;
}

static int go_build(const struct unik_build_spec *spec, struct unik_build_result *out,
		    struct unik_err *err)
{
	char *app = NULL, *files = NULL, *root = NULL;
	char *image = xasprintf("%s/unik.elf", spec->out_dir);
	int rc = -1;

	if (go_probe(spec->cfg, err) < 0)
		goto cleanup;
	root = go_root(spec->cfg);
	if (!root) {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "the Go toolchain is not installed");
		goto cleanup;
	}
	/* the toolchain (Debian's is under /usr, always there) and the runtime */
	if (strncmp(root, "/usr/", 5))
		sandbox_allow_read(spec->sandbox, root);
	sandbox_allow_read(spec->sandbox, compiler_runtime_dir(spec->cfg));
	compiler_progress(spec, "Go toolchain: %s", root);
	compiler_files_note_strays(spec);
	if (go_build_program(spec, &app, err) < 0 || compiler_files_tree(spec, &files, err) < 0)
		goto cleanup;
	{
		char *what = compiler_files_summary(spec, files);

		compiler_progress(spec, "%s", what);
		free(what);
	}
	compiler_progress(spec, "linking with the unik runtime");
	{
		struct pack_spec ps = { .runtime_dir = compiler_runtime_dir(spec->cfg),
					.app = app,
					.files_dir = files,
					.name = spec->name,
					.work_dir = spec->work_dir,
					.out_path = image,
					.sockets = PACK_SOCKETS_ALWAYS,
					.sockets_why = "Go makes its sockets with raw system "
						       "calls: every Go image gets them",
					.syscalls_why = "Go makes raw system calls: every Go "
							"image gets them all" };

		if (compiler_pack_image(&ps, spec->sandbox, spec->log, spec->log_ctx, err) < 0)
			goto cleanup;
	}
	compiler_pack_result(spec, &image, GO_BASE_MEMORY_MB, out);
	rc = 0;
cleanup:
	free(app);
	free(files);
	free(root);
	free(image);
	return rc;
}

const struct unik_compiler unik_compiler_go = {
	.name = "go",
	.description = "Go program (golang-go, CGO_ENABLED=0) linked with the unik runtime: "
		       "one bootable ELF",
	.probe = go_probe,
	.detect = go_detect,
	.build = go_build,
};
