/* sock.c - TCP and UDP sockets over lwIP's raw API (see sock.h).
 *
 * A socket owns one lwIP pcb.  lwIP's callbacks (run inside net_poll())
 * queue what arrives: TCP data as a pbuf chain, UDP datagrams as a list,
 * new connections of a listener as a list of sockets already set up.  The
 * operations here only look at those queues; none blocks.  Sockets and
 * queue entries live on lwIP's heap.
 */
#include "lwip/ip4.h"
#include "lwip/ip4_addr.h"
#include "lwip/mem.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#include "net.h"
#include "sock.h"
#include "sock_impl.h"
#include "../core/errno.h"

#define UDP_QUEUE_MAX 128
/* The most connections a listener queues for accept() (Linux's default
 * somaxconn; /proc/sys/net/core/somaxconn says the same).  lwIP's own
 * backlog (a u8) counts only handshakes in progress. */
#define SOCK_BACKLOG_MAX 4096
#define LWIP_BACKLOG_MAX 255

int sock_lwip_errno(err_t e)
{
	switch (e) {
	case ERR_OK: return 0;
	case ERR_MEM: return -ENOBUFS;
	case ERR_BUF: return -ENOBUFS;
	case ERR_TIMEOUT: return -ETIMEDOUT;
	case ERR_RTE: return -ENETUNREACH;
	case ERR_INPROGRESS: return -EINPROGRESS;
	case ERR_VAL: return -EINVAL;
	case ERR_WOULDBLOCK: return -EAGAIN;
	case ERR_USE: return -EADDRINUSE;
	case ERR_ALREADY: return -EALREADY;
	case ERR_ISCONN: return -EISCONN;
	case ERR_CONN: return -ENOTCONN;
	case ERR_IF: return -ENETDOWN;
	case ERR_ABRT: return -ECONNABORTED;
	case ERR_RST: return -ECONNRESET;
	case ERR_CLSD: return -ENOTCONN;
	case ERR_ARG: return -EINVAL;
	default: return -EIO;
	}
}

static struct sock *sock_alloc(int type)
{
	struct sock *s = mem_malloc(sizeof(*s));

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->type = (u8)type;
	s->rcvbuf = TCP_WND;
	s->sndbuf = TCP_SND_BUF;
	s->ttl = 64;
	return s;
}

/* --- lwIP callbacks -------------------------------------------------------- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct sock *s = arg;

	if (!p) {
		s->peer_closed = true;
		return ERR_OK;
	}
	if (s->rd_shut) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if (s->rx)
		pbuf_cat(s->rx, p);
	else
		s->rx = p;
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct sock *s = arg;

	s->tcp = NULL; /* lwIP has freed the pcb */
	s->err = s->state == ST_CONNECTING && err == ERR_RST ? -ECONNREFUSED : sock_lwip_errno(err);
	if (s->state == ST_CONNECTING && err == ERR_ABRT)
		s->err = -ETIMEDOUT; /* the handshake gave up */
	s->state = ST_CLOSED;
}

static void tcp_attach(struct sock *s, struct tcp_pcb *pcb)
{
	s->tcp = pcb;
	tcp_arg(pcb, s);
	tcp_recv(pcb, on_recv);
	tcp_err(pcb, on_err);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct sock *s = arg;

	s->state = ST_CONNECTED;
	return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct sock *l = arg, *c;

	if (err != ERR_OK || !newpcb)
		return ERR_VAL;
	if (l->aq_len >= l->backlog || !(c = sock_alloc(SOCK_STREAM)))
		return ERR_MEM; /* lwIP resets the connection */
	c->state = ST_CONNECTED;
	c->bound = true;
	c->nodelay = l->nodelay;
	c->keepalive = l->keepalive;
	tcp_attach(c, newpcb);
	if (c->nodelay)
		tcp_nagle_disable(newpcb);
	if (l->aq_tail)
		l->aq_tail->aq_next = c;
	else
		l->aq_head = c;
	l->aq_tail = c;
	l->aq_len++;
	return ERR_OK;
}

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		   u16_t port)
{
	struct sock *s = arg;
	struct dgram *d;

	if (s->dq_len >= UDP_QUEUE_MAX || !(d = mem_malloc(sizeof(*d)))) {
		pbuf_free(p);
		return;
	}
	*d = (struct dgram){ NULL, p, ip4_addr_get_u32(ip_2_ip4(addr)), port,
			     ip4_addr_get_u32(ip4_current_dest_addr()) };
	if (s->dq_tail)
		s->dq_tail->next = d;
	else
		s->dq_head = d;
	s->dq_tail = d;
	s->dq_len++;
}

/* --- life cycle ------------------------------------------------------------ */

int sock_create(int type, struct sock **out)
{
	struct sock *s;

	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -EPROTONOSUPPORT;
	if (net_stack_init() < 0 || !(s = sock_alloc(type)))
		return -ENOMEM;
	if (type == SOCK_STREAM) {
		struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);

		if (!pcb) {
			mem_free(s);
			return -ENOMEM;
		}
		tcp_attach(s, pcb);
	} else {
		s->udp = udp_new_ip_type(IPADDR_TYPE_V4);
		if (!s->udp) {
			mem_free(s);
			return -ENOMEM;
		}
		udp_recv(s->udp, on_udp, s);
	}
	*out = s;
	return 0;
}

int sock_type(const struct sock *s)
{
	return s->type;
}

/* Closes a TCP pcb we own: FIN, or RST when data was left unread. */
static void tcp_release(struct sock *s)
{
	struct tcp_pcb *pcb = s->tcp;

	if (!pcb)
		return;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL); /* lwIP's default drops what still arrives */
	tcp_err(pcb, NULL);
	tcp_sent(pcb, NULL);
	s->tcp = NULL;
	if (s->rx || s->state == ST_CONNECTING || tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

void sock_close(struct sock *s)
{
	if (s->listen) {
		while (s->aq_head) {
			struct sock *c = s->aq_head;

			s->aq_head = c->aq_next;
			if (c->tcp) {
				tcp_arg(c->tcp, NULL);
				tcp_err(c->tcp, NULL);
				tcp_abort(c->tcp);
				c->tcp = NULL;
			}
			sock_close(c);
		}
		tcp_arg((struct tcp_pcb *)s->listen, NULL);
		tcp_accept((struct tcp_pcb *)s->listen, NULL);
		tcp_close((struct tcp_pcb *)s->listen);
	}
	tcp_release(s);
	if (s->rx)
		pbuf_free(s->rx);
	if (s->udp)
		udp_remove(s->udp);
	while (s->dq_head) {
		struct dgram *d = s->dq_head;

		s->dq_head = d->next;
		pbuf_free(d->p);
		mem_free(d);
	}
	mem_free(s);
}

/* --- addresses ------------------------------------------------------------- */

static void to_ip(const struct k_sockaddr_in *a, ip_addr_t *ip)
{
	ip_addr_set_ip4_u32_val(*ip, a->addr);
}

int sock_bind(struct sock *s, const struct k_sockaddr_in *a)
{
	ip_addr_t ip;
	err_t e;

	if (s->bound || s->listen)
		return -EINVAL;
	to_ip(a, &ip);
	if (s->type == SOCK_STREAM) {
		if (!s->tcp)
			return -EINVAL;
		if (s->reuseaddr)
			ip_set_option(s->tcp, SOF_REUSEADDR);
		e = tcp_bind(s->tcp, &ip, lwip_ntohs(a->port));
	} else {
		e = udp_bind(s->udp, &ip, lwip_ntohs(a->port));
	}
	if (e == ERR_USE)
		return -EADDRINUSE;
	if (e != ERR_OK)
		return sock_lwip_errno(e);
	s->bound = true;
	return 0;
}

int sock_listen(struct sock *s, int backlog)
{
	struct tcp_pcb_listen *l;
	err_t e = ERR_OK;

	if (s->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	if (backlog < 1)
		backlog = 1;
	if (backlog > SOCK_BACKLOG_MAX)
		backlog = SOCK_BACKLOG_MAX;
	s->backlog = backlog; /* the accept queue: aq_len */
	if (s->listen)
		return 0; /* a second listen() only changes the backlog */
	if (!s->tcp || s->state != ST_NEW)
		return -EINVAL;
	if (!s->bound) {
		int rc = tcp_bind(s->tcp, IP4_ADDR_ANY, 0);

		if (rc != ERR_OK)
			return sock_lwip_errno((err_t)rc);
		s->bound = true;
	}
	l = (struct tcp_pcb_listen *)tcp_listen_with_backlog_and_err(
	    s->tcp, (u8_t)(backlog < LWIP_BACKLOG_MAX ? backlog : LWIP_BACKLOG_MAX), &e);
	if (!l)
		return e == ERR_USE ? -EADDRINUSE : -ENOBUFS;
	s->tcp = NULL; /* freed by tcp_listen */
	s->listen = l;
	s->state = ST_LISTEN;
	tcp_arg((struct tcp_pcb *)l, s);
	tcp_accept((struct tcp_pcb *)l, on_accept);
	return 0;
}

int sock_accept(struct sock *s, struct sock **out)
{
	struct sock *c = s->aq_head;

	if (!s->listen)
		return -EINVAL;
	if (!c)
		return -EAGAIN;
	s->aq_head = c->aq_next;
	if (!s->aq_head)
		s->aq_tail = NULL;
	s->aq_len--;
	c->aq_next = NULL;
	*out = c;
	return 0;
}

int sock_connect(struct sock *s, const struct k_sockaddr_in *a)
{
	ip_addr_t ip;
	err_t e;

	to_ip(a, &ip);
	if (s->type == SOCK_DGRAM) {
		if (a->family != AF_INET) { /* AF_UNSPEC dissolves the association */
			udp_disconnect(s->udp);
			return 0;
		}
		return sock_lwip_errno(udp_connect(s->udp, &ip, lwip_ntohs(a->port)));
	}
	switch (s->state) {
	case ST_CONNECTING: return -EALREADY;
	case ST_CONNECTED: return -EISCONN;
	case ST_LISTEN: return -EISCONN;
	case ST_CLOSED: return s->err ? sock_error(s) : -EINVAL;
	default: break;
	}
	if (!net_active())
		return -ENETUNREACH;
	if (s->nodelay)
		tcp_nagle_disable(s->tcp);
	s->state = ST_CONNECTING;
	e = tcp_connect(s->tcp, &ip, lwip_ntohs(a->port), on_connected);
	if (e != ERR_OK) {
		s->state = ST_NEW;
		return sock_lwip_errno(e);
	}
	s->bound = true;
	return -EINPROGRESS;
}

bool sock_connecting(const struct sock *s)
{
	return s->state == ST_CONNECTING;
}

int sock_name(const struct sock *s, bool peer, struct k_sockaddr_in *out)
{
	const ip_addr_t *ip = NULL;
	u16 port = 0;

	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	if (s->listen && !peer) {
		ip = &s->listen->local_ip;
		port = s->listen->local_port;
	} else if (s->tcp) {
		if (peer && s->state != ST_CONNECTED)
			return -ENOTCONN;
		ip = peer ? &s->tcp->remote_ip : &s->tcp->local_ip;
		port = peer ? s->tcp->remote_port : s->tcp->local_port;
	} else if (s->udp) {
		if (peer && !(s->udp->flags & UDP_FLAGS_CONNECTED))
			return -ENOTCONN;
		ip = peer ? &s->udp->remote_ip : &s->udp->local_ip;
		port = peer ? s->udp->remote_port : s->udp->local_port;
	} else if (peer) {
		return -ENOTCONN;
	}
	if (ip)
		out->addr = ip4_addr_get_u32(ip_2_ip4(ip));
	out->port = lwip_htons(port);
	return 0;
}

/* --- data ------------------------------------------------------------------ */

/* Copies up to `len` bytes of chain p from offset off into the iovecs. */
static u64 copy_out(const struct pbuf *p, u64 off, u64 len, const struct k_iovec *iov, int n)
{
	u64 done = 0;

	for (int i = 0; i < n && done < len; i++) {
		u64 want = MIN(iov[i].len, len - done), got = 0;

		while (got < want) {
			u16 chunk = (u16)MIN(want - got, 0xffffUL);

			pbuf_copy_partial(p, (u8 *)iov[i].base + got, chunk,
					  (u16)(off + done + got));
			got += chunk;
		}
		done += want;
	}
	return done;
}

static long tcp_recv_data(struct sock *s, const struct k_iovec *iov, int n, int flags)
{
	u64 len;

	if (!s->rx) {
		if (s->err)
			return sock_error(s);
		if (s->peer_closed || s->rd_shut)
			return 0;
		if (s->state == ST_CONNECTED || s->state == ST_CONNECTING)
			return -EAGAIN;
		return s->state == ST_CLOSED ? 0 : -ENOTCONN;
	}
	/* pbuf offsets are 16-bit: read at most 64 KiB - 1 at once. */
	len = MIN(iov_total(iov, n), MIN((u64)s->rx->tot_len, 0xffffUL));
	len = copy_out(s->rx, 0, len, iov, n);
	if (flags & MSG_PEEK)
		return (long)len;
	s->rx = pbuf_free_header(s->rx, (u16)len);
	if (s->tcp)
		tcp_recved(s->tcp, (u16)len);
	return (long)len;
}

static long udp_recv_data(struct sock *s, const struct k_iovec *iov, int n, int flags,
			  struct k_sockaddr_in *from)
{
	struct dgram *d = s->dq_head;
	u64 len;

	if (!d)
		return s->err ? sock_error(s) : -EAGAIN;
	len = copy_out(d->p, 0, MIN(iov_total(iov, n), (u64)d->p->tot_len), iov, n);
	if (from) {
		memset(from, 0, sizeof(*from));
		from->family = AF_INET;
		from->port = lwip_htons(d->port);
		from->addr = d->addr;
	}
	s->last_dst = d->dst;
	s->have_dst = true;
	if (flags & MSG_TRUNC)
		len = d->p->tot_len;
	if (!(flags & MSG_PEEK)) {
		s->dq_head = d->next;
		if (!s->dq_head)
			s->dq_tail = NULL;
		s->dq_len--;
		pbuf_free(d->p);
		mem_free(d);
	}
	return (long)len;
}

long sock_recv(struct sock *s, const struct k_iovec *iov, int n, int flags,
	       struct k_sockaddr_in *from)
{
	if (s->type == SOCK_DGRAM)
		return udp_recv_data(s, iov, n, flags, from);
	if (s->listen)
		return -ENOTCONN;
	if (from && sock_name(s, true, from) < 0)
		memset(from, 0, sizeof(*from));
	return tcp_recv_data(s, iov, n, flags);
}

static long tcp_send_data(struct sock *s, const struct k_iovec *iov, int n, int flags)
{
	u64 room, done = 0;

	if (s->err)
		return sock_error(s);
	if (s->state == ST_CONNECTING)
		return -EAGAIN;
	if (s->state != ST_CONNECTED)
		return s->state == ST_CLOSED ? -EPIPE : -ENOTCONN;
	if (s->wr_shut || !s->tcp)
		return -EPIPE;
	room = tcp_sndbuf(s->tcp);
	if (tcp_sndqueuelen(s->tcp) >= TCP_SND_QUEUELEN - 2)
		room = 0;
	for (int i = 0; i < n && room; i++) {
		u64 off = 0;

		while (off < iov[i].len && room) {
			u16 chunk = (u16)MIN(MIN(iov[i].len - off, room), 0xffffUL);
			bool more = (flags & MSG_MORE) || off + chunk < iov[i].len || i + 1 < n;

			if (tcp_write(s->tcp, (const u8 *)iov[i].base + off, chunk,
				      TCP_WRITE_FLAG_COPY | (more ? TCP_WRITE_FLAG_MORE : 0)) !=
			    ERR_OK)
				goto out;
			off += chunk;
			done += chunk;
			room -= chunk;
		}
	}
out:
	if (!done)
		return -EAGAIN;
	if (!(flags & MSG_MORE))
		tcp_output(s->tcp);
	return (long)done;
}

bool sock_pktinfo(const struct sock *s, u32 *dst)
{
	if (s->type != SOCK_DGRAM || !s->pktinfo || !s->have_dst)
		return false;
	*dst = s->last_dst;
	return true;
}

/* The interface whose address is src (network byte order), or NULL. */
static struct netif *netif_of_addr(u32 src)
{
	struct netif *nif;

	NETIF_FOREACH(nif)
	{
		if (netif_is_up(nif) && ip4_addr_get_u32(netif_ip4_addr(nif)) == src)
			return nif;
	}
	return NULL;
}

/* udp_sendto/udp_send from the source address src (IP_PKTINFO's
 * ipi_spec_dst): it must be an address of this instance. */
static err_t udp_send_src(struct sock *s, struct pbuf *p, const ip_addr_t *to, u16 port, u32 src)
{
	ip_addr_t sip;
	struct netif *out;

	if (!netif_of_addr(src))
		return ERR_VAL;
	if (!to) {
		to = &s->udp->remote_ip;
		port = s->udp->remote_port;
	}
	out = ip4_route(ip_2_ip4(to));
	if (!out)
		return ERR_RTE;
	ip_addr_set_ip4_u32(&sip, src);
	return udp_sendto_if_src(s->udp, p, to, port, out, &sip);
}

static long udp_send_data(struct sock *s, const struct k_iovec *iov, int n,
			  const struct k_sockaddr_in *to, u32 src)
{
	u64 len = iov_total(iov, n), off = 0;
	struct pbuf *p;
	ip_addr_t ip;
	err_t e;

	if (len > 65507)
		return -EMSGSIZE;
	if (!to && !(s->udp->flags & UDP_FLAGS_CONNECTED))
		return -EDESTADDRREQ;
	if (!net_active())
		return -ENETUNREACH;
	p = pbuf_alloc(PBUF_TRANSPORT, (u16)len, PBUF_RAM);
	if (!p)
		return -ENOBUFS;
	for (int i = 0; i < n; i++) {
		pbuf_take_at(p, (const void *)iov[i].base, (u16)iov[i].len, (u16)off);
		off += iov[i].len;
	}
	if (to)
		to_ip(to, &ip);
	if (src) {
		e = udp_send_src(s, p, to ? &ip : NULL, to ? lwip_ntohs(to->port) : 0, src);
	} else if (to) {
		e = udp_sendto(s->udp, p, &ip, lwip_ntohs(to->port));
	} else {
		e = udp_send(s->udp, p);
	}
	pbuf_free(p);
	if (e != ERR_OK)
		return e == ERR_MEM ? -ENOBUFS : sock_lwip_errno(e);
	s->bound = true;
	return (long)len;
}

long sock_send(struct sock *s, const struct k_iovec *iov, int n, int flags,
	       const struct k_sockaddr_in *to, u32 src)
{
	if (s->type == SOCK_DGRAM)
		return udp_send_data(s, iov, n, to, src);
	if (to && s->state != ST_CONNECTED)
		return -EOPNOTSUPP; /* no TCP Fast Open */
	return tcp_send_data(s, iov, n, flags);
}

int sock_shutdown(struct sock *s, int how)
{
	if (how < 0 || how > 2)
		return -EINVAL;
	if (s->type == SOCK_STREAM && s->state != ST_CONNECTED && s->state != ST_CLOSED)
		return -ENOTCONN;
	if (how != 1) {
		s->rd_shut = true;
		if (s->rx) {
			if (s->tcp)
				tcp_recved(s->tcp, s->rx->tot_len);
			pbuf_free(s->rx);
			s->rx = NULL;
		}
	}
	if (how != 0 && !s->wr_shut) {
		s->wr_shut = true;
		if (s->tcp)
			tcp_shutdown(s->tcp, 0, 1);
	}
	return 0;
}

/* --- state ----------------------------------------------------------------- */

short sock_poll(const struct sock *s)
{
	short ev = 0;

	if (s->err)
		ev |= POLLERR;
	if (s->type == SOCK_DGRAM)
		return ev | POLLOUT | (s->dq_head ? POLLIN : 0);
	switch (s->state) {
	case ST_LISTEN: return ev | (s->aq_head ? POLLIN : 0);
	case ST_NEW: return ev | POLLOUT | POLLHUP;
	case ST_CONNECTING: return ev;
	default: break;
	}
	if (s->rx || s->peer_closed || s->rd_shut || s->state == ST_CLOSED)
		ev |= POLLIN;
	if (s->peer_closed || s->state == ST_CLOSED)
		ev |= POLLRDHUP;
	if ((s->peer_closed && s->wr_shut) || s->state == ST_CLOSED)
		ev |= POLLHUP;
	if (s->state == ST_CLOSED || s->wr_shut ||
	    (s->tcp && tcp_sndbuf(s->tcp) > 0 && tcp_sndqueuelen(s->tcp) < TCP_SND_QUEUELEN - 2))
		ev |= POLLOUT;
	return ev;
}

int sock_error(struct sock *s)
{
	int e = s->err;

	s->err = 0;
	return e;
}

u32 sock_readable(const struct sock *s)
{
	if (s->type == SOCK_DGRAM)
		return s->dq_head ? s->dq_head->p->tot_len : 0;
	return s->rx ? s->rx->tot_len : 0;
}

u64 sock_timeout(const struct sock *s, bool send)
{
	return send ? s->sndtimeo : s->rcvtimeo;
}
