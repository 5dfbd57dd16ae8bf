/* xen.h - the Xen platform: the runtime as a Xen PVH guest (issue 13).
 *
 * Xen enters the image through the same PVH note as QEMU (boot/pvh.S);
 * platform/pvh/pvh_main.c sees Xen's CPUID leaves and hands over to
 * xen_pvh_main().  A PVH guest has no emulated devices: the console is the
 * Xen console ring, time comes from the shared info page (pvclock), the
 * timer is Xen's one-shot timer (set_timer_op, VIRQ_TIMER), and events
 * arrive through the callback vector.  The ABI subset below follows Xen's
 * public headers (xen/include/public: xen.h, vcpu.h, event_channel.h,
 * hvm/params.h, memory.h, io/console.h); docs/runtime.md, "The Xen platform".
 */
#ifndef UNIK_RT_XEN_H
#define UNIK_RT_XEN_H

#include "../platform.h"

/* hypercalls */
#define XEN_HC_SET_TIMER_OP 15
#define XEN_HC_MEMORY_OP 12
#define XEN_HC_XEN_VERSION 17
#define XEN_HC_CONSOLE_IO 18
#define XEN_HC_GRANT_TABLE_OP 20
#define XEN_HC_VCPU_OP 24
#define XEN_HC_SCHED_OP 29
#define XEN_HC_EVENT_CHANNEL_OP 32
#define XEN_HC_HVM_OP 34

#define XEN_DOMID_SELF 0x7ff0

#define XEN_SCHEDOP_YIELD 0
#define XEN_SCHEDOP_BLOCK 1
#define XEN_SCHEDOP_SHUTDOWN 2
#define XEN_SHUTDOWN_POWEROFF 0
#define XEN_SHUTDOWN_CRASH 3

#define XEN_HVMOP_SET_PARAM 0
#define XEN_HVMOP_GET_PARAM 1
#define XEN_HVM_PARAM_CALLBACK_IRQ 0
#define XEN_HVM_PARAM_STORE_PFN 1
#define XEN_HVM_PARAM_STORE_EVTCHN 2
#define XEN_HVM_PARAM_CONSOLE_PFN 17
#define XEN_HVM_PARAM_CONSOLE_EVTCHN 18
#define XEN_HVM_CALLBACK_VECTOR(v) ((2ULL << 56) | (v))

#define XEN_XENMEM_ADD_TO_PHYSMAP 7
#define XEN_XENMEM_MEMORY_MAP 9
#define XEN_XENMAPSPACE_SHARED_INFO 0

#define XEN_EVTCHNOP_BIND_VIRQ 1
#define XEN_EVTCHNOP_SEND 4
#define XEN_EVTCHNOP_ALLOC_UNBOUND 6
#define XEN_EVTCHNOP_UNMASK 9
#define XEN_VIRQ_TIMER 0

struct xen_hvm_param {
	u16 domid, pad;
	u32 index;
	u64 value;
};

struct xen_add_to_physmap {
	u16 domid, size;
	u32 space;
	u64 idx, gpfn;
};

struct xen_memory_map {
	u32 nr_entries, pad;
	u64 buffer;
};

struct xen_evtchn_bind_virq {
	u32 virq, vcpu, port;
};

struct xen_vcpu_time_info {
	u32 version, pad0;
	u64 tsc_timestamp, system_time;
	u32 tsc_to_system_mul;
	s8 tsc_shift;
	u8 flags, pad1[2];
};

struct xen_vcpu_info {
	u8 evtchn_upcall_pending, evtchn_upcall_mask;
	u8 pad[6];
	u64 evtchn_pending_sel;
	u64 cr2, pad2;
	struct xen_vcpu_time_info time;
};

struct xen_shared_info {
	struct xen_vcpu_info vcpu_info[32];
	u64 evtchn_pending[64];
	u64 evtchn_mask[64];
	u32 wc_version, wc_sec, wc_nsec, wc_sec_hi;
};

struct xen_console_ring {
	char in[1024];
	char out[2048];
	u32 in_cons, in_prod, out_cons, out_prod;
};

_Static_assert(sizeof(struct xen_vcpu_info) == 64, "vcpu_info is 64 bytes");
_Static_assert(__builtin_offsetof(struct xen_shared_info, wc_version) == 3072, "shared_info");
_Static_assert(sizeof(struct xen_console_ring) == 3088, "xencons_interface");

/* hypercall.c ------------------------------------------------------------- */

/* True when the CPU runs under Xen (its CPUID leaves); sets the base leaf. */
bool xen_detect(void);
/* Installs the hypercall page (the MSR that CPUID names). */
void xen_hypercall_init(void);
/* Hypercall nr with up to five arguments: Xen's result (0 or -errno). */
long xen_hypercall(int nr, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
long xen_hvm_get_param(u32 index, u64 *value);
long xen_hvm_set_param(u32 index, u64 value);
long xen_evtchn_send(u32 port);
/* Early output before the console ring: Xen's debug port (0xe9), printed
 * as "(dN) ..." in `xl dmesg` when Xen logs guest messages. */
void xen_debug_write(const char *s, size_t n);

/* events.c ---------------------------------------------------------------- */

extern volatile struct xen_shared_info *xen_shared;
/* Maps the shared info page; binds the callback vector and VIRQ_TIMER. */
void xen_events_init(void);
/* Unmasks port and calls fn from the event upcall while it is pending. */
void xen_event_bind(u32 port, void (*fn)(u32 port));

/* clock.c: pvclock from the shared info page; Xen's one-shot timer. */
void xen_clock_init(void);
u64 xen_monotonic_ns(void);
u64 xen_wall_ns(void);
u64 xen_clock_res_ns(void);
const char *xen_clock_source(void);
u64 xen_clock_hz(void);
void xen_timer_set(u64 deadline_ns);
void xen_wait_until(u64 deadline_ns);
/* The VIRQ_TIMER event fired. */
void xen_timer_event(u32 port);
/* Xen system time (ns) of a monotonic deadline. */
u64 xen_system_ns(void);

/* console.c: the console ring (HVM_PARAM_CONSOLE_PFN/EVTCHN). */
void xen_console_init(void);
void xen_console_write(const char *s, size_t n);
/* Waits (bounded) until the console daemon read everything written. */
void xen_console_flush(void);

/* xenstore.c: this domain's keys (relative paths are under its
 * /local/domain/<id>/); -errno on failure (-ENODEV: no store). */
int xs_init(void);
long xs_read(const char *path, char *buf, size_t size);
int xs_write(const char *path, const char *value);
/* The names under path, each NUL-terminated, into buf: their total length
 * (0: none), or -errno (-E2BIG: buf is too small). */
long xs_directory(const char *path, char *buf, size_t size);
/* fn(path) runs when path or a key under it changes (once at once, too),
 * from the event upcall or after a request, never inside one. */
int xs_watch(const char *path, void (*fn)(const char *path));

/* control.c: `xl shutdown` (control/shutdown) becomes the stop request. */
void xen_control_init(void);

/* blkfront.c: the vbds as disks of the block layer.  The platform's
 * blk_probe is xen_blk_probe, which the image link defines (a jump to
 * xen_blk_disks) only when the program can reach a volume
 * (compilers/common/syscall_set.c): NULL otherwise, and blkfront stays out. */
void xen_blk_disks(void);
__attribute__((weak)) void xen_blk_probe(void);

/* xen_start.c */
void xen_pvh_main(u32 start_info_pa) __noreturn;
void xen_exit(int status) __noreturn;

#endif
