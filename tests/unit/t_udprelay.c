/* t_udprelay.c - daemon/udprelay.c's lanes (a summon pool's UDP port), on
 * loopback only: two echoing "guests" (sockets answering with their lane's
 * prefix) behind one relay; new senders go to the lane the gate picks and
 * stay there; a sender whose lane's guest is down for good is picked for
 * again; a lane's datagrams are held while its guest is not up and
 * delivered once the gate says it is (udprelay_wake). */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../../daemon/udprelay.h"
#include "tap.h"

#define SENDERS 6

static int guest_fd[2];
static struct sockaddr_in guest_sa[2];
static atomic_int guest_up[2], lane_gone[2], picks, activity[2], stop_guests;

static void *guest_main(void *arg)
{
	int lane = (int)(long)arg;
	char buf[256], out[300];

	while (!atomic_load(&stop_guests)) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(guest_fd[lane], buf, sizeof(buf) - 1, 0,
				     (struct sockaddr *)&from, &len);

		if (n < 0)
			continue; /* the receive timeout: look at the flag */
		buf[n] = 0;
		n = snprintf(out, sizeof(out), "g%d:%s", lane, buf);
		sendto(guest_fd[lane], out, (size_t)n, 0, (struct sockaddr *)&from, len);
	}
	return NULL;
}

static int gate_ready(void *arg, unsigned lane, int recheck, struct sockaddr_in *guest,
		      unsigned *gen)
{
	(void)arg;
	(void)recheck;
	if (lane > 1 || !atomic_load(&guest_up[lane]))
		return 0;
	*guest = guest_sa[lane];
	*gen = 1;
	return 1;
}

/* The fewer flows, lane 0 on a tie; a lane that is gone is left, its
 * sender kept on lane cur otherwise. */
static unsigned gate_pick(void *arg, const unsigned *flows, unsigned n, unsigned cur)
{
	(void)arg;
	atomic_fetch_add(&picks, 1);
	if (n != 2)
		return 0;
	if (cur < n && !atomic_load(&lane_gone[cur]))
		return cur;
	if (atomic_load(&lane_gone[0]))
		return 1;
	if (atomic_load(&lane_gone[1]))
		return 0;
	return flows[1] < flows[0];
}

static void gate_activity(void *arg, unsigned lane)
{
	(void)arg;
	if (lane < 2)
		atomic_fetch_add(&activity[lane], 1);
}

static int bind_loopback(struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(*sa);
	struct timeval tv = { 0, 100 * 1000 };

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) ||
	    getsockname(fd, (struct sockaddr *)sa, &len))
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Sends msg from sender fd to the relay: the lane that answered (0, 1),
 * or -1 without an answer within tries tenths of a second. */
static int ask_within(int fd, const struct sockaddr_in *relay, const char *msg, int tries)
{
	char buf[300];
	ssize_t n;

	sendto(fd, msg, strlen(msg), 0, (const struct sockaddr *)relay, sizeof(*relay));
	for (int i = 0; i < tries; i++) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			continue;
		buf[n] = 0;
		if (n > 3 && buf[0] == 'g' && buf[2] == ':' && !strcmp(buf + 3, msg))
			return buf[1] - '0';
	}
	return -1;
}

static int ask(int fd, const struct sockaddr_in *relay, const char *msg)
{
	return ask_within(fd, relay, msg, 50);
}

int main(void)
{
	struct udprelay_gate g = { gate_ready, gate_pick, gate_activity, NULL, NULL };
	struct udprelay *r = NULL;
	struct sockaddr_in relay_sa, sa;
	int relay_fd, snd[SENDERS], lane[SENDERS], sticky = 1, spread[2] = { 0, 0 };
	pthread_t th[2];
	char msg[32];

	for (int i = 0; i < 2; i++) {
		guest_fd[i] = bind_loopback(&guest_sa[i]);
		pthread_create(&th[i], NULL, guest_main, (void *)(long)i);
	}
	relay_fd = bind_loopback(&relay_sa);
	ok(guest_fd[0] >= 0 && guest_fd[1] >= 0 && relay_fd >= 0, "loopback sockets");
	ok(udprelay_open(socket(AF_INET, SOCK_DGRAM, 0), 0, &g, &r) == -1, "0 lanes are refused");
	ok(udprelay_open(socket(AF_INET, SOCK_DGRAM, 0), UDPRELAY_LANES + 1, &g, &r) == -1,
	   "more than UDPRELAY_LANES are refused");
	ok(udprelay_open(relay_fd, 2, &g, &r) == 0, "a relay with 2 lanes");
	atomic_store(&guest_up[0], 1);
	atomic_store(&guest_up[1], 1);

	/* new senders spread by the gate's pick (fewest flows): 0, 1, 0, 1, ... */
	for (int i = 0; i < SENDERS; i++) {
		snd[i] = bind_loopback(&sa);
		snprintf(msg, sizeof(msg), "s%d", i);
		lane[i] = ask(snd[i], &relay_sa, msg);
		if (lane[i] >= 0)
			spread[lane[i]]++;
	}
	ok(spread[0] == SENDERS / 2 && spread[1] == SENDERS / 2,
	   "%d new senders spread %d and %d over the lanes", SENDERS, spread[0], spread[1]);
	ok(lane[0] == 0 && lane[1] == 1, "in the order the gate picked");
	ok(atomic_load(&picks) == SENDERS, "one pick per new sender (%d)", atomic_load(&picks));
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < SENDERS; i++) {
			snprintf(msg, sizeof(msg), "again%d-%d", k, i);
			sticky &= ask(snd[i], &relay_sa, msg) == lane[i];
		}
	ok(sticky, "each sender's datagrams stay on its lane (3 more rounds)");
	ok(atomic_load(&picks) == SENDERS, "no pick for a known sender while its guest is up");
	ok(atomic_load(&activity[0]) == 4 * SENDERS / 2 &&
	       atomic_load(&activity[1]) == 4 * SENDERS / 2,
	   "activity counted per lane (%d, %d)", atomic_load(&activity[0]),
	   atomic_load(&activity[1]));

	/* lane 1's guest stopped for good: its senders are picked for again */
	atomic_store(&guest_up[1], 0);
	atomic_store(&lane_gone[1], 1);
	ok(ask(snd[1], &relay_sa, "moved") == 0, "a sender of a stopped lane goes to the other");
	ok(ask(snd[1], &relay_sa, "moved2") == 0, "and stays there");
	ok(ask(snd[0], &relay_sa, "kept") == 0, "the other lane's senders are not moved");

	/* lane 1 down but not gone (booting): its senders are held, not moved */
	atomic_store(&lane_gone[1], 0);
	ok(ask_within(snd[3], &relay_sa, "held", 10) == -1,
	   "a datagram for a lane whose guest is not up is held (no answer)");
	atomic_store(&guest_up[1], 1);
	udprelay_wake(r);
	{
		char buf[300];
		ssize_t n = -1;

		for (int i = 0; i < 50 && n < 0; i++)
			n = recv(snd[3], buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = 0;
		is_str(buf, "g1:held", "held on its own lane, delivered there once it is up");
	}
	ok(ask(snd[3], &relay_sa, "after") == 1, "then its datagrams go straight through");

	udprelay_close(r);
	atomic_store(&stop_guests, 1);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		close(guest_fd[i]);
	}
	for (int i = 0; i < SENDERS; i++)
		close(snd[i]);
	return tap_done();
}
