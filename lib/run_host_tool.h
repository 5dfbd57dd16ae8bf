/* run_host_tool.h - running a trusted host tool (mkfs, mcopy, qemu-img,
 * grub-mkimage) on the daemon's own files, directly (no sandbox): its
 * arguments carry no user input, and the files it reads that came from a
 * user (disk images, an image's ELF) are data to it.  Builds, which run
 * user code, use run_command (run.h) in their sandbox instead. */
#ifndef UNIK_RUN_HOST_TOOL_H
#define UNIK_RUN_HOST_TOOL_H

#include "error.h"

/* Runs argv[0] (searched in PATH) with argv in `cwd` (NULL: here), stdin
 * from /dev/null, its output kept (the first 2 KiB) for the error.  0 when
 * it exits 0; else -1 with UNAVAILABLE when it is not installed, INTERNAL
 * naming the tool, its status and output otherwise. */
int run_host_tool(const char *const *argv, const char *cwd, struct unik_err *err);

#endif
