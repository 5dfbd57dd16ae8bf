/* go.h - internals of the "go" compiler: a Go program (built with the
 * host's Go toolchain, CGO_ENABLED=0) linked with the unik runtime into
 * one bootable ELF (format "unik-elf"); see go.c. */
#ifndef UNIK_COMPILER_GO_H
#define UNIK_COMPILER_GO_H

#include "../compiler.h"

/* The `go` command: `go.go` in the configuration, else "go" (PATH).
 * Borrowed string. */
const char *go_command(const struct unik_config *cfg);

extern const struct unik_compiler unik_compiler_go;

#endif
