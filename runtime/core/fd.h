/* fd.h - open files and the descriptor table. */
#ifndef UNIK_RT_FD_H
#define UNIK_RT_FD_H

#include "vfs.h"

#define MAX_FDS 256

enum file_kind { FILE_CONSOLE_IN, FILE_CONSOLE_OUT, FILE_NODE };

struct file {
	enum file_kind kind;
	struct vnode *node;
	u64 off;
	int flags; /* O_* status flags */
	int refs;
};

/* The open file behind fd, or NULL. */
struct file *fd_get(long fd);
/* The cwd ("/" at start). */
extern char fd_cwd[PATH_MAX];
/* Resolves (dirfd, path) to an absolute path; 0 or -errno. */
int fd_resolve(long dirfd, long upath, char *out, size_t size);

#endif
