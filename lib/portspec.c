/* portspec.c - the -p syntax. */
#include "portspec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int port_num(const char *s, size_t len, int *out)
{
	char buf[8], *end;
	long v;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -1;
	*out = (int)v;
	return 0;
}

int portspec_parse(const char *s, struct portspec *out, struct unik_err *err)
{
	const char *slash, *c1, *c2, *end;
	struct in_addr a;

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return unik_err_set(err, UNIK_E_INVALID, "empty port mapping");
	slash = strchr(s, '/');
	end = slash ? slash : s + strlen(s);
	if (slash && strcmp(slash, "/tcp") && strcmp(slash, "/udp"))
		return unik_err_set(err, UNIK_E_INVALID,
				    "port mapping '%s': the protocol must be tcp or udp", s);
	out->udp = slash && !strcmp(slash, "/udp");
	c2 = memrchr(s, ':', (size_t)(end - s));
	if (!c2)
		return unik_err_set(err, UNIK_E_INVALID,
				    "port mapping '%s' must be [IP:]HOSTPORT:GUESTPORT", s);
	c1 = memrchr(s, ':', (size_t)(c2 - s));
	if (c1) {
		size_t n = (size_t)(c1 - s);

		if (n == 0 || n >= sizeof(out->host_ip))
			return unik_err_set(err, UNIK_E_INVALID,
					    "port mapping '%s': bad host address", s);
		memcpy(out->host_ip, s, n);
		out->host_ip[n] = '\0';
		if (inet_pton(AF_INET, out->host_ip, &a) != 1)
			return unik_err_set(err, UNIK_E_INVALID,
					    "port mapping '%s': '%s' is not an IPv4 address", s,
					    out->host_ip);
	} else {
		snprintf(out->host_ip, sizeof(out->host_ip), "127.0.0.1");
	}
	if (port_num(c1 ? c1 + 1 : s, (size_t)(c2 - (c1 ? c1 + 1 : s)), &out->host_port) ||
	    port_num(c2 + 1, (size_t)(end - c2 - 1), &out->guest_port))
		return unik_err_set(err, UNIK_E_INVALID,
				    "port mapping '%s': ports must be numbers from 1 to 65535", s);
	return 0;
}

void portspec_format(const struct portspec *p, char *buf, unsigned len)
{
	snprintf(buf, len, "%s:%d:%d/%s", p->host_ip, p->host_port, p->guest_port,
		 portspec_proto(p));
}

const char *portspec_proto(const struct portspec *p)
{
	return p->udp ? "udp" : "tcp";
}
