/* fd.h - open files and the descriptor table.
 *
 * An open file is a `struct file` whose `ops` say what kind it is: the
 * console, a file or folder of the tree (file_node.c), a device (fs_dev.c),
 * a pipe (sys_pipe.c), a socket (net/, unix_sock.c), an epoll, eventfd or
 * timerfd file (sys_poll.c, sys_eventfd.c, sys_timerfd.c).  The descriptor layer
 * (file.c, sys_fs.c) knows no kind: it checks the caller's arguments and
 * calls the file's operations.  A new kind of file is one more file_ops.
 */
#ifndef UNIK_RT_FD_H
#define UNIK_RT_FD_H

#include "vfs.h"

#define MAX_FDS 1024

#define O_ACCMODE 3
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
#define O_TMPFILE 020000000
#define AT_FDCWD -100
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_EMPTY_PATH 0x1000

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
	/* fstat of a file without a vnode: fills in *st (mode is preset from
	 * `mode`).  NULL: an anonymous inode of `mode`. */
	void (*stat)(struct file *f, struct vnode *st);
	/* What /proc/self/fd names it ("pipe", "socket", "anon_inode:[eventfd]");
	 * NULL: derived from `mode`. */
	const char *kind;
	/* fsync/fdatasync: makes what was written durable: 0 or -errno.  NULL:
	 * nothing to do (memory is the only storage). */
	int (*fsync)(struct file *f);
};

struct file {
	const struct file_ops *ops;
	struct vnode *node; /* the packaged file or folder, or NULL */
	u64 off;
	int flags; /* O_* status flags, with the access mode */
	int refs;
	u32 io_seq; /* bumped by every call that takes its descriptor (epoll's EPOLLET) */
	void *priv; /* the kind's own object */
	u32 gen; /* tells this open file from an earlier one in the same slot (epoll) */
};

/* file.c: the table --------------------------------------------------- */

/* The open file behind fd, or NULL.  Counts as a use of the file by the
 * program (f->io_seq++). */
struct file *fd_get(long fd);
/* The same without counting a use: for the runtime's own looks at
 * descriptors (poll, select and epoll scans). */
struct file *fd_peek(long fd);
/* A new open file (no descriptor yet, refs 0), or NULL when the table is
 * full.  flags are O_* status flags with the access mode. */
struct file *file_new(const struct file_ops *ops, struct vnode *node, int flags, void *priv);
/* Gives f the lowest free descriptor >= min (f->refs++): the descriptor, or
 * -EMFILE.  A file that gets no descriptor must be dropped with file_put(). */
long fd_install(struct file *f, int min, bool cloexec);
/* At boot, with no descriptor yet: descriptors 0..n-1 are the open files
 * f[0..n-1], made outside the table, each with its one reference. */
void fd_preset(struct file *f, int n);
/* file_new + fd_install; on failure the file is dropped (released).  The
 * descriptor, -ENFILE or -EMFILE. */
long fd_open(const struct file_ops *ops, struct vnode *node, int flags, void *priv, bool cloexec);
/* The object (f->priv) of descriptor fd when its file is of kind `ops`;
 * else NULL with *err = -EBADF (not open) or `other` (another kind). */
void *fd_priv(long fd, const struct file_ops *ops, long other, long *err);
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

/* Raises SIGPIPE in the calling thread (a write to a pipe or socket whose
 * reading end is closed): signal_raise_self() of the signal layer when it
 * is there, else tkill to the calling thread. */
void fd_raise_sigpipe(void);

/* sys_path.c: paths ---------------------------------------------------- */

/* The working directory (held by the runtime; "/" at start). */
struct vnode *fd_cwd(void);
/* Makes n (a directory, held by the caller) the working directory. */
void fd_set_cwd(struct vnode *n);
/* Walks the program's path upath from dirfd (AT_FDCWD: the working
 * directory) with WALK_* flags; 0 or -errno (-EFAULT, -EBADF, -ENOTDIR,
 * the walk's).  Release with walk_done(). */
int fd_walk(long dirfd, long upath, int flags, struct walk *w);
/* The node for the *at() calls' (dirfd, path, AT_* flags): with
 * AT_EMPTY_PATH and "" the file of dirfd itself (an anonymous node in *tmp
 * for files without one).  Held in *out unless it is tmp.  0 or -errno. */
int fd_node_at(long dirfd, long upath, long at_flags, struct vnode **out, struct vnode *tmp);
/* Drops what fd_node_at() gave. */
void fd_node_done(struct vnode *n, struct vnode *tmp);
/* The file-mode creation mask (umask). */
u32 fd_umask(void);

/* file_node.c: files of the tree --------------------------------------- */

/* Opens node n (held by the caller, who keeps its hold) with O_* flags:
 * a regular file, a directory, a device (n->fops), a generated file.  A
 * new descriptor, or -errno. */
long node_open(struct vnode *n, int flags);
/* The vnode a file has for fstat: its node, or an anonymous one in *tmp. */
const struct vnode *file_vnode(struct file *f, struct vnode *tmp);
extern const struct file_ops node_file_ops;

/* sys_pipe.c: F_GETPIPE_SZ / F_SETPIPE_SZ of fcntl (-EBADF for other files). */
long pipe_fcntl(struct file *f, int cmd, long arg);

#endif
