/* unix_impl.h - what unix_sock.c (sockets, names, connections) and
 * unix_io.c (sending, receiving, options) share. */
#ifndef UNIK_RT_UNIX_IMPL_H
#define UNIK_RT_UNIX_IMPL_H

#include "ring.h"
#include "unix_sock.h"

#define UNIX_PATH 108
#define UNIX_BUF (256 * 1024)

enum ustate { US_NEW, US_LISTEN, US_CONNECTED };

/* A socket address: sun_path's bytes (abstract names start with NUL). */
struct uaddr {
	u16 len; /* bytes of path; 0: unnamed */
	char path[UNIX_PATH];
};

struct usock {
	int type; /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	enum ustate state;
	int refs; /* its open file, a peer's link, a listener's queue */
	bool closed; /* its open file is gone */
	bool shut_rd, shut_wr; /* shutdown() of this end */
	bool was_connected;
	int error; /* SO_ERROR, negated */
	struct usock *peer; /* the other end (stream, seqpacket), or the default destination */
	struct ring rx; /* bytes, or records for dgram and seqpacket */
	u32 records;
	struct uaddr name;
	struct vnode *node; /* the socket file of a bound path */
	struct usock *abs_next; /* bound abstract names */
	/* listening */
	struct usock *queue, *queue_tail, *qnext;
	int qlen, backlog;
	/* options */
	u64 rcvtimeo, sndtimeo; /* ns, 0: none */
	u32 sndbuf;
	int passcred, reuseaddr, keepalive;
	bool console; /* /dev/log: datagrams go to the console, nobody reads them */
	u64 ino;
};

/* One datagram or seqpacket record in a ring: this header, the sender's
 * name, the data. */
struct urec {
	u32 len;
	u16 namelen;
	u16 pad;
};

/* unix_sock.c */
struct usock *unix_of(long fd, long *err);
void usock_put(struct usock *s);
/* The bound socket of an address of the program at (uaddr, len), held; or NULL with *err. */
struct usock *unix_find(long uaddr, long len, long *err);
/* Writes an address to the program's (uaddr, ulen) pair, truncating as Linux does. */
long unix_put_addr(const struct uaddr *a, long uaddr, long ulen);
/* Waits on ready(arg) until the socket's timeout (SO_RCVTIMEO/SNDTIMEO):
 * 0, -EAGAIN at the timeout, -EINTR. */
long unix_wait(struct usock *s, bool send, bool (*ready)(void *), void *arg, const char *what);

/* unix_io.c */
long unix_send(struct file *f, const struct k_iovec *iov, int n, int flags, struct usock *to);
long unix_recv(struct file *f, const struct k_iovec *iov, int n, int flags, struct uaddr *from,
	       int *mflags);
short unix_poll(struct file *f);

#endif
