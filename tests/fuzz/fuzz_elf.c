/* fuzz_elf.c - the monitors' image loader (monitor/elf_image.c).
 *
 * Input: the bytes of the image file.  It is written to a memfd and loaded
 * through /proc/self/fd/N (the loader opens a path, as unik-hvt and unik-spt
 * do) into a fake guest memory: an anonymous mapping between two PROT_NONE
 * guard pages, so a segment copied past either end is a crash; it is zeroed
 * again between inputs with MADV_DONTNEED (cheaper than a fresh calloc).
 * Promises checked:
 *   - a loaded image speaks our ABI, ends inside guest memory, and its
 *     runtime and text ranges are ordered and lie below 2 MiB;
 *   - a refused image gets a reason that fits its buffer;
 *   - the boot info and command line are then written in bounds.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../monitor/monitor.h"
#include "fuzz.h"

#define GUEST_MEM (4UL << 20)

static int image_fd = -1;
static char image_path[64];
static uint8_t *guest;

/* Guest memory with a guard page on each side. */
static uint8_t *guest_map(void)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *m = mmap(NULL, GUEST_MEM + 2 * (size_t)page, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	FUZZ_CHECK(m != MAP_FAILED, "cannot map guest memory");
	FUZZ_CHECK(mprotect(m + page, GUEST_MEM, PROT_READ | PROT_WRITE) == 0,
		   "cannot map guest memory");
	return m + page;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mon_image img;
	struct hvt_boot_info *bi;
	char why[MON_WHY];
	uint8_t *mem;
	int rc;

	if (image_fd < 0) {
		image_fd = memfd_create("fuzz-image", MFD_CLOEXEC);
		FUZZ_CHECK(image_fd >= 0, "memfd_create failed");
		snprintf(image_path, sizeof(image_path), "/proc/self/fd/%d", image_fd);
	}
	FUZZ_CHECK(ftruncate(image_fd, 0) == 0 &&
		       (size == 0 || pwrite(image_fd, data, size, 0) == (ssize_t)size),
		   "cannot write the image");
	if (!guest)
		guest = guest_map();
	mem = guest;
	memset(why, 0x55, sizeof(why));
	rc = mon_image_load(image_path, mem, GUEST_MEM, &img, why);
	if (rc) {
		FUZZ_CHECK(memchr(why, 0, sizeof(why)) && why[0], "refused without a reason");
		madvise(mem, GUEST_MEM, MADV_DONTNEED);
		return 0;
	}
	FUZZ_CHECK(img.abi_version == HVT_ABI_VERSION, "loaded an image of ABI %lu",
		   (unsigned long)img.abi_version);
	FUZZ_CHECK(img.image_end <= GUEST_MEM, "image ends at 0x%lx, past guest memory",
		   (unsigned long)img.image_end);
	FUZZ_CHECK(img.rt_start <= img.rt_end && img.rt_end <= 0x200000UL,
		   "runtime range 0x%lx..0x%lx", (unsigned long)img.rt_start,
		   (unsigned long)img.rt_end);
	FUZZ_CHECK(img.text_start <= img.text_end && img.text_end <= img.rt_end &&
		       (!img.text_end || img.text_start >= img.rt_start),
		   "text range 0x%lx..0x%lx outside the runtime's", (unsigned long)img.text_start,
		   (unsigned long)img.text_end);
	bi = mon_boot_info(mem, GUEST_MEM, img.image_end, "unik.arg=fuzz");
	FUZZ_CHECK(bi->magic == HVT_BOOT_MAGIC && bi->image_end == img.image_end,
		   "boot info not written");
	madvise(mem, GUEST_MEM, MADV_DONTNEED); /* zero again for the next input */
	return 0;
}
