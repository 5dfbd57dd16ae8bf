/* summon_impl.h - what summon.c and summon_udp.c share: the records of a
 * summoned instance's ports, pool members and held connections (locks
 * and their order: summon.h). */
#ifndef UNIKD_SUMMON_IMPL_H
#define UNIKD_SUMMON_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "../lib/error.h"
#include "../lib/portspec.h"

struct unikd;
struct udprelay;

struct summoned;

/* A UDP port's gate's state for one pool member (its relay's lane). */
struct udp_lane {
	int booting; /* the gate started a boot that has not ended */
	int failed; /* that boot failed: what is held is dropped */
	unsigned exits; /* vm_exits when the gate last looked */
};

struct sport {
	struct summoned *s;
	struct portspec spec;
	int fd;
	pthread_t thread;
	int thread_started;
	struct udprelay *udp; /* a UDP port's relay (no accept thread); s->mu */
	struct udp_lane *udp_lanes; /* one per member (s->n_members); s->mu */
};

/* An instance of the pool: the one publishing the ports first, then the
 * others of `--max N` (their records' summon.pool names the first). */
struct member {
	char *id;
	int conns; /* connections held or relayed to it */
	int booting; /* a relay thread starts its VM now */
	int stopping; /* the timer stops its VM now */
	int up; /* booted for a connection and not idle-stopped since (a hint) */
	long long last_ms; /* wall clock of the last connection's start or end */
	char addr[64]; /* its address while up (UDP ports' gate) */
	unsigned gen; /* one more at each boot and stop seen (UDP flows) */
};

struct summoned {
	struct summoned *next;
	struct unikd *d;
	char *id; /* the instance publishing the ports (members[0]) */
	char *name; /* its name (the DNS responder's) */
	long long idle_ms;
	struct sport *ports;
	size_t n_ports;
	struct member *members;
	size_t n_members;
	int stop_fd; /* eventfd: readable once closing */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int threads; /* relay threads alive */
	int refs; /* the timer's, while it works on it */
	int held; /* a removal in progress: no boots */
	int closing; /* summoned_free under way: no more boots */
};

struct relay {
	struct summoned *s;
	struct sport *port;
	struct member *m;
	int client; /* -1: a boot for a DNS query or a datagram, no connection */
	int udp_boot; /* the boot of a UDP port's gate (the datagram) */
	long long t0; /* monotonic ms of its accept */
};

/* VMs ended so far (summon_note_exit). */
extern atomic_uint summon_vm_exits;

long long summon_now_ms(void); /* wall clock */
long long summon_mono_ms(void);
/* A line from the daemon in the instance's console log (`unik logs`). */
void summon_console_note(struct unikd *d, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A held connection's thread (a struct relay *): boots the member as
 * needed, then relays (client -1: boots only, for a DNS query or a UDP
 * port's gate). */
void *summon_relay_main(void *arg);

/* The member for a new connection (s->mu held): the fewest of load[i]
 * (NULL: each one's connections) among those up or booting; a member that
 * is down is booted instead when each of those has SUMMON_BUSY_CONNS or
 * more (or none is up). */
struct member *summon_pick_member(struct summoned *s, const unsigned *load);

/* summon_udp.c.  Serves UDP port p (p->fd bound): its relay, with a lane
 * per member, whose gate boots a lane's member for its first datagram; -1
 * with err (p->fd closed). */
int summon_udp_open(struct sport *p, struct unik_err *err);
/* A datagram's boot, in its thread: 0 once the guest's stack answers,
 * else -1 with a line in `unik logs`. */
int summon_udp_stack_up(struct summoned *s, const struct relay *r, const char *addr);

#endif
