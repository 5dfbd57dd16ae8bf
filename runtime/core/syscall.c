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
#include "syscall_slots.h"
#include "thread.h"
#include "arch.h"

typedef long (*syscall_fn)(long, long, long, long, long, long);

bool syscall_trace;
u64 syscall_count;

/* The tables' slots (syscall_slots.h); a number in the gap makes an index
 * the compiler refuses. */
#define GAP_LO SYSCALL_GAP_LO
#define GAP_HI SYSCALL_GAP_HI
#define SLOT(nr) ((nr) < GAP_LO ? (nr) : (nr) >= GAP_HI ? (nr) - (GAP_HI - GAP_LO) : -1)
#define NR_SLOTS SLOT(NR_MAX)

/* The slot of call nr, or -1 for a number no call has. */
static long slot_of(u64 nr)
{
	return nr < GAP_LO		     ? (long)nr
	       : nr >= GAP_HI && nr < NR_MAX ? (long)nr - (GAP_HI - GAP_LO)
					     : -1;
}

/* The image's table (compilers/common/syscall_set.c writes it from
 * syscall_table.h): an entry for each call its program can make, the
 * function serving it (NULL: ENOSYS) and its name, found through a 16-bit
 * index per slot (the entry + 1; 0: the image cannot make the call, and
 * does not know its name either). */
struct syscall_entry {
	syscall_fn fn;
	const char *name;
};
extern const struct syscall_entry unik_syscall_calls[];
extern const u16 unik_syscall_index[NR_SLOTS];

static const struct syscall_entry *entry_of(u64 nr)
{
	long i = slot_of(nr);

	return i >= 0 && unik_syscall_index[i] ? &unik_syscall_calls[unik_syscall_index[i] - 1]
					       : NULL;
}

static const char *call_name(u64 nr)
{
	const struct syscall_entry *e = entry_of(nr);

	return e ? e->name : NULL;
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

/* The calls of the runtime that the image leaves out (one bit per
 * number), written with the table. */
extern const u8 unik_syscall_omitted[NR_MAX / 8];

static u8 reported[NR_MAX / 8];

long syscall_enosys(u64 nr)
{
	if (nr >= NR_MAX || !(reported[nr / 8] & (1 << (nr % 8)))) {
		bool omitted = nr < NR_MAX && (unik_syscall_omitted[nr / 8] & (1 << (nr % 8)));
		const char *name = call_name(nr); /* NULL: a call the image cannot make */

		kprintf("unikernel: system call %s%s%lu%s is not in %s%s: returning ENOSYS\n",
			name ? name : "number ", name ? " (" : "", nr, name ? ")" : "",
			omitted ? "this image" : "the runtime",
			is_net_call(nr) ? " (this image has no network stack: its program "
					  "links no socket functions)"
			: omitted	? " (its program's C library never makes it)"
					: "");
		if (nr < NR_MAX)
			reported[nr / 8] |= 1 << (nr % 8);
	}
	return -ENOSYS;
}

static __attribute__((noinline)) long dispatch(u64 nr, const struct trap_frame *f)
{
	const struct syscall_entry *e = entry_of(nr);
	long ret;

	syscall_count++;
	if (syscall_trace && (nr == NR_exit || nr == NR_exit_group))
		strace_call(e ? e->name : NULL, nr, f, 0, false); /* they do not return */
	if (e && e->fn) {
		ret = e->fn((long)f->rdi, (long)f->rsi, (long)f->rdx, (long)f->r10, (long)f->r8,
			    (long)f->r9);
	} else {
		ret = syscall_enosys(nr);
	}
	if (syscall_trace)
		strace_call(e ? e->name : NULL, nr, f, ret, true);
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

/* What follows a call that returned -EINTR or was rt_sigreturn (out of
 * line: the common call never needs it). */
static __attribute__((noinline)) void syscall_finish(struct trap_frame *f, u64 nr, long ret)
{
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

/* The common call first (a number below the table's gap, served by a
 * function, no tracing): the table's entry found and called with no
 * further check; everything else goes through dispatch(). */
void syscall_handle(struct trap_frame *f)
{
	u64 nr = f->rax;
	long ret;

	cur_thread->uframe = f;
	if (__builtin_expect(nr < GAP_LO && !syscall_trace, 1)) {
		unsigned i = unik_syscall_index[nr];
		syscall_fn fn = i ? unik_syscall_calls[i - 1].fn : NULL;

		if (__builtin_expect(fn != NULL, 1)) {
			syscall_count++;
			ret = fn((long)f->rdi, (long)f->rsi, (long)f->rdx, (long)f->r10,
				 (long)f->r8, (long)f->r9);
			if (__builtin_expect(ret != -EINTR && nr != NR_rt_sigreturn, 1)) {
				f->rax = (u64)ret;
				return;
			}
			syscall_finish(f, nr, ret);
			return;
		}
	}
	syscall_finish(f, nr, dispatch(nr, f));
}
