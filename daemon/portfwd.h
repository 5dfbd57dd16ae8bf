/* portfwd.h - a published port: a listener on the host that relays each
 * TCP connection to the guest's address (the daemon is on the bridge).
 * One accept thread per port; one relay thread per connection. */
#ifndef UNIKD_PORTFWD_H
#define UNIKD_PORTFWD_H

#include <netinet/in.h>

#include "../lib/error.h"
#include "../lib/portspec.h"

struct portfwd;

/* Binds the host side now (CONFLICT if the port is taken) and relays to
 * guest_ip:p->guest_port from then on. */
int portfwd_open(const struct portspec *p, const char *guest_ip, struct portfwd **out,
		 struct unik_err *err);
/* Closes the listener and every relayed connection; frees it.  NULL is fine. */
void portfwd_close(struct portfwd *fw);
/* Checks that the host side could be bound now (then releases it). */
int portfwd_probe(const struct portspec *p, struct unik_err *err);

/* The host's socket of p, bound (CONFLICT when taken); listening too with
 * a backlog of listen_now when > 1 (1: 128), not with 0. */
int portfwd_bind(const struct portspec *p, int listen_now, struct unik_err *err);
/* Connects to `guest` (blocking fd returned), giving up after timeout_ms
 * (-1 on failure, or when stop_fd becomes readable first). */
int portfwd_connect(const struct sockaddr_in *guest, int stop_fd, int timeout_ms);
/* Connects to `guest`, trying again every retry_ms while it refuses (the
 * program does not listen yet), and with a new SYN after 10, 20, 40 ... up
 * to max_attempt_ms without an answer (a SYN sent before the guest's NIC
 * was up is lost): the blocking fd once it accepts, or -1 after wait_ms
 * (-1: no limit) or once stop_fd is readable.  Both relays (published
 * ports, summoned instances) wait for the guest with it. */
int portfwd_connect_wait(const struct sockaddr_in *guest, int stop_fd, int wait_ms, int retry_ms,
			 int max_attempt_ms);
/* Waits until the guest's network stack answers at all: a TCP connection
 * to `guest` accepted or refused (a reset: the port does not listen, but
 * the stack is up), trying again every retry_ms while nothing answers
 * (the guest does not answer ARP yet); 0, or -1 after wait_ms or once
 * stop_fd is readable.  The UDP relay's probes need it: before that a
 * datagram waits for ARP, and the port unreachable comes too late. */
int portfwd_stack_wait(const struct sockaddr_in *guest, int stop_fd, int wait_ms, int retry_ms);
/* Waits until `fd` is readable (1) or `stop_fd` is (0; also on a failing
 * poll).  The listeners of both relays and the DNS responder wait with it. */
int portfwd_wait(int fd, int stop_fd);
/* The next connection on `listen_fd` (CLOEXEC), or -1 once `stop_fd` is
 * readable.  Out of descriptors (EMFILE and the like) it pauses 100 ms, or
 * until the stop, before it tries again, instead of spinning on a
 * listener that stays readable. */
int portfwd_accept(int listen_fd, int stop_fd);
/* Relays between two connected sockets until both directions ended (each
 * EOF passed on as a shutdown) or stop_fd is readable; closes neither. */
void portfwd_splice(int client, int guest, int stop_fd);

#endif
