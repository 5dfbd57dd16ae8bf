/* pvh_main.c - where boot/pvh.S lands: QEMU and Xen both enter through the
 * PVH note; Xen's CPUID leaves say which one booted us.  A Multiboot2 loader
 * (GRUB, from a staged disk) enters through multiboot/multiboot_start.S,
 * which marks the way it came and joins pvh.S. */
#include "pvh.h"
#include "../multiboot/multiboot.h"
#include "../xen/xen.h"

void pvh_main(u32 start_info_pa) __noreturn;

void pvh_main(u32 start_info_pa)
{
	if (multiboot_booted)
		qemu_multiboot_main();
	if (xen_detect())
		xen_pvh_main(start_info_pa);
	qemu_pvh_main(start_info_pa);
}
