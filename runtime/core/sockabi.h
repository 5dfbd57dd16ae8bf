/* sockabi.h - the Linux socket ABI that local sockets (unix_sock.c) and the
 * network stack (net/) share: families, types, flags, struct msghdr. */
#ifndef UNIK_RT_SOCKABI_H
#define UNIK_RT_SOCKABI_H

#include "kernel.h"

#define AF_UNIX 1
#define AF_INET 2

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK 04000
#define SOCK_CLOEXEC 02000000

#define MSG_PEEK 0x02
#define MSG_CTRUNC 0x08
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000
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

#endif
