/* log.c - unik-runtime's messages: to --log (text, or JSON lines with
 * --log-format json, as containerd's shim reads them), else to stderr. */
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

static int log_fd = 2;
static int log_json;

void rt_now_rfc3339(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%09ldZ", base, ts.tv_nsec);
}

void rt_log_setup(struct rt_ctx *ctx)
{
	log_json = ctx->log_json;
	if (ctx->log_path) {
		int fd = open(ctx->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

		if (fd >= 0)
			log_fd = fd;
	}
}

static void emit(const char *level, const char *fmt, va_list ap)
{
	char msg[2048], when[48];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_json && log_fd != 2) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", "");
		char *s;

		rt_now_rfc3339(when, sizeof(when));
		json_object_set_new(j, "time", json_string(when));
		s = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		if (s) {
			dprintf(log_fd, "%s\n", s);
			free(s);
		}
		return;
	}
	dprintf(log_fd, "unik-runtime: %s%s\n", strcmp(level, "error") ? "warning: " : "", msg);
}

void rt_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("error", fmt, ap);
	va_end(ap);
}

void rt_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("warning", fmt, ap);
	va_end(ap);
}
