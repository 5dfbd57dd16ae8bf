/* fuzz_hvt_program.c - unik-hvt's mapping of the image's program
 * (monitor/hvt_program_x86_64.c: struct hvt_program and the load plan of
 * abi/app_plan.h), with the image as input.
 *
 * Input: [struct hvt_program's offset in the image: 2 bytes][flags: 1 byte]
 * and then the image, loaded at HVT_IMAGE_MIN; image_end is its end.  Guest
 * memory is one heap block of exactly HVT_IMAGE_MIN + the image + 64 KiB
 * (ASan guards its ends), zero but for the image, with the runtime's pml4
 * at 0x8000 (what hvt_prepare's checks leave: a page in guest memory).
 * Flag bit 0: EFER.NXE.  Promises checked:
 *   - the image is mapped (0) or refused with a reason (-1);
 *   - when mapped, frames_end lies between image_end and the end of guest
 *     memory, and HVT_PREPARED_PROGRAM is said;
 *   - nothing outside guest memory is read or written (ASan).
 */
#include <string.h>

#include "../../monitor/hvt.h"
#include "fuzz.h"

#define PML4_GPA 0x8000ULL
#define SPARE (64ULL << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvt h;
	struct hvt_boot_info bi;
	char why[MON_WHY];
	uint64_t image_end, gpa;
	int r;

	if (size < 3)
		return 0;
	memset(&h, 0, sizeof(h));
	memset(&bi, 0, sizeof(bi));
	h.kvm_fd = h.vm_fd = h.vcpu_fd = h.net_fd = h.console_in_fd = -1;
	image_end = HVT_IMAGE_MIN + (size - 3);
	h.mem_size = image_end + SPARE;
	h.mem = calloc(1, h.mem_size);
	FUZZ_CHECK(h.mem, "out of memory");
	memcpy(h.mem + HVT_IMAGE_MIN, data + 3, size - 3);
	gpa = HVT_IMAGE_MIN + ((uint64_t)data[0] | (uint64_t)data[1] << 8);
	why[0] = 0;
	r = hvt_map_program(&h, gpa, PML4_GPA, image_end, data[2] & 1, &bi, why);
	if (r == 0) {
		FUZZ_CHECK(!(bi.prepared & HVT_PREPARED_PROGRAM) ||
			       (bi.frames_end >= image_end && bi.frames_end <= h.mem_size),
			   "frames_end 0x%llx outside [image_end, mem_size)",
			   (unsigned long long)bi.frames_end);
	} else {
		FUZZ_CHECK(r == -1 && why[0] && memchr(why, 0, sizeof(why)),
			   "refused without a reason (%d)", r);
	}
	free(h.mem);
	return 0;
}
