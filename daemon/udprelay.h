/* udprelay.h - a published UDP port: datagrams to the host's socket go to
 * the guest's port from a socket per sender (a flow), and what the guest
 * sends back on a flow goes back to its sender from the host's socket.
 *
 * One thread per port serves every flow.  A gate says whether the guest
 * is up (and where): while it is not, datagrams are held in a bounded
 * queue (UDPRELAY_QUEUE datagrams), then delivered once the guest's port
 * takes them.  Datagrams past the queue's bound are dropped (UDP's own
 * loss), never an error of the daemon's.  Every datagram is counted by
 * the activity callback (summon.c: the idle timeout). */
#ifndef UNIKD_UDPRELAY_H
#define UNIKD_UDPRELAY_H

#include <netinet/in.h>

/* Datagrams held while the guest is not up; flows at once (the oldest is
 * dropped for a new sender past it); ms without a datagram that end a flow. */
#define UDPRELAY_QUEUE 64
#define UDPRELAY_FLOWS 256
#define UDPRELAY_FLOW_IDLE_MS 60000
/* How long a datagram the guest's stack refused (its port does not listen
 * yet: ICMP port unreachable) is sent again for, and the pause in between. */
#define UDPRELAY_LISTEN_WAIT_MS 10000
#define UDPRELAY_RETRY_MS 5

struct udprelay;

struct udprelay_gate {
	/* 1 with the guest's address and a generation (a new one for each
	 * boot: its flows start again) when the guest is up; 0 when it is
	 * not (the gate may start its boot, then calls udprelay_wake); -1 when
	 * it cannot be (what is held is dropped).  recheck 1: the guest
	 * refused a datagram, look again rather than trust what is known. */
	int (*ready)(void *arg, int recheck, struct sockaddr_in *guest, unsigned *gen);
	/* a datagram came from a sender (NULL: none) */
	void (*activity)(void *arg);
	/* the guest never took the held datagrams (a line for `unik logs`) */
	void (*gave_up)(void *arg, int dropped);
	void *arg;
};

/* Serves fd (a bound UDP socket; the relay owns it from now on): 0, or -1
 * when its thread cannot start (fd is closed then). */
int udprelay_open(int fd, const struct udprelay_gate *gate, struct udprelay **out);
/* Makes the relay ask its gate again (the guest's boot ended). */
void udprelay_wake(struct udprelay *r);
/* Stops the thread, closes every socket, frees it.  NULL is fine. */
void udprelay_close(struct udprelay *r);

#endif
