# providers/spt - the "spt" provider (bin/unik-spt, monitor/).
UNIKD_SRCS += providers/spt/spt.c
