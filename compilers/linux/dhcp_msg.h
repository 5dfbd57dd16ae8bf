/* dhcp_msg.h - DHCPv4 messages for the linux base's init (RFC 2131, 2132):
 * building DISCOVER and REQUEST inside their IPv4/UDP headers (or, for a
 * renewal over a UDP socket, alone), and reading OFFER, ACK and NAK out of
 * an IPv4 packet or a UDP payload, every length checked (the network is
 * hostile).  No I/O: the clients are dhcp_client.c (the first lease) and
 * dhcp_renew.c (keeping it).  Addresses are in network byte order. */
#ifndef UNIK_LINUX_DHCP_MSG_H
#define UNIK_LINUX_DHCP_MSG_H

#include <stddef.h>
#include <stdint.h>

enum { DHCP_DISCOVER = 1, DHCP_OFFER = 2, DHCP_REQUEST = 3, DHCP_ACK = 5, DHCP_NAK = 6 };

#define DHCP_DNS_MAX 3
#define DHCP_PACKET_MAX 576 /* what we send, and the size we ask replies to keep to */

struct dhcp_lease {
	uint32_t addr; /* yiaddr */
	uint32_t mask; /* option 1, or the address's class when absent */
	uint32_t router; /* option 3 (the first), 0 when absent */
	uint32_t server; /* option 54 */
	uint32_t dns[DHCP_DNS_MAX]; /* option 6 */
	int ndns;
	uint32_t lease_s; /* option 51, 0 when absent */
	uint32_t t1_s, t2_s; /* options 58 and 59 (renewal, rebinding), 0 when absent */
	uint16_t mtu; /* option 26, 0 when absent or out of 68..65535 */
};

/* The IPv4 packet (0.0.0.0:68 -> 255.255.255.255:67) of a DISCOVER, or of a
 * REQUEST for `want` from `server` (both 0 for a DISCOVER), into buf
 * (at least DHCP_PACKET_MAX bytes); its length. */
size_t dhcp_packet_build(uint8_t *buf, int type, uint32_t xid, const uint8_t mac[6], uint32_t want,
			 uint32_t server);

/* The BOOTP message alone (a UDP payload, at most DHCP_PACKET_MAX - 28
 * bytes) of a REQUEST renewing or rebinding the lease of `ciaddr` (RFC 2131
 * 4.3.2: ciaddr set, no requested address, no server identifier), or of what
 * dhcp_packet_build() sends when ciaddr is 0; its length. */
size_t dhcp_msg_build(uint8_t *m, int type, uint32_t xid, const uint8_t mac[6], uint32_t ciaddr,
		      uint32_t want, uint32_t server);

/* The message type of the reply in the IPv4 packet pkt[0..len) to our
 * transaction `xid` from `mac`, its lease in *l; -1 when it is not one (not
 * IPv4/UDP to port 68 from port 67, a fragment, a bad header checksum, a
 * length past the packet, not a BOOTREPLY of ours, no magic cookie, a
 * malformed option, no type, or an OFFER/ACK without a usable address or
 * server identifier). */
int dhcp_packet_parse(const uint8_t *pkt, size_t len, uint32_t xid, const uint8_t mac[6],
		      struct dhcp_lease *l);

/* The same for the BOOTP message m[0..len) alone (what a UDP socket on port
 * 68 reads). */
int dhcp_msg_parse(const uint8_t *m, size_t len, uint32_t xid, const uint8_t mac[6],
		   struct dhcp_lease *l);

/* The prefix length of a contiguous netmask, -1 for another value. */
int dhcp_mask_prefix(uint32_t mask);

/* dhcp_client.c: a lease for the interface `ifindex` (up, no address yet)
 * whose MAC address is `mac`, within budget_ms; 0, or -1 when none came
 * (errors through `log`). */
int dhcp_client_lease(int ifindex, const uint8_t mac[6], int budget_ms, struct dhcp_lease *out,
		      void (*log)(const char *fmt, ...));

#endif
