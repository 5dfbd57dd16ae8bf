/* dns.h - unikd's DNS responder (`unikd --dns ADDR:PORT`, docs/summon.md):
 * answers A queries for NAME.unik. of summoned instances with the address
 * their published port is on, and boots the instance on the query (as
 * Jitsu did); NXDOMAIN for any other name.  UDP only. */
#ifndef UNIKD_DNS_H
#define UNIKD_DNS_H

#include "../lib/error.h"

struct unikd;

/* Binds ADDR:PORT (an IPv4 address) and answers from a thread of its own. */
int dns_start(struct unikd *d, const char *addr_port, struct unik_err *err);
/* Stops it (no-op when not started). */
void dns_stop(void);

#endif
