/* elf_syms.c - an ELF64 file's symbol table (see elf_syms.h). */
#include "elf_syms.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

#define MAX_SHDRS 4096
#define MAX_SYMTAB (64 << 20)

static int read_at(int fd, void *buf, size_t len, off_t off, off_t size)
{
	if (off < 0 || (off_t)len > size || off > size - (off_t)len)
		return -1;
	return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

/* One symbol table: 1 if it defines function `name`, 0 if not, -1 if bad. */
static int table_defines(int fd, off_t size, const Elf64_Shdr *s, const Elf64_Shdr *st,
			 const char *name)
{
	size_t n = s->sh_size / sizeof(Elf64_Sym), len = strlen(name) + 1;
	Elf64_Sym *sym;
	char *str;
	int found = 0;

	if (s->sh_size > MAX_SYMTAB || st->sh_size > MAX_SYMTAB || st->sh_type != SHT_STRTAB)
		return -1;
	sym = xmalloc(n * sizeof(*sym) + 1);
	str = xmalloc(st->sh_size + 1);
	if (read_at(fd, sym, n * sizeof(*sym), (off_t)s->sh_offset, size) ||
	    read_at(fd, str, st->sh_size, (off_t)st->sh_offset, size))
		found = -1;
	for (size_t k = 0; k < n && !found; k++)
		if (sym[k].st_shndx != SHN_UNDEF && ELF64_ST_TYPE(sym[k].st_info) == STT_FUNC &&
		    st->sh_size >= len && sym[k].st_name <= st->sh_size - len &&
		    !memcmp(str + sym[k].st_name, name, len))
			found = 1;
	free(sym);
	free(str);
	return found;
}

static int fd_defines(int fd, off_t size, const char *name, int *has_symtab)
{
	Elf64_Ehdr eh;
	Elf64_Shdr *sh;
	int found = 0;

	if (read_at(fd, &eh, sizeof(eh), 0, size) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    eh.e_shnum == 0 || eh.e_shnum > MAX_SHDRS || eh.e_shoff > (Elf64_Off)size)
		return -1;
	sh = xcalloc(eh.e_shnum, sizeof(*sh));
	if (read_at(fd, sh, eh.e_shnum * sizeof(*sh), (off_t)eh.e_shoff, size))
		found = -1;
	for (size_t i = 0; i < eh.e_shnum && !found; i++) {
		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		*has_symtab = 1;
		found = sh[i].sh_link < eh.e_shnum
			    ? table_defines(fd, size, &sh[i], &sh[sh[i].sh_link], name)
			    : -1;
	}
	free(sh);
	return found;
}

int elf_defines_function(const char *path, const char *name, int *has_symtab, struct unik_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	int rc, have = 0;

	if (fd < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "open %s: %s", path, strerror(errno));
	rc = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fd_defines(fd, st.st_size, name, &have)
							: -1;
	close(fd);
	if (has_symtab)
		*has_symtab = have;
	if (rc < 0)
		return unik_err_set(err, UNIK_E_INVALID,
				    "the image's kernel is not an ELF64 file with sane section "
				    "headers");
	return rc;
}
