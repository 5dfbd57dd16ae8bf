# Unit tests: small C programs printing TAP, linked against everything the
# daemon has but its main().  Built in the current VARIANT (make test uses asan).
UNIT_TESTS := t_types t_lib t_store t_routes t_untar t_buildtree t_libvirt_xml t_sandbox \
	t_disk_stage t_sigv4 t_aws_creds t_ebs t_ec2 t_oci t_compose t_xen_hvm \
	t_http_resp t_linux_dhcp t_app_plan t_hvt_prepare t_udprelay t_companion t_net_chksum \
	t_net_heap
# These run the daemon against the mock providers: their table replaces
# providers/registry.c (providers/mock/mock.mk).
MOCK_TESTS := t_lifecycle t_races t_volumes
UNIT_TESTS += $(MOCK_TESTS)
UNIT_BINS := $(patsubst %,$(OUT)/tests/%,$(UNIT_TESTS))
LINT_SRCS += $(wildcard tests/unit/*.c tests/unit/*.h tests/runtime/*.c tests/monitor/*.c)

# The helpers the suites and benchmarks run (tests/lib/harness.sh finds them
# in $(OUT)/tests/): cbuild drives a compiler plugin as the daemon would,
# provrun a provider, benchrun times monitor runs, bootword encodes a word
# for a guest's command line (abi/boot.h).
TEST_TOOLS := $(OUT)/tests/cbuild $(OUT)/tests/provrun $(OUT)/tests/benchrun \
	$(OUT)/tests/bootword $(OUT)/tests/sigv4sign $(OUT)/tests/ebsupload
DAEMON_PARTS := $(filter-out $(OUT)/obj/daemon/main.o,$(UNIKD_OBJS)) $(OUT)/libunik.a

.PHONY: unit-bins test-tools
unit-bins: $(UNIT_BINS) test-tools
test-tools: $(TEST_TOOLS) $(OUT)/tools/loadgen

$(OUT)/tests/cbuild: $(OUT)/obj/tests/runtime/cbuild.o $(DAEMON_PARTS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIKD_LIBS)

$(OUT)/tests/provrun: $(OUT)/obj/tests/monitor/provrun.o $(DAEMON_PARTS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIKD_LIBS)

# sigv4sign: providers/aws/sigv4.c from the command line (tests/e2e/t0016).
$(OUT)/tests/sigv4sign: $(OUT)/obj/tests/tools/sigv4sign.o $(DAEMON_PARTS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIKD_LIBS)

# ebsupload: providers/aws/ebs.h's ebs_upload() from the command line
# (tests/e2e/t0021, scripts/bench-ebs).
$(OUT)/tests/ebsupload: $(OUT)/obj/tests/tools/ebsupload.o $(DAEMON_PARTS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIKD_LIBS)

$(OUT)/tests/bootword: $(OUT)/obj/tests/tools/bootword.o
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

$(OUT)/tests/benchrun: $(OUT)/obj/tests/monitor/benchrun.o
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

$(OUT)/tests/%: $(OUT)/obj/tests/unit/%.o $(DAEMON_PARTS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIKD_LIBS)

$(patsubst %,$(OUT)/tests/%,$(MOCK_TESTS)): $(OUT)/tests/%: $(OUT)/obj/tests/unit/%.o \
		$(filter-out $(OUT)/obj/daemon/main.o $(OUT)/obj/providers/registry.o,$(UNIKD_OBJS)) \
		$(call obj,$(MOCK_SRCS)) $(OUT)/libunik.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIKD_LIBS)

# libcurl's CURLOPT_AWS_SIGV4 against the SigV4 vectors (docs/providers/aws.md).
UNIT_TESTS += t_curl_sigv4
$(OUT)/tests/t_curl_sigv4: $(OUT)/obj/tests/unit/t_curl_sigv4.o $(DAEMON_PARTS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIKD_LIBS) -lcurl

# unik-hvt's checks of struct hvt_prepare (the monitor without its main(),
# built as the tests are: no KVM is used).
$(OUT)/tests/t_hvt_prepare: $(OUT)/obj/tests/unit/t_hvt_prepare.o \
		$(call obj,$(filter-out monitor/hvt_main.c,$(HVT_SRCS)))
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

# The CLI's HTTP/1.1 answer reader (cmd/http_resp.c).
$(OUT)/tests/t_http_resp: $(OUT)/obj/tests/unit/t_http_resp.o $(call obj,cmd/http_resp.c) \
		$(DAEMON_PARTS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIKD_LIBS)

# The compose file's YAML tree and model (cmd/compose_*.c), with libyaml.
$(OUT)/tests/t_compose: $(OUT)/obj/tests/unit/t_compose.o \
		$(call obj,cmd/compose_model.c cmd/compose_yaml.c cmd/envfile.c cmd/humanize.c) $(DAEMON_PARTS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIKD_LIBS) -lyaml
