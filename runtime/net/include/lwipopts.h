/* lwipopts.h - lwIP's configuration for the unik runtime.
 *
 * NO_SYS: one thread, no OS primitives.  The runtime drives lwIP from its
 * system calls (runtime/net/net.c: frames in, timers) and uses the raw
 * TCP/UDP API under its own Linux socket layer (runtime/net/sys_socket.c);
 * lwIP's netconn and socket APIs are not compiled.  IPv4 only.  Memory: one
 * region of NET_HEAP_SIZE bytes taken from the frame allocator at start, cut
 * into fixed-size blocks by runtime/net/net_heap.c (mem_malloc through
 * MEM_LIBC_MALLOC), from which the pools are taken too (MEMP_MEM_MALLOC), so
 * lwIP adds almost nothing to the runtime's .bss (which must fit below 2 MiB).
 */
#ifndef UNIK_LWIPOPTS_H
#define UNIK_LWIPOPTS_H

#define NO_SYS 1
#define NO_SYS_NO_TIMERS 1 /* runtime/net/net_timers.c runs them, only while needed */
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_RAW 0
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_DNS 0 /* the program's own resolver reads /etc/resolv.conf */
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define LWIP_STATS 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_SINGLE_NETIF 1
#define LWIP_HAVE_LOOPIF 0
#define LWIP_NETIF_LOOPBACK 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0

/* Memory: fixed-size blocks over one region (net_heap.c, set up by net.c
 * before lwip_init()); lwIP's mem.c heap is not used. */
#define NET_HEAP_SIZE (4u << 20)
#define MEM_SIZE NET_HEAP_SIZE
#define MEM_ALIGNMENT 8
#define MEMP_MEM_MALLOC 1
#define MEM_LIBC_MALLOC 1
#define mem_clib_malloc net_heap_alloc
#define mem_clib_calloc net_heap_calloc
#define mem_clib_free net_heap_free
#include "../net_heap.h"
#define MEMP_NUM_TCP_PCB 1024 /* one per descriptor (MAX_FDS); MEMP_MEM_MALLOC: allocated on use */
#define MEMP_NUM_TCP_PCB_LISTEN 32
#define MEMP_NUM_UDP_PCB 64
#define MEMP_NUM_TCP_SEG 1024
#define MEMP_NUM_PBUF 256
#define MEMP_NUM_REASSDATA 8
#define PBUF_POOL_SIZE 256
#define PBUF_POOL_BUFSIZE 1536

/* TCP: windows sized for a server with a few dozen clients. */
#define TCP_MSS 1460
#define TCP_WND (16 * TCP_MSS)
#define TCP_SND_BUF (16 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 128
#define LWIP_TCP_KEEPALIVE 1
#define TCP_QUEUE_OOSEQ 1
#define LWIP_TCP_SACK_OUT 0
#define LWIP_WND_SCALE 0
#define SO_REUSE 1
#define LWIP_CALLBACK_API 1
#define LWIP_HOOK_FILENAME "lwip_hooks.h" /* runtime/net/tcp_hooks.c */
#define LWIP_EVENT_API 0

/* Checksums in software (the devices offer no offload we negotiate). */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
/* ... summed eight bytes a step (runtime/net/net_chksum.c) rather than by
 * lwIP's two-byte loop: on hvt every ring-0 instruction is emulated. */
#define LWIP_CHKSUM unik_net_chksum
unsigned short unik_net_chksum(const void *data, int len);

#define LWIP_RAND() ((u32_t)net_random32())
unsigned int net_random32(void);

#define LWIP_DEBUG 0
#define LWIP_NOASSERT_ON_ERROR 1

#endif
