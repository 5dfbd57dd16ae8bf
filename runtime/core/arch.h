/* arch.h - the processor as the core sees it.  This is the one header
 * through which core/ reaches arch/: a port to another architecture
 * provides, in arch/<arch>/arch.h, everything the core uses from it:
 *
 *   rdtsc(), cpu_relax()                 cycle counter, spin-wait hint
 *   cpu_rdrand64(), cpu_rdseed64()       hardware randomness (false: none now)
 *   cpu_hwcap(), cpu_has_rdrand/rdseed() features for the auxiliary vector
 *   cpu_set_fs(), cpu_get_fs()           the application's thread pointer
 *   arch_enter_app()                     the jump into the program
 *   struct syscall_frame, trap_frame     saved registers of a call or trap
 *   syscall_direct_entry/_count          the direct system-call entry
 *
 * and the page-table calls declared in mm.h (arch_map_page, ...).
 */
#ifndef UNIK_RT_CORE_ARCH_H
#define UNIK_RT_CORE_ARCH_H

#if defined(__x86_64__)
#include "../arch/x86_64/arch.h"
#else
#error "the unik runtime has no port for this architecture"
#endif

#endif
