/* t_disk_stage.c - the disk staging's refusals (hostile command lines,
 * images that are no file or too big, names an OVA cannot carry), the
 * OVA's tar layout, and rewriting a staged disk's grub.cfg
 * (disk_stage_set_cmdline) on a real disk when GRUB and mtools are here;
 * the GPT of disk_gpt_write read back field by field, its CRCs checked
 * with a CRC-32 of its own. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/run_host_tool.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "../../providers/common/disk_stage.h"
#include "tap.h"

static char dir[] = "/tmp/unik-t-disk.XXXXXX";

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void write_file(const char *path, const char *text)
{
	struct unik_err err = UNIK_ERR_INIT;

	unlink(path);
	if (fs_write_file_atomic(path, text, strlen(text), 0644, &err))
		printf("# %s\n", err.msg);
}

static void refusals(void)
{
	static const char *const bad[] = { "unik.arg=a'b", "a;b",  "a\nb", "$x",
					   "a\"b",	   "a{b}", "a\\b", NULL };
	char *img = path_in("img"), *out = path_in("out.raw"), *big = path_in("big");
	struct unik_err err = UNIK_ERR_INIT;
	int fd;

	write_file(img, "not an ELF, but bytes to put on a disk");
	for (int i = 0; bad[i]; i++) {
		unik_err_clear(&err);
		ok(disk_stage_raw(img, bad[i], dir, out, &err) < 0 && err.code == UNIK_E_INVALID,
		   "a command line with %s is refused", i == 2 ? "a newline" : bad[i]);
		ok(!fs_exists(out), "and no disk is left");
	}
	unik_err_clear(&err);
	ok(disk_stage_raw("/nonexistent/img", "x", dir, out, &err) < 0 &&
	       err.code == UNIK_E_NOT_FOUND,
	   "a missing image is NOT_FOUND");
	unik_err_clear(&err);
	ok(disk_stage_raw(dir, "x", dir, out, &err) < 0 && err.code == UNIK_E_INVALID,
	   "a folder is no image");
	write_file(big, "");
	unik_err_clear(&err);
	ok(disk_stage_raw(big, "x", dir, out, &err) < 0 && err.code == UNIK_E_INVALID,
	   "an empty file is no image");
	fd = open(big, O_WRONLY);
	ok(fd >= 0 && ftruncate(fd, DISK_IMAGE_MAX + 1) == 0, "a sparse file over the limit");
	if (fd >= 0)
		close(fd);
	unik_err_clear(&err);
	ok(disk_stage_raw(big, "x", dir, out, &err) < 0 && err.code == UNIK_E_INVALID,
	   "an image over DISK_IMAGE_MAX is refused");
	ok(!fs_exists(out), "and no disk is left");
	unlink(big);
	write_file(out, "keep me");
	unik_err_clear(&err);
	ok(disk_stage_raw(img, "x", dir, out, &err) < 0, "an existing output is not overwritten");
	ok(fs_file_size(out) == 7, "and keeps its bytes");
	unlink(out);
	unik_err_clear(&err);
	ok(disk_convert(img, "qcow2", out, &err) < 0 && err.code == UNIK_E_INVALID,
	   "disk_convert makes vmdk or vdi only");
	ok(disk_format_known("ova") && disk_format_known("raw") && disk_format_known("raw-gpt") &&
	       !disk_format_known("qcow2") && !disk_format_known(NULL),
	   "the known formats");
	free(img);
	free(out);
	free(big);
}

static unsigned tar_sum(const unsigned char *h)
{
	unsigned sum = 0;

	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum;
}

static void ova(void)
{
	static const char *const bad_names[] = { "", "../x", ".hidden", "a b", "a/b", "<x>", NULL };
	char *vmdk = path_in("d.vmdk"), *out = path_in("x.ova");
	struct unik_err err = UNIK_ERR_INIT;
	struct disk_ova_spec s = { "web-1", 64, 1, vmdk, 1 << 24 };
	struct strbuf tar = STRBUF_INIT;

	write_file(vmdk, "0123456789");
	for (int i = 0; bad_names[i]; i++) {
		struct disk_ova_spec b = s;

		b.name = bad_names[i];
		unik_err_clear(&err);
		ok(disk_make_ova(&b, out, &err) < 0 && err.code == UNIK_E_INVALID,
		   "an OVA named '%s' is refused", bad_names[i]);
	}
	s.memory_mb = 0;
	unik_err_clear(&err);
	ok(disk_make_ova(&s, out, &err) < 0, "an OVA needs memory");
	s.memory_mb = 64;
	ok(!fs_exists(out), "no OVA is left by a refusal");
	unik_err_clear(&err);
	ok(disk_make_ova(&s, out, &err) == 0, "an OVA of a 10-byte disk");
	if (fs_read_file(out, &tar, &err) == 0 && tar.len >= 4 * 512) {
		const unsigned char *h = (const unsigned char *)tar.buf;
		unsigned long long ovf_size = strtoull((const char *)h + 124, NULL, 8);
		size_t second = 512 + (ovf_size + 511) / 512 * 512;

		is_str((const char *)h, "web-1.ovf", "the descriptor comes first");
		ok(!memcmp(h + 257, "ustar", 6), "a ustar header");
		is_int(strtoul((const char *)h + 148, NULL, 8), tar_sum(h), "its checksum");
		ok(memmem(tar.buf + 512, ovf_size, "ovf:href=\"web-1-disk1.vmdk\" ovf:size=\"10\"",
			  41) != NULL,
		   "the descriptor names the disk file and its size");
		ok(memmem(tar.buf + 512, ovf_size, "ovf:capacity=\"16777216\"", 23) != NULL,
		   "and the disk's capacity");
		ok(second + 1024 + 1024 <= tar.len, "room for the disk member and the end");
		if (second + 1024 <= tar.len) {
			h = (const unsigned char *)tar.buf + second;
			is_str((const char *)h, "web-1-disk1.vmdk", "the disk comes second");
			is_int(strtoull((const char *)h + 124, NULL, 8), 10, "with its size");
			is_int(strtoul((const char *)h + 148, NULL, 8), tar_sum(h), "and checksum");
			ok(!memcmp(tar.buf + second + 512, "0123456789", 10), "and its bytes");
		}
		is_int(tar.len % 512, 0, "whole blocks");
		ok(!memcmp(tar.buf + tar.len - 1024, (char[1024]){ 0 }, 1024),
		   "two zero blocks end it");
	} else {
		ok(0, "the OVA can be read back");
	}
	strbuf_release(&tar);
	unlink(out);
	unlink(vmdk);
	free(vmdk);
	free(out);
}

/* CRC-32 bit by bit: an independent check of disk_crc32. */
static uint32_t crc_bits(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#define SECTORS 4096LL /* a 2 MiB disk */
#define LAST (SECTORS - 1)

/* A header's fields: at `self`, the other at `alt`, entries at `entries`. */
static void check_header(const unsigned char *h, const char *which, long long self, long long alt,
			 long long entries, const unsigned char *table)
{
	unsigned char copy[92];

	ok(!memcmp(h, "EFI PART", 8), "%s header: the signature", which);
	is_int(get_le(h + 8, 4), 0x00010000, "%s header: revision 1.0", which);
	is_int(get_le(h + 12, 4), 92, "%s header: 92 bytes", which);
	memcpy(copy, h, 92);
	memset(copy + 16, 0, 4);
	ok(get_le(h + 16, 4) == crc_bits(copy, 92), "%s header: its CRC-32", which);
	is_int(get_le(h + 24, 8), self, "%s header: its own LBA", which);
	is_int(get_le(h + 32, 8), alt, "%s header: the other's LBA", which);
	is_int(get_le(h + 40, 8), 34, "%s header: first usable LBA 34", which);
	is_int(get_le(h + 48, 8), LAST - 33, "%s header: last usable LBA", which);
	is_int(get_le(h + 72, 8), entries, "%s header: the entries' LBA", which);
	is_int(get_le(h + 80, 4), 128, "%s header: 128 entries", which);
	is_int(get_le(h + 84, 4), 128, "%s header: of 128 bytes", which);
	ok(get_le(h + 88, 4) == crc_bits(table, 128 * 128), "%s header: the entries' CRC-32",
	   which);
	ok(!memcmp(h + 92, (char[420]){ 0 }, 420), "%s header: the rest of its sector is zero",
	   which);
}

static void gpt(void)
{
	static const unsigned char esp[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
					       0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };
	char *path = path_in("gpt.raw");
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf d = STRBUF_INIT, d2 = STRBUF_INIT;
	unsigned char *b;
	int fd;

	is_int(disk_crc32("123456789", 9), 0xcbf43926, "crc32 of 123456789");
	ok(disk_crc32("unik", 4) == crc_bits((const unsigned char *)"unik", 4),
	   "crc32 agrees with a bitwise one");
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	ok(fd >= 0 && ftruncate(fd, SECTORS * 512) == 0, "a 2 MiB file");
	ok(disk_gpt_write(fd, SECTORS, 2048, LAST - 33, 1, &err) == 0, "a GPT, the ESP to the end");
	ok(disk_gpt_write(fd, SECTORS, 2048, LAST - 32, 1, &err) < 0 && err.code == UNIK_E_INTERNAL,
	   "a partition over the backup entries is refused");
	unik_err_clear(&err);
	ok(disk_gpt_write(fd, SECTORS, 33, 2047, 0, &err) < 0, "and one over the primary entries");
	unik_err_clear(&err);
	ok(disk_gpt_write(fd, SECTORS, 34, 2047, 1, &err) < 0,
	   "and a BIOS boot partition with no room");
	unik_err_clear(&err);
	close(fd);
	if (fs_read_file(path, &d, &err) || d.len != SECTORS * 512) {
		ok(0, "the disk reads back");
		goto done;
	}
	b = (unsigned char *)d.buf;
	ok(b[510] == 0x55 && b[511] == 0xaa, "protective MBR: the boot signature");
	ok(b[446] == 0 && b[446 + 4] == 0xee, "protective MBR: one inactive 0xee partition");
	is_int(get_le(b + 446 + 8, 4), 1, "protective MBR: from LBA 1");
	is_int(get_le(b + 446 + 12, 4), SECTORS - 1, "protective MBR: over the rest of the disk");
	ok(!memcmp(b + 462, (char[48]){ 0 }, 48) && !memcmp(b, (char[440]){ 0 }, 440),
	   "protective MBR: no other partition, no boot code");
	check_header(b + 512, "primary", 1, LAST, 2, b + 1024);
	check_header(b + LAST * 512, "backup", LAST, 1, LAST - 32, b + (LAST - 32) * 512);
	ok(!memcmp(b + 512 + 56, b + LAST * 512 + 56, 16), "both headers have the disk GUID");
	ok(!memcmp(b + 1024, b + (LAST - 32) * 512, 128 * 128),
	   "the backup entries are the primary ones");
	ok(!memcmp(b + 1024, "Hah!IdontNeedEFI", 16), "entry 1: the BIOS boot partition type");
	is_int(get_le(b + 1024 + 32, 8), 34, "entry 1: from the first usable LBA");
	is_int(get_le(b + 1024 + 40, 8), 2047, "entry 1: to the ESP");
	ok(b[1024 + 56] == 'B' && b[1024 + 57] == 0, "entry 1: a UTF-16 name");
	ok(!memcmp(b + 1152, esp, 16), "entry 2: the EFI System Partition type");
	is_int(get_le(b + 1152 + 32, 8), 2048, "entry 2: from LBA 2048");
	is_int(get_le(b + 1152 + 40, 8), LAST - 33, "entry 2: to the last usable LBA");
	ok((b[1152 + 16 + 7] >> 4) == 4 && (b[1152 + 16 + 8] >> 6) == 2,
	   "entry 2: a random (version 4) GUID");
	ok(b[1152 + 56] == 'E' && b[1152 + 57] == 0, "entry 2: a UTF-16 name");
	ok(memcmp(b + 1024 + 16, b + 1152 + 16, 16), "each entry its own GUID");
	ok(!memcmp(b + 1024 + 256, (char[126 * 128]){ 0 }, 126 * 128), "no other entry");
	ok(!memcmp(b + 34 * 512, (char[512]){ 0 }, 512), "nothing written after the entries");

	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (fd >= 0 && ftruncate(fd, SECTORS * 512) == 0 &&
	    disk_gpt_write(fd, SECTORS, 2048, LAST - 33, 0, &err) == 0 &&
	    fs_read_file(path, &d2, &err) == 0 && d2.len == d.len) {
		ok(memcmp(d.buf + 512 + 56, d2.buf + 512 + 56, 16) &&
		       memcmp(d.buf + 1152 + 16, d2.buf + 1024 + 16, 16),
		   "another disk gets other GUIDs");
		ok(!memcmp(d2.buf + 1024, esp, 16) &&
		       !memcmp(d2.buf + 1024 + 128, (char[127 * 128]){ 0 }, 127 * 128),
		   "without a BIOS boot partition, one entry: the ESP");
	} else {
		ok(0, "a second GPT disk");
	}
	if (fd >= 0)
		close(fd);
done:
	strbuf_release(&d);
	strbuf_release(&d2);
	unlink(path);
	free(path);
}

static int have(const char *tool)
{
	const char *argv[] = { "sh", "-c", NULL, NULL };
	char *cmd = xasprintf("command -v %s", tool);
	int rc;

	argv[2] = cmd;
	rc = run_host_tool(argv, NULL, NULL) == 0;
	free(cmd);
	return rc;
}

/* The grub.cfg of a staged disk, read back with mcopy. */
static char *read_cfg(const char *disk)
{
	char *drive = xasprintf("%s@@%lld", disk, (long long)DISK_PART_START_LBA * DISK_SECTOR);
	char *cfg = path_in("cfg.out");
	const char *argv[] = { "mcopy", "-o", "-i", drive, "::/boot/grub/grub.cfg", cfg, NULL };
	struct strbuf sb = STRBUF_INIT;
	struct unik_err err = UNIK_ERR_INIT;

	unlink(cfg);
	if (run_host_tool(argv, NULL, &err) || fs_read_file(cfg, &sb, &err))
		printf("# %s\n", err.msg);
	unlink(cfg);
	free(drive);
	free(cfg);
	return strbuf_detach(&sb);
}

static void set_cmdline(void)
{
	char *img = path_in("img"), *disk = path_in("disk.raw"), *cfg;
	struct unik_err err = UNIK_ERR_INIT;

	if (!fs_exists(DISK_GRUB_DIR "/boot.img") ||
	    !fs_exists(DISK_GRUB_EFI_DIR "/multiboot2.mod") || !have("grub-mkimage") ||
	    !have("mcopy") || !have("mkfs.fat")) {
		printf("ok %d # SKIP grub-pc-bin, grub-efi-amd64-bin, mtools or dosfstools is "
		       "not installed\n",
		       ++tap_n);
		free(img);
		free(disk);
		return;
	}
	write_file(img, "not an ELF, but bytes to put on a disk");
	ok(disk_stage_raw(img, "unik.arg=a unik.arg=b%20c", dir, disk, &err) == 0,
	   "a disk of a small file");
	if (err.code)
		printf("# %s\n", err.msg);
	is_int(fs_file_size(disk), (1 << 20) + (16 << 20), "1 MiB + the least partition");
	cfg = read_cfg(disk);
	ok(strstr(cfg, "multiboot2 /boot/unik.elf 'unik.arg=a' 'unik.arg=b%20c'\n") != NULL,
	   "grub.cfg carries the words, quoted");
	free(cfg);
	{
		struct strbuf got = STRBUF_INIT;
		int rc = disk_stage_get_cmdline(disk, dir, &got, &err);

		ok(rc == 0 && !strcmp(strbuf_str(&got), "unik.arg=a unik.arg=b%20c"),
		   "disk_stage_get_cmdline reads the words back (%s)", strbuf_str(&got));
		strbuf_release(&got);
		unik_err_clear(&err);
		ok(disk_stage_get_cmdline(img, dir, &got, &err) < 0,
		   "disk_stage_get_cmdline of a file that is no staged disk: an error");
		strbuf_release(&got);
		unik_err_clear(&err);
	}
	ok(disk_stage_set_cmdline(disk, "unik.arg=z", dir, &err) == 0, "set another command line");
	cfg = read_cfg(disk);
	ok(strstr(cfg, "multiboot2 /boot/unik.elf 'unik.arg=z'\n") && !strstr(cfg, "unik.arg=a"),
	   "grub.cfg has only the new one");
	free(cfg);
	unik_err_clear(&err);
	ok(disk_stage_set_cmdline(disk, "x'; reboot", dir, &err) < 0 && err.code == UNIK_E_INVALID,
	   "a hostile command line is refused there too");
	unlink(disk);
	unik_err_clear(&err);
	ok(disk_stage_gpt(img, "unik.arg=g", dir, disk, &err) == 0, "a GPT disk of it");
	if (err.code)
		printf("# %s\n", err.msg);
	is_int(fs_file_size(disk), (1 << 20) + (16 << 20) + (1 << 20),
	       "1 MiB + the partition + 1 MiB for the backup GPT");
	cfg = read_cfg(disk);
	ok(strstr(cfg, "multiboot2 /boot/unik.elf 'unik.arg=g'\n") != NULL,
	   "its grub.cfg, on the ESP at the same offset");
	free(cfg);
	unlink(disk);
	{
		/* a linux-initrd image: GRUB's linux and initrd, both files on it */
		char *initrd = xasprintf("%s/initrd", dir);
		struct strbuf got = STRBUF_INIT;

		write_file(initrd, "an initrd's bytes");
		unik_err_clear(&err);
		ok(disk_stage_raw_linux(img, initrd, "console=ttyS0 unik.arg=l", dir, disk, &err) ==
		       0,
		   "a disk of a kernel and an initrd");
		if (err.code)
			printf("# %s\n", err.msg);
		cfg = read_cfg(disk);
		ok(strstr(cfg, "linux /boot/vmlinuz 'console=ttyS0' 'unik.arg=l'\n"
			       "initrd /boot/initrd.img\nboot\n") != NULL,
		   "its grub.cfg: linux with the words, then initrd");
		free(cfg);
		ok(disk_stage_get_cmdline(disk, dir, &got, &err) == 0 &&
		       !strcmp(strbuf_str(&got), "console=ttyS0 unik.arg=l"),
		   "disk_stage_get_cmdline reads its words (%s)", strbuf_str(&got));
		ok(disk_stage_set_cmdline(disk, "console=ttyS0 unik.arg=m", dir, &err) == 0,
		   "set another command line on it");
		cfg = read_cfg(disk);
		ok(strstr(cfg, "linux /boot/vmlinuz 'console=ttyS0' 'unik.arg=m'\ninitrd") &&
		       !strstr(cfg, "multiboot2"),
		   "it still boots Linux with the initrd");
		free(cfg);
		unlink(disk);
		unik_err_clear(&err);
		ok(disk_stage_raw_linux(img, "/nonexistent/initrd", "x", dir, disk, &err) < 0 &&
		       err.code == UNIK_E_NOT_FOUND && !fs_exists(disk),
		   "a missing initrd: NOT_FOUND, no disk");
		unik_err_clear(&err);
		strbuf_release(&got);
		unlink(initrd);
		free(initrd);
	}
	unlink(img);
	free(img);
	free(disk);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	refusals();
	ova();
	gpt();
	set_cmdline();
	fs_remove_tree(dir, NULL);
	return tap_done();
}
