# compilers/c - the "c" compiler (issue 3).  Included from compilers/compilers.mk.
# It reuses compilers/linux/program.c (building the program) and cpio.c.
UNIKD_SRCS += compilers/c/c.c compilers/c/c_pack.c
