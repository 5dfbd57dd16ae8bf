/* udprelay.c - the UDP relay of published ports (udprelay.h).
 *
 * The guest's port is taken to listen once a datagram sent to it draws
 * neither an error (the ICMP port unreachable of a guest whose program has
 * not bound it yet: ECONNREFUSED on the flow's connected socket) within
 * PROBE_QUIET_MS, nor goes unanswered by an answer: the first held
 * datagram is that probe, sent again every UDPRELAY_RETRY_MS while it is
 * refused, for up to UDPRELAY_LISTEN_WAIT_MS; then the rest follow.  A
 * probe taken as delivered by the quiet is kept for UNSURE_MS: refused
 * after all, it is held again (the gate's boot waits for the guest's stack
 * to answer first, so a refusal comes within a round trip). */
#include "udprelay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../lib/xalloc.h"

#define PROBE_QUIET_MS 50
#define UNSURE_MS 1000
#define QUEUE_BYTES (256 * 1024)
#define BATCH 64 /* datagrams read from one socket per wakeup */

struct dgram {
	struct sockaddr_in from;
	size_t len;
	char *data;
};

struct flow {
	int fd; /* connected to its lane's guest; -1: not yet (held) */
	unsigned lane;
	struct sockaddr_in peer; /* the sender */
	long long last_ms;
};

/* One guest's state: the datagrams held for it, its probe. */
struct lane {
	struct dgram q[UDPRELAY_QUEUE];
	size_t q_head, q_n, q_bytes;
	int ready; /* datagrams go straight through */
	int have_gen;
	unsigned gen;
	struct sockaddr_in guest;
	int probing;
	long long probe_start, probe_sent, resend_at; /* resend_at 0: not refused */
	struct dgram unsure; /* the last probe taken as delivered by the quiet */
	long long unsure_ms;
};

struct udprelay {
	int fd, stop_fd, wake_fd;
	struct udprelay_gate gate;
	pthread_t thread;
	struct flow flows[UDPRELAY_FLOWS];
	size_t n_flows;
	struct lane *lanes;
	unsigned n_lanes;
	char *buf;
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int same_peer(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

static void flow_unsock(struct flow *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static void flow_drop(struct udprelay *r, size_t i)
{
	flow_unsock(&r->flows[i]);
	r->flows[i] = r->flows[--r->n_flows];
}

static struct flow *flow_find(struct udprelay *r, const struct sockaddr_in *peer)
{
	for (size_t i = 0; i < r->n_flows; i++)
		if (same_peer(&r->flows[i].peer, peer))
			return &r->flows[i];
	return NULL;
}

/* A new flow of `peer` on lane `lane`, without a socket yet. */
static struct flow *flow_add(struct udprelay *r, const struct sockaddr_in *peer, unsigned lane)
{
	struct flow *f;

	if (r->n_flows == UDPRELAY_FLOWS) { /* the one quiet longest goes */
		size_t old = 0;

		for (size_t i = 1; i < r->n_flows; i++)
			if (r->flows[i].last_ms < r->flows[old].last_ms)
				old = i;
		flow_drop(r, old);
	}
	f = &r->flows[r->n_flows++];
	f->fd = -1;
	f->lane = lane;
	f->peer = *peer;
	f->last_ms = mono_ms();
	return f;
}

/* The lane for a new sender (cur: n_lanes) or one on lane cur (the
 * gate's pick among the flows per lane). */
static unsigned lane_pick(struct udprelay *r, unsigned cur)
{
	unsigned counts[UDPRELAY_LANES] = { 0 }, i;

	if (r->n_lanes == 1 || !r->gate.pick)
		return 0;
	for (size_t k = 0; k < r->n_flows; k++)
		counts[r->flows[k].lane]++;
	i = r->gate.pick(r->gate.arg, counts, r->n_lanes, cur);
	return i < r->n_lanes ? i : 0;
}

/* The flow of `peer` on lane l with its socket connected to l's guest
 * (made, or moved to l, as needed): NULL when no socket can be had. */
static struct flow *flow_get(struct udprelay *r, struct lane *l, const struct sockaddr_in *peer)
{
	struct flow *f = flow_find(r, peer);
	unsigned li = (unsigned)(l - r->lanes);

	if (!f)
		f = flow_add(r, peer, li);
	if (f->lane != li) {
		flow_unsock(f);
		f->lane = li;
	}
	if (f->fd >= 0)
		return f;
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (f->fd < 0)
		return NULL;
	if (connect(f->fd, (const struct sockaddr *)&l->guest, sizeof(l->guest)) < 0) {
		flow_unsock(f);
		return NULL;
	}
	return f;
}

static void queue_pop(struct lane *l)
{
	struct dgram *g = &l->q[l->q_head];

	l->q_bytes -= g->len;
	free(g->data);
	g->data = NULL;
	l->q_head = (l->q_head + 1) % UDPRELAY_QUEUE;
	l->q_n--;
}

static void queue_clear(struct lane *l)
{
	while (l->q_n)
		queue_pop(l);
}

/* Holds a datagram; past the bounds it is dropped. */
static void queue_push(struct lane *l, const struct sockaddr_in *from, const char *data, size_t len)
{
	struct dgram *g;

	if (l->q_n == UDPRELAY_QUEUE || l->q_bytes + len > QUEUE_BYTES)
		return;
	g = &l->q[(l->q_head + l->q_n) % UDPRELAY_QUEUE];
	g->from = *from;
	g->len = len;
	g->data = xmalloc(len ? len : 1);
	memcpy(g->data, data, len);
	l->q_n++;
	l->q_bytes += len;
}

/* Takes the first held datagram out of the queue (the caller owns it). */
static struct dgram queue_take(struct lane *l)
{
	struct dgram g = l->q[l->q_head];

	l->q[l->q_head].data = NULL;
	l->q_bytes -= g.len;
	l->q_head = (l->q_head + 1) % UDPRELAY_QUEUE;
	l->q_n--;
	return g;
}

static void ask_gate(struct udprelay *r, struct lane *l, int recheck);

static void unsure_clear(struct lane *l)
{
	free(l->unsure.data);
	l->unsure.data = NULL;
}

/* A refusal on `peer`'s flow: its probe, if just taken as delivered, is
 * held again, first. */
static void unsure_requeue(struct lane *l, const struct sockaddr_in *peer)
{
	if (l->unsure.data && same_peer(&l->unsure.from, peer) &&
	    mono_ms() - l->unsure_ms < UNSURE_MS && l->q_n < UDPRELAY_QUEUE) {
		l->q_head = (l->q_head + UDPRELAY_QUEUE - 1) % UDPRELAY_QUEUE;
		l->q[l->q_head] = l->unsure;
		l->q_n++;
		l->q_bytes += l->unsure.len;
		l->unsure.data = NULL;
	}
	unsure_clear(l);
}

/* The guest refused a datagram while it was taken to be up: what comes
 * now is held until the gate and a probe say it is up again. */
static void refused_while_ready(struct udprelay *r, struct lane *l)
{
	l->ready = 0;
	ask_gate(r, l, 1);
}

/* Sends the lane's first held datagram (the probe). */
static void probe_send(struct udprelay *r, struct lane *l)
{
	struct dgram *g = &l->q[l->q_head];
	struct flow *f = flow_get(r, l, &g->from);

	l->probe_sent = mono_ms();
	l->resend_at = 0;
	if (!f || (send(f->fd, g->data, g->len, MSG_DONTWAIT) < 0 && errno != EAGAIN))
		l->resend_at = l->probe_sent + UDPRELAY_RETRY_MS;
}

static void forward(struct udprelay *r, struct lane *l, const struct sockaddr_in *from,
		    const char *data, size_t len)
{
	struct flow *f = flow_get(r, l, from);

	if (!f)
		return; /* out of sockets: dropped */
	f->last_ms = mono_ms();
	if (send(f->fd, data, len, MSG_DONTWAIT) < 0 && errno == ECONNREFUSED) {
		/* an earlier one drew a port unreachable: this one is held */
		unsure_requeue(l, from);
		queue_push(l, from, data, len);
		refused_while_ready(r, l);
	}
}

static void set_ready(struct udprelay *r, struct lane *l)
{
	l->probing = 0;
	l->ready = 1;
	while (l->q_n && l->ready) {
		struct dgram g = queue_take(l); /* forward may hold it again */

		forward(r, l, &g.from, g.data, g.len);
		free(g.data);
	}
}

/* A new boot of lane l's guest: its flows' sockets lead nowhere (the
 * flows stay on the lane). */
static void lane_unsock(struct udprelay *r, struct lane *l)
{
	for (size_t i = 0; i < r->n_flows; i++)
		if (r->flows[i].lane == (unsigned)(l - r->lanes))
			flow_unsock(&r->flows[i]);
}

static void ask_gate(struct udprelay *r, struct lane *l, int recheck)
{
	struct sockaddr_in guest;
	unsigned gen = 0;
	int rc;

	memset(&guest, 0, sizeof(guest));
	rc = r->gate.ready(r->gate.arg, (unsigned)(l - r->lanes), recheck, &guest, &gen);
	if (rc < 0) {
		queue_clear(l);
		l->probing = 0;
		return;
	}
	if (rc == 0)
		return; /* udprelay_wake when that changes */
	if (!l->have_gen || gen != l->gen || !same_peer(&guest, &l->guest)) {
		lane_unsock(r, l);
		l->guest = guest;
		l->gen = gen;
		l->have_gen = 1;
	}
	if (!l->q_n) {
		l->ready = 1;
		return;
	}
	l->probing = 1;
	l->probe_start = mono_ms();
	probe_send(r, l);
}

/* Datagrams from the guest on flow i go back to its sender. */
static void flow_input(struct udprelay *r, size_t i)
{
	for (int k = 0; k < BATCH && i < r->n_flows && r->flows[i].fd >= 0; k++) {
		struct flow *f = &r->flows[i];
		struct lane *l = &r->lanes[f->lane];
		ssize_t n = recv(f->fd, r->buf, 65536, MSG_DONTWAIT);
		int is_probe = l->probing && same_peer(&f->peer, &l->q[l->q_head].from);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* refused (the port does not listen) or unreachable */
			if (is_probe) {
				l->resend_at = mono_ms() + UDPRELAY_RETRY_MS;
			} else if (l->ready) {
				unsure_requeue(l, &f->peer);
				refused_while_ready(r, l);
			}
			return;
		}
		f->last_ms = mono_ms();
		if (l->unsure.data && same_peer(&l->unsure.from, &f->peer))
			unsure_clear(l); /* answered: it was delivered */
		sendto(r->fd, r->buf, (size_t)n, MSG_DONTWAIT, (const struct sockaddr *)&f->peer,
		       sizeof(f->peer));
		if (is_probe) { /* answered: it listens */
			queue_pop(l);
			set_ready(r, l);
		}
	}
}

/* While ready: the gate still has lane l's guest up where it was (a stop
 * or a new boot since: what comes is held again). */
static int still_up(struct udprelay *r, struct lane *l)
{
	struct sockaddr_in guest;
	unsigned gen = 0;

	memset(&guest, 0, sizeof(guest));
	return r->gate.ready(r->gate.arg, (unsigned)(l - r->lanes), 0, &guest, &gen) == 1 &&
	       gen == l->gen && same_peer(&guest, &l->guest);
}

/* The lane of a datagram from `from` (*up: its guest takes it now): its
 * flow's, or a pick for a new sender and for one whose lane's guest went
 * down with nothing held (a stopped member: its senders are spread again). */
static struct lane *lane_of(struct udprelay *r, const struct sockaddr_in *from, int *up)
{
	struct flow *f = flow_find(r, from);
	struct lane *l;
	int picked = !f;

	if (!f)
		f = flow_add(r, from, lane_pick(r, r->n_lanes));
	l = &r->lanes[f->lane];
	*up = l->ready && still_up(r, l);
	if (!*up && !picked && r->n_lanes > 1 && !l->probing && !l->q_n) {
		unsigned to = lane_pick(r, f->lane); /* moves no flow: f stays */

		l->ready = 0;
		if (to != f->lane) {
			flow_unsock(f);
			f->lane = to;
			l = &r->lanes[to];
			*up = l->ready && still_up(r, l);
		}
	}
	f->last_ms = mono_ms();
	return l;
}

static void listener_input(struct udprelay *r)
{
	for (int k = 0; k < BATCH; k++) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t n =
		    recvfrom(r->fd, r->buf, 65536, MSG_DONTWAIT, (struct sockaddr *)&from, &len);
		struct lane *l;
		int up;

		if (n < 0)
			return;
		if (len != sizeof(from) || from.sin_family != AF_INET)
			continue;
		l = lane_of(r, &from, &up);
		if (r->gate.activity)
			r->gate.activity(r->gate.arg, (unsigned)(l - r->lanes));
		if (up) {
			forward(r, l, &from, r->buf, (size_t)n);
			continue;
		}
		l->ready = 0;
		queue_push(l, &from, r->buf, (size_t)n);
		if (!l->probing && l->q_n == 1)
			ask_gate(r, l, 0);
	}
}

/* A lane's probe clock: sent again when refused, taken as delivered after
 * PROBE_QUIET_MS without an error, given up after the wait. */
static void probe_tick(struct udprelay *r, struct lane *l)
{
	long long now = mono_ms();

	if (!l->probing)
		return;
	if (now - l->probe_start >= UDPRELAY_LISTEN_WAIT_MS) {
		int n = (int)l->q_n;

		queue_clear(l);
		l->probing = 0;
		if (r->gate.gave_up)
			r->gate.gave_up(r->gate.arg, (unsigned)(l - r->lanes), n);
		return;
	}
	if (l->resend_at) {
		if (now >= l->resend_at)
			probe_send(r, l);
		return;
	}
	if (now - l->probe_sent >= PROBE_QUIET_MS) {
		/* delivered, as no refusal came: kept a while in case one does */
		unsure_clear(l);
		l->unsure = queue_take(l);
		l->unsure_ms = now;
		set_ready(r, l);
	}
}

static int poll_timeout(const struct udprelay *r)
{
	long long now = mono_ms(), at = -1;

	for (unsigned i = 0; i < r->n_lanes; i++) {
		const struct lane *l = &r->lanes[i];
		long long t;

		if (!l->probing)
			continue;
		t = l->resend_at ? l->resend_at : l->probe_sent + PROBE_QUIET_MS;
		if (at < 0 || t < at)
			at = t;
	}
	if (at < 0)
		return r->n_flows ? 1000 : -1;
	return at <= now ? 0 : (int)(at - now);
}

static void *relay_main(void *arg)
{
	struct udprelay *r = arg;
	struct pollfd *pf = xcalloc(3 + UDPRELAY_FLOWS, sizeof(*pf));

	r->buf = xmalloc(65536);
	for (;;) {
		size_t n = r->n_flows;
		long long now;

		pf[0] = (struct pollfd){ r->stop_fd, POLLIN, 0 };
		pf[1] = (struct pollfd){ r->wake_fd, POLLIN, 0 };
		pf[2] = (struct pollfd){ r->fd, POLLIN, 0 };
		for (size_t i = 0; i < n; i++) /* a flow without a socket: -1, skipped */
			pf[3 + i] = (struct pollfd){ r->flows[i].fd, POLLIN, 0 };
		if (poll(pf, 3 + n, poll_timeout(r)) < 0 && errno != EINTR)
			break;
		if (pf[0].revents)
			break;
		if (pf[1].revents) {
			uint64_t v;

			if (read(r->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				break;
			for (unsigned i = 0; i < r->n_lanes; i++) {
				struct lane *l = &r->lanes[i];

				if (!l->ready && !l->probing && l->q_n)
					ask_gate(r, l, 0);
			}
		}
		/* flows first: their indices move once one goes */
		for (size_t i = n; i-- > 0;)
			if (i < r->n_flows && pf[3 + i].revents && pf[3 + i].fd >= 0 &&
			    r->flows[i].fd == pf[3 + i].fd)
				flow_input(r, i);
		if (pf[2].revents)
			listener_input(r);
		for (unsigned i = 0; i < r->n_lanes; i++)
			probe_tick(r, &r->lanes[i]);
		now = mono_ms();
		for (size_t i = r->n_flows; i-- > 0;)
			if (now - r->flows[i].last_ms > UDPRELAY_FLOW_IDLE_MS)
				flow_drop(r, i);
	}
	free(pf);
	return NULL;
}

int udprelay_open(int fd, unsigned n_lanes, const struct udprelay_gate *gate, struct udprelay **out)
{
	struct udprelay *r;

	if (n_lanes < 1 || n_lanes > UDPRELAY_LANES) {
		close(fd);
		return -1;
	}
	r = xcalloc(1, sizeof(*r));
	r->lanes = xcalloc(n_lanes, sizeof(*r->lanes));
	r->n_lanes = n_lanes;
	r->fd = fd;
	r->gate = *gate;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	r->stop_fd = eventfd(0, EFD_CLOEXEC);
	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->stop_fd < 0 || r->wake_fd < 0 || pthread_create(&r->thread, NULL, relay_main, r)) {
		if (r->stop_fd >= 0)
			close(r->stop_fd);
		if (r->wake_fd >= 0)
			close(r->wake_fd);
		close(fd);
		free(r->lanes);
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void udprelay_wake(struct udprelay *r)
{
	uint64_t one = 1;

	if (r && write(r->wake_fd, &one, sizeof(one)) < 0)
		return; /* the counter is full: a wakeup is pending anyway */
}

void udprelay_close(struct udprelay *r)
{
	uint64_t one = 1;

	if (!r)
		return;
	while (write(r->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(r->thread, NULL);
	while (r->n_flows)
		flow_drop(r, 0);
	for (unsigned i = 0; i < r->n_lanes; i++) {
		queue_clear(&r->lanes[i]);
		unsure_clear(&r->lanes[i]);
	}
	free(r->lanes);
	close(r->fd);
	close(r->stop_fd);
	close(r->wake_fd);
	free(r->buf);
	free(r);
}
