# oci/runtime/ - bin/unik-runtime, an OCI runtime with runc's command line
# for bundles whose rootfs holds a unik image (docs/oci-runtime.md).
RT_SRCS := oci/runtime/main.c oci/runtime/argv.c oci/runtime/log.c oci/runtime/bundle.c oci/runtime/image.c \
	oci/runtime/state.c oci/runtime/hooks.c oci/runtime/monitor.c oci/runtime/create.c \
	oci/runtime/cmds.c oci/runtime/net.c oci/runtime/qemu.c

$(BIN)/unik-runtime: $(call obj,$(RT_SRCS)) $(OUT)/libunik.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -ljansson

EXTRA_BINS += $(BIN)/unik-runtime
LINT_SRCS += $(wildcard oci/runtime/*.c oci/runtime/*.h)

# the unit test of its parsers (tests/unit/t_oci_runtime.c): everything but main()
RT_PARTS := $(call obj,$(filter-out oci/runtime/main.c,$(RT_SRCS)))
$(OUT)/tests/t_oci_runtime: $(OUT)/obj/tests/unit/t_oci_runtime.o $(RT_PARTS) $(OUT)/libunik.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -ljansson
unit-bins: $(OUT)/tests/t_oci_runtime
