/* daemon.c - the small services every part of unikd uses (daemon.h). */
#include "daemon.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../api/types.h"
#include "../lib/xalloc.h"
#include "http.h"

void unikd_notify(struct unikd *d)
{
	pthread_mutex_lock(&d->lock);
	pthread_cond_broadcast(&d->changed);
	if (d->http)
		http_notify(d->http);
	pthread_mutex_unlock(&d->lock);
}

void unikd_data_ready(struct unikd *d)
{
	pthread_mutex_lock(&d->lock);
	if (d->http)
		http_data_ready(d->http);
	pthread_mutex_unlock(&d->lock);
}

void unikd_wait_changed(struct unikd *d, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&d->changed, &d->lock, &ts);
}

char *unikd_path(const struct unikd *d, const char *fmt, ...)
{
	char *rel, *full;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&rel, fmt, ap) < 0)
		abort();
	va_end(ap);
	full = xasprintf("%s/%s", d->state_dir, rel);
	free(rel);
	return full;
}

void unikd_log(const char *fmt, ...)
{
	char when[32];
	va_list ap;

	unik_time_format(unikd_now(), when);
	flockfile(stderr);
	fprintf(stderr, "%s unikd: ", when);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

int64_t unikd_now(void)
{
	return (int64_t)time(NULL);
}
