/* disk_stage.c - the bootable raw disk of a unik image (see disk_stage.h). */
#include "disk_stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../abi/boot.h"
#include "../../lib/fsutil.h"
#include "../../lib/run_host_tool.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"

#define MIB (1LL << 20)
#define PART_OFFSET ((long long)DISK_PART_START_LBA * DISK_SECTOR)
#define PART_MIN (16 * MIB) /* above FAT16's least cluster count, room for GRUB's EFI */
#define MBR_CODE 440 /* boot code bytes; the disk signature follows */
#define MBR_TABLE 446
#define PART_TYPE_FAT16_LBA 0x0e
#define IMAGE_PATH "/boot/unik.elf"
#define LINUX_PATH "/boot/vmlinuz" /* a linux-initrd image's kernel and initrd */
#define INITRD_PATH "/boot/initrd.img"
#define CFG_PATH "::/boot/grub/grub.cfg"

/* GRUB's modules in core.img: the BIOS disk, the MBR partition table, FAT,
 * the Multiboot2 loader, and normal mode (reads $prefix/grub.cfg) with the
 * commands grub.cfg uses. */
static const char *const grub_modules[] = { "biosdisk", "part_msdos", "fat",  "multiboot2",
					    "normal",	"configfile", "boot", NULL };
/* The same for a GPT disk's BIOS boot partition. */
static const char *const grub_gpt_modules[] = { "biosdisk", "part_gpt",	  "fat",  "multiboot2",
						"normal",   "configfile", "boot", NULL };
#define BOOT_KERNEL_SECTOR 0x5c /* boot.img: the LBA of core.img, 8 bytes */
#define CORE_LIST_START 0x1f4 /* core.img: its block list's first LBA, 8 bytes */
#define GPT_CORE_LBA 34 /* the BIOS boot partition: after the GPT entries */

/* GRUB for UEFI, the removable-media boot path: the same modules but the
 * BIOS disk's (the firmware's disk I/O instead); its prefix has no device,
 * so GRUB takes the partition it was loaded from (of an MBR or a GPT). */
static const char *const grub_efi_modules[] = { "part_msdos", "part_gpt",   "fat",  "multiboot2",
						"normal",     "configfile", "boot", NULL };

/* The mtools drive of the partition inside `disk`: "disk@@<offset>". */
static char *part_drive(const char *disk)
{
	return xasprintf("%s@@%lld", disk, PART_OFFSET);
}

/* The bytes a command line may have on a staged disk: the encoded words of
 * abi/boot.h and their separators; none of GRUB's script syntax. */
static int cmdline_byte_ok(char c)
{
	return unik_boot_plain((unsigned char)c) || (c && strchr("%=/:,+ ", c));
}

static int cmdline_ok(const char *cmdline, struct unik_err *err)
{
	for (const char *p = cmdline; *p; p++)
		if (!cmdline_byte_ok(*p))
			return unik_err_set(err, UNIK_E_INVALID,
					    "the boot command line has a byte 0x%02x that a staged "
					    "disk's grub.cfg does not carry",
					    (unsigned char)*p);
	if (strlen(cmdline) >= 2048)
		return unik_err_set(err, UNIK_E_INVALID, "the boot command line is too long");
	return 0;
}

/* grub.cfg: boot the image at once with the command line, one quoted word
 * each (the words hold no quote: cmdline_ok): a unik-elf image through its
 * Multiboot2 entry, a linux-initrd one with GRUB's linux and initrd. */
static char *grub_cfg(const char *cmdline, int is_linux)
{
	struct strbuf cfg = STRBUF_INIT;
	const char *p = cmdline;

	if (is_linux)
		strbuf_adds(&cfg, "# unik: boots the Linux kernel with its initrd\n"
				  "set timeout=0\n"
				  "linux " LINUX_PATH);
	else
		strbuf_adds(&cfg, "# unik: boots the image through its Multiboot2 entry\n"
				  "set timeout=0\n"
				  "multiboot2 " IMAGE_PATH);
	while (*p) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n)
			strbuf_addf(&cfg, " '%.*s'", (int)n, p);
		p += n;
	}
	if (is_linux)
		strbuf_adds(&cfg, "\ninitrd " INITRD_PATH);
	strbuf_adds(&cfg, "\nboot\n");
	return strbuf_detach(&cfg);
}

static int write_cfg(const char *drive, const char *cmdline, int is_linux, const char *work_dir,
		     struct unik_err *err)
{
	char *cfg = grub_cfg(cmdline, is_linux), *path = xasprintf("%s/grub.cfg", work_dir);
	const char *mcopy[] = { "mcopy", "-o", "-i", drive, path, CFG_PATH, NULL };
	int rc;

	unlink(path);
	rc = fs_write_file_atomic(path, cfg, strlen(cfg), 0644, err);
	if (rc == 0)
		rc = run_host_tool(mcopy, NULL, err);
	unlink(path);
	free(cfg);
	free(path);
	return rc;
}

/* The command line of the disk's grub.cfg into out; *is_linux 1 when it boots
 * a Linux kernel (GRUB's linux), 0 for a unik-elf image (multiboot2). */
static int read_cmdline(const char *disk, const char *work_dir, struct strbuf *out, int *is_linux,
			struct unik_err *err)
{
	char *drive = part_drive(disk), *path = xasprintf("%s/grub.cfg.read", work_dir);
	const char *mcopy[] = { "mcopy", "-n", "-i", drive, CFG_PATH, path, NULL };
	struct strbuf cfg = STRBUF_INIT;
	const char *p, *want = "\nmultiboot2 " IMAGE_PATH, *want_linux = "\nlinux " LINUX_PATH;
	int rc;

	*is_linux = 0;
	unlink(path);
	rc = run_host_tool(mcopy, NULL, err);
	if (rc == 0)
		rc = fs_read_file(path, &cfg, err);
	unlink(path);
	free(drive);
	free(path);
	p = rc == 0 ? strstr(strbuf_str(&cfg), want) : NULL;
	if (rc == 0 && !p && (p = strstr(strbuf_str(&cfg), want_linux)) != NULL) {
		*is_linux = 1;
		want = want_linux;
	}
	if (rc == 0 && !p)
		rc = unik_err_set(err, UNIK_E_INVALID, "%s: its grub.cfg is not one unik wrote",
				  disk);
	if (p) {
		/* the words, each quoted: ' 'w1' 'w2'\n' (cmdline_ok: no quote in them) */
		p += strlen(want);
		while (*p == ' ') {
			const char *e;

			if (p[1] != '\'' || !(e = strchr(p + 2, '\''))) {
				rc = unik_err_set(err, UNIK_E_INVALID,
						  "%s: its grub.cfg is not one unik wrote", disk);
				break;
			}
			if (out->len)
				strbuf_addch(out, ' ');
			strbuf_add(out, p + 2, (size_t)(e - p - 2));
			p = e + 1;
		}
	}
	strbuf_release(&cfg);
	return rc;
}

int disk_stage_get_cmdline(const char *disk, const char *work_dir, struct strbuf *out,
			   struct unik_err *err)
{
	int is_linux;

	return read_cmdline(disk, work_dir, out, &is_linux, err);
}

static int write_at(int fd, const void *buf, size_t n, off_t off, const char *what,
		    struct unik_err *err)
{
	if (pwrite(fd, buf, n, off) != (ssize_t)n)
		return unik_err_set(err, UNIK_E_INTERNAL, "writing %s: %s", what, strerror(errno));
	return 0;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* An 8-byte LBA field GRUB's images carry: `want` there (as grub-mkimage
 * leaves it) replaced by `lba` (what grub-bios-setup would write). */
static int patch_lba(unsigned char *p, uint64_t want, uint64_t lba, const char *what,
		     struct unik_err *err)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	if (v != want)
		return unik_err_set(err, UNIK_E_INTERNAL,
				    "GRUB's %s has %llu where its LBA should be %llu: an unknown "
				    "layout",
				    what, (unsigned long long)v, (unsigned long long)want);
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(lba >> (8 * i));
	return 0;
}

/* GRUB's boot code (the MBR's first 440 bytes), loading core.img from
 * `core_lba`. */
static int boot_code(unsigned char code[MBR_CODE], long long core_lba, struct unik_err *err)
{
	struct strbuf boot = STRBUF_INIT;
	int rc;

	if (fs_read_file(DISK_GRUB_DIR "/boot.img", &boot, err))
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "GRUB's boot.img is missing: install grub-pc-bin "
				    "(scripts/install-deps)");
	if (boot.len != DISK_SECTOR) {
		strbuf_release(&boot);
		return unik_err_set(err, UNIK_E_INTERNAL, "%s/boot.img is %zu bytes, not %d",
				    DISK_GRUB_DIR, boot.len, DISK_SECTOR);
	}
	memcpy(code, boot.buf, MBR_CODE);
	strbuf_release(&boot);
	rc = patch_lba(code + BOOT_KERNEL_SECTOR, 1, (uint64_t)core_lba, "boot.img", err);
	return rc;
}

/* The MBR: GRUB's boot code (which loads core.img from sector 1, where we
 * put it), a disk signature, one active partition, the boot signature. */
static int write_mbr(int fd, long long part_bytes, struct unik_err *err)
{
	unsigned char mbr[DISK_SECTOR], *e = mbr + MBR_TABLE;
	int rc;

	memset(mbr, 0, sizeof(mbr));
	if (boot_code(mbr, 1, err))
		return -1;
	put_le32(mbr + MBR_CODE, 0x756e696b); /* "unik" */
	e[0] = 0x80; /* active */
	e[1] = 0xfe; /* CHS start and end: beyond CHS, use the LBA fields */
	e[2] = 0xff;
	e[3] = 0xff;
	e[4] = PART_TYPE_FAT16_LBA;
	e[5] = 0xfe;
	e[6] = 0xff;
	e[7] = 0xff;
	put_le32(e + 8, DISK_PART_START_LBA);
	put_le32(e + 12, (uint32_t)(part_bytes / DISK_SECTOR));
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	rc = write_at(fd, mbr, sizeof(mbr), 0, "the MBR", err);
	return rc;
}

/* core.img from grub-mkimage, at `lba` (the sectors after the MBR, or a
 * GPT's BIOS boot partition) up to the partition: its first sector
 * (diskboot.img) reads the rest from the next sector on, its block list
 * patched to say so (grub-mkimage leaves sector 2, right for lba 1). */
static int write_core(int fd, const char *work_dir, long long lba, int is_linux,
		      struct unik_err *err)
{
	char *core = xasprintf("%s/core.img", work_dir);
	const char *const *mods = lba == 1 ? grub_modules : grub_gpt_modules;
	const char *argv[32] = { "grub-mkimage",
				 "-O",
				 "i386-pc",
				 "-d",
				 DISK_GRUB_DIR,
				 "-p",
				 lba == 1 ? "(hd0,msdos1)/boot/grub" : "(hd0,gpt2)/boot/grub",
				 "-o",
				 core };
	long long room = (DISK_PART_START_LBA - lba) * DISK_SECTOR;
	struct strbuf img = STRBUF_INIT;
	int n = 9, rc;

	for (int i = 0; mods[i]; i++)
		argv[n++] = mods[i];
	if (is_linux)
		argv[n++] = "linux";
	argv[n] = NULL;
	unlink(core);
	rc = run_host_tool(argv, NULL, err);
	if (rc == 0)
		rc = fs_read_file(core, &img, err);
	if (rc == 0 && (img.len < DISK_SECTOR || (long long)img.len > room))
		rc = unik_err_set(err, UNIK_E_INTERNAL,
				  "GRUB's core.img is %zu bytes; the gap before the partition "
				  "holds %lld",
				  img.len, room);
	if (rc == 0)
		rc = patch_lba((unsigned char *)img.buf + CORE_LIST_START, 2, (uint64_t)lba + 1,
			       "core.img", err);
	if (rc == 0)
		rc = write_at(fd, img.buf, img.len, lba * DISK_SECTOR, "GRUB's core.img", err);
	unlink(core);
	strbuf_release(&img);
	free(core);
	return rc;
}

/* BIOS boot from the GPT disk: GRUB's boot code over the protective MBR's
 * (zero) code bytes, loading core.img from the BIOS boot partition. */
static int write_gpt_boot(int fd, const char *work_dir, int is_linux, struct unik_err *err)
{
	unsigned char code[MBR_CODE];

	if (boot_code(code, GPT_CORE_LBA, err) ||
	    write_at(fd, code, sizeof(code), 0, "the boot code", err))
		return -1;
	return write_core(fd, work_dir, GPT_CORE_LBA, is_linux, err);
}

/* The partition's size: the image, an eighth more and 3 MiB for the file
 * system and GRUB's EFI image (544 KiB), whole MiB, at least PART_MIN. */
static long long part_size(long long image_bytes)
{
	long long n = image_bytes + image_bytes / 8 + 3 * MIB;

	n = (n + MIB - 1) / MIB * MIB;
	return n < PART_MIN ? PART_MIN : n;
}

/* /EFI/BOOT/BOOTX64.EFI from grub-mkimage, into the partition. */
static int write_efi(const char *drive, const char *work_dir, int is_linux, struct unik_err *err)
{
	char *efi = xasprintf("%s/BOOTX64.EFI", work_dir);
	const char *argv[32] = { "grub-mkimage", "-O", "x86_64-efi", "-d", DISK_GRUB_EFI_DIR, "-p",
				 "/boot/grub",	 "-o", efi };
	const char *mmd[] = { "mmd", "-i", drive, "::/EFI", "::/EFI/BOOT", NULL };
	const char *mcopy[] = { "mcopy", "-i", drive, efi, "::/EFI/BOOT/BOOTX64.EFI", NULL };
	int n = 9, rc;

	for (int i = 0; grub_efi_modules[i]; i++)
		argv[n++] = grub_efi_modules[i];
	if (is_linux)
		argv[n++] = "linux";
	argv[n] = NULL;
	if (!fs_exists(DISK_GRUB_EFI_DIR "/multiboot2.mod"))
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "GRUB for UEFI is missing: install grub-efi-amd64-bin "
				    "(scripts/install-deps)");
	unlink(efi);
	rc = run_host_tool(argv, NULL, err);
	if (rc == 0)
		rc = run_host_tool(mmd, NULL, err);
	if (rc == 0)
		rc = run_host_tool(mcopy, NULL, err);
	unlink(efi);
	free(efi);
	return rc;
}

static int check_image(const char *image, long long *size, struct unik_err *err)
{
	struct stat st;

	if (stat(image, &st) < 0)
		return unik_err_set(err, UNIK_E_NOT_FOUND, "image file %s: %s", image,
				    strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size <= 0)
		return unik_err_set(err, UNIK_E_INVALID, "image file %s is not a regular file",
				    image);
	if (st.st_size > DISK_IMAGE_MAX)
		return unik_err_set(err, UNIK_E_INVALID,
				    "the image has %lld bytes; a staged disk takes at most %lld",
				    (long long)st.st_size, DISK_IMAGE_MAX);
	*size = st.st_size;
	return 0;
}

/* The disk: a GPT (the backup table in a last MiB, GRUB for BIOS in the
 * BIOS boot partition) or an MBR (GRUB for BIOS in the gap after it); then
 * the partition's file system and files. */
static int stage_disk(const char *image, const char *initrd, const char *cmdline,
		      const char *work_dir, const char *out, int gpt, struct unik_err *err)
{
	long long isize = 0, rsize = 0, psize;
	char *drive = NULL, *kib = NULL, *dst = NULL;
	int fd, rc = -1, is_linux = initrd != NULL;

	if (cmdline_ok(cmdline, err) || check_image(image, &isize, err) ||
	    (initrd && check_image(initrd, &rsize, err)))
		return -1;
	psize = part_size(isize + rsize);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "creating %s: %s", out, strerror(errno));
	if (ftruncate(fd, PART_OFFSET + psize + (gpt ? MIB : 0)) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "sizing %s: %s", out, strerror(errno));
		goto done_fd;
	}
	if (gpt ? disk_gpt_write(fd, (PART_OFFSET + psize + MIB) / DISK_SECTOR, DISK_PART_START_LBA,
				 DISK_PART_START_LBA + psize / DISK_SECTOR - 1, 1, err) ||
		      write_gpt_boot(fd, work_dir, is_linux, err)
		: write_mbr(fd, psize, err) || write_core(fd, work_dir, 1, is_linux, err))
		goto done_fd;
	if (fsync(fd) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "writing %s: %s", out, strerror(errno));
		goto done_fd;
	}
	rc = 0;
done_fd:
	close(fd);
	if (rc)
		goto done;
	rc = -1;
	drive = part_drive(out);
	kib = xasprintf("%lld", psize / 1024);
	dst = xasprintf("::%s", is_linux ? LINUX_PATH : IMAGE_PATH);
	{
		/* FAT16 over the partition (-h: the sectors before it, as DOS
		 * counts them), then the folders, the image, grub.cfg and GRUB
		 * for UEFI. */
		const char *mkfs[] = { "mkfs.fat", "-F",   "16", "-n",	 "UNIK", "-h", "2048",
				       "--offset", "2048", "-M", "0xf8", out,	 kib,  NULL };
		const char *mmd[] = { "mmd", "-i", drive, "::/boot", "::/boot/grub", NULL };
		const char *mcopy[] = { "mcopy", "-i", drive, image, dst, NULL };
		const char *mcopy_initrd[] = {
			"mcopy", "-i", drive, initrd, "::" INITRD_PATH, NULL
		};

		if (run_host_tool(mkfs, NULL, err) || run_host_tool(mmd, NULL, err) ||
		    run_host_tool(mcopy, NULL, err) ||
		    (is_linux && run_host_tool(mcopy_initrd, NULL, err)) ||
		    write_cfg(drive, cmdline, is_linux, work_dir, err) ||
		    write_efi(drive, work_dir, is_linux, err))
			goto done;
	}
	rc = 0;
done:
	if (rc)
		unlink(out);
	free(drive);
	free(kib);
	free(dst);
	return rc;
}

int disk_stage_raw(const char *image, const char *cmdline, const char *work_dir, const char *out,
		   struct unik_err *err)
{
	return stage_disk(image, NULL, cmdline, work_dir, out, 0, err);
}

int disk_stage_raw_linux(const char *kernel, const char *initrd, const char *cmdline,
			 const char *work_dir, const char *out, struct unik_err *err)
{
	return stage_disk(kernel, initrd, cmdline, work_dir, out, 0, err);
}

int disk_stage_gpt(const char *image, const char *cmdline, const char *work_dir, const char *out,
		   struct unik_err *err)
{
	return stage_disk(image, NULL, cmdline, work_dir, out, 1, err);
}

int disk_stage_set_cmdline(const char *disk, const char *cmdline, const char *work_dir,
			   struct unik_err *err)
{
	struct strbuf old = STRBUF_INIT;
	char *drive;
	int rc, is_linux = 0;

	if (cmdline_ok(cmdline, err))
		return -1;
	rc = read_cmdline(disk, work_dir, &old, &is_linux, err); /* which loader it boots */
	strbuf_release(&old);
	if (rc)
		return -1;
	drive = part_drive(disk);
	rc = write_cfg(drive, cmdline, is_linux, work_dir, err);
	free(drive);
	return rc;
}
