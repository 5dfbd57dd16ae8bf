/* http.c - a small HTTP/1.1 server for unik: one process, one thread,
 * epoll, non-blocking sockets, keep-alive.
 *
 *   GET /           a fixed page
 *   GET /env/NAME   the value of environment variable NAME (404 if unset)
 *   anything else   404 (405 for methods other than GET and HEAD)
 *
 * Listens on 0.0.0.0:$PORT (default 8080).  Plain POSIX + epoll: it builds
 * and runs the same as a Linux program (musl or glibc) and as a unikernel.
 */
#define _GNU_SOURCE /* memmem, accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 64
#define REQ_MAX 8192
#define RESP_MAX 16384

struct conn {
	int fd;
	size_t in_len; /* bytes of a request read so far */
	size_t out_len, out_off; /* response being written */
	int close_after; /* close once the response is out */
	char in[REQ_MAX];
	char out[RESP_MAX];
};

static const char page[] = "<!doctype html>\n"
			   "<html><head><title>unik</title></head>\n"
			   "<body><h1>Hello from unik</h1>\n"
			   "<p>This page comes from examples/http-c.</p></body></html>\n";

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Formats a whole response into c->out. */
static void respond(struct conn *c, int status, const char *reason, const char *type,
		    const char *body, size_t len, int head_only)
{
	int n = snprintf(c->out, sizeof(c->out),
			 "HTTP/1.1 %d %s\r\nServer: unik-http-c\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: %s\r\n\r\n",
			 status, reason, type, len, c->close_after ? "close" : "keep-alive");

	if (n < 0 || (size_t)n >= sizeof(c->out))
		n = 0;
	if (!head_only && len > sizeof(c->out) - (size_t)n)
		len = sizeof(c->out) - (size_t)n; /* very long values are cut */
	if (!head_only)
		memcpy(c->out + n, body, len);
	c->out_len = (size_t)n + (head_only ? 0 : len);
	c->out_off = 0;
}

/* Case-insensitive search of a header line in the request head. */
static int header_has(const char *head, const char *name, const char *value)
{
	size_t nl = strlen(name);

	for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
		if (!strncasecmp(p + 2, name, nl) && p[2 + nl] == ':') {
			const char *v = p + 3 + nl, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			return e && (size_t)(e - v) >= strlen(value) &&
			       !strncasecmp(v, value, strlen(value));
		}
	}
	return 0;
}

/* Serves the complete request head in c->in[0..end). */
static void serve(struct conn *c, size_t end)
{
	char method[16], path[2048], version[16];
	int head;

	c->in[end - 2] = 0; /* cut the final CRLF pair */
	if (sscanf(c->in, "%15s %2047s %15s", method, path, version) != 3) {
		c->close_after = 1;
		respond(c, 400, "Bad Request", "text/plain", "bad request\n", 12, 0);
		return;
	}
	c->close_after = !strcmp(version, "HTTP/1.0")
			     ? !header_has(c->in, "Connection", "keep-alive")
			     : header_has(c->in, "Connection", "close");
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head) {
		respond(c, 405, "Method Not Allowed", "text/plain", "method not allowed\n", 19, 0);
	} else if (!strcmp(path, "/")) {
		respond(c, 200, "OK", "text/html", page, sizeof(page) - 1, head);
	} else if (!strncmp(path, "/env/", 5) && path[5]) {
		const char *v = getenv(path + 5);

		if (v)
			respond(c, 200, "OK", "text/plain", v, strlen(v), head);
		else
			respond(c, 404, "Not Found", "text/plain", "no such variable\n", 17, head);
	} else {
		respond(c, 404, "Not Found", "text/plain", "not found\n", 10, head);
	}
}

/* Writes what it can; 0 when all is out, 1 to wait for room, -1 on error. */
static int flush_out(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EAGAIN ? 1 : -1;
		c->out_off += (size_t)w;
	}
	c->out_len = c->out_off = 0;
	return 0;
}

static void drop(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* Reads, answers every complete request, and writes; -1 to close. */
static int on_ready(int ep, struct conn *c)
{
	for (;;) {
		char *end;
		struct epoll_event ev;
		int rc = flush_out(c);

		if (rc < 0)
			return -1;
		if (rc > 0) {
			ev.events = EPOLLOUT;
			ev.data.ptr = c;
			return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		}
		if (c->close_after)
			return -1;
		end = c->in_len ? memmem(c->in, c->in_len, "\r\n\r\n", 4) : NULL;
		if (end) {
			size_t used = (size_t)(end - c->in) + 4;

			serve(c, used);
			memmove(c->in, c->in + used, c->in_len - used);
			c->in_len -= used;
			continue;
		}
		if (c->in_len == sizeof(c->in))
			return -1; /* a request head larger than we take */
		ssize_t r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			return -1;
		if (r < 0) {
			ev.events = EPOLLIN | EPOLLRDHUP;
			ev.data.ptr = c;
			return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		}
		c->in_len += (size_t)r;
	}
}

int main(void)
{
	const char *port_s = getenv("PORT");
	long port = port_s ? strtol(port_s, NULL, 10) : 8080;
	int one = 1, lfd, ep;
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct epoll_event ev, events[MAX_EVENTS];

	if (port <= 0 || port > 65535) {
		fprintf(stderr, "http-c: bad PORT '%s'\n", port_s);
		return 2;
	}
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	addr.sin_port = htons((unsigned short)port);
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("bind");
	if (listen(lfd, 128) < 0)
		die("listen");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.ptr = NULL; /* the listener */
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		die("epoll_ctl");
	printf("http-c: listening on port %ld\n", port);
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, events, MAX_EVENTS, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;

			if (!c) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL,
						     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					c = calloc(1, sizeof(*c));
					if (!c) {
						close(fd);
						continue;
					}
					c->fd = fd;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					ev.events = EPOLLIN | EPOLLRDHUP;
					ev.data.ptr = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
						drop(ep, c);
				}
				continue;
			}
			if (on_ready(ep, c) < 0)
				drop(ep, c);
		}
	}
}
