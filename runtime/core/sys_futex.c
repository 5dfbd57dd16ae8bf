/* sys_futex.c - futexes: WAIT/WAKE (with bitsets), REQUEUE, CMP_REQUEUE,
 * WAKE_OP, timeouts relative (FUTEX_WAIT) or absolute (WAIT_BITSET, on
 * CLOCK_MONOTONIC or with FUTEX_CLOCK_REALTIME).
 *
 * One address space and one CPU: a futex is its user address (private and
 * shared ones alike), and "check the word, then sleep" is atomic because
 * the runtime is not preempted.  Waiters hang in one of 64 lists by
 * address.
 *
 * Priority-inheritance locks (LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI: what
 * musl and glibc use for PTHREAD_PRIO_INHERIT mutexes) follow Linux's word
 * protocol: the word holds the owner's tid, FUTEX_WAITERS while someone
 * sleeps in the kernel, FUTEX_OWNER_DIED once an owner exited holding it.
 * A contended lock sets FUTEX_WAITERS (so the owner's unlock must come
 * here) and waits; UNLOCK_PI hands the lock to the longest waiter by
 * writing its tid into the word.  All threads have the same priority on
 * the one vCPU, so there is nothing to boost: the order is FIFO.  An owner
 * that exits holding a lock that has waiters hands it over with
 * FUTEX_OWNER_DIED (futex_pi_exit).  WAIT_REQUEUE_PI / CMP_REQUEUE_PI (PI
 * condition variables) return ENOSYS: neither musl nor glibc (since 2.25)
 * issue them.
 */
#include "errno.h"
#include "syscall.h"
#include "thread.h"
#include "../platform/platform.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_LOCK_PI2 13
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define BUCKETS 64
#define NSEC 1000000000L

static struct thread *buckets[BUCKETS];
/* How many threads wait in LOCK_PI (futex_pi_exit has nothing to do at 0). */
static int pi_waiters;

static struct thread **bucket(u64 uaddr)
{
	return &buckets[(uaddr >> 2) % BUCKETS];
}

static void enqueue(struct thread *t, u64 uaddr)
{
	struct thread **p = bucket(uaddr);

	t->futex_addr = uaddr;
	while (*p)
		p = &(*p)->futex_next; /* FIFO: the longest waiter is woken first */
	t->futex_next = NULL;
	*p = t;
}

static bool dequeue(struct thread *t)
{
	for (struct thread **p = bucket(t->futex_addr); *p; p = &(*p)->futex_next) {
		if (*p == t) {
			*p = t->futex_next;
			t->futex_addr = 0;
			return true;
		}
	}
	return false;
}

int futex_wake(u64 uaddr, int n, u32 bitset)
{
	struct thread **p = bucket(uaddr);
	int woken = 0;

	while (*p && woken < n) {
		struct thread *t = *p;

		if (t->futex_addr == uaddr && (t->futex_bitset & bitset)) {
			*p = t->futex_next;
			t->futex_addr = 0;
			t->futex_woken = true;
			sched_unblock(t, 0);
			woken++;
		} else {
			p = &t->futex_next;
		}
	}
	return woken;
}

static long futex_wait(u64 uaddr, u32 val, u64 deadline, u32 bitset)
{
	struct thread *t = cur_thread;
	long rc;

	if (!bitset)
		return -EINVAL;
	if (*(volatile u32 *)uaddr != val)
		return -EAGAIN;
	t->futex_bitset = bitset;
	t->futex_woken = false;
	enqueue(t, uaddr);
	rc = sched_block(deadline, "futex wait");
	if (t->futex_addr)
		dequeue(t);
	if (t->futex_woken)
		return 0;
	return rc;
}

/* Wakes n1 waiters of uaddr and moves up to n2 more to uaddr2. */
static long futex_requeue(u64 uaddr, int n1, u64 uaddr2, int n2)
{
	struct thread **p = bucket(uaddr);
	long woken = futex_wake(uaddr, n1, ~0u), moved = 0;

	while (*p && moved < n2) {
		struct thread *t = *p;

		if (t->futex_addr == uaddr) {
			*p = t->futex_next;
			enqueue(t, uaddr2);
			moved++;
		} else {
			p = &t->futex_next;
		}
	}
	return woken + moved;
}

/* FUTEX_WAKE_OP: *uaddr2 = op(*uaddr2, oparg); wake n1 on uaddr, and n2
 * on uaddr2 when the old value passes the comparison. */
static long futex_wake_op(u64 uaddr, int n1, u64 uaddr2, int n2, u32 enc)
{
	u32 op = (enc >> 28) & 7, cmp = (enc >> 24) & 15;
	s32 oparg = (s32)(enc << 8) >> 20, cmparg = (s32)(enc << 20) >> 20, old, nw;
	bool hit;
	long woken;

	if (enc & (8u << 28))
		oparg = (oparg < 0 || oparg > 31) ? 0 : (s32)(1u << oparg);
	if (!user_ok((long)uaddr2, 4, true) || (uaddr2 & 3))
		return -EFAULT;
	old = *(volatile s32 *)uaddr2;
	switch (op) {
	case 0: nw = oparg; break; /* SET */
	case 1: nw = (s32)((u32)old + (u32)oparg); break; /* ADD */
	case 2: nw = old | oparg; break; /* OR */
	case 3: nw = old & ~oparg; break; /* ANDN */
	case 4: nw = old ^ oparg; break; /* XOR */
	default: return -ENOSYS;
	}
	switch (cmp) {
	case 0: hit = old == cmparg; break;
	case 1: hit = old != cmparg; break;
	case 2: hit = old < cmparg; break;
	case 3: hit = old <= cmparg; break;
	case 4: hit = old > cmparg; break;
	case 5: hit = old >= cmparg; break;
	default: return -ENOSYS;
	}
	*(volatile s32 *)uaddr2 = nw;
	woken = futex_wake(uaddr, n1, ~0u);
	if (hit)
		woken += futex_wake(uaddr2, n2, ~0u);
	return woken;
}

/* The first thread waiting in LOCK_PI on uaddr, and whether another one
 * waits after it. */
static struct thread *pi_first(u64 uaddr, bool *more)
{
	struct thread *first = NULL;

	*more = false;
	for (struct thread *t = *bucket(uaddr); t; t = t->futex_next) {
		if (t->futex_addr != uaddr || !t->futex_pi)
			continue;
		if (first) {
			*more = true;
			break;
		}
		first = t;
	}
	return first;
}

/* Gives the PI lock at uaddr to its longest waiter (the word becomes its
 * tid, with `keep` bits and FUTEX_WAITERS when more wait); false when
 * nobody waits. */
static bool pi_handoff(u64 uaddr, u32 keep)
{
	bool more;
	struct thread *t = pi_first(uaddr, &more);

	if (!t)
		return false;
	*(volatile u32 *)uaddr = (u32)t->tid | keep | (more ? FUTEX_WAITERS : 0);
	dequeue(t);
	t->futex_woken = true;
	sched_unblock(t, 0);
	return true;
}

/* Takes the lock when its word has no live owner: 1 taken, 0 held by a
 * live thread, or an error (-EDEADLK: held by the caller; -ESRCH: the
 * owner's tid is no thread's and it did not die holding it). */
static long pi_try(u64 uaddr)
{
	volatile u32 *w = (volatile u32 *)uaddr;
	u32 v = *w, owner = v & FUTEX_TID_MASK;
	bool more;

	if (owner == (u32)cur_thread->tid)
		return -EDEADLK;
	if (owner && thread_find((int)owner))
		return 0;
	if (owner && !(v & FUTEX_OWNER_DIED))
		return -ESRCH;
	/* Free, or its owner died: keep OWNER_DIED for the program to see. */
	*w = (u32)cur_thread->tid | (v & FUTEX_OWNER_DIED) |
	     (pi_first(uaddr, &more) ? FUTEX_WAITERS : 0);
	return 1;
}

static long futex_lock_pi(u64 uaddr, u64 deadline)
{
	struct thread *t = cur_thread;
	long rc;

	for (;;) {
		rc = pi_try(uaddr);
		if (rc)
			return rc < 0 ? rc : 0;
		*(volatile u32 *)uaddr |= FUTEX_WAITERS;
		t->futex_bitset = ~0u;
		t->futex_woken = false;
		t->futex_pi = true;
		enqueue(t, uaddr);
		pi_waiters++;
		rc = sched_block(deadline, "futex lock_pi");
		pi_waiters--;
		t->futex_pi = false;
		if (t->futex_addr)
			dequeue(t);
		if ((*(volatile u32 *)uaddr & FUTEX_TID_MASK) == (u32)t->tid)
			return 0; /* handed over by UNLOCK_PI or an owner's exit */
		if (!t->futex_woken) { /* timed out or a signal: leave the word right */
			bool more;

			if (!pi_first(uaddr, &more))
				*(volatile u32 *)uaddr &= ~FUTEX_WAITERS;
			return rc;
		}
		/* Woken otherwise (a robust owner's exit freed the word): try again. */
	}
}

static long futex_unlock_pi(u64 uaddr)
{
	volatile u32 *w = (volatile u32 *)uaddr;

	if ((*w & FUTEX_TID_MASK) != (u32)cur_thread->tid)
		return -EPERM;
	if (!pi_handoff(uaddr, 0))
		*w = 0;
	return 0;
}

void futex_pi_exit(int tid)
{
	bool again = pi_waiters > 0;

	while (again) { /* each handoff changes a list: walk them again */
		again = false;
		for (int b = 0; b < BUCKETS && !again; b++) {
			for (struct thread *t = buckets[b]; t; t = t->futex_next) {
				if (!t->futex_pi || !user_ok((long)t->futex_addr, 4, true))
					continue; /* (the program may have unmapped it since) */
				if ((*(volatile u32 *)t->futex_addr & FUTEX_TID_MASK) == (u32)tid) {
					again = pi_handoff(t->futex_addr, FUTEX_OWNER_DIED);
					break;
				}
			}
		}
	}
}

/* The monotonic deadline of a wait's timeout (SCHED_FOREVER: none). */
static long deadline_of(long uts, int cmd, bool realtime, u64 *out)
{
	const s64 *ts = (const s64 *)uts;
	s64 ns, now;

	*out = SCHED_FOREVER;
	if (!uts)
		return 0;
	if (!user_ok(uts, 16, false))
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= NSEC)
		return -EINVAL;
	ns = ts[0] > (s64)(~0UL >> 2) / NSEC ? (s64)(~0UL >> 2) : ts[0] * NSEC + ts[1];
	if (cmd == FUTEX_WAIT) { /* relative, whatever the clock flag says */
		*out = plat_monotonic_ns() + (u64)ns;
		return 0;
	}
	now = realtime ? (s64)plat_wall_ns() : (s64)plat_monotonic_ns();
	*out = plat_monotonic_ns() + (ns > now ? (u64)(ns - now) : 0);
	return 0;
}

SYSCALL(futex)
{
	int cmd = (int)(a1 & FUTEX_CMD_MASK);
	u64 uaddr = (u64)a0, deadline;
	long rc;

	if ((a1 & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET &&
	    cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	if (uaddr & 3)
		return -EINVAL;
	if (!user_ok(a0, 4,
		     cmd >= FUTEX_LOCK_PI && (cmd <= FUTEX_TRYLOCK_PI || cmd == FUTEX_LOCK_PI2)))
		return -EFAULT;
	switch (cmd) {
	case FUTEX_LOCK_PI: /* an absolute CLOCK_REALTIME timeout */
	case FUTEX_LOCK_PI2: /* absolute, CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME */
		rc = deadline_of(a3, cmd, cmd == FUTEX_LOCK_PI || (a1 & FUTEX_CLOCK_REALTIME),
				 &deadline);
		if (rc)
			return rc;
		return futex_lock_pi(uaddr, deadline);
	case FUTEX_TRYLOCK_PI: {
		long r = pi_try(uaddr);

		return r ? (r < 0 ? r : 0) : -EAGAIN;
	}
	case FUTEX_UNLOCK_PI: return futex_unlock_pi(uaddr);
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		rc = deadline_of(a3, cmd, a1 & FUTEX_CLOCK_REALTIME, &deadline);
		if (rc)
			return rc;
		return futex_wait(uaddr, (u32)a2, deadline, cmd == FUTEX_WAIT ? ~0u : (u32)a5);
	case FUTEX_WAKE: return futex_wake(uaddr, (int)MIN((u64)(u32)a2, 0x7fffffffUL), ~0u);
	case FUTEX_WAKE_BITSET:
		if (!(u32)a5)
			return -EINVAL;
		return futex_wake(uaddr, (int)MIN((u64)(u32)a2, 0x7fffffffUL), (u32)a5);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		if ((s32)a2 < 0 || (s32)a3 < 0)
			return -EINVAL;
		if ((a4 & 3) || !user_ok(a4, 4, false))
			return a4 & 3 ? -EINVAL : -EFAULT;
		if (cmd == FUTEX_CMP_REQUEUE && *(volatile u32 *)uaddr != (u32)a5)
			return -EAGAIN;
		return futex_requeue(uaddr, (int)a2, (u64)a4, (int)a3);
	case FUTEX_WAKE_OP: return futex_wake_op(uaddr, (int)a2, (u64)a4, (int)a3, (u32)a5);
	default: return -ENOSYS;
	}
}
