/* t_app_plan.c - the load plan of a unik-elf image (abi/app_plan.h): the
 * packer's plan of a program like musl's static ones, and the runtime's
 * check refusing hostile plans and ELF headers. */
#include "../../abi/app_plan.h"
#include "tap.h"

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LEN 0x5010
static _Alignas(8) unsigned char elf[LEN];

static Elf64_Phdr *phdr(int i)
{
	return (Elf64_Phdr *)(elf + 64) + i;
}

/* Headers, then R (the headers), RX, R and RW with .bss: as ld lays out
 * a static musl program with -z max-page-size=4096. */
static void make_elf(void)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)elf;
	static const Elf64_Phdr ph[] = {
		{ PT_LOAD, PF_R, 0, 0x400000, 0x400000, 0x1e0, 0x1e0, 0x1000 },
		{ PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x401000, 0x2345, 0x2345, 0x1000 },
		{ PT_LOAD, PF_R, 0x4000, 0x404000, 0x404000, 0x500, 0x500, 0x1000 },
		{ PT_LOAD, PF_R | PF_W, 0x4e10, 0x405e10, 0x405e10, 0x200, 0x1800, 0x1000 },
		{ PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0, 16 },
	};

	memset(elf, 0, sizeof(elf));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_entry = 0x401234;
	eh->e_phoff = 64;
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = sizeof(ph) / sizeof(ph[0]);
	memcpy(elf + 64, ph, sizeof(ph));
}

static int seg_is(const struct app_plan_seg *s, uint64_t start, uint64_t end, uint32_t first,
		  uint32_t pages, uint64_t doff, uint64_t fva, uint64_t flen, uint64_t foff)
{
	return s->start == start && s->end == end && s->direct_first == first &&
	       s->direct_pages == pages && s->direct_off == doff && s->file_va == fva &&
	       s->file_len == flen && s->file_off == foff;
}

static void plan_of_static_program(struct app_plan *p)
{
	make_elf();
	is_int(app_plan_from_elf(elf, LEN, p), 0, "a static program has a plan");
	ok(app_plan_check(p, LEN), "which the runtime's check accepts");
	is_int(p->nseg, 4, "four segments (not the stack's header)");
	is_int(p->entry, 0x401234, "the entry");
	is_int(p->phdr, 0x400040, "the headers' address, in the first segment (no PT_PHDR)");
	is_int(p->phnum, 5, "their number");
	ok(seg_is(&p->seg[0], 0x400000, 0x401000, 0, 1, 0, 0x400000, 0x1e0, 0),
	   "read-only headers: the file's page mapped, its tail too");
	is_int(p->seg[0].prot, APP_PLAN_READ, "read-only: PROT_READ");
	ok(seg_is(&p->seg[1], 0x401000, 0x404000, 0, 3, 0x1000, 0x401000, 0x2345, 0x1000),
	   "text: every page the file's");
	is_int(p->seg[1].prot, APP_PLAN_READ | APP_PLAN_EXEC, "text: PROT_READ | PROT_EXEC");
	ok(seg_is(&p->seg[2], 0x404000, 0x405000, 0, 1, 0x4000, 0x404000, 0x500, 0x4000),
	   "read-only data");
	ok(seg_is(&p->seg[3], 0x405000, 0x408000, 0, 0, 0, 0x405e10, 0x200, 0x4e10),
	   "writable data: its edges copied, no page of the file's mapped");
	is_int(p->seg[3].prot, APP_PLAN_READ | APP_PLAN_WRITE, "writable data's protection");
	/* a writable segment with whole pages of file data between its edges */
	phdr(3)->p_filesz = 0x1200;
	phdr(3)->p_memsz = 0x2400;
	is_int(app_plan_from_elf(elf, LEN + 0x1000, p), 0, "a larger writable segment");
	ok(seg_is(&p->seg[3], 0x405000, 0x409000, 1, 1, 0x5000, 0x405e10, 0x1200, 0x4e10),
	   "its middle page the file's, its edges copied");
	make_elf();
	app_plan_from_elf(elf, LEN, p);
}

static void hostile_elf(void)
{
	struct app_plan p;

	make_elf();
	is_int(app_plan_from_elf(elf, 63, &p), -1, "ELF: shorter than its header");
	phdr(1)->p_type = PT_INTERP;
	is_int(app_plan_from_elf(elf, LEN, &p), -2, "ELF: dynamically linked");
	make_elf();
	((Elf64_Ehdr *)elf)->e_type = ET_DYN;
	is_int(app_plan_from_elf(elf, LEN, &p), -1, "ELF: position-independent");
	make_elf();
	((Elf64_Ehdr *)elf)->e_phnum = 0xffff;
	is_int(app_plan_from_elf(elf, LEN, &p), -1, "ELF: headers past the end of the file");
	make_elf();
	((Elf64_Ehdr *)elf)->e_phoff = UINT64_MAX - 8;
	is_int(app_plan_from_elf(elf, LEN, &p), -1, "ELF: header offset wrapping");
	make_elf();
	phdr(1)->p_filesz = UINT64_MAX - 0xfff;
	is_int(app_plan_from_elf(elf, LEN, &p), -1, "ELF: file size wrapping");
	make_elf();
	phdr(3)->p_memsz = UINT64_MAX - 0x405000;
	is_int(app_plan_from_elf(elf, LEN, &p), -1, "ELF: end address wrapping");
	make_elf();
	phdr(3)->p_memsz = 0x100;
	is_int(app_plan_from_elf(elf, LEN, &p), -1, "ELF: more file than memory");
	make_elf();
	phdr(2)->p_vaddr = 0x403000;
	is_int(app_plan_from_elf(elf, LEN, &p), -1, "ELF: a page in two segments");
	make_elf();
	phdr(2)->p_vaddr = 0x404010;
	is_int(app_plan_from_elf(elf, LEN, &p), -1, "ELF: address and offset not congruent");
	make_elf();
	phdr(0)->p_vaddr = 0x100000;
	is_int(app_plan_from_elf(elf, LEN, &p), -1, "ELF: below the program's addresses");
	make_elf();
	/* the headers at an odd offset (read by copy: fuzz_app_plan found the
	 * misaligned read; UBSan in the asan build) */
	memmove(elf + 65, elf + 64, 5 * sizeof(Elf64_Phdr));
	((Elf64_Ehdr *)elf)->e_phoff = 65;
	is_int(app_plan_from_elf(elf, LEN, &p), 0, "ELF: headers at an odd offset");
	is_int(p.nseg, 4, "their four segments");
	make_elf();
	/* 17 segments: all headers are PT_LOAD, one page each */
	((Elf64_Ehdr *)elf)->e_phnum = 17;
	for (int i = 0; i < 17; i++)
		*phdr(i) = (Elf64_Phdr){ PT_LOAD, PF_R, 0,    0x400000 + 0x1000 * (uint64_t)i,
					 0,	  0x10, 0x10, 0x1000 };
	is_int(app_plan_from_elf(elf, LEN, &p), -1, "ELF: more segments than a plan holds");
}

/* Every field of a good plan made wrong in one way, one at a time. */
static void hostile_plans(const struct app_plan *good)
{
	static const struct {
		const char *what;
		int seg;
		size_t off, size;
		uint64_t value;
	} cases[] = {
#define S(i, f) i, offsetof(struct app_plan_seg, f), sizeof(((struct app_plan_seg *)0)->f)
		{ "a start not page aligned", S(1, start), 0x401010 },
		{ "an end not page aligned", S(1, end), 0x404010 },
		{ "an empty segment", S(1, end), 0x401000 },
		{ "an end before the start", S(2, end), 0x403000 },
		{ "below the program's addresses", S(0, start), 0x1000 },
		{ "into the runtime's mmap areas", S(3, end), APP_PLAN_VA_MAX + 0x1000 },
		{ "the end's page wrapping to 0", S(3, end), 0 },
		{ "overlapping the previous segment", S(2, start), 0x403000 },
		{ "direct pages past the segment's end", S(1, direct_pages), 4 },
		{ "direct pages starting past it", S(1, direct_first), 3 },
		{ "direct pages wrapping (2^32-1 first)", S(1, direct_first), UINT32_MAX },
		{ "direct pages past the file", S(2, direct_off), 0x5000 },
		{ "direct offset wrapping", S(2, direct_off), UINT64_MAX - 0xfff },
		{ "direct offset not page aligned", S(2, direct_off), 0x4010 },
		{ "file bytes past the file", S(3, file_off), 0x4f00 },
		{ "file offset wrapping", S(3, file_off), UINT64_MAX - 0x100 },
		{ "file length wrapping", S(3, file_len), UINT64_MAX - 0x10 },
		{ "file length past the file", S(3, file_len), LEN - 0x4e10 + 1 },
		{ "unknown protection bits", S(1, prot), 0x10 | APP_PLAN_READ },
		{ "protection bits in the high word", S(1, prot), 1ULL << 32 },
#undef S
	};
	struct app_plan p;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned char *at;

		p = *good;
		at = (unsigned char *)&p.seg[cases[i].seg] + cases[i].off;
		if (cases[i].size == 4) {
			uint32_t v = (uint32_t)cases[i].value;

			memcpy(at, &v, 4);
		} else {
			memcpy(at, &cases[i].value, 8);
		}
		ok(!app_plan_check(&p, LEN), "plan refused: %s", cases[i].what);
		ok(!app_plan_seg_ok(&p.seg[cases[i].seg],
				    cases[i].seg ? p.seg[cases[i].seg - 1].end : APP_PLAN_VA_MIN,
				    LEN),
		   "  and by the check the runtime runs per segment");
	}
	p = *good;
	p.magic++;
	ok(!app_plan_check(&p, LEN), "plan refused: bad magic");
	p = *good;
	p.version = APP_PLAN_VERSION + 1;
	ok(!app_plan_check(&p, LEN), "plan refused: another version");
	p = *good;
	p.nseg = 0;
	ok(!app_plan_check(&p, LEN), "plan refused: no segments");
	p = *good;
	p.nseg = APP_PLAN_MAX_SEGS + 1;
	ok(!app_plan_check(&p, LEN), "plan refused: more segments than it holds");
	p = *good;
	p.nseg = UINT32_MAX;
	ok(!app_plan_check(&p, LEN), "plan refused: 2^32-1 segments");
	p = *good;
	p.app_size = LEN + 0x1000;
	ok(!app_plan_check(&p, LEN), "plan refused: made for another program's size");
	p = *good;
	p.seg[2] = p.seg[1];
	ok(!app_plan_check(&p, LEN), "plan refused: the same segment twice");
	ok(!app_plan_check(good, 0x4000), "plan refused for a shorter file");
	p = *good;
	p.seg[3].file_va = 0x100;
	ok(app_plan_check(&p, LEN), "file bytes outside the segment are allowed (only what its "
				    "fresh pages cover is copied)");
	ok(app_plan_check(good, LEN), "the good plan still accepted (the cases copied it)");
}

int main(void)
{
	struct app_plan good;

	plan_of_static_program(&good);
	hostile_elf();
	hostile_plans(&good);
	return tap_done();
}
