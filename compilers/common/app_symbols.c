/* app_symbols.c - the program's symbol table for the packer (see
 * app_symbols.h). */
#include "app_symbols.h"

#include <string.h>

#include "../../lib/fsutil.h"

const Elf64_Shdr *app_elf_symtab(const struct strbuf *f, const Elf64_Shdr **strtab)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->buf;
	const Elf64_Shdr *sh;

	if (f->len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(*sh) ||
	    eh->e_shoff % 8 || eh->e_shoff > f->len ||
	    eh->e_shnum > (f->len - eh->e_shoff) / sizeof(*sh))
		return NULL;
	sh = (const Elf64_Shdr *)(f->buf + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum ||
		    sh[i].sh_offset % 8 || sh[i].sh_offset > f->len ||
		    sh[i].sh_size > f->len - sh[i].sh_offset)
			continue;
		*strtab = &sh[sh[i].sh_link];
		if ((*strtab)->sh_offset > f->len ||
		    (*strtab)->sh_size > f->len - (*strtab)->sh_offset)
			return NULL;
		return &sh[i];
	}
	return NULL;
}

void app_function_names(const struct strbuf *f, struct strbuf *out)
{
	const Elf64_Shdr *symtab, *strtab = NULL;
	const Elf64_Sym *sym;
	const char *names;
	size_t n;

	symtab = app_elf_symtab(f, &strtab);
	if (!symtab)
		return;
	sym = (const Elf64_Sym *)(f->buf + symtab->sh_offset);
	names = f->buf + strtab->sh_offset;
	n = symtab->sh_size / sizeof(*sym);
	for (size_t i = 0; i < n; i++) {
		const char *name = names + sym[i].st_name;
		size_t len;

		if (sym[i].st_shndx == SHN_UNDEF || ELF64_ST_TYPE(sym[i].st_info) != STT_FUNC ||
		    !sym[i].st_name || sym[i].st_name >= strtab->sh_size)
			continue;
		len = strnlen(name, strtab->sh_size - sym[i].st_name);
		/* a name objcopy reads whole: NUL-terminated in the table, no
		 * newline, blank or comment sign */
		if (!len || len == strtab->sh_size - sym[i].st_name ||
		    strcspn(name, "\n\r\t #") != len)
			continue;
		strbuf_add(out, name, len);
		strbuf_adds(out, "\n");
	}
}

int app_write_function_names(const struct strbuf *f, const char *path, struct unik_err *err)
{
	struct strbuf out = STRBUF_INIT;
	int rc;

	app_function_names(f, &out);
	rc = fs_write_file_atomic(path, out.buf ? out.buf : "", out.len, 0644, err);
	strbuf_release(&out);
	return rc;
}
