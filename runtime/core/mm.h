/* mm.h - physical frames, page mappings and the application's address space.
 *
 * Layout (virtual):
 *   [0, 1 MiB)            unmapped (NULL and small pointers fault)
 *   [1 MiB, 2 MiB)        the runtime, mapped 1:1
 *   [2 MiB, 128 TiB)      the application: ELF segments, brk heap, mmap
 *                         areas, stack; backed on first touch
 *   DMAP_BASE + phys      all RAM below 4 GiB, for the runtime's own use
 */
#ifndef UNIK_RT_MM_H
#define UNIK_RT_MM_H

#include "kernel.h"

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4

#define USER_MIN 0x200000UL
#define MMAP_BASE 0x10000000000UL /* 1 TiB: mmap areas grow down from MMAP_TOP */
#define MMAP_TOP 0x7f0000000000UL
#define STACK_TOP 0x7ffffffff000UL
#define STACK_SIZE (8UL << 20)
#define BRK_MAX (1UL << 36)

/* Frames (core/mm.c).  Every frame handed out is zeroed. */
void frames_add(u64 base, u64 size);
/* frames_add, where the frames below taken_end are in use already (the
 * platform mapped the program there before the runtime ran): never handed
 * out, still freed into the allocator when the program lets them go. */
void frames_add_taken(u64 base, u64 size, u64 taken_end);
/* Says whether RAM the runtime has not used yet reads as zeros. */
void frames_fresh_zeroed(bool zeroed);
/* A zeroed 4 KiB frame, or 0 when memory is exhausted. */
u64 frame_alloc(void);
/* n physically contiguous zeroed frames (for device rings and lwIP's
 * heap; never freed), or 0 when no region has room. */
u64 frames_alloc_contig(u64 n);
void frame_free(u64 pa);
u64 frames_total(void);
u64 frames_free(void);

/* Page tables (arch).  prot is PROT_* bits. */
int arch_map_page(u64 va, u64 pa, int prot);
/* Maps n pages from va to the frames from pa on; -1 when out of memory. */
int arch_map_pages(u64 va, u64 pa, u64 n, int prot);
/* Removes the mapping of va; returns the frame it mapped, or 0. */
u64 arch_unmap_page(u64 va);
/* The frame va maps to, or 0. */
u64 arch_lookup_page(u64 va);
/* True when the program may access every page of [start, end) as asked
 * (write or read) right now: each is mapped for it with that access.  (A
 * PROT_NONE page is mapped for the runtime only.)  start < end. */
bool arch_user_range(u64 start, u64 end, bool write);
void arch_protect_page(u64 va, int prot);
/* The platform linked the page table `pt` (runtime memory) for the 2 MiB
 * of addresses around va: walks start there. */
void arch_page_table_known(u64 va, u64 *pt);
/* Extends the direct map to cover physical [0, top). */
void arch_dmap_extend(u64 top);
void arch_dmap_extend_gib(u64 top); /* 1 GiB pages: RAM-only platforms */
/* Maps device registers [pa, pa + size) (below 4 GiB) uncached into the
 * direct map, in 2 MiB pages; their address, or NULL.  VM platforms only. */
void *arch_map_mmio(u64 pa, u64 size);

/* The application's address space (core/vm.c). */
enum vma_kind { VMA_ANON, VMA_IMAGE, VMA_STACK, VMA_BRK };

/* Reserves [start, end) with prot; pages are backed on first touch.  The
 * range must be free.  Returns 0 or -ENOMEM. */
int vm_reserve(u64 start, u64 end, int prot, enum vma_kind kind);
struct app_plan;
/* At boot, before any other reservation: one VMA_IMAGE reservation per
 * segment of `plan` (abi/app_plan.h), which the platform checked (its
 * segments ascending, not overlapping, in the program's addresses), in
 * one pass.  0 or -ENOMEM. */
int vm_reserve_plan(const struct app_plan *plan);
/* Unmaps and frees everything in [start, end). */
void vm_release(u64 start, u64 end);
/* A free range of len bytes in the mmap area, or 0. */
u64 vm_find_free(u64 len);
/* 1 if all of [start, end) is reserved, 0 if none of it is, -1 if mixed. */
int vm_state(u64 start, u64 end);
/* Backs the page at addr if a reservation allows the access.  0, or
 * -EFAULT (no reservation / not allowed) or -ENOMEM. */
int vm_fault(u64 addr, bool write);
int vm_protect(u64 start, u64 end, int prot);
/* Moves the pages of [old, old+len) to new (a free range), keeping prot. */
int vm_move(u64 old, u64 len, u64 new_addr);
/* The protection of the reservation at addr, or -1. */
int vm_prot_at(u64 addr);
/* Checks that [p, p+len) is reserved for the access (no wrap-around). */
bool vm_check(const void *p, u64 len, bool write);
/* Backs the pages under [p, p+len) now (for the loader and direct I/O). */
int vm_populate(u64 start, u64 end);

/* The first reservation ending above *addr: 1 with its range, prot and
 * kind (and *addr moved past it), or 0 when there is none (/proc/self/maps). */
int vm_next_area(u64 *addr, u64 *start, u64 *end, int *prot, enum vma_kind *kind);

/* brk heap (core/sys_mm.c) */
void brk_init(u64 start);

#endif
