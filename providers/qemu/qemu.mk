# providers/qemu - the "qemu" provider (qemu-system-x86_64 microvm).
UNIKD_SRCS += providers/qemu/qemu.c providers/qemu/argv.c providers/qemu/qmp.c
