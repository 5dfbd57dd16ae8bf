/* elf_load.c - maps the application (a static, non-PIE x86-64 ELF) and
 * builds its initial stack as the System V ABI describes. */
#include "elf.h"
#include "errno.h"
#include "mm.h"
#include "random.h"
#include "arch.h"

#define AT_NULL 0
#define AT_IGNORE 1
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_EXECFN 31

static const u8 *app_file;
static u64 app_size;

static int prot_of(u32 flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

static int load_segment(u64 pa, const struct elf64_phdr *ph)
{
	u64 start = ALIGN_DOWN(ph->vaddr, PAGE_SIZE),
	    end = ALIGN_UP(ph->vaddr + ph->memsz, PAGE_SIZE), file_end = ph->vaddr + ph->filesz,
	    direct_end = ALIGN_DOWN(file_end, PAGE_SIZE);
	int prot = prot_of(ph->flags), err;

	err = vm_reserve(start, end, prot, VMA_IMAGE);
	if (err)
		return err;
	/* The pages of file data map the image's own frames, as Linux maps
	 * the file's pages: the bytes of the first page before vaddr are the
	 * file's, and so are those after the end of the last page of a
	 * segment without .bss (which would need them zero).  Such an edge
	 * page may hold the neighbouring segment's bytes: a writable segment
	 * copies its edges instead (Linux: copy on write), so no frame is both
	 * writable here and mapped (executable) by another segment. */
	int share_edges = !(ph->flags & PF_W);
	u64 direct_start = start < ph->vaddr && !share_edges ? start + PAGE_SIZE : start;

	if (share_edges && direct_end < file_end && ph->filesz == ph->memsz &&
	    ALIGN_UP(ph->offset + ph->filesz, PAGE_SIZE) <= app_size)
		direct_end += PAGE_SIZE;
	if (direct_end > direct_start &&
	    arch_map_pages(direct_start, pa + ph->offset - (ph->vaddr - direct_start),
			   (direct_end - direct_start) / PAGE_SIZE, prot))
		return -ENOMEM;
	/* The rest: fresh frames, with what file data they hold copied in. */
	for (u64 va = start; va < end; va += PAGE_SIZE) {
		u64 frame, b0, b1;

		if (va == direct_start && direct_end > direct_start) {
			va = direct_end - PAGE_SIZE; /* mapped above */
			continue;
		}
		frame = frame_alloc();
		if (!frame || arch_map_page(va, frame, prot))
			return -ENOMEM;
		b0 = MAX(va, ph->vaddr);
		b1 = MIN(va + PAGE_SIZE, file_end);
		if (b1 > b0)
			memcpy((u8 *)phys_to_virt(frame) + (b0 - va),
			       app_file + ph->offset + (b0 - ph->vaddr), b1 - b0);
	}
	return 0;
}

int elf_load_app(u64 pa, u64 size, struct app_image *img)
{
	const struct elf64_ehdr *eh = phys_to_virt(pa);
	u64 hi = 0;

	app_file = (const u8 *)eh;
	app_size = size;
	u32 magic;
	u16 class_data;

	if (size < sizeof(*eh))
		return -EINVAL;
	/* "\177ELF", ELFCLASS64, ELFDATA2LSB: two loads, not a byte loop */
	__builtin_memcpy(&magic, eh->ident, 4);
	__builtin_memcpy(&class_data, eh->ident + 4, 2);
	if (magic != 0x464c457f || class_data != 0x0102 || eh->machine != 62)
		return -EINVAL;
	if (eh->type != ET_EXEC || eh->phentsize != sizeof(struct elf64_phdr) || eh->phoff > size ||
	    (u64)eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff)
		return -EINVAL;
	memset(img, 0, sizeof(*img));
	img->entry = eh->entry;
	img->phnum = eh->phnum;
	img->phent = eh->phentsize;
	for (int i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *ph =
		    (const void *)((const u8 *)(app_file + eh->phoff) + i * sizeof(*ph));
		int err;

		if (ph->type == PT_INTERP)
			return -ENOEXEC;
		if (ph->type == PT_PHDR)
			img->phdr = ph->vaddr;
		if (ph->type != PT_LOAD || !ph->memsz)
			continue;
		if (ph->offset > size || ph->filesz > size - ph->offset || ph->filesz > ph->memsz ||
		    ph->vaddr % PAGE_SIZE != ph->offset % PAGE_SIZE || ph->vaddr < USER_MIN ||
		    ph->vaddr + ph->memsz > MMAP_BASE)
			return -EINVAL;
		err = load_segment(pa, ph);
		if (err)
			return err;
		if (!img->phdr && ph->offset <= eh->phoff &&
		    eh->phoff + eh->phnum * sizeof(*ph) <= ph->offset + ph->filesz)
			img->phdr = ph->vaddr + (eh->phoff - ph->offset);
		hi = MAX(hi, ph->vaddr + ph->memsz);
	}
	img->brk_start = ALIGN_UP(hi, PAGE_SIZE);
	return 0;
}

/* Pushes bytes below *sp and returns where they went. */
static u64 push_bytes(u64 *sp, const void *data, u64 len)
{
	*sp -= len;
	memcpy((void *)*sp, data, len);
	return *sp;
}

#define AUXV_ENTRIES 19

u64 elf_build_stack(const struct app_image *img, char *const *argv, int argc, char *const *envp,
		    int envc, u64 syscall_entry)
{
	u64 sp = STACK_TOP, argv_at[argc + 1], envp_at[envc + 1], random_at, platform_at, *p;
	u8 rnd[16];
	u64 words;

	random_fill(rnd, sizeof(rnd));
	random_at = push_bytes(&sp, rnd, sizeof(rnd));
	platform_at = push_bytes(&sp, "x86_64", 7);
	for (int i = envc - 1; i >= 0; i--)
		envp_at[i] = push_bytes(&sp, envp[i], strlen(envp[i]) + 1);
	for (int i = argc - 1; i >= 0; i--)
		argv_at[i] = push_bytes(&sp, argv[i], strlen(argv[i]) + 1);
	words = 1 + (argc + 1) + (envc + 1) + 2 * AUXV_ENTRIES;
	sp = ALIGN_DOWN(sp - words * 8, 16);
	p = (u64 *)sp;
	*p++ = argc;
	for (int i = 0; i < argc; i++)
		/* cppcheck-suppress uninitvar ; filled above for every i < argc */
		*p++ = argv_at[i];
	*p++ = 0;
	for (int i = 0; i < envc; i++)
		/* cppcheck-suppress uninitvar ; filled above for every i < envc */
		*p++ = envp_at[i];
	*p++ = 0;
	/* The auxiliary vector, written in place (AUXV_ENTRIES pairs); the
	 * stack's pages are fresh, so every word is stored once. */
#define AUX(type, value)                                                                           \
	do {                                                                                       \
		p[0] = (type);                                                                     \
		p[1] = (u64)(value);                                                               \
		p += 2;                                                                            \
	} while (0)
	AUX(AT_PHDR, img->phdr);
	AUX(AT_PHENT, img->phent);
	AUX(AT_PHNUM, img->phnum);
	AUX(AT_PAGESZ, PAGE_SIZE);
	AUX(AT_BASE, 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, img->entry);
	AUX(AT_UID, 0);
	AUX(AT_EUID, 0);
	AUX(AT_GID, 0);
	AUX(AT_EGID, 0);
	AUX(AT_HWCAP, cpu_hwcap());
	AUX(AT_CLKTCK, 100);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, random_at);
	AUX(AT_PLATFORM, platform_at);
	AUX(AT_EXECFN, argc ? argv_at[0] : 0);
	if (syscall_entry)
		AUX(AT_UNIK_SYSCALL, syscall_entry);
	else
		AUX(AT_IGNORE, 0);
	AUX(AT_NULL, 0);
#undef AUX
	return sp;
}

void elf_symbolize(u64 addr, char *buf, size_t size)
{
	const struct elf64_ehdr *eh = (const void *)app_file;
	const struct elf64_shdr *sh;
	const struct elf64_sym *best = NULL;
	const char *strtab;

	buf[0] = 0;
	if (!app_file || eh->shoff > app_size || eh->shentsize != sizeof(*sh) ||
	    (u64)eh->shnum * sizeof(*sh) > app_size - eh->shoff)
		return;
	sh = (const void *)(app_file + eh->shoff);
	for (int i = 0; i < eh->shnum; i++) {
		const struct elf64_sym *syms;
		u64 n;

		if (sh[i].type != SHT_SYMTAB || sh[i].link >= eh->shnum ||
		    sh[i].offset > app_size || sh[i].size > app_size - sh[i].offset ||
		    sh[sh[i].link].offset > app_size ||
		    sh[sh[i].link].size > app_size - sh[sh[i].link].offset)
			continue;
		syms = (const void *)(app_file + sh[i].offset);
		n = sh[i].size / sizeof(*syms);
		strtab = (const char *)app_file + sh[sh[i].link].offset;
		for (u64 j = 0; j < n; j++) {
			u8 type = syms[j].info & 15;

			if ((type != 1 && type != 2) || syms[j].value > addr || !syms[j].name ||
			    syms[j].name >= sh[sh[i].link].size)
				continue;
			if (!best || syms[j].value > best->value)
				best = &syms[j];
		}
		if (best && (best->size == 0 || addr < best->value + best->size)) {
			ksnprintf(buf, size, "<%s+0x%lx>", strtab + best->name, addr - best->value);
			return;
		}
		best = NULL;
	}
}
