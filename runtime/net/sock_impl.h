/* sock_impl.h - the inside of a socket, shared by sock.c (life cycle and
 * data) and sock_opt.c (options).  Nothing else looks inside. */
#ifndef UNIK_RT_SOCK_IMPL_H
#define UNIK_RT_SOCK_IMPL_H

#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#include "sock.h"

enum sock_state { ST_NEW, ST_LISTEN, ST_CONNECTING, ST_CONNECTED, ST_CLOSED };

struct dgram {
	struct dgram *next;
	struct pbuf *p;
	u32 addr;
	u16 port;
	u32 dst; /* the destination in its IP header (IP_PKTINFO) */
};

struct sock {
	u8 type;
	u8 state;
	bool rd_shut, wr_shut, peer_closed, bound;
	int err; /* pending error, negated errno */
	struct tcp_pcb *tcp; /* SOCK_STREAM, not listening */
	struct tcp_pcb_listen *listen; /* SOCK_STREAM, listening */
	struct udp_pcb *udp; /* SOCK_DGRAM */
	struct pbuf *rx; /* TCP: received, not yet read */
	struct dgram *dq_head, *dq_tail; /* UDP: received datagrams */
	int dq_len;
	struct sock *aq_head, *aq_tail, *aq_next; /* listener: accepted, not yet taken */
	int aq_len, backlog;
	int rcvbuf, sndbuf;
	u64 rcvtimeo, sndtimeo;
	bool reuseaddr, broadcast, nodelay, keepalive;
	u8 tos, ttl;
	bool pktinfo; /* IP_PKTINFO */
	bool have_dst;
	u32 last_dst; /* the header destination of the last datagram read */
};

/* The negated Linux errno for an lwIP error. */
int sock_lwip_errno(err_t e);

#endif
