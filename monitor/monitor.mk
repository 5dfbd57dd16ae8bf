# monitor/ - bin/unik-hvt (a minimal KVM monitor) and bin/unik-spt (the
# runtime as a sandboxed process).  Guest side: runtime/platform/{hvt,spt};
# the one shared contract: abi/hvt_abi.h.

MON_COMMON_SRCS := monitor/opts.c monitor/elf_image.c monitor/seccomp.c monitor/net_tap.c \
	monitor/block.c
HVT_SRCS := monitor/hvt_main.c monitor/hvt_kvm_x86_64.c monitor/hvt_vcpu_x86_64.c \
	monitor/hvt_program_x86_64.c monitor/hvt_calls.c monitor/hvt_events.c \
	$(MON_COMMON_SRCS)
SPT_SRCS := monitor/spt_main.c $(MON_COMMON_SRCS)
# Static: no dynamic loader or shared libraries in each monitor process
# (RSS ~1.1 MB instead of ~1.7 MB).  Sanitizer builds cannot be static.
MON_LDFLAGS := $(if $(SAN),,-static)
# Linked against musl (musl-gcc, Debian's musl-tools) when there is one: a
# static glibc probes the caches at start with dozens of CPUID instructions,
# each a trap to the hypervisor under nested virtualization (~2.5 ms of every
# monitor start here, docs/density.md).  The monitors need nothing from libc
# but system calls, memory and formatting.  The kernel's headers (linux/,
# asm/) are reached through a folder of links, not /usr/include (glibc's).
MON_MUSL := $(if $(SAN),,$(shell command -v musl-gcc 2>/dev/null))
MON_CC := $(if $(MON_MUSL),$(MON_MUSL),$(CC))
MON_INC := $(OUT)/monitor-include
MON_CPPFLAGS := $(CPPFLAGS) $(if $(MON_MUSL),-isystem $(MON_INC))
MON_ARCH_INC := $(firstword $(wildcard /usr/include/$(shell $(CC) -dumpmachine)/asm) \
	/usr/include/asm)
monobj = $(patsubst %.c,$(OUT)/mobj/%.o,$(1))

$(MON_INC)/.stamp:
	@mkdir -p $(@D)
	ln -sfn /usr/include/linux $(@D)/linux
	ln -sfn /usr/include/asm-generic $(@D)/asm-generic
	ln -sfn $(MON_ARCH_INC) $(@D)/asm
	@touch $@

$(OUT)/mobj/%.o: %.c | $(if $(MON_MUSL),$(MON_INC)/.stamp)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  MONCC   $@")
	$(Q)$(MON_CC) $(MON_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BIN)/unik-hvt: $(call monobj,$(HVT_SRCS))
	@mkdir -p $(@D)
	$(MON_CC) $(ALL_LDFLAGS) $(MON_LDFLAGS) -o $@ $^

ifeq ($(VARIANT),asan)
# ASan's shadow memory covers the guest's address space, so unik-spt cannot be
# a sanitizer build: the test build uses the release monitor, copied beside it.
.PHONY: spt-release
spt-release:
	@$(MAKE) --no-print-directory VARIANT=release bin/unik-spt
$(BIN)/unik-spt: spt-release
	@mkdir -p $(@D)
	cp bin/unik-spt $@
else
$(BIN)/unik-spt: $(call monobj,$(SPT_SRCS))
	@mkdir -p $(@D)
	$(MON_CC) $(ALL_LDFLAGS) $(MON_LDFLAGS) -o $@ $^
endif

EXTRA_BINS += $(BIN)/unik-hvt $(BIN)/unik-spt
LINT_SRCS += $(wildcard monitor/*.c monitor/*.h abi/*.h)

.PHONY: monitor monitor-test
monitor: $(BIN)/unik-hvt $(BIN)/unik-spt guest
monitor-test: monitor
	tests/monitor/run-tests

