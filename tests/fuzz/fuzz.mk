# tests/fuzz/fuzz.mk - libFuzzer targets for every parser of outside input
# (docs/fuzzing.md).  Built with clang into build/fuzz/, whatever VARIANT is:
# the tree's sources with coverage + ASan + UBSan, each target linked with
# libFuzzer (Debian: clang, libfuzzer-14-dev).
#
#   make fuzz-bins     builds the targets
#   make fuzz          each target for FUZZ_RUNS (10^6) executions
#   make fuzz-short    each target for a short pass (CI)
# tests/fuzz/run-tests replays the corpora and regression inputs (make test).

FUZZ_CC ?= clang
FUZZ_OUT := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# the tree's warnings; clang lacks gcc's -Wformat-truncation and flags
# libseccomp's SCMP_A0() macros (-Wmissing-field-initializers) where gcc does not
FUZZ_CFLAGS := -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(filter-out -Wno-format-truncation,$(WARN)) \
	-Wno-missing-field-initializers -std=gnu11 -pthread -MMD -MP
FUZZ_LDFLAGS := -fsanitize=fuzzer $(FUZZ_SAN) -pthread
FUZZ_RUNS ?= 1000000

FUZZ_TARGETS := fuzz_api_json fuzz_portspec fuzz_bootargs fuzz_cmdline fuzz_elf fuzz_hvt_calls \
	fuzz_hvt_program \
	fuzz_untar fuzz_routes fuzz_sigv4 fuzz_aws_ini fuzz_oci_config fuzz_oci_ref fuzz_dns \
	fuzz_compose fuzz_http_resp fuzz_app_symbols fuzz_hvt_prepare fuzz_app_plan fuzz_syscall_set \
	fuzz_volume fuzz_dhcp fuzz_oci_auth fuzz_oci_rootfs \
	fuzz_oci_layout fuzz_mount_spec
FUZZ_BINS := $(patsubst %,$(FUZZ_OUT)/%,$(FUZZ_TARGETS))
LINT_SRCS += $(wildcard tests/fuzz/*.c tests/fuzz/*.h)

fuzzobj = $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(1))
FUZZ_LIB := $(FUZZ_OUT)/libunik.a
# The targets link whole parts (the daemon without its main(), the monitors
# without theirs), not single files, so they keep linking when a part's
# files are split: route_match and http_body_json need the handlers.
FUZZ_DAEMON_OBJS := $(call fuzzobj,$(filter-out daemon/main.c,$(sort $(UNIKD_SRCS))))
FUZZ_MON_OBJS := $(call fuzzobj,$(sort $(filter-out monitor/hvt_main.c,$(HVT_SRCS))))

$(FUZZ_OUT)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_LIB): $(call fuzzobj,$(LIB_SRCS) $(API_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^

fuzz_link = @$(if $(Q),echo "  FUZZLD  $@")
$(FUZZ_OUT)/fuzz_api_json $(FUZZ_OUT)/fuzz_routes $(FUZZ_OUT)/fuzz_untar $(FUZZ_OUT)/fuzz_sigv4 \
		$(FUZZ_OUT)/fuzz_aws_ini $(FUZZ_OUT)/fuzz_oci_rootfs \
		$(FUZZ_OUT)/fuzz_oci_layout: $(FUZZ_OUT)/%: \
		$(call fuzzobj,tests/fuzz/%.c) $(FUZZ_DAEMON_OBJS) $(FUZZ_LIB)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(UNIKD_LIBS)

$(FUZZ_OUT)/fuzz_portspec $(FUZZ_OUT)/fuzz_bootargs $(FUZZ_OUT)/fuzz_cmdline \
		$(FUZZ_OUT)/fuzz_oci_ref $(FUZZ_OUT)/fuzz_mount_spec: $(FUZZ_OUT)/%: \
		$(call fuzzobj,tests/fuzz/%.c) $(FUZZ_LIB)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ -ljansson

# the runtime's program loader (guest code, included by the target)
$(FUZZ_OUT)/fuzz_app_plan: $(call fuzzobj,tests/fuzz/fuzz_app_plan.c)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^

# the runtime's volume file systems (guest code; the rest of the runtime
# is shims in the target)
FUZZ_VOLUME_SRCS := $(wildcard runtime/core/fs_ext2*.c) runtime/core/fs_fat.c runtime/core/fs_bcache.c \
	runtime/core/vfs_fs.c runtime/core/blk.c
$(FUZZ_OUT)/fuzz_volume: $(call fuzzobj,tests/fuzz/fuzz_volume.c $(FUZZ_VOLUME_SRCS))
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^

# the packer's reader of a program's system-call records
$(FUZZ_OUT)/fuzz_syscall_set: $(call fuzzobj,tests/fuzz/fuzz_syscall_set.c \
		compilers/common/syscall_set.c) $(FUZZ_LIB)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^

# the DNS responder's messages alone (the parser has no other dependency)
$(FUZZ_OUT)/fuzz_dns: $(call fuzzobj,tests/fuzz/fuzz_dns.c daemon/dns_msg.c)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^

# the registry's challenge and token reply alone (daemon/oci_challenge.c)
$(FUZZ_OUT)/fuzz_oci_auth: $(call fuzzobj,tests/fuzz/fuzz_oci_auth.c daemon/oci_challenge.c) \
		$(FUZZ_LIB)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ -ljansson

# the linux base init's DHCP messages alone (compilers/linux/dhcp_msg.c)
$(FUZZ_OUT)/fuzz_dhcp: $(call fuzzobj,tests/fuzz/fuzz_dhcp.c compilers/linux/dhcp_msg.c)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^

# the CLI's compose reader and model (cmd/compose_*.c), with libyaml
$(FUZZ_OUT)/fuzz_compose: $(call fuzzobj,tests/fuzz/fuzz_compose.c cmd/compose_yaml.c \
		cmd/compose_model.c cmd/envfile.c cmd/humanize.c) $(FUZZ_LIB)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ -lyaml -ljansson

# the packer's readers of the program's ELF file (compilers/common/)
$(FUZZ_OUT)/fuzz_app_symbols: $(call fuzzobj,tests/fuzz/fuzz_app_symbols.c \
		compilers/common/app_symbols.c compilers/common/syscall_set.c) $(FUZZ_LIB)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^

# the CLI's HTTP/1.1 answer reader alone
$(FUZZ_OUT)/fuzz_http_resp: $(call fuzzobj,tests/fuzz/fuzz_http_resp.c cmd/http_resp.c) $(FUZZ_LIB)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^

# unik-runtime without its main() (oci/runtime/runtime.mk)
$(FUZZ_OUT)/fuzz_oci_config: $(call fuzzobj,tests/fuzz/fuzz_oci_config.c \
		$(filter-out oci/runtime/main.c,$(RT_SRCS))) $(FUZZ_LIB)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ -ljansson

$(FUZZ_OUT)/fuzz_elf: $(call fuzzobj,tests/fuzz/fuzz_elf.c) $(FUZZ_MON_OBJS)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(MON_LIBS)

$(FUZZ_OUT)/fuzz_hvt_prepare: $(call fuzzobj,tests/fuzz/fuzz_hvt_prepare.c) $(FUZZ_MON_OBJS)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(MON_LIBS)

$(FUZZ_OUT)/fuzz_hvt_calls: $(call fuzzobj,tests/fuzz/fuzz_hvt_calls.c) $(FUZZ_MON_OBJS)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -Wl,--wrap=ppoll -o $@ $^ $(MON_LIBS)

$(FUZZ_OUT)/fuzz_hvt_program: $(call fuzzobj,tests/fuzz/fuzz_hvt_program.c) $(FUZZ_MON_OBJS)
	$(fuzz_link)
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(MON_LIBS)

.PHONY: fuzz-bins fuzz fuzz-short
fuzz-bins: $(FUZZ_BINS)

fuzz: fuzz-bins
	scripts/fuzz --runs $(FUZZ_RUNS)

fuzz-short: fuzz-bins
	scripts/fuzz --short
