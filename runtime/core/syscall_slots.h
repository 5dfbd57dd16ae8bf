/* syscall_slots.h - where each system call sits in the system-call table.
 * x86-64 has no calls from 335 to 423, so those numbers take no slot.  Also
 * read by the preprocessor alone (syscall_table.h): macros only. */
#ifndef UNIK_RT_SYSCALL_SLOTS_H
#define UNIK_RT_SYSCALL_SLOTS_H

#define SYSCALL_GAP_LO 335
#define SYSCALL_GAP_HI 424
/* every call number is below it */
#define SYSCALL_LIMIT 512

#endif
