# monitor/ - bin/unik-hvt (a minimal KVM monitor) and bin/unik-spt (the
# runtime as a sandboxed process).  Guest side: runtime/platform/{hvt,spt};
# the one shared contract: abi/hvt_abi.h.  Needs libseccomp-dev.

MON_COMMON_SRCS := monitor/opts.c monitor/elf_image.c monitor/seccomp.c monitor/net_tap.c \
	monitor/block.c
HVT_SRCS := monitor/hvt_main.c monitor/hvt_kvm_x86_64.c monitor/hvt_vcpu_x86_64.c monitor/hvt_calls.c monitor/hvt_events.c \
	$(MON_COMMON_SRCS)
SPT_SRCS := monitor/spt_main.c $(MON_COMMON_SRCS)
MON_LIBS := -lseccomp
# Static: no dynamic loader or shared libraries in each monitor process
# (RSS ~1.1 MB instead of ~1.7 MB).  Sanitizer builds cannot be static.
MON_LDFLAGS := $(if $(SAN),,-static)

$(BIN)/unik-hvt: $(patsubst %.c,$(OUT)/obj/%.o,$(HVT_SRCS))
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) $(MON_LDFLAGS) -o $@ $^ $(MON_LIBS)

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
$(BIN)/unik-spt: $(patsubst %.c,$(OUT)/obj/%.o,$(SPT_SRCS))
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) $(MON_LDFLAGS) -o $@ $^ $(MON_LIBS)
endif

EXTRA_BINS += $(BIN)/unik-hvt $(BIN)/unik-spt
LINT_SRCS += $(wildcard monitor/*.c monitor/*.h abi/*.h)

.PHONY: monitor monitor-test
monitor: $(BIN)/unik-hvt $(BIN)/unik-spt guest
monitor-test: monitor
	tests/monitor/run-tests

