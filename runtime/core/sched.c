/* sched.c - the scheduler: run queues, blocking, deadlines, the idle loop
 * and the preemption timer (sched.h).
 *
 * Two FIFO queues: threads just woken (or new) run first, so a thread that
 * waited for I/O answers quickly; threads preempted or yielding queue
 * behind them, but one that has waited a whole slice goes before any woken
 * thread, so nothing starves.  A running thread keeps the CPU until it
 * blocks, yields, or its slice (SLICE_NS) ends while another is runnable;
 * a wakeup takes the CPU from a thread that has already run WAKE_GRAN_NS.
 */
#include "blk.h"
#include "errno.h"
#include "netstack.h"
#include "signal.h"
#include "syscall.h"
#include "thread.h"
#include "../platform/platform.h"

#define SLICE_NS 10000000UL /* 10 ms */
#define WAKE_GRAN_NS 1000000UL /* 1 ms */
#define NET_TICK_NS 10000000UL /* network polling while threads run */
#define KSTACK_CANARY 0x6b7374636b636e79UL

struct thread *cur_thread;
volatile u8 sched_irq_pending;
static volatile u8 irq_timer, irq_net, irq_io, irq_stop;

static struct thread *wakeq_head, *wakeq_tail, *runq_head, *runq_tail;
static struct thread *waiters; /* in sched_wait() */
static struct sched_timer *timers; /* armed, by deadline */
static bool need_resched, wake_pending;
static u64 timer_armed = SCHED_FOREVER, last_net_poll;
static u64 last_now; /* the clock as the scheduler last read it */
static struct thread *zombie;

void sched_irq_timer(void)
{
	irq_timer = 1;
	sched_irq_pending = 1;
}

void sched_irq_net(void)
{
	irq_net = 1;
	sched_irq_pending = 1;
}

void sched_irq_io(void)
{
	irq_io = 1;
	sched_irq_pending = 1;
}

void sched_irq_stop(void)
{
	irq_stop = 1;
	sched_irq_pending = 1;
}

/* --- queues ----------------------------------------------------------------- */

static void push(struct thread **head, struct thread **tail, struct thread *t)
{
	t->run_next = NULL;
	if (*tail)
		(*tail)->run_next = t;
	else
		*head = t;
	*tail = t;
}

static struct thread *pop(struct thread **head, struct thread **tail)
{
	struct thread *t = *head;

	if (t) {
		*head = t->run_next;
		if (!*head)
			*tail = NULL;
	}
	return t;
}

static bool others_runnable(void)
{
	return wakeq_head || runq_head;
}

static struct thread *pick(u64 now)
{
	if (runq_head && (!wakeq_head || (now > runq_head->enqueued_ns &&
					  now - runq_head->enqueued_ns >= SLICE_NS)))
		return pop(&runq_head, &runq_tail);
	return pop(&wakeq_head, &wakeq_tail);
}

/* --- deadlines -------------------------------------------------------------- */

void sched_timer_add(struct sched_timer *tm, u64 deadline_ns)
{
	struct sched_timer **p = &timers;

	if (tm->armed)
		sched_timer_del(tm);
	tm->deadline = deadline_ns;
	while (*p && (*p)->deadline <= deadline_ns)
		p = &(*p)->next;
	tm->next = *p;
	*p = tm;
	tm->armed = true;
}

void sched_timer_del(struct sched_timer *tm)
{
	for (struct sched_timer **p = &timers; *p; p = &(*p)->next) {
		if (*p == tm) {
			*p = tm->next;
			break;
		}
	}
	tm->armed = false;
}

static void run_timers(u64 now)
{
	while (timers && timers->deadline <= now) {
		struct sched_timer *tm = timers;

		timers = tm->next;
		tm->armed = false;
		tm->fn(tm);
	}
}

/* Arms the platform's one-shot timer for what the running program needs:
 * the end of its slice when another thread waits for the CPU, the next
 * deadline, a network poll while threads wait on the network (or on
 * console input, which only the idle wait sees arrive otherwise).  Never
 * re-armed for a later time than already armed (an early tick is cheap). */
static void timer_program(void)
{
	u64 need = timers ? timers->deadline : SCHED_FOREVER;

	if (others_runnable())
		need = MIN(need, cur_thread->slice_start_ns + SLICE_NS);
	if (waiters && (netstack_active() || console_in_wanted()))
		need = MIN(need, last_net_poll + NET_TICK_NS);
	if (need < timer_armed && platform->timer_set) {
		timer_armed = need;
		platform->timer_set(need);
	}
}

/* --- blocking --------------------------------------------------------------- */

static void block_timeout(struct sched_timer *tm)
{
	struct thread *t = (struct thread *)((u8 *)tm - __builtin_offsetof(struct thread, timeout));

	sched_unblock(t, -ETIMEDOUT);
}

void sched_unblock(struct thread *t, long result)
{
	if (t->state != T_BLOCKED)
		return;
	t->state = T_RUNNABLE;
	t->wake_result = result;
	t->enqueued_ns = 0;
	push(&wakeq_head, &wakeq_tail, t);
	if (cur_thread->state == T_RUNNABLE && t != cur_thread && !need_resched &&
	    plat_monotonic_ns() - cur_thread->slice_start_ns >= WAKE_GRAN_NS)
		need_resched = true;
}

void sched_start(struct thread *t)
{
	t->state = T_BLOCKED;
	sched_unblock(t, 0);
}

long sched_block(u64 deadline_ns, const char *what)
{
	struct thread *t = cur_thread;

	if (!t->wait_noint && signal_interrupts(t))
		return -EINTR;
	t->state = T_BLOCKED;
	t->wake_result = 0;
	t->wait_what = what;
	t->timeout.fn = block_timeout;
	if (deadline_ns != SCHED_FOREVER)
		sched_timer_add(&t->timeout, deadline_ns);
	schedule();
	if (t->timeout.armed)
		sched_timer_del(&t->timeout);
	return t->wake_result;
}

static void waiter_del(struct thread *t)
{
	for (struct thread **p = &waiters; *p; p = &(*p)->wait_next) {
		if (*p == t) {
			*p = t->wait_next;
			break;
		}
	}
	t->wait_ready = NULL;
}

/* Wakes the sched_wait() waiters whose condition now holds. */
/* The thread whose wait condition check_waiters() evaluates (NULL: the
 * calling thread's own). */
static struct thread *cond_thread;

struct thread *sched_cond_thread(void)
{
	return cond_thread ? cond_thread : cur_thread;
}

static bool waiter_ready(struct thread *t)
{
	bool r;

	cond_thread = t;
	r = t->wait_ready(t->wait_arg);
	cond_thread = NULL;
	return r;
}

static void check_waiters(void)
{
	struct thread **p = &waiters;

	wake_pending = false;
	while (*p) {
		struct thread *t = *p;

		if (t->state == T_BLOCKED && waiter_ready(t)) {
			*p = t->wait_next;
			t->wait_ready = NULL;
			t->wait_done = true;
			sched_unblock(t, 0);
		} else {
			p = &t->wait_next;
		}
	}
}

long sched_wait(sched_ready_fn ready, void *arg, u64 deadline_ns, const char *what)
{
	struct thread *t = cur_thread;

	netstack_poll();
	for (;;) {
		long rc;

		if (ready(arg))
			return 0;
		if (deadline_ns != SCHED_FOREVER && plat_monotonic_ns() >= deadline_ns)
			return -ETIMEDOUT;
		t->wait_ready = ready;
		t->wait_arg = arg;
		t->wait_done = false;
		t->wait_next = waiters;
		waiters = t;
		rc = sched_block(deadline_ns, what);
		if (t->wait_ready)
			waiter_del(t);
		if (t->wait_done)
			return 0;
		if (rc == -ETIMEDOUT)
			return ready(arg) ? 0 : -ETIMEDOUT;
		if (rc)
			return rc;
	}
}

long sched_wait_noint(sched_ready_fn ready, void *arg, u64 deadline_ns, const char *what)
{
	struct thread *t = cur_thread;
	bool old = t->wait_noint;
	long rc;

	t->wait_noint = true;
	do
		rc = sched_wait(ready, arg, deadline_ns, what);
	while (rc && rc != -ETIMEDOUT);
	t->wait_noint = old;
	return rc;
}

void sched_wake(void)
{
	wake_pending = true;
}

/* --- events ----------------------------------------------------------------- */

/* Acts on what interrupts recorded, due deadlines and wakeups.  `idle`:
 * called from the idle loop, where time passed without interrupts. */
static void sched_events(bool idle)
{
	bool timer, net, stop;

	sched_irq_pending = 0;
	timer = __atomic_exchange_n(&irq_timer, 0, __ATOMIC_SEQ_CST);
	net = __atomic_exchange_n(&irq_net, 0, __ATOMIC_SEQ_CST);
	stop = __atomic_exchange_n(&irq_stop, 0, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&irq_io, 0, __ATOMIC_SEQ_CST))
		wake_pending = true; /* a disk transfer ended: its waiter may go on */
	if (stop)
		signal_host_stop();
	if (timer)
		timer_armed = SCHED_FOREVER; /* it fired */
	/* the clock only when something depends on it (a host call on spt) */
	if (timer || (idle && timers) || (net && netstack_active())) {
		u64 now = plat_monotonic_ns();

		last_now = now;
		run_timers(now);
		if (timer && others_runnable() && cur_thread->state == T_RUNNABLE &&
		    now - cur_thread->slice_start_ns >= SLICE_NS)
			need_resched = true;
		if ((timer || net) && netstack_active()) {
			netstack_poll();
			last_net_poll = now;
			wake_pending = true;
		}
		if (timer && waiters && console_in_wanted()) {
			console_in_pump(); /* a reader may go on while others run */
			last_net_poll = now;
			wake_pending = true;
		}
	}
	if (wake_pending && waiters)
		check_waiters();
	wake_pending = false;
}

/* Nothing can run: sleep until the next deadline or an event. */
static void idle(void)
{
	for (;;) {
		u64 deadline;

		wake_pending = true; /* a call just made may have readied a waiter */
		console_in_pump(); /* input that ended the last wait: readers go on */
		sched_events(true);
		if (others_runnable())
			return;
		deadline = timers ? timers->deadline : SCHED_FOREVER;
		if (deadline == SCHED_FOREVER && !netstack_active() && !signal_wait_possible() &&
		    !blk_waiting() && !console_in_wanted())
			panic("%s would block forever: every thread waits and nothing can end the "
			      "waits (no deadline, no network, no SIGTERM handler)",
			      cur_thread->wait_what ? cur_thread->wait_what : "a wait");
		netstack_wait(deadline);
		/* the platform may have used the timer; an interrupt, a frame or
		 * the deadline ended the wait: look at everything again */
		timer_armed = SCHED_FOREVER;
	}
}

/* --- switching -------------------------------------------------------------- */

static void check_stack(const struct thread *t)
{
	const u64 *canary = (const u64 *)(t->kstack_top - KSTACK_SIZE);

	if (*canary != KSTACK_CANARY)
		panic("thread %d overflowed its kernel stack", t->tid);
}

void thread_stack_mark(struct thread *t)
{
	*(u64 *)(t->kstack_top - KSTACK_SIZE) = KSTACK_CANARY;
}

static void reap(void)
{
	if (zombie) {
		thread_free(zombie);
		zombie = NULL;
	}
}

void thread_started(void)
{
	reap();
}

void schedule(void)
{
	struct thread *prev = cur_thread, *next;
	u64 now = 0;

	need_resched = false;
	if (prev->state == T_RUNNABLE) {
		now = last_now = plat_monotonic_ns();
		prev->enqueued_ns = now;
		push(&runq_head, &runq_tail, prev);
	}
	while (!(next = pick(now ? now : last_now))) {
		idle();
		now = 0;
	}
	if (next == prev) {
		/* woken from its own wait: its slice starts now, about when the
		 * idle loop last looked at the clock */
		prev->slice_start_ns = now ? now : last_now;
		return;
	}
	next->slice_start_ns = now ? now : (last_now = plat_monotonic_ns());
	check_stack(prev);
	if (prev->state != T_DEAD)
		fpu_save(prev->fpu);
	else
		zombie = prev;
	fpu_restore(next->fpu);
	if (next->fs_base != cpu_get_fs())
		cpu_set_fs(next->fs_base);
	cur_kstack_top = next->kstack_top;
	cur_thread = next;
	arch_switch(&prev->ksp, next->ksp);
	reap();
}

void sched_yield_now(void)
{
	if (others_runnable())
		schedule();
}

static __attribute__((noinline)) void exit_to_user_slow(struct trap_frame *f)
{
	struct thread *t;

	for (;;) {
		if (sched_irq_pending || wake_pending)
			sched_events(false);
		if (need_resched) {
			schedule();
			continue;
		}
		t = cur_thread;
		if (signal_deliver(f))
			continue;
		if (t->sig_restore_mask) {
			t->sig_blocked = t->sig_saved_mask;
			t->sig_restore_mask = false;
			continue;
		}
		break;
	}
	timer_program();
}

void exit_to_user(struct trap_frame *f)
{
	const struct thread *t = cur_thread;

	/* The common case, a call that changed nothing: straight back (a
	 * wakeup matters only with waiters), with no frame to build. */
	if (!(sched_irq_pending | need_resched | t->sig_restore_mask) &&
	    !((t->sig_pending | proc_pending) & ~t->sig_blocked) && !timers && !waiters &&
	    !wakeq_head && !runq_head)
		return;
	exit_to_user_slow(f);
}
