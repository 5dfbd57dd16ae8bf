/* follow.c - tail -f for the HTTP streams, without blocking (follow.h). */
#include "follow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "log_times.h"

/* The line mode's state (follow_set_lines). */
struct lines {
	struct follow_lines opt;
	struct log_times_reader *times;
	struct strbuf in; /* bytes read, not yet a whole line */
	off_t in_off; /* file offset of in.buf[0] */
	struct strbuf out; /* lines ready to send */
	size_t out_pos;
	int ended; /* a line past until: nothing more */
};

struct follow {
	struct unikd *d;
	int fd;
	int follow;
	int checked; /* the producer was asked at least once */
	int producer_done; /* seen by follow_ready: drain, then end */
	follow_done_fn done;
	char *id;
	struct lines *lines; /* NULL: bytes as they are */
};

/* Offset where the last `n` lines of fd begin. */
static off_t tail_offset(int fd, long n)
{
	struct stat st;
	char buf[4096];
	off_t pos;
	long lines = 0;

	if (fstat(fd, &st) < 0 || st.st_size == 0)
		return 0;
	pos = st.st_size;
	/* a final newline ends the last line, it does not start a new one */
	if (pread(fd, buf, 1, pos - 1) == 1 && buf[0] == '\n')
		pos--;
	while (pos > 0) {
		size_t chunk = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		ssize_t r = pread(fd, buf, chunk, pos - (off_t)chunk);

		if (r != (ssize_t)chunk)
			return 0;
		for (ssize_t i = r - 1; i >= 0; i--)
			if (buf[i] == '\n' && ++lines == n)
				return pos - (off_t)chunk + i + 1;
		pos -= (off_t)chunk;
	}
	return 0;
}

struct follow *follow_open(struct unikd *d, const char *path, long tail, int follow,
			   follow_done_fn done, const char *id)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct follow *f;

	if (fd < 0)
		return NULL;
	if (tail == 0) {
		lseek(fd, 0, SEEK_END);
	} else if (tail > 0) {
		lseek(fd, tail_offset(fd, tail), SEEK_SET);
	}
	f = xcalloc(1, sizeof(*f));
	f->d = d;
	f->fd = fd;
	f->follow = follow;
	f->done = done;
	f->id = xstrdup(id);
	return f;
}

static int shutting_down(const struct unikd *d)
{
	return __atomic_load_n(&d->shutting_down, __ATOMIC_RELAXED);
}

void follow_set_lines(struct follow *f, const struct follow_lines *fl)
{
	struct lines *l = xcalloc(1, sizeof(*l));

	l->opt = *fl;
	l->opt.times_path = NULL;
	l->times = log_times_open(fl->times_path);
	strbuf_init(&l->in);
	strbuf_init(&l->out);
	l->in_off = lseek(f->fd, 0, SEEK_CUR);
	f->lines = l;
}

static void add_line(struct lines *l, const char *line, size_t len, off_t off)
{
	int64_t t = log_times_at(l->times, off);

	if (l->opt.has_until && t > l->opt.until_ns) {
		l->ended = 1;
		return;
	}
	if (l->opt.has_since && t < l->opt.since_ns)
		return;
	if (l->opt.timestamps) {
		time_t sec = (time_t)(t / 1000000000);
		struct tm tm;
		char when[40];

		gmtime_r(&sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		strbuf_addf(&l->out, "%s.%09lldZ ", when, (long long)(t % 1000000000));
	}
	strbuf_add(&l->out, line, len);
}

/* Moves the whole lines of l->in to l->out (all of it when `all`). */
static void take_lines(struct lines *l, int all)
{
	size_t start = 0;

	for (size_t i = 0; i < l->in.len && !l->ended; i++)
		if (l->in.buf[i] == '\n') {
			add_line(l, l->in.buf + start, i + 1 - start, l->in_off + (off_t)start);
			start = i + 1;
		}
	if (all && start < l->in.len && !l->ended) {
		add_line(l, l->in.buf + start, l->in.len - start, l->in_off + (off_t)start);
		start = l->in.len;
	}
	if (l->ended)
		start = l->in.len;
	if (!start)
		return; /* nothing taken (the buffer may not even exist yet) */
	memmove(l->in.buf, l->in.buf + start, l->in.len - start);
	l->in.len -= start;
	l->in_off += (off_t)start;
}

static ssize_t lines_read(struct follow *f, char *buf, size_t max)
{
	struct lines *l = f->lines;
	char chunk[65536];

	for (;;) {
		ssize_t n;

		if (l->out_pos < l->out.len) {
			size_t k = l->out.len - l->out_pos;

			if (k > max)
				k = max;
			memcpy(buf, l->out.buf + l->out_pos, k);
			l->out_pos += k;
			if (l->out_pos == l->out.len) {
				strbuf_reset(&l->out);
				l->out_pos = 0;
			}
			return (ssize_t)k;
		}
		if (l->ended)
			return -1;
		n = read(f->fd, chunk, sizeof(chunk));
		if (n > 0) {
			strbuf_add(&l->in, chunk, (size_t)n);
			take_lines(l, 0);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!f->follow || f->producer_done || shutting_down(f->d)) {
			take_lines(l, 1);
			if (l->out.len)
				continue;
			return -1;
		}
		return 0;
	}
}

ssize_t follow_read(void *ctx, char *buf, size_t max)
{
	struct follow *f = ctx;

	if (f->lines)
		return lines_read(f, buf, max);
	for (;;) {
		ssize_t n = read(f->fd, buf, max);

		if (n > 0)
			return n;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || !f->follow || f->producer_done || shutting_down(f->d))
			return -1;
		return 0; /* nothing yet: parked until follow_ready says so */
	}
}

int follow_ready(void *ctx, int changed)
{
	struct follow *f = ctx;
	struct stat st;
	off_t pos = lseek(f->fd, 0, SEEK_CUR);

	if (f->lines && (f->lines->out_pos < f->lines->out.len || f->lines->ended))
		return 1;
	if (fstat(f->fd, &st) == 0 && pos >= 0 && st.st_size > pos)
		return 1; /* it grew */
	if (shutting_down(f->d))
		return 1;
	if ((changed || !f->checked) && f->done(f->d, f->id)) {
		/* the bytes written before the end are all there: read them, end */
		f->producer_done = 1;
		return 1;
	}
	f->checked = 1;
	return 0;
}

void follow_free(void *ctx)
{
	struct follow *f = ctx;

	if (!f)
		return;
	close(f->fd);
	if (f->lines) {
		log_times_close(f->lines->times);
		strbuf_release(&f->lines->in);
		strbuf_release(&f->lines->out);
		free(f->lines);
	}
	free(f->id);
	free(f);
}
