/* qemu_args.h - the start of every QEMU command line unik makes (the qemu
 * provider and unik-runtime): one vCPU, no default devices, no display. */
#ifndef UNIK_LIB_QEMU_ARGS_H
#define UNIK_LIB_QEMU_ARGS_H

#include "strv.h"

/* Pushes -M machine -accel accel (with the host CPU under kvm) -m mb, one
 * vCPU, no default devices or user config, no display, no reboot. */
void qemu_args_vm(struct strv *argv, const char *machine, const char *accel, int mb);

#endif
