/* stdlib.h - what lwIP takes from <stdlib.h> in the runtime's configuration:
 * only a decimal parse in netif_find() (interface names like "en0"). */
#ifndef UNIK_NET_STDLIB_H
#define UNIK_NET_STDLIB_H

#include <stddef.h>

/* The leading decimal number of s (no sign, no overflow check), as lwIP
 * needs it for interface numbers; runtime/net/lwip_port.c. */
int lwip_port_atoi(const char *s);
#define atoi lwip_port_atoi

#endif
