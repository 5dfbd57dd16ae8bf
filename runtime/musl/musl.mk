# musl.mk - the C library the `c` compiler links programs with (included
# from runtime/runtime.mk).  Debian's `musl` source package is unpacked into
# build/musl-src by scripts/fetch-debian-source (never committed), patched
# with runtime/musl/direct-syscalls.patch so that its system calls are calls
# into the runtime, and installed into build/guest/musl/ (lib/libc.a, crt
# files, include/, bin/musl-gcc) by runtime/musl/build-musl.  See
# runtime/musl/README.md.

MUSL_SRC := build/musl-src
MUSL_PREFIX := build/guest/musl
MUSL_STAMP := $(MUSL_PREFIX)/.unik-version

$(MUSL_SRC)/.unik-version:
	scripts/fetch-debian-source musl $(MUSL_SRC) src/env/__libc_start_main.c

$(MUSL_STAMP): runtime/musl/direct-syscalls.patch runtime/musl/build-musl \
		| $(MUSL_SRC)/.unik-version
	runtime/musl/build-musl $(MUSL_SRC) $(MUSL_PREFIX)

GUEST_TARGETS += $(MUSL_STAMP)

.PHONY: musl
musl: $(MUSL_STAMP)
