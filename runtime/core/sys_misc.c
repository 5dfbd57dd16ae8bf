/* sys_misc.c - the rest of the process surface servers use: prctl,
 * capabilities, priorities, resource usage, and the calls that would make
 * another process (fork, vfork, execve), which a unikernel cannot. */
#include "errno.h"
#include "ident.h"
#include "mm.h"
#include "runtime.h"
#include "syscall.h"
#include "../platform/platform.h"

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_GET_KEEPCAPS 7
#define PR_SET_KEEPCAPS 8
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_GET_SECCOMP 21
#define PR_CAPBSET_READ 23
#define PR_CAPBSET_DROP 24
#define PR_GET_SECUREBITS 27
#define PR_SET_SECUREBITS 28
#define PR_SET_TIMERSLACK 29
#define PR_GET_TIMERSLACK 30
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39
#define PR_SET_THP_DISABLE 41
#define PR_GET_THP_DISABLE 42
#define PR_CAP_AMBIENT 47
#define PR_SET_PTRACER 0x59616d61
#define CAP_LAST_CAP 40
#define LINUX_CAPABILITY_VERSION_1 0x19980330
#define LINUX_CAPABILITY_VERSION_2 0x20071026
#define LINUX_CAPABILITY_VERSION_3 0x20080522
#define NSEC 1000000000UL
#define CLK_TCK 100

static char comm[16];
static int pdeathsig, dumpable = 1, keepcaps, subreaper, no_new_privs, thp_disable;
static u64 timerslack = 50000;
static int nice_value;

/* The thread's name (PR_GET_NAME, /proc/self/status): the program's name
 * until the program sets one. */
const char *misc_comm(void)
{
	if (!comm[0]) {
		const char *a0 = runtime_cmdline()->argv[0], *slash = strrchr(a0, '/');

		strlcpy(comm, slash ? slash + 1 : a0, sizeof(comm));
	}
	return comm;
}

static long put_int(long uptr, int v)
{
	if (!user_ok(uptr, 4, true))
		return -EFAULT;
	*(int *)uptr = v;
	return 0;
}

SYSCALL(prctl)
{
	switch (a0) {
	case PR_SET_PDEATHSIG:
		if (a1 < 0 || a1 > 64)
			return -EINVAL;
		pdeathsig = (int)a1; /* the parent is the host: it never dies first */
		return 0;
	case PR_GET_PDEATHSIG: return put_int(a1, pdeathsig);
	case PR_GET_DUMPABLE: return dumpable;
	case PR_SET_DUMPABLE:
		if (a1 != 0 && a1 != 1)
			return -EINVAL;
		dumpable = (int)a1;
		return 0;
	case PR_GET_KEEPCAPS: return keepcaps;
	case PR_SET_KEEPCAPS:
		if (a1 != 0 && a1 != 1)
			return -EINVAL;
		keepcaps = (int)a1;
		return 0;
	case PR_SET_NAME: {
		const char *s = (const char *)a1;
		size_t i;

		misc_comm();
		for (i = 0; i < sizeof(comm) - 1; i++) {
			if (!user_ok(a1 + (long)i, 1, false))
				return -EFAULT;
			if (!(comm[i] = s[i]))
				return 0;
		}
		comm[i] = 0;
		return 0;
	}
	case PR_GET_NAME:
		if (!user_ok(a1, sizeof(comm), true))
			return -EFAULT;
		memcpy((void *)a1, misc_comm(), sizeof(comm));
		return 0;
	case PR_GET_SECCOMP: return 0;
	case PR_CAPBSET_READ: return a1 >= 0 && a1 <= CAP_LAST_CAP ? 1 : -EINVAL;
	case PR_CAPBSET_DROP: return a1 >= 0 && a1 <= CAP_LAST_CAP ? 0 : -EINVAL;
	case PR_GET_SECUREBITS: return 0;
	case PR_SET_SECUREBITS: return 0;
	case PR_SET_TIMERSLACK: timerslack = a1 > 0 ? (u64)a1 : 50000; return 0;
	case PR_GET_TIMERSLACK: return (long)timerslack;
	case PR_SET_CHILD_SUBREAPER: subreaper = a1 != 0; return 0;
	case PR_GET_CHILD_SUBREAPER: return put_int(a1, subreaper);
	case PR_SET_NO_NEW_PRIVS:
		if (a1 != 1 || a2 || a3 || a4)
			return -EINVAL;
		no_new_privs = 1;
		return 0;
	case PR_GET_NO_NEW_PRIVS: return no_new_privs;
	case PR_SET_THP_DISABLE: thp_disable = a1 != 0; return 0;
	case PR_GET_THP_DISABLE: return thp_disable;
	case PR_CAP_AMBIENT: return a1 >= 1 && a1 <= 4 ? 0 : -EINVAL; /* none is ever set */
	case PR_SET_PTRACER: return 0;
	default: return -EINVAL;
	}
}

struct cap_header {
	u32 version;
	s32 pid;
};

struct cap_data {
	u32 effective, permitted, inheritable;
};

/* Root has every capability, other ids none (Linux's rule without file
 * capabilities). */
SYSCALL(capget)
{
	struct cap_header *h = (struct cap_header *)a0;
	struct cap_data *d = (struct cap_data *)a1;
	int words;

	if (!user_ok(a0, sizeof(*h), true))
		return -EFAULT;
	if (h->version != LINUX_CAPABILITY_VERSION_1 && h->version != LINUX_CAPABILITY_VERSION_2 &&
	    h->version != LINUX_CAPABILITY_VERSION_3) {
		h->version = LINUX_CAPABILITY_VERSION_3;
		return a1 ? -EINVAL : 0;
	}
	if (h->pid && h->pid != 1)
		return -ESRCH;
	if (!a1)
		return 0;
	words = h->version == LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
	if (!user_ok(a1, (u64)words * sizeof(*d), true))
		return -EFAULT;
	for (int i = 0; i < words; i++) {
		u32 all = i == 0 ? ~0u : (1u << (CAP_LAST_CAP - 31)) - 1;

		d[i].effective = d[i].permitted = ident_euid() == 0 ? all : 0;
		d[i].inheritable = 0;
	}
	return 0;
}

SYSCALL(capset)
{
	struct cap_header *h = (struct cap_header *)a0;

	if (!user_ok(a0, sizeof(*h), false))
		return -EFAULT;
	if (h->version != LINUX_CAPABILITY_VERSION_1 && h->version != LINUX_CAPABILITY_VERSION_2 &&
	    h->version != LINUX_CAPABILITY_VERSION_3)
		return -EINVAL;
	return h->pid && h->pid != 1 ? -EPERM : 0;
}

#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2

SYSCALL(getpriority)
{
	if (a0 < PRIO_PROCESS || a0 > PRIO_USER)
		return -EINVAL;
	if (a1 && a1 != 1 && !(a0 == PRIO_USER && (u32)a1 == ident_uid()))
		return -ESRCH;
	return 20 - nice_value; /* the system call's form: 40..1 */
}

SYSCALL(setpriority)
{
	if (a0 < PRIO_PROCESS || a0 > PRIO_USER)
		return -EINVAL;
	if (a1 && a1 != 1 && !(a0 == PRIO_USER && (u32)a1 == ident_uid()))
		return -ESRCH;
	if (a2 < nice_value && ident_euid() != 0)
		return -EACCES;
	nice_value = (int)MAX(-20L, MIN(19L, a2));
	return 0;
}

struct k_rusage {
	s64 utime_sec, utime_usec, stime_sec, stime_usec;
	s64 maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv,
	    nsignals, nvcsw, nivcsw;
};

/* The one CPU runs the program: its time is the time since boot. */
SYSCALL(getrusage)
{
	struct k_rusage *r = (struct k_rusage *)a1;
	u64 us = plat_monotonic_ns() / 1000;

	if (a0 != 0 && a0 != 1 && a0 != -1) /* SELF, THREAD, CHILDREN */
		return -EINVAL;
	if (!user_ok(a1, sizeof(*r), true))
		return -EFAULT;
	memset(r, 0, sizeof(*r));
	if (a0 == -1)
		return 0; /* no children */
	r->utime_sec = (s64)(us / 1000000);
	r->utime_usec = (s64)(us % 1000000);
	r->maxrss = (s64)((frames_total() - frames_free()) * (PAGE_SIZE / 1024));
	return 0;
}

SYSCALL(times)
{
	s64 *t = (s64 *)a0;
	u64 ticks = plat_monotonic_ns() / (NSEC / CLK_TCK);

	if (a0) {
		if (!user_ok(a0, 32, true))
			return -EFAULT;
		t[0] = (s64)ticks;
		t[1] = t[2] = t[3] = 0;
	}
	return (long)ticks;
}

long misc_no_process(const char *call, bool *said)
{
	if (!*said)
		kprintf("unikernel: %s: a unikernel runs one program and cannot start another "
			"process: returning ENOSYS\n",
			call);
	*said = true;
	return -ENOSYS;
}

SYSCALL(fork)
{
	static bool said;

	return misc_no_process("fork", &said);
}

SYSCALL(vfork)
{
	static bool said;

	return misc_no_process("vfork", &said);
}

SYSCALL(execve)
{
	static bool said;

	return misc_no_process("execve", &said);
}

SYSCALL(execveat)
{
	static bool said;

	return misc_no_process("execveat", &said);
}
