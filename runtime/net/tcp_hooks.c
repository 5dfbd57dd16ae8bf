/* tcp_hooks.c - what the runtime changes in lwIP's TCP through its hooks
 * (include/lwip_hooks.h).
 *
 * A new connection from a client port whose last connection is still in
 * TIME_WAIT here: a server that closes first (HTTP with "Connection:
 * close") keeps one such pcb per connection for 2 * TCP_MSL (2 minutes),
 * and a busy client soon reuses the port.  lwIP answers that SYN with an
 * ACK of the old connection, the client's stack resets it and the RST is
 * ignored in TIME_WAIT (RFC 1337), so the client cannot connect until the
 * old pcb expires.  Linux takes a SYN whose sequence number is past the old
 * connection's as a new connection; here the old pcb is dropped with that
 * SYN and the client's retransmission (a second later) reaches the
 * listener.
 */
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#include "lwip_hooks.h"

err_t unik_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, struct pbuf *p)
{
	(void)p;
	if (pcb->state == TIME_WAIT &&
	    (TCPH_FLAGS(hdr) & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
	    TCP_SEQ_GT(hdr->seqno, pcb->rcv_nxt)) { /* tcp_input made it host order */
		tcp_abort(pcb); /* in TIME_WAIT: freed, nothing sent */
		return ERR_ABRT;
	}
	return ERR_OK;
}
