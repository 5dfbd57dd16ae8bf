/* unix_sock.h - AF_UNIX sockets inside the guest (unix_sock.c).
 *
 * They live in the core, not in runtime/net: an image without the network
 * stack has them too.  sys_sock.c sends every socket call on an AF_UNIX
 * descriptor here; the calls take the system call's raw arguments.
 */
#ifndef UNIK_RT_UNIX_SOCK_H
#define UNIK_RT_UNIX_SOCK_H

#include "fd.h"
#include "sockabi.h"

/* Binds the runtime's datagram socket `name` in dir (/dev/log): what
 * programs send there (syslog) is written to the console.  0 or -errno.
 * Weak: NULL in images without unik-unix.o (their program makes no sockets,
 * so it cannot reach /dev/log anyway). */
__attribute__((weak)) int unix_console_log(struct vnode *dir, const char *name);

/* Is f an AF_UNIX socket? */
bool unix_is(const struct file *f);

#define UNIXCALL(name) long unix_##name(long a0, long a1, long a2, long a3, long a4, long a5)
/* socket(AF_UNIX, a1, a2) and socketpair(AF_UNIX, a1, a2, a3) */
UNIXCALL(socket);
UNIXCALL(socketpair);
/* The rest take the descriptor in a0, as the system calls do. */
UNIXCALL(bind);
UNIXCALL(listen);
UNIXCALL(accept4);
UNIXCALL(connect);
UNIXCALL(sendmsg);
UNIXCALL(recvmsg);
UNIXCALL(sendto);
UNIXCALL(recvfrom);
UNIXCALL(shutdown);
UNIXCALL(getsockname);
UNIXCALL(getpeername);
UNIXCALL(setsockopt);
UNIXCALL(getsockopt);

#endif
