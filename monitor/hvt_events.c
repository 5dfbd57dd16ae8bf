/* hvt_events.c - what the host tells an hvt guest besides answering its
 * calls: its timer expired (HVT_CALL_TIMER), or it is asked to stop
 * (SIGTERM to the monitor, what `unik stop` sends), as interrupts
 * (abi/hvt_abi.h version 3).
 *
 * The timer is ITIMER_REAL; SIGALRM and SIGTERM only set a flag.  Both stay
 * blocked except inside KVM_RUN (KVM_SET_SIGNAL_MASK) and the ppoll of the
 * POLL call, so they can interrupt nothing but those two, which return
 * EINTR: no event is lost between a check and a wait.  ppoll runs the
 * handler; a signal that ends KVM_RUN stays pending (blocked again) and is
 * taken with sigtimedwait (hvt_events_take).  Before each KVM_RUN
 * the vCPU loop injects a pending event once the guest can take an
 * interrupt (IF set, no interrupt shadow), else asks KVM to exit as soon
 * as it can.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include "hvt.h"

volatile sig_atomic_t hvt_timer_fired, hvt_stop_requested;
sigset_t hvt_wait_mask;
static sigset_t event_set; /* SIGALRM, SIGTERM */

static void on_signal(int sig)
{
	if (sig == SIGALRM)
		hvt_timer_fired = 1;
	else
		hvt_stop_requested = 1;
}

int hvt_events_init(struct hvt *h, char *why)
{
	struct sigaction sa;
	sigset_t block;
	/* struct kvm_signal_mask with its 64-bit kernel sigset behind it */
	union {
		struct kvm_signal_mask m;
		unsigned char bytes[sizeof(struct kvm_signal_mask) + sizeof(uint64_t)];
	} km;
	uint64_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGTERM);
	if (sigaction(SIGALRM, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigprocmask(SIG_BLOCK, &block, &hvt_wait_mask) < 0) {
		snprintf(why, MON_WHY, "signal setup: %s", strerror(errno));
		return -1;
	}
	sigdelset(&hvt_wait_mask, SIGALRM);
	sigdelset(&hvt_wait_mask, SIGTERM);
	event_set = block;
	km.m.len = sizeof(set); /* the kernel's sigset: 64 bits */
	memcpy(&set, &hvt_wait_mask, sizeof(set));
	memcpy(km.bytes + sizeof(struct kvm_signal_mask), &set, sizeof(set));
	if (ioctl(h->vcpu_fd, KVM_SET_SIGNAL_MASK, &km) < 0) {
		snprintf(why, MON_WHY, "/dev/kvm: KVM_SET_SIGNAL_MASK: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void hvt_events_take(void)
{
	static const struct timespec zero = { 0, 0 };
	int sig;

	while ((sig = sigtimedwait(&event_set, NULL, &zero)) > 0)
		on_signal(sig);
}

int hvt_timer_arm(uint64_t timeout_ns)
{
	struct itimerval it;
	uint64_t us = timeout_ns ? (timeout_ns + 999) / 1000 : 0;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)(us / 1000000);
	it.it_value.tv_usec = (suseconds_t)(us % 1000000);
	hvt_timer_fired = 0; /* a new deadline replaces an expiry not yet delivered */
	return setitimer(ITIMER_REAL, &it, NULL);
}

int hvt_events_inject(struct hvt *h, char *why)
{
	struct kvm_run *r = h->run;
	int vector = hvt_stop_requested ? HVT_IRQ_STOP : hvt_timer_fired ? HVT_IRQ_TIMER : -1;
	struct kvm_interrupt irq;

	r->request_interrupt_window = 0;
	if (vector < 0)
		return 0;
	if (!r->ready_for_interrupt_injection || !r->if_flag) {
		r->request_interrupt_window = 1;
		return 0;
	}
	irq.irq = (uint32_t)vector;
	if (ioctl(h->vcpu_fd, KVM_INTERRUPT, &irq) < 0) {
		snprintf(why, MON_WHY, "/dev/kvm: KVM_INTERRUPT: %s", strerror(errno));
		return -1;
	}
	if (vector == HVT_IRQ_STOP)
		hvt_stop_requested = 0;
	else
		hvt_timer_fired = 0;
	/* one at a time: ask for the next window if the other is pending */
	r->request_interrupt_window = hvt_stop_requested || hvt_timer_fired;
	return 0;
}
