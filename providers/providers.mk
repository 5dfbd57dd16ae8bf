# providers/ - run plugins (daemon only): the one layer the daemon calls them
# through (dispatch.c), their table (registry.c), the code they share
# (common/), and one fragment per provider.
UNIKD_SRCS += \
	providers/common/accel.c \
	providers/common/disk_convert.c \
	providers/common/disk_gpt.c \
	providers/common/disk_ova.c \
	providers/common/disk_stage.c \
	providers/common/guest.c \
	providers/common/monitor_process.c \
	providers/common/process.c \
	providers/common/spawn.c \
	providers/common/tool.c \
	providers/dispatch.c \
	providers/registry.c
LINT_SRCS += $(wildcard providers/*.c providers/*.h providers/*/*.c providers/*/*.h)

include providers/qemu/qemu.mk
include providers/hvt/hvt.mk
include providers/spt/spt.mk
include providers/libvirt/libvirt.mk
include providers/xen/xen.mk
include providers/virtualbox/virtualbox.mk
include providers/aws/aws.mk
# for the unit tests only (tests/tests.mk), never in unikd
include providers/mock/mock.mk
