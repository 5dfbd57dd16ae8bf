/* guest.c - the guest contract shared by the VM providers (see guest.h). */
#include "guest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "../../api/formats.h"
#include "../../lib/bootargs.h"
#include "../../lib/fsutil.h"

#define DEFAULT_TSC_KHZ 2000000L

/* Quiet console, no reboot loops, a reboot that ends QEMU (-no-reboot). */
static const char linux_words[] = "console=ttyS0 quiet loglevel=0 edd=off panic=-1 reboot=t";

/* The host's TSC rate in kHz, from /proc/cpuinfo.  Under TCG the guest's TSC
 * runs at the host's rate, but Linux cannot calibrate it against the PIT there
 * and hangs: it is given this rate. */
static long host_tsc_khz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];
	long khz = DEFAULT_TSC_KHZ;

	if (!f)
		return khz;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		double mhz;

		if (strncmp(line, "cpu MHz", 7) || !colon)
			continue;
		mhz = strtod(colon + 1, NULL);
		if (mhz > 100.0)
			khz = (long)(mhz * 1000.0);
		break;
	}
	fclose(f);
	return khz;
}

int guest_cmdline(const struct unik_run_spec *spec, int tsc, const char *extra, int with_id,
		  struct strbuf *out, struct unik_err *err)
{
	static const struct strv none = STRV_INIT;
	struct strbuf cmd = STRBUF_INIT;
	const char *s;
	int rc = 0;

	if (spec->format && !strcmp(spec->format, UNIK_FORMAT_LINUX_INITRD)) {
		strbuf_adds(&cmd, linux_words);
		if (tsc)
			strbuf_addf(&cmd, " tsc_early_khz=%ld", host_tsc_khz());
	}
	if (extra && *extra)
		strbuf_addf(&cmd, " %s", extra); /* e.g. loglevel=7 to debug a boot */
	if (spec->format && !strcmp(spec->format, UNIK_FORMAT_UNIK_ELF)) /* Linux has loglevel= */
		bootargs_diag(&cmd, spec->verbose, spec->trace);
	bootargs_append(&cmd, spec->args ? spec->args : &none, spec->env ? spec->env : &none);
	guest_net_words(spec->net, &cmd);
	guest_mount_words(spec, &cmd);
	if (with_id) {
		/* guests ignore it; it names the instance on the VM's command line */
		strbuf_adds(&cmd, " " UNIK_BOOT_ID);
		bootargs_encode(&cmd, spec->id ? spec->id : "");
	}
	for (s = strbuf_str(&cmd); *s == ' '; s++)
		;
	if (strlen(s) >= GUEST_CMDLINE_MAX)
		rc = unik_err_set(err, UNIK_E_INVALID,
				  "arguments and environment take %zu bytes on the kernel "
				  "command line; the limit is %d",
				  strlen(s), GUEST_CMDLINE_MAX - 1);
	else
		strbuf_adds(out, s);
	strbuf_release(&cmd);
	return rc;
}

void guest_net_words(const struct unik_net_spec *net, struct strbuf *out)
{
	if (!net || net->mode == UNIK_NET_NONE || !net->address || !net->gateway)
		return;
	strbuf_addf(out, " " UNIK_BOOT_IP "%s/%d " UNIK_BOOT_GW "%s", net->address, net->prefix,
		    net->gateway);
	if (net->dns && *net->dns)
		strbuf_addf(out, " " UNIK_BOOT_DNS "%s", net->dns);
}

void guest_mount_words(const struct unik_run_spec *spec, struct strbuf *out)
{
	for (size_t i = 0; spec->volumes && i < spec->n_volumes; i++) {
		const struct unik_volume_spec *v = &spec->volumes[i];
		struct strbuf word = STRBUF_INIT;

		strbuf_addf(&word, "%zu:%s:%s:%s", i + (size_t)spec->disk_base, v->path, v->fstype,
			    v->read_only ? "ro" : "rw");
		strbuf_adds(out, " " UNIK_BOOT_MOUNT);
		bootargs_encode(out, strbuf_str(&word));
		strbuf_release(&word);
	}
}

int guest_check_image(const struct unik_run_spec *spec, const char *provider, struct unik_err *err)
{
	int is_linux = spec->format && !strcmp(spec->format, UNIK_FORMAT_LINUX_INITRD);
	int is_elf = spec->format && !strcmp(spec->format, UNIK_FORMAT_UNIK_ELF);

	if (!is_linux && !is_elf)
		return unik_err_set(err, UNIK_E_UNSUPPORTED, "%s cannot boot images of format '%s'",
				    provider, spec->format ? spec->format : "(none)");
	if (!spec->kernel || (is_linux && !spec->initrd))
		return unik_err_set(err, UNIK_E_INVALID, "image of format '%s' lacks its %s",
				    spec->format, spec->kernel ? "initrd" : "kernel");
	/* QEMU loads the image at 1 MiB: with less RAM the guest never starts */
	if (spec->memory_mb > 0 && spec->memory_mb < GUEST_MIN_MEMORY_MB)
		return unik_err_set(err, UNIK_E_INVALID,
				    "%s needs at least %d MB of guest memory (asked: %d MB): the "
				    "image is loaded at 1 MiB",
				    provider, GUEST_MIN_MEMORY_MB, spec->memory_mb);
	return 0;
}

int guest_check_memory(const struct unik_run_spec *spec, const char *provider, struct unik_err *err)
{
	struct sysinfo si;
	unsigned long long host_mb;

	if (sysinfo(&si) < 0)
		return 0; /* cannot tell: QEMU will */
	host_mb = ((unsigned long long)si.totalram + si.totalswap) * si.mem_unit >> 20;
	if (spec->memory_mb > 0 && (unsigned long long)spec->memory_mb > host_mb)
		return unik_err_set(err, UNIK_E_INVALID,
				    "memory %d MB is more than this host's RAM and swap (%llu MB): "
				    "%s could not allocate it",
				    spec->memory_mb, host_mb, provider);
	return 0;
}

int guest_status_read(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	const char *s, *last = NULL;
	int code = -1;

	if (fs_read_file(path, &sb, NULL) < 0)
		goto cleanup;
	for (s = strbuf_str(&sb); (s = strstr(s, GUEST_STATUS_KEY)); s += strlen(GUEST_STATUS_KEY))
		last = s + strlen(GUEST_STATUS_KEY);
	if (last) {
		char *end;
		long v = strtol(last, &end, 10);

		if (end != last && v >= 0 && v <= 255)
			code = (int)v;
	}
cleanup:
	strbuf_release(&sb);
	return code;
}

void guest_tail_line(const char *text, size_t len, size_t max, struct strbuf *out)
{
	const char *s;

	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	if (!len)
		return;
	s = len > max ? text + len - max : text;
	if (s != text) {
		const char *nl = memchr(s, '\n', (size_t)(text + len - s));

		if (nl)
			s = nl + 1;
	}
	for (; s < text + len; s++)
		strbuf_addch(out, *s == '\n' ? ';' : *s);
}
