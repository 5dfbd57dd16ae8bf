/* t_libvirt_xml.c - the libvirt provider's domain XML, kernel command line
 * and metadata, and its lookup/status/stop/remove against libvirt's
 * in-memory test driver (test:///default; no libvirtd, no qemu). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "../../lib/config.h"
#include "../../lib/fsutil.h"
#include "../../lib/strbuf.h"
#include "../../lib/strv.h"
#include "../../lib/xalloc.h"
#include "../../providers/libvirt/libvirt.h"
#include "tap.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void escaping(void)
{
	struct strbuf sb = STRBUF_INIT;
	char uuid[37];

	lv_xml_escape(&sb, "a&b<c>'d\"e");
	is_str(strbuf_str(&sb), "a&amp;b&lt;c&gt;&apos;d&quot;e", "xml escape");
	strbuf_release(&sb);
	ok(lv_uuid_from_id(ID, uuid) == 0, "uuid from a hex id");
	is_str(uuid, "01234567-89ab-cdef-0123-456789abcdef", "uuid layout");
	ok(lv_uuid_from_id("not-hex", uuid) < 0, "no uuid from a non-hex id");
	ok(lv_uuid_from_id("0123", uuid) < 0, "no uuid from a short id");
}

static void metadata(void)
{
	struct strbuf id = STRBUF_INIT;

	ok(lv_metadata_id("<instance id=\"abc\" name=\"x\"/>", &id) == 0, "id in double quotes");
	is_str(strbuf_str(&id), "abc", "its value");
	strbuf_reset(&id);
	ok(lv_metadata_id("<instance uuid='u' id='def'/>", &id) == 0, "uuid= is not id=");
	is_str(strbuf_str(&id), "def", "its value");
	strbuf_reset(&id);
	ok(lv_metadata_id("<instance name='x'/>", &id) < 0, "no id attribute");
	ok(lv_metadata_id("<instance id=''/>", &id) < 0, "empty id");
	strbuf_release(&id);
}

static void cmdline(void)
{
	struct unik_config cfg;
	struct strv args = STRV_INIT, env = STRV_INIT;
	struct unik_run_spec spec = { .id = ID, .name = "x", .format = "unik-elf" };
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	char *big = xmalloc(3000);

	unik_config_init(&cfg);
	spec.cfg = &cfg;
	strv_push(&args, "a b");
	strv_push(&env, "K=V");
	spec.args = &args;
	spec.env = &env;
	ok(lv_kernel_cmdline(&spec, "qemu", &sb, &err) == 0, "unik-elf command line");
	is_str(strbuf_str(&sb), "unik.arg=a%20b unik.env=K%3DV unik.id=" ID,
	       "arguments, environment, then the instance id");
	strbuf_reset(&sb);
	spec.format = "linux-initrd";
	unik_config_set(&cfg, "libvirt.kernel_args", "loglevel=7");
	ok(lv_kernel_cmdline(&spec, "qemu", &sb, &err) == 0, "linux command line");
	ok(!strncmp(strbuf_str(&sb), "console=ttyS0 ", 14), "starts with the console");
	ok(strstr(strbuf_str(&sb), " tsc_early_khz=") != NULL, "tcg gets the tsc rate");
	ok(strstr(strbuf_str(&sb), " loglevel=7 unik.arg=") != NULL, "then kernel_args");
	strbuf_reset(&sb);
	ok(lv_kernel_cmdline(&spec, "kvm", &sb, &err) == 0, "linux under kvm");
	ok(strstr(strbuf_str(&sb), "tsc_early_khz") == NULL, "kvm needs no tsc rate");
	strbuf_reset(&sb);
	memset(big, 'x', 2999);
	big[2999] = '\0';
	strv_push(&args, big);
	ok(lv_kernel_cmdline(&spec, "kvm", &sb, &err) < 0, "too long a command line fails");
	is_int(err.code, UNIK_E_INVALID, "as invalid input");
	free(big);
	strbuf_release(&sb);
	strv_release(&args);
	strv_release(&env);
	unik_config_release(&cfg);
}

static void domain_xml(void)
{
	struct lv_domain_def def = {
		.name = "unik-x",
		.id = ID,
		.instance = "x",
		.virt_type = "kvm",
		.machine = "microvm",
		.kernel = "/k&1",
		.initrd = "/i",
		.cmdline = "a=<b>",
		.console_path = "/c.log",
		.status_path = "/status",
		.memory_mb = 64,
		.debug_exit = 1,
	};
	struct strbuf sb = STRBUF_INIT;
	const char *x;

	lv_domain_xml(&def, &sb);
	x = strbuf_str(&sb);
	ok(strstr(x, "<domain type='kvm'") != NULL, "kvm domain");
	ok(strstr(x, "<uuid>01234567-89ab-cdef-0123-456789abcdef</uuid>") != NULL, "its uuid");
	ok(strstr(x, "id='" ID "'") && strstr(x, LV_NS_URI), "tagged in our namespace");
	ok(strstr(x, "machine='microvm'") && !strstr(x, "<acpi/>"),
	   "microvm without acpi unless asked (unik-elf finds its NIC that way)");
	ok(strstr(x, "<kernel>/k&amp;1</kernel>") != NULL, "kernel path escaped");
	ok(strstr(x, "<cmdline>a=&lt;b&gt;</cmdline>") != NULL, "command line escaped");
	ok(strstr(x, "<memory unit='MiB'>64</memory>") != NULL, "memory");
	ok(strstr(x, "name='arch-capabilities'") != NULL, "kvm cpu drops arch-capabilities");
	ok(strstr(x, "port='1'") && strstr(x, "<source path='/status'/>"), "status serial");
	ok(strstr(x, "isa-debug-exit") != NULL, "unik-elf gets isa-debug-exit");
	ok(strstr(x, "<controller type='usb' model='none'/>") != NULL, "microvm has no usb");
	strbuf_reset(&sb);
	def.virt_type = "qemu";
	def.machine = "pc";
	def.firmware = LV_QBOOT_ROM;
	def.debug_exit = 0;
	def.initrd = NULL;
	lv_domain_xml(&def, &sb);
	x = strbuf_str(&sb);
	ok(strstr(x, "<domain type='qemu'>") != NULL, "tcg domain");
	ok(strstr(x, "<loader type='rom'>" LV_QBOOT_ROM "</loader>") != NULL, "pc with qboot");
	ok(!strstr(x, "<initrd>") && !strstr(x, "<cpu") && !strstr(x, "qemu:"),
	   "no initrd, cpu or qemu arguments when not asked");
	strbuf_reset(&sb);
	def.acpi = 1;
	lv_domain_xml(&def, &sb);
	ok(strstr(strbuf_str(&sb), "<acpi/>") != NULL, "acpi when asked (Linux: power button)");
	strbuf_release(&sb);
}

/* 1 if `what` is in the <disk> element that `at` points into. */
static int within(const char *at, const char *what)
{
	const char *end = strstr(at, "</disk>"), *hit = strstr(at, what);

	return end && hit && hit < end;
}

/* Volumes: one virtio disk each, vda first, in disk order. */
static void disks_xml(void)
{
	const struct unik_volume_spec vols[] = {
		{ "data", "/v/d&1.raw", "raw", "/data", "ext2", 0 },
		{ "cfg", "/v/c.qcow2", "qcow2", "/cfg", "ext4", 1 },
	};
	struct lv_domain_def def = {
		.name = "unik-x",
		.id = ID,
		.instance = "x",
		.virt_type = "kvm",
		.machine = "microvm",
		.kernel = "/k",
		.console_path = "/c.log",
		.status_path = "/status",
		.memory_mb = 64,
		.disks = vols,
		.n_disks = 2,
	};
	struct strbuf sb = STRBUF_INIT;
	const char *x, *a, *b;

	lv_domain_xml(&def, &sb);
	x = strbuf_str(&sb);
	a = strstr(x, "<source file='/v/d&amp;1.raw'/>");
	b = strstr(x, "<source file='/v/c.qcow2'/>");
	ok(a && b && a < b, "a disk per volume, in disk order, paths escaped");
	ok(strstr(x, "type='raw' cache='writeback' error_policy='report'") &&
	       strstr(x, "type='qcow2' cache='writeback'"),
	   "each in its format, errors reported to the guest");
	ok(strstr(x, "<target dev='vda' bus='virtio'/>") &&
	       strstr(x, "<target dev='vdb' bus='virtio'/>"),
	   "vda, vdb on virtio");
	ok(a && b && within(b, "<readonly/>"), "the read-only one is <readonly/>");
	ok(a && !within(a, "<readonly/>"), "the read-write one is not");
	ok(strstr(x, "<address type='virtio-mmio'/>") != NULL, "on virtio-mmio for microvm");
	strbuf_reset(&sb);
	def.machine = "pc";
	lv_domain_xml(&def, &sb);
	ok(!strstr(strbuf_str(&sb), "virtio-mmio"), "libvirt picks the PCI slots on pc");
	strbuf_reset(&sb);
	def.n_disks = 0;
	lv_domain_xml(&def, &sb);
	ok(!strstr(strbuf_str(&sb), "<disk"), "no volumes, no disks");
	strbuf_release(&sb);
}

/* The provider's operations against the test driver.  Its state lives as
 * long as one connection to test:///default is open: `keep` holds it. */
static void test_driver(void)
{
	const struct unik_provider *p = &unik_provider_libvirt;
	struct unik_config cfg;
	struct unik_err err = UNIK_ERR_INIT;
	char dir[] = "/tmp/t_libvirt.XXXXXX";
	struct unik_run_spec spec = { .id = ID, .name = "t1", .format = "linux-initrd" };
	struct lv_domain_def def = {
		.name = "unik-t1",
		.id = ID,
		.instance = "t1",
		.virt_type = "qemu",
		.machine = "pc",
		.kernel = "/nonexistent/kernel",
		.cmdline = "",
		.console_path = "/nonexistent/console",
		.status_path = "/nonexistent/status",
	};
	struct strbuf xml = STRBUF_INIT;
	virConnectPtr keep;
	virDomainPtr d = NULL, found = NULL;
	enum unik_vm_state st = UNIK_VM_RUNNING;
	enum lv_owner owner;
	struct unik_exit ex;
	pid_t pid = -1;

	unik_config_init(&cfg);
	unik_config_set(&cfg, "libvirt.uri", "test:///default");
	spec.cfg = &cfg;
	ok(mkdtemp(dir) != NULL, "temporary folder");
	spec.dir = dir;
	ok(p->probe(&cfg, &err) == 0, "probe: test:///default answers (%s)", err.msg);
	ok(lv_connect(&cfg, &keep, &err) == 0, "connect");
	if (!keep)
		goto cleanup;
	ok(p->status(&spec, &st, &pid, &err) == 0 && st == UNIK_VM_GONE, "no domain yet: gone");
	lv_domain_xml(&def, &xml);
	d = virDomainDefineXML(keep, strbuf_str(&xml));
	ok(d != NULL, "the test driver takes our XML (%s)", d ? "" : virGetLastErrorMessage());
	ok(lv_domain_lookup(keep, &spec, &found, &owner, &err) == 0 && owner == LV_OURS,
	   "found and ours");
	if (found)
		virDomainFree(found);
	ok(p->status(&spec, &st, &pid, &err) == 0 && st == UNIK_VM_STOPPED, "defined: stopped");
	ok(d && virDomainCreate(d) == 0, "start it in the test driver");
	ok(p->status(&spec, &st, &pid, &err) == 0 && st == UNIK_VM_RUNNING && pid == 0,
	   "running, no qemu process here");
	ok(p->stop(&spec, 0, 0, &err) == 0, "stop with timeout 0 destroys");
	ok(p->status(&spec, &st, &pid, &err) == 0 && st == UNIK_VM_STOPPED, "stopped again");
	memset(&ex, 0, sizeof(ex));
	ok(p->collect(&spec, -1, &ex, &err) == 0 && ex.exit_code == 128 + SIGKILL,
	   "collect: killed (%s)", ex.message);
	spec.id = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
	ok(lv_domain_lookup(keep, &spec, &found, &owner, &err) == 0 && owner == LV_FOREIGN &&
	       !found,
	   "another instance's domain is foreign");
	ok(p->remove(&spec, &err) == 0, "remove by another instance succeeds");
	ok(p->status(&spec, &st, &pid, &err) == 0 && st == UNIK_VM_GONE, "and reads it as gone");
	spec.id = ID;
	ok(p->status(&spec, &st, &pid, &err) == 0 && st == UNIK_VM_STOPPED,
	   "but it left the domain alone");
	ok(p->remove(&spec, &err) == 0, "remove undefines ours (%s)", err.msg);
	ok(p->status(&spec, &st, &pid, &err) == 0 && st == UNIK_VM_GONE, "gone");
	if (d)
		virDomainFree(d);
	virConnectClose(keep);
cleanup:
	strbuf_release(&xml);
	fs_remove_tree(dir, NULL);
	unik_config_release(&cfg);
	unik_config_init(&cfg);
	unik_config_set(&cfg, "libvirt.uri", "qemu+unix:///system?socket=/nonexistent/sock");
	ok(p->probe(&cfg, &err) < 0, "probe fails for an unreachable URI");
	ok(strstr(err.msg, "cannot connect to libvirt at qemu+unix") != NULL, "naming the URI: %s",
	   err.msg);
	is_int(err.code, UNIK_E_UNAVAILABLE, "as unavailable");
	unik_config_release(&cfg);
}

int main(void)
{
	escaping();
	metadata();
	cmdline();
	domain_xml();
	disks_xml();
	test_driver();
	return tap_done();
}
