/* vmdk.c - a flat VMDK descriptor over a raw volume disk (see
 * virtualbox.h): VMware's "monolithicFlat" layout, a text descriptor whose
 * extent line names the raw file, which VirtualBox (and qemu-img) open as
 * a VMDK. */
#include "virtualbox.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "../../lib/fsutil.h"

int vbox_write_flat_vmdk(const char *raw, int read_only, const char *out, struct unik_err *err)
{
	struct strbuf d = STRBUF_INIT;
	struct stat st;
	long long sectors, cyl;
	int rc;

	if (raw[0] != '/' || strpbrk(raw, "\"\n\r"))
		return unik_err_set(err, UNIK_E_INVALID,
				    "virtualbox: the disk path %s cannot go into a VMDK descriptor",
				    raw);
	if (stat(raw, &st) < 0)
		return unik_err_set(err, UNIK_E_NOT_FOUND, "virtualbox: %s: %s", raw,
				    strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size % 512)
		return unik_err_set(err, UNIK_E_INVALID,
				    "virtualbox: %s is not a disk of whole 512-byte sectors", raw);
	sectors = (long long)st.st_size / 512;
	cyl = sectors / (16 * 63);
	if (cyl > 16383)
		cyl = 16383;
	if (cyl < 1)
		cyl = 1;
	strbuf_addf(&d,
		    "# Disk DescriptorFile (written by unikd: a volume's raw disk for VirtualBox)\n"
		    "version=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n\n"
		    "# Extent description\n%s %lld FLAT \"%s\" 0\n\n"
		    "# The Disk Data Base\n#DDB\n\nddb.virtualHWVersion = \"4\"\n"
		    "ddb.adapterType = \"ide\"\nddb.geometry.cylinders = \"%lld\"\n"
		    "ddb.geometry.heads = \"16\"\nddb.geometry.sectors = \"63\"\n",
		    read_only ? "RDONLY" : "RW", sectors, raw, cyl);
	rc = fs_write_file_atomic(out, d.buf, d.len, 0600, err);
	strbuf_release(&d);
	return rc;
}
