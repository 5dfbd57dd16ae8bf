/* hvt.h - the "hvt" provider (bin/unik-hvt, one minimal KVM VM per instance). */
#ifndef UNIK_PROVIDER_HVT_H
#define UNIK_PROVIDER_HVT_H

#include "../provider.h"

extern const struct unik_provider unik_provider_hvt;

/* 0 when /dev/kvm opens and can create a VM here, else -1 with the reason
 * (hvt's probe). */
int hvt_kvm_usable(struct unik_err *err);

#endif
