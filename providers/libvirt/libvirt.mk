# providers/libvirt - the "libvirt" provider (alias "kvm").
UNIKD_SRCS += providers/libvirt/libvirt.c providers/libvirt/conn.c providers/libvirt/domain_xml.c
UNIKD_LIBS += -lvirt
