/* sys_mm.c - memory system calls: mmap family, brk, madvise. */
#include "errno.h"
#include "fd.h"
#include "mm.h"
#include "syscall.h"

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_POPULATE 0x8000
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MADV_DONTNEED 4
#define MADV_FREE 8

static u64 brk_start, brk_cur;

void brk_init(u64 start)
{
	brk_start = brk_cur = start;
}

static bool range_ok(u64 addr, u64 len)
{
	return addr >= USER_MIN && addr + len > addr && addr + len <= STACK_TOP;
}

SYSCALL(mmap)
{
	u64 addr = a0, len = ALIGN_UP((u64)a1, PAGE_SIZE), off = a5;
	int prot = (int)a2, flags = (int)a3, err;
	struct file *f = NULL;

	if (!a1 || !len || (addr % PAGE_SIZE) || (off % PAGE_SIZE))
		return -EINVAL;
	if (!(flags & (MAP_SHARED | MAP_PRIVATE)))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_get(a4);
		if (!f || (f->flags & O_PATH))
			return -EBADF;
		if (f->node && (f->node->mode & S_IFMT) == S_IFCHR && f->node->rdev == 0x105) {
			f = NULL; /* /dev/zero: anonymous memory */
		} else {
			if (!f->node || (f->node->mode & S_IFMT) != S_IFREG)
				return -EACCES;
			if ((f->flags & O_ACCMODE) == O_WRONLY)
				return -EACCES;
			if ((flags & MAP_SHARED) && (prot & PROT_WRITE))
				return -EACCES; /* file mappings are private copies */
		}
	}
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (!range_ok(addr, len))
			return -ENOMEM;
		if (vm_state(addr, addr + len)) {
			if (flags & MAP_FIXED_NOREPLACE)
				return -EEXIST;
			vm_release(addr, addr + len);
		}
	} else if (!addr || !range_ok(addr, len) || vm_state(addr, addr + len)) {
		addr = vm_find_free(len);
		if (!addr)
			return -ENOMEM;
	}
	err = vm_reserve(addr, addr + len, f ? PROT_READ | PROT_WRITE : prot, VMA_ANON);
	if (err)
		return err;
	if (f) {
		u64 n = off < f->node->size ? MIN(len, f->node->size - off) : 0;

		err = vm_populate(addr, addr + n);
		if (err) {
			vm_release(addr, addr + len);
			return err;
		}
		vn_read(f->node, off, (void *)addr, n);
		if (prot != (PROT_READ | PROT_WRITE))
			vm_protect(addr, addr + len, prot);
	} else if (flags & MAP_POPULATE) {
		vm_populate(addr, addr + len);
	}
	return (long)addr;
}

SYSCALL(munmap)
{
	u64 addr = a0, len = ALIGN_UP((u64)a1, PAGE_SIZE);

	if ((addr % PAGE_SIZE) || !len || !range_ok(addr, len))
		return -EINVAL;
	vm_release(addr, addr + len);
	return 0;
}

SYSCALL(mprotect)
{
	u64 addr = a0, len = ALIGN_UP((u64)a1, PAGE_SIZE);

	if (addr % PAGE_SIZE)
		return -EINVAL;
	if (!len)
		return 0;
	if (!range_ok(addr, len))
		return -ENOMEM;
	return vm_protect(addr, addr + len, (int)a2);
}

SYSCALL(mremap)
{
	u64 old = a0, old_len = ALIGN_UP((u64)a1, PAGE_SIZE),
	    new_len = ALIGN_UP((u64)a2, PAGE_SIZE);
	u64 to;
	int prot, err;

	if ((old % PAGE_SIZE) || !new_len || (a3 & ~(long)(MREMAP_MAYMOVE | MREMAP_FIXED)))
		return -EINVAL;
	if (a3 & MREMAP_FIXED)
		return -EINVAL; /* not supported yet (documented) */
	if (!range_ok(old, old_len) || !range_ok(old, new_len) || vm_state(old, old + old_len) != 1)
		return -EFAULT;
	prot = vm_prot_at(old);
	if (new_len <= old_len) {
		vm_release(old + new_len, old + old_len);
		return (long)old;
	}
	if (!vm_state(old + old_len, old + new_len)) {
		err = vm_reserve(old + old_len, old + new_len, prot, VMA_ANON);
		return err ? err : (long)old;
	}
	if (!(a3 & MREMAP_MAYMOVE))
		return -ENOMEM;
	to = vm_find_free(new_len);
	if (!to)
		return -ENOMEM;
	err = vm_move(old, old_len, to);
	if (err)
		return err;
	err = vm_reserve(to + old_len, to + new_len, prot, VMA_ANON);
	return err ? err : (long)to;
}

SYSCALL(brk)
{
	u64 want = a0, cur_top = ALIGN_UP(brk_cur, PAGE_SIZE), new_top;

	if (want < brk_start || want > brk_start + BRK_MAX)
		return (long)brk_cur;
	new_top = ALIGN_UP(want, PAGE_SIZE);
	if (new_top > cur_top) {
		if (vm_state(cur_top, new_top) ||
		    vm_reserve(cur_top, new_top, PROT_READ | PROT_WRITE, VMA_BRK))
			return (long)brk_cur;
	} else if (new_top < cur_top) {
		vm_release(new_top, cur_top);
	}
	brk_cur = want;
	return (long)brk_cur;
}

SYSCALL(madvise)
{
	u64 addr = a0, len = ALIGN_UP((u64)a1, PAGE_SIZE);

	if (addr % PAGE_SIZE)
		return -EINVAL;
	if (!len)
		return 0;
	if (!range_ok(addr, len) || vm_state(addr, addr + len) != 1)
		return -ENOMEM;
	if (a2 == MADV_DONTNEED || a2 == MADV_FREE) {
		/* Private anonymous memory reads back as zeros afterwards. */
		for (u64 va = addr; va < addr + len; va += PAGE_SIZE)
			frame_free(arch_unmap_page(va));
	}
	return 0;
}
