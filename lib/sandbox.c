/* sandbox.c - the build sandbox's configuration, lifetime and stop switch
 * (see sandbox.h); running commands is sandbox_exec.c, watching them
 * sandbox_watch.c. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "run.h"
#include "sandbox_int.h"
#include "xalloc.h"

#define DEFAULT_USER "unik-build"
#define NOBODY_ID 65534

enum key_kind { KEY_BYTES, KEY_COUNT };

/* The [build] limits, their defaults and docs/config.md's words for them. */
static const struct {
	const char *key;
	const char *def;
	enum key_kind kind;
	size_t off;
} limit_keys[] = {
	{ "build.cpu_seconds", "900", KEY_COUNT, offsetof(struct sandbox_limits, cpu_seconds) },
	{ "build.memory", "2G", KEY_BYTES, offsetof(struct sandbox_limits, memory) },
	{ "build.processes", "256", KEY_COUNT, offsetof(struct sandbox_limits, processes) },
	{ "build.output", "8M", KEY_BYTES, offsetof(struct sandbox_limits, output) },
	{ "build.file_size", "512M", KEY_BYTES, offsetof(struct sandbox_limits, file_size) },
	{ "build.disk", "2G", KEY_BYTES, offsetof(struct sandbox_limits, disk) },
	{ "build.tmp_size", "512M", KEY_BYTES, offsetof(struct sandbox_limits, tmp_size) },
	{ "build.timeout", "1800", KEY_COUNT, offsetof(struct sandbox_limits, timeout) },
};

int64_t sandbox_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "512M" -> bytes (K, M, G, T; an optional B); a plain count for KEY_COUNT. */
static int parse_value(const char *s, enum key_kind kind, long long *out)
{
	static const char units[] = "KMGT";
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0)
		return -1;
	if (kind == KEY_BYTES && *end) {
		const char *u = strchr(units, *end & ~0x20);

		if (u) {
			int shift = 10 * (int)(u - units + 1);

			if (v > LLONG_MAX >> shift)
				return -1;
			v <<= shift;
			end++;
		}
		if (*end == 'B' || *end == 'b')
			end++;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* The unprivileged user builds run as when unikd is root. */
static int resolve_user(struct sandbox_conf *sc, const struct unik_config *cfg,
			struct unik_err *err)
{
	const char *name = unik_config_get(cfg, "build.user", NULL);
	struct passwd *pw = getpwnam(name ? name : DEFAULT_USER);

	if (!pw && name)
		return unik_err_set(err, UNIK_E_INVALID, "build.user: there is no user '%s'", name);
	if (!pw) {
		pw = getpwnam("nobody");
		sc->note = xstrdup("the user " DEFAULT_USER " does not exist (scripts/install-deps "
				   "creates it): builds run as nobody");
	}
	if (pw && pw->pw_uid == 0)
		return unik_err_set(err, UNIK_E_INVALID,
				    "build.user: builds must not run as root ('%s' is uid 0)",
				    pw->pw_name);
	sc->uid = pw ? pw->pw_uid : NOBODY_ID;
	sc->gid = pw ? pw->pw_gid : NOBODY_ID;
	sc->user = xstrdup(pw ? pw->pw_name : "nobody");
	sc->drop = 1;
	return 0;
}

int sandbox_conf_load(struct sandbox_conf *sc, const struct unik_config *cfg, struct unik_err *err)
{
	const char *mode = unik_config_get(cfg, "build.sandbox", "bwrap");
	const char *bwrap = unik_config_get(cfg, "build.bwrap", "bwrap");

	memset(sc, 0, sizeof(*sc));
	if (!strcmp(mode, "bwrap"))
		sc->mode = SANDBOX_BWRAP;
	else if (!strcmp(mode, "none"))
		sc->mode = SANDBOX_NONE;
	else
		return unik_err_set(err, UNIK_E_INVALID,
				    "build.sandbox: '%s' is neither 'bwrap' nor 'none'", mode);
	for (size_t i = 0; i < sizeof(limit_keys) / sizeof(limit_keys[0]); i++) {
		const char *v = unik_config_get(cfg, limit_keys[i].key, limit_keys[i].def);
		long long *dst = (long long *)((char *)&sc->lim + limit_keys[i].off);

		if (parse_value(v, limit_keys[i].kind, dst) < 0) {
			sandbox_conf_release(sc);
			return unik_err_set(
			    err, UNIK_E_INVALID, "%s: bad value '%s' (%s)", limit_keys[i].key, v,
			    limit_keys[i].kind == KEY_BYTES ? "a size above 0, such as 512M or 2G"
							    : "a whole number above 0");
		}
	}
	if (sc->mode == SANDBOX_BWRAP)
		sc->bwrap = run_which(bwrap);
	if (geteuid() == 0) {
		if (resolve_user(sc, cfg, err) < 0) {
			sandbox_conf_release(sc);
			return -1;
		}
	} else {
		struct passwd *pw = getpwuid(getuid());

		sc->uid = getuid();
		sc->gid = getgid();
		sc->user = pw ? xstrdup(pw->pw_name) : xasprintf("uid %d", (int)sc->uid);
	}
	return 0;
}

void sandbox_conf_release(struct sandbox_conf *sc)
{
	free(sc->bwrap);
	free(sc->user);
	free(sc->note);
	memset(sc, 0, sizeof(*sc));
}

void sandbox_format_size(long long bytes, char *buf, size_t size)
{
	if (bytes >= 1 << 20 && bytes % (1 << 20) == 0)
		snprintf(buf, size, "%lld MB", bytes >> 20);
	else if (bytes >= 1 << 10 && bytes % (1 << 10) == 0)
		snprintf(buf, size, "%lld KB", bytes >> 10);
	else
		snprintf(buf, size, "%lld bytes", bytes);
}

void sandbox_conf_describe(const struct sandbox_conf *sc, struct strbuf *out)
{
	const struct sandbox_limits *l = &sc->lim;
	char mem[32], outp[32], fsz[32], disk[32], tmp[32];

	sandbox_format_size(l->memory, mem, sizeof(mem));
	sandbox_format_size(l->output, outp, sizeof(outp));
	sandbox_format_size(l->file_size, fsz, sizeof(fsz));
	sandbox_format_size(l->disk, disk, sizeof(disk));
	sandbox_format_size(l->tmp_size, tmp, sizeof(tmp));
	if (sc->mode == SANDBOX_BWRAP)
		strbuf_addf(out, "builds run sandboxed (bubblewrap %s) as %s (uid %d)",
			    sc->bwrap ? sc->bwrap : "NOT INSTALLED", sc->user, (int)sc->uid);
	else
		strbuf_addf(out, "builds run UNSANDBOXED (build.sandbox = none) as %s (uid %d)",
			    sc->user, (int)sc->uid);
	strbuf_addf(out,
		    "; limits: %lld s CPU, %lld s wall, %s per process, %lld processes, "
		    "%s of output, %s per file, %s of disk, %s of /tmp",
		    l->cpu_seconds, l->timeout, mem, l->processes, outp, fsz, disk, tmp);
}

/* A sandbox without a build folder (for the probe). */
static void sandbox_init(struct sandbox *sb, const struct sandbox_conf *sc)
{
	memset(sb, 0, sizeof(*sb));
	sb->conf = sc;
	sb->cancel_rd = sb->cancel_wr = -1;
	sb->deadline_ms = sandbox_now_ms() + sc->lim.timeout * 1000;
}

static int open_cancel_pipe(struct sandbox *sb, struct unik_err *err)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot create a pipe: %s",
				    strerror(errno));
	sb->cancel_rd = p[0];
	sb->cancel_wr = p[1];
	return 0;
}

static void discard(void *ctx, const char *data, size_t len)
{
	struct strbuf *sb = ctx;

	if (sb->len < 4096)
		strbuf_add(sb, data, len);
}

int sandbox_probe(const struct sandbox_conf *sc, struct unik_err *err)
{
	static const char *const argv[] = { "true", NULL };
	struct strbuf out = STRBUF_INIT;
	struct sandbox sb;
	int status = 0, rc = -1;

	sandbox_init(&sb, sc);
	if (open_cancel_pipe(&sb, err) == 0 &&
	    sandbox_exec(&sb, argv, NULL, NULL, NULL, discard, &out, &status, err) == 0) {
		rc = status == 0
			 ? 0
			 : unik_err_set(err, UNIK_E_UNAVAILABLE,
					"the build sandbox cannot run 'true' (status %d): %s",
					status, strbuf_str(&out));
	}
	sandbox_close(&sb);
	strbuf_release(&out);
	return rc;
}

/* 1 when `uid`/`gid` (no other groups) may search the folder `st`. */
static int can_search(const struct stat *st, uid_t uid, gid_t gid)
{
	if (st->st_uid == uid)
		return !!(st->st_mode & S_IXUSR);
	if (st->st_gid == gid)
		return !!(st->st_mode & S_IXGRP);
	return !!(st->st_mode & S_IXOTH);
}

/* The build user must be able to walk down to the folder to bind it. */
static int check_reachable(const struct sandbox *sb, struct unik_err *err)
{
	char *p = xstrdup(sb->dir);
	int rc = 0;

	for (char *s = p + 1; *s && rc == 0; s++) {
		struct stat st;

		if (*s != '/')
			continue;
		*s = '\0';
		if (stat(p, &st) == 0 && !can_search(&st, sb->conf->uid, sb->conf->gid))
			rc = unik_err_set(err, UNIK_E_UNAVAILABLE,
					  "the build user %s cannot reach the build folder %s: %s "
					  "(mode %04o) is not searchable by it (every folder above "
					  "the state dir must be: chmod o+x %s)",
					  sb->conf->user, sb->dir, p,
					  (unsigned)(st.st_mode & 07777), p);
		*s = '/';
	}
	free(p);
	return rc;
}

int sandbox_open(struct sandbox *sb, const struct sandbox_conf *sc, const char *dir,
		 struct unik_err *err)
{
	const struct sandbox_conf *c = sc;
	int fd = -1, rc = -1;

	sandbox_init(sb, sc);
	if (c->mode == SANDBOX_BWRAP && !c->bwrap)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, SANDBOX_NO_BWRAP);
	sb->dir = realpath(dir, NULL);
	if (!sb->dir)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot resolve %s: %s", dir,
				    strerror(errno));
	if (open_cancel_pipe(sb, err) < 0)
		goto out;
	if (c->drop && check_reachable(sb, err) < 0)
		goto out;
	fd = open(sb->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot open %s: %s", sb->dir, strerror(errno));
		goto out;
	}
	if (sandbox_tree_usage(fd, c->drop ? (long long)c->uid : -1,
			       c->drop ? (long long)c->gid : -1, &sb->disk_base, err) < 0) {
		unik_err_prefix(err, "cannot prepare the build folder %s", sb->dir);
		goto out;
	}
	if (c->drop && (fchown(fd, c->uid, c->gid) < 0 || fchmod(fd, 0700) < 0)) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot hand %s to the build user %s: %s",
			     sb->dir, c->user, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		sandbox_close(sb);
	return rc;
}

void sandbox_close(struct sandbox *sb)
{
	if (sb->cancel_rd >= 0)
		close(sb->cancel_rd);
	if (sb->cancel_wr >= 0)
		close(sb->cancel_wr);
	free(sb->dir);
	strv_release(&sb->ro);
	sb->dir = NULL;
	sb->cancel_rd = sb->cancel_wr = -1;
}

void sandbox_allow_read(struct sandbox *sb, const char *path)
{
	char *real = realpath(path, NULL);

	if (real && strv_find(&sb->ro, real) < 0)
		strv_push(&sb->ro, real);
	free(real);
}

/* Sets the stop reason unless one is set; wakes a running command. */
static void stop(struct sandbox *sb, int why)
{
	int running = SANDBOX_RUNNING;

	__atomic_compare_exchange_n(&sb->stop, &running, why, 0, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	if (sb->cancel_wr >= 0 && write(sb->cancel_wr, "x", 1) < 0) {
		/* full (already woken) */
	}
}

void sandbox_cancel(struct sandbox *sb, enum sandbox_stop why)
{
	stop(sb, why);
}

void sandbox_trip(struct sandbox *sb, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_load_n(&sb->stop, __ATOMIC_SEQ_CST) != SANDBOX_RUNNING)
		return;
	va_start(ap, fmt);
	vsnprintf(sb->why, sizeof(sb->why), fmt, ap);
	va_end(ap);
	stop(sb, SANDBOX_LIMIT);
}

int sandbox_check(struct sandbox *sb, struct unik_err *err)
{
	if (__atomic_load_n(&sb->stop, __ATOMIC_SEQ_CST) == SANDBOX_RUNNING &&
	    sandbox_now_ms() >= sb->deadline_ms)
		sandbox_trip(sb, "the build ran longer than %lld s (build.timeout)",
			     sb->conf->lim.timeout);
	switch (__atomic_load_n(&sb->stop, __ATOMIC_SEQ_CST)) {
	case SANDBOX_RUNNING: return 0;
	case SANDBOX_CANCELLED:
		return unik_err_set(err, UNIK_E_CONFLICT, "the build was cancelled");
	case SANDBOX_SHUTDOWN:
		return unik_err_set(
		    err, UNIK_E_UNAVAILABLE,
		    "the build was stopped: the daemon is shutting down; build again");
	default: return unik_err_set(err, UNIK_E_INVALID, "%s", sb->why);
	}
}

void sandbox_note_line(struct sandbox *sb, const char *line)
{
	static const char *const oom[] = { "out of memory",    "Cannot allocate memory",
					   "memory exhausted", "bad_alloc",
					   "MemoryError",      NULL };
	static const char *const fsize[] = { "File size limit exceeded", "File too large", NULL };
	static const char *const nproc[] = { "Cannot fork", "fork: retry",
					     "Resource temporarily unavailable", NULL };

	for (size_t i = 0; oom[i] && !sb->saw_oom; i++)
		sb->saw_oom = strstr(line, oom[i]) != NULL;
	for (size_t i = 0; fsize[i] && !sb->saw_fsize; i++)
		sb->saw_fsize = strstr(line, fsize[i]) != NULL;
	for (size_t i = 0; nproc[i] && !sb->saw_nproc; i++)
		sb->saw_nproc = strstr(line, nproc[i]) != NULL;
}

void sandbox_note_signal(struct sandbox *sb, int sig)
{
	if (sig == SIGXFSZ)
		sb->saw_fsize = 1;
}

const char *sandbox_failure_hint(const struct sandbox *sb, char *buf, size_t size)
{
	char lim[32];

	buf[0] = '\0';
	if (sb->saw_oom) {
		sandbox_format_size(sb->conf->lim.memory, lim, sizeof(lim));
		snprintf(buf, size,
			 " (a process may have hit build.memory: %s of address space per process)",
			 lim);
	} else if (sb->saw_fsize) {
		sandbox_format_size(sb->conf->lim.file_size, lim, sizeof(lim));
		snprintf(buf, size, " (a file may have hit build.file_size: %s per file)", lim);
	} else if (sb->saw_nproc) {
		snprintf(buf, size,
			 " (the build may have hit build.processes: %lld processes and threads "
			 "at once)",
			 sb->conf->lim.processes);
	}
	return buf;
}
