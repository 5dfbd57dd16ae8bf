/* elf.h - loading the application ELF and starting it. */
#ifndef UNIK_RT_ELF_H
#define UNIK_RT_ELF_H

#include "kernel.h"
#include "../../abi/app_plan.h"

struct elf64_ehdr {
	u8 ident[16];
	u16 type, machine;
	u32 version;
	u64 entry, phoff, shoff;
	u32 flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_shdr {
	u32 name, type;
	u64 flags, addr, offset, size;
	u32 link, info;
	u64 addralign, entsize;
};

struct elf64_sym {
	u32 name;
	u8 info, other;
	u16 shndx;
	u64 value, size;
};

#define SHT_SYMTAB 2

struct app_image {
	u64 entry;
	u64 phdr, phnum, phent; /* where the program headers are in app memory */
	u64 brk_start; /* first page after the highest segment */
};

/* Maps the program, the ELF file at physical `pa` (size bytes), as the
 * image's load plan `plan` says (abi/app_plan.h: each part checked before
 * it is followed), or when `plan` is NULL as its ELF headers say (in an
 * image whose packer linked the ELF reader: else -EBADMSG): 0,
 * -EBADMSG (a plan the checks refuse), -ENOEXEC (dynamically linked),
 * -EINVAL (not a static x86-64 executable), -ENOMEM.  Whole pages are
 * mapped in place; partial pages are copied.  `mapped`: the platform has
 * mapped `plan` already (after checking it), only its segments' pages are
 * reserved. */
int elf_load_app(u64 pa, u64 size, const struct app_plan *plan, bool mapped, struct app_image *img);
/* The aux vector entry that hands a program linked with our musl the
 * runtime's direct system-call entry (runtime/musl/direct-syscalls.patch
 * defines the same number).  Linux's own AT_ numbers are below 64. */
#define AT_UNIK_SYSCALL 0x756e696b

/* Builds the initial stack (argc, argv, envp, auxv) and returns %rsp.
 * `syscall_entry`, when not 0, goes into the aux vector as AT_UNIK_SYSCALL. */
u64 elf_build_stack(const struct app_image *img, char *const *argv, int argc, char *const *envp,
		    int envc, u64 syscall_entry);
/* "<symbol+0xoff>" for an address in the application, or "". */
void elf_symbolize(u64 addr, char *buf, size_t size);

#endif
