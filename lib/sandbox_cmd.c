/* sandbox_cmd.c - what one command of a build runs with: bwrap's command
 * line (the sandbox's view of the host), a clean environment and the
 * resource limits, all made before fork(). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"
#include "sandbox_int.h"
#include "xalloc.h"

static void add_limit(struct sandbox_cmd *p, int res, long long v, long long slack)
{
	struct rlimit cur, *l = &p->lim[p->nlim];
	rlim_t want = v < 0 ? 0 : (rlim_t)v;

	if (getrlimit(res, &cur) < 0)
		return;
	if (cur.rlim_max != RLIM_INFINITY && want > cur.rlim_max)
		want = cur.rlim_max; /* lower only */
	l->rlim_cur = want;
	l->rlim_max = want + (rlim_t)slack;
	if (cur.rlim_max != RLIM_INFINITY && l->rlim_max > cur.rlim_max)
		l->rlim_max = cur.rlim_max;
	p->res[p->nlim++] = res;
}

static void set_limits(const struct sandbox *sb, struct sandbox_cmd *p)
{
	const struct sandbox_conf *c = sb->conf;
	long long cpu_left = c->lim.cpu_seconds * 1000 - sb->cpu_ms;

	/* the build's total CPU time is watched; a single process past what is
	 * left gets SIGXCPU, then SIGKILL a second later */
	add_limit(p, RLIMIT_CPU, (cpu_left > 0 ? cpu_left / 1000 : 0) + 2, 1);
	add_limit(p, RLIMIT_AS, c->lim.memory, 0);
	add_limit(p, RLIMIT_FSIZE, c->lim.file_size, 0);
	add_limit(p, RLIMIT_CORE, 0, 0);
	/* RLIMIT_NPROC counts all of the user's tasks: the build gets its own
	 * number on top of those there are (other builds, or the user's own
	 * when unikd is not root); the exact count in the sandbox is watched */
	add_limit(p, RLIMIT_NPROC, c->lim.processes + sandbox_user_tasks(c->uid) + 2, 0);
}

static void push_env(struct sandbox_cmd *p, const char *k, const char *v)
{
	if (p->bwrap) {
		strv_push(&p->argv, "--setenv");
		strv_push(&p->argv, k);
		strv_push(&p->argv, v);
	} else {
		strv_push_owned(&p->env, xasprintf("%s=%s", k, v));
	}
}

/* PATH, HOME (the private /tmp; without bwrap the build folder), LC_ALL
 * and the caller's entries: nothing of unikd's own environment reaches a
 * build. */
static void build_env(const struct sandbox *sb, struct sandbox_cmd *p, const struct strv *extra)
{
	const char *path = getenv("PATH");
	const char *dir = p->bwrap ? "/tmp" : sb->dir ? sb->dir : "/";

	if (p->bwrap)
		strv_push(&p->argv, "--clearenv");
	push_env(p, "PATH", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	push_env(p, "HOME", dir);
	push_env(p, "LC_ALL", "C.UTF-8");
	if (p->bwrap)
		push_env(p, "TMPDIR", "/tmp");
	for (size_t i = 0; extra && i < extra->n; i++) {
		const char *eq = strchr(extra->v[i], '=');
		char *k =
		    eq ? xstrndup(extra->v[i], (size_t)(eq - extra->v[i])) : xstrdup(extra->v[i]);

		push_env(p, k, eq ? eq + 1 : "");
		free(k);
	}
}

static void args(struct strv *v, const char *const *a)
{
	for (; *a; a++)
		strv_push(v, *a);
}

/* The host's top-level links into /usr (usrmerge) and folders of libraries. */
static void bwrap_root(struct sandbox_cmd *p)
{
	static const char *const top[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };

	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		char target[256];
		struct stat st;
		ssize_t n;

		if (lstat(top[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(top[i], target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			args(&p->argv, (const char *const[]){ "--symlink", target, top[i], NULL });
		} else if (S_ISDIR(st.st_mode)) {
			args(&p->argv, (const char *const[]){ "--ro-bind", top[i], top[i], NULL });
		}
	}
}

/* The build folder read-only, and on it the folders the command may write. */
static int bwrap_folder(const struct sandbox *sb, struct sandbox_cmd *p,
			const char *const *writable, struct unik_err *err)
{
	const char *dir = sb->dir;
	size_t len = strlen(dir);

	if (!writable) {
		args(&p->argv, (const char *const[]){ "--bind", dir, dir, NULL });
		return 0;
	}
	args(&p->argv, (const char *const[]){ "--ro-bind", dir, dir, NULL });
	for (; *writable; writable++) {
		char *real = realpath(*writable, NULL);

		if (!real || strncmp(real, dir, len) || (real[len] != '/' && real[len] != '\0')) {
			unik_err_set(err, UNIK_E_INTERNAL,
				     "%s is not a folder inside the build folder %s", *writable,
				     dir);
			free(real);
			return -1;
		}
		args(&p->argv, (const char *const[]){ "--bind", real, real, NULL });
		free(real);
	}
	return 0;
}

static int bwrap_args(const struct sandbox *sb, struct sandbox_cmd *p, const char *const *argv,
		      const char *cwd, const struct strv *env, const char *const *writable,
		      struct unik_err *err)
{
	char tmp_size[32];

	snprintf(tmp_size, sizeof(tmp_size), "%lld", sb->conf->lim.tmp_size);
	strv_push(&p->argv, sb->conf->bwrap);
	args(&p->argv, (const char *const[]){ "--unshare-all", "--unshare-user", "--disable-userns",
					      "--die-with-parent", "--new-session", "--cap-drop",
					      "ALL", "--hostname", "unik-build", "--ro-bind",
					      "/usr", "/usr", NULL });
	bwrap_root(p);
	args(&p->argv, (const char *const[]){
			   "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache", "--ro-bind-try",
			   "/etc/alternatives", "/etc/alternatives", "--proc", "/proc", "--dev",
			   "/dev", "--size", tmp_size, "--tmpfs", "/tmp", NULL });
	for (size_t i = 0; i < sb->ro.n; i++)
		args(&p->argv,
		     (const char *const[]){ "--ro-bind", sb->ro.v[i], sb->ro.v[i], NULL });
	if (sb->dir && bwrap_folder(sb, p, writable, err) < 0)
		return -1;
	args(&p->argv, (const char *const[]){ "--chdir",
					      cwd	? cwd
					      : sb->dir ? sb->dir
							: "/",
					      "--json-status-fd", "3", NULL });
	build_env(sb, p, env);
	strv_push(&p->argv, "--");
	args(&p->argv, argv);
	p->exe = xstrdup(sb->conf->bwrap);
	strv_push_owned(&p->env, xasprintf("PATH=%s", getenv("PATH") ? getenv("PATH") : ""));
	p->host_cwd = "/";
	return 0;
}

/* Files unikd itself wrote into the folder since (a compiler's in-process
 * steps) become the build user's too, so its tools can read them. */
static int hand_over(const struct sandbox *sb, struct unik_err *err)
{
	long long bytes;
	int fd, rc;

	if (!sb->conf->drop || !sb->dir)
		return 0;
	fd = open(sb->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot open %s: %s", sb->dir,
				    strerror(errno));
	rc = sandbox_tree_usage(fd, sb->conf->uid, sb->conf->gid, &bytes, err);
	close(fd);
	return rc;
}

int sandbox_cmd_prepare(struct sandbox *sb, struct sandbox_cmd *p, const char *const *argv,
			const char *cwd, const struct strv *env, const char *const *writable,
			struct unik_err *err)
{
	const struct sandbox_conf *c = sb->conf;

	memset(p, 0, sizeof(*p));
	p->bwrap = c->mode == SANDBOX_BWRAP;
	if (hand_over(sb, err) < 0)
		return -1;
	if (p->bwrap) {
		if (!c->bwrap)
			return unik_err_set(err, UNIK_E_UNAVAILABLE, SANDBOX_NO_BWRAP);
		if (bwrap_args(sb, p, argv, cwd, env, writable, err) < 0)
			return -1;
	} else {
		p->exe = run_which(argv[0]);
		if (!p->exe)
			return unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot run '%s': not found",
					    argv[0]);
		args(&p->argv, argv);
		build_env(sb, p, env);
		p->host_cwd = cwd ? cwd : sb->dir ? sb->dir : "/";
	}
	set_limits(sb, p);
	return 0;
}

void sandbox_cmd_release(struct sandbox_cmd *p)
{
	free(p->exe);
	strv_release(&p->argv);
	strv_release(&p->env);
	memset(p, 0, sizeof(*p));
}
