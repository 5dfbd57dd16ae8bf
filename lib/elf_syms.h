/* elf_syms.h - what an ELF64 file's symbol table says, read with pread (the
 * file is hostile: every offset and size is checked against it). */
#ifndef UNIK_ELF_SYMS_H
#define UNIK_ELF_SYMS_H

#include "error.h"

/* 1 when the regular file `path` is ELF64 and its symbol table defines the
 * function `name`, 0 when it does not (*has_symtab, if given, says whether
 * there is a symbol table at all), -1 with err (INVALID: not an ELF64 file
 * with sane section headers; INTERNAL: it cannot be opened). */
int elf_defines_function(const char *path, const char *name, int *has_symtab, struct unik_err *err);

#endif
