/* monitor_process.c - one monitor process per instance (see
 * monitor_process.h); used by providers/hvt and providers/spt. */
#include "monitor_process.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../abi/hvt_abi.h"
#include "../../api/formats.h"
#include "../../lib/bootargs.h"
#include "../../lib/fsutil.h"
#include "../../lib/run.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "guest.h"
#include "process.h"
#include "spawn.h"

_Static_assert(MONPROC_MIN_MEMORY_MB == HVT_MEM_MIN >> 20, "the monitors' least memory");
_Static_assert(MONPROC_MAX_MEMORY_MB == HVT_MEM_MAX >> 20, "the monitors' most memory");

const char *const monproc_volume_formats[] = { "raw", NULL };

char *monproc_binary(const struct monproc *m, const struct unik_config *cfg, struct unik_err *err)
{
	char key[64], self[PATH_MAX];
	const char *conf;
	ssize_t n;
	char *path;

	snprintf(key, sizeof(key), "%s.monitor", m->name);
	conf = cfg ? unik_config_get(cfg, key, NULL) : NULL;
	if (conf) {
		if (access(conf, X_OK) == 0)
			return xstrdup(conf);
		unik_err_set(err, UNIK_E_UNAVAILABLE, "%s (config %s) is not executable", conf,
			     key);
		return NULL;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			path = xasprintf("%s/%s", self, m->binary);
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	path = run_which(m->binary);
	if (path && access(path, X_OK) == 0)
		return path;
	free(path);
	unik_err_set(err, UNIK_E_UNAVAILABLE,
		     "%s is not installed next to the daemon nor in PATH (run 'make', or set %s)",
		     m->binary, key);
	return NULL;
}

const char *monproc_user(const struct monproc *m, const struct unik_config *cfg)
{
	char key[64];
	const char *conf;

	snprintf(key, sizeof(key), "%s.user", m->name);
	conf = cfg ? unik_config_get(cfg, key, NULL) : NULL;
	if (conf && *conf)
		return strcmp(conf, "root") ? conf : NULL;
	return geteuid() == 0 ? MONPROC_USER : NULL;
}

/* The boot command line of spec (diagnosis, arguments, environment, network
 * words). */
static void boot_words(const struct unik_run_spec *spec, struct strbuf *out)
{
	static const struct strv none = STRV_INIT;

	bootargs_diag(out, spec->verbose, spec->trace);
	bootargs_append(out, spec->args ? spec->args : &none, spec->env ? spec->env : &none);
	if (spec->net && spec->net->mode == UNIK_NET_TAP)
		guest_net_words(spec->net, out);
	guest_mount_words(spec, out);
}

static int check_words(const struct monproc *m, const struct unik_run_spec *spec,
		       struct unik_err *err)
{
	struct strbuf words = STRBUF_INIT;
	size_t len;

	boot_words(spec, &words);
	len = words.len;
	strbuf_release(&words);
	if (len >= HVT_CMDLINE_MAX)
		return unik_err_set(err, UNIK_E_INVALID,
				    "arguments and environment take %zu bytes on the boot command "
				    "line; %s takes at most %lu",
				    len, m->binary, HVT_CMDLINE_MAX - 1);
	return 0;
}

/* Whether `user` exists, a name found remembered for USER_SEEN_S: a
 * burst of creates reads the user database once, not twice per create
 * (getpwnam opens and parses /etc/passwd).  A user removed meanwhile only
 * makes the monitor refuse to run, later and less clearly. */
#define USER_SEEN_S 10
static int user_exists(const char *user)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char seen[64];
	static time_t seen_at;
	struct timespec now;
	int found;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&lock);
	found = seen[0] && !strcmp(seen, user) && now.tv_sec - seen_at < USER_SEEN_S;
	if (!found && getpwnam(user)) { /* under the lock: getpwnam's result is static */
		found = 1;
		if (strlen(user) < sizeof(seen)) {
			memcpy(seen, user, strlen(user) + 1);
			seen_at = now.tv_sec;
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}

/* The monitor's user must exist, or it would refuse to run. */
static int check_user(const struct monproc *m, const struct unik_config *cfg, struct unik_err *err)
{
	const char *user = monproc_user(m, cfg);

	if (!user || user_exists(user))
		return 0;
	return unik_err_set(err, UNIK_E_UNAVAILABLE,
			    "%s would run as user '%s', which does not exist: create it "
			    "(scripts/install-deps does: useradd --system --user-group --groups "
			    "kvm --shell /usr/sbin/nologin %s) or set %s.user = root",
			    m->binary, user, user, m->name);
}

int monproc_check(const struct monproc *m, const struct unik_run_spec *spec, struct unik_err *err)
{
	size_t nargs = spec->args ? spec->args->n : 0, nenv = spec->env ? spec->env->n : 0;

	if (nargs > MONPROC_MAX_ARGS)
		return unik_err_set(err, UNIK_E_INVALID,
				    "%zu arguments: images on %s take at most %d", nargs, m->name,
				    MONPROC_MAX_ARGS);
	if (nenv > MONPROC_MAX_ENV)
		return unik_err_set(err, UNIK_E_INVALID,
				    "%zu environment entries: images on %s take at most %d", nenv,
				    m->name, MONPROC_MAX_ENV);
	if (check_words(m, spec, err))
		return -1;
	return check_user(m, spec->cfg, err);
}

/* The monitor's --block options: the volumes' disks in disk order. */
static int push_blocks(const struct monproc *m, const struct unik_run_spec *spec, struct strv *argv,
		       struct unik_err *err)
{
	for (size_t i = 0; spec->volumes && i < spec->n_volumes; i++) {
		const struct unik_volume_spec *v = &spec->volumes[i];

		if (!v->format || strcmp(v->format, "raw"))
			return unik_err_set(err, UNIK_E_INVALID,
					    "%s attaches raw disks only, not the %s disk of volume "
					    "%s",
					    m->binary, v->format ? v->format : "?", v->name);
		strv_push(argv, "--block");
		strv_push_owned(argv, xasprintf("%s%s", v->disk, v->read_only ? ":ro" : ""));
	}
	return 0;
}

int monproc_start(const struct monproc *m, const struct unik_run_spec *spec, struct unik_vm *vm,
		  struct unik_err *err)
{
	struct strbuf cmdline = STRBUF_INIT;
	struct strv argv = STRV_INIT;
	struct spawn_opts so;
	char *bin = NULL, *status_path, mem[16];
	const char *user = monproc_user(m, spec->cfg);
	int rc = -1;
	pid_t pid;

	if (!spec->format || strcmp(spec->format, UNIK_FORMAT_UNIK_ELF))
		return unik_err_set(err, UNIK_E_INVALID,
				    "provider %s cannot boot images of format %s (only unik-elf)",
				    m->name, spec->format ? spec->format : "(none)");
	if (monproc_check(m, spec, err))
		return -1;
	bin = monproc_binary(m, spec->cfg, err);
	if (!bin)
		return -1;
	status_path = xasprintf("%s/%s", spec->dir, MONPROC_STATUS_FILE);
	unlink(status_path);
	boot_words(spec, &cmdline);
	snprintf(mem, sizeof(mem), "%d",
		 spec->memory_mb < MONPROC_MIN_MEMORY_MB ? MONPROC_MIN_MEMORY_MB : spec->memory_mb);
	strv_push(&argv, bin);
	/* first, so the monitor reports a refusal of any later option there */
	strv_push(&argv, "--status-file");
	strv_push(&argv, status_path); /* names spec->dir: the daemon re-adopts by it */
	strv_push(&argv, "--mem");
	strv_push(&argv, mem);
	if (user) {
		strv_push(&argv, "--user");
		strv_push(&argv, user);
	}
	if (spec->net && spec->net->mode == UNIK_NET_TAP) {
		strv_push(&argv, "--net-tap");
		strv_push(&argv, spec->net->tap);
		strv_push(&argv, "--net-mac");
		strv_push(&argv, spec->net->mac);
	}
	if (push_blocks(m, spec, &argv, err))
		goto cleanup;
	if (spec->stdin_fd > 0)
		strv_push(&argv, "--stdin"); /* console input: the pipe, our stdin */
	strv_push(&argv, spec->kernel);
	strv_push(&argv, "--");
	strv_push(&argv, strbuf_str(&cmdline));
	so = (struct spawn_opts){ .argv = argv.v,
				  .out_path = spec->log_path,
				  .err_path = spec->err_path,
				  .out_append = 1,
				  .in_fd = spec->stdin_fd };
	if (provider_spawn(spec, &so, &pid, err))
		goto cleanup;
	vm->pid = pid;
	snprintf(vm->accel_used, sizeof(vm->accel_used), "%s", m->accel);
	vm->note[0] = 0;
	rc = 0;
cleanup:
	strv_release(&argv);
	strbuf_release(&cmdline);
	free(status_path);
	free(bin);
	return rc;
}

int monproc_stop(const struct monproc *m, const struct unik_run_spec *spec, pid_t pid,
		 int timeout_s, struct unik_err *err)
{
	int pidfd = proc_pidfd(pid), gone;

	if (pidfd < 0) {
		if (errno == ESRCH)
			return 0; /* already gone */
		return unik_err_set(err, UNIK_E_INTERNAL, "instance %s: pidfd of %d: %s",
				    spec->name, (int)pid, strerror(errno));
	}
	/* The monitor hands SIGTERM to the guest as a stop request: the unik
	 * runtime raises SIGTERM in its program (a handler may run; without
	 * one it exits 143).  SIGKILL after the timeout; a timeout of 0 is a
	 * kill (unik kill), as on the other providers: no SIGTERM that a fast
	 * guest would answer first. */
	if (timeout_s > 0 && syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0) < 0 &&
	    errno != ESRCH) {
		close(pidfd);
		return unik_err_set(err, UNIK_E_INTERNAL, "instance %s: SIGTERM: %s", spec->name,
				    strerror(errno));
	}
	gone = timeout_s > 0 ? proc_wait_gone(pidfd, timeout_s * 1000) : 0;
	if (gone != 1) {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		gone = proc_wait_gone(pidfd, 5000);
	}
	close(pidfd);
	if (gone != 1)
		return unik_err_set(err, UNIK_E_INTERNAL, "instance %s: %s monitor %d did not end",
				    spec->name, m->binary, (int)pid);
	return 0;
}

/* What the monitor wrote into its status file: the guest's status (0..255)
 * in *status, or its own failure in `why` (*status = -1).  0 when the file
 * says either, -1 when it is missing or empty. */
static int read_status_file(const struct unik_run_spec *spec, int *status, char *why, size_t size)
{
	char *path = xasprintf("%s/%s", spec->dir, MONPROC_STATUS_FILE);
	struct strbuf sb = STRBUF_INIT;
	struct unik_err ignored = UNIK_ERR_INIT;
	int rc = -1;

	*status = -1;
	why[0] = 0;
	if (fs_read_file(path, &sb, &ignored) == 0 && sb.len) {
		const char *s = strbuf_str(&sb);
		char *end;
		long v;

		if (!strncmp(s, MONPROC_ERROR_KEY, strlen(MONPROC_ERROR_KEY))) {
			s += strlen(MONPROC_ERROR_KEY);
			snprintf(why, size, "%.*s", (int)strcspn(s, "\n"), s);
			rc = 0;
		} else {
			v = strtol(s, &end, 10);
			if (end != s && v >= 0 && v <= 255) {
				*status = (int)v;
				rc = 0;
			}
		}
	}
	strbuf_release(&sb);
	free(path);
	return rc;
}

/* The last line the monitor wrote about itself ("unik-hvt: ...") on its
 * stderr (the second console log, if the instance has one). */
static void monitor_reason(const struct monproc *m, const struct unik_run_spec *spec, char *out,
			   size_t size)
{
	char tail[4096], prefix[32];
	const char *best = NULL;
	int fd = open(spec->err_path ? spec->err_path : spec->log_path, O_RDONLY | O_CLOEXEC);
	off_t end;
	ssize_t n;

	out[0] = 0;
	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	n = pread(fd, tail, sizeof(tail) - 1,
		  end > (off_t)sizeof(tail) - 1 ? end - (off_t)(sizeof(tail) - 1) : 0);
	close(fd);
	if (n <= 0)
		return;
	tail[n] = 0;
	snprintf(prefix, sizeof(prefix), "%s: ", m->binary);
	for (char *p = tail; (p = strstr(p, prefix)); p += strlen(prefix))
		if (p == tail || p[-1] == '\n')
			best = p;
	if (best)
		snprintf(out, size, "%.*s", (int)strcspn(best, "\n"), best);
}

int monproc_collect(const struct monproc *m, const struct unik_run_spec *spec, int wait_status,
		    struct unik_exit *out, struct unik_err *err)
{
	char why[200], reason[200];
	int file_status, has_file = read_status_file(spec, &file_status, why, sizeof(why)) == 0;

	(void)err;
	out->exit_code = -1;
	if (wait_status != -1 && WIFSIGNALED(wait_status)) {
		int sig = WTERMSIG(wait_status);

		snprintf(out->message, sizeof(out->message), "%s (signal %d)",
			 sig == SIGTERM || sig == SIGKILL ? "stopped"
			 : sig == SIGSYS		  ? "monitor killed by its seccomp filter"
							  : "monitor killed",
			 sig);
		return 0;
	}
	if (has_file && file_status < 0) {
		/* the monitor's own failure, whatever its exit status */
		snprintf(out->message, sizeof(out->message), "failed: %s: %s", m->binary, why);
		return 0;
	}
	if (has_file) {
		out->exit_code = file_status;
		snprintf(out->message, sizeof(out->message), "exited");
		return 0;
	}
	if (wait_status == -1) {
		snprintf(out->message, sizeof(out->message),
			 "ended; exit status unknown (no %s/%s)", spec->dir, MONPROC_STATUS_FILE);
		return 0;
	}
	/* No status file: the monitor failed before it could open one. */
	monitor_reason(m, spec, reason, sizeof(reason));
	if (reason[0])
		snprintf(out->message, sizeof(out->message), "failed: %s", reason);
	else
		snprintf(out->message, sizeof(out->message),
			 "failed: %s exited with %d without an exit status", m->binary,
			 WEXITSTATUS(wait_status));
	return 0;
}
