/* dhcp_client.c - the linux base's init asks DHCP for eth0's address
 * (unik.net=dhcp): DISCOVER, the first OFFER, REQUEST, ACK (a NAK or
 * silence starts over), over a packet socket on the interface, since the
 * interface has no address yet.  Each send waits 1, 2, 4, 4, ... seconds
 * for its reply, within the caller's budget; a DISCOVER sent again keeps
 * its transaction id, so a late OFFER (dnsmasq pings the address before
 * it offers it) still counts. */
#include "dhcp_msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/if_ether.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t new_xid(const uint8_t mac[6])
{
	uint32_t x = 0;

	if (syscall(SYS_getrandom, &x, sizeof(x), 1 /* GRND_NONBLOCK */) != (long)sizeof(x)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = (uint32_t)ts.tv_nsec ^ (uint32_t)mac[2] << 24 ^ (uint32_t)mac[3] << 16 ^
		    (uint32_t)mac[4] << 8 ^ mac[5];
	}
	return x;
}

static int send_packet(int sock, int ifindex, const uint8_t *pkt, size_t len)
{
	struct sockaddr_ll to;

	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_IP);
	to.sll_ifindex = ifindex;
	to.sll_halen = 6;
	memset(to.sll_addr, 0xff, 6);
	return sendto(sock, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len ? 0
											     : -1;
}

/* Waits until `until` (ms) for a reply of one of the types `want_a`,
 * `want_b` to xid; its type, or 0 on the timeout, -1 on an error. */
static int wait_reply(int sock, uint32_t xid, const uint8_t mac[6], long until, int want_a,
		      int want_b, struct dhcp_lease *l)
{
	uint8_t buf[2048];

	for (;;) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		long left = until - now_ms();
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		ssize_t n;
		int type;

		if (left <= 0)
			return 0;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -1;
		if (!(pfd.revents & POLLIN))
			continue;
		n = recvfrom(sock, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&from, &flen);
		if (n < 0 || (size_t)n > sizeof(buf) || from.sll_pkttype == PACKET_OUTGOING)
			continue; /* an error, a truncated packet, or our own */
		type = dhcp_packet_parse(buf, (size_t)n, xid, mac, l);
		if (type > 0 && (type == want_a || type == want_b))
			return type;
	}
}

int dhcp_client_lease(int ifindex, const uint8_t mac[6], int budget_ms, struct dhcp_lease *out,
		      void (*log)(const char *fmt, ...))
{
	long deadline = now_ms() + budget_ms;
	int sock = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	struct sockaddr_ll me;
	uint8_t pkt[DHCP_PACKET_MAX];
	int wait_s = 1, rc = -1;
	uint32_t xid;

	if (sock < 0) {
		log("dhcp: no packet socket: %s", strerror(errno));
		return -1;
	}
	memset(&me, 0, sizeof(me));
	me.sll_family = AF_PACKET;
	me.sll_protocol = htons(ETH_P_IP);
	me.sll_ifindex = ifindex;
	if (bind(sock, (struct sockaddr *)&me, sizeof(me)) < 0) {
		log("dhcp: cannot bind to the interface: %s", strerror(errno));
		goto out;
	}
	xid = new_xid(mac);
	while (rc < 0 && now_ms() < deadline) {
		struct dhcp_lease offer, ack;
		long until = now_ms() + wait_s * 1000;
		int type;

		if (until > deadline)
			until = deadline;
		if (send_packet(sock, ifindex, pkt,
				dhcp_packet_build(pkt, DHCP_DISCOVER, xid, mac, 0, 0)))
			log("dhcp: cannot send DISCOVER: %s", strerror(errno));
		type = wait_reply(sock, xid, mac, until, DHCP_OFFER, DHCP_OFFER, &offer);
		if (wait_s < 4)
			wait_s *= 2;
		if (type < 0)
			break;
		if (type == 0)
			continue; /* DISCOVER again (the link may have been down) */
		for (int tries = 0; tries < 3 && rc < 0 && now_ms() < deadline; tries++) {
			until = now_ms() + 2000;
			if (until > deadline)
				until = deadline;
			if (send_packet(sock, ifindex, pkt,
					dhcp_packet_build(pkt, DHCP_REQUEST, xid, mac, offer.addr,
							  offer.server)))
				log("dhcp: cannot send REQUEST: %s", strerror(errno));
			type = wait_reply(sock, xid, mac, until, DHCP_ACK, DHCP_NAK, &ack);
			if (type < 0 || type == DHCP_NAK)
				break;
			if (type == DHCP_ACK && ack.addr == offer.addr) {
				*out = ack;
				rc = 0;
			}
		}
		if (type == DHCP_NAK)
			log("dhcp: the server refused the offer: asking again");
		if (rc < 0)
			xid = new_xid(mac); /* a new transaction after a REQUEST */
	}
out:
	close(sock);
	return rc;
}
