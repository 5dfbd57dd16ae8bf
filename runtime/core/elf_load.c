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

_Static_assert(APP_PLAN_READ == PROT_READ && APP_PLAN_WRITE == PROT_WRITE &&
		   APP_PLAN_EXEC == PROT_EXEC,
	       "a plan's protections are PROT_* bits");

/* Fresh frames for the pages [va, end) of segment `s`, with what file
 * data they hold copied in: [b0, b1) is in the page, and its source in
 * [file_off, file_off + file_len), which app_plan_seg_ok() put in the
 * file (a file_va + file_len that wraps leaves b1 <= b0: nothing). */
static int fresh_pages(const struct app_plan_seg *s, u64 va, u64 end)
{
	for (; va < end; va += PAGE_SIZE) {
		u64 frame = frame_alloc(), b0, b1;

		if (!frame || arch_map_page(va, frame, (int)s->prot))
			return -ENOMEM;
		b0 = MAX(va, s->file_va);
		b1 = MIN(va + PAGE_SIZE, s->file_va + s->file_len);
		if (b1 > b0)
			memcpy((u8 *)phys_to_virt(frame) + (b0 - va),
			       app_file + s->file_off + (b0 - s->file_va), b1 - b0);
	}
	return 0;
}

/* One segment of the plan (abi/app_plan.h), checked as it is mapped: its
 * pages reserved, the direct ones mapping the image's frames, the others
 * fresh.  A plan refused half-way stops the boot: nothing to undo. */
static int load_segment(u64 pa, const struct app_plan_seg *s, u64 lo)
{
	u64 d0 = s->start + (u64)s->direct_first * PAGE_SIZE,
	    d1 = d0 + (u64)s->direct_pages * PAGE_SIZE;
	int prot = (int)s->prot, err;

	if (!app_plan_seg_ok(s, lo, app_size))
		return -EBADMSG;
	err = vm_reserve(s->start, s->end, prot, VMA_IMAGE);
	if (err)
		return err;
	if (s->direct_pages && arch_map_pages(d0, pa + s->direct_off, s->direct_pages, prot))
		return -ENOMEM;
	if (d0 > s->start && (err = fresh_pages(s, s->start, d0)))
		return err;
	return d1 < s->end ? fresh_pages(s, d1, s->end) : 0;
}

/* The plan of a program the packer could not plan, from its ELF headers
 * at boot (which then refuse it with the reason).  Only such an image
 * links it: its packer defines the hook unik_plan_from_elf as a jump here
 * (compilers/common/pack.c); the others leave the ELF reader out. */
int elf_plan_from_file(const u8 *file, u64 size, struct app_plan *plan);
extern int unik_plan_from_elf(const u8 *file, u64 size, struct app_plan *plan)
    __attribute__((weak));

int elf_plan_from_file(const u8 *file, u64 size, struct app_plan *plan)
{
	int err = app_plan_from_elf(file, size, plan);

	return !err ? 0 : err == -2 ? -ENOEXEC : -EINVAL;
}

int elf_load_app(u64 pa, u64 size, const struct app_plan *packed, bool mapped,
		 struct app_image *img)
{
	static struct app_plan made; /* an image without a plan: from its ELF */
	const struct app_plan *plan = packed;
	u64 lo = APP_PLAN_VA_MIN;

	app_file = phys_to_virt(pa);
	app_size = size;
	if (plan && !app_plan_head_ok(plan, size))
		return -EBADMSG;
	if (!plan) {
		int err = unik_plan_from_elf ? unik_plan_from_elf(app_file, size, &made) : -EBADMSG;

		if (err)
			return err;
		plan = &made;
	}
	img->entry = plan->entry;
	img->phdr = plan->phdr;
	img->phnum = plan->phnum;
	img->phent = plan->phent;
	if (mapped && packed) { /* the platform checked this plan and mapped it */
		img->brk_start = plan->seg[plan->nseg - 1].end;
		return vm_reserve_plan(plan);
	}
	for (u32 i = 0; i < plan->nseg; i++) {
		int err = load_segment(pa, &plan->seg[i], lo);

		if (err)
			return err;
		lo = plan->seg[i].end;
	}
	img->brk_start = lo;
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

/* The auxiliary vector with its constant values; elf_build_stack copies it
 * (one string move) and stores the others at these word indices. */
enum {
	AUX_PHDR = 1,
	AUX_PHENT = 3,
	AUX_PHNUM = 5,
	AUX_ENTRY = 13,
	AUX_HWCAP = 23,
	AUX_RANDOM = 29,
	AUX_PLATFORM = 31,
	AUX_EXECFN = 33,
	AUX_SYSCALL = 34
};
/* AT_IGNORE's pair becomes AT_UNIK_SYSCALL when the runtime offers direct calls. */
static const u64 aux_template[AUXV_ENTRIES][2] = {
	{ AT_PHDR, 0 },	    { AT_PHENT, 0 },  { AT_PHNUM, 0 },	{ AT_PAGESZ, PAGE_SIZE },
	{ AT_BASE, 0 },	    { AT_FLAGS, 0 },  { AT_ENTRY, 0 },	{ AT_UID, 0 },
	{ AT_EUID, 0 },	    { AT_GID, 0 },    { AT_EGID, 0 },	{ AT_HWCAP, 0 },
	{ AT_CLKTCK, 100 }, { AT_SECURE, 0 }, { AT_RANDOM, 0 }, { AT_PLATFORM, 0 },
	{ AT_EXECFN, 0 },   { AT_IGNORE, 0 }, { AT_NULL, 0 },
};

u64 elf_build_stack(const struct app_image *img, char *const *argv, int argc, char *const *envp,
		    int envc, u64 syscall_entry)
{
	u64 sp = STACK_TOP, argv_at[argc + 1], envp_at[envc + 1], random_at, platform_at, *p;
	u64 words;

	/* AT_RANDOM's 16 bytes straight onto the stack, then AT_PLATFORM's
	 * "x86_64" as one word (its NUL padded to 8 bytes). */
	random_at = sp -= 16;
	random_fill((void *)random_at, 16);
	platform_at = sp -= 8;
	*(u64 *)platform_at = 0x34365f363878ULL; /* "x86_64\0\0", little-endian */
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
	/* The auxiliary vector (AUXV_ENTRIES pairs): the template, then the
	 * values of this program. */
	memcpy(p, aux_template, sizeof(aux_template));
	p[AUX_PHDR] = img->phdr;
	p[AUX_PHENT] = img->phent;
	p[AUX_PHNUM] = img->phnum;
	p[AUX_ENTRY] = img->entry;
	p[AUX_HWCAP] = cpu_hwcap();
	p[AUX_RANDOM] = random_at;
	p[AUX_PLATFORM] = platform_at;
	p[AUX_EXECFN] = argc ? argv_at[0] : 0;
	if (syscall_entry) {
		p[AUX_SYSCALL] = AT_UNIK_SYSCALL;
		p[AUX_SYSCALL + 1] = syscall_entry;
	}
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
