/* syscall_set.h - the system calls an image's table holds (issue 18).
 *
 * unik's musl records the number of every system call it can make in the
 * section .unik_syscalls of each of its objects (runtime/musl/
 * direct-syscalls.patch: one 32-bit word per call site, -1 for a number
 * known only at run time, as in syscall(), bit 30 set for a call of a
 * fixed path that no volume holds); the program's static link
 * joins those of the objects it takes.  The image link then gets a table
 * with only those calls (the others answer ENOSYS, named on the console),
 * and --gc-sections drops the runtime code only they reach.  A program
 * without the section (another libc), or with a -1 in it, gets every call.
 */
#ifndef UNIK_COMPILER_SYSCALL_SET_H
#define UNIK_COMPILER_SYSCALL_SET_H

#include <stddef.h>

#include "../../lib/strbuf.h"
#include "../../lib/error.h"

/* x86-64 system-call numbers are below this (runtime/core/syscall_slots.h). */
#define SYSCALL_SET_LIMIT 512

struct syscall_set {
	unsigned char bits[SYSCALL_SET_LIMIT / 8];
	/* calls recorded with a path the program chooses: those of them that
	 * take paths can reach a volume (not: musl's open of /dev/null) */
	unsigned char paths[SYSCALL_SET_LIMIT / 8];
	int all; /* every call the runtime has */
	int count; /* distinct calls recorded (when !all) */
	char why[160]; /* the build log's reason */
};

/* Every call, `why` the build log's reason. */
void syscall_set_all(struct syscall_set *set, const char *why);

/* The calls that the 64-bit ELF program in `elf` records (all of them when
 * it has no records, or one it cannot tell). */
void syscall_set_of_program(const struct strbuf *elf, struct syscall_set *set);

/* Appends to `out` the assembler of the image's system-call table (the
 * entries unik_syscall_calls, { function or 0, name } of each call the
 * program can make, and unik_syscall_index, a 16-bit entry + 1 per slot),
 * of the bitmap of the runtime's calls left out (unik_syscall_omitted),
 * from the runtime's list at `list_path` (build/guest/unik-syscalls.list,
 * written by runtime/runtime.mk), and, when one of those calls takes a
 * path (it can reach a volume), the list's hooks: the runtime's entries to
 * its file systems and disk drivers, which are otherwise left out.
 * *linked: how many calls the table serves; *volumes: 1 when the hooks
 * are in. */
int syscall_table_asm(const char *list_path, const struct syscall_set *set, struct strbuf *out,
		      int *linked, int *volumes, struct unik_err *err);

#endif
