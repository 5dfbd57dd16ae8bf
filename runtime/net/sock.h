/* sock.h - IPv4 TCP and UDP sockets over lwIP's raw API.
 *
 * The objects behind the program's socket descriptors.  Nothing here
 * blocks: an operation that would wait returns -EAGAIN and the system-call
 * layer (sys_socket.c) waits with net_wait() and retries, or returns
 * -EAGAIN to a non-blocking caller.  lwIP delivers data, connections and
 * errors through callbacks during net_poll(); they only queue and record.
 * Buffers passed in are runtime-accessible (the caller has checked and
 * backed user memory).  Errors are negated Linux errnos.
 */
#ifndef UNIK_RT_SOCK_H
#define UNIK_RT_SOCK_H

#include "net.h"
#include "../core/fd.h"
#include "../core/sockabi.h"

/* Linux's struct sockaddr_in; port and address in network byte order. */
struct k_sockaddr_in {
	u16 family; /* AF_INET */
	u16 port;
	u32 addr;
	u8 zero[8];
};

struct sock;

/* A new unbound socket of `type` (SOCK_STREAM or SOCK_DGRAM) in *out.
 * 0, -ENOMEM, or -EPROTONOSUPPORT. */
int sock_create(int type, struct sock **out);
/* Closes the socket: TCP sends FIN (RST when unread data is left, as
 * Linux does), a listener resets the connections nobody accepted.  Frees s. */
void sock_close(struct sock *s);
/* SOCK_STREAM or SOCK_DGRAM. */
int sock_type(const struct sock *s);

/* bind(2): 0, -EADDRINUSE, -EINVAL (already bound). */
int sock_bind(struct sock *s, const struct k_sockaddr_in *a);
/* listen(2) on a TCP socket (binds an ephemeral port if unbound); 0 or -errno. */
int sock_listen(struct sock *s, int backlog);
/* The next connection a listener has queued in *out: 0, -EAGAIN (none yet),
 * -EINVAL (not listening). */
int sock_accept(struct sock *s, struct sock **out);
/* connect(2).  TCP: 0 once connected; -EINPROGRESS when the handshake has
 * started (poll for POLLOUT, then sock_error()); -EALREADY while it runs;
 * -EISCONN.  UDP: sets the default peer, 0. */
int sock_connect(struct sock *s, const struct k_sockaddr_in *a);
/* True while a TCP connect is in progress. */
bool sock_connecting(const struct sock *s);

/* Receives into iov[0..n) (MSG_PEEK, MSG_TRUNC honoured); the sender in
 * *from when from != NULL.  Bytes received, 0 at end of stream, -EAGAIN
 * when nothing is there yet, or a pending error (-ECONNRESET...). */
long sock_recv(struct sock *s, const struct k_iovec *iov, int n, int flags,
	       struct k_sockaddr_in *from);
/* Sends iov[0..n) (to `to` when not NULL, UDP; from the local address
 * src when not 0: IP_PKTINFO on sendmsg, -EINVAL unless it is one of the
 * instance's).  TCP: as many bytes as fit
 * in the send buffer (-EAGAIN when none fit, -EPIPE after shutdown or
 * close); UDP: the whole datagram or an error (-EMSGSIZE, -EDESTADDRREQ,
 * -ENETUNREACH, -ENOBUFS). */
long sock_send(struct sock *s, const struct k_iovec *iov, int n, int flags,
	       const struct k_sockaddr_in *to, u32 src);
/* IP_PKTINFO: true when the option is on (UDP) and a datagram was read;
 * the destination address of the last one read in *dst. */
bool sock_pktinfo(const struct sock *s, u32 *dst);
/* shutdown(2): how is SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2); 0, -ENOTCONN, -EINVAL. */
int sock_shutdown(struct sock *s, int how);
/* The local (peer == false) or remote address; 0 or -ENOTCONN. */
int sock_name(const struct sock *s, bool peer, struct k_sockaddr_in *out);

/* setsockopt/getsockopt for SOL_SOCKET, IPPROTO_TCP and IPPROTO_IP
 * (docs/networking.md lists the options).  val is `len` bytes of runtime
 * memory; getsockopt sets *len.  0, -ENOPROTOOPT or -EINVAL. */
int sock_setopt(struct sock *s, int level, int name, const void *val, u32 len);
int sock_getopt(struct sock *s, int level, int name, void *val, u32 *len);
/* SO_RCVTIMEO (send == false) or SO_SNDTIMEO in ns; 0 means none. */
u64 sock_timeout(const struct sock *s, bool send);

/* The poll(2) events now true: POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP. */
short sock_poll(const struct sock *s);
/* Takes the pending error (SO_ERROR): 0 or a negated errno. */
int sock_error(struct sock *s);
/* Bytes ready to read (FIONREAD). */
u32 sock_readable(const struct sock *s);

#endif
