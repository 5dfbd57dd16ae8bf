# unik - one non-recursive Makefile.  Each part of the tree adds its sources
# in its own fragment (*/*.mk); this file owns the rules.
#
#   make            bin/unik, bin/unikd and the guest pieces (build/guest/)
#   make demo       install deps, build, and run examples/hello-c end to end
#   make test       unit + end-to-end tests (sanitizer build in build/asan/)
#   make lint       clang-format check, cppcheck, banned calls, OpenAPI lint
#   make bench      benchmarks (tables of medians and ratios)
#   make fuzz       libFuzzer targets, 10^6 runs each (fuzz-short: a short pass)

SHELL := /bin/bash
CC ?= cc
VARIANT ?= release
ifeq ($(VARIANT),asan)
  OUT := build/asan
  BIN := build/asan/bin
  SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
  OUT := build/release
  BIN := bin
  SAN :=
endif
GUEST := build/guest
DATADIR := $(abspath $(GUEST))
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)
GITREV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation
CFLAGS ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -I. -DUNIK_VERSION='"$(VERSION)"' -DUNIK_GITREV='"$(GITREV)"' \
	-DUNIK_DATADIR='"$(DATADIR)"'
ALL_CFLAGS = $(CFLAGS) $(WARN) $(SAN) -std=gnu11 -pthread -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SAN) -pthread

# Filled by the fragments.
LIB_SRCS :=
API_SRCS :=
UNIK_SRCS :=
UNIKD_SRCS :=
UNIKD_LIBS :=
UNIK_LIBS :=
GUEST_TARGETS :=
UNIT_TESTS :=
EXTRA_BINS :=
LINT_SRCS :=

-include lib/lib.mk
-include api/api.mk
-include compilers/compilers.mk
-include providers/providers.mk
-include daemon/daemon.mk
-include cmd/cmd.mk
-include runtime/runtime.mk
-include monitor/monitor.mk

obj = $(patsubst %.c,$(OUT)/obj/%.o,$(1))

LIB_OBJS := $(call obj,$(LIB_SRCS) $(API_SRCS))
UNIK_OBJS := $(call obj,$(UNIK_SRCS))
UNIKD_OBJS := $(call obj,$(UNIKD_SRCS))

# after the object lists: its rules name them
-include tests/tests.mk
-include oci/runtime/runtime.mk
-include tests/fuzz/fuzz.mk
-include tests/tools/tools.mk

.PHONY: all guest demo test unit e2e lint format bench clean deps compat install man
.DEFAULT_GOAL := all
all: $(BIN)/unik $(BIN)/unikd $(EXTRA_BINS) guest

# make install [PREFIX=/usr/local] [DESTDIR=]: the programs in PREFIX/bin, and the
# man pages made from their help text (scripts/gen-man) in PREFIX/share/man/man1.
# The guest runtime stays where it was built (UNIK_DATADIR).
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
man: $(BIN)/unik
	rm -rf $(OUT)/man
	scripts/gen-man $(BIN)/unik $(OUT)/man
install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BIN)/unik $(BIN)/unikd $(EXTRA_BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(OUT)/man/*.1 $(DESTDIR)$(MANDIR)/man1/

guest: $(GUEST_TARGETS)

# V=1 shows the commands
Q := $(if $(V),,@)

$(OUT)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The commit is compiled into three objects: they are rebuilt when HEAD moves
# (the stamp is rewritten only when its content changes).
$(OUT)/gitrev.stamp: FORCE
	@mkdir -p $(@D); [ "$$(cat $@ 2>/dev/null)" = "$(GITREV)" ] || echo "$(GITREV)" >$@
$(call obj,daemon/h_system.c daemon/main.c cmd/cmd_system.c): $(OUT)/gitrev.stamp
.PHONY: FORCE
FORCE:

$(OUT)/libunik.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/unik: $(UNIK_OBJS) $(OUT)/libunik.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIK_LIBS)

$(BIN)/unikd: $(UNIKD_OBJS) $(OUT)/libunik.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(UNIKD_LIBS)

deps:
	scripts/install-deps

demo: deps
	$(MAKE) all
	scripts/demo

test: deps
	$(MAKE) VARIANT=asan all unit-bins
	$(MAKE) guest
	tests/run-tests

# the whole compatibility corpus on spt, hvt and qemu (make test runs the
# fast programs); the distinct system calls of each in build/compat/syscalls
compat: deps
	$(MAKE) VARIANT=asan all unit-bins
	$(MAKE) guest
	COMPAT_ALL=1 COMPAT_SYSCALLS=build/compat/syscalls tests/compat/run-tests

lint:
	scripts/lint
	scripts/lint-openapi

format:
	clang-format -i $(LINT_SRCS)

bench: deps
	$(MAKE) all test-tools
	scripts/bench
	scripts/bench-runtime
	scripts/bench-boot
	scripts/bench-volumes
	scripts/bench-libvirt
	scripts/bench-api
	scripts/bench-create
	scripts/bench-first-line
	scripts/bench-density
	scripts/bench-compat
	scripts/bench-xen
	scripts/bench-oci-runtime
	scripts/bench-ebs
	scripts/bench-summon || [ $$? = 77 ]

clean:
	rm -rf build bin

-include $(shell find build \( -path build/compat -o -path build/xen \) -prune -o -name '*.d' -type f -print 2>/dev/null)
