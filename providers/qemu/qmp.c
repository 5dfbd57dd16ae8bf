/* qmp.c - just enough of the QEMU Machine Protocol to run one command.
 *
 * QMP speaks one JSON object per line: a greeting, then for each command
 * either {"return": ...} or {"error": ...}, with asynchronous {"event": ...}
 * lines in between, which we skip.
 */
#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"

struct qmp_conn {
	int fd;
	int timeout_ms;
	struct strbuf in; /* bytes received but not yet consumed */
};

/* Reads the next line into `line`; -1 on timeout, EOF or error. */
static int qmp_read_line(struct qmp_conn *c, struct strbuf *line)
{
	for (;;) {
		char *nl = c->in.len ? memchr(c->in.buf, '\n', c->in.len) : NULL;
		struct pollfd pfd = { c->fd, POLLIN, 0 };
		char buf[4096];
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - c->in.buf) + 1;

			strbuf_reset(line);
			strbuf_add(line, c->in.buf, len);
			memmove(c->in.buf, c->in.buf + len, c->in.len - len);
			c->in.len -= len;
			c->in.buf[c->in.len] = '\0';
			return 0;
		}
		if (poll(&pfd, 1, c->timeout_ms) <= 0)
			return -1;
		n = read(c->fd, buf, sizeof(buf));
		if (n <= 0)
			return -1;
		strbuf_add(&c->in, buf, (size_t)n);
	}
}

/* Sends the command `execute` and waits for its answer; skips events. */
static int qmp_call(struct qmp_conn *c, const char *execute, struct unik_err *err)
{
	struct strbuf req = STRBUF_INIT, line = STRBUF_INIT;
	int rc = -1;

	strbuf_addf(&req, "{\"execute\": \"%s\"}\n", execute);
	if (send(c->fd, req.buf, req.len, MSG_NOSIGNAL) != (ssize_t)req.len) {
		unik_err_set(err, UNIK_E_INTERNAL, "qmp: cannot send %s: %s", execute,
			     strerror(errno));
		goto cleanup;
	}
	for (;;) {
		if (qmp_read_line(c, &line) < 0) {
			unik_err_set(err, UNIK_E_INTERNAL, "qmp: no answer to %s", execute);
			goto cleanup;
		}
		if (strstr(line.buf, "\"return\"")) {
			rc = 0;
			goto cleanup;
		}
		if (strstr(line.buf, "\"error\"")) {
			line.buf[strcspn(line.buf, "\r\n")] = '\0';
			unik_err_set(err, UNIK_E_INTERNAL, "qmp: %s failed: %.300s", execute,
				     line.buf);
			goto cleanup;
		}
	}
cleanup:
	strbuf_release(&req);
	strbuf_release(&line);
	return rc;
}

int qmp_execute(const char *path, const char *execute, int timeout_ms, struct unik_err *err)
{
	struct qmp_conn c = { -1, timeout_ms, STRBUF_INIT };
	struct sockaddr_un sa;
	struct strbuf greeting = STRBUF_INIT;
	int rc = -1, dirfd = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) < sizeof(sa.sun_path)) {
		memcpy(sa.sun_path, path, strlen(path) + 1);
	} else {
		/* too long for sun_path: reach it through a descriptor of its folder */
		const char *base = strrchr(path, '/');
		char *dir = base ? xstrndup(path, (size_t)(base - path)) : xstrdup(".");

		dirfd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		free(dir);
		if (dirfd < 0) {
			unik_err_set(err, UNIK_E_INTERNAL, "qmp: cannot open the folder of %s: %s",
				     path, strerror(errno));
			goto cleanup;
		}
		snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dirfd,
			 base ? base + 1 : path);
	}
	c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c.fd < 0 || connect(c.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "qmp: cannot connect to %s: %s", path,
			     strerror(errno));
		goto cleanup;
	}
	if (qmp_read_line(&c, &greeting) < 0 || !strstr(greeting.buf, "\"QMP\"")) {
		unik_err_set(err, UNIK_E_INTERNAL, "qmp: no greeting on %s", path);
		goto cleanup;
	}
	if (qmp_call(&c, "qmp_capabilities", err) < 0 || qmp_call(&c, execute, err) < 0)
		goto cleanup;
	rc = 0;
cleanup:
	if (dirfd >= 0)
		close(dirfd);
	if (c.fd >= 0)
		close(c.fd);
	strbuf_release(&c.in);
	strbuf_release(&greeting);
	return rc;
}
