/* portfwd.h - a published port: a listener on the host that relays each
 * TCP connection to the guest's address (the daemon is on the bridge).
 * One accept thread per port; one relay thread per connection. */
#ifndef UNIKD_PORTFWD_H
#define UNIKD_PORTFWD_H

#include "../lib/error.h"
#include "../lib/portspec.h"

struct portfwd;

/* Binds the host side now (CONFLICT if the port is taken) and relays to
 * guest_ip:p->guest_port from then on. */
int portfwd_open(const struct portspec *p, const char *guest_ip, struct portfwd **out,
		 struct unik_err *err);
/* Closes the listener and every relayed connection; frees it.  NULL is fine. */
void portfwd_close(struct portfwd *fw);
/* Checks that the host side could be bound now (then releases it). */
int portfwd_probe(const struct portspec *p, struct unik_err *err);

#endif
