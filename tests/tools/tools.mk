# tests/tools/ - small programs the tests and benchmarks use.
#   loadgen: the epoll HTTP/1.1 load client of scripts/bench-api (no deps)
#   tcg_icount.c: a QEMU TCG plugin (guest instructions executed), built by
#   scripts/bench-compat itself (BENCH_COMPAT_ICOUNT=1)
LOADGEN := $(OUT)/tools/loadgen
LINT_SRCS += $(wildcard tests/tools/*.c)

$(LOADGEN): $(OUT)/obj/tests/tools/loadgen.o
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

.PHONY: loadgen
loadgen: $(LOADGEN)
