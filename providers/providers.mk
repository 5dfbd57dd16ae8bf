# providers/ - run plugins (daemon only).
UNIKD_SRCS += providers/guest.c providers/registry.c providers/common/spawn.c providers/qemu/qemu.c providers/qemu/argv.c \
	providers/qemu/accel.c providers/qemu/qmp.c
LINT_SRCS += $(wildcard providers/*.c providers/*.h providers/*/*.c providers/*/*.h)
UNIKD_SRCS += providers/guest.c providers/libvirt/libvirt.c providers/libvirt/conn.c providers/libvirt/domain_xml.c
UNIKD_LIBS += -lvirt
