/* pvh_main.c - where boot/pvh.S lands: QEMU and Xen both enter through the
 * PVH note; Xen's CPUID leaves say which one booted us. */
#include "pvh.h"
#include "../xen/xen.h"

void pvh_main(u32 start_info_pa) __noreturn;

void pvh_main(u32 start_info_pa)
{
	if (xen_detect())
		xen_pvh_main(start_info_pa);
	qemu_pvh_main(start_info_pa);
}
