/* xen_hypercall.S - the page Xen fills with its hypercall stubs (32 bytes
 * each: hypercall nr at xen_hypercall_page + nr * 32) once
 * xen_hypercall_init() names it.  In .bss, so it costs the image nothing:
 * the runtime's own 1:1 window maps .bss executable (boot/pvh.S), and the
 * page is called only after Xen wrote it. */
	.section .bss
	.balign 4096
	.globl xen_hypercall_page
xen_hypercall_page:
	.skip 4096

	.section .note.GNU-stack, "", @progbits
