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
 * The base is the image's compiler, chosen at build: the refusal names it
 * rather than building a second image behind the caller's back.
 */
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

int aws_check_type_network(const struct unik_run_spec *spec, const struct aws_client *c,
			   const char *type, struct unik_err *err)
{
	char hv[32] = "", ena[32] = "";
	int net = 0;

	if (spec->format && !strcmp(spec->format, UNIK_FORMAT_LINUX_INITRD))
		return 0; /* Debian's cloud kernel: its NIC modules, docs/providers/aws.md */
	if (aws_image_has_network(spec->kernel, &net, err))
		return -1;
	if (!net)
		return 0;
	if (ec2_type_network(c, type, hv, sizeof(hv), ena, sizeof(ena), err))
		return -1;
	if (!strcmp(ena, "supported") || !strcmp(ena, "required") || !strcmp(hv, "nitro"))
		return unik_err_set(
		    err, UNIK_E_INVALID,
		    "aws: instance type %.64s (%s) gives an AMI with ENA support an ENA "
		    "network adapter, which the unik runtime does not drive, and this "
		    "image's program makes sockets: choose a type without ENA "
		    "(aws.instance_type t2.*, m4 up to m4.10xlarge, c4.*) or build the "
		    "program on the linux base (unik build --compiler linux), which "
		    "runs on any type (docs/providers/aws.md)",
		    type, hv[0] ? hv : "hypervisor unknown");
	return 0;
}
