/* spt.h - the "spt" provider (bin/unik-spt: the image as a sandboxed process). */
#ifndef UNIK_PROVIDER_SPT_H
#define UNIK_PROVIDER_SPT_H

#include "../provider.h"

extern const struct unik_provider unik_provider_spt;

#endif
