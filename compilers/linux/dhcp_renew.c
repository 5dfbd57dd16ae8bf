/* dhcp_renew.c - the linux base's init keeps eth0's DHCP lease while the
 * program runs (RFC 2131 4.4.5).  At T1 (option 58, else half the lease)
 * a REQUEST with ciaddr set goes to the server that leased the address
 * (RENEWING), at T2 (option 59, else 7/8 of it) to every server
 * (REBINDING, broadcast); each is sent again after half the time left to
 * T2 (to the lease's end), at least 60 s later.  An ACK for the address
 * starts the lease over from the time its REQUEST was sent; a NAK or the
 * lease's end loses it (the caller removes the address and asks anew).
 * Over a UDP socket on port 68 bound to the interface: the interface has
 * its address now, so the kernel routes the unicast and answers ARP, and a
 * server answers a client with a ciaddr at that address (RFC 2131 4.1).
 * A lease without a time (option 51 absent) or an infinite one is not
 * renewed. */
#include "dhcp_renew.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RESEND_MIN_MS 60000
#define PORT_SERVER 67
#define PORT_CLIENT 68

void dhcp_renew_times(const struct dhcp_lease *l, int64_t start_ms, int64_t *t1, int64_t *t2,
		      int64_t *end)
{
	int64_t lease = (int64_t)l->lease_s * 1000;
	int64_t a = (int64_t)l->t1_s * 1000, b = (int64_t)l->t2_s * 1000;

	if (!(b > 0 && b < lease))
		b = lease / 8 * 7;
	if (!(a > 0 && a < b))
		a = lease / 2 < b ? lease / 2 : b / 2;
	*t1 = start_ms + a;
	*t2 = start_ms + b;
	*end = start_ms + lease;
}

int64_t dhcp_resend_at(int64_t now, int64_t limit)
{
	int64_t wait = (limit - now) / 2;

	if (wait < RESEND_MIN_MS)
		wait = RESEND_MIN_MS;
	return now + wait < limit ? now + wait : limit;
}

static uint32_t new_xid(uint32_t prev)
{
	uint32_t x = 0;

	if (syscall(SYS_getrandom, &x, sizeof(x), 1 /* GRND_NONBLOCK */) != (long)sizeof(x))
		x = prev * 1103515245u + 12345u;
	return x;
}

static void schedule(struct dhcp_renew *r, const struct dhcp_lease *l, int64_t start_ms)
{
	r->addr = l->addr;
	r->server = l->server;
	dhcp_renew_times(l, start_ms, &r->t1, &r->t2, &r->end);
	r->next = r->t1;
}

int dhcp_renew_open(struct dhcp_renew *r, const char *ifname, const uint8_t mac[6],
		    const struct dhcp_lease *l, int64_t start_ms, void (*log)(const char *fmt, ...))
{
	struct sockaddr_in me;
	int one = 1;

	memset(r, 0, sizeof(*r));
	r->sock = -1;
	memcpy(r->mac, mac, 6);
	if (l->lease_s == 0 || l->lease_s == 0xffffffffu)
		return 0; /* nothing to renew */
	r->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_port = htons(PORT_CLIENT);
	if (r->sock < 0 ||
	    setsockopt(r->sock, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) ||
	    setsockopt(r->sock, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
	    setsockopt(r->sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(r->sock, (struct sockaddr *)&me, sizeof(me))) {
		log("dhcp: no socket to renew the lease on: %s", strerror(errno));
		dhcp_renew_close(r);
		return -1;
	}
	r->xid = new_xid((uint32_t)start_ms);
	schedule(r, l, start_ms);
	return 0;
}

void dhcp_renew_close(struct dhcp_renew *r)
{
	if (r->sock >= 0)
		close(r->sock);
	r->sock = -1;
}

int64_t dhcp_renew_wait_ms(const struct dhcp_renew *r, int64_t now)
{
	if (r->sock < 0)
		return -1;
	return r->next > now ? r->next - now : 0;
}

static void send_request(struct dhcp_renew *r, int64_t now, void (*log)(const char *fmt, ...))
{
	uint8_t m[DHCP_PACKET_MAX];
	struct sockaddr_in to;
	int rebinding = now >= r->t2;
	size_t len;

	if (r->sent == 0) /* a new transaction for each renewal, kept by its resends */
		r->xid = new_xid(r->xid);
	len = dhcp_msg_build(m, DHCP_REQUEST, r->xid, r->mac, r->addr, 0, 0);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(PORT_SERVER);
	to.sin_addr.s_addr = rebinding ? htonl(INADDR_BROADCAST) : r->server;
	if (sendto(r->sock, m, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len)
		log("dhcp: cannot send the %s REQUEST: %s", rebinding ? "rebinding" : "renewing",
		    strerror(errno));
	if (r->sent == 0)
		r->sent_ms = now;
	r->sent++;
	r->rebinding = rebinding;
	r->next = dhcp_resend_at(now, rebinding ? r->end : r->t2); /* at T2: rebinding */
}

int dhcp_renew_step(struct dhcp_renew *r, int64_t now, void (*log)(const char *fmt, ...))
{
	uint8_t buf[2048];
	ssize_t n;

	if (r->sock < 0)
		return DHCP_KEPT;
	while ((n = recv(r->sock, buf, sizeof(buf), MSG_TRUNC)) >= 0) {
		struct dhcp_lease l;
		char a[16];
		int type;

		if (r->sent == 0 || (size_t)n > sizeof(buf))
			continue; /* nothing asked, or a truncated datagram */
		type = dhcp_msg_parse(buf, (size_t)n, r->xid, r->mac, &l);
		if (type == DHCP_NAK) {
			log("dhcp: the server refused to renew the lease");
			return DHCP_LOST;
		}
		if (type != DHCP_ACK || l.addr != r->addr)
			continue;
		r->renewals++;
		if (l.lease_s == 0xffffffffu) {
			log("dhcp: lease renewed for good (renewal %d)", r->renewals);
			dhcp_renew_close(r);
			return DHCP_KEPT;
		}
		if (l.lease_s == 0)
			l.lease_s = (uint32_t)((r->end - r->sent_ms) / 1000); /* the same again */
		schedule(r, &l, r->sent_ms);
		r->sent = 0;
		inet_ntop(AF_INET, &l.server, a, sizeof(a));
		log("dhcp: lease renewed by %s for %u s (renewal %d, %s)", a, l.lease_s,
		    r->renewals, r->rebinding ? "rebinding" : "renewing");
		r->rebinding = 0;
	}
	if (now >= r->end) {
		log("dhcp: the lease ended without a renewal");
		return DHCP_LOST;
	}
	if (now >= r->next)
		send_request(r, now, log);
	return DHCP_KEPT;
}
