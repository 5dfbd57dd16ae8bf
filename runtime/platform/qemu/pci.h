/* pci.h - PCI configuration space of the QEMU platform (machine pc): access
 * through the ports 0xcf8/0xcfc, memory BARs, and the INTx line of a
 * function as an I/O APIC input (the PIIX3 interrupt router of i440fx). */
#ifndef UNIK_RT_QEMU_PCI_H
#define UNIK_RT_QEMU_PCI_H

#include "../../core/kernel.h"

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_HEADER_TYPE 0x0e
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_COMMAND_MASTER (1u << 2)
#define PCI_COMMAND_INTX_DISABLE (1u << 10)
#define PCI_STATUS_CAP_LIST (1u << 4)

/* One function: bus, device (slot) and function numbers. */
struct pci_fn {
	u8 bus, dev, fn;
};

u32 pci_read32(struct pci_fn f, u8 off);
u16 pci_read16(struct pci_fn f, u8 off);
u8 pci_read8(struct pci_fn f, u8 off);
void pci_write32(struct pci_fn f, u8 off, u32 v);
void pci_write16(struct pci_fn f, u8 off, u16 v);

/* Calls match() for every function on bus 0 (the only bus of pc without
 * bridges) until it returns true; then *out is that function and the
 * result is true.  False when none matched or there is no PCI host. */
bool pci_find(bool (*match)(struct pci_fn f, u16 vendor, u16 device), struct pci_fn *out);

/* The physical address of memory BAR `bar` (0-5) of f, assigning it an
 * address below 4 GiB when the firmware left it unassigned or put it above
 * 4 GiB (where the runtime maps nothing), and enabling memory decoding.  0
 * when the BAR is not a memory BAR. */
u64 pci_bar_address(struct pci_fn f, int bar);

/* The size of memory BAR `bar` of f (0: not a memory BAR), which a driver
 * checks before it uses registers the device says it has. */
u64 pci_bar_size(struct pci_fn f, int bar);

/* The I/O APIC input (GSI) of f's INTx line: the PIIX3 (pc) routes it to an
 * ISA interrupt, programmed here when the firmware left the route disabled;
 * the ICH9 (q35) to GSI 16-23.  -1 when f has no interrupt pin or the
 * machine has neither. */
int pci_intx_gsi(struct pci_fn f);

#endif
