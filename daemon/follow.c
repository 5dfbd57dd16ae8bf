/* follow.c - tail -f for the HTTP streams, without blocking (follow.h). */
#include "follow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/xalloc.h"
#include "daemon.h"

struct follow {
	struct unikd *d;
	int fd;
	int follow;
	int checked; /* the producer was asked at least once */
	int producer_done; /* seen by follow_ready: drain, then end */
	follow_done_fn done;
	char *id;
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

ssize_t follow_read(void *ctx, char *buf, size_t max)
{
	struct follow *f = ctx;

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
	free(f->id);
	free(f);
}
