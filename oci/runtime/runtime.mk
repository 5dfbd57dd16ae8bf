# oci/runtime/ - bin/unik-runtime, an OCI runtime with runc's command line
# for bundles whose rootfs holds a unik image (docs/oci-runtime.md).
RT_SRCS := oci/runtime/main.c oci/runtime/log.c oci/runtime/bundle.c oci/runtime/image.c \
	oci/runtime/state.c oci/runtime/hooks.c oci/runtime/monitor.c oci/runtime/create.c \
	oci/runtime/cmds.c oci/runtime/net.c

$(BIN)/unik-runtime: $(call obj,$(RT_SRCS)) $(OUT)/libunik.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -ljansson

EXTRA_BINS += $(BIN)/unik-runtime
LINT_SRCS += $(wildcard oci/runtime/*.c oci/runtime/*.h)
