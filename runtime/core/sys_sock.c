/* sys_sock.c - the socket system calls, for images with and without the
 * network stack.
 *
 * AF_UNIX sockets live in unik-unix.o with this file (unix_sock.c, linked
 * when the program makes sockets or socket pairs); every other socket is the
 * network stack's (net/sys_socket.c, whose calls are weak: NULL when the
 * image has no stack, see netstack.h).  A call on a descriptor goes where
 * its file belongs; socket() goes by family.  sendmmsg and recvmmsg are
 * loops over sendmsg and recvmsg for both.
 */
#include "errno.h"
#include "syscall.h"
#include "unix_sock.h"
#include "../platform/platform.h"

#define MSG_WAITFORONE 0x10000
#define UIO_MAXIOV 1024

#define SOCKCALL(name) long sockcall_##name(long a0, long a1, long a2, long a3, long a4, long a5)

SOCKCALL(socket)
{
	if (a0 == AF_UNIX)
		return unix_socket(a1, a2, 0, 0, 0, 0);
	if (!sys_socket)
		return syscall_enosys(NR_socket);
	return sys_socket(a0, a1, a2, a3, a4, a5);
}

SOCKCALL(socketpair)
{
	if (a0 == AF_UNIX)
		return unix_socketpair(a1, a2, a3, 0, 0, 0);
	return a0 == 2 || a0 == 10 ? -EOPNOTSUPP : -EAFNOSUPPORT; /* AF_INET, AF_INET6 */
}

/* A call on descriptor a0: AF_UNIX, or the network stack's (ENOTSOCK for
 * other files, or when there is no stack). */
#define BY_FD(name, unix_call, net_call)                                                           \
	SOCKCALL(name)                                                                             \
	{                                                                                          \
		struct file *f = fd_get(a0);                                                       \
                                                                                                   \
		if (!f)                                                                            \
			return -EBADF;                                                             \
		if (unix_is(f))                                                                    \
			return unix_call;                                                          \
		return sys_##name ? net_call : -ENOTSOCK;                                          \
	}

BY_FD(bind, unix_bind(a0, a1, a2, 0, 0, 0), sys_bind(a0, a1, a2, a3, a4, a5))
BY_FD(listen, unix_listen(a0, a1, 0, 0, 0, 0), sys_listen(a0, a1, a2, a3, a4, a5))
BY_FD(accept, unix_accept4(a0, a1, a2, 0, 0, 0), sys_accept(a0, a1, a2, a3, a4, a5))
BY_FD(accept4, unix_accept4(a0, a1, a2, a3, 0, 0), sys_accept4(a0, a1, a2, a3, a4, a5))
BY_FD(connect, unix_connect(a0, a1, a2, 0, 0, 0), sys_connect(a0, a1, a2, a3, a4, a5))
BY_FD(sendto, unix_sendto(a0, a1, a2, a3, a4, a5), sys_sendto(a0, a1, a2, a3, a4, a5))
BY_FD(recvfrom, unix_recvfrom(a0, a1, a2, a3, a4, a5), sys_recvfrom(a0, a1, a2, a3, a4, a5))
BY_FD(sendmsg, unix_sendmsg(a0, a1, a2, 0, 0, 0), sys_sendmsg(a0, a1, a2, a3, a4, a5))
BY_FD(recvmsg, unix_recvmsg(a0, a1, a2, 0, 0, 0), sys_recvmsg(a0, a1, a2, a3, a4, a5))
BY_FD(shutdown, unix_shutdown(a0, a1, 0, 0, 0, 0), sys_shutdown(a0, a1, a2, a3, a4, a5))
BY_FD(getsockname, unix_getsockname(a0, a1, a2, 0, 0, 0), sys_getsockname(a0, a1, a2, a3, a4, a5))
BY_FD(getpeername, unix_getpeername(a0, a1, a2, 0, 0, 0), sys_getpeername(a0, a1, a2, a3, a4, a5))
BY_FD(setsockopt, unix_setsockopt(a0, a1, a2, a3, a4, 0), sys_setsockopt(a0, a1, a2, a3, a4, a5))
BY_FD(getsockopt, unix_getsockopt(a0, a1, a2, a3, a4, 0), sys_getsockopt(a0, a1, a2, a3, a4, a5))

/* struct mmsghdr */
struct k_mmsghdr {
	struct k_msghdr hdr;
	u32 len, pad;
};

SOCKCALL(sendmmsg)
{
	struct k_mmsghdr *v = (struct k_mmsghdr *)a1;
	long i, rc = 0;

	if (a2 < 0)
		return -EINVAL;
	a2 = MIN(a2, (long)UIO_MAXIOV);
	if (!user_ok(a1, (u64)a2 * sizeof(*v), true))
		return -EFAULT;
	for (i = 0; i < a2; i++) {
		rc = sockcall_sendmsg(a0, (long)&v[i].hdr, a3, 0, 0, 0);
		if (rc < 0)
			break;
		v[i].len = (u32)rc;
	}
	return i ? i : rc;
}

SOCKCALL(recvmmsg)
{
	struct k_mmsghdr *v = (struct k_mmsghdr *)a1;
	const s64 *ts = (const s64 *)a4;
	u64 deadline = ~0UL;
	long i, rc = 0, flags = a3 & ~(long)MSG_WAITFORONE;

	if (a2 < 0)
		return -EINVAL;
	a2 = MIN(a2, (long)UIO_MAXIOV);
	if (!user_ok(a1, (u64)a2 * sizeof(*v), true))
		return -EFAULT;
	if (a4) {
		if (!user_ok(a4, 16, false))
			return -EFAULT;
		if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000L)
			return -EINVAL;
		deadline = plat_monotonic_ns() + (u64)ts[0] * 1000000000UL + (u64)ts[1];
	}
	for (i = 0; i < a2; i++) {
		rc = sockcall_recvmsg(a0, (long)&v[i].hdr, flags, 0, 0, 0);
		if (rc < 0)
			break;
		v[i].len = (u32)rc;
		if (a3 & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		/* as on Linux, the timeout is looked at after each message */
		if (plat_monotonic_ns() >= deadline)
			return i + 1;
	}
	return i ? i : rc;
}
