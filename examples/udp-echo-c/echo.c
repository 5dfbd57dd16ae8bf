/* echo.c - a UDP echo server: each datagram to PORT (default 5000) goes
 * back to its sender as it came, prefixed with PREFIX when that is set. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(void)
{
	const char *port = getenv("PORT"), *prefix = getenv("PREFIX");
	size_t plen = prefix ? strlen(prefix) : 0;
	static char buf[65536];
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || plen > 1024) {
		perror("socket");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)(port ? strtol(port, NULL, 10) : 5000));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("bind");
		return 1;
	}
	printf("udp-echo: listening on %d\n", ntohs(sa.sin_port));
	fflush(stdout);
	if (plen)
		memcpy(buf, prefix, plen);
	for (;;) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t n =
		    recvfrom(fd, buf + plen, sizeof(buf) - plen, 0, (struct sockaddr *)&from, &len);

		if (n < 0)
			continue;
		sendto(fd, buf, (size_t)n + plen, 0, (struct sockaddr *)&from, len);
	}
}
