/* net_timers.c - lwIP's timers, run only while something needs them.
 *
 * lwIP is built without its own timer list (NO_SYS_NO_TIMERS, lwipopts.h):
 * its cyclic timers (ARP and reassembly every second, DHCP every 500 ms)
 * would wake an idle guest a few times a second, and every wake of an hvt
 * guest is a VM exit.  Here each timer has a rule for when it must run:
 *
 * - TCP (tcp_tmr, 250 ms): while there are active pcbs (retransmits,
 *   delayed ACKs, keepalive); with only TIME_WAIT pcbs, in batches (tcp_run);
 *   listening pcbs need no timer.
 * - ARP (etharp_tmr, ticks of 1 s): every second for ARP_PENDING_S after
 *   this guest sent an ARP request (pending entries re-request and expire);
 *   otherwise, while the table holds entries, ticks are run in batches every
 *   ARP_BATCH_S seconds (ageing is a count of ticks: an entry expires at
 *   most ARP_BATCH_S late); with an empty table, never.  The ticks owed are
 *   always run before frames are taken in, so ageing is caught up first.
 *   The batch is as long as an entry's life (ARP_MAXAGE, 300 ticks): in an
 *   idle fleet nearly every guest holds its gateway's entry, and a 30 s
 *   batch was most of the fleet's wake-ups (10,000 spt: 333 a second of
 *   373, docs/density.md).  An entry lives 300 to 600 s; a peer's new MAC
 *   on a reused address still reaches it at once (its gratuitous ARP
 *   updates the entry).
 * - IP reassembly (ip_reass_tmr, 1 s): for IP_REASS_MAXAGE + 1 s after the
 *   last fragment came in (a partial datagram lives at most that long).
 * - DHCP: the fine timer (500 ms) while a request waits for its answer
 *   (request_timeout), the coarse one (60 s, lease renewal) while DHCP runs.
 *
 * net_poll() calls net_timers_run(); net_wait() sleeps until
 * net_timers_next() (or an event).
 */
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/ip4_frag.h"
#include "lwip/netif.h"
#include "lwip/opt.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#include "net_timers.h"
#include "../core/sched.h"
#include "../platform/platform.h"

#define MS 1000000UL
#define SEC 1000000000UL
#define ARP_PENDING_S 7 /* ARP_MAXPENDING (5) ticks, and a margin */
#define ARP_BATCH_S 300
#define TCP_TW_BATCH_S 10
/* 2 * TCP_MSL in ticks of 250 ms, and a margin: every TIME_WAIT pcb is gone */
#define TCP_TW_MAX_TICKS (2 * TCP_MSL / TCP_TMR_INTERVAL + 8)
#define ARP_MAX_TICKS 400 /* past ARP_MAXAGE (300): every entry is gone */

static u64 tcp_done; /* TCP ticks have been run up to here */
static bool tcp_idle = true; /* the pcb lists were empty at the last run */
static u64 arp_done; /* ARP ticks have been run up to here */
static u64 arp_busy_until, reass_until;
static u64 reass_next, dhcp_fine_next, dhcp_coarse_next;

/* TCP ticks: lwIP's tcp_timer_needed() (from TCP_REG) is its own empty
 * one without its timer list, so the pcb lists are looked at here, at every
 * run and before every sleep.  With active pcbs a tick every 250 ms; with
 * only TIME_WAIT ones (which just count ticks to their expiry) the ticks
 * owed are run in batches every TCP_TW_BATCH_S seconds, so a server whose
 * connections closed sleeps through their 2 MSL. */
static void tcp_run(u64 now)
{
	u64 owed;

	if ((!tcp_active_pcbs && !tcp_tw_pcbs) || !tcp_done) {
		tcp_done = now;
		tcp_idle = true;
		return;
	}
	if (tcp_idle) {
		/* the first pcb since the lists were empty: its first tick a
		 * whole interval from now (from its registration, give or take
		 * the time since the last run) */
		tcp_idle = false;
		if (now - tcp_done >= TCP_TMR_INTERVAL * MS)
			tcp_done = now;
		return;
	}
	owed = (now - tcp_done) / (TCP_TMR_INTERVAL * MS);
	if (!owed)
		return;
	if (tcp_active_pcbs)
		tcp_tmr(); /* late ticks are not made up (as lwIP's own list did) */
	else
		for (u64 i = 0; i < MIN(owed, (u64)TCP_TW_MAX_TICKS); i++)
			tcp_tmr();
	tcp_done += owed * TCP_TMR_INTERVAL * MS;
}

static u64 tcp_next(void)
{
	if (tcp_active_pcbs)
		return tcp_done + TCP_TMR_INTERVAL * MS;
	if (tcp_tw_pcbs)
		return tcp_done + TCP_TW_BATCH_S * SEC;
	return SCHED_FOREVER;
}

static bool arp_has_entries(void)
{
	for (size_t i = 0; i < ARP_TABLE_SIZE; i++) {
		ip4_addr_t *ip;
		struct netif *n;
		struct eth_addr *mac;

		if (etharp_get_entry(i, &ip, &n, &mac))
			return true;
	}
	return false;
}

static struct dhcp *dhcp_of_netif(void)
{
	return netif_default ? netif_dhcp_data(netif_default) : NULL;
}

/* The next time of a periodic timer whose due time `next` has come. */
static u64 step(u64 next, u64 interval, u64 now)
{
	next += interval;
	return next <= now ? now + interval : next;
}

void net_timers_frame_in(const u8 *frame, long len)
{
	/* IPv4 with more fragments or a fragment offset */
	if (len >= 34 && frame[12] == 0x08 && frame[13] == 0x00 &&
	    ((frame[20] & 0x3f) | frame[21])) {
		u64 now = plat_monotonic_ns();

		if (now >= reass_until)
			reass_next = now + SEC;
		reass_until = now + (IP_REASS_MAXAGE + 1) * SEC;
	}
}

void net_timers_frame_out(const u8 *frame, long len)
{
	/* an ARP request (opcode 1), but not a gratuitous one (sender and
	 * target address the same: no table entry waits for its answer) */
	if (len >= 42 && frame[12] == 0x08 && frame[13] == 0x06 && frame[20] == 0 &&
	    frame[21] == 1 && memcmp(frame + 28, frame + 38, 4)) {
		u64 now = plat_monotonic_ns();

		if (now >= arp_busy_until && arp_done + SEC < now)
			arp_done = now - (now - arp_done) % SEC; /* ticks stay on the 1 s grid */
		arp_busy_until = now + ARP_PENDING_S * SEC;
	}
}

void net_timers_run(void)
{
	u64 now = plat_monotonic_ns();
	struct dhcp *dhcp;

	if (!arp_done)
		arp_done = now;
	tcp_run(now);
	if (now >= arp_done + SEC) {
		u64 ticks = (now - arp_done) / SEC;

		for (u64 i = 0; i < MIN(ticks, (u64)ARP_MAX_TICKS); i++)
			etharp_tmr();
		arp_done += ticks * SEC;
	}
	if (reass_next && now >= reass_next) {
		ip_reass_tmr();
		reass_next = now < reass_until ? step(reass_next, SEC, now) : 0;
	}
	dhcp = dhcp_of_netif();
	if (dhcp && dhcp->request_timeout && dhcp_fine_next + DHCP_FINE_TIMER_MSECS * MS < now)
		dhcp_fine_next = now + DHCP_FINE_TIMER_MSECS * MS; /* a request just sent */
	if (dhcp && dhcp->request_timeout && now >= dhcp_fine_next) {
		dhcp_fine_tmr();
		dhcp_fine_next = step(dhcp_fine_next, DHCP_FINE_TIMER_MSECS * MS, now);
	}
	if (dhcp && now >= dhcp_coarse_next) {
		if (dhcp_coarse_next)
			dhcp_coarse_tmr();
		dhcp_coarse_next = step(dhcp_coarse_next ? dhcp_coarse_next : now,
					DHCP_COARSE_TIMER_MSECS * MS, now);
	}
}

u64 net_timers_next(void)
{
	u64 now = plat_monotonic_ns(), next = SCHED_FOREVER;
	struct dhcp *dhcp = dhcp_of_netif();

	next = tcp_next();
	if (now < arp_busy_until)
		next = MIN(next, arp_done + SEC);
	else if (arp_has_entries())
		next = MIN(next, arp_done + ARP_BATCH_S * SEC);
	if (reass_next)
		next = MIN(next, reass_next);
	if (dhcp) {
		if (dhcp->request_timeout) {
			/* a request just sent: its first tick 500 ms from now */
			if (dhcp_fine_next + DHCP_FINE_TIMER_MSECS * MS < now)
				dhcp_fine_next = now + DHCP_FINE_TIMER_MSECS * MS;
			next = MIN(next, dhcp_fine_next);
		}
		if (!dhcp_coarse_next)
			dhcp_coarse_next = now + DHCP_COARSE_TIMER_MSECS * MS;
		next = MIN(next, dhcp_coarse_next);
	}
	return next;
}
