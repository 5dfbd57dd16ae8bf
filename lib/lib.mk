LIB_SRCS += \
	lib/bootargs.c \
	lib/clock.c \
	lib/config.c \
	lib/elf_syms.c \
	lib/error.c \
	lib/fstree.c \
	lib/fsutil.c \
	lib/hex.c \
	lib/host_run.c \
	lib/portspec.c \
	lib/procstat.c \
	lib/qemu_args.c \
	lib/rmtree.c \
	lib/run.c \
	lib/run_host_tool.c \
	lib/safeopen.c \
	lib/sandbox.c \
	lib/sandbox_cmd.c \
	lib/sandbox_exec.c \
	lib/sandbox_watch.c \
	lib/strbuf.c \
	lib/strv.c \
	lib/utf8.c \
	lib/xalloc.c
LINT_SRCS += $(wildcard lib/*.c lib/*.h)
