/* accel.h - KVM or TCG, for the providers that run QEMU (qemu, libvirt). */
#ifndef UNIK_PROVIDERS_ACCEL_H
#define UNIK_PROVIDERS_ACCEL_H

#include <stddef.h>

#include "../../lib/error.h"
#include "../provider.h"

/* 1 if KVM can run guests here (hardware virtualization in /proc/cpuinfo,
 * /dev/kvm usable, not the software-nested kvm_pvm module); 0 with the
 * reason in `why`. */
int accel_kvm_usable(char *why, size_t len);

/* Resolves a run's accel `want` ("auto", "kvm" or "tcg"; NULL or "" is
 * auto) into "kvm" or "tcg"; `why` says how auto decided (may be empty).
 * -1 with err for an unknown name or kvm asked for where /dev/kvm cannot
 * be opened. */
int accel_choose(const char *want, const char **accel, char *why, size_t len, struct unik_err *err);

/* What a run asks for: spec->accel, else the value of config `key`
 * (a provider's accel_key), else "auto".  Borrowed. */
const char *accel_wanted(const struct unik_run_spec *spec, const char *key);

#endif
