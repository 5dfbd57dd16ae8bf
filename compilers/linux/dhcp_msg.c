/* dhcp_msg.c - DHCPv4 messages in their IPv4/UDP packets (dhcp_msg.h). */
#include "dhcp_msg.h"

#include <arpa/inet.h>
#include <string.h>

#define IP_HDR 20
#define UDP_HDR 8
#define BOOTP_FIXED 236 /* op .. file */
#define OPTS_AT (BOOTP_FIXED + 4) /* after the magic cookie */
#define PORT_SERVER 67
#define PORT_CLIENT 68

static const uint8_t cookie[4] = { 99, 130, 83, 99 };

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A network-order address from 4 bytes on the wire. */
static uint32_t get_addr(const uint8_t *p)
{
	uint32_t a;

	memcpy(&a, p, 4);
	return a;
}

/* The ones' complement sum of p[0..len), folded, plus `sum`. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint8_t *opt(uint8_t *p, uint8_t code, const void *val, uint8_t len)
{
	p[0] = code;
	p[1] = len;
	memcpy(p + 2, val, len);
	return p + 2 + len;
}

size_t dhcp_msg_build(uint8_t *m, int type, uint32_t xid, const uint8_t mac[6], uint32_t ciaddr,
		      uint32_t want, uint32_t server)
{
	/* mask, router, DNS, MTU, lease time, server identifier, T1, T2 */
	static const uint8_t params[] = { 1, 3, 6, 26, 51, 54, 58, 59 };
	uint8_t t = (uint8_t)type, maxsz[2], *p;
	size_t mlen;

	memset(m, 0, DHCP_PACKET_MAX - IP_HDR - UDP_HDR);
	m[0] = 1; /* BOOTREQUEST */
	m[1] = 1; /* Ethernet */
	m[2] = 6;
	memcpy(m + 4, &(uint32_t){ htonl(xid) }, 4);
	memcpy(m + 12, &ciaddr, 4);
	memcpy(m + 28, mac, 6);
	memcpy(m + BOOTP_FIXED, cookie, 4);
	p = opt(m + OPTS_AT, 53, &t, 1);
	put16(maxsz, DHCP_PACKET_MAX);
	p = opt(p, 57, maxsz, 2);
	p = opt(p, 55, params, sizeof(params));
	if (want)
		p = opt(p, 50, &want, 4);
	if (server)
		p = opt(p, 54, &server, 4);
	*p++ = 255;
	mlen = (size_t)(p - m);
	return mlen < 300 ? 300 : mlen; /* BOOTP's minimum; some relays drop shorter */
}

size_t dhcp_packet_build(uint8_t *buf, int type, uint32_t xid, const uint8_t mac[6], uint32_t want,
			 uint32_t server)
{
	uint8_t *ip = buf, *udp = buf + IP_HDR;
	size_t ulen;
	uint32_t sum;

	memset(buf, 0, IP_HDR + UDP_HDR);
	ulen = UDP_HDR + dhcp_msg_build(udp + UDP_HDR, type, xid, mac, 0, want, server);

	ip[0] = 0x45;
	put16(ip + 2, (uint32_t)(IP_HDR + ulen));
	ip[8] = 64;
	ip[9] = 17; /* UDP */
	memset(ip + 16, 0xff, 4); /* to 255.255.255.255, from 0.0.0.0 */
	put16(ip + 10, ~csum_add(0, ip, IP_HDR) & 0xffff);

	put16(udp, PORT_CLIENT);
	put16(udp + 2, PORT_SERVER);
	put16(udp + 4, (uint32_t)ulen);
	sum = csum_add(0, ip + 12, 8); /* pseudo-header: addresses, protocol, length */
	sum = csum_add(sum + 17 + (uint32_t)ulen, udp, ulen);
	put16(udp + 6, (~sum & 0xffff) ? (~sum & 0xffff) : 0xffff);
	return IP_HDR + ulen;
}

int dhcp_mask_prefix(uint32_t mask)
{
	uint32_t h = ntohl(mask);
	int n = 0;

	while (n < 32 && (h & (0x80000000u >> n)))
		n++;
	return (n == 32 || (h << n) == 0) ? n : -1;
}

/* An address a host may take: not 0/8, loopback, multicast or above. */
static int host_addr(uint32_t a)
{
	uint32_t h = ntohl(a);

	return (h >> 24) != 0 && (h >> 24) != 127 && h < 0xe0000000u;
}

static uint32_t class_mask(uint32_t a)
{
	uint32_t h = ntohl(a);

	return htonl(h < 0x80000000u ? 0xff000000u : h < 0xc0000000u ? 0xffff0000u : 0xffffff00u);
}

/* The options o[0..len) into *l; the message type, or -1 when malformed. */
static int options_parse(const uint8_t *o, size_t len, struct dhcp_lease *l)
{
	int type = -1;
	size_t i = 0;

	while (i < len) {
		uint8_t code = o[i], n;
		const uint8_t *v;

		if (code == 0) {
			i++;
			continue;
		}
		if (code == 255)
			return type;
		if (i + 2 > len || i + 2 + o[i + 1] > len)
			return -1;
		n = o[i + 1];
		v = o + i + 2;
		switch (code) {
		case 53:
			if (n != 1)
				return -1;
			type = v[0];
			break;
		case 1:
			if (n != 4 || dhcp_mask_prefix(get_addr(v)) < 0)
				return -1;
			l->mask = get_addr(v);
			break;
		case 3:
			if (n < 4 || n % 4)
				return -1;
			l->router = get_addr(v);
			break;
		case 6:
			if (n < 4 || n % 4)
				return -1;
			l->ndns = 0;
			for (int k = 0; k < n / 4 && k < DHCP_DNS_MAX; k++)
				l->dns[l->ndns++] = get_addr(v + 4 * k);
			break;
		case 26:
			if (n != 2)
				return -1;
			l->mtu = get16(v) >= 68 ? (uint16_t)get16(v) : 0;
			break;
		case 51:
			if (n != 4)
				return -1;
			l->lease_s = get32(v);
			break;
		case 54:
			if (n != 4)
				return -1;
			l->server = get_addr(v);
			break;
		case 58:
		case 59:
			if (n != 4)
				return -1;
			*(code == 58 ? &l->t1_s : &l->t2_s) = get32(v);
			break;
		default: break; /* others, option overload (52) included, are not read */
		}
		i += 2u + n;
	}
	return -1; /* no end option */
}

/* The UDP payload to port 68 from port 67 in the IPv4 packet; NULL if not. */
static const uint8_t *udp_payload(const uint8_t *pkt, size_t len, size_t *plen)
{
	size_t ihl, total, ulen;

	if (len < IP_HDR || (pkt[0] >> 4) != 4)
		return NULL;
	ihl = (size_t)(pkt[0] & 15) * 4;
	total = get16(pkt + 2);
	if (ihl < IP_HDR || total < ihl + UDP_HDR || total > len || pkt[9] != 17 ||
	    (get16(pkt + 6) & 0x3fff) != 0 || csum_add(0, pkt, ihl) != 0xffff)
		return NULL;
	pkt += ihl;
	ulen = get16(pkt + 4);
	if (get16(pkt) != PORT_SERVER || get16(pkt + 2) != PORT_CLIENT || ulen < UDP_HDR ||
	    ulen > total - ihl)
		return NULL;
	*plen = ulen - UDP_HDR;
	return pkt + UDP_HDR;
}

int dhcp_msg_parse(const uint8_t *m, size_t mlen, uint32_t xid, const uint8_t mac[6],
		   struct dhcp_lease *l)
{
	int type;

	memset(l, 0, sizeof(*l));
	if (!m || mlen < OPTS_AT || m[0] != 2 || m[1] != 1 || m[2] != 6 || get32(m + 4) != xid ||
	    memcmp(m + 28, mac, 6) || memcmp(m + BOOTP_FIXED, cookie, 4))
		return -1;
	type = options_parse(m + OPTS_AT, mlen - OPTS_AT, l);
	if (type == DHCP_NAK)
		return type;
	if (type != DHCP_OFFER && type != DHCP_ACK)
		return -1;
	l->addr = get_addr(m + 16);
	if (!host_addr(l->addr) || !l->server)
		return -1;
	if (!l->mask)
		l->mask = class_mask(l->addr);
	if (dhcp_mask_prefix(l->mask) <= 30 && (l->addr & ~l->mask) == ~l->mask)
		return -1; /* the subnet's broadcast address is no host's */
	if (l->router && !host_addr(l->router))
		l->router = 0;
	return type;
}

int dhcp_packet_parse(const uint8_t *pkt, size_t len, uint32_t xid, const uint8_t mac[6],
		      struct dhcp_lease *l)
{
	size_t mlen = 0;
	const uint8_t *m = udp_payload(pkt, len, &mlen);

	return dhcp_msg_parse(m, mlen, xid, mac, l);
}
