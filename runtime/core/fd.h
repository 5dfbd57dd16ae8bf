/* fd.h - open files and the descriptor table. */
#ifndef UNIK_RT_FD_H
#define UNIK_RT_FD_H

#include "vfs.h"

#define MAX_FDS 256

#define O_NONBLOCK 04000

enum file_kind {
	FILE_CONSOLE_IN,
	FILE_CONSOLE_OUT,
	FILE_NODE,
	FILE_SOCKET, /* priv: struct sock (net/sock.h) */
	FILE_EPOLL, /* priv: struct epoll (sys_poll.c) */
	FILE_EVENTFD, /* priv: struct eventfd (sys_poll.c) */
};

struct file {
	enum file_kind kind;
	struct vnode *node;
	u64 off;
	int flags; /* O_* status flags */
	int refs;
	void *priv; /* the object of a socket, epoll or eventfd file */
};

/* The open file behind fd, or NULL. */
struct file *fd_get(long fd);
/* A new open file (no descriptor yet, refs 0), or NULL when the table is
 * full.  flags are O_* status flags. */
struct file *file_new(enum file_kind kind, struct vnode *node, int flags);
/* Gives f the lowest free descriptor >= min (f->refs++): the descriptor, or
 * -EMFILE.  A file that gets no descriptor must be dropped with file_put(). */
long fd_install(struct file *f, int min, bool cloexec);
/* Drops a file that fd_install() refused (releases its object). */
void file_put(struct file *f);
/* The poll(2) events true for f now, among `events` plus POLLERR, POLLHUP
 * and POLLNVAL (sys_poll.c). */
short file_poll(struct file *f, short events);
/* Releases the object of a socket, epoll or eventfd file whose last
 * descriptor was closed (sys_poll.c, sys_socket.c). */
void file_release(struct file *f);
struct k_iovec;
/* read/readv (write == false) or write/writev on a socket (sys_socket.c):
 * iov[0..n) has been checked; bytes, or -errno.  Blocks unless O_NONBLOCK. */
__attribute__((weak)) long sock_file_io(struct file *f, const struct k_iovec *iov, int n,
					bool write);
/* read/write of an eventfd (sys_poll.c): 8 bytes at buf (checked), or -errno. */
long eventfd_io(struct file *f, long buf, u64 len, bool write);
/* The cwd ("/" at start). */
extern char fd_cwd[PATH_MAX];
/* Resolves (dirfd, path) to an absolute path; 0 or -errno. */
int fd_resolve(long dirfd, long upath, char *out, size_t size);

#endif
