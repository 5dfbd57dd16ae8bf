/* disk_gpt.c - the GUID partition table of a staged GPT disk: a protective
 * MBR, the primary header at LBA 1 and its 128 entries from LBA 2, the
 * backup entries and header at the end of the disk (see disk_stage.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "disk_stage.h"

#define GPT_ENTRY_LBAS (DISK_GPT_ENTRIES * DISK_GPT_ENTRY_SIZE / DISK_SECTOR) /* 32 */
#define GPT_HEADER_SIZE 92

/* The EFI System Partition's type, C12A7328-F81F-11D2-BA4B-00A0C93EC93B, as
 * GPT stores GUIDs: the first three fields little-endian. */
const unsigned char disk_gpt_esp_type[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
					      0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };

/* The BIOS boot partition's type, 21686148-6449-6E6F-744E-656564454649
 * ("Hah!IdontNeedEFI"): GRUB's core.img, for BIOS firmware. */
const unsigned char disk_gpt_bios_type[16] = { 'H', 'a', 'h', '!', 'I', 'd', 'o', 'n',
					       't', 'N', 'e', 'e', 'd', 'E', 'F', 'I' };

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xedb88320), as GPT sums its
 * header and entries; the table is made on first use. */
uint32_t disk_crc32(const void *buf, size_t n)
{
	static uint32_t table[256];
	static int made;
	const unsigned char *p = buf;
	uint32_t c = 0xffffffffu;

	if (!made) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;

			for (int k = 0; k < 8; k++)
				v = (v & 1) ? 0xedb88320u ^ (v >> 1) : v >> 1;
			table[i] = v;
		}
		made = 1;
	}
	while (n--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static void le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A random (version 4, RFC 4122 variant) GUID in GPT's byte order: the
 * version is the high nibble of the third field, stored little-endian. */
static int random_guid(unsigned char g[16], struct unik_err *err)
{
	size_t got = 0;

	while (got < 16) {
		ssize_t n = getrandom(g + got, 16 - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return unik_err_set(err, UNIK_E_INTERNAL, "getrandom: %s", strerror(errno));
		got += (size_t)n;
	}
	g[7] = (unsigned char)((g[7] & 0x0f) | 0x40);
	g[8] = (unsigned char)((g[8] & 0x3f) | 0x80);
	return 0;
}

static int put(int fd, const void *buf, size_t n, long long lba, const char *what,
	       struct unik_err *err)
{
	if (pwrite(fd, buf, n, (off_t)(lba * DISK_SECTOR)) != (ssize_t)n)
		return unik_err_set(err, UNIK_E_INTERNAL, "writing %s: %s", what, strerror(errno));
	return 0;
}

/* One header: at `self`, its twin at `alt`, its entries from `entries`. */
static void gpt_header(unsigned char *h, long long self, long long alt, long long entries,
		       long long first_usable, long long last_usable, const unsigned char guid[16],
		       uint32_t entries_crc)
{
	memset(h, 0, DISK_SECTOR);
	memcpy(h, "EFI PART", 8);
	le32(h + 8, 0x00010000); /* revision 1.0 */
	le32(h + 12, GPT_HEADER_SIZE);
	le64(h + 24, (uint64_t)self);
	le64(h + 32, (uint64_t)alt);
	le64(h + 40, (uint64_t)first_usable);
	le64(h + 48, (uint64_t)last_usable);
	memcpy(h + 56, guid, 16);
	le64(h + 72, (uint64_t)entries);
	le32(h + 80, DISK_GPT_ENTRIES);
	le32(h + 84, DISK_GPT_ENTRY_SIZE);
	le32(h + 88, entries_crc);
	le32(h + 16, disk_crc32(h, GPT_HEADER_SIZE)); /* summed with this field 0 */
}

/* One partition entry: its type, a random GUID, LBAs, an ASCII name. */
static int gpt_entry(unsigned char *e, const unsigned char type[16], long long first,
		     long long last, const char *name, struct unik_err *err)
{
	size_t n = strlen(name);

	memcpy(e, type, 16);
	if (random_guid(e + 16, err))
		return -1;
	le64(e + 32, (uint64_t)first);
	le64(e + 40, (uint64_t)last); /* inclusive */
	for (size_t i = 0; i < n && i < 36; i++) /* UTF-16LE, of ASCII */
		e[56 + 2 * i] = (unsigned char)name[i];
	return 0;
}

int disk_gpt_write(int fd, long long disk_sectors, long long part_first, long long part_last,
		   int bios_boot, struct unik_err *err)
{
	unsigned char mbr[DISK_SECTOR], hdr[DISK_SECTOR], disk_guid[16];
	unsigned char entries[DISK_GPT_ENTRIES * DISK_GPT_ENTRY_SIZE], *e = entries;
	long long last = disk_sectors - 1, first_usable = 2 + GPT_ENTRY_LBAS;
	long long last_usable = last - 1 - GPT_ENTRY_LBAS;
	uint32_t ecrc;
	unsigned char *m = mbr + 446;

	if (part_first < first_usable || part_last < part_first || part_last > last_usable)
		return unik_err_set(err, UNIK_E_INTERNAL,
				    "the partition (LBA %lld-%lld) is outside the usable LBAs "
				    "%lld-%lld",
				    part_first, part_last, first_usable, last_usable);
	/* The protective MBR: one partition of type 0xee over the disk (all
	 * of it that 32 bits count) after the MBR itself; no boot code. */
	memset(mbr, 0, sizeof(mbr));
	m[1] = 0x00; /* CHS of LBA 1 */
	m[2] = 0x02;
	m[3] = 0x00;
	m[4] = 0xee;
	m[5] = 0xff;
	m[6] = 0xff;
	m[7] = 0xff;
	le32(m + 8, 1);
	le32(m + 12, disk_sectors - 1 > 0xffffffffLL ? 0xffffffffu : (uint32_t)(disk_sectors - 1));
	mbr[510] = 0x55;
	mbr[511] = 0xaa;

	if (bios_boot && part_first == first_usable)
		return unik_err_set(err, UNIK_E_INTERNAL, "no room for a BIOS boot partition");
	/* The entries in disk order: the BIOS boot partition first. */
	memset(entries, 0, sizeof(entries));
	if ((bios_boot && gpt_entry(e, disk_gpt_bios_type, first_usable, part_first - 1,
				    "BIOS boot partition", err)) ||
	    gpt_entry(e + (bios_boot ? DISK_GPT_ENTRY_SIZE : 0), disk_gpt_esp_type, part_first,
		      part_last, "EFI System Partition", err) ||
	    random_guid(disk_guid, err))
		return -1;
	ecrc = disk_crc32(entries, sizeof(entries));

	if (put(fd, mbr, sizeof(mbr), 0, "the protective MBR", err) ||
	    put(fd, entries, sizeof(entries), 2, "the GPT entries", err) ||
	    put(fd, entries, sizeof(entries), last - GPT_ENTRY_LBAS, "the backup GPT entries", err))
		return -1;
	gpt_header(hdr, 1, last, 2, first_usable, last_usable, disk_guid, ecrc);
	if (put(fd, hdr, sizeof(hdr), 1, "the GPT header", err))
		return -1;
	gpt_header(hdr, last, 1, last - GPT_ENTRY_LBAS, first_usable, last_usable, disk_guid, ecrc);
	return put(fd, hdr, sizeof(hdr), last, "the backup GPT header", err);
}
