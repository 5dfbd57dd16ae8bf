# compilers/linux - the "linux" compiler, and the guest pieces it packs.
UNIKD_SRCS += compilers/linux/linux.c compilers/linux/initrd.c
GUEST_TARGETS += $(GUEST)/linux-init $(GUEST)/vmlinuz

# PID 1 of "linux" guests: static, small, linked with nothing from lib/.
$(GUEST)/linux-init: compilers/linux/init.c compilers/linux/dhcp_msg.c \
		compilers/linux/dhcp_client.c compilers/linux/dhcp_renew.c compilers/linux/dhcp_msg.h \
		compilers/linux/dhcp_renew.h abi/boot.h
	@mkdir -p $(@D)
	musl-gcc -static -Os -s $(WARN) -o $@ $(filter %.c,$^)

# Debian's cloud kernel and the two modules the init loads (apt-get download).
$(GUEST)/vmlinuz: scripts/fetch-linux-kernel
	scripts/fetch-linux-kernel $(GUEST)
	@touch $@
