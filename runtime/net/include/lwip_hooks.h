/* lwip_hooks.h - the hooks the runtime sets in lwIP (LWIP_HOOK_FILENAME in
 * lwipopts.h); runtime/net/tcp_hooks.c has them. */
#ifndef UNIK_LWIP_HOOKS_H
#define UNIK_LWIP_HOOKS_H

#include "lwip/err.h"

struct tcp_pcb;
struct tcp_hdr;
struct pbuf;

/* Every TCP segment that found its pcb: ERR_OK goes on, else it is dropped. */
err_t unik_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, struct pbuf *p);
#define LWIP_HOOK_TCP_INPACKET_PCB(pcb, hdr, optlen, opt1len, opt2, p)                             \
	unik_tcp_inpacket(pcb, hdr, p)

#endif
