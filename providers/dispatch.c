/* dispatch.c - the daemon's calls into providers (see dispatch.h). */
#include "dispatch.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* in the order of enum unik_provider_op */
static const char *const op_names[] = { "check",	 "probe",   "start",	"stop",
					"collect",	 "remove",  "status",	"attach_volume",
					"detach_volume", "publish", "unpublish" };
_Static_assert(sizeof(op_names) / sizeof(op_names[0]) == UNIK_OP_UNPUBLISH + 1, "every op named");

const char *unik_provider_op_name(enum unik_provider_op op)
{
	if ((size_t)op < sizeof(op_names) / sizeof(op_names[0]) && op_names[op])
		return op_names[op];
	return "?";
}

int unik_provider_has(const struct unik_provider *p, enum unik_provider_op op)
{
	if (!p)
		return 0;
	switch (op) {
	case UNIK_OP_CHECK: return p->check != NULL;
	case UNIK_OP_PROBE: return p->probe != NULL;
	case UNIK_OP_START: return p->start != NULL;
	case UNIK_OP_STOP: return p->stop != NULL;
	case UNIK_OP_COLLECT: return p->collect != NULL;
	case UNIK_OP_REMOVE: return p->remove != NULL;
	case UNIK_OP_STATUS: return p->status != NULL;
	case UNIK_OP_ATTACH_VOLUME: return p->attach_volume != NULL;
	case UNIK_OP_DETACH_VOLUME: return p->detach_volume != NULL;
	case UNIK_OP_PUBLISH: return p->publish != NULL;
	case UNIK_OP_UNPUBLISH: return p->unpublish != NULL;
	}
	return 0;
}

int unik_provider_require(const struct unik_provider *p, enum unik_provider_op op,
			  struct unik_err *err)
{
	if (unik_provider_has(p, op))
		return 0;
	return unik_err_set(err, UNIK_E_UNSUPPORTED,
			    "provider '%s' does not support the operation '%s'", p ? p->name : "?",
			    unik_provider_op_name(op));
}

const struct unik_provider *unik_provider_find(const char *name)
{
	for (size_t i = 0; name && unik_providers[i]; i++) {
		const struct unik_provider *p = unik_providers[i];

		if (!strcmp(p->name, name))
			return p;
		for (size_t a = 0; p->aliases && p->aliases[a]; a++)
			if (!strcmp(p->aliases[a], name))
				return p;
	}
	return NULL;
}

int unik_provider_accepts(const struct unik_provider *p, const char *format)
{
	for (size_t i = 0; p && format && p->formats && p->formats[i]; i++)
		if (!strcmp(p->formats[i], format))
			return 1;
	return 0;
}

int unik_provider_networks(const struct unik_provider *p, enum unik_net_mode mode)
{
	return p && mode != UNIK_NET_NONE && (p->net_modes & UNIK_NET_MODE_BIT(mode));
}

unsigned unik_provider_caps(const struct unik_provider *p)
{
	unsigned caps = 0;

	if (unik_provider_has(p, UNIK_OP_START))
		caps |= UNIK_CAP_RUN | UNIK_CAP_RESTART;
	if (unik_provider_has(p, UNIK_OP_STOP))
		caps |= UNIK_CAP_STOP;
	if (p && p->console_log)
		caps |= UNIK_CAP_LOGS;
	if (unik_provider_has(p, UNIK_OP_COLLECT))
		caps |= UNIK_CAP_EXIT_CODE;
	if (unik_provider_networks(p, UNIK_NET_TAP) || unik_provider_networks(p, UNIK_NET_BRIDGE))
		caps |= UNIK_CAP_NETWORK;
	if (unik_provider_networks(p, UNIK_NET_USER))
		caps |= UNIK_CAP_USERNET;
	if (p && p->volume_formats && p->volume_formats[0])
		caps |= UNIK_CAP_VOLUMES;
	if (unik_provider_has(p, UNIK_OP_ATTACH_VOLUME) &&
	    unik_provider_has(p, UNIK_OP_DETACH_VOLUME) && (caps & UNIK_CAP_VOLUMES))
		caps |= UNIK_CAP_VOLUME_HOTPLUG;
	if (unik_provider_has(p, UNIK_OP_PUBLISH))
		caps |= UNIK_CAP_PUBLISH;
	if (p && p->console_input)
		caps |= UNIK_CAP_STDIN;
	return caps;
}

size_t unik_provider_auto_order(const char *format, const struct unik_provider **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; unik_providers[i] && n < max; i++) {
		const struct unik_provider *p = unik_providers[i];
		size_t at = n;

		if (p->auto_priority <= 0 || (format && !unik_provider_accepts(p, format)))
			continue;
		for (; at > 0 && out[at - 1]->auto_priority < p->auto_priority; at--)
			out[at] = out[at - 1];
		out[at] = p;
		n++;
	}
	return n;
}

const struct unik_provider *unik_provider_auto(const struct unik_config *cfg, const char *format,
					       struct unik_err *err)
{
	const struct unik_provider *order[64];
	size_t n = unik_provider_auto_order(format, order, sizeof(order) / sizeof(order[0]));

	for (size_t i = 0; i < n; i++)
		if (provider_probe(order[i], cfg, NULL) == 0)
			return order[i];
	unik_err_set(err, UNIK_E_UNAVAILABLE,
		     "no usable provider here boots images of format '%s' (see 'unik providers')",
		     format ? format : "?");
	return NULL;
}

const char *unik_provider_default_accel(const struct unik_provider *p,
					const struct unik_config *cfg)
{
	if (!p || !p->accel_key || !cfg)
		return "auto";
	return unik_config_get(cfg, p->accel_key, "auto");
}

int unik_providers_check_memory(long long mb, struct unik_err *err)
{
	int lo = 0, hi = 0;

	for (size_t i = 0; unik_providers[i]; i++) {
		const struct unik_provider *p = unik_providers[i];

		if (p->min_memory_mb && (!lo || p->min_memory_mb < lo))
			lo = p->min_memory_mb;
		if (p->max_memory_mb > hi)
			hi = p->max_memory_mb;
	}
	if (mb >= lo && mb <= hi)
		return 0;
	return unik_err_set(err, UNIK_E_INVALID,
			    "memory %lld MB is out of range: providers boot %d..%d MB", mb, lo, hi);
}

int provider_probe(const struct unik_provider *p, const struct unik_config *cfg,
		   struct unik_err *err)
{
	return p->probe ? p->probe(cfg, err) : 0;
}

int provider_check(const struct unik_provider *p, const struct unik_run_spec *spec,
		   struct unik_err *err)
{
	return p->check ? p->check(spec, err) : 0;
}

int provider_start(const struct unik_provider *p, const struct unik_run_spec *spec,
		   struct unik_vm *vm, struct unik_err *err)
{
	if (unik_provider_require(p, UNIK_OP_START, err))
		return -1;
	return p->start(spec, vm, err);
}

int provider_stop(const struct unik_provider *p, const struct unik_run_spec *spec, pid_t pid,
		  int timeout_s, struct unik_err *err)
{
	if (unik_provider_require(p, UNIK_OP_STOP, err))
		return -1;
	return p->stop(spec, pid, timeout_s, err);
}

int provider_status(const struct unik_provider *p, const struct unik_run_spec *spec,
		    enum unik_vm_state *state, pid_t *pid, struct unik_err *err)
{
	*pid = 0;
	if (unik_provider_require(p, UNIK_OP_STATUS, err))
		return -1;
	return p->status(spec, state, pid, err);
}

int provider_collect(const struct unik_provider *p, const struct unik_run_spec *spec,
		     int wait_status, struct unik_exit *out)
{
	struct unik_err err = UNIK_ERR_INIT;

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	if (p && p->collect) {
		if (p->collect(spec, wait_status, out, &err))
			snprintf(out->message, sizeof(out->message), "%s", err.msg);
	} else if (wait_status >= 0 && WIFEXITED(wait_status)) {
		out->exit_code = WEXITSTATUS(wait_status);
	}
	return 0;
}

int provider_remove(const struct unik_provider *p, const struct unik_run_spec *spec,
		    struct unik_err *err)
{
	return p->remove ? p->remove(spec, err) : 0;
}

int provider_attach_volume(const struct unik_provider *p, const struct unik_run_spec *spec,
			   pid_t pid, const struct unik_volume_spec *vol, struct unik_err *err)
{
	if (unik_provider_require(p, UNIK_OP_ATTACH_VOLUME, err))
		return -1;
	return p->attach_volume(spec, pid, vol, err);
}

int provider_detach_volume(const struct unik_provider *p, const struct unik_run_spec *spec,
			   pid_t pid, const struct unik_volume_spec *vol, struct unik_err *err)
{
	if (unik_provider_require(p, UNIK_OP_DETACH_VOLUME, err))
		return -1;
	return p->detach_volume(spec, pid, vol, err);
}

int provider_publish(const struct unik_provider *p, const struct unik_publish_spec *spec, char *ref,
		     size_t ref_size, struct unik_err *err)
{
	if (unik_provider_require(p, UNIK_OP_PUBLISH, err))
		return -1;
	ref[0] = '\0';
	if (p->publish(spec, ref, ref_size, err))
		return -1;
	ref[ref_size - 1] = '\0';
	for (const char *c = ref; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return unik_err_set(
			    err, UNIK_E_INTERNAL,
			    "provider '%s' published a reference that is not printable", p->name);
	if (!ref[0])
		return unik_err_set(err, UNIK_E_INTERNAL, "provider '%s' published no reference",
				    p->name);
	return 0;
}

int provider_unpublish(const struct unik_provider *p, const struct unik_publish_spec *spec,
		       const char *ref, struct unik_err *err)
{
	return p->unpublish ? p->unpublish(spec, ref, err) : 0;
}

int unik_provider_check_volumes(const struct unik_provider *p, size_t n, struct unik_err *err)
{
	if (n == 0)
		return 0;
	if (!(unik_provider_caps(p) & UNIK_CAP_VOLUMES))
		return unik_err_set(err, UNIK_E_UNSUPPORTED,
				    "provider '%s' does not support volumes", p ? p->name : "?");
	if (p->max_volumes > 0 && n > (size_t)p->max_volumes)
		return unik_err_set(err, UNIK_E_INVALID,
				    "%zu volumes: provider '%s' attaches at most %d to an instance",
				    n, p->name, p->max_volumes);
	return 0;
}

static int takes_format(const struct unik_provider *p, const char *format)
{
	for (size_t i = 0; p->volume_formats && p->volume_formats[i]; i++)
		if (!strcmp(p->volume_formats[i], format))
			return 1;
	return 0;
}

const char *unik_provider_volume_format(const struct unik_provider *p,
					const struct unik_config *cfg, int read_only,
					struct unik_err *err)
{
	char key[64];
	const char *chosen;

	if (!p || !p->volume_formats || !p->volume_formats[0]) {
		unik_err_set(err, UNIK_E_UNSUPPORTED, "provider '%s' does not support volumes",
			     p ? p->name : "?");
		return NULL;
	}
	snprintf(key, sizeof(key), "%s.volume_format", p->name);
	chosen = cfg ? unik_config_get(cfg, key, NULL) : NULL;
	if (chosen && !takes_format(p, chosen)) {
		unik_err_set(err, UNIK_E_INVALID, "%s = %s: provider '%s' does not take it", key,
			     chosen, p->name);
		return NULL;
	}
	if (read_only && chosen)
		return chosen;
	return takes_format(p, "raw") ? "raw" : p->volume_formats[0];
}
