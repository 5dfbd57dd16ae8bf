/* safeopen.h - opening files of a tree the daemon does not trust (an upload,
 * a build folder) so that no symlink can lead outside it.
 *
 * A tree has a root: a folder the caller made.  The root's parent folders
 * are trusted; the root itself is opened with O_NOFOLLOW, so a symlink put in
 * its place (by a build step) is refused.  Below the root every name is
 * resolved by the kernel beneath the root's file descriptor:
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV).  A
 * symlink is followed only while it stays inside the tree; an absolute link,
 * ".." above the root, /proc's magic links and mount crossings fail with
 * EXDEV (or ELOOP).  Without openat2 (ENOSYS or EPERM: old kernels, seccomp
 * profiles) the same rules are applied one component at a time in user space,
 * holding a descriptor of each folder walked through.
 */
#ifndef UNIK_SAFEOPEN_H
#define UNIK_SAFEOPEN_H

#include "error.h"
#include "strbuf.h"

/* `how` flags of safe_openat() */
#define SAFE_NO_SYMLINKS 1u /* refuse every symlink on the way (ELOOP) */

/* Tests set this to use the user-space resolver even where openat2 works. */
extern int safeopen_force_fallback;

/* The folder `dir` (O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), or -1 with errno. */
int safe_dir_open(const char *dir);

/* openat(2) of `rel` beneath the folder `rootfd` as described above.  `flags`
 * as for open(2) (O_CLOEXEC is added; O_NOFOLLOW applies to the last
 * component), `mode` for O_CREAT.  Returns the fd, or -1 with errno. */
int safe_openat(int rootfd, const char *rel, int flags, unsigned mode, unsigned how);

/* Opens `path`, which must be `root` or lie under it ("<root>/<rel>"), beneath
 * the folder `root`.  -1 with err naming `path`: NOT_FOUND when it does not
 * exist, INVALID when it leads outside `root` or is not what `flags` needs,
 * INTERNAL otherwise. */
int safe_open_in(const char *root, const char *path, int flags, unsigned how, struct unik_err *err);

/* The same for a path in the folder the caller made: `path`'s own folder is
 * the root (opened with O_NOFOLLOW), its last component is opened beneath. */
int safe_open_file(const char *path, int flags, unsigned how, struct unik_err *err);

/* A new empty file at `path`, open for writing: whatever non-folder was at
 * that name is removed first (never written through), and `path`'s folder is
 * opened with O_NOFOLLOW.  The fd, or -1 with err. */
int safe_create(const char *path, unsigned mode, struct unik_err *err);

/* mkdir -p of `rel` beneath `rootfd` that follows no symlink: returns an fd
 * of the last folder, or -1 with errno (ELOOP: a component is a symlink,
 * ENOTDIR: a component is a file). */
int safe_mkdirs_at(int rootfd, const char *rel, unsigned mode);

/* Appends the regular file `fd` to `out`, at most `max` bytes (INVALID
 * above, naming `what`).  Does not close fd. */
int safe_read_fd(int fd, const char *what, long long max, struct strbuf *out, struct unik_err *err);

#endif
