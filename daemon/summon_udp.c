/* summon_udp.c - the UDP ports of summoned instances (summon.h,
 * udprelay.h): each one's relay holds the first datagrams while its gate
 * boots the instance (a relay thread of summon.c with no connection), and
 * passes them on once the guest's stack answers and its port takes them. */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/xalloc.h"
#include "portfwd.h"
#include "summon.h"
#include "summon_impl.h"
#include "udprelay.h"

/* A datagram's boot: 0 once the guest's stack answers (its UDP relay's
 * probe can tell a port that does not listen yet from there on), else -1
 * with a line in `unik logs`. */
int summon_udp_stack_up(struct summoned *s, const struct relay *r, const char *addr)
{
	struct sockaddr_in sa;
	struct pollfd stop = { s->stop_fd, POLLIN, 0 };

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)r->port->spec.guest_port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) == 1 &&
	    portfwd_stack_wait(&sa, s->stop_fd, SUMMON_LISTEN_WAIT_MS, 5) == 0)
		return 0;
	if (poll(&stop, 1, 0) <= 0)
		summon_console_note(
		    s->d, r->m->id,
		    "unikd: the guest's network never answered (waited %d s): dropped "
		    "the datagrams held for host port %d/udp",
		    SUMMON_LISTEN_WAIT_MS / 1000, r->port->spec.host_port);
	return -1;
}

/* Starts a boot of m for a UDP port's datagram (s->mu held). */
static void udp_boot(struct summoned *s, struct sport *port, struct member *m)
{
	struct relay *r = xcalloc(1, sizeof(*r));
	struct udp_lane *l = &port->udp_lanes[m - s->members];
	pthread_attr_t attr;
	pthread_t t;

	r->s = s;
	r->port = port;
	r->client = -1;
	r->udp_boot = 1;
	r->m = m;
	r->t0 = summon_mono_ms();
	m->conns++; /* until it is up: no idle stop meanwhile */
	m->last_ms = summon_now_ms();
	s->threads++;
	l->booting = 1;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (pthread_create(&t, &attr, summon_relay_main, r)) {
		m->conns--;
		s->threads--;
		l->booting = 0;
		l->failed = 1;
		free(r);
	}
	pthread_attr_destroy(&attr);
}

/* A UDP port's gate (udprelay.h), in its relay's thread: lane i's member
 * is up with the address known from its last boot, else its boot starts
 * (the relay holds the lane's datagrams and is woken when it ends). */
static int udp_ready(void *arg, unsigned i, int recheck, struct sockaddr_in *guest, unsigned *gen)
{
	struct sport *port = arg;
	struct summoned *s = port->s;
	struct member *m = &s->members[i];
	struct udp_lane *l = &port->udp_lanes[i];
	unsigned exits = atomic_load(&summon_vm_exits);
	int rc = 0;

	pthread_mutex_lock(&s->mu);
	if (l->exits != exits) { /* a VM ended: maybe this one (unik stop) */
		l->exits = exits;
		recheck = 1;
	}
	if (s->held || s->closing) {
		rc = -1;
	} else if (l->booting) {
		rc = 0;
	} else if (l->failed) {
		l->failed = 0; /* the next datagram tries again */
		rc = -1;
	} else if (!recheck && m->up && m->addr[0] && !m->stopping &&
		   inet_pton(AF_INET, m->addr, &guest->sin_addr) == 1) {
		guest->sin_family = AF_INET;
		guest->sin_port = htons((uint16_t)port->spec.guest_port);
		*gen = m->gen;
		rc = 1;
	} else {
		udp_boot(s, port, m); /* or finds it running: ensure_running */
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* A sender's lane: its member while that one is up or booting (sticky);
 * for a new sender, or one whose member was stopped, the member with the
 * fewest flows among those up or booting, or one that is down when each
 * has SUMMON_BUSY_CONNS flows (as connections are spread, summon.h). */
static unsigned udp_pick(void *arg, const unsigned *flows, unsigned n, unsigned cur)
{
	struct sport *port = arg;
	struct summoned *s = port->s;
	unsigned i = 0;

	pthread_mutex_lock(&s->mu);
	if (n == s->n_members) {
		const struct member *m = cur < n ? &s->members[cur] : NULL;

		if (m && !m->stopping && (m->up || m->booting || m->conns > 0))
			i = cur;
		else
			i = (unsigned)(summon_pick_member(s, flows) - s->members);
	}
	pthread_mutex_unlock(&s->mu);
	return i;
}

static void udp_activity(void *arg, unsigned i)
{
	struct sport *port = arg;
	struct summoned *s = port->s;

	pthread_mutex_lock(&s->mu);
	s->members[i].last_ms = summon_now_ms(); /* a datagram keeps it from the idle stop */
	pthread_mutex_unlock(&s->mu);
}

static void udp_gave_up(void *arg, unsigned i, int dropped)
{
	struct sport *port = arg;

	summon_console_note(port->s->d, port->s->members[i].id,
			    "unikd: the guest never took datagrams on port %d/udp (waited %d s): "
			    "dropped %d held from host port %d",
			    port->spec.guest_port, UDPRELAY_LISTEN_WAIT_MS / 1000, dropped,
			    port->spec.host_port);
}

int summon_udp_open(struct sport *p, struct unik_err *err)
{
	struct summoned *s = p->s;
	struct udprelay_gate g = { udp_ready, udp_pick, udp_activity, udp_gave_up, p };
	struct udprelay *u;

	p->udp_lanes = xcalloc(s->n_members, sizeof(*p->udp_lanes));
	if (udprelay_open(p->fd, (unsigned)s->n_members, &g, &u)) {
		p->fd = -1; /* closed by udprelay_open */
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot start the relay of port %d/udp",
				    p->spec.host_port);
	}
	pthread_mutex_lock(&s->mu);
	p->udp = u;
	pthread_mutex_unlock(&s->mu);
	return 0;
}
