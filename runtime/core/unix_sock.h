/* unix_sock.h - AF_UNIX sockets inside the guest (unix_sock.c).
 *
 * They live in the core, not in runtime/net: an image without the network
 * stack has them too.  sys_sock.c sends every socket call on an AF_UNIX
 * descriptor here; the calls take the system call's raw arguments.
 */
#ifndef UNIK_RT_UNIX_SOCK_H
#define UNIK_RT_UNIX_SOCK_H

#include "fd.h"

#define AF_UNIX 1
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_SEQPACKET 5
#define SOCK_NONBLOCK 04000
#define SOCK_CLOEXEC 02000000
#define SOCK_TYPE_MASK 0xf
#define MSG_PEEK 0x02
#define MSG_CTRUNC 0x08
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_CMSG_CLOEXEC 0x40000000

/* struct msghdr */
struct k_msghdr {
	u64 name;
	u32 namelen, pad0;
	u64 iov;
	u64 iovlen;
	u64 control;
	u64 controllen;
	s32 flags, pad1;
};

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
