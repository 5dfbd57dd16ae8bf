LIB_SRCS += lib/error.c lib/xalloc.c lib/strbuf.c lib/strv.c lib/fsutil.c lib/config.c \
	lib/bootargs.c lib/portspec.c lib/clock.c lib/run.c lib/run_host_tool.c lib/host_run.c lib/procstat.c lib/hex.c lib/qemu_args.c lib/safeopen.c lib/rmtree.c lib/utf8.c \
	lib/fstree.c lib/sandbox.c lib/sandbox_cmd.c lib/sandbox_exec.c lib/sandbox_watch.c
LINT_SRCS += $(wildcard lib/*.c lib/*.h)
