/* fuzz_dhcp.c - the linux base init's DHCP reply parser
 * (compilers/linux/dhcp_msg.c): the input is what the network sends.
 * The first byte picks how the rest is read:
 *   bit 0: 0, an IPv4 packet from the packet socket (dhcp_packet_parse,
 *          the first lease); 1, a UDP payload from port 68's socket
 *          (dhcp_msg_parse, the renewals);
 *   bit 1: the packet's IPv4 header checksum is made right first, so the
 *          fuzzer gets past it to the UDP and BOOTP layers.
 * The transaction id and MAC looked for are the input's own (where a reply
 * holds them), so its options are reached.
 * Promises checked:
 *   - the result is -1, OFFER, ACK or NAK;
 *   - an OFFER or ACK has a host address (not 0/8, loopback, multicast or
 *     above) that is not its subnet's broadcast, a server identifier, a
 *     contiguous netmask, a router that is 0 or a host address, at most
 *     DHCP_DNS_MAX name servers, an MTU of 0 or 68 and more;
 *   - the same reply with another transaction id or MAC is refused;
 *   - read as a payload after its IPv4/UDP headers, a packet gives the
 *     same answer as the packet parser.
 */
#include <string.h>

#include "../../compilers/linux/dhcp_msg.h"
#include "fuzz.h"

#define IP_HDR 20
#define MSG_AT (IP_HDR + 8)

static uint32_t sum16(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static int host(uint32_t a)
{
	const uint8_t *b = (const uint8_t *)&a;

	return b[0] != 0 && b[0] != 127 && b[0] < 224;
}

static void check_lease(int type, const struct dhcp_lease *l)
{
	FUZZ_CHECK(type == -1 || type == DHCP_OFFER || type == DHCP_ACK || type == DHCP_NAK,
		   "a reply of type %d", type);
	if (type != DHCP_OFFER && type != DHCP_ACK)
		return;
	FUZZ_CHECK(host(l->addr), "an unusable address %08x", l->addr);
	FUZZ_CHECK(l->server != 0, "no server identifier");
	FUZZ_CHECK(dhcp_mask_prefix(l->mask) >= 0, "a netmask %08x", l->mask);
	FUZZ_CHECK(dhcp_mask_prefix(l->mask) > 30 || (l->addr & ~l->mask) != ~l->mask,
		   "the subnet's broadcast address");
	FUZZ_CHECK(l->router == 0 || host(l->router), "a router %08x", l->router);
	FUZZ_CHECK(l->ndns >= 0 && l->ndns <= DHCP_DNS_MAX, "%d name servers", l->ndns);
	FUZZ_CHECK(l->mtu == 0 || l->mtu >= 68, "an MTU of %u", l->mtu);
}

/* Reads xid and MAC from a BOOTP message at m[0..len) (0s when too short). */
static void ids(const uint8_t *m, size_t len, uint32_t *xid, uint8_t mac[6])
{
	*xid = 0;
	memset(mac, 0, 6);
	if (len >= 34) {
		*xid = (uint32_t)m[4] << 24 | (uint32_t)m[5] << 16 | (uint32_t)m[6] << 8 | m[7];
		memcpy(mac, m + 28, 6);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pkt[4096], mac[6];
	struct dhcp_lease l, again;
	size_t len;
	uint32_t xid, s;
	int type;

	if (size < 1 || size - 1 > sizeof(pkt))
		return 0;
	len = size - 1;
	memcpy(pkt, data + 1, len);
	if (data[0] & 1) {
		ids(pkt, len, &xid, mac);
		type = dhcp_msg_parse(pkt, len, xid, mac, &l);
		check_lease(type, &l);
		if (type > 0) {
			FUZZ_CHECK(dhcp_msg_parse(pkt, len, xid + 1, mac, &again) == -1,
				   "a reply to another transaction");
			mac[5] ^= 1;
			FUZZ_CHECK(dhcp_msg_parse(pkt, len, xid, mac, &again) == -1,
				   "a reply to another MAC");
		}
		return 0;
	}
	if ((data[0] & 2) && len >= IP_HDR) {
		pkt[10] = pkt[11] = 0;
		s = ~sum16(pkt, IP_HDR) & 0xffff;
		pkt[10] = (uint8_t)(s >> 8);
		pkt[11] = (uint8_t)s;
	}
	ids(len > MSG_AT ? pkt + MSG_AT : pkt, len > MSG_AT ? len - MSG_AT : 0, &xid, mac);
	type = dhcp_packet_parse(pkt, len, xid, mac, &l);
	check_lease(type, &l);
	if (type > 0) {
		FUZZ_CHECK(dhcp_packet_parse(pkt, len, xid ^ 0x80000000u, mac, &again) == -1,
			   "a reply to another transaction");
		/* a packet the parser took has plain 20-byte headers or more; a
		 * reply that starts right after 20 + 8 is the same as a payload */
		if ((pkt[0] & 15) == 5 && ((size_t)pkt[24] << 8 | pkt[25]) == len - IP_HDR) {
			type = dhcp_msg_parse(pkt + MSG_AT, len - MSG_AT, xid, mac, &again);
			FUZZ_CHECK(type > 0 && again.addr == l.addr && again.server == l.server &&
				       again.lease_s == l.lease_s,
				   "the payload alone reads otherwise");
		}
	}
	return 0;
}
