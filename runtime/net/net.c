/* net.c - the network interface: lwIP's netif over the platform's device,
 * address configuration from the boot command line, and waiting.
 * See net.h and docs/networking.md. */
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/mem.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#include "net.h"
#include "net_timers.h"
#include "netlink.h"
#include "../core/errno.h"
#include "../core/mm.h"
#include "../core/vfs.h"
#include "../platform/platform.h"

#define FRAME_MAX 1518 /* 1500 + Ethernet header + a VLAN tag */
#define RX_BATCH 64
/* A frame up to this long is copied into a block of its own size and the
 * full-size receive buffer kept for the next: lwIP's blocks keep their size
 * (net_heap.c), so a small segment queued for a socket would otherwise hold
 * a whole 1,600-byte block, and a peer sending tiny segments could use up
 * the region with far fewer bytes than the windows allow. */
#define COPY_MAX 960
#define DHCP_WAIT_NS (10 * 1000000000UL)

static struct netif nif;
static bool stack_up, nif_up;
static u32 dev_mtu;
static struct pbuf *spare; /* a receive buffer kept between polls */
static u8 tx_bounce[FRAME_MAX]; /* for frames lwIP hands over in pieces */
static char resolv_conf[256];

int net_stack_init(void)
{
	u64 pages = ALIGN_UP(MEM_SIZE + 64, PAGE_SIZE) / PAGE_SIZE, pa;

	if (stack_up)
		return 0;
	pa = frames_alloc_contig(pages);
	if (!pa)
		return -ENOMEM;
	net_heap_init(phys_to_virt(pa), MEM_SIZE);
	lwip_init();
	stack_up = true;
	return 0;
}

bool net_active(void)
{
	return nif_up;
}

bool net_iface_info(struct net_iface *out)
{
	memset(out, 0, sizeof(*out));
	if (!nif_up)
		return false;
	memcpy(out->mac, nif.hwaddr, 6);
	out->mtu = dev_mtu;
	out->addr = ip4_addr_get_u32(netif_ip4_addr(&nif));
	out->mask = ip4_addr_get_u32(netif_ip4_netmask(&nif));
	return true;
}

static err_t link_output(struct netif *n, struct pbuf *p)
{
	const void *frame = p->payload;
	int rc;

	if (p->tot_len > sizeof(tx_bounce))
		return ERR_IF;
	if (p->next) {
		pbuf_copy_partial(p, tx_bounce, p->tot_len, 0);
		frame = tx_bounce;
	}
	net_timers_frame_out(frame, p->tot_len);
	/* A full device queue drains as the host takes frames: retry briefly. */
	for (int tries = 0; (rc = platform->net_send(frame, p->tot_len)) == -EAGAIN; tries++) {
		if (tries == 1000)
			return ERR_IF;
		plat_wait_until(plat_monotonic_ns() + 10000);
	}
	return rc ? ERR_IF : ERR_OK;
}

static err_t nif_setup(struct netif *n)
{
	n->name[0] = 'e';
	n->name[1] = 'n';
	n->output = etharp_output;
	n->linkoutput = link_output;
	n->mtu = (u16_t)dev_mtu;
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

/* The timers that are due, then the frames taken from the device into lwIP
 * (or dropped): how many frames came. */
static int poll_frames(void)
{
	int got = 0;

	if (!nif_up) {
		/* A device whose stack did not come up (e.g. too little memory)
		 * still receives frames: drop them, or waits that watch the
		 * device would wake at once, forever. */
		static u8 sink[2048];

		if (platform->net_recv && dev_mtu)
			for (int i = 0; i < RX_BATCH && platform->net_recv(sink, sizeof(sink)) > 0;
			     i++)
				got++;
		return got;
	}
	net_timers_run(); /* ARP ageing owed is caught up before frames come in */
	for (int i = 0; i < RX_BATCH; i++) {
		struct pbuf *p;
		long len;

		if (!spare)
			spare = pbuf_alloc(PBUF_RAW, FRAME_MAX, PBUF_RAM);
		if (!spare)
			break; /* out of memory: leave frames in the device */
		len = platform->net_recv(spare->payload, FRAME_MAX);
		if (len <= 0)
			break;
		net_timers_frame_in(spare->payload, len);
		p = len <= COPY_MAX ? pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM) : NULL;
		if (p) {
			memcpy(p->payload, spare->payload, (size_t)len);
		} else {
			pbuf_realloc(spare, (u16_t)len);
			p = spare;
			spare = NULL;
		}
		if (nif.input(p, &nif) != ERR_OK)
			pbuf_free(p);
		got++;
	}
	return got;
}

void net_poll(void)
{
	poll_frames();
}

void net_wait(u64 deadline_ns)
{
	u64 now;

	/* Frames that came in since the caller last looked may have readied
	 * what it waits for (data for a thread blocked on a socket, when called from
	 * the scheduler's idle loop): return so that it looks again.  Sleeping here
	 * left such a reader waiting for lwIP's next timer or the peer's
	 * retransmission (~200 ms).  Where the wait itself ends while a frame
	 * waits (spt), that look is the wait's: one host read (an EAGAIN when
	 * the tap is empty, most times) less per sleep. */
	if (!platform->wait_sees_rx && poll_frames())
		return;
	now = plat_monotonic_ns();
	if (nif_up)
		deadline_ns = MIN(deadline_ns, net_timers_next());
	if (now < deadline_ns)
		plat_wait_until(deadline_ns);
	net_poll();
}

/* "a.b.c.d/prefix" into address and netmask. */
static bool parse_cidr(const char *s, ip4_addr_t *addr, ip4_addr_t *mask)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	unsigned prefix = 0;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (!slash || n >= sizeof(buf) || !slash[1])
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	for (const char *p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9' || prefix > 32)
			return false;
		prefix = prefix * 10 + (unsigned)(*p - '0');
	}
	if (prefix == 0 || prefix > 32 || !ip4addr_aton(buf, addr))
		return false;
	ip4_addr_set_u32(mask, lwip_htonl(prefix == 32 ? ~0u : ~(~0u >> prefix)));
	return true;
}

static void publish_dns(const struct cmdline *cmd)
{
	size_t len = 0;

	for (int i = 0; i < cmd->ndns; i++) {
		ip4_addr_t a;

		if (!ip4addr_aton(cmd->net_dns[i], &a)) {
			kprintf("unikernel: net: ignoring bad unik.dns=%s\n", cmd->net_dns[i]);
			continue;
		}
		len += (size_t)ksnprintf(resolv_conf + len, sizeof(resolv_conf) - len,
					 "nameserver %s\n", cmd->net_dns[i]);
		if (len >= sizeof(resolv_conf))
			len = sizeof(resolv_conf) - 1;
	}
	if (len && vfs_add_file("/etc/resolv.conf", (const u8 *)resolv_conf, len))
		kprintf("unikernel: net: cannot publish /etc/resolv.conf\n");
}

static void wait_for_lease(void)
{
	u64 end = plat_monotonic_ns() + DHCP_WAIT_NS;

	while (!dhcp_supplied_address(&nif) && plat_monotonic_ns() < end)
		net_wait(end);
	if (!dhcp_supplied_address(&nif))
		kprintf("unikernel: net: no DHCP lease after 10 s; going on (DHCP keeps trying)\n");
}

void net_init(const struct cmdline *cmd)
{
	ip4_addr_t addr, mask, gw;
	u8 mac[6];
	int rc;

	if (!cmd->net_ip && !cmd->net_dhcp && !cmd->net_gw && !cmd->ndns)
		return;
	ip4_addr_set_zero(&addr);
	ip4_addr_set_zero(&mask);
	ip4_addr_set_zero(&gw);
	if (!cmd->net_dhcp && (!cmd->net_ip || !parse_cidr(cmd->net_ip, &addr, &mask))) {
		kprintf("unikernel: net: %s%s: expected unik.ip=ADDR/PREFIX (or unik.net=dhcp); no "
			"network\n",
			cmd->net_ip ? "bad unik.ip=" : "no unik.ip",
			cmd->net_ip ? cmd->net_ip : "");
		return;
	}
	if (cmd->net_gw && !ip4addr_aton(cmd->net_gw, &gw)) {
		kprintf("unikernel: net: bad unik.gw=%s; no network\n", cmd->net_gw);
		return;
	}
	if (!platform->net_open || (rc = platform->net_open(mac, &dev_mtu)) < 0) {
		kprintf("unikernel: net: the %s platform has no network device; no network\n",
			platform->name);
		return;
	}
	if (net_stack_init() < 0) {
		kprintf("unikernel: net: no memory for the network stack (%u KiB)\n",
			MEM_SIZE >> 10);
		return;
	}
	if (!dev_mtu || dev_mtu > 1500)
		dev_mtu = 1500;
	memcpy(nif.hwaddr, mac, 6);
	nif.hwaddr_len = 6;
	if (!netif_add(&nif, &addr, &mask, &gw, NULL, nif_setup, ethernet_input)) {
		kprintf("unikernel: net: lwIP refused the interface\n");
		return;
	}
	netif_set_default(&nif);
	netif_set_link_up(&nif);
	netif_set_up(&nif);
	nif_up = true;
	publish_dns(cmd);
	if (cmd->net_dhcp) {
		if (dhcp_start(&nif) != ERR_OK)
			kprintf("unikernel: net: cannot start DHCP\n");
		else
			wait_for_lease();
	}
	if (cmd->verbose) {
		char a[16], g[16];

		ip4addr_ntoa_r(netif_ip4_addr(&nif), a, sizeof(a));
		ip4addr_ntoa_r(netif_ip4_gw(&nif), g, sizeof(g));
		kprintf("unikernel: net: %02x:%02x:%02x:%02x:%02x:%02x mtu %u, address %s, gateway "
			"%s\n",
			mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], dev_mtu, a, g);
	}
}
