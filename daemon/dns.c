/* dns.c - the DNS responder of summoned instances (dns.h).  One thread,
 * one UDP socket; the queries are parsed by dns_msg.c; the names are the
 * summoned instances' (summon_dns_lookup, which starts their boot). */
#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "dns_msg.h"
#include "portfwd.h"
#include "summon.h"

#define ZONE ".unik"

static struct {
	struct unikd *d;
	int fd, stop_fd;
	struct in_addr local; /* the bound address (0.0.0.0: any) */
	pthread_t thread;
	int started;
} dns = { NULL, -1, -1, { 0 }, 0, 0 };

/* The reply to the query in msg (n bytes) in out: its length, 0 for none. */
static size_t answer(const uint8_t *msg, size_t n, uint8_t *out, size_t cap)
{
	struct dns_query q;
	int rc = dns_parse_query(msg, n, &q);
	size_t len, zl = strlen(ZONE);
	char inst[DNS_NAME_MAX + 1], ip[64];
	struct in_addr a;

	if (rc < 0)
		return 0;
	if (rc > 0)
		return dns_build_reply(&q, rc, 0, NULL, out, cap);
	len = strlen(q.name);
	if (q.qclass != DNS_CLASS_IN || len <= zl || strcmp(q.name + len - zl, ZONE))
		return dns_build_reply(&q, DNS_RCODE_NXDOMAIN, 1, NULL, out, cap);
	memcpy(inst, q.name, len - zl);
	inst[len - zl] = '\0';
	if (summon_dns_lookup(dns.d, inst, q.qtype == DNS_TYPE_A, ip, sizeof(ip)))
		return dns_build_reply(&q, DNS_RCODE_NXDOMAIN, 1, NULL, out, cap);
	if (q.qtype != DNS_TYPE_A) /* the name is there, with no record of that type */
		return dns_build_reply(&q, DNS_RCODE_OK, 1, NULL, out, cap);
	if (inet_pton(AF_INET, ip, &a) != 1 || a.s_addr == htonl(INADDR_ANY))
		a = dns.local.s_addr != htonl(INADDR_ANY)
			? dns.local
			: (struct in_addr){ htonl(INADDR_LOOPBACK) };
	return dns_build_reply(&q, DNS_RCODE_OK, 1, (const uint8_t *)&a.s_addr, out, cap);
}

static void *dns_main(void *arg)
{
	(void)arg;
	while (portfwd_wait(dns.fd, dns.stop_fd)) {
		uint8_t msg[512], out[512];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		size_t r;

		n = recvfrom(dns.fd, msg, sizeof(msg), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 0)
			continue;
		r = answer(msg, (size_t)n, out, sizeof(out));
		if (r && sendto(dns.fd, out, r, MSG_DONTWAIT, (struct sockaddr *)&from, fl) < 0)
			continue; /* a sender that is gone: nothing to do */
	}
	return NULL;
}

int dns_start(struct unikd *d, const char *addr_port, struct unik_err *err)
{
	struct sockaddr_in sa;
	char host[64];
	const char *colon = strrchr(addr_port, ':');
	char *end;
	long port;

	if (!colon || (size_t)(colon - addr_port) >= sizeof(host))
		return unik_err_set(err, UNIK_E_INVALID, "--dns %s: use ADDR:PORT", addr_port);
	memcpy(host, addr_port, (size_t)(colon - addr_port));
	host[colon - addr_port] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	if (errno || end == colon + 1 || *end || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return unik_err_set(err, UNIK_E_INVALID,
				    "--dns %s: use ADDR:PORT (an IPv4 address, a port 1..65535)",
				    addr_port);
	sa.sin_port = htons((uint16_t)port);
	dns.d = d;
	dns.local = sa.sin_addr;
	dns.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (dns.fd < 0 || bind(dns.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		unik_err_set(err, UNIK_E_INVALID, "--dns %s: %s", addr_port, strerror(errno));
		goto fail;
	}
	dns.stop_fd = eventfd(0, EFD_CLOEXEC);
	if (dns.stop_fd < 0 || pthread_create(&dns.thread, NULL, dns_main, NULL)) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot start the DNS responder");
		goto fail;
	}
	dns.started = 1;
	unikd_log("dns: answering for NAME%s. on %s", ZONE, addr_port);
	return 0;
fail:
	if (dns.fd >= 0)
		close(dns.fd);
	if (dns.stop_fd >= 0)
		close(dns.stop_fd);
	dns.fd = dns.stop_fd = -1;
	return -1;
}

void dns_stop(void)
{
	uint64_t one = 1;

	if (!dns.started)
		return;
	if (write(dns.stop_fd, &one, sizeof(one)) < 0)
		unikd_log("dns: cannot stop the responder");
	else
		pthread_join(dns.thread, NULL);
	close(dns.fd);
	close(dns.stop_fd);
	dns.fd = dns.stop_fd = -1;
	dns.started = 0;
}
