/* stdlib.h - lwIP includes it but uses nothing from it in the runtime's
 * configuration (no libc malloc, no atoi); kept empty on purpose. */
#ifndef UNIK_NET_STDLIB_H
#define UNIK_NET_STDLIB_H

#include <stddef.h>

#endif
