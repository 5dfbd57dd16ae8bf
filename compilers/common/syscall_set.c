/* syscall_set.c - the system calls an image's table holds (see
 * syscall_set.h). */
#include "syscall_set.h"

#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/fsutil.h"

#define RECORDS ".unik_syscalls"
/* a record's bit for a call of a fixed path, no volume's */
#define FIXED_PATH 0x40000000u

void syscall_set_all(struct syscall_set *set, const char *why)
{
	memset(set, 0, sizeof(*set));
	set->all = 1;
	snprintf(set->why, sizeof(set->why), "%s", why);
}

/* The section `name` of the ELF64 file in `f`, or NULL (checked against f). */
static const Elf64_Shdr *elf_section(const struct strbuf *f, const char *name)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->buf;
	const Elf64_Shdr *sh, *names;
	size_t len = strlen(name) + 1;

	if (f->len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(*sh) ||
	    eh->e_shoff % 8 || eh->e_shoff > f->len ||
	    eh->e_shnum > (f->len - eh->e_shoff) / sizeof(*sh) || eh->e_shstrndx >= eh->e_shnum)
		return NULL;
	sh = (const Elf64_Shdr *)(f->buf + eh->e_shoff);
	names = &sh[eh->e_shstrndx];
	if (names->sh_offset > f->len || names->sh_size > f->len - names->sh_offset ||
	    names->sh_size < len)
		return NULL;
	for (unsigned i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_name <= names->sh_size - len &&
		    !memcmp(f->buf + names->sh_offset + sh[i].sh_name, name, len))
			return sh[i].sh_type == SHT_PROGBITS && sh[i].sh_offset <= f->len &&
				       sh[i].sh_size <= f->len - sh[i].sh_offset
				   ? &sh[i]
				   : NULL;
	return NULL;
}

void syscall_set_of_program(const struct strbuf *elf, struct syscall_set *set)
{
	const Elf64_Shdr *rec = elf_section(elf, RECORDS);
	const unsigned char *p;

	memset(set, 0, sizeof(*set));
	if (!rec || rec->sh_size % 4)
		return syscall_set_all(set, "the program has no record of its system calls: it "
					    "was not linked with unik's musl");
	p = (const unsigned char *)elf->buf + rec->sh_offset;
	for (size_t i = 0; i < rec->sh_size / 4; i++) {
		uint32_t nr;

		memcpy(&nr, p + 4 * i, 4);
		if (nr != UINT32_MAX && (nr & FIXED_PATH))
			nr &= ~FIXED_PATH;
		else if (nr < SYSCALL_SET_LIMIT)
			set->paths[nr / 8] |= (unsigned char)(1 << (nr % 8));
		if (nr >= SYSCALL_SET_LIMIT)
			return syscall_set_all(
			    set, nr == UINT32_MAX
				     ? "the program makes a system call whose number "
				       "is known only at run time (syscall())"
				     : "the program records a system call unknown here");
		if (!(set->bits[nr / 8] & (1 << (nr % 8))))
			set->count++;
		set->bits[nr / 8] |= (unsigned char)(1 << (nr % 8));
	}
	snprintf(set->why, sizeof(set->why), "the %d its musl objects make", set->count);
}

/* 1 when s is a plain identifier (it goes into assembler). */
static int ident(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
	       strlen(s);
}

/* The list: a line "unik-syscalls 2 SLOTS", then one line per x86-64 call,
 * by slot, "SLOT NR NAME FUNCTION strong|weak volume|-" (weak: a function
 * of an optional part, NULL without it; volume: the call takes a path, so
 * it can reach a volume) or "SLOT NR NAME - - -" (a call the runtime does
 * not serve: its name only), then "hook SYMBOL FUNCTION" lines: the
 * symbols the image defines (jumps) only when it has a volume call.
 *
 * The image gets an entry { function or 0, name } for each call it can
 * make (the recorded ones, or all), a 16-bit index per slot (entry + 1;
 * 0: none) and the names of only those calls: the table and the names of
 * the calls it cannot make are not in it. */
int syscall_table_asm(const char *list_path, const struct syscall_set *set, struct strbuf *out,
		      int *linked, int *volumes, struct unik_err *err)
{
	struct strbuf list = STRBUF_INIT, hooks = STRBUF_INIT, index = STRBUF_INIT,
		      names = STRBUF_INIT;
	unsigned char omitted[SYSCALL_SET_LIMIT / 8] = { 0 };
	unsigned slots = 0, line_no = 1, entries = 0;
	long last = -1;
	int rc = -1;
	char *line, *next;

	*linked = *volumes = 0;
	if (fs_read_file(list_path, &list, err) < 0)
		return -1;
	line = list.buf;
	if (!line || !strchr(line, '\n') || sscanf(line, "unik-syscalls 2 %u", &slots) != 1 ||
	    !slots || slots > SYSCALL_SET_LIMIT)
		goto bad;
	strbuf_addf(out, "\t.section .rodata.unik_syscall_table, \"a\"\n"
			 "\t.balign 8\n"
			 "\t.globl unik_syscall_calls\n"
			 "unik_syscall_calls:\n");
	strbuf_addf(&index, "\t.balign 2\n"
			    "\t.globl unik_syscall_index\n"
			    "unik_syscall_index:\n");
	for (line = strchr(line, '\n'); line && line[1]; line = next, line_no++) {
		unsigned slot, nr;
		char name[64], fn[64], bind[8], vol[8], end;
		int served;

		line++;
		next = strchr(line, '\n');
		if (next)
			*next = '\0';
		if (sscanf(line, "hook %63s %63s %c", name, fn, &end) == 2) {
			if (!ident(name) || !ident(fn))
				goto bad;
			strbuf_addf(&hooks, "\t.globl %s\n\t.type %s, @function\n%s:\tjmp %s\n",
				    name, name, name, fn);
			continue;
		}
		if (hooks.len ||
		    sscanf(line, "%u %u %63s %63s %7s %7s %c", &slot, &nr, name, fn, bind, vol,
			   &end) != 6 ||
		    slot >= slots || (long)slot <= last || nr >= SYSCALL_SET_LIMIT || !ident(name))
			goto bad;
		served = strcmp(fn, "-") != 0;
		if (served ? !ident(fn) || (strcmp(bind, "strong") && strcmp(bind, "weak")) ||
				 (strcmp(vol, "volume") && strcmp(vol, "-"))
			   : strcmp(bind, "-") || strcmp(vol, "-"))
			goto bad;
		last = slot;
		if (!set->all && !(set->bits[nr / 8] & (1 << (nr % 8)))) {
			if (served)
				omitted[nr / 8] |= (unsigned char)(1 << (nr % 8));
			continue;
		}
		entries++;
		strbuf_addf(&index, "\t.org unik_syscall_index + %u\n\t.short %u\n", 2 * slot,
			    entries);
		strbuf_addf(&names, ".Lunik_call_%u:\t.asciz \"%s\"\n", entries, name);
		if (!served) {
			strbuf_addf(out, "\t.quad 0, .Lunik_call_%u\n", entries);
			continue;
		}
		(*linked)++;
		*volumes |=
		    !strcmp(vol, "volume") && (set->all || (set->paths[nr / 8] & (1 << (nr % 8))));
		if (!strcmp(bind, "weak"))
			strbuf_addf(out, "\t.weak %s\n", fn);
		strbuf_addf(out, "\t.quad %s, .Lunik_call_%u\n", fn, entries);
	}
	if (!hooks.len)
		goto bad;
	strbuf_add(out, index.buf, index.len);
	strbuf_addf(out,
		    "\t.org unik_syscall_index + %u\n"
		    "\t.globl unik_syscall_omitted\n"
		    "unik_syscall_omitted:\n",
		    2 * slots);
	for (size_t i = 0; i < sizeof(omitted); i++)
		strbuf_addf(out, "%s0x%02x%s", i % 16 ? ", " : "\t.byte ", omitted[i],
			    i % 16 == 15 ? "\n" : "");
	strbuf_add(out, names.buf, names.len);
	if (*volumes) {
		strbuf_adds(out, "\t.text\n");
		strbuf_add(out, hooks.buf, hooks.len);
	}
	rc = 0;
	goto cleanup;
bad:
	unik_err_set(err, UNIK_E_UNAVAILABLE,
		     "%s line %u is not part of a system-call list of this unik", list_path,
		     line_no);
cleanup:
	strbuf_release(&list);
	strbuf_release(&hooks);
	strbuf_release(&index);
	strbuf_release(&names);
	return rc;
}
