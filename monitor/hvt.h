/* hvt.h - bin/unik-hvt: one guest in one KVM virtual machine with one vCPU.
 *
 * hvt_main.c parses the command line and runs the steps in order;
 * hvt_kvm_x86_64.c owns the VM, guest memory and the vCPU loop,
 * hvt_vcpu_x86_64.c the vCPU's first state (the image's struct hvt_prepare,
 * or long mode on tables of our own), hvt_program_x86_64.c the program's
 * page tables (the image's struct hvt_program); hvt_calls.c serves the calls of
 * abi/hvt_abi.h with every guest address checked.
 */
#ifndef UNIK_MONITOR_HVT_H
#define UNIK_MONITOR_HVT_H

#include <signal.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "monitor.h"

struct hvt {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem; /* guest-physical [0, mem_size), one mapping */
	uint64_t mem_size;
	uint64_t tsc_hz; /* 0 when KVM does not say */
	/* CPUID as the guest sees it: leaf 1 ECX, leaf 0xd.0 EAX, 0x80000001 EDX */
	uint32_t cpuid1_ecx, cpuid_d0_eax, cpuid_x1_edx;
	int net_fd; /* the tap (non-blocking), or -1 */
	int console_in_fd; /* --stdin: console input (our stdin), or -1 */
	int console_in_eof; /* it has ended: never polled again */
	struct mon_disk disks[HVT_MAX_DISKS]; /* --block, in order */
	int ndisks;
};

/* Opens /dev/kvm, creates the VM, its memory (zeroed) and the vCPU.  0, or
 * -1 with why (naming /dev/kvm and the failing step). */
int hvt_kvm_create(struct hvt *h, uint64_t mem_size, char *why);
/* Puts the vCPU in 64-bit long mode at the image's hvt entry with %rdi =
 * HVT_BOOT_INFO_GPA: with the state the image's struct hvt_prepare asks
 * for (its tables checked to lie in guest memory, written there), or, when
 * the image has none, on identity page tables and a flat GDT of our own.
 * Records in `bi` what was prepared.  0, or -1 with why. */
int hvt_kvm_setup_vcpu(struct hvt *h, const struct mon_image *img, struct hvt_boot_info *bi,
		       char *why);

/* Maps the program of the image's struct hvt_program at gpa (abi/hvt_abi.h)
 * below the page tables at pml4 (the runtime's, already filled), its
 * tables and fresh frames taken from the pages above image_end; nx: EFER.NXE
 * is set.  Records it in `bi` (HVT_PREPARED_PROGRAM, frames_end).  0 (also
 * when the struct names no plan), or -1 with why naming what was refused. */
int hvt_map_program(struct hvt *h, uint64_t gpa, uint64_t pml4, uint64_t image_end, int nx,
		    struct hvt_boot_info *bi, char *why);

/* The part of hvt_kvm_setup_vcpu() that needs no KVM: checks the image's
 * struct hvt_prepare at `gpa` (copied into *p) and writes what it asks of
 * guest memory (page tables, the GDT's TSS descriptor; the direct map with
 * 1 GiB pages when gib_pages).  0, or -1 with why naming the bad field,
 * guest memory untouched.  Hostile input: tests/fuzz/fuzz_hvt_prepare.c. */
int hvt_prepare_tables(struct hvt *h, uint64_t gpa, int gib_pages, struct hvt_prepare *p,
		       char *why);

/* Says "/dev/kvm: <step>: <errno's text>" in why; -1. */
int hvt_kvm_fail(char *why, const char *step);

/* Stamps the boot info's clocks with the guest's TSC read at the same
 * moment (boot_tsc 0 when KVM cannot read it).  Called last before the
 * seccomp filter. */
void hvt_kvm_stamp_clocks(struct hvt *h, struct hvt_boot_info *bi);

/* The result of the vCPU loop or of one call. */
enum hvt_result {
	HVT_CONTINUE, /* go on running the guest */
	HVT_HALTED, /* the guest halted with a status */
	HVT_STOPPED, /* the monitor stopped the guest: why says what it did */
};

/* Runs the vCPU until the guest halts (*status = its status) or must be
 * stopped (why says why).  Returns HVT_HALTED or HVT_STOPPED. */
enum hvt_result hvt_kvm_run(struct hvt *h, int *status, char *why);

/* Serves call `nr` whose struct the guest put at `gpa`.  HVT_CONTINUE,
 * HVT_HALTED with *status, or HVT_STOPPED with why naming the call and the
 * bad value (a wild address, an unknown call number). */
enum hvt_result hvt_call(struct hvt *h, unsigned nr, uint64_t gpa, int *status, char *why);

/* hvt_events.c: the guest's timer and stop requests (SIGALRM, SIGTERM). */
extern volatile sig_atomic_t hvt_timer_fired, hvt_stop_requested;
/* The signal mask while the monitor waits (ppoll) or runs the vCPU: the
 * events' signals unblocked. */
extern sigset_t hvt_wait_mask;
/* Installs the handlers and blocks their signals outside the waits. */
int hvt_events_init(struct hvt *h, char *why);
/* After KVM_RUN returned EINTR: takes the signals that ended it. */
void hvt_events_take(void);
/* Arms the guest's timer timeout_ns from now (0: disarms); 0 or -1. */
int hvt_timer_arm(uint64_t timeout_ns);
/* Before KVM_RUN: injects a pending event, or requests an interrupt window.
 * 0, or -1 with why. */
int hvt_events_inject(struct hvt *h, char *why);

#endif
