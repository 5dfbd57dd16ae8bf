/* t_disk_stage.c - the disk staging's refusals (hostile command lines,
 * images that are no file or too big, names an OVA cannot carry), the
 * OVA's tar layout, and rewriting a staged disk's grub.cfg
 * (disk_stage_set_cmdline) on a real disk when GRUB and mtools are here. */
#include <fcntl.h>
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
	ok(disk_format_known("ova") && disk_format_known("raw") && !disk_format_known("qcow2") &&
	       !disk_format_known(NULL),
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
	ok(disk_stage_set_cmdline(disk, "unik.arg=z", dir, &err) == 0, "set another command line");
	cfg = read_cfg(disk);
	ok(strstr(cfg, "multiboot2 /boot/unik.elf 'unik.arg=z'\n") && !strstr(cfg, "unik.arg=a"),
	   "grub.cfg has only the new one");
	free(cfg);
	unik_err_clear(&err);
	ok(disk_stage_set_cmdline(disk, "x'; reboot", dir, &err) < 0 && err.code == UNIK_E_INVALID,
	   "a hostile command line is refused there too");
	unlink(disk);
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
	set_cmdline();
	fs_remove_tree(dir, NULL);
	return tap_done();
}
