/* libvirt.h - internals of the "libvirt" provider (alias "kvm"), shared by
 * its files.
 *
 * Each instance is a persistent libvirt domain named "unik-<instance name>",
 * tagged as ours by a <metadata> element in our own namespace that holds
 * the instance id.  Domains without that tag, or with another instance's
 * id, are never touched.  The domain boots the image directly
 * (<os><kernel>/<initrd>/<cmdline>); the kernel command line carries
 * "unik.id=<id>", so the domain's qemu process names the instance on its
 * command line and the daemon can supervise and re-adopt it by pid.
 *
 * Files in the instance folder:
 *   status      the guest's second serial port: "unik-ready", "unik-exit-status=<n>"
 *   killed      written by stop() when it had to destroy the domain: the signal
 *   domain.xml  the definition given to libvirt at the last start (for people)
 * The console (first serial port) is appended to spec->log_path by libvirt.
 */
#ifndef UNIK_PROVIDER_LIBVIRT_H
#define UNIK_PROVIDER_LIBVIRT_H

#include <stddef.h>
#include <sys/types.h>

#include <libvirt/libvirt.h>

#include "../../lib/strbuf.h"
#include "../provider.h"

/* Our metadata namespace, its usual prefix, and the domain name prefix. */
#define LV_NS_URI "https://unik.dev/xmlns/libvirt/instance/1"
#define LV_NS_PREFIX "unik"
#define LV_NAME_PREFIX "unik-"
#define LV_DEFAULT_URI "qemu:///system"
#define LV_DEFAULT_LOG_DIR "/var/log/libvirt/qemu"
#define LV_DEFAULT_RUN_DIR "/run/libvirt/qemu"
#define LV_QBOOT_ROM "/usr/share/qemu/qboot.rom"
#define LV_ACCEL_KEY "qemu.accel" /* the accel of runs that name none, as for qemu */

/* Volumes: one virtio disk each (vda, vdb, ...).  microvm has 8 virtio-mmio
 * transports; the NIC takes one. */
#define LV_MAX_VOLUMES 6

/* What one domain definition is made of.  All strings borrowed. */
struct lv_domain_def {
	const char *name; /* domain name, "unik-<instance name>" */
	const char *id; /* instance id: metadata (and kernel command line) */
	const char *instance; /* instance name: metadata */
	const char *virt_type; /* "kvm" or "qemu" (TCG) */
	const char *machine; /* "microvm" or "pc" */
	const char *firmware; /* ROM for machine pc (qboot), or NULL for libvirt's */
	const char *emulator; /* qemu binary, or NULL for libvirt's default */
	const char *kernel;
	const char *initrd; /* or NULL */
	const char *cmdline;
	const char *console_path; /* first serial port, appended to */
	const char *status_path; /* second serial port */
	int memory_mb;
	int debug_exit; /* 1: add isa-debug-exit at 0xf4 (unik-elf guests) */
	int acpi; /* 1: ACPI (Linux guests: the power button); 0: -no-acpi */
	const char *net_tap; /* a NIC on this existing tap (the daemon's), or NULL */
	const char *net_mac; /* its MAC address, with net_tap */
	/* the volumes' disks, in disk order (vda first); only each one's
	 * disk, format and read_only are used */
	const struct unik_volume_spec *disks;
	size_t n_disks;
};

/* Appends the domain XML of `def` to `out`; every value is XML-escaped. */
void lv_domain_xml(const struct lv_domain_def *def, struct strbuf *out);

/* The domain uuid of instance `id`: its first 32 hex digits as
 * xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.  -1 if `id` does not start with 32
 * hex digits (the domain then gets a uuid from libvirt). */
int lv_uuid_from_id(const char *id, char out[37]);

/* Appends `s` with &, <, >, ' and " escaped for XML text and attributes. */
void lv_xml_escape(struct strbuf *out, const char *s);

/* Finds the instance id in our metadata element as libvirt returns it
 * (virDomainGetMetadata): appends it to `id` and returns 0, or -1 when the
 * element has no id attribute. */
int lv_metadata_id(const char *xml, struct strbuf *id);

/* The kernel command line of `spec` for `virt_type`: the guest's console
 * setup (linux-initrd), config libvirt.kernel_args, the program's arguments
 * and environment (lib/bootargs.h), the network words of spec->net and
 * "unik.id=<id>".  -1 with err when it
 * exceeds the x86 limit of 2047 bytes. */
int lv_kernel_cmdline(const struct unik_run_spec *spec, const char *virt_type, struct strbuf *out,
		      struct unik_err *err);

/* Opens a connection to config libvirt.uri (default qemu:///system).  On
 * failure -1 with a UNIK_E_UNAVAILABLE err that names the URI, libvirt's
 * reason and how to start libvirtd. */
int lv_connect(const struct unik_config *cfg, virConnectPtr *out, struct unik_err *err);

/* The URI lv_connect() uses (borrowed from cfg, or the default). */
const char *lv_uri(const struct unik_config *cfg);

/* Fills err with `code`, the formatted message and libvirt's last error of
 * this thread; returns -1. */
int lv_err(struct unik_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The domain name of instance `name`, as a new string. */
char *lv_domain_name(const char *name);

enum lv_owner {
	LV_NONE, /* no domain of that name */
	LV_OURS, /* tagged with this instance's id */
	LV_FOREIGN, /* untagged, or another instance's */
};

/* Looks up the domain of `spec` and says whose it is.  For LV_OURS *dom
 * holds a new reference (virDomainFree it); else *dom is NULL.  -1 with err
 * when libvirt fails. */
int lv_domain_lookup(virConnectPtr conn, const struct unik_run_spec *spec, virDomainPtr *dom,
		     enum lv_owner *owner, struct unik_err *err);

/* The pid of the running qemu of domain `name` whose command line carries
 * "unik.id=<id>", from libvirt's pid file or else a scan of /proc; 0 when
 * none runs here. */
pid_t lv_qemu_pid(const struct unik_config *cfg, const char *name, const char *id);

/* 1 if process `pid` runs with "unik.id=<id>" on its command line. */
int lv_pid_is_instance(pid_t pid, const char *id);

/* 1 if `path` contains `needle`; 0 if not or unreadable. */
int lv_file_contains(const char *path, const char *needle);

/* Appends to `out` the end (at most `max` bytes, from a line start) of
 * libvirt's log of domain `name` for its last start, lines joined by ';'. */
void lv_qemu_log_tail(const struct unik_config *cfg, const char *name, size_t max,
		      struct strbuf *out);

/* 1 if libvirt's log of the last start of `name` contains `needle`. */
int lv_qemu_log_contains(const struct unik_config *cfg, const char *name, const char *needle);

extern const struct unik_provider unik_provider_libvirt; /* also named "kvm" */

#endif
