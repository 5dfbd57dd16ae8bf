/* xenbus.h - the front end's half of a xenbus device (xenbus.c): finding
 * the device in the store, its back end, the state handshake, and the
 * event channel it signals.  Netfront and blkfront use it. */
#ifndef UNIK_RT_XEN_XENBUS_H
#define UNIK_RT_XEN_XENBUS_H

#include "../../core/kernel.h"

/* XenbusState (xen/include/public/io/xenbus.h) */
enum {
	XENBUS_UNKNOWN = 0,
	XENBUS_INITIALISING = 1,
	XENBUS_INITWAIT = 2,
	XENBUS_INITIALISED = 3,
	XENBUS_CONNECTED = 4,
	XENBUS_CLOSING = 5,
	XENBUS_CLOSED = 6,
	XENBUS_RECONFIGURING = 7,
	XENBUS_RECONFIGURED = 8,
};

struct xenbus_dev {
	char node[48]; /* ours, relative: "device/vbd/51712" */
	char backend[128]; /* the back end's, absolute */
	u16 backend_id; /* its domain */
	u32 devid;
};

/* The devices of kind ("vif", "vbd") in ascending device id order: how
 * many (at most max) went into devs[], or -errno (-ENODEV: no store). */
int xenbus_devices(const char *kind, struct xenbus_dev *devs, int max);
/* Reads key under dir (absolute or relative) as a decimal number. */
int xenbus_read_u64(const char *dir, const char *key, u64 *v);
/* Writes key under dir: value, or a number. */
int xenbus_write(const char *dir, const char *key, const char *value);
int xenbus_write_u64(const char *dir, const char *key, u64 v);
/* Sets our state. */
int xenbus_set_state(struct xenbus_dev *d, int state);
/* Waits until the back end's state is `want` (or Closing/Closed or gone,
 * which fails), at most timeout_ns, yielding the CPU to dom0 meanwhile:
 * 0, -ETIMEDOUT, -ENODEV (closed or no back end). */
int xenbus_wait_backend(struct xenbus_dev *d, int want, u64 timeout_ns);
/* A fresh event channel the back end's domain can bind: 0 and *port. */
int xenbus_alloc_evtchn(u16 remote, u32 *port);

#endif
