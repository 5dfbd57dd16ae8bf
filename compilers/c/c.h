/* c.h - internals of the "c" compiler: a C program linked with the unik
 * runtime into one bootable ELF (format "unik-elf").
 *
 * The program is built by the same rules as the linux compiler
 * (compilers/common/program.c: the folder's *.c, or its Makefile with
 * CC=musl-gcc); compilers/common/pack.c then joins it with the runtime.
 */
#ifndef UNIK_COMPILER_C_H
#define UNIK_COMPILER_C_H

#include "../compiler.h"

extern const struct unik_compiler unik_compiler_c;

#endif
