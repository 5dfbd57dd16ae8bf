/* sys_proc.c - the one process: identity, limits, randomness, system
 * information.  Threads, exit and the thread pointer are sys_thread.c's. */
#include "errno.h"
#include "fd.h"
#include "mm.h"
#include "random.h"
#include "runtime.h"
#include "syscall.h"
#include "../platform/platform.h"

#define RLIM_NLIMITS 16
#define RLIMIT_STACK 3
#define RLIMIT_NOFILE 7
#define RLIM_INFINITY (~0UL)

struct rlimit {
	u64 cur, max;
};

static struct rlimit rlimits[RLIM_NLIMITS];

SYSCALL(getpid)
{
	return 1;
}

SYSCALL(getppid)
{
	return 0;
}

SYSCALL(uname)
{
	char(*u)[65] = (char(*)[65])a0;

	if (!user_ok(a0, 6 * 65, true))
		return -EFAULT;
	memset(u, 0, 6 * 65);
	strlcpy(u[0], "Linux", 65); /* programs test for it; the release says what we are */
	strlcpy(u[1], "unik", 65);
	strlcpy(u[2], "6.1.0-unik", 65);
	strlcpy(u[3], "unik runtime " UNIK_RUNTIME_VERSION, 65);
	strlcpy(u[4], "x86_64", 65);
	strlcpy(u[5], "(none)", 65);
	return 0;
}

SYSCALL(getrandom)
{
	if (a2 & ~7L)
		return -EINVAL;
	if (!user_ok(a0, a1, true))
		return -EFAULT;
	random_fill((void *)a0, (size_t)a1);
	return a1;
}

static void rlimits_default(void)
{
	if (rlimits[0].cur || rlimits[0].max)
		return;
	for (int i = 0; i < RLIM_NLIMITS; i++)
		rlimits[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
	rlimits[RLIMIT_STACK] = (struct rlimit){ STACK_SIZE, STACK_SIZE };
	rlimits[RLIMIT_NOFILE] = (struct rlimit){ MAX_FDS, MAX_FDS };
}

SYSCALL(prlimit64)
{
	struct rlimit *nw = (struct rlimit *)a2, *old = (struct rlimit *)a3;

	if (a0 != 0 && a0 != 1)
		return -ESRCH;
	if (a1 < 0 || a1 >= RLIM_NLIMITS)
		return -EINVAL;
	rlimits_default();
	if (nw && !user_ok(a2, sizeof(*nw), false))
		return -EFAULT;
	if (old) {
		if (!user_ok(a3, sizeof(*old), true))
			return -EFAULT;
		*old = rlimits[a1];
	}
	if (nw) {
		if (nw->cur > nw->max || nw->max > rlimits[a1].max)
			return -EPERM;
		rlimits[a1] = *nw; /* recorded; only reported back, not enforced */
	}
	return 0;
}

SYSCALL(getrlimit)
{
	return sys_prlimit64(0, a0, 0, a1, 0, 0);
}

SYSCALL(setrlimit)
{
	return sys_prlimit64(0, a0, a1, 0, 0, 0);
}

struct k_sysinfo {
	s64 uptime;
	u64 loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	u16 procs, pad;
	u64 totalhigh, freehigh;
	u32 mem_unit;
};

SYSCALL(sysinfo)
{
	struct k_sysinfo *si = (struct k_sysinfo *)a0;

	if (!user_ok(a0, sizeof(*si), true))
		return -EFAULT;
	memset(si, 0, sizeof(*si));
	si->uptime = (s64)(plat_monotonic_ns() / 1000000000UL);
	si->totalram = frames_total() * PAGE_SIZE;
	si->freeram = frames_free() * PAGE_SIZE;
	si->procs = 1;
	si->mem_unit = 1;
	return 0;
}
