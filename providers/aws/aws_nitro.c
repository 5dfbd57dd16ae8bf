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
 * through the BIOS and the runtime drives too).  Refused, not moved to the
 * linux base: the base is the image's compiler, chosen at build, and the
 * provider publishes unik-elf images only (a linux-initrd AMI is not made).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws_int.h"
#include "lib/xalloc.h"

#define MAX_SHDRS 4096
#define MAX_SYMTAB (64 << 20)

static int read_at(int fd, void *buf, size_t len, off_t off, off_t size)
{
	if (off < 0 || (off_t)len > size || off > size - (off_t)len)
		return -1;
	return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

/* 1 when the ELF64 file's symbol table defines the function `name`, 0 when
 * it does not, -1 when it is not an ELF64 file with sane section headers. */
static int elf_defines(int fd, off_t size, const char *name)
{
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	char *str = NULL;
	Elf64_Sym *sym = NULL;
	size_t len = strlen(name) + 1;
	int found = -1;

	if (read_at(fd, &eh, sizeof(eh), 0, size) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    eh.e_shnum == 0 || eh.e_shnum > MAX_SHDRS || eh.e_shoff > (Elf64_Off)size)
		return -1;
	sh = xcalloc(eh.e_shnum, sizeof(*sh));
	if (read_at(fd, sh, eh.e_shnum * sizeof(*sh), (off_t)eh.e_shoff, size))
		goto done;
	found = 0;
	for (size_t i = 0; i < eh.e_shnum && !found; i++) {
		const Elf64_Shdr *s = &sh[i], *st;
		size_t n;

		if (s->sh_type != SHT_SYMTAB)
			continue;
		if (s->sh_link >= eh.e_shnum || s->sh_size > MAX_SYMTAB ||
		    sh[s->sh_link].sh_size > MAX_SYMTAB || sh[s->sh_link].sh_type != SHT_STRTAB) {
			found = -1;
			break;
		}
		st = &sh[s->sh_link];
		n = s->sh_size / sizeof(Elf64_Sym);
		free(sym);
		free(str);
		sym = xmalloc(n * sizeof(*sym) + 1);
		str = xmalloc(st->sh_size + 1);
		if (read_at(fd, sym, n * sizeof(*sym), (off_t)s->sh_offset, size) ||
		    read_at(fd, str, st->sh_size, (off_t)st->sh_offset, size)) {
			found = -1;
			break;
		}
		for (size_t k = 0; k < n && !found; k++)
			if (sym[k].st_shndx != SHN_UNDEF &&
			    ELF64_ST_TYPE(sym[k].st_info) == STT_FUNC && st->sh_size >= len &&
			    sym[k].st_name <= st->sh_size - len &&
			    !memcmp(str + sym[k].st_name, name, len))
				found = 1;
	}
done:
	free(sh);
	free(sym);
	free(str);
	return found;
}

int aws_elf_defines(const char *path, const char *name, struct unik_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	int rc;

	if (fd < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "aws: open %s: %s", path,
				    strerror(errno));
	rc = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? elf_defines(fd, st.st_size, name) : -1;
	close(fd);
	if (rc < 0)
		return unik_err_set(err, UNIK_E_INVALID,
				    "aws: the image's kernel is not an ELF64 file with sane "
				    "section headers");
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
		    "(aws.instance_type t2.*, m4 up to m4.10xlarge, c4.*; "
		    "docs/providers/aws.md)",
		    type, hv[0] ? hv : "hypervisor unknown");
	return 0;
}
