/* hvt_abi.h - the one contract between the unik runtime (guest) and its
 * monitors, bin/unik-hvt (a KVM virtual machine) and bin/unik-spt (a
 * sandboxed host process).  Nothing else crosses that line: runtime/ and
 * monitor/ both include this file and share no other header.
 *
 * Image.  A unik image is one ELF file (format "unik-elf").  Besides the
 * PVH note that QEMU reads, it carries notes of owner "unik" (section
 * .note.unik) naming the entry point of each monitor target and the ABI
 * version the runtime speaks.  A monitor refuses an image whose version
 * differs from its own.  Segments are loaded at their physical address
 * (p_paddr == p_vaddr, from 1 MiB up).
 *
 * hvt.  Guest-physical memory is one block [0, mem_size).  The monitor
 * loads the image, writes a `struct hvt_boot_info` at HVT_BOOT_INFO_GPA and
 * the command line at HVT_CMDLINE_GPA and starts the vCPU in 64-bit long
 * mode at the hvt entry with %rdi = HVT_BOOT_INFO_GPA and %rsi = the boot
 * info's `prepared` flags.  When the image names a `struct hvt_prepare`
 * (note HVT_NOTE_HVT_PREPARE, version 6), the monitor sets up what it asks
 * for: the runtime's descriptor tables, control registers, XCR0, EFER and
 * syscall MSRs (HVT_PREPARED_CPU) and the runtime's own boot page tables
 * with the direct map of all guest memory (HVT_PREPARED_PAGING, CR3 = its
 * pml4), so the runtime skips that work.  Without the note it builds
 * identity page tables for the first GiB at HVT_PAGE_TABLES_GPA and a flat
 * GDT at HVT_GDT_GPA, and `prepared` is 0.  A call is one 32-bit
 * port write: `outl(HVT_PIO_BASE + call, gpa of the call's struct)`; the
 * struct lies wholly in guest memory below 4 GiB.  The monitor validates
 * every guest address and length it receives and stops the guest, naming
 * the call and the bad value, when one is outside guest memory, as it does
 * for an unknown call number.
 *
 * spt.  The monitor maps guest memory (a memfd of mem_size bytes) at
 * `dmap_base` in its own address space, loads the image there, maps the
 * runtime's own segments at their link addresses, installs the signal
 * handlers named by the notes, Syscall User Dispatch over the runtime's
 * text and a seccomp filter, and jumps to the spt entry with
 * %rdi = dmap_base + HVT_BOOT_INFO_GPA.  Calls are host system calls made by
 * the runtime itself, confined by the filter (docs/security.md).  The
 * handler (HVT_NOTE_SPT_SIGNAL) also gets SIGALRM (the runtime's preemption
 * timer, setitimer ITIMER_REAL) and SIGTERM (a stop request, version 3).
 *
 * Fields marked IN are written by the guest, OUT by the monitor.
 */
#ifndef UNIK_HVT_ABI_H
#define UNIK_HVT_ABI_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/* Bumped on every incompatible change of anything in this file. */
#define HVT_ABI_VERSION 7

/* ELF notes: owner "unik", descriptor a little-endian u64. */
#define HVT_NOTE_NAME "unik"
#define HVT_NOTE_ABI_VERSION 1 /* HVT_ABI_VERSION of the runtime */
#define HVT_NOTE_HVT_ENTRY 2 /* 64-bit entry for unik-hvt */
#define HVT_NOTE_SPT_ENTRY 3 /* entry for unik-spt */
#define HVT_NOTE_SPT_SIGNAL 4 /* spt signal handler (SIGSYS, faults, SIGALRM, SIGTERM) */
#define HVT_NOTE_SPT_RESTORER 5 /* spt rt_sigreturn trampoline */
#define HVT_NOTE_HVT_PREPARE 6 /* gpa of the struct hvt_prepare (version 6) */
#define HVT_NOTE_HVT_PROGRAM 7 /* gpa of the struct hvt_program (version 7) */

/* Guest-physical layout (hvt and spt). */
#define HVT_BOOT_INFO_GPA 0x1000UL
#define HVT_CMDLINE_GPA 0x2000UL
#define HVT_CMDLINE_MAX 8192UL
#define HVT_PAGE_TABLES_GPA 0x8000UL /* pml4, pdpt, pd: identity map of 1 GiB */
#define HVT_GDT_GPA 0xb000UL
#define HVT_SPT_ALTSTACK_GPA 0x10000UL /* spt: the signal stack */
#define HVT_SPT_ALTSTACK_SIZE 0x20000UL
#define HVT_SPT_SELECTOR_GPA 0xf00UL /* spt: the Syscall User Dispatch switch byte */
#define HVT_IMAGE_MIN 0x100000UL /* images load from 1 MiB */
/* spt: host addresses the runtime's layout leaves to the monitor's mapping
 * of guest memory (between its mmap areas and its stack). */
#define HVT_SPT_DMAP_MIN 0x7f4000000000UL
#define HVT_SPT_DMAP_MAX 0x7fff00000000UL
#define HVT_MEM_MIN (2UL << 20)
#define HVT_MEM_MAX (3UL << 30) /* the runtime's direct map covers 4 GiB */

#define HVT_BOOT_MAGIC 0x746b6e75 /* "unkt" */
/* The boot info's `prepared` (and %rsi at the hvt entry), version 6: */
#define HVT_PREPARED_CPU 1 /* the CPU state of struct hvt_prepare is set */
#define HVT_PREPARED_PAGING 2 /* its page tables are filled, CR3 = pml4 */
#define HVT_PREPARED_PROGRAM 4 /* the program of struct hvt_program is mapped */
#define HVT_SPT_MAX_UNMAP 64
/* hvt calls: port HVT_PIO_BASE + call, value = gpa of the call's struct. */
#define HVT_PIO_BASE 0x500
#define HVT_CALL_WALLTIME 1
#define HVT_CALL_CONSOLE_WRITE 2
#define HVT_CALL_POLL 3
#define HVT_CALL_HALT 4
/* Network (version 2).  The device itself (MAC, MTU) is described in the
 * boot info; call 5 stays unused. */
#define HVT_CALL_NET_INFO 5
#define HVT_CALL_NET_WRITE 6
#define HVT_CALL_NET_READ 7
/* Disks (version 4): the volumes of --block, in the monitor's order.
 * BLOCK_INFO answers what the boot info's disks[] already says (version 5);
 * the runtime no longer makes it at boot. */
#define HVT_CALL_BLOCK_INFO 8
#define HVT_CALL_BLOCK_WRITE 9
#define HVT_CALL_BLOCK_READ 10
/* Preemption and stopping (version 3): */
#define HVT_CALL_TIMER 11
/* The guest's standard error (version 5): as CONSOLE_WRITE, to the
 * monitor's stderr instead of its stdout. */
#define HVT_CALL_CONSOLE_ERR 12
/* The guest's standard input (console input, the monitor's --stdin): a
 * compatible addition to version 5, announced by the boot info's console_in
 * (a runtime makes the call only then). */
#define HVT_CALL_CONSOLE_READ 13
#define HVT_CALL_MAX 14

/* hvt: interrupt vectors the monitor injects (KVM_INTERRUPT, no local
 * APIC: nothing to acknowledge), only while the guest has RFLAGS.IF set. */
#define HVT_IRQ_TIMER 32 /* the timer of HVT_CALL_TIMER expired */
#define HVT_IRQ_STOP 33 /* the host asks the guest to stop (see HVT_READY_STOP) */

/* Disks (version 4).  At most HVT_MAX_DISKS, numbered from 0 in the order of
 * the monitor's --block options; the guest sees them in that order. */
#define HVT_MAX_DISKS 16
#define HVT_SECTOR_SIZE 512 /* sizes and offsets are multiples of it */
#define HVT_DISK_RO 1 /* disk flag: read-only (writes give -EROFS) */
#define HVT_BLOCK_FLUSH 1 /* write flag: then make the disk's data durable (fdatasync) */

#ifndef __ASSEMBLER__

/* hvt (version 6): the state the runtime asks unik-hvt to set up before the
 * vCPU first runs, at the gpa of note HVT_NOTE_HVT_PREPARE, inside the
 * image's loaded segments.  The monitor checks that every table it writes
 * (the GDT's TSS descriptor, the page tables) is page-aligned where said,
 * wholly in guest memory, and refuses the image otherwise; the addresses it
 * only loads into registers are the guest's own business.
 *
 * CPU state: GDTR = [gdt, gdt + gdt_size), CS = code_sel (64-bit code, ring
 * 0), DS/ES/SS/FS/GS = data_sel, the TSS descriptor (available, then busy)
 * written at GDT offset tss_sel (16 bytes) and TR = tss_sel with base tss
 * and limit tss_size - 1; IDTR = [idt, idt + idt_size); CR0 = PE MP ET NE WP
 * PG; CR4 = PAE OSFXSR OSXMMEXCPT, and OSXSAVE with XCR0 = x87 SSE (AVX,
 * AVX-512 when the CPU has them) when the CPU has XSAVE (the boot info's
 * xcr0 says what was set, 0 without XSAVE); the x87 and SSE state as after
 * FNINIT with MXCSR 0x1f80; EFER = LME LMA SCE (NXE when the CPU has NX);
 * STAR, LSTAR and FMASK = star, lstar, fmask; RSP = stack_top.
 *
 * Page tables (4 KiB each): pml4[0] -> pdpt_low, pdpt_low[0] -> pd_low,
 * pd_low[0] -> pt_low (present, writable, user), whose entries 256..511 map
 * [1 MiB, 2 MiB) 1:1 (present, writable; the rest of pt_low stays zero:
 * the image's pt_low is in .bss since ABI 7); pml4[dmap_slot] -> pdpt_dmap, whose GiB n points to
 * page n of pd_dmap (2 MiB pages of guest-physical n GiB + ..., as many as
 * guest memory needs, at most four pages), or holds a 1 GiB page when the
 * CPU has them; the direct map covers [0, mem_size) and is supervisor-only.
 * The tables of the page at stack_va (the program's stack top): pml4 ->
 * pdpt_stack -> pd_stack -> pt_stack at its indices (present, writable,
 * user), so that mapping it takes no page-table frames; its pml4 index must
 * be neither 0 nor dmap_slot, and below 256. */
struct hvt_prepare {
	uint64_t gdt, idt, tss;
	uint32_t gdt_size, idt_size, tss_size;
	uint16_t code_sel, data_sel, tss_sel, pad0;
	uint32_t dmap_slot; /* pml4 index of the direct map (256..511) */
	uint64_t star, lstar, fmask;
	uint64_t stack_top;
	uint64_t pml4, pdpt_low, pd_low, pt_low, pdpt_dmap, pd_dmap;
	uint64_t stack_va, pdpt_stack, pd_stack, pt_stack;
};
_Static_assert(sizeof(struct hvt_prepare) == 160, "struct hvt_prepare: no padding, one layout");

/* hvt (version 7, note HVT_NOTE_HVT_PROGRAM,
 * honoured only together with a struct hvt_prepare): the program the
 * runtime would map at boot, which unik-hvt maps instead.  `plan` is the
 * gpa of the program's load plan (abi/app_plan.h), [file, file_end) the
 * program file the plan is for (file page-aligned); plan 0: nothing to
 * map.  The monitor checks the plan as app_plan_check() does, and that the
 * plan and the file lie in the loaded image, and refuses the image
 * otherwise, naming the field.  It then fills the program's page tables
 * below pml4 as the runtime's arch_map_pages would (present, user,
 * writable as the segment is, NX unless executable when EFER.NXE is set):
 * the direct pages map the file's own frames, the others fresh zeroed
 * frames holding the file bytes they cover.  The page tables and fresh
 * frames it takes are the pages [image_end rounded up to a page,
 * frames_end) of the boot info (HVT_PREPARED_PROGRAM set). */
struct hvt_program {
	uint64_t plan;
	uint64_t file, file_end;
};
_Static_assert(sizeof(struct hvt_program) == 24, "struct hvt_program: one layout");

struct hvt_range {
	uint64_t start, end;
};

/* At HVT_BOOT_INFO_GPA; every field OUT. */
struct hvt_boot_info {
	uint32_t magic; /* HVT_BOOT_MAGIC */
	uint32_t abi_version; /* HVT_ABI_VERSION of the monitor */
	uint64_t mem_size; /* guest memory [0, mem_size) */
	uint64_t image_end; /* first byte above the loaded image */
	uint64_t cmdline; /* gpa of the NUL-terminated command line */
	uint64_t tsc_hz; /* guest TSC rate, 0 if unknown (hvt) */
	/* The network device (hvt and spt): an Ethernet interface whose frames
	 * go to a host tap device.  net_mtu == 0: there is none. */
	uint8_t net_mac[6];
	uint16_t net_mtu;
	/* spt only (zero on hvt): */
	uint64_t dmap_base; /* host address of guest-physical 0 */
	int32_t console_fd; /* host fd of the console */
	int32_t status_fd; /* host fd that gets "<status>\n" at exit, or -1 */
	int32_t mem_fd; /* host fd of guest memory (mmap offset = gpa) */
	int32_t net_fd; /* host fd of the tap device (frames, non-blocking), or -1 */
	uint64_t sud_selector; /* host address of the Syscall User Dispatch switch byte */
	uint32_t nunmap; /* host ranges the runtime unmaps at entry */
	uint32_t ndisks; /* entries of disks[] (spt: version 4, hvt: version 5) */
	struct hvt_range unmap[HVT_SPT_MAX_UNMAP];
	/* The disks of --block, in order.  spt: the runtime reads and writes
	 * their host fds itself with pread64, pwrite64 and fdatasync (only
	 * those calls, only on these fds: the seccomp filter).  hvt (version
	 * 5): fd is -1, the disks are reached by the block calls. */
	struct hvt_disk {
		int32_t fd; /* host fd, open for reading (and writing unless RO) */
		uint32_t flags; /* HVT_DISK_RO */
		uint64_t size; /* bytes, a multiple of HVT_SECTOR_SIZE */
	} disks[HVT_MAX_DISKS];
	/* Version 5: the host's clocks, read together just before the guest
	 * first runs, so that the guest needs no WALLTIME call at boot. */
	uint64_t wall_ns; /* CLOCK_REALTIME, ns since the Unix epoch */
	uint64_t mono_ns; /* CLOCK_MONOTONIC, ns */
	uint64_t boot_tsc; /* hvt: the guest's TSC at that moment (0: unknown) */
	/* Version 5 too (spt): host fd of the second console (the guest's standard
	 * error and the runtime's own lines), or -1: console_fd takes both. */
	int32_t console_err_fd;
	uint32_t pad_console;
	/* Console input (the monitor's --stdin; zero from a monitor without
	 * it: the guest's standard input is at end of file).  console_in 1: it
	 * comes from the host, on hvt by CONSOLE_READ (and HVT_READY_CONSOLE of
	 * POLL), on spt by read(2) of console_in_fd once host ppoll says it is
	 * readable (the filter allows read on it, nothing else). */
	uint32_t console_in;
	int32_t console_in_fd; /* spt: host fd of console input; hvt: -1 */
	/* Version 6 (hvt; zero on spt): what the monitor set up of the image's
	 * struct hvt_prepare (HVT_PREPARED_*), and XCR0 as it set it (0: the
	 * CPU has no XSAVE, or CPU state was not prepared). */
	uint32_t prepared;
	uint32_t pad_prepared;
	uint64_t xcr0;
	/* HVT_PREPARED_PROGRAM (version 7): the frames
	 * the monitor took for the program are [image_end rounded up to a
	 * page, frames_end); 0 otherwise. */
	uint64_t frames_end;
};

/* Host clocks, read together. */
struct hvt_call_walltime {
	uint64_t wall_ns; /* OUT: ns since the Unix epoch (CLOCK_REALTIME) */
	uint64_t mono_ns; /* OUT: host CLOCK_MONOTONIC, ns */
};

/* Writes [data, data + len) to the console: the monitor's stdout
 * (CONSOLE_WRITE, the guest's fd 1) or stderr (CONSOLE_ERR, the guest's fd
 * 2 and the runtime's own lines). */
struct hvt_call_console_write {
	uint64_t data; /* IN: gpa */
	uint64_t len; /* IN */
};

/* Blocks until an event or until timeout_ns has passed.  Events: a frame
 * is waiting on the network device (HVT_READY_NET); the host asks the guest
 * to stop (HVT_READY_STOP: the monitor got SIGTERM, reported once, here or
 * as HVT_IRQ_STOP, whichever comes first); the timer of HVT_CALL_TIMER
 * expired (ready_set 0).  Returns at once when one is already there. */
#define HVT_READY_NET (1ULL << 0)
#define HVT_READY_STOP (1ULL << 1)
/* Console input is waiting, or has ended (only when asked for in `want`). */
#define HVT_READY_CONSOLE (1ULL << 2)
struct hvt_call_poll {
	uint64_t timeout_ns; /* IN */
	uint64_t ready_set; /* OUT: sources ready, 0 on timeout */
	int32_t ret; /* OUT: 0, or a negated errno */
	/* IN: HVT_READY_CONSOLE: console input also ends the wait (a guest
	 * that has room for it); 0 from a runtime that never reads it. */
	uint32_t want;
};

/* Sends one Ethernet frame [data, data + len) (len <= MTU + 18).  ret: 0,
 * -EAGAIN when the host's queue is full (retry), or -EIO (frame dropped). */
struct hvt_call_net_write {
	uint64_t data; /* IN: gpa */
	uint64_t len; /* IN */
	int32_t ret; /* OUT */
	uint32_t pad;
};

/* Receives one frame into [data, data + size) (size >= MTU + 18).  len: its
 * length, 0 when none is waiting (ret 0); ret -EIO on a host error. */
struct hvt_call_net_read {
	uint64_t data; /* IN: gpa */
	uint64_t size; /* IN */
	uint64_t len; /* OUT */
	int32_t ret; /* OUT */
	uint32_t pad;
};

/* Arms the guest's one-shot timer to expire timeout_ns from now, or
 * disarms it (0).  On expiry the monitor injects HVT_IRQ_TIMER as soon as
 * the guest accepts interrupts, or ends a POLL in progress. */
struct hvt_call_timer {
	uint64_t timeout_ns; /* IN */
};

/* Describes disk `disk` (hvt).  ret 0 with its size and flags, or -ENODEV
 * when disk >= count; count is always the number of disks (0: none). */
struct hvt_call_block_info {
	uint32_t disk; /* IN */
	uint32_t count; /* OUT */
	uint64_t size; /* OUT: bytes, a multiple of HVT_SECTOR_SIZE */
	uint32_t flags; /* OUT: HVT_DISK_RO */
	int32_t ret; /* OUT */
};

/* Reads (BLOCK_READ) or writes (BLOCK_WRITE) [data, data + len) of guest
 * memory from or to the disk at byte `offset` (hvt).  offset and len are
 * multiples of HVT_SECTOR_SIZE and [offset, offset + len) lies on the disk.
 * A write with HVT_BLOCK_FLUSH then makes everything written so far durable
 * (len may be 0: a flush alone).  ret: 0, -EINVAL (bad disk, range or
 * alignment), -EROFS (a write to a read-only disk) or -EIO.  A data range
 * outside guest memory stops the guest. */
struct hvt_call_block_rw {
	uint32_t disk; /* IN */
	uint32_t flags; /* IN: HVT_BLOCK_FLUSH (writes) */
	uint64_t offset; /* IN: bytes */
	uint64_t data; /* IN: gpa */
	uint64_t len; /* IN: bytes */
	int32_t ret; /* OUT */
	uint32_t pad;
};

/* Takes up to `size` bytes of waiting console input into [data, data +
 * size); never blocks.  len: the bytes taken, 0 when none is waiting; eof
 * 1 once the input has ended (the host side closed it: no more will come).
 * ret 0, or -ENODEV without console input (boot info console_in 0). */
struct hvt_call_console_read {
	uint64_t data; /* IN: gpa */
	uint64_t size; /* IN */
	uint64_t len; /* OUT */
	uint32_t eof; /* OUT */
	int32_t ret; /* OUT */
};

/* Ends the guest; the monitor exits with `status` (0..255). */
struct hvt_call_halt {
	int32_t status; /* IN */
	uint32_t pad;
};

#endif /* !__ASSEMBLER__ */
#endif
