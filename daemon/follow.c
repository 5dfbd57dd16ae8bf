/* follow.c - tail -f for the HTTP streams. */
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
	int finished; /* the producer was seen done: drain, then end */
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

ssize_t follow_read(void *ctx, char *buf, size_t max)
{
	struct follow *f = ctx;

	for (;;) {
		ssize_t n = read(f->fd, buf, max);

		if (n > 0)
			return n;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || !f->follow || f->finished)
			return -1;
		if (f->done(f->d, f->id)) {
			f->finished = 1;
			continue;
		}
		pthread_mutex_lock(&f->d->lock);
		if (f->d->shutting_down) {
			pthread_mutex_unlock(&f->d->lock);
			return -1;
		}
		unikd_wait_changed(f->d, 100);
		pthread_mutex_unlock(&f->d->lock);
	}
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
