/* seccomp.c - the system-call filters of the monitors (libseccomp).
 *
 * Both are allow-lists with the default action "kill the process", loaded
 * with no_new_privs after all setup, so the monitor can do nothing but
 * serve its one guest.  docs/security.md lists and justifies each entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <asm/prctl.h>

#include "monitor.h"

static int failed(scmp_filter_ctx ctx, int rc, char *why)
{
	snprintf(why, MON_WHY, "cannot set up the seccomp filter: %s", strerror(-rc));
	seccomp_release(ctx);
	return -1;
}

static int allow(scmp_filter_ctx ctx, int nr)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

static int allow_if(scmp_filter_ctx ctx, int nr, unsigned arg, uint64_t value)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_CMP(arg, SCMP_CMP_EQ, value));
}

/* write(2) to stderr and the given fds (negative ones are skipped). */
static int allow_writes(scmp_filter_ctx ctx, const int *fds, int n)
{
	int rc = allow_if(ctx, SCMP_SYS(write), 0, STDERR_FILENO);

	for (int i = 0; !rc && i < n; i++)
		if (fds[i] >= 0 && fds[i] != STDERR_FILENO)
			rc = allow_if(ctx, SCMP_SYS(write), 0, (uint64_t)fds[i]);
	return rc;
}

/* The disks: pread64 on each fd, pwrite64 and fdatasync on the read-write
 * ones (never any other fd: a guest cannot reach another file). */
static int allow_disks(scmp_filter_ctx ctx, const struct mon_disk *d, int n)
{
	int rc = 0;

	for (int i = 0; !rc && i < n; i++) {
		rc = allow_if(ctx, SCMP_SYS(pread64), 0, (uint64_t)d[i].fd);
		if (!rc && !d[i].ro)
			rc = allow_if(ctx, SCMP_SYS(pwrite64), 0, (uint64_t)d[i].fd);
		if (!rc && !d[i].ro)
			rc = allow_if(ctx, SCMP_SYS(fdatasync), 0, (uint64_t)d[i].fd);
	}
	return rc;
}

/* Loads ctx; the context itself is left for the kernel's copy to outlive
 * (freeing it could make system calls the filter now forbids). */
static int load(scmp_filter_ctx ctx, char *why)
{
	int rc = seccomp_load(ctx);

	if (rc < 0)
		return failed(ctx, rc, why);
	return 0;
}

/* hvt: the vCPU loop and the calls of abi/hvt_abi.h. */
int mon_seccomp_hvt(const struct mon_hvt_filter *f, char *why)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int fds[] = { STDOUT_FILENO, f->status_fd, f->net_fd };
	int rc;

	if (!ctx) {
		snprintf(why, MON_WHY, "cannot set up the seccomp filter");
		return -1;
	}
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2,
			      SCMP_A0(SCMP_CMP_EQ, (uint64_t)f->vcpu_fd),
			      SCMP_A1(SCMP_CMP_EQ, KVM_RUN));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2,
				      SCMP_A0(SCMP_CMP_EQ, (uint64_t)f->vcpu_fd),
				      SCMP_A1(SCMP_CMP_EQ, KVM_GET_REGS));
	if (!rc) /* the guest's timer and stop requests as interrupts */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2,
				      SCMP_A0(SCMP_CMP_EQ, (uint64_t)f->vcpu_fd),
				      SCMP_A1(SCMP_CMP_EQ, KVM_INTERRUPT));
	if (!rc)
		rc = allow_if(ctx, SCMP_SYS(setitimer), 0, ITIMER_REAL);
	if (!rc)
		rc = allow(ctx, SCMP_SYS(rt_sigtimedwait));
	if (!rc)
		rc = allow_writes(ctx, fds, 3);
	if (!rc && f->net_fd >= 0)
		rc = allow_if(ctx, SCMP_SYS(read), 0, (uint64_t)f->net_fd);
	if (!rc && f->console_in_fd >= 0) /* console input (--stdin) */
		rc = allow_if(ctx, SCMP_SYS(read), 0, (uint64_t)f->console_in_fd);
	if (!rc)
		rc = allow_disks(ctx, f->disks, f->ndisks);
	if (!rc)
		rc = allow(ctx, SCMP_SYS(ppoll));
	if (!rc)
		rc = allow(ctx, SCMP_SYS(clock_gettime));
	if (!rc)
		rc = allow(ctx, SCMP_SYS(rt_sigreturn));
	if (!rc)
		rc = allow(ctx, SCMP_SYS(exit_group));
	if (!rc)
		rc = allow(ctx, SCMP_SYS(exit));
#ifdef __SANITIZE_ADDRESS__
	/* Sanitizer builds only (make VARIANT=asan): ASan's exit path removes
	 * its signal stack. */
	if (!rc)
		rc = allow(ctx, SCMP_SYS(sigaltstack));
	if (!rc)
		rc = allow(ctx, SCMP_SYS(munmap));
#endif
	if (rc)
		return failed(ctx, rc, why);
	return load(ctx, why);
}

/* spt: what the runtime itself calls (runtime/platform/spt). */
int mon_seccomp_spt(const struct mon_spt_filter *f, char *why)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int fds[] = { f->console_fd, f->status_fd, f->net_fd };
	int rc;

	if (!ctx) {
		snprintf(why, MON_WHY, "cannot set up the seccomp filter");
		return -1;
	}
	rc = allow_writes(ctx, fds, 3);
	if (!rc && f->net_fd >= 0)
		rc = allow_if(ctx, SCMP_SYS(read), 0, (uint64_t)f->net_fd);
	if (!rc && f->console_in_fd >= 0) /* console input (--stdin) */
		rc = allow_if(ctx, SCMP_SYS(read), 0, (uint64_t)f->console_in_fd);
	if (!rc)
		rc = allow_disks(ctx, f->disks, f->ndisks);
	if (!rc)
		rc = allow(ctx, SCMP_SYS(clock_gettime));
	if (!rc)
		rc = allow(ctx, SCMP_SYS(ppoll));
	if (!rc)
		rc = allow(ctx, SCMP_SYS(exit_group));
	if (!rc)
		rc = allow(ctx, SCMP_SYS(rt_sigreturn));
	if (!rc) /* mappings of guest memory only, and always at a fixed place */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 2,
				      SCMP_A3(SCMP_CMP_EQ, MAP_SHARED | MAP_FIXED),
				      SCMP_A4(SCMP_CMP_EQ, (uint64_t)f->mem_fd));
	if (!rc)
		rc = allow(ctx, SCMP_SYS(munmap));
	if (!rc)
		rc = allow_if(ctx, SCMP_SYS(arch_prctl), 0, ARCH_SET_FS);
	if (!rc) /* the runtime's preemption timer (SIGALRM) */
		rc = allow_if(ctx, SCMP_SYS(setitimer), 0, ITIMER_REAL);
	if (rc)
		return failed(ctx, rc, why);
	return load(ctx, why);
}

void mon_forbidden_syscall(void)
{
	/* Opening a file is the first thing an attacker would try. */
	syscall(SYS_openat, AT_FDCWD, "/etc/passwd", 0);
}
