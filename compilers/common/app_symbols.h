/* app_symbols.h - the program's symbol table, as the image packer reads it
 * (issue 18): which functions it defines, and the names of its functions,
 * the only symbols the runtime's fault reports look up (the faulting
 * instruction's function: runtime/core/elf_load.c, elf_symbolize). */
#ifndef UNIK_COMPILER_APP_SYMBOLS_H
#define UNIK_COMPILER_APP_SYMBOLS_H

#include <elf.h>

#include "../../lib/error.h"
#include "../../lib/strbuf.h"

/* The symbol table of the 64-bit ELF file in `f` and, in *strtab, its
 * strings (both checked against the file, the headers and the table
 * 8-byte aligned), or NULL when it has none. */
const Elf64_Shdr *app_elf_symtab(const struct strbuf *f, const Elf64_Shdr **strtab);

/* Appends to `out` the names of the functions that the ELF file `f`
 * defines, one a line, for `objcopy --keep-symbols` (names with a blank,
 * a newline or that objcopy would read as a comment are left out: only a
 * fault report misses them).  A file without a symbol table gives none. */
void app_function_names(const struct strbuf *f, struct strbuf *out);

/* The same list written to `path`. */
int app_write_function_names(const struct strbuf *f, const char *path, struct unik_err *err);

#endif
