#include "qemu_args.h"

#include <string.h>

#include "xalloc.h"

void qemu_args_vm(struct strv *argv, const char *machine, const char *accel, int mb)
{
	strv_push(argv, "-M");
	strv_push(argv, machine);
	strv_push(argv, "-accel");
	strv_push(argv, accel);
	if (!strcmp(accel, "kvm")) {
		/* nested KVM here refuses the arch-capabilities MSR */
		strv_push(argv, "-cpu");
		strv_push(argv, "host,-arch-capabilities");
	}
	strv_push(argv, "-m");
	strv_push_owned(argv, xasprintf("%d", mb));
	strv_push(argv, "-smp");
	strv_push(argv, "1");
	strv_push(argv, "-nodefaults");
	strv_push(argv, "-no-user-config");
	strv_push(argv, "-display");
	strv_push(argv, "none");
	strv_push(argv, "-no-reboot");
}
