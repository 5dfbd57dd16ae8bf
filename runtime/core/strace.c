/* strace.c - unik.strace (unik run --trace): one console line per system
 * call, strace-style: its name, its first arguments (paths as strings,
 * small numbers in decimal, the rest in hex) and its result (an errno by
 * name). */
#include "errno.h"
#include "syscall.h"
#include "thread.h"
#include "arch.h"

#define SHOWN_ARGS 4
#define PATH_SHOWN 96

/* Which arguments are paths (bit i: argument i), by call. */
static u8 path_args(u64 nr)
{
	switch (nr) {
	case NR_open:
	case NR_stat:
	case NR_lstat:
	case NR_access:
	case NR_truncate:
	case NR_chdir:
	case NR_mkdir:
	case NR_rmdir:
	case NR_creat:
	case NR_unlink:
	case NR_readlink:
	case NR_chmod:
	case NR_chown:
	case NR_lchown:
	case NR_utime:
	case NR_mknod:
	case NR_statfs:
	case NR_execve:
	case NR_utimes:
	case NR_chroot: return 1;
	case NR_rename:
	case NR_link:
	case NR_symlink: return 3;
	case NR_openat:
	case NR_mkdirat:
	case NR_mknodat:
	case NR_fchownat:
	case NR_futimesat:
	case NR_newfstatat:
	case NR_unlinkat:
	case NR_readlinkat:
	case NR_fchmodat:
	case NR_faccessat:
	case NR_utimensat:
	case NR_statx:
	case NR_openat2:
	case NR_faccessat2:
	case NR_execveat: return 2;
	case NR_renameat:
	case NR_renameat2:
	case NR_linkat: return 2 | 8;
	case NR_symlinkat: return 1 | 4;
	default: return 0;
	}
}

/* The errors' names: one block of strings and a 16-bit offset (plus one;
 * 0 = unnamed) per number, instead of a table of pointers. */
#define ERRNAMES                                                                                   \
	E(EPERM)                                                                                   \
	E(ENOENT)                                                                                  \
	E(ESRCH)                                                                                   \
	E(EINTR)                                                                                   \
	E(EIO)                                                                                     \
	E(ENXIO)                                                                                   \
	E(E2BIG)                                                                                   \
	E(ENOEXEC)                                                                                 \
	E(EBADF)                                                                                   \
	E(ECHILD)                                                                                  \
	E(EAGAIN)                                                                                  \
	E(ENOMEM)                                                                                  \
	E(EACCES)                                                                                  \
	E(EFAULT)                                                                                  \
	E(EBUSY)                                                                                   \
	E(EEXIST)                                                                                  \
	E(EXDEV)                                                                                   \
	E(ENODEV)                                                                                  \
	E(ENOTDIR)                                                                                 \
	E(EISDIR)                                                                                  \
	E(EINVAL)                                                                                  \
	E(ENFILE)                                                                                  \
	E(EMFILE)                                                                                  \
	E(ENOTTY)                                                                                  \
	E(EFBIG)                                                                                   \
	E(ENOSPC)                                                                                  \
	E(ESPIPE)                                                                                  \
	E(EROFS)                                                                                   \
	E(EMLINK)                                                                                  \
	E(EPIPE)                                                                                   \
	E(EDOM)                                                                                    \
	E(ERANGE)                                                                                  \
	E(ENAMETOOLONG)                                                                            \
	E(ENOSYS)                                                                                  \
	E(ENOTEMPTY)                                                                               \
	E(ELOOP)                                                                                   \
	E(ENODATA)                                                                                 \
	E(EOVERFLOW)                                                                               \
	E(ENOTSOCK)                                                                                \
	E(EDESTADDRREQ)                                                                            \
	E(EMSGSIZE)                                                                                \
	E(EPROTOTYPE)                                                                              \
	E(ENOPROTOOPT)                                                                             \
	E(EPROTONOSUPPORT)                                                                         \
	E(ESOCKTNOSUPPORT)                                                                         \
	E(EOPNOTSUPP)                                                                              \
	E(EAFNOSUPPORT)                                                                            \
	E(EADDRINUSE)                                                                              \
	E(EADDRNOTAVAIL)                                                                           \
	E(ENETDOWN)                                                                                \
	E(ENETUNREACH)                                                                             \
	E(ECONNABORTED)                                                                            \
	E(ECONNRESET)                                                                              \
	E(ENOBUFS)                                                                                 \
	E(EISCONN)                                                                                 \
	E(ENOTCONN)                                                                                \
	E(ETIMEDOUT)                                                                               \
	E(ECONNREFUSED)                                                                            \
	E(EHOSTUNREACH)                                                                            \
	E(EALREADY)                                                                                \
	E(EINPROGRESS)
static const struct err_names {
#define E(name) char name##_[sizeof(#name)];
	ERRNAMES
#undef E
} err_names = {
#define E(name) #name,
	ERRNAMES
#undef E
};

static const u16 err_name_at[] = {
#define E(name) [name] = __builtin_offsetof(struct err_names, name##_) + 1,
	ERRNAMES
#undef E
};

static const char *err_name(long err)
{
	return err > 0 && err < (long)ARRAY_SIZE(err_name_at) && err_name_at[err]
		   ? (const char *)&err_names + err_name_at[err] - 1
		   : NULL;
}

/* Appends argument v to buf at *len: a quoted path, or a number. */
static void put_arg(char *buf, size_t size, size_t *len, long v, bool path)
{
	char s[PATH_SHOWN + 1];
	size_t n = 0;

	if (path && v) {
		/* copied with the same checks as a path the call reads */
		for (; n < PATH_SHOWN; n++) {
			if (((u64)(v + (long)n) % 4096 == 0 || n == 0) &&
			    !user_ok(v + (long)n, 1, false))
				break;
			if (!(s[n] = ((const char *)v)[n]))
				break;
		}
		s[n] = 0;
		*len += (size_t)ksnprintf(buf + *len, size - *len, "\"%s%s\"", s,
					  n == PATH_SHOWN ? "..." : "");
	} else if (v > -4096 && v < 4096) {
		*len += (size_t)ksnprintf(buf + *len, size - *len, "%ld", v);
	} else {
		*len += (size_t)ksnprintf(buf + *len, size - *len, "0x%lx", v);
	}
	*len = MIN(*len, size - 1);
}

void strace_call(const char *name, u64 nr, const struct trap_frame *f, long ret, bool returns)
{
	const long a[SHOWN_ARGS] = { (long)f->rdi, (long)f->rsi, (long)f->rdx, (long)f->r10 };
	u8 paths = nr < NR_MAX ? path_args(nr) : 0;
	char line[384], who[24] = "";
	size_t len = 0;

	/* the thread, once there is more than the first */
	if (thread_count > 1 || cur_thread->tid != 1)
		ksnprintf(who, sizeof(who), "[tid %d] ", cur_thread->tid);
	/* a call the image cannot make has no name in it: its number */
	if (name)
		len = (size_t)ksnprintf(line, sizeof(line), "unikernel: strace: %s%s(", who, name);
	else
		len = (size_t)ksnprintf(line, sizeof(line), "unikernel: strace: %ssyscall_%lu(",
					who, nr);
	for (int i = 0; i < SHOWN_ARGS; i++) {
		if (i)
			len += (size_t)ksnprintf(line + len, sizeof(line) - len, ", ");
		put_arg(line, sizeof(line), &len, a[i], paths & (1 << i));
	}
	if (!returns)
		kprintf("%s) = ?\n", line);
	else if (ret < 0 && err_name(-ret))
		kprintf("%s) = -1 %s\n", line, err_name(-ret));
	else if (ret < 0 && ret > -4096)
		kprintf("%s) = -1 errno %ld\n", line, -ret);
	else
		kprintf(ret > -4096 && ret < 65536 ? "%s) = %ld\n" : "%s) = 0x%lx\n", line, ret);
}
