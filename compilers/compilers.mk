# compilers/ - build plugins (daemon only) and the guest pieces they pack.
UNIKD_SRCS += compilers/registry.c compilers/files.c compilers/linux/linux.c compilers/linux/program.c \
	compilers/linux/initrd.c compilers/linux/cpio.c
GUEST_TARGETS += $(GUEST)/linux-init $(GUEST)/vmlinuz
LINT_SRCS += $(wildcard compilers/*.c compilers/*.h compilers/*/*.c compilers/*/*.h)

# PID 1 of "linux" guests: static, small, linked with nothing from lib/.
$(GUEST)/linux-init: compilers/linux/init.c abi/boot.h
	@mkdir -p $(@D)
	musl-gcc -static -Os -s $(WARN) -o $@ $<

# Debian's cloud kernel and the two modules the init loads (apt-get download).
$(GUEST)/vmlinuz: scripts/fetch-linux-kernel
	scripts/fetch-linux-kernel $(GUEST)
	@touch $@
