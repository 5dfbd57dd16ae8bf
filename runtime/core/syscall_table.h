/* syscall_table.h - which function serves each system call.
 *
 * Not compiled into the runtime: runtime.mk runs it through the
 * preprocessor alone into build/guest/unik-syscalls.list, from which the
 * image link (compilers/common/syscall_set.c) writes each image's table
 * with only the calls its program can make; syscall.c dispatches through
 * it.  Every line is "call NAME FUNCTION strong|weak" (weak: the function
 * is in an optional part, unik-unix.o, and NULL without it), "number NAME
 * NR" (syscall_names.h), "volume NAME" (a call that can reach a file on a
 * volume: it takes a path) or "hook SYMBOL FUNCTION" (defined by the image
 * link as a jump to FUNCTION only when the program makes a volume call;
 * NULL otherwise, and ext2, FAT, the disk drivers, /proc, /sys and the
 * tree's default /etc files stay out).  One entry
 * a line: clang-format leaves the file alone.  No include guard. */
/* clang-format off */
#include "syscall_slots.h"
unik_syscall_slots SYSCALL_GAP_LO SYSCALL_GAP_HI SYSCALL_LIMIT
#define X(name, nr) number name nr
#include "syscall_names.h"
#undef X
#define S(name) call name sys_##name strong
S(read)
S(write)
S(readv)
S(writev)
S(pread64)
S(preadv)
S(open)
S(openat)
S(close)
S(lseek)
S(ioctl)
S(fcntl)
S(dup)
S(dup2)
S(dup3)
S(poll)
S(ppoll)
S(select)
S(pselect6)
S(epoll_create)
S(epoll_create1)
S(epoll_ctl)
S(epoll_wait)
S(epoll_pwait)
S(eventfd)
S(eventfd2)
S(signalfd)
S(signalfd4)
S(fstat)
S(stat)
S(lstat)
S(newfstatat)
S(statx)
S(getdents64)
S(access)
S(faccessat)
S(faccessat2)
S(readlink)
S(readlinkat)
S(getcwd)
S(chdir)
S(fchdir)
S(mmap)
S(munmap)
S(mprotect)
S(mremap)
S(brk)
S(madvise)
S(clock_gettime)
S(clock_getres)
S(gettimeofday)
S(time)
S(nanosleep)
S(clock_nanosleep)
S(getpid)
S(getppid)
S(uname)
S(getrandom)
S(getrlimit)
S(setrlimit)
S(prlimit64)
S(sysinfo)
S(clone)
S(exit)
S(exit_group)
S(set_tid_address)
S(gettid)
S(arch_prctl)
S(set_robust_list)
S(get_robust_list)
S(sched_yield)
S(sched_getaffinity)
S(sched_setaffinity)
S(futex)
S(rt_sigaction)
S(rt_sigprocmask)
S(rt_sigpending)
S(rt_sigreturn)
S(rt_sigsuspend)
S(rt_sigtimedwait)
S(rt_sigqueueinfo)
S(rt_tgsigqueueinfo)
S(sigaltstack)
S(pause)
S(kill)
S(tkill)
S(tgkill)
S(alarm)
S(getitimer)
S(setitimer)
S(timer_create)
S(timer_settime)
S(timer_gettime)
S(timer_getoverrun)
S(timer_delete)
#define F(name) call name sys_##name strong
/* the socket calls (sockcall_*) live in unik-unix.o, which images whose
 * program makes no sockets leave out */
#define A(nr, fn) call nr fn weak
#include "syscall_files.h"
#undef F
#undef A
#undef S

/* The calls that take a path (bind, connect, sendto and sendmsg: of a
 * local socket): a file on a volume is reached only through one of them. */
#define V(name) volume name
V(open)
V(openat)
V(openat2)
V(creat)
V(stat)
V(lstat)
V(newfstatat)
V(statx)
V(access)
V(faccessat)
V(faccessat2)
V(readlink)
V(readlinkat)
V(chdir)
V(mkdir)
V(mkdirat)
V(mknod)
V(mknodat)
V(rmdir)
V(unlink)
V(unlinkat)
V(rename)
V(renameat)
V(renameat2)
V(link)
V(linkat)
V(symlink)
V(symlinkat)
V(chmod)
V(fchmodat)
V(chown)
V(lchown)
V(fchownat)
V(utimensat)
V(futimesat)
V(utimes)
V(utime)
V(truncate)
V(chroot)
V(statfs)
V(getxattr)
V(lgetxattr)
V(setxattr)
V(lsetxattr)
V(removexattr)
V(lremovexattr)
V(listxattr)
V(llistxattr)
V(bind)
V(connect)
V(sendto)
V(sendmsg)
#undef V
hook unik_tree_defaults tree_defaults
hook unik_proc_init proc_init
hook unik_volumes_mount volumes_mount
hook unik_volumes_write_back volumes_write_back
hook qemu_blk_probe qemu_blk_disks
hook hvt_blk_probe hvt_blk_disks
hook spt_blk_probe spt_blk_disks
hook xen_blk_probe xen_blk_disks
