/* portfwd.c - userspace TCP relay for published ports.
 *
 * The host port is bound at once (so a taken port refuses the run) but
 * listens only once the guest's port accepts a connection (a probe,
 * closed at once): until then a client's connect is refused, as it would
 * be by the guest itself, and a readiness probe cannot pass against a guest
 * that is not up. */
#include "portfwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../lib/xalloc.h"
#include "udprelay.h"

struct portfwd {
	struct portspec spec;
	struct sockaddr_in guest;
	int listen_fd;
	int stop_fd; /* eventfd: readable once closing */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int relays; /* running relay threads */
	struct udprelay *udp; /* a UDP port's relay (no accept thread then) */
};

struct relay {
	struct portfwd *fw;
	int client;
};

int portfwd_bind(const struct portspec *p, int listen_now, struct unik_err *err)
{
	struct sockaddr_in sa;
	int one = 1, fd = socket(AF_INET, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "socket: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)p->host_port);
	inet_pton(AF_INET, p->host_ip, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (listen_now && !p->udp && listen(fd, listen_now > 1 ? listen_now : 128) < 0)) {
		int e = errno;

		close(fd);
		return unik_err_set(err, e == EADDRINUSE ? UNIK_E_CONFLICT : UNIK_E_INVALID,
				    "cannot publish %s:%d: %s", p->host_ip, p->host_port,
				    e == EADDRINUSE ? "the port is already in use" : strerror(e));
	}
	return fd;
}

int portfwd_probe(const struct portspec *p, struct unik_err *err)
{
	int fd = portfwd_bind(p, 1, err);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Copies what `from` has into `to`; 0 at EOF or error. */
static int pump(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return 0;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		off += w;
	}
	return 1;
}

int portfwd_connect(const struct sockaddr_in *guest, int stop_fd, int timeout_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct pollfd pf[2] = { { fd, POLLOUT, 0 }, { stop_fd, POLLIN, 0 } };
	int e = 0;
	socklen_t len = sizeof(e);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)guest, sizeof(*guest)) < 0) {
		if (errno != EINPROGRESS || poll(pf, 2, timeout_ms) <= 0 || pf[1].revents ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e) {
			close(fd);
			return -1;
		}
	}
	fcntl(fd, F_SETFL, 0);
	return fd;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int portfwd_connect_wait(const struct sockaddr_in *guest, int stop_fd, int wait_ms, int retry_ms,
			 int max_attempt_ms)
{
	struct pollfd stop = { stop_fd, POLLIN, 0 };
	long long deadline = mono_ms() + wait_ms;
	int attempt_ms = 10;

	for (;;) {
		long long left = wait_ms < 0 ? 1000 : deadline - mono_ms();
		int fd;

		if (left <= 0)
			return -1;
		/* a SYN the guest never saw (sent before its NIC was there) is
		 * sent again by the kernel only after 1 s: a new attempt sends
		 * one at once; each waits twice the last, up to max_attempt_ms */
		fd = portfwd_connect(guest, stop_fd, left > attempt_ms ? attempt_ms : (int)left);
		if (fd >= 0)
			return fd;
		if (attempt_ms < max_attempt_ms)
			attempt_ms =
			    attempt_ms * 2 > max_attempt_ms ? max_attempt_ms : attempt_ms * 2;
		/* refused (the program does not listen yet): again shortly */
		if (poll(&stop, 1, retry_ms) != 0)
			return -1;
	}
}

/* One attempt of portfwd_stack_wait: 1 answered, 0 not (yet), -1 stopped. */
static int stack_answers(const struct sockaddr_in *guest, int stop_fd, int timeout_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct pollfd pf[2] = { { fd, POLLOUT, 0 }, { stop_fd, POLLIN, 0 } };
	int e = 0, rc = 0;
	socklen_t len = sizeof(e);

	if (fd < 0)
		return 0;
	if (connect(fd, (const struct sockaddr *)guest, sizeof(*guest)) == 0) {
		rc = 1;
	} else if (errno == ECONNREFUSED) {
		rc = 1;
	} else if (errno == EINPROGRESS) {
		int n = poll(pf, 2, timeout_ms);

		if (n > 0 && pf[1].revents)
			rc = -1;
		else if (n > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0)
			rc = e == 0 || e == ECONNREFUSED;
	}
	close(fd);
	return rc;
}

int portfwd_stack_wait(const struct sockaddr_in *guest, int stop_fd, int wait_ms, int retry_ms)
{
	struct pollfd stop = { stop_fd, POLLIN, 0 };
	long long deadline = mono_ms() + wait_ms;

	for (;;) {
		long long left = deadline - mono_ms();
		int rc;

		if (left <= 0)
			return -1;
		rc = stack_answers(guest, stop_fd, left > 200 ? 200 : (int)left);
		if (rc)
			return rc > 0 ? 0 : -1;
		if (poll(&stop, 1, retry_ms) != 0)
			return -1;
	}
}

void portfwd_splice(int client, int guest, int stop_fd)
{
	struct pollfd pf[3] = { { client, POLLIN, 0 },
				{ guest, POLLIN, 0 },
				{ stop_fd, POLLIN, 0 } };
	int open_in = 1, open_out = 1, one = 1;

	/* each side's writes go out as they come, as they would unrelayed */
	setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(guest, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (open_in || open_out) {
		pf[0].fd = open_in ? client : -1;
		pf[1].fd = open_out ? guest : -1;
		if (poll(pf, 3, -1) < 0 && errno != EINTR)
			break;
		if (pf[2].revents)
			break;
		if (open_in && pf[0].revents && !pump(client, guest)) {
			open_in = 0;
			shutdown(guest, SHUT_WR);
		}
		if (open_out && pf[1].revents && !pump(guest, client)) {
			open_out = 0;
			shutdown(client, SHUT_WR);
		}
	}
}

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	struct portfwd *fw = r->fw;
	int guest = portfwd_connect(&fw->guest, fw->stop_fd, 10000);

	if (guest >= 0)
		portfwd_splice(r->client, guest, fw->stop_fd);
	if (guest >= 0)
		close(guest);
	close(r->client);
	free(r);
	pthread_mutex_lock(&fw->lock);
	fw->relays--;
	pthread_cond_broadcast(&fw->idle);
	pthread_mutex_unlock(&fw->lock);
	return NULL;
}

/* Waits until the guest's port accepts, then listens: 0, or -1 when the
 * port is closed first. */
static int wait_guest(struct portfwd *fw)
{
	int fd = portfwd_connect_wait(&fw->guest, fw->stop_fd, -1, 100, 1000);

	if (fd < 0)
		return -1;
	close(fd);
	return listen(fw->listen_fd, 128);
}

int portfwd_wait(int fd, int stop_fd)
{
	struct pollfd pf[2] = { { fd, POLLIN, 0 }, { stop_fd, POLLIN, 0 } };

	for (;;) {
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			return 0;
		if (pf[1].revents)
			return 0;
		if (pf[0].revents)
			return 1;
	}
}

int portfwd_accept(int listen_fd, int stop_fd)
{
	while (portfwd_wait(listen_fd, stop_fd)) {
		int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (c >= 0)
			return c;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			struct pollfd stop = { stop_fd, POLLIN, 0 };

			poll(&stop, 1, 100); /* out of descriptors: a breath */
		}
	}
	return -1;
}

static void *accept_main(void *arg)
{
	struct portfwd *fw = arg;
	int c;

	if (wait_guest(fw))
		return NULL;
	while ((c = portfwd_accept(fw->listen_fd, fw->stop_fd)) >= 0) {
		struct relay *r;
		pthread_attr_t attr;
		pthread_t t;

		r = xcalloc(1, sizeof(*r));
		r->fw = fw;
		r->client = c;
		pthread_mutex_lock(&fw->lock);
		fw->relays++;
		pthread_mutex_unlock(&fw->lock);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, relay_main, r)) {
			close(c);
			free(r);
			pthread_mutex_lock(&fw->lock);
			fw->relays--;
			pthread_mutex_unlock(&fw->lock);
		}
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

/* A published UDP port's guest is up as long as the VM runs. */
static int udp_gate(void *arg, unsigned lane, int recheck, struct sockaddr_in *guest, unsigned *gen)
{
	const struct portfwd *fw = arg;

	(void)lane;
	(void)recheck;
	*guest = fw->guest;
	*gen = 0;
	return 1;
}

static int open_udp(struct portfwd *fw, struct unik_err *err)
{
	struct udprelay_gate g = { udp_gate, NULL, NULL, NULL, fw };

	fw->listen_fd = portfwd_bind(&fw->spec, 0, err);
	if (fw->listen_fd < 0)
		return -1;
	if (udprelay_open(fw->listen_fd, 1, &g, &fw->udp))
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot start the relay for port %d/udp",
				    fw->spec.host_port);
	return 0;
}

int portfwd_open(const struct portspec *p, const char *guest_ip, struct portfwd **out,
		 struct unik_err *err)
{
	struct portfwd *fw = xcalloc(1, sizeof(*fw));

	fw->spec = *p;
	fw->guest.sin_family = AF_INET;
	fw->guest.sin_port = htons((uint16_t)p->guest_port);
	if (inet_pton(AF_INET, guest_ip, &fw->guest.sin_addr) != 1) {
		free(fw);
		return unik_err_set(err, UNIK_E_INVALID, "bad guest address '%s'", guest_ip);
	}
	if (p->udp) {
		if (open_udp(fw, err)) {
			free(fw);
			return -1;
		}
		*out = fw;
		return 0;
	}
	fw->listen_fd = portfwd_bind(p, 0, err);
	if (fw->listen_fd < 0) {
		free(fw);
		return -1;
	}
	fw->stop_fd = eventfd(0, EFD_CLOEXEC);
	pthread_mutex_init(&fw->lock, NULL);
	pthread_cond_init(&fw->idle, NULL);
	if (fw->stop_fd < 0 || pthread_create(&fw->thread, NULL, accept_main, fw)) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot start the relay for port %d",
			     p->host_port);
		close(fw->listen_fd);
		if (fw->stop_fd >= 0)
			close(fw->stop_fd);
		free(fw);
		return -1;
	}
	*out = fw;
	return 0;
}

void portfwd_close(struct portfwd *fw)
{
	uint64_t one = 1;

	if (!fw)
		return;
	if (fw->udp) {
		udprelay_close(fw->udp); /* and the socket */
		free(fw);
		return;
	}
	if (write(fw->stop_fd, &one, sizeof(one)) < 0)
		return;
	pthread_join(fw->thread, NULL);
	close(fw->listen_fd);
	pthread_mutex_lock(&fw->lock);
	while (fw->relays > 0)
		pthread_cond_wait(&fw->idle, &fw->lock);
	pthread_mutex_unlock(&fw->lock);
	close(fw->stop_fd);
	pthread_mutex_destroy(&fw->lock);
	pthread_cond_destroy(&fw->idle);
	free(fw);
}
