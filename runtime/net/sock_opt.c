/* sock_opt.c - setsockopt/getsockopt of the sockets of sock.c (see sock.h
 * and docs/networking.md for the options served). */
#include "sock_impl.h"
#include "../core/errno.h"

#define SOL_SOCKET 1
#define IPPROTO_IP 0
#define IPPROTO_TCP 6
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define IP_TOS 1
#define IP_TTL 2
#define IP_PKTINFO 8

/* The pcb's socket-level option bits (SOF_*), for whichever pcb is live. */
static void pcb_option(struct sock *s, u8 bit, bool on)
{
	struct ip_pcb {
		IP_PCB;
	} *pcb = s->udp ? (void *)s->udp : s->tcp ? (void *)s->tcp : (void *)s->listen;

	if (!pcb)
		return;
	if (on)
		pcb->so_options |= bit;
	else
		pcb->so_options &= (u8)~bit;
}

static int set_timeout(u64 *out, const void *val, u32 len)
{
	const s64 *tv = val; /* struct timeval */

	if (len < 16 || tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000)
		return -EINVAL;
	*out = (u64)tv[0] * 1000000000UL + (u64)tv[1] * 1000;
	return 0;
}

int sock_setopt(struct sock *s, int level, int name, const void *val, u32 len)
{
	int v = len >= 4 ? *(const int *)val : 0;

	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_RCVTIMEO: return set_timeout(&s->rcvtimeo, val, len);
		case SO_SNDTIMEO: return set_timeout(&s->sndtimeo, val, len);
		case SO_LINGER: return len >= 8 ? 0 : -EINVAL;
		default: break;
		}
	}
	if (len < 4)
		return -EINVAL;
	switch (level << 8 | name) {
	case SOL_SOCKET << 8 | SO_REUSEADDR:
	case SOL_SOCKET << 8 | SO_REUSEPORT:
		s->reuseaddr = v;
		pcb_option(s, SOF_REUSEADDR, v);
		return 0;
	case SOL_SOCKET << 8 | SO_KEEPALIVE:
		s->keepalive = v;
		pcb_option(s, SOF_KEEPALIVE, v);
		return 0;
	case SOL_SOCKET << 8 | SO_BROADCAST:
		s->broadcast = v;
		pcb_option(s, SOF_BROADCAST, v);
		return 0;
	case SOL_SOCKET << 8 | SO_RCVBUF: s->rcvbuf = MAX(v, 256) * 2; return 0;
	case SOL_SOCKET << 8 | SO_SNDBUF: s->sndbuf = MAX(v, 256) * 2; return 0;
	case IPPROTO_TCP << 8 | TCP_NODELAY:
		if (s->type != SOCK_STREAM)
			return -ENOPROTOOPT;
		s->nodelay = v;
		if (s->tcp && v)
			tcp_nagle_disable(s->tcp);
		else if (s->tcp)
			tcp_nagle_enable(s->tcp);
		return 0;
	case IPPROTO_TCP << 8 | TCP_KEEPIDLE:
	case IPPROTO_TCP << 8 | TCP_KEEPINTVL:
	case IPPROTO_TCP << 8 | TCP_KEEPCNT:
		if (s->type != SOCK_STREAM || v < 1)
			return s->type != SOCK_STREAM ? -ENOPROTOOPT : -EINVAL;
		if (s->tcp && name == TCP_KEEPIDLE)
			s->tcp->keep_idle = (u32)v * 1000;
		else if (s->tcp && name == TCP_KEEPINTVL)
			s->tcp->keep_intvl = (u32)v * 1000;
		else if (s->tcp)
			s->tcp->keep_cnt = (u32)v;
		return 0;
	case IPPROTO_TCP << 8 | TCP_MAXSEG: return 0;
	case IPPROTO_IP << 8 | IP_TOS: s->tos = (u8)v; return 0;
	case IPPROTO_IP << 8 | IP_PKTINFO:
		if (len < 1)
			return -EINVAL;
		s->pktinfo = (len >= 4 ? v : *(const u8 *)val) != 0;
		return 0;
	case IPPROTO_IP << 8 | IP_TTL:
		if (v < 1 || v > 255)
			return -EINVAL;
		s->ttl = (u8)v;
		if (s->udp)
			s->udp->ttl = (u8)v;
		else if (s->tcp)
			s->tcp->ttl = (u8)v;
		return 0;
	default: return -ENOPROTOOPT;
	}
}

int sock_getopt(struct sock *s, int level, int name, void *val, u32 *len)
{
	int v;

	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
		u64 t = name == SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo;
		s64 tv[2] = { (s64)(t / 1000000000UL), (s64)(t % 1000000000UL / 1000) };

		if (*len < sizeof(tv))
			return -EINVAL;
		memcpy(val, tv, sizeof(tv));
		*len = sizeof(tv);
		return 0;
	}
	switch (level << 8 | name) {
	case SOL_SOCKET << 8 | SO_REUSEADDR:
	case SOL_SOCKET << 8 | SO_REUSEPORT: v = s->reuseaddr; break;
	case SOL_SOCKET << 8 | SO_KEEPALIVE: v = s->keepalive; break;
	case SOL_SOCKET << 8 | SO_BROADCAST: v = s->broadcast; break;
	case SOL_SOCKET << 8 | SO_TYPE: v = s->type; break;
	case SOL_SOCKET << 8 | SO_ERROR: v = -sock_error(s); break;
	case SOL_SOCKET << 8 | SO_RCVBUF: v = s->rcvbuf; break;
	case SOL_SOCKET << 8 | SO_SNDBUF: v = s->sndbuf; break;
	case SOL_SOCKET << 8 | SO_ACCEPTCONN: v = s->listen != NULL; break;
	case SOL_SOCKET << 8 | SO_DOMAIN: v = AF_INET; break;
	case SOL_SOCKET << 8 | SO_PROTOCOL: v = s->type == SOCK_STREAM ? 6 : 17; break;
	case SOL_SOCKET << 8 | SO_LINGER: v = 0; break;
	case IPPROTO_TCP << 8 | TCP_NODELAY: v = s->nodelay; break;
	case IPPROTO_TCP << 8 | TCP_MAXSEG: v = TCP_MSS; break;
	case IPPROTO_TCP << 8 | TCP_KEEPIDLE:
		v = s->tcp ? (int)(s->tcp->keep_idle / 1000) : 7200;
		break;
	case IPPROTO_TCP << 8 | TCP_KEEPINTVL:
		v = s->tcp ? (int)(s->tcp->keep_intvl / 1000) : 75;
		break;
	case IPPROTO_TCP << 8 | TCP_KEEPCNT: v = s->tcp ? (int)s->tcp->keep_cnt : 9; break;
	case IPPROTO_IP << 8 | IP_TOS: v = s->tos; break;
	case IPPROTO_IP << 8 | IP_TTL: v = s->ttl; break;
	case IPPROTO_IP << 8 | IP_PKTINFO: v = s->pktinfo; break;
	default: return -ENOPROTOOPT;
	}
	if (*len < 4)
		return -EINVAL;
	if (level == SOL_SOCKET && name == SO_LINGER) {
		if (*len < 8)
			return -EINVAL;
		memset(val, 0, 8);
		*len = 8;
		return 0;
	}
	memcpy(val, &v, 4);
	*len = 4;
	return 0;
}
