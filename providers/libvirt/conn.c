/* conn.c - the connection to libvirt, its errors, finding our domains and
 * their qemu processes, and libvirt's per-domain qemu log.
 *
 * Every operation opens its own connection: the daemon calls providers
 * from several threads and seldom, and a connection per call survives a
 * libvirtd restart without any reconnect logic.
 */
#include "libvirt.h"
#include "../common/guest.h"
#include "../common/process.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "../../lib/fsutil.h"
#include "../../lib/xalloc.h"

#define START_MARK "starting up libvirt version"

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

/* libvirt prints every error on stderr unless told otherwise. */
static void quiet_error(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

static void quiet_init(void)
{
	virInitialize();
	virSetErrorFunc(NULL, quiet_error);
}

int lv_err(struct unik_err *err, int code, const char *fmt, ...)
{
	const char *why = virGetLastErrorMessage();
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return unik_err_set(err, (enum unik_errcode)code, "%s: %s", msg,
			    why && *why ? why : "unknown libvirt error");
}

const char *lv_uri(const struct unik_config *cfg)
{
	const char *uri = cfg ? unik_config_get(cfg, "libvirt.uri", NULL) : NULL;

	return uri && *uri ? uri : LV_DEFAULT_URI;
}

int lv_connect(const struct unik_config *cfg, virConnectPtr *out, struct unik_err *err)
{
	const char *uri = lv_uri(cfg);

	pthread_once(&quiet_once, quiet_init);
	*out = virConnectOpen(uri);
	if (*out)
		return 0;
	return lv_err(err, UNIK_E_UNAVAILABLE,
		      "cannot connect to libvirt at %s (is libvirtd running? "
		      "scripts/libvirtd-ctl start; or set libvirt.uri)",
		      uri);
}

char *lv_domain_name(const char *name)
{
	return xasprintf(LV_NAME_PREFIX "%s", name ? name : "");
}

int lv_domain_lookup(virConnectPtr conn, const struct unik_run_spec *spec, virDomainPtr *dom,
		     enum lv_owner *owner, struct unik_err *err)
{
	char *name = lv_domain_name(spec->name);
	struct strbuf id = STRBUF_INIT;
	virDomainPtr d;
	char *meta = NULL;
	int rc = -1;

	*dom = NULL;
	*owner = LV_NONE;
	d = virDomainLookupByName(conn, name);
	if (!d) {
		virErrorPtr e = virGetLastError();

		if (e && e->code == VIR_ERR_NO_DOMAIN)
			rc = 0;
		else
			lv_err(err, UNIK_E_INTERNAL, "cannot look up domain %s", name);
		goto cleanup;
	}
	meta = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, LV_NS_URI, 0);
	if (!meta) {
		virErrorPtr e = virGetLastError();

		if (!e || e->code != VIR_ERR_NO_DOMAIN_METADATA) {
			lv_err(err, UNIK_E_INTERNAL, "cannot read the metadata of domain %s", name);
			goto cleanup;
		}
	}
	rc = 0;
	if (meta && spec->id && lv_metadata_id(meta, &id) == 0 &&
	    !strcmp(strbuf_str(&id), spec->id)) {
		*owner = LV_OURS;
		*dom = d;
		d = NULL;
	} else {
		*owner = LV_FOREIGN;
	}
cleanup:
	if (d)
		virDomainFree(d);
	free(meta);
	free(name);
	strbuf_release(&id);
	return rc;
}

int lv_file_contains(const char *path, const char *needle)
{
	struct strbuf sb = STRBUF_INIT;
	int found = fs_read_file(path, &sb, NULL) == 0 && strstr(strbuf_str(&sb), needle);

	strbuf_release(&sb);
	return found;
}

int lv_pid_is_instance(pid_t pid, const char *id)
{
	char *needle = xasprintf(UNIK_BOOT_ID "%s", id);
	int ours = proc_cmdline_has(pid, needle);

	free(needle);
	return ours;
}

/* The pid in libvirt's pid file of domain `name`, or 0. */
static pid_t pid_from_file(const struct unik_config *cfg, const char *name)
{
	const char *dir =
	    cfg ? unik_config_get(cfg, "libvirt.run_dir", LV_DEFAULT_RUN_DIR) : LV_DEFAULT_RUN_DIR;
	char *path = xasprintf("%s/%s.pid", dir, name);
	struct strbuf sb = STRBUF_INIT;
	pid_t pid = 0;

	if (fs_read_file(path, &sb, NULL) == 0) {
		char *end;
		long v = strtol(strbuf_str(&sb), &end, 10);

		if (end != strbuf_str(&sb) && v > 0)
			pid = (pid_t)v;
	}
	strbuf_release(&sb);
	free(path);
	return pid;
}

pid_t lv_qemu_pid(const struct unik_config *cfg, const char *name, const char *id)
{
	pid_t pid = pid_from_file(cfg, name);
	DIR *proc;
	struct dirent *de;

	if (pid > 0 && lv_pid_is_instance(pid, id))
		return pid;
	/* other URIs keep their pid files elsewhere: look at every process */
	pid = 0;
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (!pid && (de = readdir(proc)) != NULL) {
		char *end;
		long v;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		v = strtol(de->d_name, &end, 10);
		if (*end == '\0' && v > 0 && lv_pid_is_instance((pid_t)v, id))
			pid = (pid_t)v;
	}
	closedir(proc);
	return pid;
}

/* libvirt's log of the last start of `name`, into `out`. */
static void qemu_log_last_start(const struct unik_config *cfg, const char *name, struct strbuf *out)
{
	const char *dir =
	    cfg ? unik_config_get(cfg, "libvirt.log_dir", LV_DEFAULT_LOG_DIR) : LV_DEFAULT_LOG_DIR;
	char *path = xasprintf("%s/%s.log", dir, name);
	struct strbuf all = STRBUF_INIT;
	const char *s, *last = NULL;

	if (fs_read_file(path, &all, NULL) == 0) {
		for (s = strbuf_str(&all); (s = strstr(s, START_MARK)); s++)
			last = s;
		strbuf_adds(out, last ? last : strbuf_str(&all));
	}
	strbuf_release(&all);
	free(path);
}

int lv_qemu_log_contains(const struct unik_config *cfg, const char *name, const char *needle)
{
	struct strbuf sb = STRBUF_INIT;
	int found;

	qemu_log_last_start(cfg, name, &sb);
	found = strstr(strbuf_str(&sb), needle) != NULL;
	strbuf_release(&sb);
	return found;
}

void lv_qemu_log_tail(const struct unik_config *cfg, const char *name, size_t max,
		      struct strbuf *out)
{
	struct strbuf all = STRBUF_INIT;

	qemu_log_last_start(cfg, name, &all);
	guest_tail_line(all.buf ? all.buf : "", all.len, max, out);
	strbuf_release(&all);
}
