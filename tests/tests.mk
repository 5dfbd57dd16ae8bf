# Unit tests: small C programs printing TAP, linked against everything the
# daemon has but its main().  Built in the current VARIANT (make test uses asan).
UNIT_TESTS := t_types t_lib t_store t_routes t_untar t_buildtree t_libvirt_xml t_sandbox
# These run the daemon against the mock providers: their table replaces
# providers/registry.c (providers/mock/mock.mk).
MOCK_TESTS := t_lifecycle t_races
UNIT_TESTS += $(MOCK_TESTS)
UNIT_BINS := $(patsubst %,$(OUT)/tests/%,$(UNIT_TESTS))
LINT_SRCS += $(wildcard tests/unit/*.c tests/unit/*.h)

.PHONY: unit-bins
unit-bins: $(UNIT_BINS)

$(OUT)/tests/%: $(OUT)/obj/tests/unit/%.o $(filter-out $(OUT)/obj/daemon/main.o,$(UNIKD_OBJS)) $(OUT)/libunik.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIKD_LIBS)

$(patsubst %,$(OUT)/tests/%,$(MOCK_TESTS)): $(OUT)/tests/%: $(OUT)/obj/tests/unit/%.o \
		$(filter-out $(OUT)/obj/daemon/main.o $(OUT)/obj/providers/registry.o,$(UNIKD_OBJS)) \
		$(call obj,$(MOCK_SRCS)) $(OUT)/libunik.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIKD_LIBS)
