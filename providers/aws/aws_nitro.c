/* aws_nitro.c - which instance types an image's network runs on.
 *
 * The AMIs unik registers say EnaSupport (the Nitro types boot only AMIs
 * that do), so an instance type that supports or requires ENA gets an ENA
 * adapter as its only network device: every Nitro type (t3, m5, c5, ...)
 * and the few Xen ones with ENA (m4.16xlarge).  The unik runtime has no ENA
 * driver, so an image whose program makes sockets (its ELF defines the
 * network stack's net_init: unik-net.o is linked only into those,
 * compilers/common/pack.c) would boot there without a network.  Such a run
 * is refused before RunInstances; an image without a network stack runs on
 * any x86_64 type (its root volume is NVMe on Nitro, which GRUB reads
 * through the BIOS and the runtime drives too).  A linux-initrd image (the
 * linux base: Debian's cloud kernel) runs on any type: its initrd carries
 * the ENA and netfront modules, and its published disk asks DHCP
 * (unik.net=dhcp, aws_publish; docs/providers/aws.md).
 * The base is the image's compiler, chosen at build; `unik build --provider
 * aws` adds the linux base's build as the image's companion (the
 * provider's companion_compiler), published as a second AMI, and a run on
 * a type with ENA boots that one (aws_pick_base).  Without a companion
 * such a run is refused, naming both ways.
 */
#include <stdio.h>
#include <string.h>

#include "api/formats.h"
#include "aws_int.h"
#include "lib/elf_syms.h"

int aws_elf_defines(const char *path, const char *name, struct unik_err *err)
{
	int rc = elf_defines_function(path, name, NULL, err);

	if (rc < 0)
		unik_err_prefix(err, "aws");
	return rc;
}

int aws_image_has_network(const char *kernel, int *yes, struct unik_err *err)
{
	int rc = aws_elf_defines(kernel, "net_init", err);

	if (rc < 0)
		return -1;
	*yes = rc;
	return 0;
}

int ec2_type_network(const struct aws_client *c, const char *type, char *hypervisor, size_t hv_size,
		     char *ena, size_t ena_size, struct unik_err *err)
{
	struct ec2_query q;
	struct ec2_doc *d;
	char name[64];
	int rc;

	ec2_query_init(&q, "DescribeInstanceTypes");
	ec2_query_add(&q, "InstanceType.1", type);
	rc = ec2_call(c, &q, &d, err);
	if (rc)
		return -1;
	ec2_text(d, "instanceTypeSet/item/instanceType", name, sizeof(name));
	ec2_text(d, "instanceTypeSet/item/hypervisor", hypervisor, hv_size);
	ec2_text(d, "instanceTypeSet/item/networkInfo/enaSupport", ena, ena_size);
	ec2_doc_free(d);
	if (strcmp(name, type))
		return unik_err_set(err, UNIK_E_NOT_FOUND,
				    "aws: EC2 does not describe instance type %.64s", type);
	return 0;
}

/* The families whose types have no ENA (Xen, netfront): the unik
 * runtime's network runs there.  m4 is one but for m4.16xlarge.  Every
 * other family (t3, t3a, m5, c5, r5, m6i, ..., and the Xen ones with ENA:
 * r4, x1, i3, p2, g3, h1) gives an ENA adapter. */
static const char *const xen_families[] = { "t1", "t2", "m1", "m2", "m3",  "m4",  "c1",	 "c3", "c4",
					    "r3", "i2", "d2", "g2", "cc2", "cr1", "hs1", NULL };

const char *const *aws_xen_families(void)
{
	return xen_families;
}

int aws_type_has_ena(const char *type, const char *hypervisor, const char *ena)
{
	const char *dot = type ? strchr(type, '.') : NULL;
	size_t n = dot ? (size_t)(dot - type) : 0;

	if (ena && *ena)
		return !strcmp(ena, "supported") || !strcmp(ena, "required") ||
		       (hypervisor && !strcmp(hypervisor, "nitro"));
	if (hypervisor && !strcmp(hypervisor, "nitro"))
		return 1;
	if (!n) /* not "family.size": EC2 would not know it either */
		return 1;
	for (size_t i = 0; xen_families[i]; i++)
		if (strlen(xen_families[i]) == n && !strncmp(type, xen_families[i], n))
			return !strcmp(type, "m4.16xlarge");
	return 1;
}

/* 1 when the image's program would boot without a network on `type`
 * (it makes sockets, the type gives ENA only), 0 if not, -1 with err. */
static int needs_linux_base(const struct unik_run_spec *spec, const struct aws_client *c,
			    const char *type, char *hv, size_t hv_size, struct unik_err *err)
{
	char ena[32] = "";
	int net = 0;

	if (spec->format && !strcmp(spec->format, UNIK_FORMAT_LINUX_INITRD))
		return 0; /* Debian's cloud kernel: its NIC modules, docs/providers/aws.md */
	if (aws_image_has_network(spec->kernel, &net, err))
		return -1;
	if (!net)
		return 0;
	if (ec2_type_network(c, type, hv, hv_size, ena, sizeof(ena), err))
		return -1;
	return aws_type_has_ena(type, hv, ena);
}

static int refuse(const char *type, const char *hv, struct unik_err *err)
{
	return unik_err_set(err, UNIK_E_INVALID,
			    "aws: instance type %.64s (%s) gives an AMI with ENA support an ENA "
			    "network adapter, which the unik runtime does not drive, and this "
			    "image's program makes sockets: choose a type without ENA "
			    "(aws.instance_type t2.*, m4 up to m4.10xlarge, c4.*), build it with "
			    "its companion for such types (unik build --provider aws), or build "
			    "the program on the linux base (unik build --compiler linux), which "
			    "runs on any type (docs/providers/aws.md)",
			    type, hv && hv[0] ? hv : "hypervisor unknown");
}

int aws_pick_base(const struct unik_run_spec *spec, const struct aws_client *c, const char *type,
		  const char *c_ami, struct unik_run_spec *run, char *why, size_t why_size,
		  struct unik_err *err)
{
	char hv[32] = "";
	int need = needs_linux_base(spec, c, type, hv, sizeof(hv), err);

	*run = *spec;
	why[0] = 0;
	if (need <= 0)
		return need;
	if (!c_ami[0] || !spec->companion_disk || !spec->companion_kernel)
		return refuse(type, hv, err);
	run->format = spec->companion_format;
	run->kernel = spec->companion_kernel;
	run->initrd = NULL; /* on the staged disk */
	run->boot_disk = spec->companion_disk;
	snprintf(why, why_size, "linux base (the image's companion): %.64s has ENA", type);
	return 0;
}

int aws_check_type_network(const struct unik_run_spec *spec, const struct aws_client *c,
			   const char *type, struct unik_err *err)
{
	char hv[32] = "";
	int need;

	if (spec->companion_kernel)
		return 0; /* its companion runs there (aws_pick_base) */
	need = needs_linux_base(spec, c, type, hv, sizeof(hv), err);
	return need <= 0 ? need : refuse(type, hv, err);
}
