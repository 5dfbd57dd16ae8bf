/* summon.c - summoned instances: listeners in unikd that boot the VM on
 * the first connection and stop it when idle (see summon.h).
 *
 * One accept thread per published port, one relay thread per connection
 * (held while the VM boots and until the guest's port accepts), and one
 * timer thread for every summoned instance's idle timeout. */
#include "summon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../api/summon.h"
#include "../lib/portspec.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "events.h"
#include "instances.h"
#include "network.h"
#include "portfwd.h"
#include "store.h"
#include "summon_impl.h"
#include "summon_nat.h"
#include "udprelay.h"

#define SUMMON_BACKLOG 1024

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
atomic_uint summon_vm_exits; /* VMs ended (summon_note_exit) */
static struct summoned *reg;
static pthread_t timer_thread;
static int timer_started, timer_stop_fd = -1;

long long summon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long summon_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A line from the daemon in the instance's console log (`unik logs`). */
void summon_console_note(struct unikd *d, const char *id, const char *fmt, ...)
{
	char line[512];
	char *path = instance_log_path(d, id);
	int n, fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	va_list ap;

	free(path);
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) < 0)
			unikd_log("instance %s: cannot write its log: %s", id, strerror(errno));
		close(fd);
	}
	line[n - 1] = '\0';
	unikd_log("instance %s: %s", id, line);
}

/* The record's state and address (d->lock taken here). */
static int read_state(struct unikd *d, const char *id, enum unik_state *state, char *addr,
		      size_t addr_size, struct unik_err *err)
{
	struct unik_instance in;
	int rc;

	unik_instance_init(&in);
	pthread_mutex_lock(&d->lock);
	rc = store_instance_get(d->store, id, &in, err);
	pthread_mutex_unlock(&d->lock);
	if (!rc) {
		*state = in.state;
		snprintf(addr, addr_size, "%s", in.address ? in.address : "");
	}
	unik_instance_release(&in);
	return rc;
}

/* Makes sure the VM runs, booting it when it does not: 0 with its address,
 * or -1 with err.  Concurrent callers wait for the one boot; *boot_ms is
 * how long this caller's instance_start took, -1 when it did not boot it. */
static int ensure_running(struct summoned *s, struct member *m, char *addr, size_t addr_size,
			  long long *boot_ms, struct unik_err *err)
{
	struct unikd *d = s->d;
	long long deadline = summon_now_ms() + 60000;

	*boot_ms = -1;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		enum unik_state st;
		struct unik_instance out;
		int rc;

		if (s->held) {
			pthread_mutex_unlock(&s->mu);
			return unik_err_set(err, UNIK_E_CONFLICT, "the instance is being removed");
		}
		if (m->booting || m->stopping) {
			pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
		if (read_state(d, m->id, &st, addr, addr_size, err)) {
			pthread_mutex_unlock(&s->mu);
			return -1;
		}
		if (st == UNIK_STATE_RUNNING && *addr) {
			if (!m->up || strcmp(m->addr, addr))
				m->gen++;
			m->up = 1;
			snprintf(m->addr, sizeof(m->addr), "%s", addr);
			pthread_mutex_unlock(&s->mu);
			return 0;
		}
		if (summon_now_ms() > deadline) {
			pthread_mutex_unlock(&s->mu);
			return unik_err_set(err, UNIK_E_UNAVAILABLE,
					    "the instance did not come up within 60 s");
		}
		if (unik_state_active(st)) {
			/* started or stopped by someone else (unik start/stop) */
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 10 * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
			continue;
		}
		m->booting = 1;
		pthread_mutex_unlock(&s->mu);
		unik_instance_init(&out);
		*boot_ms = summon_mono_ms();
		rc = instance_start(d, m->id, &out, err);
		*boot_ms = summon_mono_ms() - *boot_ms;
		if (rc == 0)
			events_instance(&out, "summon", NULL);
		unik_instance_release(&out);
		pthread_mutex_lock(&s->mu);
		m->booting = 0;
		if (rc == 0)
			m->up = 0; /* a new boot: a new generation (UDP flows) */
		m->last_ms = summon_now_ms();
		pthread_cond_broadcast(&s->cv);
		if (rc && err->code != UNIK_E_CONFLICT) {
			pthread_mutex_unlock(&s->mu);
			return -1;
		}
		unik_err_clear(err);
	}
}

/* Connects to the guest's port once it listens: the fd, or -1 after
 * SUMMON_LISTEN_WAIT_MS. */
static int connect_when_listening(struct summoned *s, const char *addr, int port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -1;
	/* a held client waits: a new SYN at least every 40 ms while they go
	 * unanswered, one at a time (docs/summon.md: a SYN every 5 ms from 8
	 * sockets at once left booting hvt guests unanswering) */
	return portfwd_connect_wait(&sa, s->stop_fd, SUMMON_LISTEN_WAIT_MS, 5, 40);
}

/* Closes a client that was never relayed with a FIN, not a reset: what it
 * sent is read away first (close() with unread data resets). */
static void close_gently(int fd)
{
	char buf[4096];

	shutdown(fd, SHUT_WR);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (int i = 0; i < 64 && read(fd, buf, sizeof(buf)) > 0; i++)
		;
	close(fd);
}

static void conn_end(struct summoned *s, struct member *m)
{
	pthread_mutex_lock(&s->mu);
	m->conns--;
	m->last_ms = summon_now_ms();
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void *summon_relay_main(void *arg)
{
	struct relay *r = arg;
	struct summoned *s = r->s;
	struct unik_err err = UNIK_ERR_INIT;
	char addr[64];
	int guest = -1, up = 0;
	long long boot_ms, t0 = summon_mono_ms();
	unsigned exits = atomic_load(&summon_vm_exits);

	if (ensure_running(s, r->m, addr, sizeof(addr), &boot_ms, &err)) {
		if (r->client < 0)
			summon_console_note(s->d, r->m->id,
					    "unikd: cannot summon the instance for %s: %s",
					    r->udp_boot ? "a datagram" : "a DNS query", err.msg);
		else
			summon_console_note(s->d, r->m->id,
					    "unikd: cannot summon the instance for a connection "
					    "to port %d: %s",
					    r->port->spec.host_port, err.msg);
	} else if (r->client < 0 && r->udp_boot && !summon_udp_stack_up(s, r, addr)) {
		/* booted for a datagram: the relay sends what it held next */
		up = 1;
	} else if (r->client < 0) {
		/* booted for a DNS query: its connections come next */
		up = !r->udp_boot;
	} else if ((guest = connect_when_listening(s, addr, r->port->spec.guest_port)) < 0) {
		struct pollfd stop = { s->stop_fd, POLLIN, 0 };

		if (poll(&stop, 1, 0) <= 0)
			summon_console_note(
			    s->d, r->m->id,
			    "unikd: the guest never listened on port %d (waited %d s): "
			    "closed the connection from host port %d",
			    r->port->spec.guest_port, SUMMON_LISTEN_WAIT_MS / 1000,
			    r->port->spec.host_port);
	} else {
		/* where a cold summon's time goes (docs/summon.md) */
		if (boot_ms >= 0)
			unikd_log("instance %s: summoned for a connection to port %d: the guest's "
				  "port accepted %lld ms after the connection (start %lld ms, then "
				  "%lld ms until the program listened)",
				  r->m->id, r->port->spec.host_port, summon_mono_ms() - r->t0,
				  boot_ms, summon_mono_ms() - t0 - boot_ms);
		/* the next ones go through the kernel (not a pool's: picked here) */
		if (s->n_members == 1)
			summon_nat_add_async(r->m->id, &r->port->spec, addr, exits);
		portfwd_splice(r->client, guest, s->stop_fd);
	}
	if (guest >= 0) {
		close(guest);
		close(r->client);
	} else if (r->client >= 0) {
		close_gently(r->client);
	}
	conn_end(s, r->m);
	pthread_mutex_lock(&s->mu);
	if (r->udp_boot) {
		struct udp_lane *l = &r->port->udp_lanes[r->m - s->members];

		l->booting = 0;
		l->failed = !up;
		udprelay_wake(r->port->udp);
	}
	free(r);
	s->threads--;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

struct member *summon_pick_member(struct summoned *s, const unsigned *load)
{
	struct member *best = NULL, *down = NULL, *least = &s->members[0];
	unsigned best_load = 0, least_load = load ? load[0] : (unsigned)s->members[0].conns;

	for (size_t i = 0; i < s->n_members; i++) {
		struct member *m = &s->members[i];
		unsigned n = load ? load[i] : (unsigned)m->conns;

		if (n < least_load) {
			least = m;
			least_load = n;
		}
		if (m->up || m->booting || m->conns > 0) {
			if (!best || n < best_load) {
				best = m;
				best_load = n;
			}
		} else if (!down && !m->stopping) {
			down = m;
		}
	}
	if (down && (!best || best_load >= SUMMON_BUSY_CONNS))
		return down;
	return best ? best : least; /* all of them stopping: the next boots again */
}

static void *accept_main(void *arg)
{
	struct sport *port = arg;
	struct summoned *s = port->s;
	int c;

	while ((c = portfwd_accept(port->fd, s->stop_fd)) >= 0) {
		struct relay *r;
		pthread_attr_t attr;
		pthread_t t;

		r = xcalloc(1, sizeof(*r));
		r->s = s;
		r->port = port;
		r->client = c;
		r->t0 = summon_mono_ms();
		pthread_mutex_lock(&s->mu);
		r->m = summon_pick_member(s, NULL);
		r->m->conns++;
		r->m->last_ms = summon_now_ms();
		s->threads++;
		pthread_mutex_unlock(&s->mu);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (pthread_create(&t, &attr, summon_relay_main, r)) {
			close(c);
			conn_end(s, r->m);
			free(r);
			pthread_mutex_lock(&s->mu);
			s->threads--;
			pthread_mutex_unlock(&s->mu);
		}
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

static void summoned_free(struct summoned *s)
{
	uint64_t one = 1;

	pthread_mutex_lock(&s->mu);
	s->closing = 1;
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < s->n_ports; i++) {
		struct udprelay *u;

		pthread_mutex_lock(&s->mu);
		u = s->ports[i].udp;
		s->ports[i].udp = NULL;
		pthread_mutex_unlock(&s->mu);
		if (u) {
			udprelay_close(u); /* and its socket */
			s->ports[i].fd = -1;
		}
	}
	if (s->stop_fd >= 0 && write(s->stop_fd, &one, sizeof(one)) < 0)
		unikd_log("summon %s: cannot signal its threads", s->id);
	for (size_t i = 0; i < s->n_ports; i++)
		if (s->ports[i].thread_started)
			pthread_join(s->ports[i].thread, NULL);
	pthread_mutex_lock(&s->mu);
	while (s->threads > 0 || s->refs > 0)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < s->n_ports; i++)
		if (s->ports[i].fd >= 0)
			close(s->ports[i].fd);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	for (size_t i = 0; i < s->n_members; i++)
		free(s->members[i].id);
	free(s->members);
	for (size_t i = 0; i < s->n_ports; i++)
		free(s->ports[i].udp_lanes);
	free(s->ports);
	free(s->name);
	free(s->id);
	free(s);
}

int summon_check(struct unikd *d, const struct unik_run_request *rq, struct unik_err *err)
{
	if (!rq->summon.enabled)
		return 0;
	if (!rq->ports.n)
		return unik_err_set(err, UNIK_E_INVALID,
				    "--summon needs a published port (-p HOST:GUEST)");
	if (rq->summon.pool[0])
		return unik_err_set(err, UNIK_E_INVALID,
				    "summon.pool is the daemon's: it marks the members of a pool");
	if (rq->summon.max > 1 && rq->volumes.n)
		return unik_err_set(err, UNIK_E_INVALID,
				    "the instances of a pool (--max %d) cannot share volumes",
				    rq->summon.max);
	if (rq->restart && strcmp(rq->restart, "no"))
		return unik_err_set(err, UNIK_E_INVALID,
				    "--summon and --restart %s do not go together: connections "
				    "boot a summoned instance",
				    rq->restart);
	if (!network_bridged(d))
		return unik_err_set(err, UNIK_E_UNSUPPORTED,
				    "--summon needs the daemon's bridge network (network %s)",
				    network_describe(d));
	return 0;
}

static void timer_ensure(void);

static void member_add(struct summoned *s, const struct unik_instance *in)
{
	struct member *m;

	s->members = xrealloc(s->members, (s->n_members + 1) * sizeof(*s->members));
	m = &s->members[s->n_members++];
	memset(m, 0, sizeof(*m));
	m->id = xstrdup(in->id);
	m->up = in->state == UNIK_STATE_RUNNING;
	m->last_ms = summon_now_ms();
}

/* in first, then the records naming it as their pool, oldest first. */
static int load_members(struct summoned *s, const struct unik_instance *in, struct unik_err *err)
{
	struct unik_instance *v;
	size_t n;

	member_add(s, in);
	if (in->summon.max <= 1)
		return 0;
	pthread_mutex_lock(&s->d->lock);
	if (store_instance_list(s->d->store, &v, &n, err)) {
		pthread_mutex_unlock(&s->d->lock);
		return -1;
	}
	pthread_mutex_unlock(&s->d->lock);
	for (size_t i = 0; i < n; i++)
		if (v[i].summon.enabled && !strcmp(v[i].summon.pool, in->id))
			member_add(s, &v[i]);
	store_instances_free(v, n);
	return 0;
}

int summon_open(struct unikd *d, const struct unik_instance *in, struct unik_err *err)
{
	struct summoned *s = xcalloc(1, sizeof(*s));

	s->d = d;
	s->id = xstrdup(in->id);
	s->name = xstrdup(in->name);
	s->idle_ms = in->summon.idle_timeout_ms;
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->ports = xcalloc(in->ports.n ? in->ports.n : 1, sizeof(*s->ports));
	for (size_t i = 0; i < in->ports.n; i++)
		s->ports[i].fd = -1;
	s->n_ports = in->ports.n;
	if (s->stop_fd < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (load_members(s, in, err))
		goto fail;
	for (size_t i = 0; i < in->ports.n; i++) {
		struct sport *p = &s->ports[i];

		p->s = s;
		if (portspec_parse(in->ports.v[i], &p->spec, err))
			goto fail;
		p->fd = portfwd_bind(&p->spec, SUMMON_BACKLOG, err);
		if (p->fd < 0)
			goto fail;
	}
	for (size_t i = 0; i < s->n_ports; i++) {
		struct sport *p = &s->ports[i];
		if (p->spec.udp) {
			if (summon_udp_open(p, err))
				goto fail;
			continue;
		}
		if (pthread_create(&s->ports[i].thread, NULL, accept_main, &s->ports[i])) {
			unik_err_set(err, UNIK_E_INTERNAL, "cannot start the listener of port %d",
				     s->ports[i].spec.host_port);
			goto fail;
		}
		s->ports[i].thread_started = 1;
	}
	pthread_mutex_lock(&reg_lock);
	s->next = reg;
	reg = s;
	pthread_mutex_unlock(&reg_lock);
	timer_ensure();
	return 0;
fail:
	summoned_free(s);
	return -1;
}

static struct summoned *unlink_locked(const char *id)
{
	for (struct summoned **pp = &reg; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->id, id)) {
			struct summoned *s = *pp;

			*pp = s->next;
			return s;
		}
	return NULL;
}

void summon_close(struct unikd *d, const char *id)
{
	struct summoned *s;

	pthread_mutex_lock(&reg_lock);
	s = unlink_locked(id);
	pthread_mutex_unlock(&reg_lock);
	summon_nat_drop(id);
	network_forget(d, id); /* the tap it kept between runs */
	if (s)
		summoned_free(s);
}

int summon_dns_lookup(struct unikd *d, const char *name, int boot, char *ip, size_t ip_size)
{
	struct summoned *s;

	(void)d;
	pthread_mutex_lock(&reg_lock);
	for (s = reg; s; s = s->next)
		if (s->n_ports && !strcasecmp(s->name, name))
			break;
	if (!s) {
		pthread_mutex_unlock(&reg_lock);
		return -1;
	}
	snprintf(ip, ip_size, "%s", s->ports[0].spec.host_ip);
	pthread_mutex_lock(&s->mu);
	if (boot && !s->held) {
		struct relay *r = xcalloc(1, sizeof(*r));
		pthread_attr_t attr;
		pthread_t t;

		r->s = s;
		r->port = &s->ports[0];
		r->client = -1;
		r->m = summon_pick_member(s, NULL);
		r->m->conns++; /* until it is up: no idle stop meanwhile */
		r->m->last_ms = summon_now_ms();
		s->threads++;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, summon_relay_main, r)) {
			r->m->conns--;
			s->threads--;
			free(r);
		}
		pthread_attr_destroy(&attr);
	}
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

static int any_booting(const struct summoned *s)
{
	for (size_t i = 0; i < s->n_members; i++)
		if (s->members[i].booting)
			return 1;
	return 0;
}

void summon_hold(struct unikd *d, const char *id, int hold)
{
	pthread_mutex_lock(&reg_lock);
	for (struct summoned *s = reg; s; s = s->next)
		if (!strcmp(s->id, id)) {
			pthread_mutex_lock(&s->mu);
			s->held = hold;
			/* the boots under way finish first */
			while (hold && any_booting(s))
				pthread_cond_wait(&s->cv, &s->mu);
			pthread_mutex_unlock(&s->mu);
		}
	pthread_mutex_unlock(&reg_lock);
}

/* Stops m's VM when it has been idle long enough. */
static void idle_check(struct summoned *s, struct member *m)
{
	struct unikd *d = s->d;
	struct unik_instance in;
	struct unik_err err = UNIK_ERR_INIT;
	long long since;
	int run;

	unik_instance_init(&in);
	pthread_mutex_lock(&s->mu);
	if (m->conns > 0 || m->booting || m->stopping || s->held) {
		pthread_mutex_unlock(&s->mu);
		return;
	}
	if (summon_nat_conns(m->id, 0, &m->last_ms) > 0) /* forwarded by the kernel */
		m->last_ms = summon_now_ms();
	since = m->last_ms;
	pthread_mutex_lock(&d->lock);
	run = store_instance_get(d->store, m->id, &in, NULL) == 0 && in.state == UNIK_STATE_RUNNING;
	pthread_mutex_unlock(&d->lock);
	/* started by other means (unik start) later than the last connection */
	if (run && in.started * 1000 > since)
		since = in.started * 1000;
	if (!run || summon_now_ms() - since < s->idle_ms) {
		pthread_mutex_unlock(&s->mu);
		unik_instance_release(&in);
		return;
	}
	/* no more forwarded ones; one begun meanwhile keeps it up */
	if (summon_nat_conns(m->id, 1, &m->last_ms) > 0) {
		m->last_ms = summon_now_ms();
		pthread_mutex_unlock(&s->mu);
		unik_instance_release(&in);
		return;
	}
	m->stopping = 1;
	pthread_mutex_unlock(&s->mu);
	unik_instance_release(&in);
	unik_instance_init(&in);
	if (instance_stop(d, m->id, d->stop_timeout, &in, &err) == 0) {
		json_t *a = json_object();

		json_object_set_new(a, "idle_timeout_ms", json_sprintf("%lld", s->idle_ms));
		events_instance(&in, "idle-stop", a);
		unikd_log("instance %s (%s): stopped after %lld ms without a connection", in.name,
			  in.id, s->idle_ms);
	} else {
		unikd_log("instance %s: its idle stop failed: %s", m->id, err.msg);
	}
	unik_instance_release(&in);
	pthread_mutex_lock(&s->mu);
	m->stopping = 0;
	m->up = 0;
	m->gen++;
	m->last_ms = summon_now_ms();
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void *timer_main(void *arg)
{
	struct pollfd stop = { timer_stop_fd, POLLIN, 0 };

	while (poll(&stop, 1, 100) == 0) {
		struct summoned *batch[64];
		size_t n = 0;

		/* a reference on each, so none goes while it is checked */
		pthread_mutex_lock(&reg_lock);
		for (struct summoned *s = reg; s && n < 64; s = s->next)
			if (s->idle_ms > 0) {
				pthread_mutex_lock(&s->mu);
				s->refs++;
				pthread_mutex_unlock(&s->mu);
				batch[n++] = s;
			}
		pthread_mutex_unlock(&reg_lock);
		for (size_t i = 0; i < n; i++) {
			for (size_t k = 0; k < batch[i]->n_members; k++)
				idle_check(batch[i], &batch[i]->members[k]);
			pthread_mutex_lock(&batch[i]->mu);
			batch[i]->refs--;
			pthread_cond_broadcast(&batch[i]->cv);
			pthread_mutex_unlock(&batch[i]->mu);
		}
	}
	return NULL;
}

static void timer_ensure(void)
{
	pthread_mutex_lock(&reg_lock);
	if (!timer_started) {
		timer_stop_fd = eventfd(0, EFD_CLOEXEC);
		if (timer_stop_fd >= 0 &&
		    pthread_create(&timer_thread, NULL, timer_main, NULL) == 0)
			timer_started = 1;
		else
			unikd_log("summon: cannot start the idle timer");
	}
	pthread_mutex_unlock(&reg_lock);
}

void summon_reconcile(struct unikd *d)
{
	struct unik_instance *v;
	struct unik_err err = UNIK_ERR_INIT;
	size_t n;

	pthread_mutex_lock(&d->lock);
	if (store_instance_list(d->store, &v, &n, &err)) {
		pthread_mutex_unlock(&d->lock);
		unikd_log("summon: cannot list the instances: %s", err.msg);
		return;
	}
	pthread_mutex_unlock(&d->lock);
	if (network_bridged(d))
		summon_nat_init(d);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].summon.enabled || v[i].summon.pool[0]) /* a member: with its pool */
			continue;
		unik_err_clear(&err);
		if (summon_open(d, &v[i], &err))
			unikd_log("instance %s (%s): cannot listen for its summons: %s", v[i].name,
				  v[i].id, err.msg);
	}
	store_instances_free(v, n);
}

void summon_note_exit(const char *id)
{
	atomic_fetch_add(&summon_vm_exits, 1);
	summon_nat_drop(id); /* its connections come to the listener again */
}

/* At daemon stop: the taps kept by members whose VM is down go. */
static void forget_idle_taps(struct unikd *d, const struct summoned *s)
{
	for (size_t i = 0; i < s->n_members; i++) {
		enum unik_state st;
		char addr[64];

		if (read_state(d, s->members[i].id, &st, addr, sizeof(addr), NULL) ||
		    !unik_state_active(st))
			network_forget(d, s->members[i].id);
	}
}

void summon_fini(struct unikd *d)
{
	uint64_t one = 1;

	for (;;) {
		struct summoned *s;

		pthread_mutex_lock(&reg_lock);
		s = reg;
		if (s)
			reg = s->next;
		pthread_mutex_unlock(&reg_lock);
		if (!s)
			break;
		forget_idle_taps(d, s);
		summoned_free(s);
	}
	if (timer_started) {
		if (write(timer_stop_fd, &one, sizeof(one)) < 0)
			unikd_log("summon: cannot stop the idle timer");
		pthread_join(timer_thread, NULL);
		timer_started = 0;
	}
	if (timer_stop_fd >= 0)
		close(timer_stop_fd);
	timer_stop_fd = -1;
	summon_nat_fini();
}
