/* dhcp_renew.h - keeping a DHCP lease: RENEWING at T1, REBINDING at T2,
 * lost at its end or on a NAK (dhcp_renew.c).  Times are CLOCK_MONOTONIC
 * milliseconds; addresses in network byte order. */
#ifndef UNIK_LINUX_DHCP_RENEW_H
#define UNIK_LINUX_DHCP_RENEW_H

#include <stdint.h>

#include "dhcp_msg.h"

enum { DHCP_KEPT = 0, DHCP_LOST = 1 };

struct dhcp_renew {
	int sock; /* UDP, port 68, bound to the interface; -1: nothing to renew */
	uint8_t mac[6];
	uint32_t addr, server; /* the lease's address and the server that gave it */
	int64_t t1, t2, end; /* RENEWING from t1, REBINDING from t2, lost at end */
	int64_t next; /* the next REQUEST */
	int64_t sent_ms; /* when this renewal's first REQUEST went */
	uint32_t xid; /* this renewal's transaction */
	int sent; /* REQUESTs of this renewal so far */
	int rebinding; /* the last of them was broadcast (REBINDING) */
	int renewals; /* ACKed so far */
};

/* T1, T2 and the end of lease `l` begun at start_ms: options 58 and 59 when
 * they hold 0 < T1 < T2 < lease, else half and 7/8 of the lease. */
void dhcp_renew_times(const struct dhcp_lease *l, int64_t start_ms, int64_t *t1, int64_t *t2,
		      int64_t *end);

/* When a REQUEST sent at `now` is sent again: after half the time left to
 * `limit` (T2, or the lease's end), at least 60 s, never after limit. */
int64_t dhcp_resend_at(int64_t now, int64_t limit);

/* Starts keeping lease `l` of interface `ifname` (whose MAC is `mac`),
 * begun at start_ms; 0 (r->sock -1 when it needs no renewal), or -1 when
 * no socket could be made (logged). */
int dhcp_renew_open(struct dhcp_renew *r, const char *ifname, const uint8_t mac[6],
		    const struct dhcp_lease *l, int64_t start_ms,
		    void (*log)(const char *fmt, ...));
void dhcp_renew_close(struct dhcp_renew *r);

/* Milliseconds until dhcp_renew_step() has something to send; -1: never. */
int64_t dhcp_renew_wait_ms(const struct dhcp_renew *r, int64_t now);

/* Reads the replies waiting on r->sock and sends the REQUEST that is due:
 * DHCP_KEPT, or DHCP_LOST (a NAK, or the lease ended). */
int dhcp_renew_step(struct dhcp_renew *r, int64_t now, void (*log)(const char *fmt, ...));

#endif
