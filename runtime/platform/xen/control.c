/* control.c - the toolstack's requests: `xl shutdown` writes "poweroff"
 * (or "halt", "reboot") to control/shutdown; the guest acknowledges by
 * clearing the key and stops as it does on every provider: SIGTERM to the
 * program, which exits (then the domain powers off), or is destroyed by the
 * provider after its stop timeout. */
#include "xen.h"
#include "../../core/runtime.h"
#include "../../core/sched.h"

static void on_shutdown(const char *path)
{
	char v[32];

	if (xs_read("control/shutdown", v, sizeof(v)) <= 0)
		return;
	if (!strcmp(v, "poweroff") || !strcmp(v, "halt") || !strcmp(v, "reboot")) {
		xs_write("control/shutdown", "");
		sched_irq_stop();
	} else if (!strcmp(v, "suspend")) {
		xs_write("control/shutdown", "");
		kprintf("unikernel: xen: suspend is not supported; the request is ignored\n");
	}
}

void xen_control_init(void)
{
	if (xs_init()) {
		kprintf("unikernel: xen: no xenstore: `xl shutdown` cannot reach the program\n");
		return;
	}
	xs_write("control/feature-poweroff", "1");
	xs_write("control/feature-reboot", "1");
	if (xs_watch("control/shutdown", on_shutdown))
		kprintf("unikernel: xen: cannot watch control/shutdown\n");
}
