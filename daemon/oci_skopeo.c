/* oci_skopeo.c - registry transfers through skopeo (see oci_skopeo.h). */
#include "oci_skopeo.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/strbuf.h"
#include "../lib/strv.h"
#include "../lib/xalloc.h"
#include "jobs.h"

#define KEEP_OUTPUT 4096 /* the last bytes of skopeo's output kept for an error */

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void oci_transfer_release(struct oci_transfer *t)
{
	oci_ref_release(&t->ref);
	free(t->username);
	wipe_free(t->password);
	free(t->ca_cert);
	free(t->daemon_ca);
	memset(t, 0, sizeof(*t));
}

/* auth.json for skopeo: this registry's credentials, or none at all (so it
 * never reads the daemon user's own). */
static int write_auth(const char *path, const struct oci_transfer *t, struct unik_err *err)
{
	json_t *auths = json_object(), *doc;
	char *text;
	int rc;

	if (t->username && t->password) {
		char *plain = xasprintf("%s:%s", t->username, t->password);
		size_t len = strlen(plain);
		unsigned char *b64 = xmalloc(4 * ((len + 2) / 3) + 1);

		EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)len);
		json_object_set_new(auths, t->ref.registry,
				    json_pack("{ss}", "auth", (const char *)b64));
		explicit_bzero(b64, strlen((char *)b64));
		free(b64);
		wipe_free(plain);
	}
	doc = json_pack("{so}", "auths", auths);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	rc = fs_write_file_atomic(path, text, strlen(text), 0600, err);
	wipe_free(text);
	return rc;
}

/* Reads the child's output: complete lines to the job's log, the tail kept. */
/* Reads the child's output until it closes it or `deadline` (monotonic
 * seconds) passes: complete lines to the job's log, the tail kept.
 * Returns 1 when the deadline passed. */
static int follow_output(struct job_ctx *jc, int fd, double deadline, struct strbuf *tail)
{
	struct strbuf line = STRBUF_INIT;
	char buf[4096];
	ssize_t n = 0;
	int late = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct timespec now;
		double left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = deadline - ((double)now.tv_sec + (double)now.tv_nsec / 1e9);
		if (left <= 0) {
			late = 1;
			break;
		}
		if (poll(&p, 1, left > 3600 ? 3600000 : (int)(left * 1000) + 1) <= 0)
			continue; /* EINTR or the time: the deadline decides */
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (line.len < 4096)
					strbuf_add(&line, &buf[i], 1);
				continue;
			}
			if (jc)
				jobs_log(jc, strbuf_str(&line));
			if (tail->len > KEEP_OUTPUT)
				strbuf_reset(tail);
			strbuf_adds(tail, strbuf_str(&line));
			strbuf_adds(tail, "\n");
			strbuf_reset(&line);
		}
	}
	if (line.len) {
		if (jc)
			jobs_log(jc, strbuf_str(&line));
		strbuf_adds(tail, strbuf_str(&line));
	}
	strbuf_release(&line);
	return late;
}

/* Runs skopeo with `argv` in `work`, `input` (may be NULL) on its stdin;
 * its lines go to the job `jc`'s log (jc may be NULL). */
static int run_skopeo(struct job_ctx *jc, const char *work, char *const *argv, int timeout_s,
		      const char *input, struct unik_err *err)
{
	struct timespec start;
	int late, in[2] = { -1, -1 };
	struct strbuf tail = STRBUF_INIT;
	char *home = xasprintf("HOME=%s", work), *tmp = xasprintf("TMPDIR=%s", work);
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", home, tmp, NULL };
	int pfd[2], status = 0, rc = -1;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0 || (input && pipe2(in, O_CLOEXEC) < 0)) {
		unik_err_set(err, UNIK_E_INTERNAL, "pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		if (input) {
			close(in[0]);
			close(in[1]);
		}
		unik_err_set(err, UNIK_E_INTERNAL, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* it ends with the job's thread (a daemon killed with -9 too) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (input)
			dup2(in[0], 0);
		else if (null >= 0)
			dup2(null, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (chdir(work) < 0)
			_exit(126);
		execve("/usr/bin/skopeo", argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	if (input) {
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);

		close(in[0]);
		if (write(in[1], input, strlen(input)) < 0)
			(void)0; /* skopeo's own error says what went wrong */
		close(in[1]);
		signal(SIGPIPE, old);
	}
	if (jc)
		jobs_set_pid(jc, pid);
	clock_gettime(CLOCK_MONOTONIC, &start);
	late = follow_output(jc, pfd[0],
			     (double)start.tv_sec + (double)start.tv_nsec / 1e9 + timeout_s, &tail);
	if (late)
		kill(pid, SIGKILL);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (jc)
		jobs_set_pid(jc, 0);
	if (late) {
		unik_err_set(err, UNIK_E_UNAVAILABLE,
			     "skopeo took more than %d s (registry.timeout): stopped", timeout_s);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rc = 0;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		unik_err_set(err, UNIK_E_UNAVAILABLE,
			     "skopeo is not installed (/usr/bin/skopeo; scripts/install-deps)");
	} else {
		const char *out = strbuf_str(&tail);
		const char *msg = strstr(out, "level=fatal msg=");
		int denied = strstr(out, "unauthorized") || strstr(out, "401 Unauthorized") ||
			     strstr(out, "authentication required") ||
			     strstr(out, "invalid username/password");
		size_t len;

		if (msg)
			out = msg + strlen("level=fatal msg=");
		if (*out == '"')
			out++;
		len = strlen(out);
		while (len && (out[len - 1] == '\n' || out[len - 1] == '"' || out[len - 1] == ' '))
			len--;
		unik_err_set(err, denied ? UNIK_E_UNAUTHORIZED : UNIK_E_INTERNAL,
			     "%sskopeo failed (%s %d): %.*s",
			     denied ? "the registry refused the credentials (401): " : "",
			     WIFEXITED(status) ? "status" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), (int)len,
			     out);
	}
out:
	strbuf_release(&tail);
	free(home);
	free(tmp);
	return rc;
}

/* --PREFIXcert-dir with the request's and the daemon's CA, when there are any. */
static int add_certs(struct strv *argv, const char *work, const struct oci_transfer *t,
		     const char *prefix, struct unik_err *err)
{
	char *certs, *ca, *dca;
	int bad;

	if (!t->ca_cert && !t->daemon_ca)
		return 0;
	certs = xasprintf("%s/certs", work);
	ca = xasprintf("%s/ca.crt", certs);
	dca = xasprintf("%s/daemon-ca.crt", certs);
	bad = fs_mkdir_p(certs, 0700, err) ||
	      (t->ca_cert && fs_write_file_atomic(ca, t->ca_cert, strlen(t->ca_cert), 0600, err)) ||
	      (t->daemon_ca && fs_copy_file(t->daemon_ca, dca, 0600, err));
	if (bad)
		unik_err_prefix(err, "the registry's CA certificates");
	else
		strv_push_owned(argv, xasprintf("--%scert-dir=%s", prefix, certs));
	free(certs);
	free(ca);
	free(dca);
	return bad ? -1 : 0;
}

int oci_skopeo_login(const char *work, const struct oci_transfer *t, struct unik_err *err)
{
	char *auth = xasprintf("%s/auth.json", work), *input;
	struct strv argv = STRV_INIT;
	int rc = -1;

	if (!t->username || !t->password)
		return unik_err_set(err, UNIK_E_INVALID, "a login needs a username and a password");
	strv_push(&argv, "skopeo");
	strv_push(&argv, "login");
	strv_push_owned(&argv, xasprintf("--authfile=%s", auth));
	if (t->insecure)
		strv_push(&argv, "--tls-verify=false");
	if (add_certs(&argv, work, t, "", err))
		goto out;
	strv_push_owned(&argv, xasprintf("--username=%s", t->username));
	strv_push(&argv, "--password-stdin");
	strv_push(&argv, t->ref.registry);
	input = xasprintf("%s\n", t->password);
	rc = run_skopeo(NULL, work, argv.v, t->timeout_s > 0 ? t->timeout_s : OCI_LOGIN_TIMEOUT,
			input, err);
	wipe_free(input);
out:
	unlink(auth);
	strv_release(&argv);
	free(auth);
	return rc;
}

int oci_skopeo_copy(struct job_ctx *jc, const char *work, const char *layout,
		    const struct oci_transfer *t, int push, struct unik_err *err)
{
	char *auth = xasprintf("%s/auth.json", work);
	char *oci = xasprintf("oci:%s:%s", layout, t->ref.tag);
	/* by digest when there is one (a push to a tag it names too: the
	 * digest was checked against the layout's) */
	int by_digest = t->ref.digest && !(push && t->ref.tagged);
	char *docker = xasprintf("docker://%s/%s%s%s", t->ref.registry, t->ref.repo,
				 by_digest ? "@" : ":", by_digest ? t->ref.digest : t->ref.tag);
	struct strv argv = STRV_INIT;
	int rc = -1;

	if (write_auth(auth, t, err))
		goto out;
	strv_push(&argv, "skopeo");
	strv_push(&argv, "--insecure-policy");
	strv_push(&argv, "copy");
	strv_push(&argv, "--all");
	strv_push(&argv, "--preserve-digests");
	strv_push(&argv, "--retry-times");
	strv_push(&argv, "3");
	strv_push_owned(&argv, xasprintf("--%s-authfile=%s", push ? "dest" : "src", auth));
	if (t->insecure)
		strv_push_owned(&argv, xasprintf("--%s-tls-verify=false", push ? "dest" : "src"));
	if (add_certs(&argv, work, t, push ? "dest-" : "src-", err))
		goto out;
	strv_push(&argv, push ? oci : docker);
	strv_push(&argv, push ? docker : oci);
	jobs_step(jc, "%s %s", push ? "pushing to" : "pulling from", docker + 9);
	rc = run_skopeo(jc, work, argv.v, t->timeout_s > 0 ? t->timeout_s : OCI_TIMEOUT_DEFAULT,
			NULL, err);
out:
	unlink(auth);
	strv_release(&argv);
	free(auth);
	free(oci);
	free(docker);
	return rc;
}
