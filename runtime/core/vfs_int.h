/* vfs_int.h - what the parts of the file tree (vfs.c, vfs_walk.c) share
 * beyond vfs.h. */
#ifndef UNIK_RT_VFS_INT_H
#define UNIK_RT_VFS_INT_H

#include "vfs.h"

/* Where absolute paths start: the root, or chroot's folder. */
struct vnode *vfs_top(void);
/* dir's entry `name` (a mount point's file system asked when dir is on one),
 * held, or NULL. */
struct vnode *vfs_child(struct vnode *dir, const char *name);

#endif
