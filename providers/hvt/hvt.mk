# providers/hvt - the "hvt" provider (bin/unik-hvt, monitor/).
UNIKD_SRCS += providers/hvt/hvt.c
