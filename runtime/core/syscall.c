/* syscall.c - the system-call table and dispatcher.
 *
 * Calls the runtime lacks return -ENOSYS; the first time each one is made
 * it is named on the console, so a porting gap shows up in the log.
 */
#include "errno.h"
#include "mm.h"
#include "netstack.h"
#include "signal.h"
#include "syscall.h"
#include "thread.h"
#include "arch.h"

typedef long (*syscall_fn)(long, long, long, long, long, long);

bool syscall_trace;
u64 syscall_count;

/* The tables' slots: x86-64 has no calls from 335 to 423, so those numbers
 * take no room; a number there makes an index the compiler refuses. */
#define GAP_LO 335
#define GAP_HI 424
#define SLOT(nr) ((nr) < GAP_LO ? (nr) : (nr) >= GAP_HI ? (nr) - (GAP_HI - GAP_LO) : -1)
#define NR_SLOTS SLOT(NR_MAX)

/* The slot of call nr, or -1 for a number no call has. */
static long slot_of(u64 nr)
{
	return nr < GAP_LO		     ? (long)nr
	       : nr >= GAP_HI && nr < NR_MAX ? (long)nr - (GAP_HI - GAP_LO)
					     : -1;
}

/* The calls' names, one block of strings and a 16-bit offset (plus one; 0 =
 * no such call) per number: a quarter of a table of pointers. */
static const struct call_names {
#define X(name, nr) char name[sizeof(#name)];
#include "syscall_names.h"
#undef X
} call_names = {
#define X(name, nr) #name,
#include "syscall_names.h"
#undef X
};

static const u16 call_name_at[NR_SLOTS] = {
#define X(name, nr) [SLOT(nr)] = __builtin_offsetof(struct call_names, name) + 1,
#include "syscall_names.h"
#undef X
};

_Static_assert(sizeof(struct call_names) < 65535, "the call names need 16-bit offsets");

static const char *call_name(u64 nr)
{
	long i = slot_of(nr);

	return i >= 0 && call_name_at[i] ? (const char *)&call_names + call_name_at[i] - 1 : NULL;
}

/* The calls of net/sys_socket.c: NULL in the table without unik-net.o. */
static bool is_net_call(u64 nr)
{
	static const u16 net_calls[] = { NR_socket,	 NR_bind,	NR_listen,
					 NR_accept,	 NR_accept4,	NR_connect,
					 NR_sendto,	 NR_recvfrom,	NR_sendmsg,
					 NR_recvmsg,	 NR_shutdown,	NR_getsockname,
					 NR_getpeername, NR_setsockopt, NR_getsockopt };

	if (netstack_linked())
		return false;
	for (unsigned i = 0; i < sizeof(net_calls) / sizeof(net_calls[0]); i++)
		if (net_calls[i] == nr)
			return true;
	return false;
}

#define F(name) SYSCALL(name);
/* weak: the socket calls (sockcall_*) live in unik-unix.o, which images
 * whose program makes no sockets leave out; their table entries are then
 * NULL (ENOSYS, said once on the console) */
#define A(nr, fn) __attribute__((weak)) long fn(long, long, long, long, long, long);
#include "syscall_files.h"
#undef F
#undef A

#define S(name) [SLOT(NR_##name)] = sys_##name
static const syscall_fn table[NR_SLOTS] = {
	S(read),
	S(write),
	S(readv),
	S(writev),
	S(pread64),
	S(preadv),
	S(open),
	S(openat),
	S(close),
	S(lseek),
	S(ioctl),
	S(fcntl),
	S(dup),
	S(dup2),
	S(dup3),
	S(poll),
	S(ppoll),
	S(select),
	S(pselect6),
	S(epoll_create),
	S(epoll_create1),
	S(epoll_ctl),
	S(epoll_wait),
	S(epoll_pwait),
	S(eventfd),
	S(eventfd2),
	S(signalfd),
	S(signalfd4),
	S(fstat),
	S(stat),
	S(lstat),
	S(newfstatat),
	S(statx),
	S(getdents64),
	S(access),
	S(faccessat),
	S(faccessat2),
	S(readlink),
	S(readlinkat),
	S(getcwd),
	S(chdir),
	S(fchdir),
	S(mmap),
	S(munmap),
	S(mprotect),
	S(mremap),
	S(brk),
	S(madvise),
	S(clock_gettime),
	S(clock_getres),
	S(gettimeofday),
	S(time),
	S(nanosleep),
	S(clock_nanosleep),
	S(getpid),
	S(getppid),
	S(uname),
	S(getrandom),
	S(getrlimit),
	S(setrlimit),
	S(prlimit64),
	S(sysinfo),
	S(clone),
	S(exit),
	S(exit_group),
	S(set_tid_address),
	S(gettid),
	S(arch_prctl),
	S(set_robust_list),
	S(get_robust_list),
	S(sched_yield),
	S(sched_getaffinity),
	S(sched_setaffinity),
	S(futex),
	S(rt_sigaction),
	S(rt_sigprocmask),
	S(rt_sigpending),
	S(rt_sigreturn),
	S(rt_sigsuspend),
	S(rt_sigtimedwait),
	S(rt_sigqueueinfo),
	S(rt_tgsigqueueinfo),
	S(sigaltstack),
	S(pause),
	S(kill),
	S(tkill),
	S(tgkill),
	S(alarm),
	S(getitimer),
	S(setitimer),
	S(timer_create),
	S(timer_settime),
	S(timer_gettime),
	S(timer_getoverrun),
	S(timer_delete),
#define F(name) [SLOT(NR_##name)] = sys_##name,
#define A(nr, fn) [SLOT(NR_##nr)] = fn,
#include "syscall_files.h"
#undef F
#undef A
};
#undef S

static u8 reported[NR_MAX / 8];

long syscall_enosys(u64 nr)
{
	if (nr >= NR_MAX || !(reported[nr / 8] & (1 << (nr % 8)))) {
		kprintf(
		    "unikernel: system call %s (%lu) is not in the runtime%s: returning ENOSYS\n",
		    call_name(nr) ? call_name(nr) : "unknown", nr,
		    is_net_call(nr) ? " (this image has no network stack: its program "
				      "links no socket functions)"
				    : "");
		if (nr < NR_MAX)
			reported[nr / 8] |= 1 << (nr % 8);
	}
	return -ENOSYS;
}

static long dispatch(u64 nr, const struct trap_frame *f)
{
	long ret, i = slot_of(nr);

	syscall_count++;
	if (syscall_trace && (nr == NR_exit || nr == NR_exit_group))
		strace_call(call_name(nr), nr, f, 0, false); /* they do not return */
	if (i >= 0 && table[i]) {
		ret = table[i]((long)f->rdi, (long)f->rsi, (long)f->rdx, (long)f->r10, (long)f->r8,
			       (long)f->r9);
	} else {
		ret = syscall_enosys(nr);
	}
	if (syscall_trace)
		strace_call(call_name(nr), nr, f, ret, true);
	return ret;
}

/* Calls an interrupted wait of which SA_RESTART asks a new start (Linux's
 * -ERESTARTSYS class); sleeps, poll/select/epoll and the signal waits
 * return EINTR instead. */
static bool restartable(u64 nr, const struct trap_frame *f)
{
	switch (nr) {
	case NR_read:
	case NR_readv:
	case NR_write:
	case NR_writev:
	case NR_pread64:
	case NR_preadv:
	case NR_ioctl:
	case NR_accept:
	case NR_accept4:
	case NR_recvfrom:
	case NR_recvmsg:
	case NR_sendto:
	case NR_sendmsg:
	case NR_wait4:
	case NR_flock:
	case NR_fcntl: return true;
	case NR_futex: return (f->rsi & 127) != 0 && (f->rsi & 127) != 9 ? true : !f->r10;
	default: return false;
	}
}

/* Sets f up to make system call nr again when the program resumes. */
static bool restart(struct trap_frame *f, u64 nr)
{
	u64 len = f->vector == FRAME_DIRECT ? 6 : 2;
	const u8 *at = (const u8 *)(f->rip - len);

	if (!vm_check(at, len, false) || vm_populate((u64)at, f->rip))
		return false;
	if (len == 2 ? at[0] != 0x0f || at[1] != 0x05 : at[0] != 0xff || at[1] != 0x15)
		return false; /* not the instruction we expect: EINTR it is */
	f->rip -= len;
	f->rax = nr;
	return true;
}

void syscall_handle(struct trap_frame *f)
{
	u64 nr = f->rax;
	long ret;

	cur_thread->uframe = f;
	ret = dispatch(nr, f);
	if (nr == NR_rt_sigreturn)
		return; /* f is the interrupted context, rax included */
	if (ret == -EINTR) {
		/* A signal interrupted the call: restarted after its handler when
		 * it asks for that, or at once when none is left to act on (it went
		 * to another thread, or was ignored meanwhile). */
		int sig = signal_next(cur_thread);

		if ((!sig || (restartable(nr, f) && signal_restarts(sig))) && restart(f, nr))
			return;
	}
	f->rax = (u64)ret;
}
