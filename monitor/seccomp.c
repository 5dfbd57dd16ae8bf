/* seccomp.c - the system-call filters of the monitors.
 *
 * Both are allow-lists with the default action "kill the process", loaded
 * with no_new_privs after all setup, so the monitor can do nothing but
 * serve its one guest.  docs/security.md lists and justifies each entry.
 *
 * The classic BPF program is put together here (no libseccomp): a filter of
 * ~20 rules needs no optimiser, and libseccomp's run-time compilation of it
 * was a share of every monitor start (and it ties the monitor to glibc,
 * docs/density.md).  Layout: the architecture check (x86-64, and no x32
 * call numbers), then one block per rule - the call number, then each
 * argument compared on both 32-bit halves - ending in "allow"; a mismatch
 * jumps to the next block; after the last block, "kill the process".
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <asm/prctl.h>

#include "monitor.h"

#define X32_SYSCALL_BIT 0x40000000u
#define MAX_RULES (20 + 3 * HVT_MAX_DISKS)
#define MAX_ARGS 2
/* 6 instructions of checks, at most 3 + 4 per argument a rule, the "kill". */
#define MAX_INSNS (6 + MAX_RULES * (3 + 4 * MAX_ARGS) + 1)

struct rule {
	uint32_t nr;
	int nargs;
	unsigned arg[MAX_ARGS];
	uint64_t value[MAX_ARGS];
	int low_only; /* the last argument: its low 32 bits only */
};

struct filter {
	struct rule rules[MAX_RULES];
	int n;
	int overflow;
};

static struct rule *add(struct filter *f, uint32_t nr, int nargs, unsigned a0, uint64_t v0,
			unsigned a1, uint64_t v1)
{
	static struct rule spare;

	struct rule *r;

	if (f->n == MAX_RULES) {
		f->overflow = 1;
		return &spare;
	}
	r = &f->rules[f->n++];
	*r = (struct rule){ nr, nargs, { a0, a1 }, { v0, v1 }, 0 };
	return r;
}

static void allow(struct filter *f, uint32_t nr)
{
	add(f, nr, 0, 0, 0, 0, 0);
}

/* nr with argument arg equal to value (all 64 bits). */
static void allow_if(struct filter *f, uint32_t nr, unsigned arg, uint64_t value)
{
	add(f, nr, 1, arg, value, 0, 0);
}

static void allow_if2(struct filter *f, uint32_t nr, unsigned a0, uint64_t v0, unsigned a1,
		      uint64_t v1)
{
	add(f, nr, 2, a0, v0, a1, v1);
}

/* ioctl(fd, req): the kernel takes req as an unsigned int and ignores the
 * high half, which libcs fill differently (musl's int req is sign-extended:
 * KVM_GET_REGS arrives as 0xffffffff8090ae81), so only the low half of req
 * is compared - exactly what the kernel acts on. */
static void allow_ioctl(struct filter *f, int fd, uint32_t req)
{
	add(f, SYS_ioctl, 2, 0, (uint64_t)fd, 1, req)->low_only = 1;
}

/* write(2) to stderr and the given fds (negative ones are skipped). */
static void allow_writes(struct filter *f, const int *fds, int n)
{
	allow_if(f, SYS_write, 0, STDERR_FILENO);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0 && fds[i] != STDERR_FILENO)
			allow_if(f, SYS_write, 0, (uint64_t)fds[i]);
}

/* The disks: pread64 on each fd, pwrite64 and fdatasync on the read-write
 * ones (never any other fd: a guest cannot reach another file). */
static void allow_disks(struct filter *f, const struct mon_disk *d, int n)
{
	for (int i = 0; i < n; i++) {
		allow_if(f, SYS_pread64, 0, (uint64_t)d[i].fd);
		if (!d[i].ro) {
			allow_if(f, SYS_pwrite64, 0, (uint64_t)d[i].fd);
			allow_if(f, SYS_fdatasync, 0, (uint64_t)d[i].fd);
		}
	}
}

/* Both monitors: writes to stderr and fds[3], reads of the tap and the
 * console input (each -1: none), the disks. */
static void allow_guest_io(struct filter *f, const int *fds, int net_fd, int console_in_fd,
			   const struct mon_disk *disks, int ndisks)
{
	allow_writes(f, fds, 3);
	if (net_fd >= 0)
		allow_if(f, SYS_read, 0, (uint64_t)net_fd);
	if (console_in_fd >= 0) /* console input (--stdin) */
		allow_if(f, SYS_read, 0, (uint64_t)console_in_fd);
	allow_disks(f, disks, ndisks);
}

#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i)))
#define ARG_HI(i) (ARG_LO(i) + 4) /* little endian */

#define STMT(code, k) ((struct sock_filter)BPF_STMT(code, k))
/* "if A != k, skip jf instructions" */
#define JEQ(k, jf) ((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, jf))
#define LOAD(off) STMT(BPF_LD | BPF_W | BPF_ABS, off)
#define RET(action) STMT(BPF_RET | BPF_K, action)

/* The program of f into insns (MAX_INSNS); the number of instructions. */
static int compile(const struct filter *f, struct sock_filter *insns)
{
	int n = 0;

	insns[n++] = LOAD(offsetof(struct seccomp_data, arch));
	insns[n++] =
	    (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	insns[n++] = RET(SECCOMP_RET_KILL_PROCESS);
	insns[n++] = LOAD(offsetof(struct seccomp_data, nr));
	insns[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1);
	insns[n++] = RET(SECCOMP_RET_KILL_PROCESS);
	for (int i = 0; i < f->n; i++) {
		const struct rule *r = &f->rules[i];
		/* what follows the number's comparison: 4 per argument, "allow" */
		uint8_t left = (uint8_t)(4 * r->nargs - 2 * r->low_only + 1);

		insns[n++] = LOAD(offsetof(struct seccomp_data, nr));
		insns[n++] = JEQ(r->nr, left);
		for (int a = 0; a < r->nargs; a++) {
			insns[n++] = LOAD(ARG_LO(r->arg[a]));
			left -= 2;
			insns[n++] = JEQ((uint32_t)r->value[a], left);
			if (r->low_only && a == r->nargs - 1)
				continue;
			insns[n++] = LOAD(ARG_HI(r->arg[a]));
			left -= 2;
			insns[n++] = JEQ((uint32_t)(r->value[a] >> 32), left);
		}
		insns[n++] = RET(SECCOMP_RET_ALLOW);
	}
	insns[n++] = RET(SECCOMP_RET_KILL_PROCESS);
	return n;
}

/* Compiles and loads f (no_new_privs first: an unprivileged monitor may
 * only load a filter so). */
static int load(const struct filter *f, char *why)
{
	struct sock_filter insns[MAX_INSNS];
	struct sock_fprog prog;

	if (f->overflow) {
		snprintf(why, MON_WHY, "cannot set up the seccomp filter: more than %d rules",
			 MAX_RULES);
		return -1;
	}
	prog.len = (unsigned short)compile(f, insns);
	prog.filter = insns;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		snprintf(why, MON_WHY, "cannot set up the seccomp filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* hvt: the vCPU loop and the calls of abi/hvt_abi.h. */
int mon_seccomp_hvt(const struct mon_hvt_filter *hf, char *why)
{
	struct filter f = { .n = 0 };
	int fds[] = { STDOUT_FILENO, hf->status_fd, hf->net_fd };

	allow_ioctl(&f, hf->vcpu_fd, KVM_RUN);
	allow_ioctl(&f, hf->vcpu_fd, KVM_GET_REGS);
	/* the guest's timer and stop requests as interrupts */
	allow_ioctl(&f, hf->vcpu_fd, KVM_INTERRUPT);
	allow_if(&f, SYS_setitimer, 0, ITIMER_REAL);
	allow(&f, SYS_rt_sigtimedwait);
	allow_guest_io(&f, fds, hf->net_fd, hf->console_in_fd, hf->disks, hf->ndisks);
	allow(&f, SYS_ppoll);
	allow(&f, SYS_clock_gettime);
	allow(&f, SYS_rt_sigreturn);
	allow(&f, SYS_exit_group);
	allow(&f, SYS_exit);
#ifdef __SANITIZE_ADDRESS__
	/* Sanitizer builds only (make VARIANT=asan): ASan's exit path removes
	 * its signal stack. */
	allow(&f, SYS_sigaltstack);
	allow(&f, SYS_munmap);
#endif
	return load(&f, why);
}

/* spt: what the runtime itself calls (runtime/platform/spt). */
int mon_seccomp_spt(const struct mon_spt_filter *sf, char *why)
{
	struct filter f = { .n = 0 };
	int fds[] = { sf->console_fd, sf->status_fd, sf->net_fd };

	allow_guest_io(&f, fds, sf->net_fd, sf->console_in_fd, sf->disks, sf->ndisks);
	allow(&f, SYS_clock_gettime);
	allow(&f, SYS_ppoll);
	allow(&f, SYS_exit_group);
	allow(&f, SYS_rt_sigreturn);
	/* mappings of guest memory only, and always at a fixed place */
	allow_if2(&f, SYS_mmap, 3, MAP_SHARED | MAP_FIXED, 4, (uint64_t)sf->mem_fd);
	allow(&f, SYS_munmap);
	allow_if(&f, SYS_arch_prctl, 0, ARCH_SET_FS);
	/* the runtime's preemption timer (SIGALRM) */
	allow_if(&f, SYS_setitimer, 0, ITIMER_REAL);
	return load(&f, why);
}

void mon_forbidden_syscall(void)
{
	/* Opening a file is the first thing an attacker would try. */
	syscall(SYS_openat, AT_FDCWD, "/etc/passwd", 0);
}
