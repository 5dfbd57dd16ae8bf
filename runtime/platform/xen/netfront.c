/* netfront.c - the Xen PV network front end (see netfront.h).
 *
 * The protocol is xen/include/public/io/netif.h: two shared rings of one
 * page each, granted to the back end (netback in dom0), and one event
 * channel for both.  Transmit: each request names a granted page, an
 * offset and a length; the back end reads the frame and answers with the
 * request's id, after which the buffer is ours again.  Receive: requests
 * post empty pages granted writable; with request-rx-copy the back end
 * copies a frame into one and answers with its offset and length.  No
 * offloads and no scatter-gather are offered, so every frame is one slot;
 * feature-no-csum-offload makes dom0 fill in every checksum (by default
 * netback passes frames from dom0 itself with the TCP/UDP checksum blank).
 *
 * A ring is a header {req_prod, req_event, rsp_prod, rsp_event} and a
 * power-of-two array of slots, each holding a request and later its
 * response.  Producer indexes run freely (mod 2^32); a side notifies the
 * other only when its new producer index passes the other's event index.
 * Everything the back end writes (indexes, ids, offsets, lengths, status)
 * is checked before use: a wrong value drops a frame, never more.
 *
 * The event handler only counts: net_recv() polls the ring, and the core
 * calls it when a wait ends (xen_wait_until wakes on any event).  Before
 * reporting "nothing waiting", net_recv() asks for a notification of the
 * next response (rsp_event), so an idle guest sleeps until a frame comes. */
#include "xen.h"
#include "gnttab.h"
#include "netfront.h"
#include "xenbus.h"
#include "../../core/errno.h"
#include "../../core/mm.h"
#include "../../core/runtime.h"

#define RING_SLOTS 256 /* both rings: (4096 - 64) / slot size, a power of two */
#define TX_BUFS 128 /* two 2 KiB transmit buffers per granted page */
#define TX_BUF_SIZE 2048
#define RX_BUFS 128 /* one granted page each, always posted but while copied out */
#define CONNECT_NS (30 * 1000000000UL) /* hotplug scripts in dom0, under TCG too */

#define NETRXF_MORE_DATA 4
#define NETRXF_EXTRA_INFO 8
#define NETIF_EXTRA_FLAG_MORE 1

struct sring_hdr {
	u32 req_prod, req_event, rsp_prod, rsp_event;
	u8 pad[48];
};

struct tx_req {
	u32 gref;
	u16 offset, flags, id, size;
};

struct tx_rsp {
	u16 id;
	s16 status;
};

struct rx_req {
	u16 id, pad;
	u32 gref;
};

struct rx_rsp {
	u16 id, offset, flags;
	s16 status;
};

union tx_slot {
	struct tx_req req;
	struct tx_rsp rsp;
};

union rx_slot {
	struct rx_req req;
	struct rx_rsp rsp;
	u8 extra[8]; /* netif_extra_info: type, flags, ... */
};

struct tx_sring {
	struct sring_hdr h;
	union tx_slot ring[RING_SLOTS];
};

struct rx_sring {
	struct sring_hdr h;
	union rx_slot ring[RING_SLOTS];
};

_Static_assert(sizeof(struct sring_hdr) == 64, "ring header");
_Static_assert(sizeof(union tx_slot) == 12 && sizeof(union rx_slot) == 8, "netif slots");
_Static_assert(sizeof(struct tx_sring) <= 4096 && sizeof(struct rx_sring) <= 4096, "ring pages");
_Static_assert((4096 - 64) / 12 < 2 * RING_SLOTS && (4096 - 64) / 8 < 2 * RING_SLOTS,
	       "the largest power of two that fits");
_Static_assert(TX_BUFS <= RING_SLOTS && RX_BUFS <= RING_SLOTS, "buffers fit the rings");

static struct xenbus_dev dev;
static bool up;
static u32 port;
static volatile u64 events; /* for diagnostics: notifications seen */

static volatile struct tx_sring *tx;
static u32 tx_prod, tx_cons; /* our private request producer; responses consumed */
static u8 *tx_page[TX_BUFS / 2];
static int tx_gref[TX_BUFS / 2];
static u16 tx_free[TX_BUFS];
static u32 tx_nfree;
static bool tx_busy[TX_BUFS];

static volatile struct rx_sring *rx;
static u32 rx_prod, rx_cons, rx_pushed; /* rx_pushed: what the back end was shown */
static u8 *rx_page[RX_BUFS];
static int rx_gref[RX_BUFS];
static u16 rx_at[RING_SLOTS]; /* the buffer posted in each ring slot */
static bool rx_dropping; /* inside a multi-slot frame (never offered): dropped */
static u32 rx_extras; /* extra-info slots still to skip */

static inline void mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void cbarrier(void)
{
	__asm__ volatile("" : : : "memory"); /* x86 keeps stores and loads in order */
}

static void on_event(u32 p)
{
	events++;
}

/* Publishes requests up to prod; notifies if the back end asked to hear of
 * them (its event index lies in (old, prod]). */
static void push(volatile struct sring_hdr *h, u32 prod)
{
	u32 old = h->req_prod;

	cbarrier(); /* the slots before the index */
	h->req_prod = prod;
	mb(); /* the index before reading req_event */
	if ((u32)(prod - h->req_event) < (u32)(prod - old))
		xen_evtchn_send(port);
}

/* How many responses past cons the back end produced, never more than the
 * requests it holds (a larger rsp_prod is ignored). */
static u32 responses(volatile struct sring_hdr *h, u32 cons, u32 prod)
{
	u32 n = h->rsp_prod - cons;

	cbarrier(); /* the index before the slots */
	return n <= prod - cons ? n : 0;
}

static void rx_post(u16 b)
{
	volatile union rx_slot *s = &rx->ring[rx_prod % RING_SLOTS];

	rx_at[rx_prod % RING_SLOTS] = b;
	s->req.id = b;
	s->req.pad = 0;
	s->req.gref = (u32)rx_gref[b];
	rx_prod++;
}

static bool parse_mac(const char *s, u8 mac[6])
{
	for (int i = 0; i < 6; i++) {
		u8 v = 0;

		for (int k = 0; k < 2; k++) {
			char c = *s++;

			if (c >= '0' && c <= '9')
				v = (u8)(v * 16 + (c - '0'));
			else if (c >= 'a' && c <= 'f')
				v = (u8)(v * 16 + (c - 'a' + 10));
			else if (c >= 'A' && c <= 'F')
				v = (u8)(v * 16 + (c - 'A' + 10));
			else
				return false;
		}
		mac[i] = v;
		if (*s++ != (i == 5 ? 0 : ':'))
			return false;
	}
	return true;
}

static int grant_page(u8 *p, bool readonly)
{
	u64 pa = (u64)(uintptr_t)p - dmap_base;

	return gnttab_grant(dev.backend_id, pa >> 12, readonly);
}

static u8 *page(void)
{
	u64 pa = frame_alloc();

	return pa ? phys_to_virt(pa) : NULL;
}

/* The rings, the event channel and the buffers; the receive buffers posted. */
static int setup(int *tx_ref, int *rx_ref)
{
	u8 *t = page(), *r = page();

	if (!t || !r)
		return -ENOMEM;
	tx = (volatile struct tx_sring *)t;
	rx = (volatile struct rx_sring *)r;
	tx->h.req_event = tx->h.rsp_event = 1;
	rx->h.req_event = rx->h.rsp_event = 1;
	*tx_ref = grant_page(t, false);
	*rx_ref = grant_page(r, false);
	if (*tx_ref < 0 || *rx_ref < 0)
		return -ENOSPC;
	for (int i = 0; i < TX_BUFS / 2; i++) {
		if (!(tx_page[i] = page()))
			return -ENOMEM;
		if ((tx_gref[i] = grant_page(tx_page[i], true)) < 0)
			return -ENOSPC;
	}
	for (int i = TX_BUFS; i-- > 0;)
		tx_free[tx_nfree++] = (u16)i;
	for (int i = 0; i < RX_BUFS; i++) {
		if (!(rx_page[i] = page()))
			return -ENOMEM;
		if ((rx_gref[i] = grant_page(rx_page[i], false)) < 0)
			return -ENOSPC;
		rx_post((u16)i);
	}
	rx->h.req_prod = rx_pushed = rx_prod;
	return xenbus_alloc_evtchn(dev.backend_id, &port);
}

static int publish(int tx_ref, int rx_ref)
{
	if (xenbus_write_u64(dev.node, "tx-ring-ref", (u64)tx_ref) ||
	    xenbus_write_u64(dev.node, "rx-ring-ref", (u64)rx_ref) ||
	    xenbus_write_u64(dev.node, "event-channel", port) ||
	    xenbus_write(dev.node, "request-rx-copy", "1") ||
	    xenbus_write(dev.node, "feature-rx-notify", "1") ||
	    xenbus_write(dev.node, "feature-no-csum-offload", "1"))
		return -EIO;
	return xenbus_set_state(&dev, XENBUS_CONNECTED);
}

int netfront_open(u8 mac[6], u32 *mtu)
{
	char path[200], macs[32];
	int tx_ref = -1, rx_ref = -1, rc;
	u64 m;
	long n;

	if (up || gnttab_init())
		return -ENODEV;
	rc = xenbus_devices("vif", &dev, 1);
	if (rc != 1) {
		kprintf("unikernel: xen: no network device (device/vif: %d)\n", rc);
		return -ENODEV;
	}
	ksnprintf(path, sizeof(path), "%s/mac", dev.node);
	n = xs_read(path, macs, sizeof(macs));
	if (n <= 0 || (size_t)n >= sizeof(macs) || !parse_mac(macs, mac)) {
		kprintf("unikernel: xen: %s has no usable mac; no network\n", dev.node);
		return -ENODEV;
	}
	rc = xenbus_wait_backend(&dev, XENBUS_INITWAIT, CONNECT_NS);
	if (!rc)
		rc = setup(&tx_ref, &rx_ref);
	if (!rc) {
		xen_event_bind(port, on_event);
		rc = publish(tx_ref, rx_ref);
	}
	if (!rc)
		rc = xenbus_wait_backend(&dev, XENBUS_CONNECTED, CONNECT_NS);
	if (rc) {
		/* what was granted stays granted: the domain has no network */
		kprintf("unikernel: xen: %s did not connect to %s (%d); no network\n", dev.node,
			dev.backend, rc);
		xenbus_set_state(&dev, XENBUS_CLOSED);
		return -ENODEV;
	}
	*mtu = 1500;
	if (!xenbus_read_u64(dev.backend, "mtu", &m) && m >= 576 && m <= 1500)
		*mtu = (u32)m;
	/* told of every response from the first on */
	rx->h.rsp_event = rx_cons + 1;
	up = true;
	return 0;
}

/* Takes back the transmit buffers the back end is done with. */
static void tx_reap(void)
{
	u32 n = responses(&tx->h, tx_cons, tx_prod);

	for (; n; n--, tx_cons++) {
		u16 id = tx->ring[tx_cons % RING_SLOTS].rsp.id;

		if (id < TX_BUFS && tx_busy[id]) {
			tx_busy[id] = false;
			tx_free[tx_nfree++] = id;
		}
	}
}

int netfront_send(const void *frame, size_t len)
{
	volatile struct tx_req *r;
	u16 id;

	if (!up)
		return -ENODEV;
	if (len > TX_BUF_SIZE || len < 14)
		return -EIO;
	tx_reap();
	if (!tx_nfree || tx_prod - tx_cons >= RING_SLOTS)
		return -EAGAIN;
	id = tx_free[--tx_nfree];
	tx_busy[id] = true;
	memcpy(tx_page[id / 2] + (id % 2) * TX_BUF_SIZE, frame, len);
	r = &tx->ring[tx_prod % RING_SLOTS].req;
	r->gref = (u32)tx_gref[id / 2];
	r->offset = (u16)((id % 2) * TX_BUF_SIZE);
	r->flags = 0;
	r->id = id;
	r->size = (u16)len;
	push(&tx->h, ++tx_prod);
	return 0;
}

/* Consumes the response in slot rx_cons and posts its buffer again: the
 * frame's length when it went to buf, else 0 (dropped or not a frame). */
static long rx_one(void *buf, size_t size)
{
	volatile union rx_slot *s = &rx->ring[rx_cons % RING_SLOTS];
	u16 b = rx_at[rx_cons % RING_SLOTS];
	long len = 0;

	if (rx_extras) {
		/* an extra-info slot (we offered nothing that needs one) */
		if (!(s->extra[1] & NETIF_EXTRA_FLAG_MORE))
			rx_extras--;
	} else {
		struct rx_rsp r = { s->rsp.id, s->rsp.offset, s->rsp.flags, s->rsp.status };
		bool drop = rx_dropping;

		rx_dropping = r.flags & NETRXF_MORE_DATA;
		if (r.flags & NETRXF_EXTRA_INFO) {
			rx_extras = 1;
			drop = true;
		}
		if (!drop && !rx_dropping && r.id == b && r.status > 0 &&
		    (u32)r.offset + (u32)r.status <= PAGE_SIZE && (size_t)r.status <= size) {
			memcpy(buf, rx_page[b] + r.offset, (size_t)r.status);
			len = r.status;
		}
	}
	rx_cons++;
	rx_post(b);
	return len;
}

long netfront_recv(void *buf, size_t size)
{
	bool posted = false;
	long len = 0;

	if (!up)
		return 0;
	for (;;) {
		u32 n = responses(&rx->h, rx_cons, rx_pushed);

		if (!n) {
			/* ask to be told of the next one, then look once more */
			rx->h.rsp_event = rx_cons + 1;
			mb();
			if (!responses(&rx->h, rx_cons, rx_pushed))
				break;
			continue;
		}
		posted = true;
		len = rx_one(buf, size);
		if (len)
			break;
	}
	if (posted)
		push(&rx->h, rx_pushed = rx_prod);
	return len;
}
