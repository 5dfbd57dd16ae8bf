# compilers/c - the "c" compiler: a C program linked with the unik runtime.
# It builds the program with compilers/common/program.c, as linux does.
UNIKD_SRCS += compilers/c/c.c
