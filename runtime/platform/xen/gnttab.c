/* gnttab.c - the grant table: the pages this domain lets a back end (in
 * dom0) map or copy, for netfront's and blkfront's rings and buffers.
 *
 * Grant table version 1 (Xen's default): an array of 8-byte entries
 * {flags, domid, frame} in frames Xen maps into the guest's physical
 * address space (XENMEM_add_to_physmap, XENMAPSPACE_grant_table: a PVH
 * guest cannot use GNTTABOP_setup_table's frame list).  A grant is an
 * entry's index (its "ref"): the front end writes the ref into a ring or
 * the store, the back end maps or copies the frame.  Entries 0-7 are
 * reserved for the toolstack (the console and the store).
 *
 * Runtime code is not preempted by other runtime code (interrupt handlers
 * only record, core/sched.h), so the free list needs no lock; event
 * handlers must not grant or end grants. */
#include "xen.h"
#include "gnttab.h"
#include "../../core/errno.h"
#include "../../core/runtime.h"

#define XEN_XENMAPSPACE_GRANT_TABLE 1
#define GNTTABOP_QUERY_SIZE 6
#define RESERVED 8
#define GTF_PERMIT_ACCESS 1
#define GTF_READONLY 4
#define GTF_READING 8
#define GTF_WRITING 16

struct grant_entry {
	u16 flags, domid;
	u32 frame;
};

struct gnttab_query_size {
	u16 dom, pad;
	u32 nr_frames, max_nr_frames;
	s16 status;
};

_Static_assert(sizeof(struct grant_entry) == 8, "grant_entry_v1");
_Static_assert(sizeof(struct gnttab_query_size) == 16, "gnttab_query_size");

#define NENTRIES (GNTTAB_FRAMES * 4096 / sizeof(struct grant_entry))

static u8 table_pages[GNTTAB_FRAMES * 4096] __attribute__((aligned(4096)));
static volatile struct grant_entry *table;
static u32 nentries;
static u16 free_refs[NENTRIES];
static u32 nfree;

int gnttab_init(void)
{
	struct gnttab_query_size q = { .dom = XEN_DOMID_SELF };
	u32 frames = GNTTAB_FRAMES;
	long rc;

	if (table)
		return 0;
	rc = xen_hypercall(XEN_HC_GRANT_TABLE_OP, GNTTABOP_QUERY_SIZE, (u64)(uintptr_t)&q, 1, 0, 0);
	if (rc || q.status) {
		kprintf("unikernel: xen: grant table: query_size failed (%ld, status %d)\n", rc,
			q.status);
		return -ENODEV;
	}
	if (q.max_nr_frames < frames)
		frames = q.max_nr_frames;
	for (u32 i = 0; i < frames; i++) {
		struct xen_add_to_physmap m = {
			.domid = XEN_DOMID_SELF,
			.space = XEN_XENMAPSPACE_GRANT_TABLE,
			.idx = i,
			.gpfn = ((u64)(uintptr_t)table_pages >> 12) + i, /* the runtime runs 1:1 */
		};

		rc = xen_hypercall(XEN_HC_MEMORY_OP, XEN_XENMEM_ADD_TO_PHYSMAP, (u64)(uintptr_t)&m,
				   0, 0, 0);
		if (rc) {
			if (!i) {
				kprintf("unikernel: xen: grant table: mapping it failed (%ld)\n",
					rc);
				return -ENODEV;
			}
			frames = i; /* what Xen gave is enough to go on with */
			break;
		}
	}
	table = (volatile struct grant_entry *)table_pages;
	nentries = frames * 4096 / sizeof(struct grant_entry);
	for (u32 r = nentries; r-- > RESERVED;)
		free_refs[nfree++] = (u16)r;
	return 0;
}

int gnttab_grant(u16 domid, u64 pfn, bool readonly)
{
	u16 ref;

	if (!table || !nfree || pfn > 0xffffffffUL)
		return -ENOSPC;
	ref = free_refs[--nfree];
	table[ref].domid = domid;
	table[ref].frame = (u32)pfn;
	/* the frame and domid are visible before the entry is */
	__atomic_store_n(&table[ref].flags, GTF_PERMIT_ACCESS | (readonly ? GTF_READONLY : 0),
			 __ATOMIC_RELEASE);
	return ref;
}

int gnttab_end(int ref)
{
	u16 flags;

	if (!table || ref < RESERVED || (u32)ref >= nentries)
		return -EINVAL;
	flags = __atomic_load_n(&table[ref].flags, __ATOMIC_ACQUIRE);
	do {
		if (flags & (GTF_READING | GTF_WRITING))
			return -EBUSY; /* the back end still maps it: the entry stays */
	} while (!__atomic_compare_exchange_n(&table[ref].flags, &flags, 0, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	free_refs[nfree++] = (u16)ref;
	return 0;
}

u32 gnttab_free_count(void)
{
	return nfree;
}
