/* t_linux_dhcp.c - the linux base init's DHCP messages
 * (compilers/linux/dhcp_msg.c, compiled here for the host): DISCOVER and
 * REQUEST as sent (headers, checksums, options), and replies read back:
 * OFFER/ACK/NAK, every field, then hostile ones (another transaction or
 * MAC, bad headers, lengths past the packet, malformed options, unusable
 * addresses), every truncation and random corruption (under ASan); the
 * renewal's REQUEST and its times (compilers/linux/dhcp_renew.c). */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../compilers/linux/dhcp_msg.c"
#include "../../compilers/linux/dhcp_renew.c"
#include "tap.h"

static const uint8_t MAC[6] = { 0x02, 0x00, 0x0a, 0x0b, 0x0c, 0x0d };
#define XID 0x12345678u

static uint32_t A(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* A reply from 10.0.0.1:67 to :68: BOOTREPLY for XID/MAC offering yiaddr,
 * with the options opts[0..n) after the cookie; its length. */
static size_t reply(uint8_t *pkt, const char *yiaddr, const uint8_t *opts, size_t n)
{
	uint8_t *udp = pkt + 20, *m = udp + 8;
	size_t ulen = 8 + 240 + n;
	uint32_t y = A(yiaddr), s = A("10.0.0.1");

	memset(pkt, 0, 20 + ulen);
	pkt[0] = 0x45;
	put16(pkt + 2, (uint32_t)(20 + ulen));
	pkt[8] = 64;
	pkt[9] = 17;
	memcpy(pkt + 12, &s, 4);
	memcpy(pkt + 16, &y, 4);
	put16(pkt + 10, ~csum_add(0, pkt, 20) & 0xffff);
	put16(udp, 67);
	put16(udp + 2, 68);
	put16(udp + 4, (uint32_t)ulen);
	m[0] = 2;
	m[1] = 1;
	m[2] = 6;
	m[4] = XID >> 24;
	m[5] = (XID >> 16) & 0xff;
	m[6] = (XID >> 8) & 0xff;
	m[7] = XID & 0xff;
	memcpy(m + 16, &y, 4);
	memcpy(m + 28, MAC, 6);
	memcpy(m + 236, cookie, 4);
	memcpy(m + 240, opts, n);
	return 20 + ulen;
}

static void fix_ip_csum(uint8_t *pkt)
{
	pkt[10] = pkt[11] = 0;
	put16(pkt + 10, ~csum_add(0, pkt, 20) & 0xffff);
}

/* The options of an EC2-like OFFER (type patched by the caller at [2]). */
static const uint8_t ec2[] = {
	53,  1, 2, /* OFFER */
	54,  4, 10,   0,    0,	  1, /* server */
	51,  4, 0,    0,    0x0e, 0x10, /* 3600 s */
	1,   4, 255,  255,  240,  0, /* /20 */
	3,   4, 10,   0,    0,	  1, /* router */
	6,   8, 10,   0,    0,	  2,	1, 1, 1, 1, /* two name servers */
	26,  2, 0x23, 0x29, /* MTU 9001 */
	0,   0, /* padding */
	255,
};

static int parse_opts(const uint8_t *opts, size_t n, const char *yiaddr, struct dhcp_lease *l)
{
	uint8_t pkt[1024];
	size_t len = reply(pkt, yiaddr, opts, n);

	return dhcp_packet_parse(pkt, len, XID, MAC, l);
}

static void test_build(void)
{
	uint8_t pkt[DHCP_PACKET_MAX];
	size_t len = dhcp_packet_build(pkt, DHCP_DISCOVER, XID, MAC, 0, 0);
	uint32_t sum;
	const uint8_t *o = pkt + 28 + 240;
	int saw50 = 0, saw54 = 0;

	ok(len >= 28 + 300 && len <= DHCP_PACKET_MAX, "DISCOVER: %zu bytes, BOOTP's minimum", len);
	is_int(get16(pkt + 2), len, "its IPv4 total length");
	is_int(csum_add(0, pkt, 20), 0xffff, "its IPv4 header checksum");
	sum = csum_add(0, pkt + 12, 8);
	sum = csum_add(sum + 17 + get16(pkt + 24), pkt + 20, get16(pkt + 24));
	is_int(sum, 0xffff, "its UDP checksum (with the pseudo-header)");
	ok(get16(pkt + 20) == 68 && get16(pkt + 22) == 67 &&
	       !memcmp(pkt + 16, "\xff\xff\xff\xff", 4),
	   "0.0.0.0:68 to 255.255.255.255:67");
	ok(pkt[28] == 1 && get32(pkt + 28 + 4) == XID && !memcmp(pkt + 28 + 28, MAC, 6),
	   "BOOTREQUEST with the xid and the MAC");
	ok(o[0] == 53 && o[1] == 1 && o[2] == DHCP_DISCOVER, "option 53 DISCOVER first");

	len = dhcp_packet_build(pkt, DHCP_REQUEST, XID, MAC, A("10.0.3.7"), A("10.0.0.1"));
	for (size_t i = 0; i + 2 <= len - 28 - 240 && o[i] != 255; i += 2u + o[i + 1]) {
		saw50 |= o[i] == 50 && o[i + 1] == 4 && get_addr(o + i + 2) == A("10.0.3.7");
		saw54 |= o[i] == 54 && o[i + 1] == 4 && get_addr(o + i + 2) == A("10.0.0.1");
	}
	ok(o[2] == DHCP_REQUEST && saw50 && saw54,
	   "REQUEST: type 3, the requested address (50), the server (54)");
	is_int(csum_add(0, pkt, 20), 0xffff, "its IPv4 header checksum");
}

static void test_good(void)
{
	uint8_t o[sizeof(ec2)];
	struct dhcp_lease l;

	is_int(parse_opts(ec2, sizeof(ec2), "10.0.3.7", &l), DHCP_OFFER, "an EC2-like OFFER");
	ok(l.addr == A("10.0.3.7") && l.mask == A("255.255.240.0") && l.router == A("10.0.0.1") &&
	       l.server == A("10.0.0.1"),
	   "address, netmask, router, server");
	ok(l.ndns == 2 && l.dns[0] == A("10.0.0.2") && l.dns[1] == A("1.1.1.1"),
	   "two name servers");
	is_int(l.mtu, 9001, "MTU (option 26)");
	is_int(l.lease_s, 3600, "lease time");
	memcpy(o, ec2, sizeof(o));
	o[2] = DHCP_ACK;
	is_int(parse_opts(o, sizeof(o), "10.0.3.7", &l), DHCP_ACK, "the same as an ACK");
	o[2] = DHCP_NAK;
	is_int(parse_opts(o, sizeof(o), "0.0.0.0", &l), DHCP_NAK, "a NAK (no address needed)");
	o[2] = DHCP_REQUEST;
	is_int(parse_opts(o, sizeof(o), "10.0.3.7", &l), -1, "a REQUEST type is no reply");
	is_int(dhcp_mask_prefix(A("255.255.240.0")), 20, "prefix of /20");
	is_int(dhcp_mask_prefix(A("255.255.255.255")), 32, "prefix of /32");
	is_int(dhcp_mask_prefix(A("255.0.255.0")), -1, "a non-contiguous mask");
}

static void test_defaults(void)
{
	static const uint8_t minimal[] = { 53, 1, 2, 54, 4, 192, 168, 1, 1, 255 };
	static const uint8_t odd[] = { 53, 1, 5, 54, 4, 10, 0,	0, 1, 26, 2, 0, 40, 3,
				       4,  0, 0, 0,  0, 6,  20, 1, 1, 1,  1, 2, 2,  2,
				       2,  3, 3, 3,  3, 4,  4,	4, 4, 5,  5, 5, 5,  255 };
	struct dhcp_lease l;

	is_int(parse_opts(minimal, sizeof(minimal), "192.168.1.9", &l), DHCP_OFFER,
	       "type and server only");
	ok(l.mask == A("255.255.255.0") && !l.router && !l.ndns && !l.mtu && !l.lease_s,
	   "the class's netmask, nothing else");
	is_int(parse_opts(minimal, sizeof(minimal), "10.1.2.3", &l), DHCP_OFFER, "class A");
	ok(l.mask == A("255.0.0.0"), "its netmask /8");
	is_int(parse_opts(odd, sizeof(odd), "10.0.3.7", &l), DHCP_ACK, "odd values");
	ok(l.mtu == 0 && l.router == 0 && l.ndns == DHCP_DNS_MAX && l.dns[2] == A("3.3.3.3"),
	   "MTU 40 ignored, router 0.0.0.0 ignored, 3 of 5 name servers");
}

static void test_hostile(void)
{
	static const uint8_t no_server[] = { 53, 1, 2, 1, 4, 255, 255, 255, 0, 255 };
	static const uint8_t no_type[] = { 54, 4, 10, 0, 0, 1, 255 };
	static const uint8_t no_end[] = { 53, 1, 2, 54, 4, 10, 0, 0, 1 };
	static const uint8_t past_end[] = { 53, 1, 2, 54, 4, 10, 0, 0, 1, 6, 200, 1, 1, 1, 1, 255 };
	static const uint8_t type_len[] = { 53, 2, 2, 2, 54, 4, 10, 0, 0, 1, 255 };
	static const uint8_t bad_mask[] = {
		53, 1, 2, 54, 4, 10, 0, 0, 1, 1, 4, 255, 0, 255, 0, 255
	};
	static const uint8_t dns_odd[] = { 53, 1, 2, 54, 4, 10, 0, 0, 1, 6, 5, 1, 1, 1, 1, 1, 255 };
	static const uint8_t mtu_len[] = { 53, 1, 2, 54, 4, 10, 0, 0, 1, 26, 4, 0, 0, 5, 220, 255 };
	static const uint8_t len_only[] = { 53, 1, 2, 54, 4, 10, 0, 0, 1, 3 };
	uint8_t pkt[1024], mac2[6];
	struct dhcp_lease l;
	size_t len;

	is_int(parse_opts(no_server, sizeof(no_server), "10.0.3.7", &l), -1, "no server id");
	is_int(parse_opts(no_type, sizeof(no_type), "10.0.3.7", &l), -1, "no message type");
	is_int(parse_opts(no_end, sizeof(no_end), "10.0.3.7", &l), -1, "no end option");
	is_int(parse_opts(past_end, sizeof(past_end), "10.0.3.7", &l), -1, "option past the end");
	is_int(parse_opts(len_only, sizeof(len_only), "10.0.3.7", &l), -1, "a code with no length");
	is_int(parse_opts(type_len, sizeof(type_len), "10.0.3.7", &l), -1, "type of 2 bytes");
	is_int(parse_opts(bad_mask, sizeof(bad_mask), "10.0.3.7", &l), -1, "a non-contiguous mask");
	is_int(parse_opts(dns_odd, sizeof(dns_odd), "10.0.3.7", &l), -1, "DNS of 5 bytes");
	is_int(parse_opts(mtu_len, sizeof(mtu_len), "10.0.3.7", &l), -1, "MTU of 4 bytes");
	is_int(parse_opts(ec2, sizeof(ec2), "0.0.0.0", &l), -1, "an OFFER of 0.0.0.0");
	is_int(parse_opts(ec2, sizeof(ec2), "127.0.0.5", &l), -1, "an OFFER of loopback");
	is_int(parse_opts(ec2, sizeof(ec2), "224.0.0.1", &l), -1, "an OFFER of multicast");
	is_int(parse_opts(ec2, sizeof(ec2), "10.0.15.255", &l), -1, "the subnet's broadcast");

	len = reply(pkt, "10.0.3.7", ec2, sizeof(ec2));
	is_int(dhcp_packet_parse(pkt, len, XID + 1, MAC, &l), -1, "another transaction");
	memcpy(mac2, MAC, 6);
	mac2[5] ^= 1;
	is_int(dhcp_packet_parse(pkt, len, XID, mac2, &l), -1, "another MAC");
	is_int(dhcp_packet_parse(pkt, len + 40, XID, MAC, &l), DHCP_OFFER,
	       "padding after the IPv4 packet is ignored");
	pkt[28] = 1;
	is_int(dhcp_packet_parse(pkt, len, XID, MAC, &l), -1, "a BOOTREQUEST");
	len = reply(pkt, "10.0.3.7", ec2, sizeof(ec2));
	pkt[28 + 236] = 0;
	is_int(dhcp_packet_parse(pkt, len, XID, MAC, &l), -1, "no magic cookie");
	len = reply(pkt, "10.0.3.7", ec2, sizeof(ec2));
	pkt[10] ^= 1;
	is_int(dhcp_packet_parse(pkt, len, XID, MAC, &l), -1, "a bad IPv4 header checksum");
	len = reply(pkt, "10.0.3.7", ec2, sizeof(ec2));
	put16(pkt + 2, (uint32_t)len + 1);
	fix_ip_csum(pkt);
	is_int(dhcp_packet_parse(pkt, len, XID, MAC, &l), -1, "IPv4 length past the packet");
	len = reply(pkt, "10.0.3.7", ec2, sizeof(ec2));
	pkt[0] = 0x44;
	fix_ip_csum(pkt);
	is_int(dhcp_packet_parse(pkt, len, XID, MAC, &l), -1, "IHL of 4");
	len = reply(pkt, "10.0.3.7", ec2, sizeof(ec2));
	pkt[0] = 0x4f;
	fix_ip_csum(pkt);
	is_int(dhcp_packet_parse(pkt, len, XID, MAC, &l), -1, "IHL of 15 (options past UDP)");
	len = reply(pkt, "10.0.3.7", ec2, sizeof(ec2));
	pkt[6] = 0x20; /* more fragments */
	fix_ip_csum(pkt);
	is_int(dhcp_packet_parse(pkt, len, XID, MAC, &l), -1, "a fragment");
	len = reply(pkt, "10.0.3.7", ec2, sizeof(ec2));
	pkt[9] = 6;
	fix_ip_csum(pkt);
	is_int(dhcp_packet_parse(pkt, len, XID, MAC, &l), -1, "TCP");
	len = reply(pkt, "10.0.3.7", ec2, sizeof(ec2));
	put16(pkt + 24, (uint32_t)len);
	is_int(dhcp_packet_parse(pkt, len, XID, MAC, &l), -1, "UDP length past the IPv4 packet");
	len = reply(pkt, "10.0.3.7", ec2, sizeof(ec2));
	put16(pkt + 24, 7);
	is_int(dhcp_packet_parse(pkt, len, XID, MAC, &l), -1, "UDP length under its header");
	len = reply(pkt, "10.0.3.7", ec2, sizeof(ec2));
	put16(pkt + 22, 69);
	is_int(dhcp_packet_parse(pkt, len, XID, MAC, &l), -1, "to another port");
	len = reply(pkt, "10.0.3.7", ec2, sizeof(ec2));
	put16(pkt + 20, 1067);
	is_int(dhcp_packet_parse(pkt, len, XID, MAC, &l), -1, "from another port");
}

/* Every truncation (the IPv4 length kept: it is then past the end) and
 * random corruption of an OFFER: -1 or a reply type, nothing read outside
 * the packet (ASan's word on the latter). */
static void test_fuzz(void)
{
	uint8_t pkt[1024], *copy;
	size_t len = reply(pkt, "10.0.3.7", ec2, sizeof(ec2));
	struct dhcp_lease l;
	int bad = 0, offers = 0;

	for (size_t n = 0; n < len; n++) {
		copy = malloc(n ? n : 1);
		memcpy(copy, pkt, n);
		bad += dhcp_packet_parse(copy, n, XID, MAC, &l) != -1;
		free(copy);
	}
	is_int(bad, 0, "every truncation of an OFFER is refused");
	srand(15);
	bad = 0;
	for (int i = 0; i < 20000; i++) {
		size_t n = i % 2 ? 28 + (size_t)rand() % (len - 28) : len;
		int r;

		copy = malloc(n);
		memcpy(copy, pkt, n);
		for (int k = 0; k < 1 + rand() % 4; k++)
			copy[(size_t)rand() % n] = (uint8_t)rand();
		/* the lengths and checksum made consistent, so the options get parsed */
		put16(copy + 2, (uint32_t)n);
		put16(copy + 24, (uint32_t)n - 20);
		copy[0] = 0x45;
		fix_ip_csum(copy);
		r = dhcp_packet_parse(copy, n, XID, MAC, &l);
		bad += r != -1 && r != DHCP_OFFER && r != DHCP_ACK && r != DHCP_NAK;
		offers += r == DHCP_OFFER;
		free(copy);
	}
	is_int(bad, 0, "20000 corrupted replies: -1 or a reply type");
	ok(offers > 0, "some (%d) still parse as OFFERs: the options were reached", offers);
}

/* The REQUEST of a renewal (RFC 2131 4.3.2, RENEWING/REBINDING): ciaddr
 * set, no requested address, no server identifier; T1/T2 asked and read. */
static void test_renew_msg(void)
{
	static const uint8_t t12[] = { 53,  1,	5, 54, 4, 10, 0,  0,  1, 51, 4, 0, 0,	0,
				       120, 58, 4, 0,  0, 0,  50, 59, 4, 0,  0, 0, 100, 255 };
	static const uint8_t bad58[] = { 53, 1, 5, 54, 4, 10, 0, 0, 1, 58, 2, 0, 50, 255 };
	uint8_t m[DHCP_PACKET_MAX], pkt[1024];
	size_t len = dhcp_msg_build(m, DHCP_REQUEST, XID, MAC, A("10.0.3.7"), 0, 0);
	const uint8_t *o = m + 240;
	int saw50 = 0, saw54 = 0, saw58 = 0;
	struct dhcp_lease l;

	ok(len >= 300 && len <= DHCP_PACKET_MAX - 28, "renewing REQUEST: %zu bytes", len);
	ok(m[0] == 1 && get32(m + 4) == XID && get_addr(m + 12) == A("10.0.3.7") &&
	       !memcmp(m + 28, MAC, 6),
	   "BOOTREQUEST with the xid, ciaddr and the MAC");
	for (size_t i = 0; i + 2 <= len - 240 && o[i] != 255; i += 2u + o[i + 1]) {
		saw50 |= o[i] == 50;
		saw54 |= o[i] == 54;
		if (o[i] == 55)
			for (int k = 0; k < o[i + 1]; k++)
				saw58 += o[i + 2 + k] == 58 || o[i + 2 + k] == 59;
	}
	ok(o[2] == DHCP_REQUEST && !saw50 && !saw54, "no requested address, no server identifier");
	is_int(saw58, 2, "T1 and T2 among the parameters asked");
	len = reply(pkt, "10.0.3.7", t12, sizeof(t12));
	is_int(dhcp_msg_parse(pkt + 28, len - 28, XID, MAC, &l), DHCP_ACK,
	       "an ACK read from a UDP payload");
	ok(l.lease_s == 120 && l.t1_s == 50 && l.t2_s == 100, "lease 120 s, T1 50 s, T2 100 s");
	is_int(dhcp_msg_parse(pkt + 28, 239, XID, MAC, &l), -1, "a payload cut before the options");
	is_int(dhcp_msg_parse(NULL, 0, XID, MAC, &l), -1, "no payload");
	is_int(parse_opts(bad58, sizeof(bad58), "10.0.3.7", &l), -1, "a T1 of 2 bytes");
}

static void test_renew_times(void)
{
	struct dhcp_lease l = { .lease_s = 120 };
	int64_t t1, t2, end;

	dhcp_renew_times(&l, 1000, &t1, &t2, &end);
	ok(t1 == 61000 && t2 == 106000 && end == 121000,
	   "120 s from 1 s: T1 61 s, T2 106 s, end 121 s (%lld %lld %lld)", (long long)t1,
	   (long long)t2, (long long)end);
	l.t1_s = 30;
	l.t2_s = 90;
	dhcp_renew_times(&l, 0, &t1, &t2, &end);
	ok(t1 == 30000 && t2 == 90000, "options 58/59 when 0 < T1 < T2 < lease");
	l.t1_s = 110;
	l.t2_s = 200;
	dhcp_renew_times(&l, 0, &t1, &t2, &end);
	ok(t1 == 60000 && t2 == 105000, "the defaults for a T2 past the lease and a T1 past T2");
	l.t1_s = 0;
	l.t2_s = 20;
	dhcp_renew_times(&l, 0, &t1, &t2, &end);
	ok(t1 == 10000 && t2 == 20000, "T1 half T2 when T2 comes before half the lease");
	l = (struct dhcp_lease){ .lease_s = 0xfffffffeu };
	dhcp_renew_times(&l, 0, &t1, &t2, &end);
	ok(end == 0xfffffffeLL * 1000 && t1 < t2 && t2 < end, "a lease of 136 years: no overflow");
	is_int(dhcp_resend_at(0, 600000), 300000, "resent after half the time left");
	is_int(dhcp_resend_at(0, 100000), 60000, "at least 60 s later");
	is_int(dhcp_resend_at(0, 45000), 45000, "never after the limit");
}

int main(void)
{
	test_build();
	test_renew_msg();
	test_renew_times();
	test_good();
	test_defaults();
	test_hostile();
	test_fuzz();
	return tap_done();
}
