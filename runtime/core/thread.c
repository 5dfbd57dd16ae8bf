/* thread.c - thread objects: their memory, the list of live threads, and
 * the end of a thread (thread.h).
 *
 * Each thread is one block of contiguous frames: the struct, its FPU save
 * area, then its kernel stack up to the block's end.  Blocks of exited
 * threads are kept on a free list and reused (contiguous frames are never
 * returned to the frame allocator).
 */
#include "errno.h"
#include "mm.h"
#include "runtime.h"
#include "signal.h"
#include "syscall.h"
#include "thread.h"

struct thread *thread_list;
int thread_count;
static struct thread *free_blocks;
static int next_tid = 1;

static u64 block_pages(void)
{
	u64 head = ALIGN_UP(sizeof(struct thread), 64) + fpu_state_size() + 64;

	return ALIGN_UP(head, PAGE_SIZE) / PAGE_SIZE + KSTACK_SIZE / PAGE_SIZE;
}

struct thread *thread_alloc(void)
{
	u64 pages = block_pages(), pa;
	struct thread *t;

	if (free_blocks) {
		t = free_blocks;
		free_blocks = t->all_next;
		pa = t->block_pa;
		memset(t, 0, pages * PAGE_SIZE - KSTACK_SIZE);
	} else {
		pa = frames_alloc_contig(pages);
		if (!pa)
			return NULL;
		t = phys_to_virt(pa);
	}
	t->block_pa = pa;
	t->block_pages = pages;
	t->fpu = (u8 *)t + ALIGN_UP(sizeof(struct thread), 64);
	t->kstack_top = (u64)t + pages * PAGE_SIZE;
	t->tid = next_tid++;
	t->state = T_RUNNABLE;
	t->ss_flags = 2; /* SS_DISABLE */
	thread_stack_mark(t);
	t->all_next = thread_list;
	thread_list = t;
	thread_count++;
	return t;
}

void thread_free(struct thread *t)
{
	t->all_next = free_blocks;
	free_blocks = t;
}

void thread_init(void)
{
	struct thread *t = thread_alloc();

	if (!t)
		panic("no memory for the first thread's kernel stack");
	/* The state the program starts with, for the first switch away. */
	fpu_reset();
	fpu_save(t->fpu);
	cur_thread = t;
	cur_kstack_top = t->kstack_top;
	t->slice_start_ns = 0;
}

struct thread *thread_find(int tid)
{
	for (struct thread *t = thread_list; t; t = t->all_next)
		if (t->tid == tid)
			return t;
	return NULL;
}

#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu
#define ROBUST_LIST_LIMIT 2048

/* One robust futex the dying thread may hold: marked OWNER_DIED, and a
 * waiter woken, as Linux's handle_futex_death does. */
static void robust_release(u64 uaddr, int tid)
{
	u32 v;

	if ((uaddr & 3) || !user_ok((long)uaddr, 4, true))
		return;
	v = *(volatile u32 *)uaddr;
	if ((v & FUTEX_TID_MASK) != (u32)tid)
		return;
	*(volatile u32 *)uaddr = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (v & FUTEX_WAITERS)
		futex_wake(uaddr, 1, ~0u);
}

/* struct robust_list_head { next; long futex_offset; list_op_pending }. */
static void robust_exit(struct thread *t)
{
	u64 head = t->robust_head, entry, pending;
	s64 off;

	if (!head || !user_ok((long)head, 24, false))
		return;
	entry = ((const u64 *)head)[0];
	off = ((const s64 *)head)[1];
	pending = ((const u64 *)head)[2] & ~1UL;
	for (int n = 0; entry != head && n < ROBUST_LIST_LIMIT; n++) {
		u64 next;

		entry &= ~1UL; /* bit 0: a PI futex */
		if (!entry || !user_ok((long)entry, 8, false))
			break;
		next = *(const u64 *)entry;
		if (entry != pending)
			robust_release(entry + (u64)off, t->tid);
		entry = next;
	}
	if (pending)
		robust_release(pending + (u64)off, t->tid);
}

void thread_exit(int status)
{
	struct thread *t = cur_thread;

	if (thread_count == 1)
		runtime_exit(status);
	robust_exit(t);
	futex_pi_exit(t->tid);
	if (t->clear_tid && !(t->clear_tid & 3) && user_ok((long)t->clear_tid, 4, true)) {
		*(volatile u32 *)t->clear_tid = 0;
		futex_wake(t->clear_tid, 1, ~0u);
	}
	for (struct thread **p = &thread_list; *p; p = &(*p)->all_next) {
		if (*p == t) {
			*p = t->all_next;
			break;
		}
	}
	thread_count--;
	t->state = T_DEAD;
	schedule();
	panic("thread %d ran after its exit", t->tid);
}
