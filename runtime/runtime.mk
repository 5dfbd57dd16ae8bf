# runtime.mk - the unik runtime (issue 3): a freestanding x86-64 kernel
# that runs one static Linux ELF.  Built into build/guest/:
#   unik-runtime.o   the runtime, partially linked (ld -r)
#   unik-runtime.ld  the linker script that joins it with a payload
# The `c` compiler (compilers/c) links those with the program and files.

RT_CC ?= gcc
RT_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-stack-protector -fno-pic -fno-pie -mno-red-zone \
	-mgeneral-regs-only -mcmodel=small -fno-asynchronous-unwind-tables \
	-fno-omit-frame-pointer -fcf-protection=none -nostdlib -MMD -MP
RT_ASFLAGS := -fno-pic -fno-pie -MMD -MP

# One object carries every platform (qemu, hvt, spt); each enters through
# its own entry point (PVH note, or the "unik" notes of abi/hvt_abi.h).
RT_SRCS := runtime/boot/pvh.S runtime/arch/x86_64/entry.S \
	runtime/platform/hvt/hvt_start.S runtime/platform/spt/spt_start.S \
	$(wildcard runtime/arch/x86_64/*.c runtime/core/*.c runtime/platform/*/*.c)
RT_OBJS := $(patsubst runtime/%,build/guest/obj/runtime/%.o,$(RT_SRCS))

build/guest/obj/runtime/%.c.o: runtime/%.c
	@mkdir -p $(@D)
	$(RT_CC) $(RT_CFLAGS) -c -o $@ $<

build/guest/obj/runtime/%.S.o: runtime/%.S
	@mkdir -p $(@D)
	$(RT_CC) $(RT_ASFLAGS) -c -o $@ $<

build/guest/unik-runtime.o: $(RT_OBJS)
	@mkdir -p $(@D)
	ld -r -o $@ $^

build/guest/unik-runtime.ld: runtime/runtime.ld
	@mkdir -p $(@D)
	cp $< $@

GUEST_TARGETS += build/guest/unik-runtime.o build/guest/unik-runtime.ld
LINT_SRCS += $(wildcard runtime/*/*.c runtime/*/*.h runtime/*/*/*.c runtime/*/*/*.h)

.PHONY: runtime runtime-test
runtime: build/guest/unik-runtime.o build/guest/unik-runtime.ld
runtime-test: runtime
	tests/runtime/run-tests
