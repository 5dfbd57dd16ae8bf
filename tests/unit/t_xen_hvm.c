/* t_xen_hvm.c - the runtime's Xen HVM parts that need no hardware
 * (runtime/platform/xen/xen_probe.c, compiled here for the host): the CPUID
 * scan for Xen's leaves (alone, after Viridian's, KVM's only, too few
 * leaves), the emulated-device unplug protocol against a fake Xen platform
 * device (protocol 0 and 1, no magic, a refused driver), and the DHCP word
 * the platform adds when the command line has no network words. */
#include <stdio.h>
#include <string.h>

#include "../../runtime/platform/xen/xen_probe.c"
#include "tap.h"

/* --- CPUID ----------------------------------------------------------------- */

struct leaf {
	u32 leaf, a, b, c, d;
};
static const struct leaf *leaves;
static int nleaves;

static void fake_cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	*a = *b = *c = *d = 0;
	for (int i = 0; i < nleaves; i++)
		if (leaves[i].leaf == leaf) {
			*a = leaves[i].a;
			*b = leaves[i].b;
			*c = leaves[i].c;
			*d = leaves[i].d;
		}
}

#define XEN_B 0x566e6558 /* "XenV" */
#define XEN_C 0x65584d4d /* "MMXe" */
#define XEN_D 0x4d4d566e /* "nVMM" */

static u32 scan(const struct leaf *l, int n)
{
	leaves = l;
	nleaves = n;
	return xen_cpuid_base(fake_cpuid);
}

static void test_cpuid(void)
{
	const struct leaf xen[] = { { 0x40000000, 0x40000005, XEN_B, XEN_C, XEN_D } };
	/* Viridian first ("Microsoft Hv"), Xen 0x100 up: Xen with viridian=1 */
	const struct leaf viridian[] = {
		{ 0x40000000, 0x40000006, 0x7263694d, 0x666f736f, 0x76482074 },
		{ 0x40000100, 0x40000105, XEN_B, XEN_C, XEN_D },
	};
	const struct leaf kvm[] = { { 0x40000000, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d } };
	const struct leaf short_xen[] = { { 0x40000000, 0x40000001, XEN_B, XEN_C, XEN_D } };
	const struct leaf wrong_order[] = { { 0x40000000, 0x40000005, XEN_D, XEN_C, XEN_B } };

	is_int(scan(xen, 1), 0x40000000, "Xen's leaves at 0x40000000");
	is_int(scan(viridian, 2), 0x40000100, "Xen's leaves after Viridian's, at 0x40000100");
	is_int(scan(kvm, 1), 0, "KVM's leaves only: not Xen");
	is_int(scan(short_xen, 1), 0, "the signature without the hypercall MSR's leaf: not Xen");
	is_int(scan(wrong_order, 1), 0, "the signature's words in the wrong registers: not Xen");
	is_int(scan(NULL, 0), 0, "no hypervisor leaves: not Xen");
}

/* --- unplug ----------------------------------------------------------------- */

static u16 magic_read, magic_after; /* what port 0x10 reads before/after the product */
static u8 proto;
static bool product_written;
static char log_buf[512];

static void logf_(const char *fmt, unsigned port, unsigned v)
{
	size_t n = strlen(log_buf);

	snprintf(log_buf + n, sizeof(log_buf) - n, fmt, port, v);
}

static u8 f_in8(u16 port)
{
	logf_("in8 %#x=%#x;", port, port == 0x12 ? proto : 0xff);
	return port == 0x12 ? proto : 0xff;
}

static u16 f_in16(u16 port)
{
	u16 v = port != 0x10 ? 0xffff : product_written ? magic_after : magic_read;

	logf_("in16 %#x=%#x;", port, v);
	return v;
}

static void f_out16(u16 port, u16 v)
{
	if (port == 0x12)
		product_written = true;
	logf_("out16 %#x=%#x;", port, v);
}

static void f_out32(u16 port, u32 v)
{
	logf_("out32 %#x=%#x;", port, v);
}

static const struct xen_hvm_ports fake = { f_in8, f_in16, f_out16, f_out32 };

static int unplug(u16 m0, u16 m1, u8 p)
{
	magic_read = m0;
	magic_after = m1;
	proto = p;
	product_written = false;
	log_buf[0] = 0;
	return xen_hvm_unplug(&fake, XEN_UNPLUG_IDE_DISKS | XEN_UNPLUG_NICS);
}

static void test_unplug(void)
{
	is_int(unplug(0x49d2, 0x49d2, 1), 0, "protocol 1: unplugged");
	is_str(log_buf,
	       "in16 0x10=0x49d2;in8 0x12=0x1;out16 0x12=0xffff;out32 0x10=0x1;in16 0x10=0x49d2;"
	       "out16 0x10=0x3;",
	       "protocol 1: magic, version, product number, build number, magic again, the mask");
	is_int(unplug(0x49d2, 0x49d2, 0), 0, "protocol 0: unplugged");
	is_str(log_buf, "in16 0x10=0x49d2;in8 0x12=0;out16 0x10=0x3;",
	       "protocol 0: magic, version, the mask (no product number)");
	is_int(unplug(0xffff, 0xffff, 1), -1, "no Xen platform device: -1");
	is_str(log_buf, "in16 0x10=0xffff;", "no magic: nothing written");
	is_int(unplug(0x49d2, 0xd249, 1), -2, "a refused driver: -2");
	ok(!strstr(log_buf, "out16 0x10="), "a refused driver writes no unplug mask");
	is_int(XEN_UNPLUG_IDE_DISKS | XEN_UNPLUG_NICS, 3, "the mask: IDE disks (1) and NICs (2)");
}

/* --- the DHCP word ------------------------------------------------------------ */

static void test_dhcp(void)
{
	char b[64];
	char tiny[16] = "unik.arg=abc";

	ok(xen_hvm_wants_dhcp(""), "an empty command line wants DHCP");
	ok(xen_hvm_wants_dhcp("unik.arg=x unik.env=A%3Db"), "arguments only want DHCP");
	ok(!xen_hvm_wants_dhcp("unik.arg=x unik.ip=10.0.0.2/24 unik.gw=10.0.0.1"),
	   "unik.ip= is a network of its own");
	ok(!xen_hvm_wants_dhcp("  unik.net=dhcp"), "unik.net=dhcp already");
	ok(xen_hvm_wants_dhcp("unik.arg=unik.ip=1 xunik.net=dhcp"),
	   "a word that only contains the prefix wants DHCP");
	snprintf(b, sizeof(b), "unik.arg=hello");
	ok(xen_hvm_add_dhcp(b, sizeof(b)), "added");
	is_str(b, "unik.arg=hello unik.net=dhcp", "the word appended");
	ok(!xen_hvm_add_dhcp(b, sizeof(b)), "not twice");
	is_str(b, "unik.arg=hello unik.net=dhcp", "unchanged the second time");
	ok(!xen_hvm_add_dhcp(tiny, sizeof(tiny)), "no room: not added");
	is_str(tiny, "unik.arg=abc", "no room: unchanged");
	snprintf(b, sizeof(b), "unik.ip=10.1.2.3/24");
	ok(!xen_hvm_add_dhcp(b, sizeof(b)), "with unik.ip=: not added");
}

int main(void)
{
	test_cpuid();
	test_unplug();
	test_dhcp();
	return tap_done();
}
