/* hvt_kvm_x86_64.c - the KVM and x86-64 half of bin/unik-hvt.
 *
 * One VM, one vCPU, guest memory as one anonymous mapping at
 * guest-physical 0.  No firmware and no real mode: the vCPU starts directly
 * in 64-bit long mode at the image's hvt entry (hvt_vcpu_x86_64.c sets its
 * first state).  Port writes to HVT_PIO_BASE + n are calls (hvt_calls.c); any other exit
 * stops the guest with a message naming it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvt.h"

#define CPUID_MAX_ENTRIES 256
#define MSR_IA32_TSC 0x10

int hvt_kvm_fail(char *why, const char *step)
{
	snprintf(why, MON_WHY, "/dev/kvm: %s: %s", step, strerror(errno));
	return -1;
}

/* The host's CPUID as KVM supports it, minus what the guest must not see:
 * IA32_ARCH_CAPABILITIES (leaf 7 EDX bit 29) aborts some nested KVMs. */
static int setup_cpuid(struct hvt *h, char *why)
{
	size_t size =
	    sizeof(struct kvm_cpuid2) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = calloc(1, size);
	int rc = -1;

	if (!c)
		return hvt_kvm_fail(why, "cpuid");
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(h->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		hvt_kvm_fail(why, "KVM_GET_SUPPORTED_CPUID");
		goto cleanup;
	}
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 7 && e->index == 0)
			e->edx &= ~(1u << 29);
		if (e->function == 1)
			h->cpuid1_ecx = e->ecx;
		if (e->function == 0xd && e->index == 0)
			h->cpuid_d0_eax = e->eax;
		if (e->function == 0x80000001)
			h->cpuid_x1_edx = e->edx;
	}
	if (ioctl(h->vcpu_fd, KVM_SET_CPUID2, c) < 0) {
		hvt_kvm_fail(why, "KVM_SET_CPUID2");
		goto cleanup;
	}
	rc = 0;
cleanup:
	free(c);
	return rc;
}

int hvt_kvm_create(struct hvt *h, uint64_t mem_size, char *why)
{
	struct kvm_userspace_memory_region region;
	int n;

	h->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (h->kvm_fd < 0)
		return hvt_kvm_fail(why, "open");
	if (ioctl(h->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		snprintf(why, MON_WHY, "/dev/kvm: unsupported KVM API version");
		return -1;
	}
	h->vm_fd = ioctl(h->kvm_fd, KVM_CREATE_VM, 0);
	if (h->vm_fd < 0)
		return hvt_kvm_fail(why, "KVM_CREATE_VM");
	h->mem_size = mem_size;
	h->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (h->mem == MAP_FAILED)
		return hvt_kvm_fail(why, "guest memory");
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = mem_size,
		.userspace_addr = (uint64_t)h->mem,
	};
	if (ioctl(h->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return hvt_kvm_fail(why, "KVM_SET_USER_MEMORY_REGION");
	h->vcpu_fd = ioctl(h->vm_fd, KVM_CREATE_VCPU, 0);
	if (h->vcpu_fd < 0)
		return hvt_kvm_fail(why, "KVM_CREATE_VCPU");
	n = ioctl(h->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (n < (int)sizeof(struct kvm_run))
		return hvt_kvm_fail(why, "KVM_GET_VCPU_MMAP_SIZE");
	h->run_size = (size_t)n;
	h->run = mmap(NULL, h->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, h->vcpu_fd, 0);
	if (h->run == MAP_FAILED)
		return hvt_kvm_fail(why, "mapping the vCPU state");
	if (setup_cpuid(h, why) < 0)
		return -1;
	n = ioctl(h->vcpu_fd, KVM_GET_TSC_KHZ, 0);
	h->tsc_hz = n > 0 ? (uint64_t)n * 1000 : 0;
	return 0;
}

void hvt_kvm_stamp_clocks(struct hvt *h, struct hvt_boot_info *bi)
{
	union {
		struct kvm_msrs m;
		uint8_t room[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} u;

	memset(&u, 0, sizeof(u));
	u.m.nmsrs = 1;
	u.m.entries[0].index = MSR_IA32_TSC;
	mon_boot_clocks(bi);
	bi->boot_tsc = ioctl(h->vcpu_fd, KVM_GET_MSRS, &u.m) == 1 ? u.m.entries[0].data : 0;
}

static void describe_exit(struct hvt *h, const char *what, char *why)
{
	struct kvm_regs regs;

	if (ioctl(h->vcpu_fd, KVM_GET_REGS, &regs) == 0)
		snprintf(why, MON_WHY, "%s (guest rip 0x%llx)", what, regs.rip);
	else
		snprintf(why, MON_WHY, "%s", what);
}

static enum hvt_result io_exit(struct hvt *h, int *status, char *why)
{
	struct kvm_run *r = h->run;
	uint32_t value;
	unsigned nr;

	if (r->io.direction != KVM_EXIT_IO_OUT || r->io.size != 4 || r->io.count != 1 ||
	    r->io.port <= HVT_PIO_BASE || r->io.port >= HVT_PIO_BASE + 0x100) {
		char what[128];

		snprintf(what, sizeof(what),
			 "guest accessed I/O port 0x%x (%s, %u bytes), not a call", r->io.port,
			 r->io.direction == KVM_EXIT_IO_OUT ? "write" : "read", r->io.size);
		describe_exit(h, what, why);
		return HVT_STOPPED;
	}
	/* data_offset is set by KVM, inside the run area it mapped for us. */
	if (r->io.data_offset > h->run_size - sizeof(value)) {
		snprintf(why, MON_WHY, "KVM reported an I/O buffer outside the vCPU state");
		return HVT_STOPPED;
	}
	memcpy(&value, (uint8_t *)r + r->io.data_offset, sizeof(value));
	nr = r->io.port - HVT_PIO_BASE;
	return hvt_call(h, nr, value, status, why);
}

enum hvt_result hvt_kvm_run(struct hvt *h, int *status, char *why)
{
	for (;;) {
		enum hvt_result res;
		char what[128];

		if (hvt_events_inject(h, why) < 0)
			return HVT_STOPPED;
		if (ioctl(h->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR) {
				hvt_events_take();
				continue;
			}
			if (errno == EAGAIN)
				continue;
			snprintf(why, MON_WHY, "KVM_RUN failed: %s", strerror(errno));
			return HVT_STOPPED;
		}
		switch (h->run->exit_reason) {
		case KVM_EXIT_IO:
			res = io_exit(h, status, why);
			if (res != HVT_CONTINUE)
				return res;
			break;
		case KVM_EXIT_IRQ_WINDOW_OPEN: break; /* inject at the top */
		case KVM_EXIT_HLT:
			describe_exit(h, "guest halted the CPU without the halt call", why);
			return HVT_STOPPED;
		case KVM_EXIT_SHUTDOWN:
			describe_exit(h, "guest triple-faulted (shutdown)", why);
			return HVT_STOPPED;
		case KVM_EXIT_MMIO:
			snprintf(what, sizeof(what), "guest accessed unbacked memory at 0x%llx",
				 h->run->mmio.phys_addr);
			describe_exit(h, what, why);
			return HVT_STOPPED;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(why, MON_WHY, "KVM could not enter the guest (reason 0x%llx)",
				 h->run->fail_entry.hardware_entry_failure_reason);
			return HVT_STOPPED;
		case KVM_EXIT_INTERNAL_ERROR:
			snprintf(what, sizeof(what), "KVM internal error %u (1: emulation failure)",
				 h->run->internal.suberror);
			describe_exit(h, what, why);
			return HVT_STOPPED;
		default:
			snprintf(what, sizeof(what), "unexpected KVM exit %u", h->run->exit_reason);
			describe_exit(h, what, why);
			return HVT_STOPPED;
		}
	}
}
