/* disk_ova.c - an OVA of a staged disk: an OVF 1.0 descriptor and the
 * streamOptimized VMDK in one ustar archive, the descriptor first as OVF
 * requires (see disk_stage.h; the elements: docs/providers/virtualbox.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "disk_stage.h"

#define TAR_BLOCK 512
#define NAME_MAX_OVA 64

/* The descriptor.  CIM ids: OperatingSystemSection 102 "Other 64-bit";
 * ResourceType 3 CPU, 4 memory, 20 SATA controller, 17 disk, 10 NIC.  The
 * rasd elements in each Item are in the schema's (alphabetical) order. */
static char *ovf_text(const struct disk_ova_spec *s, const char *vmdk_name, long long vmdk_size)
{
	struct strbuf x = STRBUF_INIT;

	strbuf_addf(&x,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<Envelope ovf:version=\"1.0\" xml:lang=\"en-US\""
		    " xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\""
		    " xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\""
		    " xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
		    "CIM_ResourceAllocationSettingData\""
		    " xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
		    "CIM_VirtualSystemSettingData\""
		    " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
		    "  <References>\n"
		    "    <File ovf:id=\"file1\" ovf:href=\"%s\" ovf:size=\"%lld\"/>\n"
		    "  </References>\n"
		    "  <DiskSection>\n"
		    "    <Info>The virtual disk: the unik image and its boot loader</Info>\n"
		    "    <Disk ovf:capacity=\"%lld\" ovf:diskId=\"vmdisk1\" ovf:fileRef=\"file1\""
		    " ovf:format=\"http://www.vmware.com/interfaces/specifications/"
		    "vmdk.html#streamOptimized\"/>\n"
		    "  </DiskSection>\n"
		    "  <NetworkSection>\n"
		    "    <Info>The logical network the NIC is on</Info>\n"
		    "    <Network ovf:name=\"NAT\">\n"
		    "      <Description>The hypervisor's NAT network</Description>\n"
		    "    </Network>\n"
		    "  </NetworkSection>\n"
		    "  <VirtualSystem ovf:id=\"%s\">\n"
		    "    <Info>A unik unikernel</Info>\n"
		    "    <Name>%s</Name>\n"
		    "    <OperatingSystemSection ovf:id=\"102\">\n"
		    "      <Info>The guest operating system</Info>\n"
		    "      <Description>Other 64-bit</Description>\n"
		    "    </OperatingSystemSection>\n"
		    "    <VirtualHardwareSection>\n"
		    "      <Info>The virtual hardware</Info>\n"
		    "      <System>\n"
		    "        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>\n"
		    "        <vssd:InstanceID>0</vssd:InstanceID>\n"
		    "        <vssd:VirtualSystemIdentifier>%s</vssd:VirtualSystemIdentifier>\n"
		    "        <vssd:VirtualSystemType>virtualbox-2.2</vssd:VirtualSystemType>\n"
		    "      </System>\n"
		    "      <Item>\n"
		    "        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>\n"
		    "        <rasd:Caption>%d virtual CPU</rasd:Caption>\n"
		    "        <rasd:Description>Number of virtual CPUs</rasd:Description>\n"
		    "        <rasd:ElementName>%d virtual CPU</rasd:ElementName>\n"
		    "        <rasd:InstanceID>1</rasd:InstanceID>\n"
		    "        <rasd:ResourceType>3</rasd:ResourceType>\n"
		    "        <rasd:VirtualQuantity>%d</rasd:VirtualQuantity>\n"
		    "      </Item>\n"
		    "      <Item>\n"
		    "        <rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits>\n"
		    "        <rasd:Caption>%d MB of memory</rasd:Caption>\n"
		    "        <rasd:Description>Memory Size</rasd:Description>\n"
		    "        <rasd:ElementName>%d MB of memory</rasd:ElementName>\n"
		    "        <rasd:InstanceID>2</rasd:InstanceID>\n"
		    "        <rasd:ResourceType>4</rasd:ResourceType>\n"
		    "        <rasd:VirtualQuantity>%d</rasd:VirtualQuantity>\n"
		    "      </Item>\n"
		    "      <Item>\n"
		    "        <rasd:Address>0</rasd:Address>\n"
		    "        <rasd:Caption>sataController0</rasd:Caption>\n"
		    "        <rasd:Description>SATA Controller</rasd:Description>\n"
		    "        <rasd:ElementName>sataController0</rasd:ElementName>\n"
		    "        <rasd:InstanceID>3</rasd:InstanceID>\n"
		    "        <rasd:ResourceSubType>AHCI</rasd:ResourceSubType>\n"
		    "        <rasd:ResourceType>20</rasd:ResourceType>\n"
		    "      </Item>\n"
		    "      <Item>\n"
		    "        <rasd:AddressOnParent>0</rasd:AddressOnParent>\n"
		    "        <rasd:Caption>disk1</rasd:Caption>\n"
		    "        <rasd:Description>Disk Image</rasd:Description>\n"
		    "        <rasd:ElementName>disk1</rasd:ElementName>\n"
		    "        <rasd:HostResource>/disk/vmdisk1</rasd:HostResource>\n"
		    "        <rasd:InstanceID>4</rasd:InstanceID>\n"
		    "        <rasd:Parent>3</rasd:Parent>\n"
		    "        <rasd:ResourceType>17</rasd:ResourceType>\n"
		    "      </Item>\n"
		    "      <Item>\n"
		    "        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>\n"
		    "        <rasd:Caption>Ethernet adapter on 'NAT'</rasd:Caption>\n"
		    "        <rasd:Connection>NAT</rasd:Connection>\n"
		    "        <rasd:ElementName>Ethernet adapter on 'NAT'</rasd:ElementName>\n"
		    "        <rasd:InstanceID>5</rasd:InstanceID>\n"
		    "        <rasd:ResourceSubType>E1000</rasd:ResourceSubType>\n"
		    "        <rasd:ResourceType>10</rasd:ResourceType>\n"
		    "      </Item>\n"
		    "    </VirtualHardwareSection>\n"
		    "  </VirtualSystem>\n"
		    "</Envelope>\n",
		    vmdk_name, vmdk_size, s->capacity, s->name, s->name, s->name, s->cpus, s->cpus,
		    s->cpus, s->memory_mb, s->memory_mb, s->memory_mb);
	return strbuf_detach(&x);
}

/* A ustar header for a regular file `name` of `size` bytes. */
static void tar_header(unsigned char h[TAR_BLOCK], const char *name, long long size)
{
	unsigned sum = 0;

	memset(h, 0, TAR_BLOCK);
	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011llo", size);
	snprintf((char *)h + 136, 12, "%011llo", (long long)time(NULL));
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

static int put(int fd, const void *buf, size_t n, struct unik_err *err)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return unik_err_set(err, UNIK_E_INTERNAL, "writing the OVA: %s",
					    strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One member: its header, its bytes, zeros to the block. */
static int put_member(int fd, const char *name, const void *data, long long size, int src,
		      struct unik_err *err)
{
	static const unsigned char zeros[TAR_BLOCK];
	unsigned char h[TAR_BLOCK];
	char buf[65536];
	long long left = size;

	tar_header(h, name, size);
	if (put(fd, h, sizeof(h), err))
		return -1;
	if (data && put(fd, data, (size_t)size, err))
		return -1;
	while (!data && left > 0) {
		ssize_t r =
		    read(src, buf, left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return unik_err_set(err, UNIK_E_INTERNAL, "reading the VMDK: %s",
					    r ? strerror(errno) : "it shrank");
		if (put(fd, buf, (size_t)r, err))
			return -1;
		left -= r;
	}
	if (size % TAR_BLOCK)
		return put(fd, zeros, (size_t)(TAR_BLOCK - size % TAR_BLOCK), err);
	return 0;
}

static int name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > NAME_MAX_OVA || name[0] == '.')
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       n;
}

int disk_make_ova(const struct disk_ova_spec *s, const char *out, struct unik_err *err)
{
	static const unsigned char zeros[2 * TAR_BLOCK];
	char *ovf_name, *vmdk_name, *ovf = NULL;
	struct stat st;
	int src, fd, rc = -1;

	if (!name_ok(s->name) || s->memory_mb <= 0 || s->cpus <= 0 || s->capacity <= 0)
		return unik_err_set(err, UNIK_E_INVALID,
				    "an OVA needs a name of [A-Za-z0-9_.-] (at most %d), memory, "
				    "CPUs and the disk's capacity",
				    NAME_MAX_OVA);
	src = open(s->vmdk, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (src < 0 || fstat(src, &st) < 0 || !S_ISREG(st.st_mode)) {
		unik_err_set(err, UNIK_E_INTERNAL, "the VMDK %s: %s", s->vmdk,
			     src < 0 ? strerror(errno) : "not a regular file");
		if (src >= 0)
			close(src);
		return -1;
	}
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		close(src);
		return unik_err_set(err, UNIK_E_INTERNAL, "creating %s: %s", out, strerror(errno));
	}
	ovf_name = xasprintf("%s.ovf", s->name);
	vmdk_name = xasprintf("%s-disk1.vmdk", s->name);
	ovf = ovf_text(s, vmdk_name, (long long)st.st_size);
	if (put_member(fd, ovf_name, ovf, (long long)strlen(ovf), -1, err) ||
	    put_member(fd, vmdk_name, NULL, (long long)st.st_size, src, err) ||
	    put(fd, zeros, sizeof(zeros), err))
		goto done;
	if (fsync(fd) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "writing %s: %s", out, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	close(fd);
	close(src);
	if (rc)
		unlink(out);
	free(ovf_name);
	free(vmdk_name);
	free(ovf);
	return rc;
}
