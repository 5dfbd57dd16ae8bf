/* stdio.h - lwIP includes it but uses nothing from it in the runtime's
 * configuration (printing goes through LWIP_PLATFORM_DIAG); kept empty on purpose. */
#ifndef UNIK_NET_STDIO_H
#define UNIK_NET_STDIO_H

#include <stddef.h>

#endif
