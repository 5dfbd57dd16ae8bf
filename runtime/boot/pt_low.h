/* pt_low.h - an assembler macro of the boot paths (boot/pvh.S, platform/hvt/
 * hvt_start.S): fill_pt_low writes pt_low's entries 256..511, the 1:1 map
 * of [1 MiB, 2 MiB) (present, writable, supervisor), as unik-hvt does for a
 * prepared boot (abi/hvt_abi.h).  The low dword of each entry only: pt_low
 * is in .bss, zero when this runs (cleared, or fresh guest memory).  The
 * same bytes in 32- and 64-bit code; it uses %eax and %edi.  Assembler
 * only: clang-format leaves the file alone. */
/* clang-format off */
#ifndef UNIK_RT_BOOT_PT_LOW_H
#define UNIK_RT_BOOT_PT_LOW_H

.macro fill_pt_low
	mov $(pt_low + 256 * 8), %edi
	mov $(0x100000 + 0x3), %eax	/* PTE_P | PTE_W */
9:	mov %eax, (%edi)
	add $8, %edi
	add $0x1000, %eax
	cmp $(0x200000 + 0x3), %eax
	jne 9b
.endm

#endif
