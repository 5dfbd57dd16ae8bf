/* loadgen.c - a small epoll HTTP/1.1 load client for unikd (scripts/bench-api).
 *
 *   loadgen [-c CONNS] [-d SECONDS] [-n REQUESTS] [-p PATH]... [-t TOKEN]
 *           [-T TIMEOUT_MS] [-C] [-i PAUSE_MS] ADDRESS
 *   loadgen --idle M [-d SECONDS] [--no-reopen] HOST:PORT
 *
 * ADDRESS is HOST:PORT (IPv4) or unix:/path/to.sock.  Load mode opens CONNS
 * keep-alive connections (all of them first, then the clock starts), each
 * sending GET requests for the PATHs in turn (a connection starts at its own
 * offset in the list), one at a time, for SECONDS (10; 600 with -n) or until
 * REQUESTS were answered in all.  Every answer is read whole (Content-Length
 * or chunked); a closed connection is opened again.  -C: a new connection for
 * every request ("Connection: close"; the latency then counts the connect,
 * as a CLI command sees it), and -n counts attempts, answered or failed.
 * -i: a pause between a connection's requests.  Errors: an answer that is not 2xx, a
 * connection reset or closed mid-answer (or before one), a request without
 * an answer after TIMEOUT_MS, a connection that could not be made.
 *
 * Idle mode (the flood): opens M TCP connections that each send the start of
 * a request and never finish it, and holds them for SECONDS; one the server
 * closes is opened again 100 ms later (unless --no-reopen).
 *
 * The last line is machine-readable: "RESULT key=value ...".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_PATHS 16
#define RECONNECT_DELAY_NS (100 * 1000000LL)

enum conn_state { C_IDLE, C_CONNECTING, C_SENDING, C_RECEIVING, C_HOLDING, C_PAUSED };

struct conn {
	int fd;
	enum conn_state state;
	int ever_connected;
	unsigned next_path;
	char *out; /* the request being sent */
	size_t out_len, out_off;
	char *in; /* what the server sent so far */
	size_t in_len, in_cap;
	int64_t started_ns; /* of the request (or of the connect) */
	int64_t connect_ns; /* when the connection was begun */
	int64_t retry_at_ns; /* C_IDLE: when to connect again */
};

struct opts {
	int conns;
	double seconds;
	long long max_requests;
	const char *paths[MAX_PATHS];
	int npaths;
	const char *token;
	int timeout_ms;
	int close_each; /* -C */
	int pause_ms; /* -i */
	int idle; /* idle mode: M connections */
	int reopen;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char addr_text[160];
};

struct stats {
	long long requests, non2xx, resets, timeouts, connect_errors;
	long long idle_closed, idle_reopened;
	uint32_t *lat_us; /* latency of every answered request */
	size_t nlat, cap;
	char first_error[160];
};

static struct opts o;
static struct stats st;
static int epfd;
static int measuring; /* 0 while the connections are being opened */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("loadgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

static void note_error(const char *fmt, ...)
{
	va_list ap;

	if (st.first_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(st.first_error, sizeof(st.first_error), fmt, ap);
	va_end(ap);
}

/* ---- address and options ------------------------------------------- */

static void parse_address(const char *s)
{
	snprintf(o.addr_text, sizeof(o.addr_text), "%s", s);
	memset(&o.addr, 0, sizeof(o.addr));
	if (!strncmp(s, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&o.addr;
		size_t n = strlen(s + 5);

		if (n == 0 || n >= sizeof(un->sun_path))
			die("bad unix socket path '%s'", s + 5);
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, s + 5, n + 1);
		o.addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&o.addr;
		const char *colon = strrchr(s, ':');
		char host[64];
		char *end;
		long port;

		if (!colon || (size_t)(colon - s) >= sizeof(host))
			die("address '%s' is not HOST:PORT or unix:PATH", s);
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
		port = strtol(colon + 1, &end, 10);
		if (*end || port < 1 || port > 65535)
			die("bad port in '%s'", s);
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			die("'%s' is not an IPv4 address", host);
		o.addr_len = sizeof(*in);
	}
}

static long num_arg(const char *opt, const char *v)
{
	char *end;
	long n;

	if (!v)
		die("%s needs a value", opt);
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 0)
		die("%s: '%s' is not a number", opt, v);
	return n;
}

static void parse_args(int argc, char **argv)
{
	const char *address = NULL;

	o.conns = 100;
	o.seconds = 0;
	o.timeout_ms = 10000;
	o.reopen = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-c")) {
			o.conns = (int)num_arg(a, v), i++;
		} else if (!strcmp(a, "-d")) {
			if (!v || (o.seconds = strtod(v, NULL)) <= 0)
				die("-d needs a number of seconds");
			i++;
		} else if (!strcmp(a, "-n")) {
			o.max_requests = num_arg(a, v), i++;
		} else if (!strcmp(a, "-p")) {
			if (!v || v[0] != '/')
				die("-p needs a path starting with '/'");
			if (o.npaths == MAX_PATHS)
				die("at most %d paths", MAX_PATHS);
			o.paths[o.npaths++] = v, i++;
		} else if (!strcmp(a, "-t")) {
			if (!v)
				die("-t needs a token");
			o.token = v, i++;
		} else if (!strcmp(a, "-C")) {
			o.close_each = 1;
		} else if (!strcmp(a, "-i")) {
			o.pause_ms = (int)num_arg(a, v), i++;
		} else if (!strcmp(a, "-T")) {
			o.timeout_ms = (int)num_arg(a, v), i++;
		} else if (!strcmp(a, "--idle")) {
			o.idle = (int)num_arg(a, v), i++;
		} else if (!strcmp(a, "--no-reopen")) {
			o.reopen = 0;
		} else if (a[0] == '-') {
			die("unknown option %s (see the top of tests/tools/loadgen.c)", a);
		} else if (!address) {
			address = a;
		} else {
			die("one address only");
		}
	}
	if (!address)
		die("usage: loadgen [-c N] [-d S | -n R] [-p PATH]... [-t TOKEN] ADDRESS | "
		    "loadgen --idle M [-d S] HOST:PORT");
	parse_address(address);
	if (o.seconds <= 0)
		o.seconds = o.max_requests ? 600 : 10;
	if (o.idle && o.addr.ss_family != AF_INET)
		die("the idle flood is over TCP");
	if (!o.npaths)
		o.paths[o.npaths++] = "/v1/health";
	if (!o.idle && o.conns < 1)
		die("-c must be at least 1");
}

/* As many descriptors as the hard limit allows. */
static void raise_nofile(int need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if ((rlim_t)need + 16 > rl.rlim_cur)
			fprintf(stderr, "loadgen: warning: %d connections, descriptor limit %lu\n",
				need, (unsigned long)rl.rlim_cur);
	}
}

/* ---- connections --------------------------------------------------- */

static void watch(struct conn *c, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (epoll_ctl(epfd, op, c->fd, &ev) < 0)
		die("epoll_ctl: %s", strerror(errno));
}

static void conn_close(struct conn *c, int64_t now)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = C_IDLE;
	c->in_len = 0;
	c->retry_at_ns = now;
}

static void conn_open(struct conn *c, int64_t now)
{
	int fd = socket(o.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	c->started_ns = c->connect_ns = now;
	if (fd < 0) {
		st.connect_errors++;
		note_error("socket: %s", strerror(errno));
		c->retry_at_ns = now + RECONNECT_DELAY_NS;
		return;
	}
	if (o.addr.ss_family == AF_INET) {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	c->fd = fd;
	if (connect(fd, (struct sockaddr *)&o.addr, o.addr_len) < 0 && errno != EINPROGRESS) {
		st.connect_errors++;
		note_error("connect: %s", strerror(errno));
		conn_close(c, now);
		c->retry_at_ns = now + RECONNECT_DELAY_NS;
		return;
	}
	c->state = C_CONNECTING;
	watch(c, EPOLLOUT, EPOLL_CTL_ADD);
}

static void request_start(struct conn *c, int64_t now)
{
	const char *path = o.paths[c->next_path++ % (unsigned)o.npaths];
	size_t need = strlen(path) + (o.token ? strlen(o.token) : 0) + 128;
	int n;

	c->out = xrealloc(c->out, need);
	if (o.idle)
		/* the start of a request whose headers never end */
		n = snprintf(c->out, need, "GET %s HTTP/1.1\r\nHost: unik\r\n", path);
	else
		n = snprintf(c->out, need, "GET %s HTTP/1.1\r\nHost: unik\r\n%s%s%s%s\r\n", path,
			     o.token ? "Authorization: Bearer " : "", o.token ? o.token : "",
			     o.token ? "\r\n" : "", o.close_each ? "Connection: close\r\n" : "");
	c->out_len = (size_t)n;
	c->out_off = 0;
	c->started_ns = o.close_each ? c->connect_ns : now;
	c->state = C_SENDING;
	watch(c, EPOLLOUT, EPOLL_CTL_MOD);
}

/* The answer in c->in: -1 malformed, 0 incomplete, else its length with
 * *status and *close set. */
static long answer_complete(struct conn *c, int *status, int *close_after)
{
	char *hend, *p;
	long long clen = -1;
	int chunked = 0;
	size_t hlen, off;

	if (c->in_len < 12)
		return 0;
	hend = memmem(c->in, c->in_len, "\r\n\r\n", 4);
	if (!hend)
		return c->in_len > 65536 ? -1 : 0;
	if (strncmp(c->in, "HTTP/1.", 7) || c->in[8] != ' ')
		return -1;
	*status = (int)strtol(c->in + 9, NULL, 10);
	*close_after = c->in[7] == '0';
	hlen = (size_t)(hend - c->in) + 4;
	for (p = memchr(c->in, '\n', hlen); p && p < hend;
	     p = memchr(p, '\n', (size_t)(hend - p))) {
		p++;
		if (!strncasecmp(p, "content-length:", 15))
			clen = strtoll(p + 15, NULL, 10);
		else if (!strncasecmp(p, "transfer-encoding:", 18) &&
			 memmem(p, (size_t)(hend - p) < 64 ? (size_t)(hend - p) : 64, "chunked", 7))
			chunked = 1;
		else if (!strncasecmp(p, "connection:", 11) &&
			 memmem(p, (size_t)(hend - p) < 64 ? (size_t)(hend - p) : 64, "close", 5))
			*close_after = 1;
	}
	if (*status == 204 || *status == 304 || (*status >= 100 && *status < 200))
		return (long)hlen;
	if (!chunked) {
		if (clen < 0) /* the body ends with the connection */
			return -1;
		return c->in_len >= hlen + (size_t)clen ? (long)(hlen + (size_t)clen) : 0;
	}
	/* chunked: size CRLF data CRLF ... 0 CRLF CRLF (no trailers) */
	off = hlen;
	for (;;) {
		char *eol = memmem(c->in + off, c->in_len - off, "\r\n", 2);
		char *end;
		long long sz;

		if (!eol)
			return 0;
		sz = strtoll(c->in + off, &end, 16);
		if (end == c->in + off || sz < 0)
			return -1;
		off = (size_t)(eol - c->in) + 2;
		if (sz == 0)
			return c->in_len >= off + 2 ? (long)(off + 2) : 0;
		if (c->in_len < off + (size_t)sz + 2)
			return 0;
		off += (size_t)sz + 2;
	}
}

static void record_latency(int64_t ns)
{
	if (st.nlat == st.cap) {
		st.cap = st.cap ? st.cap * 2 : 65536;
		st.lat_us = xrealloc(st.lat_us, st.cap * sizeof(*st.lat_us));
	}
	st.lat_us[st.nlat++] = (uint32_t)(ns / 1000 > UINT32_MAX ? UINT32_MAX : ns / 1000);
}

/* -n reached: answers, or with -C attempts (an answer or an error each). */
static int done_requests(void)
{
	long long n = st.requests;

	if (o.close_each)
		n += st.resets + st.timeouts + st.connect_errors;
	return o.max_requests && n >= o.max_requests;
}

/* The connection broke: count it (when it matters) and open it again. */
static void conn_broken(struct conn *c, int64_t now, const char *what, int err)
{
	if (o.idle) {
		st.idle_closed++;
		conn_close(c, now);
		c->retry_at_ns = o.reopen ? now + RECONNECT_DELAY_NS : INT64_MAX;
		return;
	}
	note_error("%s: %s", what, err ? strerror(err) : "closed by the server");
	if (measuring) {
		if (c->state == C_CONNECTING)
			st.connect_errors++;
		else
			st.resets++;
	}
	conn_close(c, now);
	c->retry_at_ns = now + (c->ever_connected ? RECONNECT_DELAY_NS / 10 : RECONNECT_DELAY_NS);
	if (o.close_each) /* the next probe after the pause, as after an answer */
		c->retry_at_ns = now + (int64_t)o.pause_ms * 1000000LL;
}

static void on_event(struct conn *c, uint32_t events, int64_t now)
{
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err || (events & (EPOLLERR | EPOLLHUP))) {
			conn_broken(c, now, "connect", err);
			return;
		}
		c->ever_connected = 1;
		if (o.idle && c->retry_at_ns)
			st.idle_reopened++;
		request_start(c, now);
	}
	if (c->state == C_SENDING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		while (c->out_off < c->out_len) {
			ssize_t w =
			    send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

			if (w < 0 && errno == EAGAIN)
				return;
			if (w <= 0) {
				conn_broken(c, now, "send", errno);
				return;
			}
			c->out_off += (size_t)w;
		}
		c->state = o.idle ? C_HOLDING : C_RECEIVING;
		watch(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
		return;
	}
	if (c->state == C_PAUSED) {
		/* the server closed it between requests: not an error, open again */
		int64_t resume = c->retry_at_ns;

		conn_close(c, now);
		c->retry_at_ns = resume;
		return;
	}
	if (c->state == C_HOLDING) {
		char buf[4096];
		ssize_t r = recv(c->fd, buf, sizeof(buf), 0);

		if (r == 0 || (r < 0 && errno != EAGAIN))
			conn_broken(c, now, "idle", r < 0 ? errno : 0);
		return; /* an answer (a 408, say) is read and dropped */
	}
	if (c->state == C_RECEIVING) {
		for (;;) {
			ssize_t r;
			long n;
			int status = 0, close_after = 0;

			if (c->in_cap - c->in_len < 16384) {
				c->in_cap = c->in_cap ? c->in_cap * 2 : 32768;
				c->in = xrealloc(c->in, c->in_cap);
			}
			r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
			if (r < 0 && errno == EAGAIN)
				return;
			if (r <= 0) {
				conn_broken(c, now, "receive", r < 0 ? errno : 0);
				return;
			}
			c->in_len += (size_t)r;
			n = answer_complete(c, &status, &close_after);
			if (n == 0)
				continue;
			if (n < 0) {
				conn_broken(c, now, "malformed answer", EPROTO);
				return;
			}
			/* answers to requests in flight when -n was reached are
			 * not counted: RESULT says exactly -n */
			if (measuring && !done_requests()) {
				st.requests++;
				record_latency(now - c->started_ns);
				if (status < 200 || status > 299) {
					st.non2xx++;
					note_error("HTTP status %d", status);
				}
			}
			memmove(c->in, c->in + n, c->in_len - (size_t)n);
			c->in_len -= (size_t)n;
			if (close_after || o.close_each) {
				conn_close(c, now);
				c->retry_at_ns = now + (int64_t)o.pause_ms * 1000000LL;
			} else if (o.pause_ms) {
				c->state = C_PAUSED;
				c->retry_at_ns = now + (int64_t)o.pause_ms * 1000000LL;
				watch(c, EPOLLRDHUP, EPOLL_CTL_MOD);
			} else if (!done_requests()) {
				request_start(c, now);
			} else {
				c->state = C_HOLDING; /* finished: stay quiet */
				watch(c, EPOLLRDHUP, EPOLL_CTL_MOD);
			}
			return;
		}
	}
}

/* Requests without an answer in time, idle connections to open again. */
static void tick(struct conn *cs, int n, int64_t now)
{
	int64_t limit = (int64_t)o.timeout_ms * 1000000LL;

	for (int i = 0; i < n; i++) {
		struct conn *c = &cs[i];

		if (c->state == C_IDLE) {
			if (now >= c->retry_at_ns && !done_requests())
				conn_open(c, now);
		} else if (c->state == C_PAUSED) {
			if (now >= c->retry_at_ns && !done_requests())
				request_start(c, now);
		} else if ((c->state == C_RECEIVING || c->state == C_SENDING ||
			    c->state == C_CONNECTING) &&
			   now - c->started_ns > limit) {
			if (measuring) {
				if (c->state == C_CONNECTING)
					st.connect_errors++;
				else
					st.timeouts++;
				note_error("%s timed out after %d ms",
					   c->state == C_CONNECTING ? "connect" : "request",
					   o.timeout_ms);
			}
			conn_close(c, now);
		}
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_ms(double p)
{
	size_t i;

	if (!st.nlat)
		return 0;
	i = (size_t)(p * (double)(st.nlat - 1) + 0.5);
	return st.lat_us[i] / 1000.0;
}

static int count_state(struct conn *cs, int n, enum conn_state s1, enum conn_state s2)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		k += cs[i].state == s1 || cs[i].state == s2;
	return k;
}

int main(int argc, char **argv)
{
	struct epoll_event evs[512];
	struct conn *cs;
	int n, ready;
	int64_t t0, deadline, measure_start, last_tick = 0, warm_deadline;
	double secs;

	parse_args(argc, argv);
	n = o.idle ? o.idle : o.conns;
	raise_nofile(n);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	cs = calloc((size_t)n, sizeof(*cs));
	if (!cs)
		die("out of memory");
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		cs[i].fd = -1;
		cs[i].next_path = (unsigned)i;
		conn_open(&cs[i], t0);
	}

	/* warm-up: wait until every connection is made (10 s at most) */
	warm_deadline = t0 + 10 * 1000000000LL;
	for (;;) {
		int64_t now = now_ns();
		int up = 0;

		for (int i = 0; i < n; i++)
			up += cs[i].ever_connected;
		if (up == n || now > warm_deadline)
			break;
		ready = epoll_wait(epfd, evs, 512, 50);
		now = now_ns();
		for (int i = 0; i < ready; i++)
			on_event(evs[i].data.ptr, evs[i].events, now);
		if (now - last_tick > 50000000LL) {
			tick(cs, n, now);
			last_tick = now;
		}
	}
	measure_start = now_ns();
	{
		int up = 0;

		for (int i = 0; i < n; i++)
			up += cs[i].ever_connected;
		printf("loadgen: %d %s connections to %s: %d made in %.2f s\n", n,
		       o.idle	      ? "idle"
		       : o.close_each ? "one-request"
				      : "keep-alive",
		       o.addr_text, up, (double)(measure_start - t0) / 1e9);
		if (up < n)
			printf("loadgen: %d connections could not be made%s%s\n", n - up,
			       st.first_error[0] ? "; first error: " : "", st.first_error);
		st.connect_errors += n - up;
		if (!up) {
			printf("RESULT conns=%d requests=0 errors=%d connect_errors=%d\n", n, n, n);
			return 1;
		}
	}
	measuring = 1;
	st.idle_closed = st.idle_reopened = 0;
	deadline = measure_start + (int64_t)(o.seconds * 1e9);
	while (!done_requests()) {
		int64_t now = now_ns();

		if (now >= deadline)
			break;
		ready = epoll_wait(epfd, evs, 512, 20);
		now = now_ns();
		for (int i = 0; i < ready; i++)
			on_event(evs[i].data.ptr, evs[i].events, now);
		if (now - last_tick > 20000000LL) {
			tick(cs, n, now);
			last_tick = now;
		}
	}
	secs = (double)(now_ns() - measure_start) / 1e9;

	if (o.idle) {
		int open = count_state(cs, n, C_HOLDING, C_SENDING);

		printf("loadgen: held %d of %d for %.1f s; the server closed %lld (%lld opened "
		       "again)\n",
		       open, n, secs, st.idle_closed, st.idle_reopened);
		printf("RESULT idle=%d open_at_end=%d closed_by_server=%lld reopened=%lld "
		       "connect_errors=%lld seconds=%.1f\n",
		       n, open, st.idle_closed, st.idle_reopened, st.connect_errors, secs);
		return 0;
	}
	qsort(st.lat_us, st.nlat, sizeof(*st.lat_us), cmp_u32);
	{
		long long errors = st.non2xx + st.resets + st.timeouts + st.connect_errors;

		printf("loadgen: %lld requests in %.1f s (%.0f/s), %lld errors (non-2xx %lld, "
		       "resets %lld, timeouts %lld, connect %lld)%s%s\n",
		       st.requests, secs, st.requests / secs, errors, st.non2xx, st.resets,
		       st.timeouts, st.connect_errors, st.first_error[0] ? "; first: " : "",
		       st.first_error);
		printf("loadgen: latency ms p50 %.2f p99 %.2f max %.2f\n", pct_ms(0.5),
		       pct_ms(0.99), pct_ms(1.0));
		printf("RESULT conns=%d requests=%lld rps=%.0f errors=%lld non2xx=%lld resets=%lld "
		       "timeouts=%lld connect_errors=%lld p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
		       n, st.requests, st.requests / secs, errors, st.non2xx, st.resets,
		       st.timeouts, st.connect_errors, pct_ms(0.5), pct_ms(0.99), pct_ms(1.0));
	}
	return 0;
}
