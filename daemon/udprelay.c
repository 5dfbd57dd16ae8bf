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
	int fd; /* connected to the guest's port */
	struct sockaddr_in peer; /* the sender */
	long long last_ms;
};

struct udprelay {
	int fd, stop_fd, wake_fd;
	struct udprelay_gate gate;
	pthread_t thread;
	struct dgram q[UDPRELAY_QUEUE];
	size_t q_head, q_n, q_bytes;
	struct flow flows[UDPRELAY_FLOWS];
	size_t n_flows;
	int ready; /* datagrams go straight through */
	int have_gen;
	unsigned gen;
	struct sockaddr_in guest;
	int probing;
	long long probe_start, probe_sent, resend_at; /* resend_at 0: not refused */
	struct dgram unsure; /* the last probe taken as delivered by the quiet */
	long long unsure_ms;
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

static void flow_drop(struct udprelay *r, size_t i)
{
	close(r->flows[i].fd);
	r->flows[i] = r->flows[--r->n_flows];
}

static void flows_drop_all(struct udprelay *r)
{
	while (r->n_flows)
		flow_drop(r, 0);
}

static struct flow *flow_find(struct udprelay *r, const struct sockaddr_in *peer)
{
	for (size_t i = 0; i < r->n_flows; i++)
		if (same_peer(&r->flows[i].peer, peer))
			return &r->flows[i];
	return NULL;
}

/* The flow of `peer`, made (connected to the guest) when it has none:
 * NULL when no socket can be had. */
static struct flow *flow_get(struct udprelay *r, const struct sockaddr_in *peer)
{
	struct flow *f = flow_find(r, peer);
	int fd;

	if (f)
		return f;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (const struct sockaddr *)&r->guest, sizeof(r->guest)) < 0) {
		close(fd);
		return NULL;
	}
	if (r->n_flows == UDPRELAY_FLOWS) { /* the one quiet longest goes */
		size_t old = 0;

		for (size_t i = 1; i < r->n_flows; i++)
			if (r->flows[i].last_ms < r->flows[old].last_ms)
				old = i;
		flow_drop(r, old);
	}
	f = &r->flows[r->n_flows++];
	f->fd = fd;
	f->peer = *peer;
	f->last_ms = mono_ms();
	return f;
}

static void queue_pop(struct udprelay *r)
{
	struct dgram *g = &r->q[r->q_head];

	r->q_bytes -= g->len;
	free(g->data);
	g->data = NULL;
	r->q_head = (r->q_head + 1) % UDPRELAY_QUEUE;
	r->q_n--;
}

static void queue_clear(struct udprelay *r)
{
	while (r->q_n)
		queue_pop(r);
}

/* Holds a datagram; past the bounds it is dropped. */
static void queue_push(struct udprelay *r, const struct sockaddr_in *from, const char *data,
		       size_t len)
{
	struct dgram *g;

	if (r->q_n == UDPRELAY_QUEUE || r->q_bytes + len > QUEUE_BYTES)
		return;
	g = &r->q[(r->q_head + r->q_n) % UDPRELAY_QUEUE];
	g->from = *from;
	g->len = len;
	g->data = xmalloc(len ? len : 1);
	memcpy(g->data, data, len);
	r->q_n++;
	r->q_bytes += len;
}

static void ask_gate(struct udprelay *r, int recheck);

static void unsure_clear(struct udprelay *r)
{
	free(r->unsure.data);
	r->unsure.data = NULL;
}

/* A refusal on `peer`'s flow: its probe, if just taken as delivered, is
 * held again, first. */
static void unsure_requeue(struct udprelay *r, const struct sockaddr_in *peer)
{
	if (r->unsure.data && same_peer(&r->unsure.from, peer) &&
	    mono_ms() - r->unsure_ms < UNSURE_MS && r->q_n < UDPRELAY_QUEUE) {
		r->q_head = (r->q_head + UDPRELAY_QUEUE - 1) % UDPRELAY_QUEUE;
		r->q[r->q_head] = r->unsure;
		r->q_n++;
		r->q_bytes += r->unsure.len;
		r->unsure.data = NULL;
	}
	unsure_clear(r);
}

/* The guest refused a datagram while it was taken to be up: what comes
 * now is held until the gate and a probe say it is up again. */
static void refused_while_ready(struct udprelay *r)
{
	r->ready = 0;
	ask_gate(r, 1);
}

/* Sends the first held datagram (the probe). */
static void probe_send(struct udprelay *r)
{
	struct dgram *g = &r->q[r->q_head];
	struct flow *f = flow_get(r, &g->from);

	r->probe_sent = mono_ms();
	r->resend_at = 0;
	if (!f || (send(f->fd, g->data, g->len, MSG_DONTWAIT) < 0 && errno != EAGAIN))
		r->resend_at = r->probe_sent + UDPRELAY_RETRY_MS;
}

static void forward(struct udprelay *r, const struct sockaddr_in *from, const char *data,
		    size_t len)
{
	struct flow *f = flow_get(r, from);

	if (!f)
		return; /* out of sockets: dropped */
	f->last_ms = mono_ms();
	if (send(f->fd, data, len, MSG_DONTWAIT) < 0 && errno == ECONNREFUSED) {
		/* an earlier one drew a port unreachable: this one is held */
		unsure_requeue(r, from);
		queue_push(r, from, data, len);
		refused_while_ready(r);
	}
}

static void set_ready(struct udprelay *r)
{
	r->probing = 0;
	r->ready = 1;
	while (r->q_n && r->ready) {
		struct dgram g = r->q[r->q_head];

		r->q[r->q_head].data = NULL; /* forward may hold it again */
		r->q_bytes -= g.len;
		r->q_head = (r->q_head + 1) % UDPRELAY_QUEUE;
		r->q_n--;
		forward(r, &g.from, g.data, g.len);
		free(g.data);
	}
}

static void ask_gate(struct udprelay *r, int recheck)
{
	struct sockaddr_in guest;
	unsigned gen = 0;
	int rc;

	memset(&guest, 0, sizeof(guest));
	rc = r->gate.ready(r->gate.arg, recheck, &guest, &gen);
	if (rc < 0) {
		queue_clear(r);
		r->probing = 0;
		return;
	}
	if (rc == 0)
		return; /* udprelay_wake when that changes */
	if (!r->have_gen || gen != r->gen || !same_peer(&guest, &r->guest)) {
		flows_drop_all(r); /* a new boot: the old flows lead nowhere */
		r->guest = guest;
		r->gen = gen;
		r->have_gen = 1;
	}
	if (!r->q_n) {
		r->ready = 1;
		return;
	}
	r->probing = 1;
	r->probe_start = mono_ms();
	probe_send(r);
}

/* Datagrams from the guest on flow i go back to its sender. */
static void flow_input(struct udprelay *r, size_t i)
{
	for (int k = 0; k < BATCH && i < r->n_flows; k++) {
		struct flow *f = &r->flows[i];
		ssize_t n = recv(f->fd, r->buf, 65536, MSG_DONTWAIT);
		int is_probe = r->probing && same_peer(&f->peer, &r->q[r->q_head].from);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* refused (the port does not listen) or unreachable */
			if (is_probe) {
				r->resend_at = mono_ms() + UDPRELAY_RETRY_MS;
			} else if (r->ready) {
				unsure_requeue(r, &f->peer);
				refused_while_ready(r);
			}
			return;
		}
		f->last_ms = mono_ms();
		if (r->unsure.data && same_peer(&r->unsure.from, &f->peer))
			unsure_clear(r); /* answered: it was delivered */
		sendto(r->fd, r->buf, (size_t)n, MSG_DONTWAIT, (const struct sockaddr *)&f->peer,
		       sizeof(f->peer));
		if (is_probe) { /* answered: it listens */
			queue_pop(r);
			set_ready(r);
		}
	}
}

/* While ready: the gate still has the guest up where it was (a stop or
 * a new boot since: what comes is held again). */
static int still_up(struct udprelay *r)
{
	struct sockaddr_in guest;
	unsigned gen = 0;

	memset(&guest, 0, sizeof(guest));
	return r->gate.ready(r->gate.arg, 0, &guest, &gen) == 1 && gen == r->gen &&
	       same_peer(&guest, &r->guest);
}

static void listener_input(struct udprelay *r)
{
	for (int k = 0; k < BATCH; k++) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t n =
		    recvfrom(r->fd, r->buf, 65536, MSG_DONTWAIT, (struct sockaddr *)&from, &len);

		if (n < 0)
			return;
		if (len != sizeof(from) || from.sin_family != AF_INET)
			continue;
		if (r->gate.activity)
			r->gate.activity(r->gate.arg);
		if (r->ready && still_up(r)) {
			forward(r, &from, r->buf, (size_t)n);
			continue;
		}
		r->ready = 0;
		queue_push(r, &from, r->buf, (size_t)n);
		if (!r->probing && r->q_n == 1)
			ask_gate(r, 0);
	}
}

/* The probe's clock: sent again when refused, taken as delivered after
 * PROBE_QUIET_MS without an error, given up after the wait. */
static void probe_tick(struct udprelay *r)
{
	long long now = mono_ms();

	if (!r->probing)
		return;
	if (now - r->probe_start >= UDPRELAY_LISTEN_WAIT_MS) {
		int n = (int)r->q_n;

		queue_clear(r);
		r->probing = 0;
		if (r->gate.gave_up)
			r->gate.gave_up(r->gate.arg, n);
		return;
	}
	if (r->resend_at) {
		if (now >= r->resend_at)
			probe_send(r);
		return;
	}
	if (now - r->probe_sent >= PROBE_QUIET_MS) {
		/* delivered, as no refusal came: kept a while in case one does */
		unsure_clear(r);
		r->unsure = r->q[r->q_head];
		r->unsure_ms = now;
		r->q_bytes -= r->unsure.len;
		r->q[r->q_head].data = NULL;
		r->q_head = (r->q_head + 1) % UDPRELAY_QUEUE;
		r->q_n--;
		set_ready(r);
	}
}

static int poll_timeout(const struct udprelay *r)
{
	long long now = mono_ms(), at;

	if (!r->probing)
		return r->n_flows ? 1000 : -1;
	at = r->resend_at ? r->resend_at : r->probe_sent + PROBE_QUIET_MS;
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
		for (size_t i = 0; i < n; i++)
			pf[3 + i] = (struct pollfd){ r->flows[i].fd, POLLIN, 0 };
		if (poll(pf, 3 + n, poll_timeout(r)) < 0 && errno != EINTR)
			break;
		if (pf[0].revents)
			break;
		if (pf[1].revents) {
			uint64_t v;

			if (read(r->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				break;
			if (!r->ready && !r->probing && r->q_n)
				ask_gate(r, 0);
		}
		/* flows first: their indices move once one goes */
		for (size_t i = n; i-- > 0;)
			if (i < r->n_flows && pf[3 + i].revents && r->flows[i].fd == pf[3 + i].fd)
				flow_input(r, i);
		if (pf[2].revents)
			listener_input(r);
		probe_tick(r);
		now = mono_ms();
		for (size_t i = r->n_flows; i-- > 0;)
			if (now - r->flows[i].last_ms > UDPRELAY_FLOW_IDLE_MS)
				flow_drop(r, i);
	}
	free(pf);
	return NULL;
}

int udprelay_open(int fd, const struct udprelay_gate *gate, struct udprelay **out)
{
	struct udprelay *r = xcalloc(1, sizeof(*r));

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
	flows_drop_all(r);
	queue_clear(r);
	unsure_clear(r);
	close(r->fd);
	close(r->stop_fd);
	close(r->wake_fd);
	free(r->buf);
	free(r);
}
