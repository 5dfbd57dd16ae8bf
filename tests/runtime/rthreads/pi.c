/* pi.c - the rthreads "pi" mode: priority-inheritance futexes, by the
 * word protocol (raw FUTEX_LOCK_PI / TRYLOCK_PI / UNLOCK_PI) and through
 * PTHREAD_PRIO_INHERIT mutexes under contention. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int pi_test(int n, long m);

/* Linux's futex ABI (linux/futex.h, which musl's headers do not carry). */
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu

static long fx(volatile uint32_t *w, int op, const struct timespec *ts)
{
	long r = syscall(SYS_futex, w, op, 0, ts, NULL, 0);

	return r < 0 ? -errno : r;
}

static uint32_t tid(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static volatile uint32_t word, word2;
static volatile uint32_t waiter_tid, got_tid;
static volatile long other_rc[4];

/* Another thread against the lock main holds: trylock, unlock, timed lock. */
static void *contender(void *arg)
{
	struct timespec ts;

	other_rc[0] = fx(&word, FUTEX_TRYLOCK_PI, NULL);
	other_rc[1] = fx(&word, FUTEX_UNLOCK_PI, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 50000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	other_rc[2] = fx(&word, FUTEX_LOCK_PI, &ts);
	return arg;
}

/* Sleeps in LOCK_PI until main hands the lock over. */
static void *waiter(void *arg)
{
	waiter_tid = tid();
	other_rc[3] = fx(&word, FUTEX_LOCK_PI, NULL);
	got_tid = word & FUTEX_TID_MASK;
	fx(&word, FUTEX_UNLOCK_PI, NULL);
	return arg;
}

/* Takes word2 and exits holding it while main waits for it. */
static void *dies_holding_pi(void *arg)
{
	fx(&word2, FUTEX_LOCK_PI, NULL);
	waiter_tid = tid();
	sleep_ms(30);
	return arg;
}

static int protocol_test(void)
{
	pthread_t t;
	uint32_t me = tid(), v;
	long rc;

	rc = fx(&word, FUTEX_LOCK_PI, NULL);
	printf("pi: lock a free word: %ld, owner is me %s\n", rc, word == me ? "yes" : "no");
	printf("pi: lock it again %s\n",
	       fx(&word, FUTEX_LOCK_PI, NULL) == -EDEADLK ? "EDEADLK" : "other");
	pthread_create(&t, NULL, contender, NULL);
	pthread_join(t, NULL);
	printf("pi: other thread: trylock %s, unlock %s, timed lock %s, owner %s\n",
	       other_rc[0] == -EAGAIN ? "EAGAIN" : "other",
	       other_rc[1] == -EPERM ? "EPERM" : "other",
	       other_rc[2] == -ETIMEDOUT ? "ETIMEDOUT" : "other",
	       (word & FUTEX_TID_MASK) == me ? "mine" : "changed");
	pthread_create(&t, NULL, waiter, NULL);
	sleep_ms(20);
	v = word;
	printf("pi: a waiter sets FUTEX_WAITERS %s\n", v == (me | FUTEX_WAITERS) ? "yes" : "no");
	rc = fx(&word, FUTEX_UNLOCK_PI, NULL);
	pthread_join(t, NULL);
	printf("pi: unlock %ld hands the lock to the waiter %s (lock %ld), word after it %u\n", rc,
	       got_tid == waiter_tid && waiter_tid ? "yes" : "no", other_rc[3], (unsigned)word);
	printf("pi: unlock a free word %s\n",
	       fx(&word, FUTEX_UNLOCK_PI, NULL) == -EPERM ? "EPERM" : "other");
	waiter_tid = 0;
	pthread_create(&t, NULL, dies_holding_pi, NULL);
	while (!waiter_tid)
		sleep_ms(1);
	rc = fx(&word2, FUTEX_LOCK_PI, NULL);
	pthread_join(t, NULL);
	printf("pi: owner exits holding it: lock %ld, word has my tid %s and OWNER_DIED %s\n", rc,
	       (word2 & FUTEX_TID_MASK) == me ? "yes" : "no",
	       word2 & FUTEX_OWNER_DIED ? "yes" : "no");
	return 0;
}

static pthread_mutex_t pm;
static long counter;
static long per_thread;

static void *adder(void *arg)
{
	for (long i = 0; i < per_thread; i++) {
		if (pthread_mutex_lock(&pm))
			return NULL;
		counter++;
		if (pthread_mutex_unlock(&pm))
			return NULL;
	}
	return arg;
}

static int timed_rc;

static void *timed_locker(void *arg)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 30000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	timed_rc = pthread_mutex_timedlock(&pm, &ts);
	if (!timed_rc)
		pthread_mutex_unlock(&pm);
	return arg;
}

static void *dies_holding(void *arg)
{
	pthread_mutex_lock(&pm);
	return arg;
}

static int mutex_test(int n, long m)
{
	pthread_mutexattr_t a;
	pthread_t t[64];
	int ok = 0, rc;

	if (n > 64)
		n = 64;
	pthread_mutexattr_init(&a);
	rc = pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
	printf("pi: PTHREAD_PRIO_INHERIT %s\n", rc ? strerror(rc) : "accepted");
	pthread_mutex_init(&pm, &a);
	per_thread = m;
	/* Held while the threads start: each of them sleeps in LOCK_PI. */
	pthread_mutex_lock(&pm);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, adder, (void *)(intptr_t)(i + 1));
	sleep_ms(20);
	pthread_mutex_unlock(&pm);
	for (int i = 0; i < n; i++) {
		void *r;

		pthread_join(t[i], &r);
		ok += (intptr_t)r == i + 1;
	}
	printf("pi: %d threads x %ld = %ld (expected %ld), %d ended well\n", n, m, counter,
	       (long)n * m, ok);
	/* A timed lock on the held mutex from another thread. */
	pthread_mutex_lock(&pm);
	pthread_create(&t[0], NULL, timed_locker, NULL);
	pthread_join(t[0], NULL);
	pthread_mutex_unlock(&pm);
	printf("pi: timedlock on a held mutex: %s\n",
	       timed_rc == ETIMEDOUT ? "ETIMEDOUT" : strerror(timed_rc));
	pthread_mutex_destroy(&pm);

	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&pm, &a);
	pthread_create(&t[0], NULL, dies_holding, NULL);
	pthread_join(t[0], NULL);
	rc = pthread_mutex_lock(&pm);
	printf("pi: robust PI mutex after its owner died: %s\n",
	       rc == EOWNERDEAD ? "EOWNERDEAD" : strerror(rc));
	if (rc == EOWNERDEAD)
		pthread_mutex_consistent(&pm);
	pthread_mutex_unlock(&pm);
	return counter == (long)n * m && ok == n ? 0 : 1;
}

int pi_test(int n, long m)
{
	protocol_test();
	return mutex_test(n, m);
}
