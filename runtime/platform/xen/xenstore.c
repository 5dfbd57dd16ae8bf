/* xenstore.c - a small xenstore client: read, write and watch keys of
 * this domain's tree (relative paths are under /local/domain/<id>/).
 *
 * Requests and replies travel through the store ring page (1 KiB each way)
 * named by HVM_PARAM_STORE_PFN, with the event channel of
 * HVM_PARAM_STORE_EVTCHN.  A request is synchronous and made with
 * interrupts off, polling the reply ring (yielding the CPU to dom0 while it
 * waits), so one from the event upcall cannot interleave with another.
 * Watch events arriving meanwhile are noted and their handlers run once no
 * request is in flight: from the upcall, or once a request's caller has its
 * reply.
 * Everything from the other side is checked (lengths, indexes); a protocol
 * error turns the client off rather than trusting the ring. */
#include "xen.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/errno.h"
#include "../../core/mm.h"
#include "../../core/runtime.h"

#define RING 1024
#define PAYLOAD_MAX 4096
#define XS_DIRECTORY 1
#define XS_READ 2
#define XS_WATCH 4
#define XS_WRITE 11
#define XS_WATCH_EVENT 15
#define XS_ERROR 16
#define MAX_WATCHES 8
#define WAIT_NS 5000000000UL /* a request that takes longer: xenstored is gone */

struct store_ring {
	char req[RING], rsp[RING];
	u32 req_cons, req_prod, rsp_cons, rsp_prod;
};

struct msg {
	u32 type, req_id, tx_id, len;
};

static volatile struct store_ring *ring;
static u32 port;
static u32 next_id = 1;
static bool in_request;
static char payload[PAYLOAD_MAX + 1];

static struct {
	const char *path;
	void (*fn)(const char *path);
	bool fired;
} watches[MAX_WATCHES];
static int nwatches;

static bool irq_save(void)
{
	u64 flags;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags & 0x200;
}

static void irq_restore(bool on)
{
	if (on)
		__asm__ volatile("sti" : : : "memory");
}

static void broken(const char *why)
{
	kprintf("unikernel: xen: xenstore: %s; the client is off\n", why);
	ring = NULL;
}

static bool wait_for(bool (*ready)(void), u64 until)
{
	while (!ready()) {
		if (xen_monotonic_ns() > until)
			return false;
		xen_evtchn_send(port);
		xen_hypercall(XEN_HC_SCHED_OP, XEN_SCHEDOP_YIELD, 0, 0, 0, 0);
	}
	return true;
}

static bool req_room(void)
{
	return ring->req_prod - ring->req_cons < RING;
}

static int put(const void *data, u32 len, u64 until)
{
	const char *p = data;

	while (len) {
		u32 prod, k;

		if (!wait_for(req_room, until))
			return -ETIMEDOUT;
		prod = ring->req_prod;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (prod - ring->req_cons > RING) {
			broken("bad request ring indexes");
			return -EIO;
		}
		for (k = 0; k < len && prod + k - ring->req_cons < RING; k++)
			ring->req[(prod + k) % RING] = p[k];
		__atomic_thread_fence(__ATOMIC_RELEASE);
		ring->req_prod = prod + k;
		xen_evtchn_send(port);
		p += k;
		len -= k;
	}
	return 0;
}

static bool rsp_avail(void)
{
	return ring->rsp_prod != ring->rsp_cons;
}

static int get(void *data, u32 len, u64 until)
{
	char *p = data;

	while (len) {
		u32 cons, avail, k;

		if (!wait_for(rsp_avail, until))
			return -ETIMEDOUT;
		cons = ring->rsp_cons;
		avail = ring->rsp_prod - cons;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (avail > RING) {
			broken("bad reply ring indexes");
			return -EIO;
		}
		for (k = 0; k < len && k < avail; k++)
			p[k] = ring->rsp[(cons + k) % RING];
		__atomic_thread_fence(__ATOMIC_RELEASE);
		ring->rsp_cons = cons + k;
		xen_evtchn_send(port);
		p += k;
		len -= k;
	}
	return 0;
}

/* Reads one message into payload (NUL-terminated); a watch event is noted. */
static int get_msg(struct msg *m, u64 until)
{
	int rc = get(m, sizeof(*m), until);

	if (rc)
		return rc;
	if (m->len > PAYLOAD_MAX) {
		broken("a reply longer than the protocol allows");
		return -EIO;
	}
	rc = get(payload, m->len, until);
	if (rc)
		return rc;
	payload[m->len] = 0;
	if (m->type == XS_WATCH_EVENT) {
		/* "PATH\0TOKEN\0": the token is the watch's index */
		size_t plen = strnlen(payload, m->len);

		if (plen + 1 < m->len) {
			u32 i = (u32)(payload[plen + 1] - 'a');

			if (i < (u32)nwatches)
				watches[i].fired = true;
		}
	}
	return 0;
}

static void run_watches(void)
{
	for (int i = 0; i < nwatches; i++)
		if (watches[i].fired) {
			watches[i].fired = false;
			watches[i].fn(watches[i].path);
		}
}

/* One request of `type` with the strings parts[0..n) (each sent with its
 * NUL except a write's value).  The reply's payload goes to out (size
 * bytes, NUL-terminated; a read is cut to fit, a list gives -E2BIG; out
 * may be NULL).  Watch events arriving meanwhile are only noted: the caller
 * runs their handlers (run_watches) once it has its reply, as they make
 * requests of their own.  The reply's length, or -errno (an XS_ERROR
 * reply: -EIO, -ENOENT for ENOENT). */
static long request(u32 type, const char *const *parts, int n, bool last_nul, char *out,
		    size_t size)
{
	struct msg m = { type, 0, 0, 0 }, r;
	u64 until;
	bool irq;
	long rc;

	if (!ring)
		return -ENODEV;
	for (int i = 0; i < n; i++)
		m.len += (u32)strlen(parts[i]) + (i < n - 1 || last_nul);
	if (m.len > PAYLOAD_MAX)
		return -E2BIG;
	irq = irq_save();
	in_request = true;
	m.req_id = next_id++;
	until = xen_monotonic_ns() + WAIT_NS;
	rc = put(&m, sizeof(m), until);
	for (int i = 0; i < n && !rc; i++)
		rc = put(parts[i], (u32)strlen(parts[i]) + (i < n - 1 || last_nul), until);
	while (!rc) {
		rc = get_msg(&r, until);
		if (rc || r.type == XS_WATCH_EVENT)
			continue;
		if (r.req_id != m.req_id)
			continue; /* a late reply to a request that timed out */
		if (r.type == XS_ERROR)
			rc = !strcmp(payload, "ENOENT") ? -ENOENT : -EIO;
		else {
			rc = r.len;
			if (out && size) { /* a read may be cut (NUL-terminated), a list not */
				size_t k = MIN((size_t)r.len, size - 1);

				memcpy(out, payload, k);
				out[k] = 0;
				if (type != XS_READ && (size_t)r.len + 1 > size)
					rc = -E2BIG;
			}
		}
		break;
	}
	in_request = false;
	irq_restore(irq);
	return rc;
}

long xs_read(const char *path, char *buf, size_t size)
{
	const char *parts[] = { path };
	long n = request(XS_READ, parts, 1, true, buf, size);

	run_watches();
	return n;
}

long xs_directory(const char *path, char *buf, size_t size)
{
	const char *parts[] = { path };

	long n = request(XS_DIRECTORY, parts, 1, true, buf, size);

	run_watches();
	return n;
}

int xs_write(const char *path, const char *value)
{
	const char *parts[] = { path, value };
	long rc = request(XS_WRITE, parts, 2, false, NULL, 0);

	run_watches();
	return rc < 0 ? (int)rc : 0;
}

int xs_watch(const char *path, void (*fn)(const char *path))
{
	char token[2] = { (char)('a' + nwatches), 0 };
	const char *parts[] = { path, token };
	long rc;

	if (nwatches == MAX_WATCHES)
		return -ENOSPC;
	watches[nwatches].path = path;
	watches[nwatches++].fn = fn;
	rc = request(XS_WATCH, parts, 2, true, NULL, 0);
	run_watches();
	return rc < 0 ? (int)rc : 0;
}

/* Watch events that arrive while no request is in flight. */
static void store_event(u32 p)
{
	struct msg m;

	if (in_request || !ring)
		return;
	while (ring && rsp_avail())
		if (get_msg(&m, xen_monotonic_ns() + WAIT_NS))
			break;
	run_watches();
}

int xs_init(void)
{
	u64 pfn, evtchn;

	if (xen_hvm_get_param(XEN_HVM_PARAM_STORE_PFN, &pfn) || !pfn ||
	    xen_hvm_get_param(XEN_HVM_PARAM_STORE_EVTCHN, &evtchn))
		return -ENODEV;
	ring = arch_map_mmio(pfn << 12, 4096);
	if (!ring)
		return -ENODEV;
	port = (u32)evtchn;
	xen_event_bind(port, store_event);
	return 0;
}
