/* udprelay.h - a published UDP port: datagrams to the host's socket go to
 * the guest's port from a socket per sender (a flow), and what the guest
 * sends back on a flow goes back to its sender from the host's socket.
 *
 * One thread per port serves every flow.  The port has one or more lanes
 * (a summon pool's members: one guest each); a new sender's flow is put
 * on the lane the gate picks and stays there (sticky) until it ends, 60 s
 * quiet, or its lane's guest is stopped (then its next datagram is picked
 * for again).  A gate says whether a lane's guest is up (and where): while
 * it is not, the lane's datagrams are held in a bounded queue
 * (UDPRELAY_QUEUE datagrams per lane), then delivered once the guest's
 * port takes them.  Datagrams past the queue's bound are dropped (UDP's own
 * loss), never an error of the daemon's.  Every datagram is counted by
 * the activity callback (summon.c: the idle timeout). */
#ifndef UNIKD_UDPRELAY_H
#define UNIKD_UDPRELAY_H

#include <netinet/in.h>

/* Datagrams held per lane while its guest is not up; flows at once over
 * all lanes (the oldest is dropped for a new sender past it); ms without a
 * datagram that end a flow; lanes at most. */
#define UDPRELAY_QUEUE 64
#define UDPRELAY_FLOWS 256
#define UDPRELAY_FLOW_IDLE_MS 60000
#define UDPRELAY_LANES 64
/* How long a datagram the guest's stack refused (its port does not listen
 * yet: ICMP port unreachable) is sent again for, and the pause in between. */
#define UDPRELAY_LISTEN_WAIT_MS 10000
#define UDPRELAY_RETRY_MS 5

struct udprelay;

struct udprelay_gate {
	/* Lane `lane`: 1 with its guest's address and a generation (a new one
	 * for each boot: its flows' sockets start again) when the guest is up;
	 * 0 when it is not (the gate may start its boot, then calls
	 * udprelay_wake); -1 when it cannot be (what is held is dropped).
	 * recheck 1: the guest refused a datagram, look again rather than
	 * trust what is known. */
	int (*ready)(void *arg, unsigned lane, int recheck, struct sockaddr_in *guest,
		     unsigned *gen);
	/* The lane of a new sender's flow (cur == n_lanes), or of one on lane
	 * cur whose guest is not up now with nothing held for it (cur again
	 * unless that guest is down for good: stopped); flows[i]: the flows
	 * lane i has now.  NULL: lane 0, the only one. */
	unsigned (*pick)(void *arg, const unsigned *flows, unsigned n_lanes, unsigned cur);
	/* a datagram came from a sender on lane `lane` (NULL: none) */
	void (*activity)(void *arg, unsigned lane);
	/* the lane's guest never took its held datagrams (a line for `unik logs`) */
	void (*gave_up)(void *arg, unsigned lane, int dropped);
	void *arg;
};

/* Serves fd (a bound UDP socket; the relay owns it from now on) over
 * n_lanes lanes (1..UDPRELAY_LANES): 0, or -1 when its thread cannot
 * start (fd is closed then). */
int udprelay_open(int fd, unsigned n_lanes, const struct udprelay_gate *gate,
		  struct udprelay **out);
/* Makes the relay ask its gate again about the lanes holding datagrams
 * (a guest's boot ended). */
void udprelay_wake(struct udprelay *r);
/* Stops the thread, closes every socket, frees it.  NULL is fine. */
void udprelay_close(struct udprelay *r);

#endif
