/* netdev.h - host network devices for instances, with plain ioctls: the
 * bridge the daemon owns and one tap per instance.  Needs CAP_NET_ADMIN;
 * each call fails with UNIK_E_UNAVAILABLE and the reason otherwise. */
#ifndef UNIKD_NETDEV_H
#define UNIKD_NETDEV_H

#include <netinet/in.h>

#include "../lib/error.h"

/* Creates bridge `name` if missing, gives it `addr`/`prefix` and brings it up. */
int netdev_bridge_ensure(const char *name, struct in_addr addr, int prefix, struct unik_err *err);
/* Creates persistent tap `name` (owned by uid), enslaves it to `bridge`, brings it up. */
int netdev_tap_create(const char *name, const char *bridge, struct unik_err *err);
/* Deletes tap `name`; a missing tap is not an error. */
int netdev_tap_delete(const char *name, struct unik_err *err);
/* 1 if device `name` is a port of bridge `bridge`. */
int netdev_master_is(const char *name, const char *bridge);
/* 1 if the device exists. */
int netdev_exists(const char *name);
/* 1 if device `name` is a Linux bridge (its driver says "bridge"), 0 if it
 * is another kind of device or missing. */
int netdev_is_bridge(const char *name);
/* Brings bridge `name` down and deletes it; a missing one is not an error,
 * a device that is not a bridge is refused. */
int netdev_bridge_delete(const char *name, struct unik_err *err);

#endif
