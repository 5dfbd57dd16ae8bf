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

static int seg_is(const struct app_plan_seg *s, uint64_t start, uint64_t end, uint64_t dva,
		  uint64_t dend, uint64_t doff, uint64_t fva, uint64_t fend, uint64_t foff)
{
	return s->start == start && s->end == end && s->direct_va == dva && s->direct_end == dend &&
	       s->direct_off == doff && s->file_va == fva && s->file_end == fend &&
	       s->file_off == foff;
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
	ok(seg_is(&p->seg[0], 0x400000, 0x401000, 0x400000, 0x401000, 0, 0x400000, 0x4001e0, 0),
	   "read-only headers: the file's page mapped, its tail too");
	ok(seg_is(&p->seg[1], 0x401000, 0x404000, 0x401000, 0x404000, 0x1000, 0x401000, 0x403345,
		  0x1000),
	   "text: every page the file's");
	ok(seg_is(&p->seg[2], 0x404000, 0x405000, 0x404000, 0x405000, 0x4000, 0x404000, 0x404500,
		  0x4000),
	   "read-only data");
	ok(seg_is(&p->seg[3], 0x405000, 0x408000, 0x405000, 0x405000, 0, 0x405e10, 0x406010,
		  0x4e10),
	   "writable data: its edges copied, no page of the file's mapped");
	is_int(p->seg[3].flags, APP_PLAN_R | APP_PLAN_W, "writable data's flags");
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
	/* 17 segments: all headers are PT_LOAD, one page each */
	((Elf64_Ehdr *)elf)->e_phnum = 17;
	for (int i = 0; i < 17; i++)
		*phdr(i) = (Elf64_Phdr){ PT_LOAD, PF_R, 0, 0x400000 + 0x1000 * (uint64_t)i, 0,
					 0x10,	  0x10, 0x1000 };
	is_int(app_plan_from_elf(elf, LEN, &p), -1, "ELF: more segments than a plan holds");
}

/* Every field of a good plan made wrong in one way, one at a time. */
static void hostile_plans(const struct app_plan *good)
{
	static const struct {
		const char *what;
		int seg; /* -1: the plan's own fields */
		size_t off;
		uint64_t value;
	} cases[] = {
#define P(field) -1, offsetof(struct app_plan, field)
#define S(i, field) i, offsetof(struct app_plan_seg, field)
		{ "bad magic", P(magic), 0x6e616c706b696e76 },
		{ "no segments", P(nseg), 0 }, /* version and nseg share a word: see below */
		{ "another program's size", P(app_size), LEN + 0x1000 },
		{ "a start not page aligned", S(1, start), 0x401010 },
		{ "an empty segment", S(1, end), 0x401000 },
		{ "an end before the start", S(2, end), 0x403000 },
		{ "below the program's addresses", S(0, start), 0x1000 },
		{ "into the runtime's mmap areas", S(3, end), APP_PLAN_VA_MAX + 0x1000 },
		{ "overlapping the previous segment", S(2, start), 0x403000 },
		{ "the last page's end wrapping", S(3, end), 0 },
		{ "direct pages before the segment", S(1, direct_va), 0x400000 },
		{ "direct pages after the segment", S(1, direct_end), 0x405000 },
		{ "direct pages past the file", S(2, direct_off), 0x5000 },
		{ "direct offset wrapping", S(2, direct_off), UINT64_MAX - 0xfff },
		{ "direct offset not page aligned", S(2, direct_off), 0x4010 },
		{ "file bytes past the file", S(3, file_off), 0x4f00 },
		{ "file offset wrapping", S(3, file_off), UINT64_MAX - 0x100 },
		{ "file bytes ending before they start", S(3, file_end), 0x405e00 },
		{ "file bytes past the segment", S(3, file_end), 0x408001 },
		{ "unknown flags", S(1, flags), 0x10 | APP_PLAN_R },
#undef P
#undef S
	};
	struct app_plan p;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned char *at;

		p = *good;
		at = cases[i].seg < 0 ? (unsigned char *)&p : (unsigned char *)&p.seg[cases[i].seg];
		if (cases[i].seg < 0 && cases[i].off == offsetof(struct app_plan, nseg))
			p.nseg = (uint32_t)cases[i].value;
		else
			memcpy(at + cases[i].off, &cases[i].value, sizeof(uint64_t));
		ok(!app_plan_check(&p, LEN), "plan refused: %s", cases[i].what);
	}
	p = *good;
	p.version = APP_PLAN_VERSION + 1;
	ok(!app_plan_check(&p, LEN), "plan refused: another version");
	p = *good;
	p.nseg = APP_PLAN_MAX_SEGS + 1;
	ok(!app_plan_check(&p, LEN), "plan refused: more segments than it holds");
	p = *good;
	p.nseg = UINT32_MAX;
	ok(!app_plan_check(&p, LEN), "plan refused: 2^32-1 segments");
	p = *good;
	p.seg[1].reserved = 1;
	ok(!app_plan_check(&p, LEN), "plan refused: the reserved word set");
	p = *good;
	p.seg[2] = p.seg[1];
	ok(!app_plan_check(&p, LEN), "plan refused: the same segment twice");
	p = *good;
	ok(!app_plan_check(&p, 0x4000), "plan refused for a shorter file");
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
