# compilers/ - build plugins (daemon only): their table (registry.c), the
# code they share (common/), and one fragment per compiler.
UNIKD_SRCS += compilers/registry.c compilers/common/files.c compilers/common/program.c \
	compilers/common/cpio.c compilers/common/pack.c \
	compilers/common/syscall_set.c compilers/common/app_symbols.c
UNIKD_SRCS += compilers/common/diag.c
LINT_SRCS += $(wildcard compilers/*.c compilers/*.h compilers/*/*.c compilers/*/*.h)

include compilers/linux/linux.mk
include compilers/c/c.mk
include compilers/go/go.mk
