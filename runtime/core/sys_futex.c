/* sys_futex.c - futexes: WAIT/WAKE (with bitsets), REQUEUE, CMP_REQUEUE,
 * WAKE_OP, timeouts relative (FUTEX_WAIT) or absolute (WAIT_BITSET, on
 * CLOCK_MONOTONIC or with FUTEX_CLOCK_REALTIME).
 *
 * One address space and one CPU: a futex is its user address (private and
 * shared ones alike), and "check the word, then sleep" is atomic because
 * the runtime is not preempted.  Waiters hang in one of 64 lists by
 * address.  The PI operations are not implemented (ENOSYS).
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
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define BUCKETS 64
#define NSEC 1000000000L

static struct thread *buckets[BUCKETS];

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

	if ((a1 & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	if (uaddr & 3)
		return -EINVAL;
	if (!user_ok(a0, 4, false))
		return -EFAULT;
	switch (cmd) {
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
