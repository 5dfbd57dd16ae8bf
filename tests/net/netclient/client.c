/* client.c - the network tests' client program (tests/net/run-tests): one
 * HTTP GET to another instance, waiting with select(), then the DNS
 * configuration the runtime published.
 *
 *   client IP PORT PATH [sigpipe|nosignal]
 *
 * Prints "status=<code>", "body=<body>", each line of /etc/resolv.conf and
 * the interfaces getifaddrs() and if_nameindex() find (the runtime's
 * NETLINK_ROUTE): "ifaddr: NAME ADDR/PREFIX", "iflink: NAME up|down",
 * "ifindex: N NAME"; exits 0 when the status was 200.  With sigpipe or nosignal it then keeps
 * writing to the connection the server closed: the runtime's SIGPIPE ends
 * the program (status 141), or send(MSG_NOSIGNAL) fails with EPIPE.
 *
 *   client accept4 PORT
 *
 * The server side instead: one connection taken with accept4(SOCK_NONBLOCK |
 * SOCK_CLOEXEC) on a blocking listener; prints the new descriptor's
 * "accept4: nonblock=N cloexec=N", then what a read finds before the peer
 * sent anything ("read before data: EAGAIN" for a non-blocking socket),
 * then the byte the peer sends ("read after poll: x"); exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

static void interfaces(void)
{
	struct ifaddrs *ifs, *i;
	struct if_nameindex *ni;

	if (getifaddrs(&ifs) < 0) {
		printf("getifaddrs: %s\n", strerror(errno));
		return;
	}
	for (i = ifs; i; i = i->ifa_next) {
		char a[INET_ADDRSTRLEN] = "";
		int prefix = 0;

		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			unsigned m = ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);

			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a,
				  sizeof(a));
			while (prefix < 32 && (m & (0x80000000u >> prefix)))
				prefix++;
			printf("ifaddr: %s %s/%d\n", i->ifa_name, a, prefix);
		} else if (i->ifa_addr->sa_family == AF_PACKET) {
			printf("iflink: %s %s\n", i->ifa_name,
			       i->ifa_flags & IFF_UP ? "up" : "down");
		}
	}
	freeifaddrs(ifs);
	ni = if_nameindex();
	for (int k = 0; ni && ni[k].if_index; k++)
		printf("ifindex: %u %s\n", ni[k].if_index, ni[k].if_name);
	if (ni)
		if_freenameindex(ni);
}

/* accept4's flags on the new descriptor (the runtime once dropped them). */
static int accept_mode(const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int l = socket(AF_INET, SOCK_STREAM, 0), s, one = 1;
	struct pollfd pf;
	char c = 0;
	ssize_t n;

	a.sin_port = htons((unsigned short)strtol(port, NULL, 10));
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0) {
		printf("listen: %s\n", strerror(errno));
		return 1;
	}
	printf("listening on %s\n", port);
	fflush(stdout);
	s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (s < 0) {
		printf("accept4: %s\n", strerror(errno));
		return 1;
	}
	printf("accept4: nonblock=%d cloexec=%d\n", !!(fcntl(s, F_GETFL) & O_NONBLOCK),
	       !!(fcntl(s, F_GETFD) & FD_CLOEXEC));
	n = read(s, &c, 1);
	printf("read before data: %s\n",
	       n < 0 ? (errno == EAGAIN ? "EAGAIN" : strerror(errno)) : "returned data");
	pf = (struct pollfd){ .fd = s, .events = POLLIN };
	if (poll(&pf, 1, 30000) == 1 && read(s, &c, 1) == 1)
		printf("read after poll: %c\n", c);
	fflush(stdout);
	close(s);
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char req[512], resp[8192], line[256];
	size_t got = 0;
	int fd, status = 0;
	const char *body;
	FILE *f;

	if (argc == 3 && !strcmp(argv[1], "accept4"))
		return accept_mode(argv[2]);
	if (argc != 4 && argc != 5)
		return 2;
	a.sin_port = htons((unsigned short)strtol(argv[2], NULL, 10));
	if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1)
		return 2;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		printf("connect: %s\n", strerror(errno));
		return 1;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
		 argv[3], argv[1]);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return 1;
	for (;;) {
		fd_set rd;
		struct timeval tv = { 10, 0 };
		ssize_t n;

		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		if (select(fd + 1, &rd, NULL, NULL, &tv) <= 0) {
			printf("select: timeout or error\n");
			return 1;
		}
		n = read(fd, resp + got, sizeof(resp) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	resp[got] = 0;
	if (argc == 5) {
		int nosig = !strcmp(argv[4], "nosignal");

		/* the first write draws the peer's reset, a later one fails */
		for (int i = 0; i < 100; i++) {
			ssize_t w = nosig ? send(fd, "x", 1, MSG_NOSIGNAL) : write(fd, "x", 1);

			if (w < 0) {
				printf("write after close: %s\n",
				       errno == EPIPE ? "EPIPE" : strerror(errno));
				if (errno == EPIPE)
					break;
			}
			usleep(20000);
		}
		fflush(stdout);
	}
	close(fd);
	sscanf(resp, "HTTP/1.1 %d", &status);
	body = strstr(resp, "\r\n\r\n");
	printf("status=%d\nbody=%s\n", status, body ? body + 4 : "");
	f = fopen("/etc/resolv.conf", "r");
	while (f && fgets(line, sizeof(line), f))
		printf("resolv: %s", line);
	interfaces();
	fflush(stdout);
	return status == 200 ? 0 : 1;
}
