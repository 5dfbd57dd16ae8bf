/* process.h - waiting on and recognising a VM's host process, for the
 * providers whose VMs are processes (spawned with spawn.h, or made by
 * another daemon such as libvirtd).
 *
 * A pidfd names one process for good: checks made with it held cannot be
 * fooled by the pid being reused, and it works on processes that are not
 * our children (the daemon re-adopts VMs after a restart).
 */
#ifndef UNIK_PROVIDERS_PROCESS_H
#define UNIK_PROVIDERS_PROCESS_H

#include <sys/types.h>

/* A pidfd of `pid`, or -1 with errno (ESRCH: it is gone). */
int proc_pidfd(pid_t pid);
/* Waits up to `ms` (0: just looks) for the process behind `pidfd` to end:
 * 1 if it has (a zombie has ended), 0 if not in time, -1 on error. */
int proc_wait_gone(int pidfd, int ms);
/* 1 if the command line of `pid` (its arguments joined by spaces)
 * contains `needle`; 0 if not, or when it cannot be read (a zombie has
 * none). */
int proc_cmdline_has(pid_t pid, const char *needle);

#endif
