/* fpu.c - the program's x87/SSE/AVX state: per-thread save areas, signal
 * frames.
 *
 * With XSAVE (CPUID and the OS enable it: cpu.c on a VM, the host kernel on
 * spt) a state is the standard-format XSAVE image of every feature enabled
 * in XCR0 (CPUID 0xd.0 EBX bytes); without it, FXSAVE's 512 bytes.  The
 * runtime itself never uses these registers (-mgeneral-regs-only), so the
 * state in the CPU is the running thread's and only thread switches and
 * signal frames need to move it.
 */
#include "arch.h"

#define XSAVE_HDR 512 /* the header follows the legacy area */
#define MXCSR_OFF 24
#define MXCSR_MASK_OFF 28
#define MXCSR_DEFAULT 0x1f80
#define FCW_DEFAULT 0x37f
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define SW_BYTES_OFF 464 /* struct _fpx_sw_bytes in the legacy area */

static bool has_xsave;
static u64 xcr0 = 3, state_size = 512;
static u32 mxcsr_mask = 0xffbf;
/* The initial state: FCW and MXCSR at their defaults, every XSAVE feature
 * marked as in its initial configuration (an all-zero header). */
static u8 init_state[XSAVE_HDR + 64] __attribute__((aligned(64)));
static u8 probe[512] __attribute__((aligned(64)));

static u64 xgetbv0(void)
{
	u32 lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (u64)hi << 32 | lo;
}

void fpu_init(u64 known_xcr0)
{
	u32 a, b, c, d, mask;

	cpuid(1, 0, &a, &b, &c, &d);
	has_xsave = (c & (1u << 26)) && (c & (1u << 27)); /* XSAVE and OSXSAVE */
	if (known_xcr0 == ~0UL)
		has_xsave = false; /* ring 0 is emulated without XSAVE (cpu.c) */
	if (has_xsave) {
		/* what cpu.c or the hvt monitor wrote, on a VM: kvm_pvm's emulation of ring-0 code
		 * has no xgetbv */
		xcr0 = known_xcr0 ? known_xcr0 : xgetbv0();
		cpuid(0xd, 0, &a, &b, &c, &d);
		state_size = ALIGN_UP(MAX((u64)b, (u64)XSAVE_HDR + 64), 64);
	}
	__asm__ volatile("fxsave64 %0" : "=m"(probe));
	mask = *(u32 *)(probe + MXCSR_MASK_OFF);
	if (mask)
		mxcsr_mask = mask;
	*(u16 *)init_state = FCW_DEFAULT;
	*(u32 *)(init_state + MXCSR_OFF) = MXCSR_DEFAULT;
}

u64 fpu_state_size(void)
{
	return state_size;
}

bool fpu_xsave(void)
{
	return has_xsave;
}

void fpu_save(void *buf)
{
	if (has_xsave)
		__asm__ volatile("xsave64 (%0)" : : "r"(buf), "a"(~0u), "d"(~0u) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(buf) : "memory");
}

void fpu_restore(const void *buf)
{
	if (has_xsave)
		__asm__ volatile("xrstor64 (%0)" : : "r"(buf), "a"(~0u), "d"(~0u) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(buf) : "memory");
}

void fpu_reset(void)
{
	fpu_restore(init_state);
}

bool fpu_sanitize(void *buf, bool xstate)
{
	u8 *p = buf;
	u64 *hdr = (u64 *)(p + XSAVE_HDR);

	*(u32 *)(p + MXCSR_OFF) &= mxcsr_mask;
	if (!has_xsave)
		return true;
	if (xstate) {
		if (hdr[1]) /* XCOMP_BV: a compacted image is not a signal frame's */
			return false;
		hdr[0] &= xcr0;
	} else {
		hdr[0] = xcr0 & 3; /* an FXSAVE image: x87 and SSE only */
		hdr[1] = 0;
	}
	memset(hdr + 2, 0, 48); /* reserved */
	return true;
}

void fpu_mark_frame(void *buf)
{
	u8 *p = buf;
	u32 *sw = (u32 *)(p + SW_BYTES_OFF);

	if (!has_xsave)
		return;
	memset(sw, 0, 48);
	sw[0] = FP_XSTATE_MAGIC1;
	sw[1] = (u32)state_size + 4; /* extended_size, with magic2 */
	*(u64 *)(sw + 2) = xcr0; /* xfeatures */
	sw[4] = (u32)state_size; /* xstate_size */
	*(u32 *)(p + state_size) = FP_XSTATE_MAGIC2;
}
