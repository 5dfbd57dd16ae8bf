/* virtio.h - what the virtio drivers (virtio_net_*, virtio_blk_*) share:
 * the virtio-mmio register layout, the device status bits, and accessors
 * for the PCI transport's capability windows (virtio 1.x, "Virtio Over
 * MMIO" and "Virtio Over PCI Bus"). */
#ifndef UNIK_RT_VIRTIO_H
#define UNIK_RT_VIRTIO_H

#include "../../arch/x86_64/arch.h"

/* virtio-mmio registers and values */
#define VIRTIO_MAGIC 0x74726976 /* "virt" */
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEVICE_FEATURES 0x010
#define R_DEVICE_FEATURES_SEL 0x014
#define R_DRIVER_FEATURES 0x020
#define R_DRIVER_FEATURES_SEL 0x024
#define R_GUEST_PAGE_SIZE 0x028 /* legacy */
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_ALIGN 0x03c /* legacy */
#define R_QUEUE_PFN 0x040 /* legacy */
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_STATUS 0x060
#define R_INTERRUPT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_AVAIL 0x090
#define R_QUEUE_USED 0x0a0
#define R_CONFIG 0x100
#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8
#define ST_FAILED 128
#define F_VERSION_1_HI (1u << 0) /* feature bit 32, in the high word */

/* the PCI transport: the vendor, the capabilities, struct virtio_pci_common_cfg */
#define VIRTIO_VENDOR 0x1af4
#define CAP_VENDOR 0x09
#define CFG_COMMON 1
#define CFG_NOTIFY 2
#define CFG_ISR 3
#define CFG_DEVICE 4
/* struct virtio_pci_common_cfg */
#define C_DEVICE_FEATURE_SELECT 0x00
#define C_DEVICE_FEATURE 0x04
#define C_DRIVER_FEATURE_SELECT 0x08
#define C_DRIVER_FEATURE 0x0c
#define C_MSIX_CONFIG 0x10
#define C_DEVICE_STATUS 0x14
#define C_QUEUE_SELECT 0x16
#define C_QUEUE_SIZE 0x18
#define C_QUEUE_MSIX_VECTOR 0x1a
#define C_QUEUE_ENABLE 0x1c
#define C_QUEUE_NOTIFY_OFF 0x1e
#define C_QUEUE_DESC 0x20
#define C_QUEUE_DRIVER 0x28
#define C_QUEUE_DEVICE 0x30
#define NO_VECTOR 0xffff

/* fields of a mapped capability window */
static inline u8 rd8(volatile u8 *p, u32 off)
{
	return *(volatile u8 *)(p + off);
}

static inline u16 rd16(volatile u8 *p, u32 off)
{
	return *(volatile u16 *)(p + off);
}

static inline void wr8(volatile u8 *p, u32 off, u8 v)
{
	*(volatile u8 *)(p + off) = v;
}

static inline void wr16(volatile u8 *p, u32 off, u16 v)
{
	*(volatile u16 *)(p + off) = v;
}

static inline void wr64(volatile u8 *p, u32 off, u64 v)
{
	mmio_write32(p + off, (u32)v);
	mmio_write32(p + off + 4, (u32)(v >> 32));
}

#endif
