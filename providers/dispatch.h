/* dispatch.h - the one layer between the daemon and the providers.
 *
 * The daemon never reads a provider's operations itself: it finds
 * providers, asks what they can do and calls them here.  This is the only
 * place that knows what a NULL operation means (provider.h): for one a
 * request needs (start, stop, status) it is UNSUPPORTED, which the API
 * answers with 501 "provider 'X' does not support the operation 'Y'"; for
 * the others it is a documented default.  Capabilities, the provider of an
 * "auto" run and a run's default accel are derived from the vtables here
 * too, so the daemon knows no provider by name.
 *
 * The table itself is providers/registry.c (the daemon's unit tests link
 * the mock providers' table instead: providers/mock/mock_registry.c).
 */
#ifndef UNIK_PROVIDERS_DISPATCH_H
#define UNIK_PROVIDERS_DISPATCH_H

#include "provider.h"

/* The registry: every provider, NULL-terminated, in the order listings
 * show them. */
extern const struct unik_provider *const unik_providers[];

/* The operations, to name them. */
enum unik_provider_op {
	UNIK_OP_CHECK,
	UNIK_OP_PROBE,
	UNIK_OP_START,
	UNIK_OP_STOP,
	UNIK_OP_COLLECT,
	UNIK_OP_REMOVE,
	UNIK_OP_STATUS,
	UNIK_OP_ATTACH_VOLUME,
	UNIK_OP_DETACH_VOLUME,
	UNIK_OP_PUBLISH,
	UNIK_OP_UNPUBLISH,
};

/* What `GET /v1/providers` lists as a provider's capabilities. */
enum {
	UNIK_CAP_RUN = 1 << 0, /* start() */
	UNIK_CAP_STOP = 1 << 1, /* stop() */
	UNIK_CAP_RESTART = 1 << 2, /* start() again after an exit (every provider that starts) */
	UNIK_CAP_LOGS = 1 << 3, /* console_log */
	UNIK_CAP_EXIT_CODE = 1 << 4, /* collect() */
	UNIK_CAP_NETWORK = 1 << 5, /* net_modes has UNIK_NET_TAP or UNIK_NET_BRIDGE */
	UNIK_CAP_USERNET = 1 << 6, /* net_modes has UNIK_NET_USER */
	UNIK_CAP_VOLUMES = 1 << 7, /* volume_formats */
	UNIK_CAP_VOLUME_HOTPLUG = 1 << 8, /* attach_volume() and detach_volume() */
	UNIK_CAP_PUBLISH = 1 << 9, /* publish(): images are copied to the provider first */
	UNIK_CAP_STDIN = 1 << 10, /* console_input: the program's standard input (run -i) */
};

/* By name or alias; NULL if unknown. */
const struct unik_provider *unik_provider_find(const char *name);
/* 1 if the provider boots images of `format`. */
int unik_provider_accepts(const struct unik_provider *p, const char *format);
/* The UNIK_CAP_* bits, from the operations and fields of p. */
unsigned unik_provider_caps(const struct unik_provider *p);
/* 1 if p attaches guests in network mode `mode`. */
int unik_provider_networks(const struct unik_provider *p, enum unik_net_mode mode);
/* "start", "stop", ... */
const char *unik_provider_op_name(enum unik_provider_op op);
/* 1 if p has operation `op`. */
int unik_provider_has(const struct unik_provider *p, enum unik_provider_op op);
/* 0 if p has operation `op`, else -1 with err UNSUPPORTED naming both:
 * for refusing a request before anything is done for it. */
int unik_provider_require(const struct unik_provider *p, enum unik_provider_op op,
			  struct unik_err *err);

/* The providers an "auto" run may get, in the order they are tried: those
 * with an auto_priority that boot `format` (NULL: any), highest first,
 * registry order among equals.  Fills out[0..max) and returns how many. */
size_t unik_provider_auto_order(const char *format, const struct unik_provider **out, size_t max);
/* The provider of an "auto" run: of the providers with an auto_priority,
 * the highest that boots `format` (NULL: any) and is usable here (probe);
 * registry order breaks ties.  NULL with err (UNAVAILABLE) when none. */
const struct unik_provider *unik_provider_auto(const struct unik_config *cfg, const char *format,
					       struct unik_err *err);
/* The accel a run on p records when it names none: the value of p's
 * accel_key in cfg, else "auto".  Borrowed. */
const char *unik_provider_default_accel(const struct unik_provider *p,
					const struct unik_config *cfg);
/* An image's default memory (a build's `memory`): 0 if some provider boots
 * `mb` MiB, else -1 with err (INVALID) naming the range providers take.
 * Runs check it against their provider's own range. */
int unik_providers_check_memory(long long mb, struct unik_err *err);

/* The operations.  Each returns what the provider's does, or for a NULL
 * one: */
/* NULL probe: usable (0). */
int provider_probe(const struct unik_provider *p, const struct unik_config *cfg,
		   struct unik_err *err);
/* NULL check: nothing to check (0). */
int provider_check(const struct unik_provider *p, const struct unik_run_spec *spec,
		   struct unik_err *err);
/* NULL start, stop, status: -1, UNSUPPORTED. */
int provider_start(const struct unik_provider *p, const struct unik_run_spec *spec,
		   struct unik_vm *vm, struct unik_err *err);
int provider_stop(const struct unik_provider *p, const struct unik_run_spec *spec, pid_t pid,
		  int timeout_s, struct unik_err *err);
int provider_status(const struct unik_provider *p, const struct unik_run_spec *spec,
		    enum unik_vm_state *state, pid_t *pid, struct unik_err *err);
/* Fills `out` always (exit_code -1 when unknown).  NULL collect: the
 * process's own exit status when wait_status tells one.  A failing collect
 * leaves its error as out->message.  Returns 0. */
int provider_collect(const struct unik_provider *p, const struct unik_run_spec *spec,
		     int wait_status, struct unik_exit *out);
/* NULL remove: nothing to remove (0). */
int provider_remove(const struct unik_provider *p, const struct unik_run_spec *spec,
		    struct unik_err *err);
/* NULL attach_volume, detach_volume: -1, UNSUPPORTED. */
int provider_attach_volume(const struct unik_provider *p, const struct unik_run_spec *spec,
			   pid_t pid, const struct unik_volume_spec *vol, struct unik_err *err);
int provider_detach_volume(const struct unik_provider *p, const struct unik_run_spec *spec,
			   pid_t pid, const struct unik_volume_spec *vol, struct unik_err *err);

/* NULL publish: -1, UNSUPPORTED.  A reference that is empty or not
 * printable is INTERNAL.  NULL unpublish: nothing to remove (0). */
int provider_publish(const struct unik_provider *p, const struct unik_publish_spec *spec, char *ref,
		     size_t ref_size, struct unik_err *err);
int provider_unpublish(const struct unik_provider *p, const struct unik_publish_spec *spec,
		       const char *ref, struct unik_err *err);

/* Volumes.  0 if p attaches `n` volumes to one instance, else -1 with err:
 * UNSUPPORTED (501) when it attaches none, INVALID past its max_volumes. */
int unik_provider_check_volumes(const struct unik_provider *p, size_t n, struct unik_err *err);
/* The disk format p attaches volumes in: for a read-only one the value of
 * "<p>.volume_format" in cfg when p takes it, else (and for read-write
 * ones, which are always the raw master) "raw" when p takes raw, else its
 * first.  NULL when p attaches no volumes; with err INVALID when cfg names
 * a format p does not take. */
const char *unik_provider_volume_format(const struct unik_provider *p,
					const struct unik_config *cfg, int read_only,
					struct unik_err *err);

#endif
