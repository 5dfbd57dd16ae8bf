/* disk_stage.h - bootable disks of unik images, for the providers that boot
 * a VM from a disk (virtualbox, aws, any disk-booted cloud) and for
 * `unik export` (docs/providers/virtualbox.md).
 *
 * A raw disk: an MBR partition table with one bootable FAT16 partition at
 * 1 MiB; GRUB's i386-pc boot.img in the MBR and its core.img (made by
 * grub-mkimage, with the modules to read the partition and boot Multiboot2
 * images) in the gap before the partition, where boot.img looks for it;
 * the partition holds /boot/unik.elf (the image: the runtime boots through
 * its Multiboot2 entry), /boot/grub/grub.cfg, which boots it with the
 * instance's command line (abi/boot.h), and /EFI/BOOT/BOOTX64.EFI, GRUB for
 * UEFI firmware (which boots from a FAT partition of an MBR disk too) reading
 * the same grub.cfg: one disk for BIOS and UEFI VMs.  Everything is plain
 * file writes, mkfs.fat --offset and mtools on an offset: no root, no loop
 * devices.
 *
 * A GPT disk (export format raw-gpt): a protective MBR holding GRUB's
 * boot.img code, a GUID partition table (primary at LBA 1-33, backup in the
 * disk's last MiB, CRC-32s) with an EFI System Partition at 1 MiB (FAT16,
 * the same files as above) and a BIOS boot partition over LBA 34-2047
 * holding core.img (part_gpt instead of part_msdos); boot.img's and
 * core.img's LBA fields are patched to point there, as grub-bios-setup
 * would.  It boots BIOS and UEFI VMs too, and is what UEFI clouds expect.
 *
 * The other formats are converted from the raw disk: VMDK (streamOptimized)
 * and VDI with qemu-img, and an OVA (an OVF 1.0 descriptor and the VMDK in
 * a tar, the descriptor first) for VirtualBox's importer.
 */
#ifndef UNIK_PROVIDERS_DISK_STAGE_H
#define UNIK_PROVIDERS_DISK_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/error.h"
#include "../../lib/strbuf.h"

#define DISK_IMAGE_MAX (1LL << 30) /* the largest image staged */
#define DISK_PART_START_LBA 2048 /* the partition starts at 1 MiB */
#define DISK_SECTOR 512
#define DISK_GRUB_DIR "/usr/lib/grub/i386-pc" /* Debian's grub-pc-bin */
#define DISK_GRUB_EFI_DIR "/usr/lib/grub/x86_64-efi" /* grub-efi-amd64-bin */

/* Writes a new bootable raw disk at `out` (which must not exist) holding
 * the unik-elf image at `image` booted with `cmdline` (words of abi/boot.h,
 * bytes [A-Za-z0-9._~%=/:,+-] and spaces only: INVALID otherwise).
 * `work_dir` is an existing folder for temporary files.  INVALID for an
 * image that is not a regular file of at most DISK_IMAGE_MAX bytes;
 * UNAVAILABLE when a tool is missing (scripts/install-deps). */
int disk_stage_raw(const char *image, const char *cmdline, const char *work_dir, const char *out,
		   struct unik_err *err);

/* The same for a linux-initrd image: GRUB boots the Linux `kernel` (a
 * bzImage) with `initrd` and the command line (grub.cfg's linux and
 * initrd), both files in the partition. */
int disk_stage_raw_linux(const char *kernel, const char *initrd, const char *cmdline,
			 const char *work_dir, const char *out, struct unik_err *err);

/* The same for a GPT disk, its partition at the same offset. */
int disk_stage_gpt(const char *image, const char *cmdline, const char *work_dir, const char *out,
		   struct unik_err *err);

#define DISK_GPT_ENTRIES 128
#define DISK_GPT_ENTRY_SIZE 128
/* The EFI System Partition's and the BIOS boot partition's type GUIDs, in
 * GPT's byte order. */
extern const unsigned char disk_gpt_esp_type[16];
extern const unsigned char disk_gpt_bios_type[16];
/* CRC-32 as GPT sums (IEEE 802.3: crc32("123456789") = 0xcbf43926). */
uint32_t disk_crc32(const void *buf, size_t n);
/* Writes the protective MBR, both GPT headers and both entry arrays of a
 * disk of `disk_sectors` sectors into `fd`: one EFI System Partition over
 * LBAs part_first..part_last (inclusive), with `bios_boot` preceded by a
 * BIOS boot partition (entry 1, the ESP entry 2) over the LBAs before it
 * (from the first usable, 34); random disk and partition GUIDs.  INTERNAL when the partition is outside
 * the usable LBAs. */
int disk_gpt_write(int fd, long long disk_sectors, long long part_first, long long part_last,
		   int bios_boot, struct unik_err *err);

/* Rewrites the grub.cfg of a raw disk made by disk_stage_raw (or _gpt) (a copy, for
 * one instance) to boot with `cmdline` instead. */
int disk_stage_set_cmdline(const char *disk, const char *cmdline, const char *work_dir,
			   struct unik_err *err);

/* The command line the grub.cfg of such a disk boots (its words joined by
 * one space) into `out`.  INVALID when the disk has no grub.cfg of ours. */
int disk_stage_get_cmdline(const char *disk, const char *work_dir, struct strbuf *out,
			   struct unik_err *err);

/* Converts raw disk `raw` into `out` (a new file) in `format`: "vmdk"
 * (streamOptimized) or "vdi" (INVALID otherwise). */
int disk_convert(const char *raw, const char *format, const char *out, struct unik_err *err);

/* What an OVA's descriptor says about its machine. */
struct disk_ova_spec {
	const char *name; /* the VM's name: [A-Za-z0-9_.-], 1-64 bytes */
	int memory_mb; /* > 0 */
	int cpus; /* > 0 */
	const char *vmdk; /* the streamOptimized VMDK (disk_convert) */
	long long capacity; /* bytes of the raw disk it was made from */
};

/* Writes an OVA at `out` (a new file): a ustar archive of <name>.ovf (an
 * OVF 1.0 descriptor: a SATA (AHCI) disk, an E1000 NIC on NAT, memory,
 * CPUs, "Other 64-bit") followed by <name>-disk1.vmdk. */
int disk_make_ova(const struct disk_ova_spec *s, const char *out, struct unik_err *err);

/* The formats `unik export` knows, NULL-terminated: raw, raw-gpt, vmdk,
 * vdi, ova. */
extern const char *const disk_formats[];
/* 1 when `format` is one of them. */
int disk_format_known(const char *format);

#endif
