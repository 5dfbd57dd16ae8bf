/* fd.h - open files and the descriptor table.
 *
 * An open file is a `struct file` whose `ops` say what kind it is: the
 * console, a packaged file or folder (file_node.c), a socket (net/), an
 * epoll or eventfd file (sys_poll.c, sys_eventfd.c).  The descriptor layer
 * (file.c, sys_fs.c) knows no kind: it checks the caller's arguments and
 * calls the file's operations.  A new kind of file is one more file_ops.
 */
#ifndef UNIK_RT_FD_H
#define UNIK_RT_FD_H

#include "vfs.h"

#define MAX_FDS 256

#define O_ACCMODE 3
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_NONBLOCK 04000

/* poll(2) events */
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDHUP 0x2000

/* One segment of a scatter/gather buffer (struct iovec). */
struct k_iovec {
	u64 base, len;
};

struct file;

/* What one kind of open file does.  Every operation may be NULL; the
 * descriptor layer then answers as Linux does for a file that cannot do it.
 * Buffers handed to read and write have been checked and backed (user_ok). */
struct file_ops {
	/* fstat's st_mode for files without a vnode (S_IFSOCK | 0777, ...). */
	u32 mode;
	/* lseek, pread and preadv move or use f->off (else -ESPIPE). */
	bool seekable;
	/* Reads into iov[0..n) at *off (seekable files) and advances it: bytes,
	 * 0 at end of file, or -errno.  Blocks unless f->flags has O_NONBLOCK.
	 * NULL: -EINVAL. */
	long (*read)(struct file *f, const struct k_iovec *iov, int n, u64 *off);
	/* Writes iov[0..n): bytes or -errno.  NULL: -EINVAL. */
	long (*write)(struct file *f, const struct k_iovec *iov, int n, u64 *off);
	/* The poll(2) events true now.  NULL: always readable and writable, and
	 * epoll refuses the file (EPERM), as for Linux's regular files. */
	short (*poll)(struct file *f);
	/* ioctl requests other than FIONBIO; arg is unchecked.  NULL: -ENOTTY. */
	long (*ioctl)(struct file *f, unsigned long req, long arg);
	/* The last descriptor was closed: release f->priv. */
	void (*release)(struct file *f);
};

struct file {
	const struct file_ops *ops;
	struct vnode *node; /* the packaged file or folder, or NULL */
	u64 off;
	int flags; /* O_* status flags, with the access mode */
	int refs;
	void *priv; /* the kind's own object */
};

/* file.c: the table --------------------------------------------------- */

/* The open file behind fd, or NULL. */
struct file *fd_get(long fd);
/* A new open file (no descriptor yet, refs 0), or NULL when the table is
 * full.  flags are O_* status flags with the access mode. */
struct file *file_new(const struct file_ops *ops, struct vnode *node, int flags, void *priv);
/* Gives f the lowest free descriptor >= min (f->refs++): the descriptor, or
 * -EMFILE.  A file that gets no descriptor must be dropped with file_put(). */
long fd_install(struct file *f, int min, bool cloexec);
/* file_new + fd_install; on failure the file is dropped (released).  The
 * descriptor, -ENFILE or -EMFILE. */
long fd_open(const struct file_ops *ops, struct vnode *node, int flags, void *priv, bool cloexec);
/* Drops a file nobody refers to (releases its object). */
void file_put(struct file *f);
/* Closes fd: 0 or -EBADF. */
long fd_close(long fd);
/* Makes newfd (closed first if open) refer to oldfd's file: newfd or -EBADF. */
long fd_dup_to(long oldfd, long newfd, bool cloexec);
/* FD_CLOEXEC of fd (fd must be open). */
int fd_cloexec(long fd);
void fd_set_cloexec(long fd, bool on);
/* The poll(2) events true for f now, among `events` plus POLLERR, POLLHUP
 * and POLLNVAL. */
short file_poll(struct file *f, short events);

/* Bytes in iov[0..n). */
u64 iov_total(const struct k_iovec *iov, int n);
/* Copies up to len bytes from src into iov[0..n) / from iov into dst:
 * the bytes copied. */
u64 iov_copy_out(const struct k_iovec *iov, int n, const void *src, u64 len);
u64 iov_copy_in(void *dst, u64 len, const struct k_iovec *iov, int n);

/* sys_fs.c: paths ------------------------------------------------------ */

/* The cwd ("/" at start). */
extern char fd_cwd[PATH_MAX];
/* Resolves (dirfd, path) to an absolute path; 0 or -errno. */
int fd_resolve(long dirfd, long upath, char *out, size_t size);

/* file_node.c: packaged files and folders, read-only. */
extern const struct file_ops node_file_ops;

#endif
