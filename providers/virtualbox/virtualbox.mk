# providers/virtualbox - the "virtualbox" provider (VBoxManage; the disk
# staging of providers/common/disk_stage.c).
UNIKD_SRCS += providers/virtualbox/virtualbox.c providers/virtualbox/vboxmanage.c \
	providers/virtualbox/vmdk.c
