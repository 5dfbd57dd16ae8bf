# providers/xen - the "xen" provider (xl in dom0; the runtime's platform/xen).
UNIKD_SRCS += providers/xen/xen.c providers/xen/xl.c
