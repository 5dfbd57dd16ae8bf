/* ident.h - the program's user and group identity (sys_ident.c), and the
 * process surface of sys_misc.c.
 *
 * unik runs one program as a single-user system: it starts as root (0/0),
 * and the identity calls change what it reports with the rules of Linux
 * (so a program that drops privileges sees them dropped), but no file or
 * call is refused for it: there is nobody else to protect.
 */
#ifndef UNIK_RT_IDENT_H
#define UNIK_RT_IDENT_H

#include "kernel.h"

/* The ids new files get. */
u32 ident_fsuid(void);
u32 ident_fsgid(void);
u32 ident_uid(void);
u32 ident_gid(void);
u32 ident_euid(void);
u32 ident_egid(void);
/* sys_misc.c: the thread's name (PR_SET_NAME; the program's name at start). */
const char *misc_comm(void);
/* -ENOSYS for a call that would start another process (fork, vfork, execve;
 * clone without CLONE_VM), saying so on the console the first time (*said). */
long misc_no_process(const char *call, bool *said);

#endif
