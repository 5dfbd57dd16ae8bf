/* sys_thread.c - threads: clone (CLONE_THREAD), exit, exit_group, tids,
 * the thread pointer, robust futex lists, yielding and CPU affinity. */
#include "errno.h"
#include "runtime.h"
#include "syscall.h"
#include "thread.h"

#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_VFORK 0x4000
#define CLONE_THREAD 0x10000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define CLONE_CHILD_SETTID 0x1000000
#define CLONE_NAMESPACES 0x7e020000L /* CLONE_NEWNS, NEWCGROUP ... NEWNET */
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

static u64 gs_base;

/* clone(flags, stack, parent_tid, child_tid, tls): a thread of this
 * process.  The child resumes where the parent called, with %rax = 0 and
 * %rsp = stack (the parent's when 0), every other register the parent's. */
SYSCALL(clone)
{
	struct thread *parent = cur_thread, *t;
	struct trap_frame *cf;
	u64 flags = (u64)a0, ptid = (u64)a2, ctid = (u64)a3;
	static bool said;

	if (!(flags & CLONE_VM) || !(flags & CLONE_THREAD) || (flags & CLONE_VFORK)) {
		if (!said)
			kprintf(
			    "unikernel: clone without CLONE_VM|CLONE_THREAD (a new process: fork, "
			    "vfork, posix_spawn) is not supported: a unikernel runs one "
			    "program; returning ENOSYS\n");
		said = true;
		return -ENOSYS;
	}
	if (!(flags & CLONE_SIGHAND) || (flags & CLONE_NAMESPACES))
		return -EINVAL;
	if ((flags & CLONE_PARENT_SETTID) && !user_ok((long)ptid, 4, true))
		return -EFAULT;
	if ((flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) && !user_ok((long)ctid, 4, true))
		return -EFAULT;
	t = thread_alloc();
	if (!t)
		return -EAGAIN;
	cf = (struct trap_frame *)(t->kstack_top - sizeof(*cf));
	*cf = *parent->uframe;
	cf->rax = 0;
	if (a1)
		cf->rsp = (u64)a1;
	t->fs_base = flags & CLONE_SETTLS ? (u64)a4 : parent->fs_base;
	t->sig_blocked = parent->sig_blocked;
	t->clear_tid = flags & CLONE_CHILD_CLEARTID ? ctid : 0;
	fpu_save(t->fpu); /* the parent's registers, as Linux copies them */
	t->ksp = arch_thread_stack(t->kstack_top);
	if (flags & CLONE_PARENT_SETTID)
		*(volatile u32 *)ptid = (u32)t->tid;
	if (flags & CLONE_CHILD_SETTID)
		*(volatile u32 *)ctid = (u32)t->tid;
	sched_start(t);
	return t->tid;
}

SYSCALL(exit)
{
	thread_exit((int)(a0 & 0xff));
}

SYSCALL(exit_group)
{
	runtime_exit((int)(a0 & 0xff));
}

SYSCALL(set_tid_address)
{
	cur_thread->clear_tid = (u64)a0;
	return cur_thread->tid;
}

SYSCALL(gettid)
{
	return cur_thread->tid;
}

SYSCALL(arch_prctl)
{
	switch (a0) {
	case ARCH_SET_FS:
		if ((u64)a1 >> 47)
			return -EPERM; /* not a program address */
		cur_thread->fs_base = (u64)a1;
		cpu_set_fs((u64)a1);
		return 0;
	case ARCH_GET_FS:
		if (!user_ok(a1, 8, true))
			return -EFAULT;
		*(u64 *)a1 = cur_thread->fs_base;
		return 0;
	case ARCH_SET_GS:
		/* %gs stays the runtime's; the value is kept for ARCH_GET_GS. */
		gs_base = (u64)a1;
		return 0;
	case ARCH_GET_GS:
		if (!user_ok(a1, 8, true))
			return -EFAULT;
		*(u64 *)a1 = gs_base;
		return 0;
	default: return -EINVAL;
	}
}

/* set_robust_list(head, len): released at the thread's exit (thread.c). */
SYSCALL(set_robust_list)
{
	if (a1 != 24)
		return -EINVAL;
	cur_thread->robust_head = (u64)a0;
	cur_thread->robust_len = (u64)a1;
	return 0;
}

SYSCALL(get_robust_list)
{
	struct thread *t = a0 ? thread_find((int)a0) : cur_thread;

	if (!t)
		return -ESRCH;
	if (!user_ok(a1, 8, true) || !user_ok(a2, 8, true))
		return -EFAULT;
	*(u64 *)a1 = t->robust_head;
	*(u64 *)a2 = 24;
	return 0;
}

SYSCALL(sched_yield)
{
	sched_yield_now();
	return 0;
}

/* One CPU, number 0. */
SYSCALL(sched_getaffinity)
{
	if (a1 < 8 || (a1 & 7))
		return -EINVAL;
	if (a0 && !thread_find((int)a0))
		return -ESRCH;
	if (!user_ok(a2, (u64)a1, true))
		return -EFAULT;
	memset((void *)a2, 0, (size_t)a1);
	*(u64 *)a2 = 1;
	return 8;
}

SYSCALL(sched_setaffinity)
{
	if (a1 <= 0)
		return -EINVAL;
	if (a0 && !thread_find((int)a0))
		return -ESRCH;
	if (!user_ok(a2, 1, false))
		return -EFAULT;
	return (*(const u8 *)a2 & 1) ? 0 : -EINVAL;
}
