/* portspec.h - published ports, Docker's -p syntax:
 *   [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]
 * HOST_IP defaults to 127.0.0.1, the protocol to tcp. */
#ifndef UNIK_PORTSPEC_H
#define UNIK_PORTSPEC_H

#include "error.h"

struct portspec {
	char host_ip[16]; /* dotted IPv4 */
	int host_port;
	int guest_port;
	int udp; /* 1: /udp, 0: /tcp */
};

/* Parses `s`; INVALID with a message naming the problem. */
int portspec_parse(const char *s, struct portspec *out, struct unik_err *err);
/* Canonical text "IP:HOST:GUEST/tcp" (or /udp) into buf (at least 40 bytes). */
void portspec_format(const struct portspec *p, char *buf, unsigned len);
/* "tcp" or "udp". */
const char *portspec_proto(const struct portspec *p);

#endif
