/* rthreads.c - the threads, futex, signal and idle cases of the runtime
 * tests: one image, one mode per boot (argv[1]); each mode prints what
 * tests/runtime/run-tests and tests/monitor/run-tests check. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

int pi_test(int n, long m); /* pi.c */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	printf("FAIL: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* --- threads ---------------------------------------------------------------- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long per_thread;

static void *adder(void *arg)
{
	for (long i = 0; i < per_thread; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	return arg;
}

/* N threads x M increments under one mutex: the sum must be exact. */
static int mutex_test(int n, long m)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	int64_t t0 = now_ns();

	per_thread = m;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, adder, (void *)(intptr_t)i))
			die("pthread_create");
	for (int i = 0; i < n; i++) {
		void *ret;

		if (pthread_join(t[i], &ret) || (intptr_t)ret != i)
			die("pthread_join");
	}
	printf("mutex: %d threads x %ld = %ld (expected %ld) in %lld ms\n", n, m, counter,
	       (long)n * m, (long long)((now_ns() - t0) / 1000000));
	return counter == (long)n * m ? 0 : 1;
}

static volatile int detached_ran;

static void *detached(void *arg)
{
	detached_ran = 1;
	return NULL;
}

static void *exits(void *arg)
{
	pthread_exit((void *)42);
}

static void *tid_of(void *arg)
{
	*(pid_t *)arg = (pid_t)syscall(SYS_gettid);
	return NULL;
}

/* join values, pthread_exit, detach, tids. */
static int join_test(void)
{
	pthread_t a, b, c;
	pthread_attr_t attr;
	void *ret = NULL;
	pid_t tid = 0;

	pthread_create(&a, NULL, exits, NULL);
	pthread_join(a, &ret);
	printf("join: pthread_exit value %ld\n", (long)(intptr_t)ret);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_create(&b, &attr, detached, NULL);
	for (int i = 0; i < 1000 && !detached_ran; i++)
		usleep(1000);
	printf("join: detached thread ran: %s\n", detached_ran ? "yes" : "no");
	pthread_create(&c, NULL, tid_of, &tid);
	pthread_join(c, NULL);
	printf("join: main tid %d, getpid %d, thread tid %s\n", (pid_t)syscall(SYS_gettid),
	       getpid(), tid > 1 ? "new" : "wrong");
	/* 100 short-lived threads one after another: stacks are recycled */
	for (int i = 0; i < 100; i++) {
		if (pthread_create(&a, NULL, exits, NULL) || pthread_join(a, &ret) ||
		    (intptr_t)ret != 42)
			die("thread churn");
	}
	printf("join: 100 create/join ok\n");
	return 0;
}

static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready;

static void *signaller(void *arg)
{
	usleep(50000);
	pthread_mutex_lock(&lock);
	ready = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* A timed wait that times out, then one that is signalled.  The deadline is
 * on CLOCK_REALTIME (the condition's clock), so "not early" is measured on
 * that clock: a host that steps the wall clock (Xen's dom0 writes the
 * hypervisor's wall clock every 11 minutes) may end the wait early by the
 * monotonic clock, as Linux would; that figure is printed on its own line. */
static int cond_test(void)
{
	struct timespec ts, r1;
	pthread_t t;
	int64_t t0, r0;
	int rc;

	pthread_mutex_lock(&lock);
	clock_gettime(CLOCK_REALTIME, &ts);
	r0 = ts.tv_sec * 1000000000LL + ts.tv_nsec;
	ts.tv_nsec += 100000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	t0 = now_ns();
	rc = pthread_cond_timedwait(&cond, &lock, &ts);
	t0 = now_ns() - t0;
	clock_gettime(CLOCK_REALTIME, &r1);
	printf("cond: timed wait %s after %lld ms\n", rc == ETIMEDOUT ? "timed out" : "returned",
	       (long long)((r1.tv_sec * 1000000000LL + r1.tv_nsec - r0) / 1000000));
	printf("cond: by CLOCK_MONOTONIC %lld ms\n", (long long)(t0 / 1000000));
	pthread_create(&t, NULL, signaller, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	rc = 0;
	while (!ready && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&cond, &lock, &ts);
	pthread_mutex_unlock(&lock);
	pthread_join(t, NULL);
	printf("cond: signalled wait %s\n", ready && rc == 0 ? "woke" : "failed");
	return 0;
}

static volatile int stop;
static volatile long spins;

static void *spinner(void *arg)
{
	while (!stop)
		spins++;
	return NULL;
}

/* A thread that never makes a system call must not starve the others:
 * main computes (no system calls) and sleeps while it spins. */
static int preempt_test(void)
{
	pthread_t t;
	volatile unsigned long x = 0;
	int64_t t0, slept;

	pthread_create(&t, NULL, spinner, NULL);
	sched_yield(); /* let it start spinning */
	for (unsigned long i = 0; i < 20000000UL; i++)
		x += i;
	printf("preempt: main computed beside a spinner\n");
	t0 = now_ns();
	for (int i = 0; i < 5; i++)
		usleep(20000);
	slept = (now_ns() - t0) / 1000000;
	stop = 1;
	pthread_join(t, NULL);
	printf("preempt: 5 x 20 ms sleeps took %lld ms beside the spinner (%s)\n", (long long)slept,
	       spins ? "it ran" : "it never ran");
	return 0;
}

static __thread int tls_value;
static __thread char tls_buf[64];

static void *tls_worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	char want[64];

	tls_value = id;
	snprintf(tls_buf, sizeof(tls_buf), "thread %d", id);
	snprintf(want, sizeof(want), "thread %d", id);
	for (int i = 0; i < 20; i++)
		sched_yield();
	return (void *)(intptr_t)(tls_value == id && !strcmp(tls_buf, want));
}

static int tls_test(void)
{
	pthread_t t[8];
	int good = 0;

	tls_value = 100;
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, tls_worker, (void *)(intptr_t)(i + 1));
	for (int i = 0; i < 8; i++) {
		void *r;

		pthread_join(t[i], &r);
		good += (int)(intptr_t)r;
	}
	printf("tls: %d of 8 threads kept their own values, main %d\n", good, tls_value);
	return 0;
}

/* Floating point and SSE state per thread across preemption. */
static void *fpu_worker(void *arg)
{
	double seed = (double)(intptr_t)arg, acc = 0;

	for (int i = 0; i < 2000000; i++)
		acc += seed * 0.5;
	return (void *)(intptr_t)(acc == seed * 1000000.0);
}

static int fpu_test(void)
{
	pthread_t t[4];
	int good = 0;

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, fpu_worker, (void *)(intptr_t)(i + 3));
	for (int i = 0; i < 4; i++) {
		void *r;

		pthread_join(t[i], &r);
		good += (int)(intptr_t)r;
	}
	printf("fpu: %d of 4 threads computed right\n", good);
	return 0;
}

static pthread_mutex_t robust;

static void *dies_holding(void *arg)
{
	pthread_mutex_lock(&robust);
	return NULL; /* exits without unlocking */
}

static int robust_test(void)
{
	pthread_mutexattr_t a;
	pthread_t t;
	int rc;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &a);
	pthread_create(&t, NULL, dies_holding, NULL);
	pthread_join(t, NULL);
	rc = pthread_mutex_lock(&robust);
	printf("robust: lock after the owner died: %s\n",
	       rc == EOWNERDEAD ? "EOWNERDEAD" : "other");
	if (rc == EOWNERDEAD)
		pthread_mutex_consistent(&robust);
	pthread_mutex_unlock(&robust);
	return 0;
}

static void *yielder(void *arg)
{
	long n = (long)(intptr_t)arg;

	for (long i = 0; i < n; i++)
		sched_yield();
	return NULL;
}

/* Two threads yielding to each other: the cost of a switch. */
static int switch_test(long n)
{
	pthread_t t;
	int64_t t0 = now_ns();

	pthread_create(&t, NULL, yielder, (void *)(intptr_t)n);
	yielder((void *)(intptr_t)n);
	pthread_join(t, NULL);
	printf("switch: %ld ns per sched_yield switch\n", (long)((now_ns() - t0) / (2 * n)));
	return 0;
}

/* --- signals ---------------------------------------------------------------- */

static volatile sig_atomic_t got, got_sig, got_code, nested, depth, max_depth;
static volatile uintptr_t handler_sp, ctx_rip;
static char altstack[16384];

static void on_sig(int sig)
{
	got++;
	got_sig = sig;
}

static void on_info(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	got++;
	got_sig = si->si_signo;
	got_code = si->si_code;
	ctx_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	handler_sp = (uintptr_t)__builtin_frame_address(0);
}

static void on_nested(int sig)
{
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (!nested++)
		raise(sig);
	depth--;
}

static int efd = -1;

static void on_alarm_write(int sig)
{
	uint64_t one = 1;

	got++;
	if (write(efd, &one, 8) != 8)
		got = -100;
}

static void set(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		die("sigaction");
}

static void set_info(int sig, int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		die("sigaction");
}

static pid_t main_tid;

static void *send_usr(void *arg)
{
	usleep(30000);
	syscall(SYS_tgkill, getpid(), main_tid, (int)(intptr_t)arg);
	return NULL;
}

static sigjmp_buf jb;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	got_code = si->si_code;
	handler_sp = (uintptr_t)si->si_addr;
	siglongjmp(jb, 1);
}

static int signals_test(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction old;
	sigset_t set_usr1, pending, empty;
	uint64_t v = 0;
	pthread_t t;
	int64_t t0;
	ssize_t r;

	main_tid = (pid_t)syscall(SYS_gettid);
	/* alarm(1) -> SIGALRM's handler, out of pause() */
	set(SIGALRM, on_sig, 0);
	t0 = now_ns();
	alarm(1);
	pause();
	printf("alarm: handler ran (%d) after %lld ms\n", got_sig,
	       (long long)((now_ns() - t0) / 1000000));

	/* SA_SIGINFO: siginfo and the interrupted context */
	got = 0;
	set_info(SIGUSR1, 0);
	raise(SIGUSR1);
	printf("siginfo: signo %d code %s rip %s\n", got_sig,
	       got_code == SI_TKILL ? "SI_TKILL" : "?", ctx_rip ? "set" : "zero");

	/* SA_ONSTACK + sigaltstack */
	if (sigaltstack(&ss, NULL))
		die("sigaltstack");
	set_info(SIGUSR2, SA_ONSTACK);
	raise(SIGUSR2);
	printf("altstack: handler ran %s the alternate stack\n",
	       handler_sp >= (uintptr_t)altstack &&
		       handler_sp < (uintptr_t)altstack + sizeof(altstack)
		   ? "on"
		   : "off");

	/* SA_NODEFER lets the handler interrupt itself; without it the second
	 * one waits for the first to return */
	set(SIGUSR1, on_nested, SA_NODEFER);
	nested = depth = max_depth = 0;
	raise(SIGUSR1);
	printf("nodefer: depth %d\n", max_depth);
	set(SIGUSR1, on_nested, 0);
	nested = depth = max_depth = 0;
	raise(SIGUSR1);
	printf("defer: depth %d, runs %d\n", max_depth, nested);

	/* SA_RESETHAND: one delivery, then the default again */
	set(SIGUSR2, on_sig, SA_RESETHAND);
	raise(SIGUSR2);
	sigaction(SIGUSR2, NULL, &old);
	printf("resethand: now %s\n", old.sa_handler == SIG_DFL ? "SIG_DFL" : "still set");

	/* SA_RESTART: a read interrupted by a handler goes on; without it EINTR */
	efd = eventfd(0, 0);
	set(SIGALRM, on_alarm_write, SA_RESTART);
	alarm(1);
	r = read(efd, &v, 8);
	printf("restart: read returned %zd value %llu\n", r, (unsigned long long)v);
	set(SIGALRM, on_sig, 0);
	alarm(1);
	r = read(efd, &v, 8);
	printf("norestart: read %s\n", r < 0 && errno == EINTR ? "EINTR" : "did not fail");

	/* per-thread masks: blocked, pending, then delivered when unblocked */
	got = 0;
	set_info(SIGUSR1, 0);
	sigemptyset(&set_usr1);
	sigaddset(&set_usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set_usr1, NULL);
	pthread_create(&t, NULL, send_usr, (void *)(intptr_t)SIGUSR1);
	pthread_join(t, NULL);
	sigpending(&pending);
	printf("mask: pending while blocked %s, handler ran %d\n",
	       sigismember(&pending, SIGUSR1) ? "yes" : "no", got);
	pthread_sigmask(SIG_UNBLOCK, &set_usr1, NULL);
	printf("mask: after unblocking, handler ran %d\n", got);

	/* sigsuspend: the mask for the wait, the old one after */
	pthread_sigmask(SIG_BLOCK, &set_usr1, NULL);
	pthread_create(&t, NULL, send_usr, (void *)(intptr_t)SIGUSR1);
	sigemptyset(&empty);
	got = 0;
	r = sigsuspend(&empty);
	pthread_join(t, NULL);
	sigprocmask(SIG_BLOCK, NULL, &pending);
	printf("sigsuspend: %s, handler ran %d, mask restored %s\n",
	       r < 0 && errno == EINTR ? "EINTR" : "?", got,
	       sigismember(&pending, SIGUSR1) ? "yes" : "no");

	/* sigwaitinfo on a blocked signal */
	pthread_create(&t, NULL, send_usr, (void *)(intptr_t)SIGUSR1);
	{
		siginfo_t si;
		int s = sigwaitinfo(&set_usr1, &si);

		pthread_join(t, NULL);
		printf("sigwaitinfo: got %d (code %s)\n", s,
		       si.si_code == SI_TKILL ? "SI_TKILL" : "?");
	}
	pthread_sigmask(SIG_UNBLOCK, &set_usr1, NULL);

	/* ignored by default: SIGCHLD; SIG_IGN: SIGUSR2 */
	raise(SIGCHLD);
	signal(SIGUSR2, SIG_IGN);
	raise(SIGUSR2);
	printf("ignored: still here\n");

	/* setitimer: a 30 ms interval timer, 5 times */
	{
		struct itimerval it = { { 0, 30000 }, { 0, 30000 } };

		got = 0;
		set(SIGALRM, on_sig, 0);
		t0 = now_ns();
		setitimer(ITIMER_REAL, &it, NULL);
		while (got < 5)
			pause();
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_REAL, &it, NULL);
		printf("setitimer: 5 ticks in %lld ms\n", (long long)((now_ns() - t0) / 1000000));
	}

	/* timer_create: SIGEV_SIGNAL with a value */
	{
		struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
		struct itimerspec its = { { 0, 0 }, { 0, 20000000 } };
		timer_t tm;

		ev.sigev_value.sival_int = 77;
		got = 0;
		set_info(SIGUSR1, 0);
		if (timer_create(CLOCK_MONOTONIC, &ev, &tm))
			die("timer_create");
		timer_settime(tm, 0, &its, NULL);
		while (!got)
			pause();
		timer_delete(tm);
		printf("timer_create: handler ran, code %s\n",
		       got_code == SI_TIMER ? "SI_TIMER" : "?");
	}

	/* a fault to a handler, recovered with siglongjmp */
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_segv;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSEGV, &sa, NULL);
		if (!sigsetjmp(jb, 1))
			*(volatile int *)(uintptr_t)16 = 1;
		printf("segv: handler got address %#lx code %s\n", (unsigned long)handler_sp,
		       got_code == SEGV_MAPERR ? "SEGV_MAPERR" : "?");
	}
	return 0;
}

/* kill(getpid(), sig) with the default action. */
static int die_by(int sig)
{
	printf("sending myself %d\n", sig);
	fflush(stdout);
	kill(getpid(), sig);
	printf("still alive\n");
	return 0;
}

/* Waits to be stopped; with a handler (argv "handler") exits 7 from it. */
static void on_term(int sig)
{
	static const char msg[] = "SIGTERM handler ran\n";

	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(7);
}

static int stop_test(int handler, const char *how)
{
	if (handler)
		set(SIGTERM, on_term, 0);
	if (!strcmp(how, "spin")) {
		printf("waiting to be stopped (spinning)\n");
		fflush(stdout);
		for (;;)
			spins++;
	}
	printf("waiting to be stopped\n");
	fflush(stdout);
	for (;;)
		pause();
}

/* --- idle: block in one call for a long time ----------------------------- */

static void *sleeper(void *arg)
{
	sleep(3600);
	return NULL;
}

static int idle_test(const char *kind)
{
	uint64_t v;
	int fds[2];

	printf("idle in %s\n", kind);
	fflush(stdout);
	if (!strcmp(kind, "nanosleep"))
		sleep(3600);
	else if (!strcmp(kind, "pause")) {
		set(SIGTERM, on_term, 0); /* something could end it */
		pause();
	} else if (!strcmp(kind, "sigsuspend")) {
		sigset_t m;

		set(SIGTERM, on_term, 0);
		sigemptyset(&m);
		sigsuspend(&m);
	} else if (!strcmp(kind, "futex")) {
		int word = 0;
		struct timespec ts = { 3600, 0 };

		syscall(SYS_futex, &word, 128 /* FUTEX_WAIT_PRIVATE */, 0, &ts);
	} else if (!strcmp(kind, "join")) {
		pthread_t t;

		pthread_create(&t, NULL, sleeper, NULL);
		pthread_join(t, NULL);
	} else if (!strcmp(kind, "poll")) {
		struct pollfd p = { eventfd(0, 0), POLLIN, 0 };

		poll(&p, 1, 3600 * 1000);
	} else if (!strcmp(kind, "select")) {
		fd_set r;
		struct timeval tv = { 3600, 0 };

		fds[0] = eventfd(0, 0);
		FD_ZERO(&r);
		FD_SET(fds[0], &r);
		select(fds[0] + 1, &r, NULL, NULL, &tv);
	} else if (!strcmp(kind, "epoll")) {
		struct epoll_event ev = { .events = EPOLLIN }, out;
		int ep = epoll_create1(0);

		fds[0] = eventfd(0, 0);
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev);
		epoll_wait(ep, &out, 1, 3600 * 1000);
	} else if (!strcmp(kind, "eventfd")) {
		set(SIGTERM, on_term, 0);
		if (read(eventfd(0, 0), &v, 8) < 0)
			return 1;
	} else if (!strcmp(kind, "signalfd")) {
		struct signalfd_siginfo si;
		sigset_t m;
		int sfd;

		sigemptyset(&m);
		sigaddset(&m, SIGTERM);
		sigprocmask(SIG_BLOCK, &m, NULL);
		sfd = signalfd(-1, &m, 0);
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			return 1;
		printf("signalfd: read signal %u\n", si.ssi_signo);
		return si.ssi_signo == SIGTERM ? 7 : 1;
	} else {
		printf("unknown idle kind %s\n", kind);
		return 2;
	}
	return 0;
}

static void *send_usr2_later(void *arg)
{
	usleep(50 * 1000);
	pthread_kill(*(pthread_t *)arg, SIGUSR2);
	return NULL;
}

/* signalfd: blocked signals read as records, poll/epoll readiness, a
 * blocking read woken by another thread's signal, the mask replaced. */
static int signalfd_test(void)
{
	struct signalfd_siginfo si[4];
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct pollfd p;
	pthread_t self = pthread_self(), t;
	sigset_t m;
	ssize_t n;
	int sfd, ep;

	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	sfd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		die("signalfd");
	n = read(sfd, si, sizeof(si));
	printf("signalfd: empty read %s\n", n < 0 && errno == EAGAIN ? "EAGAIN" : "other");
	p = (struct pollfd){ sfd, POLLIN, 0 };
	printf("signalfd: poll before %d\n", poll(&p, 1, 0));
	kill(getpid(), SIGUSR1);
	raise(SIGUSR2);
	n = poll(&p, 1, 0);
	printf("signalfd: poll after %zd revents %s\n", n, p.revents & POLLIN ? "POLLIN" : "-");
	n = read(sfd, si, sizeof(si));
	printf("signalfd: read %zd bytes: %u code %d, %u code %d\n", n, si[0].ssi_signo,
	       si[0].ssi_code, n >= 256 ? si[1].ssi_signo : 0, n >= 256 ? si[1].ssi_code : 0);
	printf("signalfd: small buffer %s\n",
	       read(sfd, si, 64) < 0 && errno == EINVAL ? "EINVAL" : "other");
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	pthread_create(&t, NULL, send_usr2_later, &self);
	printf("signalfd: epoll_wait %d\n", epoll_wait(ep, &out, 1, 10000));
	pthread_join(t, NULL);
	n = read(sfd, si, sizeof(si));
	printf("signalfd: after epoll read %u\n", n > 0 ? si[0].ssi_signo : 0);
	/* blocking read, woken by another thread's signal */
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	close(sfd);
	sfd = signalfd(-1, &m, 0);
	pthread_create(&t, NULL, send_usr2_later, &self);
	n = read(sfd, si, sizeof(si));
	pthread_join(t, NULL);
	printf("signalfd: blocking read %zd bytes, signal %u\n", n, n > 0 ? si[0].ssi_signo : 0);
	/* a new mask on the same descriptor: SIGUSR1 no longer shows */
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	printf("signalfd: new mask returns %s\n", signalfd(sfd, &m, 0) == sfd ? "the fd" : "other");
	kill(getpid(), SIGUSR1);
	p = (struct pollfd){ sfd, POLLIN, 0 };
	printf("signalfd: USR1 outside the mask: poll %d\n", poll(&p, 1, 0));
	printf("signalfd: on a non-signalfd %s\n",
	       signalfd(ep, &m, 0) < 0 && errno == EINVAL ? "EINVAL" : "other");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "mutex";
	const char *arg2 = argc > 2 ? argv[2] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "mutex"))
		return mutex_test(argc > 2 ? (int)strtol(arg2, NULL, 10) : 64,
				  argc > 3 ? strtol(argv[3], NULL, 10) : 10000);
	if (!strcmp(mode, "join"))
		return join_test();
	if (!strcmp(mode, "cond"))
		return cond_test();
	if (!strcmp(mode, "preempt"))
		return preempt_test();
	if (!strcmp(mode, "tls"))
		return tls_test();
	if (!strcmp(mode, "fpu"))
		return fpu_test();
	if (!strcmp(mode, "robust"))
		return robust_test();
	if (!strcmp(mode, "pi"))
		return pi_test(argc > 2 ? (int)strtol(arg2, NULL, 10) : 16,
			       argc > 3 ? strtol(argv[3], NULL, 10) : 10000);
	if (!strcmp(mode, "switch"))
		return switch_test(argc > 2 ? strtol(arg2, NULL, 10) : 10000);
	if (!strcmp(mode, "signals"))
		return signals_test();
	if (!strcmp(mode, "kill"))
		return die_by(argc > 2 ? (int)strtol(arg2, NULL, 10) : SIGTERM);
	if (!strcmp(mode, "stop"))
		return stop_test(!strcmp(arg2, "handler"), argc > 3 ? argv[3] : "pause");
	if (!strcmp(mode, "signalfd"))
		return signalfd_test();
	if (!strcmp(mode, "idle"))
		return idle_test(arg2);
	printf("unknown mode %s\n", mode);
	return 2;
}
