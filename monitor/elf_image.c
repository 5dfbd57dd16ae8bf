/* elf_image.c - loads a unik image (one static ELF) into guest memory.
 *
 * The file is untrusted: every header, offset and size is checked before
 * use, with overflow-safe comparisons.  PT_LOAD segments go to their
 * physical address (the runtime runs where it is loaded); the "unik" notes
 * (abi/hvt_abi.h) name the entry points per target.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

#define IMAGE_MAX_BYTES (1UL << 30)
#define RT_WINDOW_END 0x200000UL /* the runtime's own segments lie below 2 MiB */

static int bad(char *why, const char *path, const char *what)
{
	snprintf(why, MON_WHY, "%s: not a unik image: %s", path, what);
	return -1;
}

/* [off, off + len) inside a file of `size` bytes. */
static int in_file(uint64_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

static void take_note(struct mon_image *img, uint32_t type, uint64_t v)
{
	switch (type) {
	case HVT_NOTE_ABI_VERSION: img->abi_version = v; break;
	case HVT_NOTE_HVT_ENTRY: img->hvt_entry = v; break;
	case HVT_NOTE_SPT_ENTRY: img->spt_entry = v; break;
	case HVT_NOTE_SPT_SIGNAL: img->spt_signal = v; break;
	case HVT_NOTE_SPT_RESTORER: img->spt_restorer = v; break;
	case HVT_NOTE_HVT_PREPARE: img->hvt_prepare = v; break;
	case HVT_NOTE_HVT_PROGRAM: img->hvt_program = v; break;
	default: break;
	}
}

static void read_notes(const uint8_t *f, uint64_t off, uint64_t len, struct mon_image *img)
{
	uint64_t p = 0;

	while (len - p >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh; /* copied: the file may place it unaligned */
		const Elf64_Nhdr *n = &nh;
		uint64_t name_sz, desc_sz;
		const uint8_t *name = f + off + p + sizeof(nh);

		memcpy(&nh, f + off + p, sizeof(nh));
		name_sz = ((uint64_t)n->n_namesz + 3) & ~3UL;
		desc_sz = ((uint64_t)n->n_descsz + 3) & ~3UL;

		if (name_sz > len - p - sizeof(*n) || desc_sz > len - p - sizeof(*n) - name_sz)
			return;
		if (n->n_namesz == sizeof(HVT_NOTE_NAME) &&
		    !memcmp(name, HVT_NOTE_NAME, sizeof(HVT_NOTE_NAME)) && n->n_descsz == 8) {
			uint64_t v;

			memcpy(&v, name + name_sz, sizeof(v));
			take_note(img, n->n_type, v);
		}
		p += sizeof(*n) + name_sz + desc_sz;
	}
}

static int load_segments(const char *path, const uint8_t *f, uint64_t size, uint8_t *mem,
			 uint64_t mem_size, struct mon_image *img, char *why)
{
	const Elf64_Ehdr *eh = (const void *)f;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC)
		return bad(why, path, "not a 64-bit x86-64 executable ELF");
	if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(size, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return bad(why, path, "program headers outside the file");
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr phdr; /* copied: e_phoff need not be aligned */
		const Elf64_Phdr *ph = &phdr;

		memcpy(&phdr, f + eh->e_phoff + i * sizeof(Elf64_Phdr), sizeof(phdr));

		if (ph->p_type == PT_NOTE && in_file(size, ph->p_offset, ph->p_filesz))
			read_notes(f, ph->p_offset, ph->p_filesz, img);
		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		if (!in_file(size, ph->p_offset, ph->p_filesz) || ph->p_filesz > ph->p_memsz)
			return bad(why, path, "a segment lies outside the file");
		if (ph->p_paddr < HVT_IMAGE_MIN ||
		    !mon_gpa_ok(mem_size, ph->p_paddr, ph->p_memsz)) {
			snprintf(why, MON_WHY,
				 "%s: a segment at 0x%lx (+0x%lx) does not fit in %lu MiB of guest "
				 "memory from 1 MiB",
				 path, (unsigned long)ph->p_paddr, (unsigned long)ph->p_memsz,
				 (unsigned long)(mem_size >> 20));
			return -1;
		}
		if (ph->p_paddr != ph->p_vaddr)
			return bad(why, path, "a segment's virtual and physical addresses differ");
		memcpy(mem + ph->p_paddr, f + ph->p_offset, ph->p_filesz);
		if (!(ph->p_flags & PF_W) && !(ph->p_offset & 4095) && !(ph->p_paddr & 4095) &&
		    ph->p_filesz >= 4096 && img->nro < MON_RO_MAX)
			img->ro[img->nro++] = (struct mon_ro_seg){ ph->p_paddr, ph->p_offset,
								   ph->p_filesz & ~4095UL };
		if (ph->p_paddr + ph->p_memsz > img->image_end)
			img->image_end = ph->p_paddr + ph->p_memsz;
		if (ph->p_paddr + ph->p_memsz <= RT_WINDOW_END) {
			if (!img->rt_start || ph->p_paddr < img->rt_start)
				img->rt_start = ph->p_paddr;
			if (ph->p_paddr + ph->p_memsz > img->rt_end)
				img->rt_end = ph->p_paddr + ph->p_memsz;
			if (ph->p_flags & PF_X) {
				img->text_start = ph->p_paddr;
				img->text_end = ph->p_paddr + ph->p_memsz;
				img->text_file_len = 0;
				if (!(ph->p_flags & PF_W) && !(ph->p_offset & 4095) &&
				    !(ph->p_paddr & 4095)) {
					img->text_file_off = ph->p_offset;
					img->text_file_len = ph->p_filesz & ~4095UL;
				}
			}
		}
	}
	if (!img->abi_version)
		return bad(why, path, "no unik notes (an image of another tool, or too old)");
	if (img->abi_version != HVT_ABI_VERSION) {
		snprintf(why, MON_WHY, "%s: the image speaks ABI %lu, this monitor %d: rebuild it",
			 path, (unsigned long)img->abi_version, HVT_ABI_VERSION);
		return -1;
	}
	return 0;
}

int mon_image_load(const char *path, uint8_t *mem, uint64_t mem_size, struct mon_image *img,
		   char *why)
{
	struct stat st;
	uint8_t *f;
	int fd, rc;

	memset(img, 0, sizeof(*img));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, MON_WHY, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr) ||
	    (uint64_t)st.st_size > IMAGE_MAX_BYTES) {
		close(fd);
		return bad(why, path, "not a regular file of a plausible size");
	}
	f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f == MAP_FAILED) {
		snprintf(why, MON_WHY, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = load_segments(path, f, (uint64_t)st.st_size, mem, mem_size, img, why);
	munmap(f, (size_t)st.st_size);
	img->file_dev = (uint64_t)st.st_dev;
	img->file_ino = (uint64_t)st.st_ino;
	img->file_size = (uint64_t)st.st_size;
	return rc;
}

/* The image file again, if it is still the one loaded; else -1. */
static int open_loaded(const char *path, const struct mon_image *img)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 &&
	    (fstat(fd, &st) < 0 || (uint64_t)st.st_dev != img->file_dev ||
	     (uint64_t)st.st_ino != img->file_ino || (uint64_t)st.st_size != img->file_size)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

uint64_t mon_image_share_text(const char *path, const struct mon_image *img, void *at, int prot,
			      int fixed)
{
	uint64_t len = img->text_file_len;
	int fd;

	if (!len || len > img->text_end - img->text_start)
		return 0;
	fd = open_loaded(path, img);
	if (fd < 0)
		return 0;
	if (img->text_file_off + len > img->file_size ||
	    mmap(at, len, prot, MAP_PRIVATE | fixed, fd, (off_t)img->text_file_off) != at)
		len = 0;
	close(fd);
	return len;
}

uint64_t mon_image_share_ro(const char *path, const struct mon_image *img, uint8_t *mem)
{
	uint64_t done = 0;
	int fd = img->nro ? open_loaded(path, img) : -1;

	if (fd < 0)
		return 0;
	/* load_segments checked each range against the file and guest memory. */
	for (int i = 0; i < img->nro; i++) {
		const struct mon_ro_seg *s = &img->ro[i];

		if (mmap(mem + s->gpa, s->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd,
			 (off_t)s->file_off) == mem + s->gpa)
			done += s->len;
	}
	close(fd);
	return done;
}

static uint64_t ns_of(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void mon_boot_clocks(struct hvt_boot_info *bi)
{
	bi->wall_ns = ns_of(CLOCK_REALTIME);
	bi->mono_ns = ns_of(CLOCK_MONOTONIC);
}

struct hvt_boot_info *mon_boot_info(uint8_t *mem, uint64_t mem_size, uint64_t image_end,
				    const char *cmdline)
{
	struct hvt_boot_info *bi = (struct hvt_boot_info *)(mem + HVT_BOOT_INFO_GPA);
	size_t n = strnlen(cmdline, HVT_CMDLINE_MAX - 1);

	memset(bi, 0, sizeof(*bi));
	bi->magic = HVT_BOOT_MAGIC;
	bi->abi_version = HVT_ABI_VERSION;
	bi->mem_size = mem_size;
	bi->image_end = image_end;
	bi->cmdline = HVT_CMDLINE_GPA;
	memcpy(mem + HVT_CMDLINE_GPA, cmdline, n);
	mem[HVT_CMDLINE_GPA + n] = 0;
	bi->status_fd = -1;
	bi->net_fd = -1;
	mon_boot_clocks(bi);
	bi->console_err_fd = -1;
	return bi;
}
