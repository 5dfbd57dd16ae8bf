/* imds.c - the instance's user data from EC2's instance metadata service,
 * IMDSv2, for the boot word unik.userdata=imds (abi/boot.h): a session
 * token (PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds),
 * then GET /latest/user-data with the token (X-aws-ec2-metadata-token), over
 * lwIP's TCP to 169.254.169.254:80 before the program starts.  EC2 answers
 * 404 when the instance has no user data.  Each request is bounded
 * (IMDS_WAIT_NS), its answer too (16 KiB of user data, EC2's own limit, plus
 * headers); anything odd (no answer, a status other than 200/404, a token
 * with bytes other than base64's, an answer too long) means no user data and
 * a line on the console.  The address is link-local: lwIP asks ARP for it on
 * the link, as EC2's network answers for it. */
#include "net.h"
#include "../core/errno.h"
#include "../platform/platform.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"

#define IMDS_PORT 80
#define IMDS_WAIT_NS 3000000000UL
#define ANSWER_MAX (IMDS_USER_DATA_MAX + 2048)
#define TOKEN_MAX 512

struct req {
	struct tcp_pcb *pcb;
	const char *out;
	size_t out_len;
	char in[ANSWER_MAX + 1];
	size_t in_len;
	bool done, too_long;
	int err;
};

static struct req r; /* one request at a time, at boot */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct req *q = arg;

	if (!p) {
		q->done = true;
		return ERR_OK;
	}
	if (q->in_len + p->tot_len > ANSWER_MAX)
		q->too_long = q->done = true;
	else
		q->in_len += pbuf_copy_partial(p, q->in + q->in_len, p->tot_len, 0);
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct req *q = arg;

	q->pcb = NULL; /* lwIP freed it */
	q->err = err == ERR_RST ? -ECONNRESET : -ECONNREFUSED;
	q->done = true;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct req *q = arg;

	if (tcp_write(pcb, q->out, (u16)q->out_len, TCP_WRITE_FLAG_COPY) != ERR_OK) {
		q->err = -ENOBUFS;
		q->done = true;
		return ERR_OK;
	}
	tcp_output(pcb);
	return ERR_OK;
}

/* Sends request (one HTTP/1.1 request with Connection: close) and reads the
 * answer until the service closes: the status (0 when none came), the body
 * in *body (NUL-terminated, in r.in). */
static int http(const char *request, const char **body)
{
	ip_addr_t ip = IPADDR4_INIT_BYTES(169, 254, 169, 254);
	u64 end = plat_monotonic_ns() + IMDS_WAIT_NS;
	int status = 0;
	char *p;

	memset(&r, 0, sizeof(r));
	r.out = request;
	r.out_len = strlen(request);
	r.pcb = tcp_new();
	if (!r.pcb)
		return 0;
	tcp_arg(r.pcb, &r);
	tcp_recv(r.pcb, on_recv);
	tcp_err(r.pcb, on_err);
	if (tcp_connect(r.pcb, &ip, IMDS_PORT, on_connected) != ERR_OK) {
		tcp_abort(r.pcb);
		return 0;
	}
	while (!r.done && plat_monotonic_ns() < end)
		net_wait(end);
	if (r.pcb) {
		tcp_arg(r.pcb, NULL);
		tcp_recv(r.pcb, NULL);
		tcp_err(r.pcb, NULL);
		if (!r.done || tcp_close(r.pcb) != ERR_OK)
			tcp_abort(r.pcb);
	}
	if (!r.done || r.err || r.too_long)
		return 0;
	r.in[r.in_len] = 0;
	/* "HTTP/1.x NNN ...", the headers, an empty line, the body */
	if (r.in_len < 12 || memcmp(r.in, "HTTP/1.", 7) || r.in[8] != ' ')
		return 0;
	for (int i = 9; i < 12; i++) {
		if (r.in[i] < '0' || r.in[i] > '9')
			return 0;
		status = status * 10 + (r.in[i] - '0');
	}
	for (p = r.in; p + 4 <= r.in + r.in_len; p++)
		if (!memcmp(p, "\r\n\r\n", 4)) {
			*body = p + 4;
			return status;
		}
	return 0;
}

static bool token_ok(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > TOKEN_MAX)
		return false;
	for (; *t; t++)
		if (!((*t >= 'A' && *t <= 'Z') || (*t >= 'a' && *t <= 'z') ||
		      (*t >= '0' && *t <= '9') || *t == '+' || *t == '/' || *t == '=' ||
		      *t == '-' || *t == '_'))
			return false;
	return true;
}

long net_imds_user_data(char *buf, size_t size)
{
	static char token[TOKEN_MAX + 1], request[TOKEN_MAX + 256];
	const char *body = NULL;
	int status;
	size_t n;

	if (!net_active || !net_active()) {
		kprintf("unikernel: imds: no network: no user data\n");
		return -ENETDOWN;
	}
	status = http("PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\n"
		      "X-aws-ec2-metadata-token-ttl-seconds: 300\r\nContent-Length: 0\r\n"
		      "Connection: close\r\n\r\n",
		      &body);
	if (status != 200) {
		kprintf("unikernel: imds: no session token (%s %d): no user data\n",
			status ? "HTTP" : "no answer", status);
		return -EIO;
	}
	n = strlen(body);
	while (n && (body[n - 1] == '\n' || body[n - 1] == '\r'))
		n--;
	if (n > TOKEN_MAX) {
		kprintf("unikernel: imds: the session token is too long: no user data\n");
		return -EIO;
	}
	memcpy(token, body, n);
	token[n] = 0;
	if (!token_ok(token)) {
		kprintf("unikernel: imds: the session token is malformed: no user data\n");
		return -EIO;
	}
	ksnprintf(request, sizeof(request),
		  "GET /latest/user-data HTTP/1.1\r\nHost: 169.254.169.254\r\n"
		  "X-aws-ec2-metadata-token: %s\r\nConnection: close\r\n\r\n",
		  token);
	status = http(request, &body);
	if (status == 404)
		return 0; /* the instance has none */
	if (status != 200) {
		kprintf("unikernel: imds: user data: %s %d: none used\n",
			status ? "HTTP" : "no answer", status);
		return -EIO;
	}
	n = strlen(body); /* a NUL ends it */
	if (n >= size || n > IMDS_USER_DATA_MAX) {
		kprintf("unikernel: imds: the user data is over %u bytes: none used\n",
			IMDS_USER_DATA_MAX);
		return -E2BIG;
	}
	memcpy(buf, body, n);
	buf[n] = 0;
	return (long)n;
}
