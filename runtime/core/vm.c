/* vm.c - the application's address space: a sorted list of reservations
 * (start, end, prot, kind) whose pages are backed by zeroed frames on first
 * touch (vm_fault, called from the page-fault handler). */
#include "errno.h"
#include "mm.h"
#include "../../abi/app_plan.h"

#define VMA_MAX 2048

struct vma {
	u64 start, end;
	int prot;
	enum vma_kind kind;
};

static struct vma vmas[VMA_MAX];
static int nvma;

/* Index of the first vma with end > addr (nvma if none). */
static int first_after(u64 addr)
{
	int lo = 0, hi = nvma;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct vma *find(u64 addr)
{
	int i = first_after(addr);

	return i < nvma && vmas[i].start <= addr ? &vmas[i] : NULL;
}

static int insert_at(int i, struct vma v)
{
	if (nvma == VMA_MAX)
		return -ENOMEM;
	if (i < nvma)
		memmove(&vmas[i + 1], &vmas[i], (nvma - i) * sizeof(vmas[0]));
	vmas[i] = v;
	nvma++;
	return 0;
}

static void remove_at(int i)
{
	memmove(&vmas[i], &vmas[i + 1], (nvma - i - 1) * sizeof(vmas[0]));
	nvma--;
}

static bool same(const struct vma *a, const struct vma *b)
{
	return a->prot == b->prot && a->kind == b->kind;
}

int vm_reserve(u64 start, u64 end, int prot, enum vma_kind kind)
{
	struct vma v = { start, end, prot, kind };
	int i;

	if (start < USER_MIN || end <= start || end > STACK_TOP)
		return -ENOMEM;
	/* Above every reservation (the program's segments, then its stack, at
	 * boot): appended, or the last one grown, with no search. */
	if (!nvma || vmas[nvma - 1].end <= start) {
		if (nvma && vmas[nvma - 1].end == start && same(&vmas[nvma - 1], &v)) {
			vmas[nvma - 1].end = end;
			return 0;
		}
		if (nvma == VMA_MAX)
			return -ENOMEM;
		vmas[nvma++] = v;
		return 0;
	}
	i = first_after(start);
	if (i < nvma && vmas[i].start < end)
		return -ENOMEM; /* overlaps: callers release first */
	if (i > 0 && vmas[i - 1].end == start && same(&vmas[i - 1], &v)) {
		vmas[i - 1].end = end;
		if (i < nvma && vmas[i].start == end && same(&vmas[i], &v)) {
			vmas[i - 1].end = vmas[i].end;
			remove_at(i);
		}
		return 0;
	}
	if (i < nvma && vmas[i].start == end && same(&vmas[i], &v)) {
		vmas[i].start = start;
		return 0;
	}
	return insert_at(i, v);
}

int vm_reserve_plan(const struct app_plan *plan)
{
	if (nvma || plan->nseg > VMA_MAX)
		return -ENOMEM;
	for (u32 i = 0; i < plan->nseg; i++)
		vmas[i] = (struct vma){ plan->seg[i].start, plan->seg[i].end,
					(int)plan->seg[i].prot, VMA_IMAGE };
	nvma = (int)plan->nseg;
	return 0;
}

static void unmap_range(u64 start, u64 end)
{
	for (u64 va = start; va < end; va += PAGE_SIZE)
		frame_free(arch_unmap_page(va));
}

/* Splits so that no vma straddles addr. */
static int split_at(u64 addr)
{
	int i = first_after(addr);
	struct vma tail;

	if (i >= nvma || vmas[i].start >= addr)
		return 0;
	tail = vmas[i];
	tail.start = addr;
	vmas[i].end = addr;
	return insert_at(i + 1, tail);
}

void vm_release(u64 start, u64 end)
{
	int i;

	if (split_at(start) || split_at(end)) {
		/* Out of vma slots: unmap the pages anyway. */
		unmap_range(start, end);
		return;
	}
	i = first_after(start);
	while (i < nvma && vmas[i].start < end) {
		unmap_range(vmas[i].start, vmas[i].end);
		remove_at(i);
	}
}

int vm_state(u64 start, u64 end)
{
	u64 covered = 0;

	for (int i = first_after(start); i < nvma && vmas[i].start < end; i++)
		covered += MIN(vmas[i].end, end) - MAX(vmas[i].start, start);
	if (!covered)
		return 0;
	return covered == end - start ? 1 : -1;
}

u64 vm_find_free(u64 len)
{
	u64 top = MMAP_TOP;

	/* Walk down from the top: the gap above each vma below MMAP_TOP. */
	for (int i = first_after(MMAP_TOP) - 1; i >= -1; i--) {
		u64 floor = i >= 0 ? vmas[i].end : MMAP_BASE;

		if (floor < MMAP_BASE)
			floor = MMAP_BASE;
		if (top >= floor + len)
			return top - len;
		if (i >= 0)
			top = MIN(top, vmas[i].start);
		if (top <= MMAP_BASE)
			break;
	}
	return 0;
}

int vm_prot_at(u64 addr)
{
	struct vma *v = find(addr);

	return v ? v->prot : -1;
}

int vm_fault(u64 addr, bool write)
{
	struct vma *v = find(addr);
	u64 va = ALIGN_DOWN(addr, PAGE_SIZE), pa;

	if (!v || !(v->prot & PROT_READ) || (write && !(v->prot & PROT_WRITE)))
		return -EFAULT;
	if (arch_lookup_page(va))
		return -EFAULT; /* present: a protection fault */
	pa = frame_alloc();
	if (!pa)
		return -ENOMEM;
	if (arch_map_page(va, pa, v->prot)) {
		frame_free(pa);
		return -ENOMEM;
	}
	return 0;
}

int vm_protect(u64 start, u64 end, int prot)
{
	int i;

	if (vm_state(start, end) != 1)
		return -ENOMEM;
	if (split_at(start) || split_at(end))
		return -ENOMEM;
	for (i = first_after(start); i < nvma && vmas[i].start < end; i++)
		vmas[i].prot = prot;
	for (u64 va = start; va < end; va += PAGE_SIZE)
		arch_protect_page(va, prot);
	return 0;
}

int vm_move(u64 old, u64 len, u64 new_addr)
{
	struct vma *v = find(old);
	int prot, err;

	if (!v)
		return -EFAULT;
	prot = v->prot;
	err = vm_reserve(new_addr, new_addr + len, prot, v->kind);
	if (err)
		return err;
	for (u64 off = 0; off < len; off += PAGE_SIZE) {
		u64 pa = arch_unmap_page(old + off);

		if (pa && arch_map_page(new_addr + off, pa, prot)) {
			frame_free(pa);
			return -ENOMEM;
		}
	}
	vm_release(old, old + len);
	return 0;
}

bool vm_check(const void *p, u64 len, bool write)
{
	u64 start = (u64)p, end = start + len;

	if (!len)
		return true;
	if (end < start || start < USER_MIN || end > STACK_TOP)
		return false;
	for (int i = first_after(start); start < end; i++) {
		if (i >= nvma || vmas[i].start > start || !(vmas[i].prot & PROT_READ) ||
		    (write && !(vmas[i].prot & PROT_WRITE)))
			return false;
		start = vmas[i].end;
	}
	return true;
}

int vm_populate(u64 start, u64 end)
{
	for (u64 va = ALIGN_DOWN(start, PAGE_SIZE); va < end; va += PAGE_SIZE) {
		int err;

		if (arch_lookup_page(va))
			continue;
		err = vm_fault(va, false);
		if (err)
			return err;
	}
	return 0;
}

int vm_next_area(u64 *addr, u64 *start, u64 *end, int *prot, enum vma_kind *kind)
{
	int i = first_after(*addr);

	if (i >= nvma)
		return 0;
	*start = vmas[i].start;
	*end = vmas[i].end;
	*prot = vmas[i].prot;
	*kind = vmas[i].kind;
	*addr = vmas[i].end;
	return 1;
}
