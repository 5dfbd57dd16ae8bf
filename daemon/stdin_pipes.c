/* stdin_pipes.c - instances' console input pipes (see stdin_pipes.h). */
#include "stdin_pipes.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../lib/xalloc.h"

#define STDIN_PIPE_SIZE (1024 * 1024) /* asked for; the host may give less */

struct stdin_pipe {
	char *id;
	int fd; /* the write end, non-blocking and close-on-exec */
	int users; /* writers between lookup and done: the fd stays open */
	int closing; /* closed while in use: the last user closes the fd */
	int eot; /* the end is the byte 0x04 (stdin_pipe_open) */
	struct stdin_pipe *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct stdin_pipe *pipes;

static struct stdin_pipe **find_locked(const char *id)
{
	struct stdin_pipe **p = &pipes;

	while (*p && strcmp((*p)->id, id))
		p = &(*p)->next;
	return p;
}

/* The end of the input for a guest that cannot see the pipe's: 0x04, with
 * a moment for room in a full pipe (an ended program takes none: EPIPE). */
static void write_eot(int fd)
{
	for (int tries = 0; tries < 10; tries++) {
		struct pollfd pfd = { fd, POLLOUT, 0 };
		ssize_t n = write(fd, "\x04", 1);

		if (n == 1 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return;
		(void)poll(&pfd, 1, 100);
	}
}

/* Unlinks *p; its fd is closed now, or by its last user. */
static void drop_locked(struct stdin_pipe **p)
{
	struct stdin_pipe *sp = *p;

	*p = sp->next;
	if (sp->eot)
		write_eot(sp->fd);
	if (sp->users) {
		sp->closing = 1;
		return;
	}
	close(sp->fd);
	free(sp->id);
	free(sp);
}

int stdin_pipe_open(const char *id, int eot, int *read_fd, struct unik_err *err)
{
	struct stdin_pipe *sp, **p;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "the console input pipe: %s",
				    strerror(errno));
	(void)fcntl(fds[1], F_SETPIPE_SZ, STDIN_PIPE_SIZE); /* best effort */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	sp = xcalloc(1, sizeof(*sp));
	sp->id = xstrdup(id);
	sp->fd = fds[1];
	sp->eot = eot;
	pthread_mutex_lock(&lock);
	p = find_locked(id);
	if (*p)
		drop_locked(p);
	sp->next = pipes;
	pipes = sp;
	pthread_mutex_unlock(&lock);
	*read_fd = fds[0];
	return 0;
}

void stdin_pipe_close(const char *id)
{
	struct stdin_pipe **p;

	pthread_mutex_lock(&lock);
	p = find_locked(id);
	if (*p)
		drop_locked(p);
	pthread_mutex_unlock(&lock);
}

int stdin_pipe_is_open(const char *id)
{
	int open;

	pthread_mutex_lock(&lock);
	open = *find_locked(id) != NULL;
	pthread_mutex_unlock(&lock);
	return open;
}

/* Lets go of sp (taken by stdin_pipe_write). */
static void done(struct stdin_pipe *sp)
{
	pthread_mutex_lock(&lock);
	if (--sp->users == 0 && sp->closing) {
		close(sp->fd);
		free(sp->id);
		free(sp);
	}
	pthread_mutex_unlock(&lock);
}

ssize_t stdin_pipe_write(const char *id, const char *name, const void *buf, size_t len, int wait_ms,
			 struct unik_err *err)
{
	long long until = clock_now_ms() + wait_ms;
	struct stdin_pipe *sp;
	size_t off = 0;

	pthread_mutex_lock(&lock);
	sp = *find_locked(id);
	if (sp)
		sp->users++;
	pthread_mutex_unlock(&lock);
	if (!sp)
		return unik_err_set(err, UNIK_E_CONFLICT,
				    "instance %s has no open standard input (run it with -i; an "
				    "input once ended stays ended)",
				    name);
	while (off < len) {
		ssize_t n = write(sp->fd, (const char *)buf + off, len - off);
		struct pollfd pfd = { sp->fd, POLLOUT, 0 };
		long long left;

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE) {
			done(sp);
			return unik_err_set(err, UNIK_E_CONFLICT,
					    "instance %s is not running: its input is closed",
					    name);
		}
		if (n < 0 && errno != EAGAIN) {
			done(sp);
			return unik_err_set(err, UNIK_E_INTERNAL, "instance %s: its input: %s",
					    name, strerror(errno));
		}
		left = until - clock_now_ms();
		if (left <= 0 || sp->closing)
			break;
		(void)poll(&pfd, 1, (int)(left > 100 ? 100 : left)); /* room, or try again */
	}
	done(sp);
	return (ssize_t)off;
}
