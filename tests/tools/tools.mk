# tests/tools/ - small programs the tests and benchmarks use.
#   loadgen: the epoll HTTP/1.1 load client of scripts/bench-api (no deps)
LOADGEN := $(OUT)/tools/loadgen
LINT_SRCS += $(wildcard tests/tools/*.c)

$(LOADGEN): $(OUT)/obj/tests/tools/loadgen.o
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

.PHONY: loadgen
loadgen: $(LOADGEN)
