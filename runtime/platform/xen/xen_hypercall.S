/* xen_hypercall.S - the page Xen fills with its hypercall stubs (32 bytes
 * each: hypercall nr at xen_hypercall_page + nr * 32), in the runtime's
 * text so it can be called; xen_hypercall_init() names it to Xen. */
	.section .text
	.balign 4096
	.globl xen_hypercall_page
xen_hypercall_page:
	.fill 4096, 1, 0xcc	/* int3 until Xen writes the stubs */

	.section .note.GNU-stack, "", @progbits
