/* domain_xml.c - the libvirt domain definition of an instance, and the
 * guest's kernel command line.
 *
 * Machine: microvm with <features><acpi/></features> for Linux guests
 * (without it libvirt passes -no-acpi and the power button, our graceful
 * stop, is gone); unik-elf guests go without ACPI, because only then does
 * QEMU put the virtio_mmio.device= words on the kernel command line that
 * tell the runtime where its NIC is.  No USB controller and no balloon
 * (microvm has no PCI bus for them); the NIC on microvm must say
 * <address type='virtio-mmio'/> or libvirt wants a PCI bus for it too.
 * Machine pc uses qboot instead of SeaBIOS when given (SeaBIOS takes
 * seconds nested); its NIC is a virtio-net-pci.
 * Console: the first 16550 into the instance log, appended.  Status: the
 * second 16550 (0x2f8, irq 3; the guest's ttyS1) into the file `status`.
 * qemu runs as root without relabelling (a static DAC label): it reads the
 * image from the daemon's blob store and libvirt opens the serial files
 * under the daemon's state folder, which the libvirt-qemu user cannot reach.
 */
#include "libvirt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/bootargs.h"
#include "../common/guest.h"

#define DEFAULT_MEMORY_MB 128

void lv_xml_escape(struct strbuf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': strbuf_adds(out, "&amp;"); break;
		case '<': strbuf_adds(out, "&lt;"); break;
		case '>': strbuf_adds(out, "&gt;"); break;
		case '\'': strbuf_adds(out, "&apos;"); break;
		case '"': strbuf_adds(out, "&quot;"); break;
		default: strbuf_addch(out, *s);
		}
	}
}

/* Appends `open`, the escaped value and `close`. */
static void add_elem(struct strbuf *out, const char *open, const char *value, const char *close)
{
	strbuf_adds(out, open);
	lv_xml_escape(out, value);
	strbuf_adds(out, close);
}

static void add_serial(struct strbuf *out, const char *path, int port, int append)
{
	add_elem(out, "    <serial type='file'>\n      <source path='", path, "'");
	strbuf_addf(out, "%s/>\n      <target type='isa-serial' port='%d'/>\n    </serial>\n",
		    append ? " append='on'" : "", port);
}

int lv_uuid_from_id(const char *id, char out[37])
{
	size_t o = 0;

	for (size_t i = 0; i < 32; i++) {
		if (!id || !isxdigit((unsigned char)id[i]))
			return -1;
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[o++] = '-';
		out[o++] = (char)tolower((unsigned char)id[i]);
	}
	out[o] = '\0';
	return 0;
}

/* The volumes' disks: virtio, named vda, vdb, ... in disk order (libvirt
 * gives them their transports or PCI slots in that order); I/O errors go to
 * the guest rather than pausing it. */
static void add_disks(const struct lv_domain_def *def, int is_microvm, struct strbuf *out)
{
	for (size_t i = 0; def->disks && i < def->n_disks && i < 26; i++) {
		const struct unik_volume_spec *v = &def->disks[i];

		add_elem(out,
			 "    <disk type='file' device='disk'>\n      <driver name='qemu' type='",
			 v->format,
			 "' cache='writeback' error_policy='report' "
			 "rerror_policy='report'/>\n");
		add_elem(out, "      <source file='", v->disk, "'/>\n");
		strbuf_addf(out, "      <target dev='vd%c' bus='virtio'/>\n", (char)('a' + i));
		if (v->read_only)
			strbuf_adds(out, "      <readonly/>\n");
		if (is_microvm)
			strbuf_adds(out, "      <address type='virtio-mmio'/>\n");
		strbuf_adds(out, "    </disk>\n");
	}
}

void lv_domain_xml(const struct lv_domain_def *def, struct strbuf *out)
{
	char uuid[37];

	int is_kvm = !strcmp(def->virt_type, "kvm");
	int is_microvm = !strcmp(def->machine, "microvm");

	strbuf_addf(out, "<domain type='%s'%s>\n", is_kvm ? "kvm" : "qemu",
		    def->debug_exit ? " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"
				    : "");
	add_elem(out, "  <name>", def->name, "</name>\n");
	/* stable across redefinitions: libvirt refuses a new uuid for a known name */
	if (lv_uuid_from_id(def->id, uuid) == 0)
		strbuf_addf(out, "  <uuid>%s</uuid>\n", uuid);
	add_elem(out, "  <description>unik instance ", def->instance,
		 " (managed by unikd: use unik start/stop/rm)</description>\n");
	add_elem(out, "  <metadata>\n    <" LV_NS_PREFIX ":instance xmlns:" LV_NS_PREFIX "='",
		 LV_NS_URI, "'");
	add_elem(out, " id='", def->id, "'");
	add_elem(out, " name='", def->instance, "'/>\n  </metadata>\n");
	strbuf_addf(out, "  <memory unit='MiB'>%d</memory>\n",
		    def->memory_mb > 0 ? def->memory_mb : DEFAULT_MEMORY_MB);
	strbuf_adds(out, "  <vcpu>1</vcpu>\n");
	add_elem(out, "  <os>\n    <type arch='x86_64' machine='", def->machine, "'>hvm</type>\n");
	if (def->firmware)
		add_elem(out, "    <loader type='rom'>", def->firmware, "</loader>\n");
	add_elem(out, "    <kernel>", def->kernel, "</kernel>\n");
	if (def->initrd)
		add_elem(out, "    <initrd>", def->initrd, "</initrd>\n");
	add_elem(out, "    <cmdline>", def->cmdline, "</cmdline>\n  </os>\n");
	if (def->acpi)
		strbuf_adds(out, "  <features>\n    <acpi/>\n  </features>\n");
	/* -cpu host aborts on kvm_pvm (MSR 0x10a): host-passthrough minus
	 * arch-capabilities; TCG keeps qemu64 */
	if (is_kvm)
		strbuf_adds(out, "  <cpu mode='host-passthrough' check='none'>\n"
				 "    <feature policy='disable' name='arch-capabilities'/>\n"
				 "  </cpu>\n");
	strbuf_adds(out, "  <clock offset='utc'/>\n"
			 "  <on_poweroff>destroy</on_poweroff>\n"
			 "  <on_reboot>destroy</on_reboot>\n"
			 "  <on_crash>destroy</on_crash>\n"
			 "  <devices>\n");
	if (def->emulator)
		add_elem(out, "    <emulator>", def->emulator, "</emulator>\n");
	add_serial(out, def->console_path, 0, 1);
	add_serial(out, def->status_path, 1, 0);
	if (is_microvm)
		strbuf_adds(out, "    <controller type='usb' model='none'/>\n");
	add_disks(def, is_microvm, out);
	if (def->net_tap) {
		/* the daemon's tap, on its bridge: libvirt opens it and leaves it be */
		add_elem(out, "    <interface type='ethernet'>\n      <mac address='", def->net_mac,
			 "'/>\n");
		add_elem(out, "      <target dev='", def->net_tap, "' managed='no'/>\n");
		strbuf_adds(out, "      <model type='virtio'/>\n");
		if (is_microvm)
			strbuf_adds(out, "      <address type='virtio-mmio'/>\n");
		strbuf_adds(out, "    </interface>\n");
	}
	strbuf_adds(out, "    <memballoon model='none'/>\n  </devices>\n");
	strbuf_adds(out, "  <seclabel type='static' model='dac' relabel='no'>\n"
			 "    <label>+0:+0</label>\n  </seclabel>\n");
	/* unik-elf guests end through isa-debug-exit, which libvirt cannot
	 * express: qemu's own arguments (libvirt marks the domain tainted) */
	if (def->debug_exit)
		strbuf_adds(out, "  <qemu:commandline>\n"
				 "    <qemu:arg value='-device'/>\n"
				 "    <qemu:arg value='isa-debug-exit,iobase=0xf4,iosize=0x04'/>\n"
				 "  </qemu:commandline>\n");
	strbuf_adds(out, "</domain>\n");
}

int lv_metadata_id(const char *xml, struct strbuf *id)
{
	const char *s = xml;

	/* an attribute named exactly "id", quoted either way */
	while (s && (s = strstr(s, "id=")) != NULL) {
		char quote = s[3];
		const char *end;

		if ((s == xml || (s[-1] != ' ' && s[-1] != '\t' && s[-1] != '\n')) ||
		    (quote != '"' && quote != '\'')) {
			s += 3;
			continue;
		}
		end = strchr(s + 4, quote);
		if (!end || end == s + 4)
			return -1;
		strbuf_add(id, s + 4, (size_t)(end - (s + 4)));
		return 0;
	}
	return -1;
}

int lv_kernel_cmdline(const struct unik_run_spec *spec, const char *virt_type, struct strbuf *out,
		      struct unik_err *err)
{
	const char *extra = spec->cfg ? unik_config_get(spec->cfg, "libvirt.kernel_args", "") : "";

	return guest_cmdline(spec, !strcmp(virt_type, "qemu"), extra, 1, out, err);
}
