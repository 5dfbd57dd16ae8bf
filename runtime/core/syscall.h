/* syscall.h - the Linux x86-64 system-call layer.
 *
 * Every handler has the same shape, sys_<name>(a0..a5), takes the raw
 * argument registers and returns a value or a negated errno.  syscall_table.h
 * says which serves each call, syscall.c dispatches; docs/runtime.md lists what is implemented.
 */
#ifndef UNIK_RT_SYSCALL_H
#define UNIK_RT_SYSCALL_H

#include "kernel.h"
#include "syscall_slots.h"

enum {
#define X(name, nr) NR_##name = nr,
#include "syscall_names.h"
#undef X
	NR_MAX = SYSCALL_LIMIT
};

#define SYSCALL(name) long sys_##name(long a0, long a1, long a2, long a3, long a4, long a5)

/* Copies a NUL-terminated path from the application; 0, -EFAULT or -ENAMETOOLONG. */
int user_path(long uptr, char *out, size_t size);
/* True when the application may read (or write) [p, p+len). */
bool user_ok(long p, u64 len, bool write);

struct trap_frame;
/* strace.c: the console line of call nr (unik.strace), its arguments in f;
 * `returns` false for calls that do not (exit). */
void strace_call(const char *name, u64 nr, const struct trap_frame *f, long ret, bool returns);
/* -ENOSYS for call nr, named on the console the first time. */
long syscall_enosys(u64 nr);
/* A system call of the program, its registers in f (number in rax): served,
 * its result in f->rax, or f set up to make the call again after a signal
 * handler (SA_RESTART).  The entry then returns through exit_to_user(). */
void syscall_handle(struct trap_frame *f);

/* Set from the command line: trace every call on the console. */
extern bool syscall_trace;
/* System calls served so far, by any path (trap or direct). */
extern u64 syscall_count;

/* console.c: descriptors 0, 1, 2 */
void fd_init(void);
/* console.c: takes waiting console input into the runtime's buffer (the
 * idle loop calls it before it sleeps). */
void console_in_pump(void);
/* sys_fs.c */
SYSCALL(read);
SYSCALL(write);
SYSCALL(readv);
SYSCALL(writev);
SYSCALL(pread64);
SYSCALL(preadv);
SYSCALL(open);
SYSCALL(openat);
SYSCALL(close);
SYSCALL(lseek);
SYSCALL(ioctl);
SYSCALL(fcntl);
SYSCALL(dup);
SYSCALL(dup2);
SYSCALL(dup3);
/* sys_poll.c */
SYSCALL(poll);
SYSCALL(ppoll);
SYSCALL(select);
SYSCALL(pselect6);
SYSCALL(epoll_create);
SYSCALL(epoll_create1);
SYSCALL(epoll_ctl);
SYSCALL(epoll_wait);
SYSCALL(epoll_pwait);
/* sys_eventfd.c */
SYSCALL(eventfd);
SYSCALL(eventfd2);
/* sys_signalfd.c */
SYSCALL(signalfd);
SYSCALL(signalfd4);
/* net/sys_socket.c: weak, NULL in images without unik-net.o (netstack.h) */
#define SYSCALL_NET(name) __attribute__((weak)) SYSCALL(name)
SYSCALL_NET(socket);
SYSCALL_NET(bind);
SYSCALL_NET(listen);
SYSCALL_NET(accept);
SYSCALL_NET(accept4);
SYSCALL_NET(connect);
SYSCALL_NET(sendto);
SYSCALL_NET(recvfrom);
SYSCALL_NET(sendmsg);
SYSCALL_NET(recvmsg);
SYSCALL_NET(shutdown);
SYSCALL_NET(getsockname);
SYSCALL_NET(getpeername);
SYSCALL_NET(setsockopt);
SYSCALL_NET(getsockopt);
/* sys_stat.c */
SYSCALL(fstat);
SYSCALL(stat);
SYSCALL(lstat);
SYSCALL(newfstatat);
SYSCALL(statx);
SYSCALL(getdents64);
SYSCALL(access);
SYSCALL(faccessat);
SYSCALL(faccessat2);
SYSCALL(readlink);
SYSCALL(readlinkat);
SYSCALL(getcwd);
SYSCALL(chdir);
SYSCALL(fchdir);
/* sys_mm.c */
SYSCALL(mmap);
SYSCALL(munmap);
SYSCALL(mprotect);
SYSCALL(mremap);
SYSCALL(brk);
SYSCALL(madvise);
/* sys_time.c */
SYSCALL(clock_gettime);
SYSCALL(clock_getres);
SYSCALL(gettimeofday);
SYSCALL(time);
SYSCALL(nanosleep);
SYSCALL(clock_nanosleep);
/* sys_proc.c */
SYSCALL(getpid);
SYSCALL(getppid);
SYSCALL(getuid);
SYSCALL(getpgrp);
SYSCALL(uname);
SYSCALL(getrandom);
SYSCALL(getrlimit);
SYSCALL(setrlimit);
SYSCALL(prlimit64);
SYSCALL(sysinfo);
SYSCALL(umask);
/* sys_thread.c */
SYSCALL(clone);
SYSCALL(exit);
SYSCALL(exit_group);
SYSCALL(set_tid_address);
SYSCALL(gettid);
SYSCALL(arch_prctl);
SYSCALL(set_robust_list);
SYSCALL(get_robust_list);
SYSCALL(sched_yield);
SYSCALL(sched_getaffinity);
SYSCALL(sched_setaffinity);
/* sys_futex.c */
SYSCALL(futex);
/* sys_signal.c */
SYSCALL(rt_sigaction);
SYSCALL(rt_sigprocmask);
SYSCALL(rt_sigpending);
SYSCALL(rt_sigreturn);
SYSCALL(rt_sigsuspend);
SYSCALL(rt_sigtimedwait);
SYSCALL(rt_sigqueueinfo);
SYSCALL(rt_tgsigqueueinfo);
SYSCALL(sigaltstack);
SYSCALL(pause);
SYSCALL(kill);
SYSCALL(tkill);
SYSCALL(tgkill);
/* sys_timer.c */
SYSCALL(alarm);
SYSCALL(getitimer);
SYSCALL(setitimer);
SYSCALL(timer_create);
SYSCALL(timer_settime);
SYSCALL(timer_gettime);
SYSCALL(timer_getoverrun);
SYSCALL(timer_delete);

#endif
