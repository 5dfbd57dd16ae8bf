# runtime.mk - the unik runtime (issue 3): a freestanding x86-64 kernel
# that runs one static Linux ELF.  Built into build/guest/:
#   unik-runtime.o   the runtime, partially linked (ld -r)
#   unik-unix.o      local (AF_UNIX) sockets, for programs that make sockets
#                    or socket pairs
#   unik-net.o       its network stack (lwIP), for programs that make sockets
#   unik-runtime.ld  the linker script that joins it with a payload
#   unik-syscalls.list  which function serves each system call: the image
#                    link writes a table with the calls its program makes
# The `c` compiler (compilers/c) links those with the program and files.

RT_CC ?= gcc
# -Os: the image's size is a goal (docs/runtime.md); -O2 costs about 30 KB.
# Each function and object in its own section: the image link
# (compilers/common/pack.c) drops what nothing reaches (--gc-sections); no
# frame pointers (nothing walks them; 4 KB).
RT_CFLAGS := -std=gnu11 -Os -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-stack-protector -fno-pic -fno-pie -mno-red-zone \
	-mgeneral-regs-only -mcmodel=small -fno-asynchronous-unwind-tables \
	-fomit-frame-pointer -fcf-protection=none -ffunction-sections -fdata-sections \
	-nostdlib -MMD -MP
RT_ASFLAGS := -fno-pic -fno-pie -MMD -MP

# lwIP (issue 5) comes from Debian's `lwip` source package, unpacked into
# build/lwip/ by scripts/fetch-lwip (never committed); runtime/net/ is the
# port.  lwIP's own files are built with its warnings relaxed.
LWIP_DIR := build/lwip
LWIP_STAMP := $(LWIP_DIR)/.unik-version
LWIP_SRCS := $(addprefix src/core/,init.c def.c inet_chksum.c ip.c mem.c memp.c netif.c \
	pbuf.c tcp.c tcp_in.c tcp_out.c timeouts.c udp.c) \
	$(addprefix src/core/ipv4/,dhcp.c etharp.c icmp.c ip4.c ip4_addr.c ip4_frag.c) \
	src/netif/ethernet.c
LWIP_OBJS := $(patsubst %,build/guest/obj/lwip/%.o,$(LWIP_SRCS))
RT_INC := -Iruntime/net/include -I$(LWIP_DIR)/src/include
LWIP_CFLAGS := $(filter-out -Werror -Wextra,$(RT_CFLAGS)) -Wno-address

# One object carries every platform (qemu, xen, hvt, spt); each enters through
# its own entry point (PVH note, the Multiboot header, or the "unik" notes of
# abi/hvt_abi.h).
RT_SRCS := runtime/boot/pvh.S runtime/arch/x86_64/entry.S runtime/arch/x86_64/syscall_direct.S \
	runtime/platform/xen/xen_hypercall.S \
	runtime/platform/hvt/hvt_start.S runtime/platform/spt/spt_start.S \
	runtime/platform/multiboot/multiboot_start.S \
	$(wildcard runtime/arch/x86_64/*.c runtime/core/*.c runtime/platform/*/*.c)
# Local (AF_UNIX) sockets are an object of their own too, linked into images
# whose program makes sockets or socket pairs (unik-unix.o).
UNIX_SRCS := runtime/core/sys_sock.c runtime/core/unix_sock.c runtime/core/unix_io.c
# The platforms' network entries go with the network stack: without them the
# image link (--gc-sections) leaves the network drivers out.
NETDEV_SRCS := \
	runtime/platform/qemu/qemu_net.c \
	runtime/platform/xen/netfront.c
RT_SRCS := $(filter-out $(UNIX_SRCS) $(NETDEV_SRCS),$(RT_SRCS))
RT_OBJS := $(patsubst runtime/%,build/guest/obj/runtime/%.o,$(RT_SRCS))
UNIX_OBJS := $(patsubst runtime/%,build/guest/obj/runtime/%.o,$(UNIX_SRCS))
# The network stack (runtime/net + lwIP) is an object of its own, linked
# only into images whose program makes sockets (core/netstack.h).
NET_SRCS := $(wildcard runtime/net/*.c) $(NETDEV_SRCS)
NET_OBJS := $(patsubst runtime/%,build/guest/obj/runtime/%.o,$(NET_SRCS))

$(LWIP_STAMP): scripts/fetch-lwip
	scripts/fetch-lwip $(LWIP_DIR)

build/guest/obj/runtime/%.c.o: runtime/%.c | $(LWIP_STAMP)
	@mkdir -p $(@D)
	$(RT_CC) $(RT_CFLAGS) $(RT_INC) -c -o $@ $<

build/guest/obj/lwip/%.c.o: $(LWIP_STAMP)
	@mkdir -p $(@D)
	$(RT_CC) $(LWIP_CFLAGS) $(RT_INC) -c -o $@ $(LWIP_DIR)/$*.c

build/guest/obj/runtime/%.S.o: runtime/%.S
	@mkdir -p $(@D)
	$(RT_CC) $(RT_ASFLAGS) -c -o $@ $<

# --unique: every input section stays a section of its own.  Without it
# `ld -r` joins the sections of the same name, and two files' static
# functions of one name (create, walk, next, ...) became one section that
# the image link keeps whole when either is used (ext2's with the tmpfs's).
build/guest/unik-runtime.o: $(RT_OBJS)
	@mkdir -p $(@D)
	ld -r --unique -o $@ $^

build/guest/unik-unix.o: $(UNIX_OBJS)
	@mkdir -p $(@D)
	ld -r --unique -o $@ $^

build/guest/unik-net.o: $(NET_OBJS) $(LWIP_OBJS)
	@mkdir -p $(@D)
	ld -r --unique -o $@ $^

build/guest/unik-runtime.ld: runtime/runtime.ld
	@mkdir -p $(@D)
	cp $< $@

# The system-call table is written by the image link (compilers/common/
# syscall_set.c) from this list, with only the calls the program can make.
SYSCALL_LIST_SRCS := $(addprefix runtime/core/,syscall_table.h syscall_names.h syscall_files.h \
	syscall_slots.h)
build/guest/unik-syscalls.list: $(SYSCALL_LIST_SRCS) runtime/syscall_list.awk
	@mkdir -p $(@D)
	$(RT_CC) -E -P -undef -x c runtime/core/syscall_table.h | awk -f runtime/syscall_list.awk >$@.tmp
	mv $@.tmp $@

GUEST_TARGETS += build/guest/unik-runtime.o build/guest/unik-unix.o build/guest/unik-net.o \
	build/guest/unik-runtime.ld build/guest/unik-syscalls.list

# The musl that programs link with: system calls as direct calls into us.
include runtime/musl/musl.mk
LINT_SRCS += $(wildcard runtime/*/*.c runtime/*/*.h runtime/*/*/*.c runtime/*/*/*.h)

.PHONY: runtime runtime-test
runtime: build/guest/unik-runtime.o build/guest/unik-unix.o build/guest/unik-net.o \
	build/guest/unik-runtime.ld build/guest/unik-syscalls.list
runtime-test: runtime
	tests/runtime/run-tests

# Header dependencies when this file is used on its own (make -f runtime/runtime.mk).
-include $(RT_OBJS:.o=.d) $(UNIX_OBJS:.o=.d) $(NET_OBJS:.o=.d) $(LWIP_OBJS:.o=.d)
