/* pcdev.h - the devices of a PC board the QEMU platform drives besides
 * virtio: what VirtualBox offers by default (and QEMU's -M pc / q35 with
 * -device e1000 / ahci): the Intel PRO/1000 network adapter (e1000.c),
 * AHCI SATA disks (ahci.c) and the ACPI power button (acpi.c); and the
 * NVMe disks of AWS Nitro instances (nvme.c, QEMU's -device nvme). */
#ifndef UNIK_RT_QEMU_PCDEV_H
#define UNIK_RT_QEMU_PCDEV_H

#include "../../core/kernel.h"

/* e1000.c: finds the first Intel PRO/1000 function on bus 0 (82540EM,
 * 82545EM, 82543GC or 82574L), enables it and maps its registers; `route`
 * connects its INTx line to a vector (may be NULL: waits poll).  True when
 * one was found. */
bool e1000_probe(bool (*route)(u32 gsi, int vector, void (*fn)(int vector)));
/* e1000.c: resets the probed adapter, sets up its rings and brings the link
 * up: 0 with its MAC and MTU, or -ENODEV. */
int e1000_open(u8 mac[6], u32 *mtu);
/* e1000.c: platform_ops.net_send and net_recv for it. */
int e1000_send(const void *frame, size_t len);
long e1000_recv(void *buf, size_t size);

/* ahci.c: every SATA disk behind every AHCI controller on bus 0 becomes a
 * disk of the block layer, controllers in slot order, ports in order. */
void ahci_probe(bool (*route)(u32 gsi, int vector, void (*fn)(int vector)));

/* nvme.c: every active namespace of every NVMe controller on bus 0 with
 * 512 or 4096-byte blocks becomes a disk of the block layer, controllers
 * in slot order, namespaces in NSID order. */
void nvme_probe(bool (*route)(u32 gsi, int vector, void (*fn)(int vector)));

/* acpi.c: finds the FADT (through the loader's RSDP address, 0: search the
 * BIOS areas; tables below mapped_top are read through the direct map),
 * switches the chipset to ACPI mode and enables the fixed power button's
 * event, whose SCI asks the program to stop (sched_irq_stop).  Called at
 * boot, before the clock.  False when there is no ACPI or it cannot be
 * used. */
bool acpi_init(u64 rsdp_pa, u64 mapped_top);
/* Powers the machine off (ACPI S5) when acpi_init found how; returns when
 * it cannot. */
void acpi_poweroff(void);

#endif
