/* t_sandbox.c - the build sandbox: every limit trips with its own message,
 * a cancel from another thread kills at once, the folder walk survives any
 * depth, and (where bubblewrap works) the tools see nothing of the host. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/clock.h"
#include "../../lib/fsutil.h"
#include "../../lib/run.h"
#include "../../lib/sandbox.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "tap.h"

#define DEEP 300 /* levels of 200-byte names: far past PATH_MAX */

static char *top; /* 0711: the build user passes through it */
static char *dir; /* the build folder */

static void collect(void *ctx, const char *line)
{
	struct strbuf *sb = ctx;

	strbuf_adds(sb, line);
	strbuf_addch(sb, '\n');
}

/* Runs `sh -c script` in sb; *out gets its lines. */
static int sh(struct sandbox *sb, const char *script, struct strbuf *out, struct unik_err *err)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	struct run_opts o = { NULL, NULL, collect, out, sb, NULL };

	strbuf_reset(out);
	unik_err_clear(err);
	return run_command(argv, &o, err);
}

/* rm -rf by descriptor: the deep tree is past what path-based removal does. */
static void rm_at(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *e;
	DIR *d;

	if (fd < 0) {
		unlinkat(dfd, name, 0);
		return;
	}
	d = fdopendir(fd);
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rm_at(fd, e->d_name);
	if (d)
		closedir(d);
	else
		close(fd);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

static void fresh_dir(void)
{
	rm_at(AT_FDCWD, dir);
	mkdir(dir, 0700);
}

/* A sandbox over the folder as it is, configured by `conf` ("key = value"
 * lines). */
static int open_with(struct sandbox *sb, struct sandbox_conf *sc, const char *conf)
{
	struct unik_config cfg;
	struct unik_err err = UNIK_ERR_INIT;
	int rc;

	unik_config_init(&cfg);
	rc = unik_config_parse(&cfg, conf, "test", &err) || sandbox_conf_load(sc, &cfg, &err) ||
	     sandbox_open(sb, sc, dir, &err);
	unik_config_release(&cfg);
	if (rc)
		printf("# sandbox: %s\n", err.msg);
	return rc ? -1 : 0;
}

static void close_all(struct sandbox *sb, struct sandbox_conf *sc)
{
	sandbox_close(sb);
	sandbox_conf_release(sc);
}

/* Runs `script` under `conf` in a fresh folder; checks that it fails with
 * `want` in the message within `max_ms`. */
static void trips(const char *conf, const char *script, const char *want, long long max_ms,
		  const char *what)
{
	struct sandbox_conf sc;
	struct sandbox sb;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf out = STRBUF_INIT;
	long long t0, ms;
	int rc;

	fresh_dir();
	if (open_with(&sb, &sc, conf) < 0) {
		ok(0, "%s: the sandbox opens", what);
		return;
	}
	t0 = clock_now_ms();
	rc = sh(&sb, script, &out, &err);
	ms = clock_now_ms() - t0;
	if (!ok(rc < 0 && strstr(err.msg, want), "%s: fails with '%s'", what, want))
		printf("#   got: %s\n", err.msg);
	ok(ms < max_ms, "%s: within %lld ms (took %lld)", what, max_ms, ms);
	strbuf_release(&out);
	close_all(&sb, &sc);
}

static void deep_name(char name[201])
{
	memset(name, 'd', 200);
	name[200] = '\0';
}

static void walk_deep(void)
{
	struct sandbox_conf sc;
	struct sandbox sb;
	char name[201], *link;
	struct stat st;
	int fd, found = 0;

	fresh_dir();
	deep_name(name);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < DEEP && fd >= 0; i++) {
		int sub;

		mkdirat(fd, name, 0700);
		sub = openat(fd, name, O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = sub;
	}
	if (fd >= 0) {
		close(openat(fd, "deepest", O_CREAT | O_WRONLY, 0600));
		close(fd);
	}
	link = xasprintf("%s/etc-link", dir);
	ok(symlink("/etc", link) == 0, "walk: a symlink out of the folder");
	free(link);
	if (!ok(open_with(&sb, &sc, "") == 0, "walk: a sandbox opens over %d levels", DEEP))
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < DEEP && fd >= 0; i++) {
		int sub = openat(fd, name, O_RDONLY | O_DIRECTORY);

		close(fd);
		fd = sub;
	}
	if (fd >= 0) {
		found = fstatat(fd, "deepest", &st, 0) == 0 && (!sc.drop || st.st_uid == sc.uid);
		close(fd);
	}
	ok(found, "walk: the deepest file belongs to the build user");
	ok(lstat("/etc", &st) == 0 && (!sc.drop || st.st_uid == 0),
	   "walk: the symlink was not followed out of the folder");
	ok(sb.disk_base >= DEEP * 4096LL, "walk: every level counted (%lld bytes)", sb.disk_base);
	close_all(&sb, &sc);
	fresh_dir();
}

static void basics(const char *mode)
{
	struct sandbox_conf sc;
	struct sandbox sb;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf out = STRBUF_INIT;
	char *conf = xasprintf("[build]\nsandbox = %s\n", mode), *path, *want;
	const char *argv[] = { "true", NULL };
	struct run_opts bare = { NULL, NULL, NULL, NULL, NULL, NULL };

	fresh_dir();
	ok(run_command(argv, &bare, &err) < 0 && strstr(err.msg, "outside the build sandbox"),
	   "%s: no tool runs without a sandbox", mode);
	if (!ok(open_with(&sb, &sc, conf) == 0, "%s: the sandbox opens", mode))
		goto out;
	ok(sh(&sb, "echo one; echo two >&2", &out, &err) == 0, "%s: a command runs", mode);
	is_str(strbuf_str(&out), "one\ntwo\n", "%s: its lines, stdout and stderr", mode);
	ok(sh(&sb, "echo oops; exit 3", &out, &err) < 0 && strstr(err.msg, "status 3") &&
	       strstr(err.msg, "oops"),
	   "%s: a failure names the status and the last lines", mode);
	setenv("UNIK_TEST_SECRET", "leak", 1);
	sh(&sb, "echo \"$HOME\"; env | grep -c UNIK_TEST_SECRET", &out, &err);
	want = xasprintf("%s\n0\n", sc.mode == SANDBOX_BWRAP ? "/tmp" : sb.dir);
	is_str(strbuf_str(&out), want, "%s: HOME is %s, nothing of our environment", mode,
	       sc.mode == SANDBOX_BWRAP ? "the private /tmp" : "the folder");
	free(want);
	if (sc.drop) {
		want = xasprintf("%d\n", (int)sc.uid);
		sh(&sb, "id -u", &out, &err);
		is_str(strbuf_str(&out), want, "%s: the tools run as the build user", mode);
		free(want);
		/* unikd's own files in the folder (0600 root) reach the next tool */
		path = xasprintf("%s/by-unikd", dir);
		fs_write_file_atomic(path, "mine\n", 5, 0600, NULL);
		free(path);
		ok(sh(&sb, "cat by-unikd", &out, &err) == 0 && !strcmp(out.buf, "mine\n"),
		   "%s: files unikd wrote meanwhile are handed over", mode);
	}
	close_all(&sb, &sc);
out:
	strbuf_release(&out);
	free(conf);
}

static void *cancel_later(void *arg)
{
	clock_sleep_ms(300);
	sandbox_cancel(arg, SANDBOX_CANCELLED);
	return NULL;
}

static void cancels(const char *mode)
{
	struct sandbox_conf sc;
	struct sandbox sb;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf out = STRBUF_INIT;
	char *conf = xasprintf("[build]\nsandbox = %s\n", mode);
	long long t0;
	pthread_t t;

	fresh_dir();
	if (!ok(open_with(&sb, &sc, conf) == 0, "%s: the sandbox opens", mode))
		goto out;
	t0 = clock_now_ms();
	pthread_create(&t, NULL, cancel_later, &sb);
	ok(sh(&sb, "sleep 30 & sleep 30; wait", &out, &err) < 0 &&
	       strstr(err.msg, "the build was cancelled") && err.code == UNIK_E_CONFLICT,
	   "%s: a cancel from another thread stops the command", mode);
	pthread_join(t, NULL);
	ok(clock_now_ms() - t0 < 3000, "%s: at once (%lld ms)", mode, clock_now_ms() - t0);
	ok(sh(&sb, "true", &out, &err) < 0 && strstr(err.msg, "cancelled"),
	   "%s: and no later command starts", mode);
	close_all(&sb, &sc);
out:
	strbuf_release(&out);
	free(conf);
}

static void limits(const char *mode)
{
	char conf[512];
	const char *base = "[build]\nsandbox = ";

#define CONF(extra) (snprintf(conf, sizeof(conf), "%s%s\n%s", base, mode, extra), conf)
	trips(CONF("timeout = 1\n"), "sleep 30", "longer than 1 s (build.timeout)", 4000,
	      "timeout");
	trips(CONF("output = 10000\n"), "yes flood", "more than 10000 bytes of output", 4000,
	      "output");
	trips(CONF("cpu_seconds = 1\n"), "while :; do :; done", "more than 1 s of CPU time", 20000,
	      "cpu");
	/* caught by the watch (a bomb that keeps trying), or by the kernel and
	 * then named (dash gives up at the first failed fork): which one comes
	 * first is a race, and both messages name the limit */
	trips(CONF("processes = 8\n"),
	      "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done; wait",
	      "8 processes and threads", 4500, "processes (dash)");
	trips(CONF("processes = 8\n"),
	      "python3 -c 'import os, time\nwhile True:\n  try: os.fork()\n  except OSError: "
	      "time.sleep(0.05)'",
	      "limit of 8 processes and threads at once (build.processes)", 4500,
	      "processes (bomb)");
	trips(CONF("disk = 1M\n"), "dd if=/dev/zero of=big bs=1M count=4 2>/dev/null",
	      "more than 1 MB to its folder (build.disk)", 5000, "disk");
	trips(CONF("file_size = 1M\n"), "dd if=/dev/zero of=big bs=1M count=3", "build.file_size",
	      5000, "file size");
	trips(CONF("memory = 64M\n"), "python3 -c 'x = bytearray(200 << 20)'", "build.memory", 5000,
	      "memory");
#undef CONF
}

/* bwrap only: what the tools must not see or reach. */
static void confinement(void)
{
	struct sandbox_conf sc;
	struct sandbox sb;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf out = STRBUF_INIT;
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	char *secret = xasprintf("%s/secret", top), *outside = xasprintf("%s/outside", top);
	char *fake = xasprintf("%s/fake-bwrap", top);
	const char *fake_bwrap =
	    "#!/bin/sh\necho 'bwrap: No permissions to create a new namespace' "
	    ">&2\nexit 1\n";
	char *script;
	int lfd, cfd;

	fresh_dir();
	fs_write_file_atomic(secret, "top secret\n", 11, 0600, NULL);
	if (!ok(open_with(&sb, &sc, "[build]\nsandbox = bwrap\n") == 0, "bwrap: the sandbox opens"))
		goto out;
	script = xasprintf("cat %s; echo x > %s; echo $?", secret, outside);
	sh(&sb, script, &out, &err);
	free(script);
	ok(!strstr(out.buf, "top secret"), "bwrap: a host file outside the folder is not there");
	ok(!fs_exists(outside), "bwrap: nothing is written outside the folder");
	{
		char *end = NULL;
		long pid = -1, n = -1;

		if (sh(&sb, "echo $$; ls /proc | grep -c '^[0-9]'", &out, &err) == 0) {
			pid = strtol(out.buf, &end, 10);
			n = strtol(end, NULL, 10);
		}
		ok(pid > 0 && pid < 10 && n > 0 && n < 10,
		   "bwrap: a pid namespace of its own (pid %ld, %ld processes)", pid, n);
	}
	ok(sh(&sb, "touch /usr/unik-test", &out, &err) < 0, "bwrap: the toolchain is read-only");
	{
		char *w = xasprintf("%s/w", dir), *w2 = xasprintf("%s/w/../..", dir);
		const char *rw[] = { w, NULL }, *outside[] = { top, NULL },
			   *dotdot[] = { w2, NULL };
		const char *mk[] = { "sh", "-c", "touch w/in && ! touch not-in 2>/dev/null", NULL };
		struct run_opts o = { dir, NULL, collect, &out, &sb, rw };

		mkdir(w, 0700);
		ok(run_command(mk, &o, &err) == 0, "bwrap: only the folders named writable are");
		o.writable = outside;
		ok(run_command(mk, &o, &err) < 0 && strstr(err.msg, "not a folder inside"),
		   "bwrap: a writable folder outside the build folder is refused");
		o.writable = dotdot;
		ok(run_command(mk, &o, &err) < 0 && strstr(err.msg, "not a folder inside"),
		   "bwrap: and so is one that leads out of it");
		free(w);
		free(w2);
	}
	/* a listener here; the sandbox has a network of its own */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
	listen(lfd, 4);
	getsockname(lfd, (struct sockaddr *)&sa, &len);
	script = xasprintf("python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", "
			   "%d), timeout=3)'",
			   ntohs(sa.sin_port));
	ok(sh(&sb, script, &out, &err) < 0, "bwrap: connecting to a host listener fails");
	free(script);
	cfd = accept(lfd, NULL, NULL);
	ok(cfd < 0 && errno == EAGAIN, "bwrap: the listener saw no connection");
	if (cfd >= 0)
		close(cfd);
	close(lfd);
	close_all(&sb, &sc);
	{
		struct unik_config cfg;

		unik_config_init(&cfg);
		unik_config_set(&cfg, "build.bwrap", "/nonexistent/bwrap");
		sandbox_conf_load(&sc, &cfg, &err);
		fresh_dir();
		sandbox_open(&sb, &sc, dir, &err);
		ok(sh(&sb, "true", &out, &err) < 0 && err.code == UNIK_E_UNAVAILABLE &&
		       strstr(err.msg, "bubblewrap, which is not installed"),
		   "bwrap: without bwrap, a clear error");
		close_all(&sb, &sc);
		/* a bwrap that cannot make its namespaces, as without user namespaces */
		fs_write_file_atomic(fake, fake_bwrap, strlen(fake_bwrap), 0755, NULL);
		unik_config_set(&cfg, "build.bwrap", fake);
		sandbox_conf_load(&sc, &cfg, &err);
		ok(sandbox_probe(&sc, &err) < 0 && strstr(err.msg, "cannot start here: bwrap: No "
								   "permissions to create"),
		   "bwrap: the start-up probe names why the sandbox cannot start");
		sandbox_open(&sb, &sc, dir, &err);
		ok(sh(&sb, "true", &out, &err) < 0 && err.code == UNIK_E_UNAVAILABLE &&
		       strstr(err.msg,
			      "the build sandbox (bubblewrap) cannot start here: bwrap: No "
			      "permissions"),
		   "bwrap: and so does a build");
		close_all(&sb, &sc);
		unik_config_release(&cfg);
	}
out:
	unlink(secret);
	free(secret);
	free(fake);
	free(outside);
	strbuf_release(&out);
}

int main(void)
{
	struct sandbox_conf sc;
	struct unik_config cfg;
	struct unik_err err = UNIK_ERR_INIT;
	char tmpl[] = "/tmp/unik-t-sandbox.XXXXXX";
	int bwrap_ok;

	top = mkdtemp(tmpl);
	if (!top || chmod(top, 0711) < 0)
		return printf("Bail out! no temporary folder\n"), 1;
	dir = xasprintf("%s/build", top);
	unik_config_init(&cfg);
	unik_config_set(&cfg, "build.sandbox", "bwrap");
	ok(sandbox_conf_load(&sc, &cfg, &err) == 0, "the default configuration loads");
	sandbox_conf_release(&sc);
	unik_config_set(&cfg, "build.memory", "12X");
	ok(sandbox_conf_load(&sc, &cfg, &err) < 0 && strstr(err.msg, "build.memory"),
	   "a bad limit is refused, naming its key");
	unik_config_release(&cfg);
	unik_config_init(&cfg);
	sandbox_conf_load(&sc, &cfg, &err);
	bwrap_ok = sandbox_probe(&sc, &err) == 0;
	if (!bwrap_ok)
		printf("# bwrap cannot run here (%s): its cases are skipped\n", err.msg);
	sandbox_conf_release(&sc);
	unik_config_release(&cfg);

	walk_deep();
	basics("none");
	cancels("none");
	limits("none");
	if (bwrap_ok) {
		basics("bwrap");
		cancels("bwrap");
		limits("bwrap");
		confinement();
	}
	rm_at(AT_FDCWD, top);
	free(dir);
	return tap_done();
}
