/* xenbus.c - the front end's side of xenbus devices.
 *
 * The toolstack describes each device twice in the store: our half under
 * device/<kind>/<devid>/ (backend, backend-id, state, and what we write:
 * ring refs, the event channel) and the back end's under its `backend`
 * path (its state and features).  Front and back step through XenbusState
 * until both are Connected (xen/include/public/io/xenbus.h).  Values from
 * the store are the toolstack's and dom0's; they are parsed strictly. */
#include "xen.h"
#include "xenbus.h"
#include "../../core/errno.h"
#include "../../core/runtime.h"

#define YIELD_NS 1000000UL

struct xen_evtchn_alloc_unbound {
	u16 dom, remote_dom;
	u32 port;
};

static int parse_u64(const char *s, u64 *v)
{
	u64 n = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (~0UL - 9) / 10)
			return -EINVAL;
		n = n * 10 + (u64)(*s - '0');
	}
	*v = n;
	return 0;
}

static int path_of(char *buf, size_t size, const char *dir, const char *key)
{
	int n = ksnprintf(buf, size, "%s/%s", dir, key);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int xenbus_read_u64(const char *dir, const char *key, u64 *v)
{
	char path[192], val[32];
	long n;

	if (path_of(path, sizeof(path), dir, key))
		return -ENAMETOOLONG;
	n = xs_read(path, val, sizeof(val));
	if (n < 0)
		return (int)n;
	if ((size_t)n >= sizeof(val))
		return -EINVAL;
	return parse_u64(val, v);
}

int xenbus_write(const char *dir, const char *key, const char *value)
{
	char path[192];

	if (path_of(path, sizeof(path), dir, key))
		return -ENAMETOOLONG;
	return xs_write(path, value);
}

int xenbus_write_u64(const char *dir, const char *key, u64 v)
{
	char val[24];

	ksnprintf(val, sizeof(val), "%lu", v);
	return xenbus_write(dir, key, val);
}

int xenbus_set_state(struct xenbus_dev *d, int state)
{
	return xenbus_write_u64(d->node, "state", (u64)state);
}

static int lookup(const char *kind, u32 devid, struct xenbus_dev *d)
{
	char path[192];
	u64 id;
	long n;

	memset(d, 0, sizeof(*d));
	d->devid = devid;
	ksnprintf(d->node, sizeof(d->node), "device/%s/%u", kind, devid);
	if (path_of(path, sizeof(path), d->node, "backend"))
		return -ENAMETOOLONG;
	n = xs_read(path, d->backend, sizeof(d->backend));
	if (n <= 0 || (size_t)n >= sizeof(d->backend) || d->backend[0] != '/')
		return -ENODEV;
	if (xenbus_read_u64(d->node, "backend-id", &id) || id >= XEN_DOMID_SELF)
		return -ENODEV;
	d->backend_id = (u16)id;
	return 0;
}

int xenbus_devices(const char *kind, struct xenbus_dev *devs, int max)
{
	char dir[32], names[1024];
	u32 ids[16];
	int nids = 0, found = 0;
	long n;

	ksnprintf(dir, sizeof(dir), "device/%s", kind);
	n = xs_directory(dir, names, sizeof(names));
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return (int)n;
	for (long i = 0; i < n && nids < (int)ARRAY_SIZE(ids);) {
		size_t len = strnlen(names + i, (size_t)(n - i));
		u64 id;

		if ((long)len == n - i)
			break; /* not terminated: ignore the rest */
		if (!parse_u64(names + i, &id) && id <= 0xffffffffUL) {
			/* insertion into ascending order */
			int k = nids++;

			while (k > 0 && ids[k - 1] > id) {
				ids[k] = ids[k - 1];
				k--;
			}
			ids[k] = (u32)id;
		}
		i += (long)len + 1;
	}
	for (int i = 0; i < nids && found < max; i++)
		if (!lookup(kind, ids[i], &devs[found]))
			found++;
		else
			kprintf("unikernel: xen: device/%s/%u has no usable back end; skipped\n",
				kind, ids[i]);
	return found;
}

int xenbus_wait_backend(struct xenbus_dev *d, int want, u64 timeout_ns)
{
	u64 until = xen_monotonic_ns() + timeout_ns;

	for (;;) {
		u64 state;
		int rc = xenbus_read_u64(d->backend, "state", &state);

		if (rc == -ENOENT)
			return -ENODEV;
		if (!rc && state == (u64)want)
			return 0;
		if (!rc && (state == XENBUS_CLOSING || state == XENBUS_CLOSED))
			return -ENODEV;
		if (xen_monotonic_ns() > until)
			return -ETIMEDOUT;
		/* dom0's back end runs when we give up the CPU */
		for (u64 t = xen_monotonic_ns() + YIELD_NS; xen_monotonic_ns() < t;)
			xen_hypercall(XEN_HC_SCHED_OP, XEN_SCHEDOP_YIELD, 0, 0, 0, 0);
	}
}

int xenbus_alloc_evtchn(u16 remote, u32 *port)
{
	struct xen_evtchn_alloc_unbound a = { .dom = XEN_DOMID_SELF, .remote_dom = remote };
	long rc = xen_hypercall(XEN_HC_EVENT_CHANNEL_OP, XEN_EVTCHNOP_ALLOC_UNBOUND,
				(u64)(uintptr_t)&a, 0, 0, 0);

	if (rc)
		return (int)rc;
	*port = a.port;
	return 0;
}
