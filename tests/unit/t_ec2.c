/* t_ec2.c - the aws provider's EC2 client: query encoding, XML replies
 * (well-formed, hostile), error mapping, backoff, retries against a tiny
 * server on 127.0.0.1 (the only address this test talks to), the endpoint
 * rules, the console's new text and exit line, AMI references. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/xalloc.h"
#include "../../providers/aws/aws_int.h"
#include "tap.h"

#define NS "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""

static void t_query(void)
{
	struct ec2_query q;
	struct strbuf sb = STRBUF_INIT;

	ec2_query_init(&q, "RunInstances");
	ec2_query_add(&q, "TagSpecification.1.Tag.1.Key", "unik:instance");
	ec2_query_add(&q, "UserData", "a+b/c= d&e\xc3\xa9~");
	is_str(strbuf_str(&q.sb),
	       "Action=RunInstances&Version=2016-11-15&TagSpecification.1.Tag.1.Key=unik%3Ainstance"
	       "&UserData=a%2Bb%2Fc%3D%20d%26e%C3%A9~",
	       "query: RFC 3986 encoding, unreserved kept, UTF-8 bytes escaped");
	ec2_query_release(&q);
	ec2_base64("unik.id=1", 9, &sb);
	is_str(strbuf_str(&sb), "dW5pay5pZD0x", "base64 without padding");
	strbuf_reset(&sb);
	ec2_base64("ab", 2, &sb);
	is_str(strbuf_str(&sb), "YWI=", "base64 padded");
	strbuf_reset(&sb);
	ok(ec2_unbase64("aGVs\nbG8=", 9, &sb) == 0 && !strcmp(strbuf_str(&sb), "hello"),
	   "unbase64 skips white space");
	strbuf_reset(&sb);
	ok(ec2_unbase64("aGV*bG8=", 8, &sb) < 0, "unbase64 refuses a bad byte");
	strbuf_reset(&sb);
	ok(ec2_unbase64("aG=Vs", 5, &sb) < 0, "unbase64 refuses data after padding");
	strbuf_release(&sb);
}

static int parse(const char *action, const char *xml, struct ec2_doc **d, struct unik_err *err)
{
	unik_err_clear(err);
	return ec2_parse(action, xml, strlen(xml), d, err);
}

static void t_replies(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct ec2_doc *d;
	struct ec2_instance in[4];
	char buf[128], next[64];
	size_t n;
	long mib = 0;

	ok(parse("RegisterImage",
		 "<?xml version=\"1.0\"?><RegisterImageResponse " NS
		 "><requestId>r</requestId><imageId>ami-0abc123</imageId></RegisterImageResponse>",
		 &d, &err) == 0,
	   "RegisterImage reply parses");
	ec2_text(d, "imageId", buf, sizeof(buf));
	is_str(buf, "ami-0abc123", "imageId (namespaced) found by local name");
	ec2_text(d, "nothing/here", buf, sizeof(buf));
	is_str(buf, "", "an absent path is empty");
	ec2_doc_free(d);

	ok(parse("DescribeInstances",
		 "<DescribeInstancesResponse " NS "><reservationSet>"
		 "<item><reservationId>r-1</reservationId><instancesSet>"
		 "<item><instanceId>i-0aa</instanceId><instanceState><code>16</code><name>running"
		 "</name></instanceState><instanceType>t2.micro</instanceType></item>"
		 "<item><instanceId>i-0bb</instanceId><instanceState><name>stopped</name>"
		 "</instanceState><stateReason><message>Client.UserInitiatedShutdown</message>"
		 "</stateReason></item>"
		 "</instancesSet></item><item><instancesSet><item><instanceId>i-0cc</instanceId>"
		 "<instanceState><name>pending</name></instanceState></item></instancesSet></item>"
		 "</reservationSet><nextToken>tok2</nextToken></DescribeInstancesResponse>",
		 &d, &err) == 0,
	   "DescribeInstances reply parses");
	ok(ec2_parse_instances(d, in, 4, &n, next, sizeof(next)) == 0 && n == 3,
	   "three instances over two reservations");
	is_str(in[0].state, "running", "first: running");
	is_str(in[0].type, "t2.micro", "first: its type");
	is_str(in[1].reason, "Client.UserInitiatedShutdown", "second: its state reason");
	is_str(in[2].id, "i-0cc", "third: from the second reservation");
	is_str(next, "tok2", "nextToken");
	ok(ec2_parse_instances(d, in, 2, &n, NULL, 0) < 0, "more instances than room: refused");
	ec2_doc_free(d);

	ok(parse("DescribeInstances",
		 "<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
		 "<instanceState><name>running</name></instanceState></item></instancesSet></item>"
		 "</reservationSet></DescribeInstancesResponse>",
		 &d, &err) == 0 &&
	       ec2_parse_instances(d, in, 4, &n, NULL, 0) < 0,
	   "an instance without an id: refused");
	ec2_doc_free(d);

	ok(parse(
	       "DescribeInstanceTypes",
	       "<DescribeInstanceTypesResponse><instanceTypeSet>"
	       "<item><instanceType>t2.small</instanceType><memoryInfo><sizeInMiB>2048</sizeInMiB>"
	       "</memoryInfo><processorInfo><supportedArchitectures><item>x86_64</item>"
	       "</supportedArchitectures></processorInfo></item>"
	       "<item><instanceType>t2.micro</instanceType><memoryInfo><sizeInMiB>1024</sizeInMiB>"
	       "</memoryInfo><processorInfo><supportedArchitectures><item>i386</item><item>x86_64"
	       "</item></supportedArchitectures></processorInfo></item>"
	       "<item><instanceType>t4g.micro</instanceType><memoryInfo><sizeInMiB>1024"
	       "</sizeInMiB></memoryInfo><processorInfo><supportedArchitectures><item>arm64</item>"
	       "</supportedArchitectures></processorInfo></item>"
	       "<item><instanceType>t2.nano</instanceType><memoryInfo><sizeInMiB>512</sizeInMiB>"
	       "</memoryInfo><processorInfo><supportedArchitectures><item>x86_64</item>"
	       "</supportedArchitectures></processorInfo></item>"
	       "</instanceTypeSet></DescribeInstanceTypesResponse>",
	       &d, &err) == 0,
	   "DescribeInstanceTypes reply parses");
	buf[0] = 0;
	ok(ec2_types_pick(d, 600, buf, sizeof(buf), &mib, next, sizeof(next)) == 0, "types pick");
	is_str(buf, "t2.micro", "600 MiB: the smallest x86_64 type with enough (not arm64 t4g)");
	is_str(next, "", "no nextToken");
	buf[0] = 0;
	mib = 0;
	ec2_types_pick(d, 4096, buf, sizeof(buf), &mib, next, sizeof(next));
	is_str(buf, "", "4096 MiB: none in this page");
	ec2_doc_free(d);
	ok(parse("DescribeInstanceTypes",
		 "<DescribeInstanceTypesResponse><instanceTypeSet><item><instanceType>x</"
		 "instanceType>"
		 "<memoryInfo><sizeInMiB>lots</sizeInMiB></memoryInfo></item></instanceTypeSet>"
		 "</DescribeInstanceTypesResponse>",
		 &d, &err) == 0 &&
	       ec2_types_pick(d, 1, buf, sizeof(buf), &mib, next, sizeof(next)) < 0,
	   "a type whose memory is not a number: refused");
	ec2_doc_free(d);

	ok(parse("DescribeImages",
		 "<DescribeImagesResponse><imagesSet><item><imageId>ami-1</imageId><tagSet>"
		 "<item><key>Name</key><value>x</value></item><item><key>unik:image</key><value>"
		 "sha256:ab</value></item></tagSet></item></imagesSet></DescribeImagesResponse>",
		 &d, &err) == 0,
	   "DescribeImages with tags parses");
	ec2_tag_value(d, "imagesSet/item/tagSet", "unik:image", buf, sizeof(buf));
	is_str(buf, "sha256:ab", "the tag's value");
	ec2_tag_value(d, "imagesSet/item/tagSet", "other", buf, sizeof(buf));
	is_str(buf, "", "an absent tag");
	ec2_doc_free(d);

	/* hostile */
	ok(parse("RegisterImage", "<RegisterImageResponse><imageId>ami-1</imageId>", &d, &err) <
		   0 &&
	       err.code == UNIK_E_INVALID && !d,
	   "truncated XML: INVALID (%s)", err.msg);
	ok(parse("RegisterImage", "", &d, &err) < 0, "an empty reply: refused");
	ok(parse("RegisterImage",
		 "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
		 "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><RegisterImageResponse><imageId>&b;"
		 "</imageId></RegisterImageResponse>",
		 &d, &err) < 0 &&
	       strstr(err.msg, "DTD"),
	   "a DTD with entities (expansion): refused (%s)", err.msg);
	ok(parse("RegisterImage",
		 "<!DOCTYPE r SYSTEM \"http://127.0.0.1:1/x.dtd\"><RegisterImageResponse/>", &d,
		 &err) < 0,
	   "an external DTD: refused, never fetched");
	ok(parse("RegisterImage", "<OtherResponse><imageId>ami-1</imageId></OtherResponse>", &d,
		 &err) < 0 &&
	       strstr(err.msg, "RegisterImageResponse"),
	   "the wrong root element: refused (%s)", err.msg);
	{
		/* deep nesting */
		struct strbuf sb = STRBUF_INIT;

		strbuf_adds(&sb, "<RegisterImageResponse>");
		for (int i = 0; i < 5000; i++)
			strbuf_adds(&sb, "<a>");
		for (int i = 0; i < 5000; i++)
			strbuf_adds(&sb, "</a>");
		strbuf_adds(&sb, "</RegisterImageResponse>");
		unik_err_clear(&err);
		ok(ec2_parse("RegisterImage", sb.buf, sb.len, &d, &err) < 0,
		   "5000 nested elements: refused (libxml2's depth limit)");
		strbuf_release(&sb);
	}
	{
		char *big = xmalloc(EC2_MAX_REPLY + 2);

		memset(big, ' ', EC2_MAX_REPLY + 1);
		big[EC2_MAX_REPLY + 1] = 0;
		unik_err_clear(&err);
		ok(ec2_parse("X", big, EC2_MAX_REPLY + 1, &d, &err) < 0 && strstr(err.msg, "over"),
		   "a reply over the size limit: refused before parsing");
		free(big);
	}
	ok(parse("RegisterImage",
		 "<RegisterImageResponse><imageId>ami-\x01\xff<![CDATA[zz]]></imageId>"
		 "</RegisterImageResponse>",
		 &d, &err) < 0,
	   "control and invalid UTF-8 bytes: not well-formed");
	ok(parse("GetConsoleOutput",
		 "<GetConsoleOutputResponse><output>aGk=</output><output>x</output>"
		 "</GetConsoleOutputResponse>",
		 &d, &err) == 0,
	   "a repeated element parses");
	ec2_text(d, "output", buf, 3);
	is_str(buf, "aG", "text bounded by the buffer, first element wins");
	{
		char *all = ec2_text_dup(d, "output");

		is_str(all, "aGk=", "ec2_text_dup: all of the first element's text");
		free(all);
		all = ec2_text_dup(d, "missing");
		is_str(all, "", "ec2_text_dup of an absent element: empty");
		free(all);
	}
	ec2_doc_free(d);
}

static void t_errors(void)
{
	struct unik_err err = UNIK_ERR_INIT;
	char code[64];
	const char *e =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>"
	    "InvalidInstanceID.NotFound</Code><Message>The instance ID 'i-1' does not "
	    "exist</Message></Error></Errors><RequestID>abc</RequestID></Response>";
	struct {
		const char *code;
		long status;
		enum unik_errcode want;
	} cases[] = {
		{ "InvalidInstanceID.NotFound", 400, UNIK_E_NOT_FOUND },
		{ "InvalidAMIID.NotFound", 400, UNIK_E_NOT_FOUND },
		{ "InvalidSnapshot.InUse", 400, UNIK_E_CONFLICT },
		{ "IncorrectInstanceState", 400, UNIK_E_CONFLICT },
		{ "InvalidAMIName.Duplicate", 400, UNIK_E_CONFLICT },
		{ "InvalidParameterValue", 400, UNIK_E_INVALID },
		{ "MissingParameter", 400, UNIK_E_INVALID },
		{ "AuthFailure", 401, UNIK_E_UNAVAILABLE },
		{ "UnauthorizedOperation", 403, UNIK_E_UNAVAILABLE },
		{ "RequestLimitExceeded", 503, UNIK_E_UNAVAILABLE },
		{ "InsufficientInstanceCapacity", 500, UNIK_E_UNAVAILABLE },
		{ "InternalError", 500, UNIK_E_UNAVAILABLE },
	};

	ec2_error_code(e, strlen(e), code, sizeof(code));
	is_str(code, "InvalidInstanceID.NotFound", "the error code of an EC2 error reply");
	ok(ec2_map_error("DescribeInstances", 400, e, strlen(e), &err) < 0 &&
	       err.code == UNIK_E_NOT_FOUND &&
	       strstr(err.msg, "InvalidInstanceID.NotFound: The instance ID 'i-1' does not exist"),
	   "mapped: NOT_FOUND with code and message (%s)", err.msg);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *x = xasprintf("<Response><Errors><Error><Code>%s</Code><Message>m</Message>"
				    "</Error></Errors></Response>",
				    cases[i].code);

		unik_err_clear(&err);
		ec2_map_error("A", cases[i].status, x, strlen(x), &err);
		ok(err.code == cases[i].want && strstr(err.msg, cases[i].code), "%s -> %s",
		   cases[i].code, unik_errcode_name(cases[i].want));
		free(x);
	}
	unik_err_clear(&err);
	ec2_map_error("A", 502, "<html>bad gateway</html>", 24, &err);
	ok(err.code == UNIK_E_UNAVAILABLE && strstr(err.msg, "HTTP 502"),
	   "a 502 without an EC2 error: UNAVAILABLE (%s)", err.msg);
	unik_err_clear(&err);
	ec2_map_error("A", 400, "\x00\x01garbage", 9, &err);
	ok(err.code == UNIK_E_INTERNAL && strstr(err.msg, "HTTP 400"),
	   "a 400 of garbage: a clear error (%s)", err.msg);
	ok(ec2_throttling("RequestLimitExceeded") && ec2_throttling("Throttling") &&
	       !ec2_throttling("InvalidParameterValue") && !ec2_throttling(""),
	   "throttling codes");
}

static void t_backoff(void)
{
	int within = 1, grows = 1, capped = 1;

	for (int a = 1; a <= 12; a++) {
		int lim = 100 << (a - 1) > 5000 ? 5000 : 100 << (a - 1);

		within &= aws_backoff_ms(a, 100, 5000, 0) == 0;
		within &= aws_backoff_ms(a, 100, 5000, 0xffffffffu) <= lim;
		within &= aws_backoff_ms(a, 100, 5000, (unsigned)lim) == lim;
		capped &= aws_backoff_ms(a, 100, 5000, 123456789u) <= 5000;
	}
	grows = aws_backoff_ms(1, 100, 5000, 100) == 100 &&
		aws_backoff_ms(2, 100, 5000, 200) == 200 &&
		aws_backoff_ms(3, 100, 5000, 400) == 400 && aws_backoff_ms(3, 100, 5000, 401) == 0;
	ok(within, "backoff: full jitter within [0, min(cap, base*2^(n-1))]");
	ok(grows, "backoff: the bound doubles each attempt");
	ok(capped, "backoff: capped");
	ok(aws_backoff_ms(40, 100, 20000, 20000) == 20000, "backoff: no overflow at attempt 40");
}

/* ---- a tiny server: answers from a script, one per connection -------- */

static int lfd;
static const char *const *script;
static int served;
static char last_req[8192];

static void *serve(void *arg)
{
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		char req[8192];
		ssize_t n = 0, r;
		const char *ans;

		if (c < 0)
			return NULL;
		/* the request: headers, then Content-Length bytes */
		while (n < (ssize_t)sizeof(req) - 1 &&
		       (r = read(c, req + n, sizeof(req) - 1 - (size_t)n)) > 0) {
			char *h, *cl;

			n += r;
			req[n] = 0;
			h = strstr(req, "\r\n\r\n");
			cl = strcasestr(req, "content-length:");
			if (h && (!cl || (size_t)(req + n - (h + 4)) >= strtoul(cl + 15, NULL, 10)))
				break;
		}
		req[n > 0 ? n : 0] = 0;
		memcpy(last_req, req, sizeof(last_req));
		ans = script[served] ? script[served] : "DROP";
		if (script[served])
			served++;
		if (strcmp(ans, "DROP")) {
			char *resp =
			    xasprintf("HTTP/1.1 %.3s X\r\nContent-Length: %zu\r\n"
				      "x-amzn-RequestId: req-%d\r\nConnection: close\r\n\r\n%s",
				      ans, strlen(ans + 4), served, ans + 4);

			if (write(c, resp, strlen(resp)) < 0)
				printf("# write failed\n");
			free(resp);
		}
		close(c);
	}
}

static int sleeps[32], nsleeps;

static void fake_sleep(void *ctx, int ms)
{
	if (nsleeps < 32)
		sleeps[nsleeps++] = ms;
}

#define THROTTLE                                                                                   \
	"503 <Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "    \
	"exceeded.</Message></Error></Errors></Response>"
#define OK_IMAGE                                                                                   \
	"200 <RegisterImageResponse><imageId>ami-0123abcd</imageId></RegisterImageResponse>"

static void t_http(void)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	pthread_t th;
	char ep[64], ami[EC2_ID_MAX], base[256], host[256];
	struct aws_client c = { 0 };
	struct unik_err err = UNIK_ERR_INIT;
	static const char *const s1[] = { THROTTLE, "DROP", "500 oops", OK_IMAGE, NULL };
	static const char *const s2[] = { THROTTLE, THROTTLE, THROTTLE, NULL };
	static const char *const s3[] = {
		"400 <Response><Errors><Error><Code>InvalidSnapshot.NotFound</Code><Message>The "
		"snapshot 'snap-1' does not exist.</Message></Error></Errors></Response>",
		"400 "
		"<Response><Errors><Error><Code>InvalidSnapshot.NotFound</Code></Error></Errors>"
		"</Response>",
		NULL
	};

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!ok(lfd >= 0 && !bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) && !listen(lfd, 8) &&
		    !getsockname(lfd, (struct sockaddr *)&sa, &sl),
		"a stand-in endpoint on 127.0.0.1"))
		return;
	script = s1;
	pthread_create(&th, NULL, serve, NULL);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	c.access_key = "AKIDEXAMPLE";
	c.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	c.session_token = "tok";
	c.region = "us-east-2";
	c.endpoint = ep;
	c.max_attempts = 5;
	c.backoff_base_ms = 100;
	c.backoff_cap_ms = 1000;
	c.sleep_ms = fake_sleep;
	c.timeout_ms = 3000;

	ok(ec2_register_image(&c, "unik-x", NULL, "snap-0a1b", ami, &err) == 0,
	   "RegisterImage after a throttle, a dropped connection and a 500 (%s)", err.msg);
	is_str(ami, "ami-0123abcd", "the AMI id");
	is_int(served, 4, "four answers were asked for");
	is_int(nsleeps, 3, "three waits between the four attempts");
	ok(sleeps[0] <= 100 && sleeps[1] <= 200 && sleeps[2] <= 400,
	   "waits bounded by the backoff");
	ok(strstr(last_req, "POST / HTTP/1.1") && strstr(last_req, "Host: 127.0.0.1:") &&
	       strstr(last_req, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") &&
	       strstr(last_req, "/us-east-2/ec2/aws4_request") &&
	       strstr(last_req, "X-Amz-Security-Token: tok") &&
	       strstr(last_req, "Content-Type: application/x-www-form-urlencoded; charset=utf-8") &&
	       strstr(last_req, "Action=RegisterImage&Version=2016-11-15") &&
	       strstr(last_req, "BlockDeviceMapping.1.Ebs.SnapshotId=snap-0a1b") &&
	       strstr(last_req, "RootDeviceName=%2Fdev%2Fxvda") &&
	       strstr(last_req, "VirtualizationType=hvm") && strstr(last_req, "EnaSupport=true") &&
	       strstr(last_req, "BootMode=legacy-bios") && strstr(last_req, "Architecture=x86_64"),
	   "the request: signed POST, form-encoded, the RegisterImage parameters");

	script = s2;
	served = nsleeps = 0;
	c.max_attempts = 3;
	unik_err_clear(&err);
	ok(ec2_register_image(&c, "unik-x", NULL, "snap-0a1b", ami, &err) < 0 &&
	       err.code == UNIK_E_UNAVAILABLE && strstr(err.msg, "RequestLimitExceeded"),
	   "throttled every time: gives up after 3 attempts with AWS's error (%s)", err.msg);
	is_int(served, 3, "exactly 3 attempts");

	script = s3;
	served = nsleeps = 0;
	unik_err_clear(&err);
	ok(ec2_delete_snapshot(&c, "snap-1", &err) == 0, "DeleteSnapshot of one gone: success");
	ok(ec2_snapshot_state(&c, "snap-1", base, sizeof(base), &err) < 0 &&
	       err.code == UNIK_E_NOT_FOUND,
	   "DescribeSnapshots of one gone: NOT_FOUND, no retry (%s)", err.msg);
	is_int(served, 2, "a 400 is not retried");
	ok(ec2_snapshot_state(&c, "snap-1&x=1", base, sizeof(base), &err) < 0 &&
	       err.code == UNIK_E_INVALID,
	   "an id that is not one: refused before sending");

	/* nothing listens: connection errors, retried, then UNAVAILABLE */
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	served = nsleeps = 0;
	unik_err_clear(&err);
	ok(ec2_register_image(&c, "unik-x", NULL, "snap-0a1b", ami, &err) < 0 &&
	       err.code == UNIK_E_UNAVAILABLE && nsleeps == 2,
	   "endpoint down: UNAVAILABLE after 3 attempts (%s)", err.msg);

	/* endpoints */
	c.endpoint = NULL;
	ok(aws_http_endpoint(&c, "ec2", base, sizeof(base), host, sizeof(host), &err) == 0 &&
	       !strcmp(base, "https://ec2.us-east-2.amazonaws.com"),
	   "no override: https://ec2.<region>.amazonaws.com");
	c.endpoint = "http://example.com";
	ok(aws_http_endpoint(&c, "ec2", base, sizeof(base), host, sizeof(host), &err) < 0,
	   "plain http to a non-loopback host: refused (%s)", err.msg);
	c.endpoint = "https://ec2.example.com:8443/";
	ok(aws_http_endpoint(&c, "ec2", base, sizeof(base), host, sizeof(host), &err) == 0 &&
	       !strcmp(host, "ec2.example.com:8443"),
	   "https override with a port");
	c.endpoint = "https://a.com/path";
	ok(aws_http_endpoint(&c, "ec2", base, sizeof(base), host, sizeof(host), &err) < 0,
	   "an override with a path: refused");
	c.endpoint = "ftp://127.0.0.1";
	ok(aws_http_endpoint(&c, "ec2", base, sizeof(base), host, sizeof(host), &err) < 0,
	   "another scheme: refused");
	c.endpoint = "http://127.0.0.1@evil.com";
	ok(aws_http_endpoint(&c, "ec2", base, sizeof(base), host, sizeof(host), &err) < 0,
	   "userinfo tricks: refused");
}

static void t_console(void)
{
	const char *a = "boot\nhello\n";

	is_int(aws_console_new("", 0, a, strlen(a)), 0, "console: all new at first");
	is_int(aws_console_new("boot\n", 5, a, strlen(a)), 5, "console: grown");
	is_int(aws_console_new(a, strlen(a), a, strlen(a)), strlen(a), "console: unchanged");
	is_int(aws_console_new("xxboot\nhello\n", 13, "hello\n", 6), 6,
	       "console: a shorter window already seen");
	{
		char seen[1200], now[800];

		for (int i = 0; i < 1200; i++)
			seen[i] = (char)('a' + (i * 7 + i / 26) % 26);
		memcpy(now, seen + 700, 500); /* the window moved on */
		memcpy(now + 500, "NEW", 3);
		is_int(aws_console_new(seen, 1200, now, 503), 500,
		       "console: the window moved (the old tail found inside)");
		memcpy(now, seen + 1100, 100);
		memcpy(now + 100, "NEW", 3);
		is_int(aws_console_new(seen, 1200, now, 103), 100,
		       "console: the window moved (less than the tail overlaps)");
		is_int(aws_console_new("0123456789", 10, "56789abc", 8), 0,
		       "console: a 5-byte overlap is chance: all new");
	}
	is_int(aws_console_new("old text", 8, "brand new", 9), 0,
	       "console: nothing in common (a new boot): all of it");
	is_int(aws_console_exit_status("x\nunik-exit-status=3\n", 21), 3, "exit line");
	is_int(aws_console_exit_status("unik-exit-status=3\r\nunik-exit-status=42\n", 40), 42,
	       "the last exit line wins");
	is_int(
	    aws_console_exit_status("unikernel: exit status 9 after 12 us, 3 system calls\n", 53),
	    9, "the runtime's verbose exit line");
	is_int(aws_console_exit_status("unik: exit status 8 after 12 us, 3 system calls\n", 48), 8,
	       "the verbose exit line of an older runtime");
	is_int(aws_console_exit_status("say unik-exit-status=3\n", 23), -1, "only at a line start");
	is_int(aws_console_exit_status("unik-exit-status=300\n", 21), -1, "over 255: not one");
	is_int(aws_console_exit_status("unik-exit-status=\n", 18), -1, "no number: not one");
	is_int(aws_console_exit_status("nothing", 7), -1, "no exit line");
}

static void t_ref(void)
{
	char ami[EC2_ID_MAX], snap[EC2_ID_MAX];
	struct unik_err err = UNIK_ERR_INIT;

	ok(aws_ref_parse("ami-0123abcd snap-0fed", ami, snap, &err) == 0 &&
	       !strcmp(ami, "ami-0123abcd") && !strcmp(snap, "snap-0fed"),
	   "a reference parses");
	ok(aws_ref_parse("ami-0123", ami, snap, &err) < 0, "no snapshot: refused");
	ok(aws_ref_parse("ami-01 snap-0f extra", ami, snap, &err) < 0, "extra words: refused");
	ok(aws_ref_parse("snap-0f ami-01", ami, snap, &err) < 0, "swapped: refused");
	ok(aws_ref_parse("ami-0X snap-0f", ami, snap, &err) < 0, "not hex: refused");
	ok(aws_ref_parse(NULL, ami, snap, &err) < 0, "none: refused");
}

/* ---- the batched poll (aws_poll.c) ------------------------------------- */

#define DI_OPEN "200 <DescribeInstancesResponse><reservationSet><item><instancesSet>"
#define DI_CLOSE "</instancesSet></item></reservationSet></DescribeInstancesResponse>"
#define DI_ONE(id, st)                                                                             \
	"<item><instanceId>" id "</instanceId><instanceState><name>" st                            \
	"</name></instanceState><instanceType>t2.micro</instanceType></item>"

static void t_poll(void)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	pthread_t th;
	char ep[64];
	struct aws_client c = { 0 };
	struct unik_err err = UNIK_ERR_INIT;
	struct ec2_instance in;
	static const char *const s[] = {
		DI_OPEN DI_ONE("i-0aa", "running") DI_ONE("i-0bb", "stopped") DI_CLOSE,
		DI_OPEN DI_ONE("i-0cc", "pending") DI_CLOSE,
		"400 <Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The "
		"instance ID 'i-0dd' does not exist</Message></Error></Errors></Response>",
		DI_OPEN DI_ONE("i-0aa", "stopping") DI_CLOSE, NULL
	};

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!ok(lfd >= 0 && !bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) && !listen(lfd, 8) &&
		    !getsockname(lfd, (struct sockaddr *)&sa, &sl),
		"poll: a stand-in endpoint on 127.0.0.1"))
		return;
	script = s;
	served = 0;
	pthread_create(&th, NULL, serve, NULL);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	c.access_key = "AKIDEXAMPLE";
	c.secret_key = "secret";
	c.region = "us-east-2";
	c.endpoint = ep;
	c.max_attempts = 1;
	c.timeout_ms = 3000;

	ok(aws_poll_instance(&c, "i-0aa", &in, &err) == 0 && !strcmp(in.state, "running"),
	   "poll: i-0aa running, from the batch (%s)", err.msg);
	ok(strstr(last_req, "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag-key"
			    "&Filter.1.Value.1=unik%3Ainstance&MaxResults=1000") != NULL,
	   "the batch: every instance with the unik:instance tag, 1000 a page");
	ok(aws_poll_instance(&c, "i-0bb", &in, &err) == 0 && !strcmp(in.state, "stopped"),
	   "poll: i-0bb stopped, from the same batch");
	is_int(served, 1, "two instances, one DescribeInstances");
	ok(aws_poll_instance(&c, "i-0cc", &in, &err) == 0 && !strcmp(in.state, "pending"),
	   "poll: an instance the batch does not hold is asked by id (%s)", err.msg);
	ok(strstr(last_req, "InstanceId.1=i-0cc") != NULL, "by its id");
	ok(aws_poll_instance(&c, "i-0dd", &in, &err) < 0 && err.code == UNIK_E_NOT_FOUND,
	   "poll: one EC2 does not know: NOT_FOUND (gone)");
	is_int(served, 3, "the batch is still fresh: not asked again");
	ok(aws_poll_instance(&c, "i-0aa", &in, &err) == 0 && !strcmp(in.state, "running"),
	   "poll: i-0aa again, the batch still fresh");
	is_int(served, 3, "no call for it");
	aws_poll_forget(&c);
	ok(aws_poll_instance(&c, "i-0aa", &in, &err) == 0 && !strcmp(in.state, "stopping"),
	   "after aws_poll_forget (a stop was sent): a new batch, i-0aa stopping");
	is_int(served, 4, "one more DescribeInstances");
	c.region = "eu-west-1";
	unik_err_clear(&err);
	ok(aws_poll_instance(&c, "i-0aa", &in, &err) < 0 && err.code == UNIK_E_UNAVAILABLE,
	   "another region: its own batch (the endpoint drops it: UNAVAILABLE, %s)", err.msg);
	shutdown(lfd, SHUT_RDWR);
	close(lfd);

	ok(aws_poll_console_due("i-0aa", 1) == 1, "console: a running instance's first ask is due");
	ok(aws_poll_console_due("i-0aa", 1) == 0, "console: not again before the interval");
	ok(aws_poll_console_due("i-0aa", 0) == 1, "console: a stopping one at every poll");
	ok(aws_poll_console_due("i-0bb", 1) == 1, "console: each instance its own time");
}

/* ---- the image's network stack (aws_nitro.c) --------------------------- */

static void t_elf(void)
{
	char path[] = "/tmp/t_ec2_elfXXXXXX", self[4096];
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	ssize_t sn = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int fd, yes = -1;

	if (!ok(sn > 0, "elf: this test's own path"))
		return;
	self[sn] = 0;

	ok(aws_elf_defines(self, "main", &err) == 1, "elf: this test's own ELF defines main (%s)",
	   err.msg);
	ok(aws_elf_defines(self, "net_init", &err) == 0 &&
	       aws_image_has_network(self, &yes, &err) == 0 && yes == 0,
	   "elf: it has no network stack (no net_init)");
	ok(aws_elf_defines("/proc/self/exe", "main", &err) < 0,
	   "elf: a symbolic link is not followed");
	ok(fs_read_file(self, &sb, &err) == 0 && sb.len > 4096, "elf: read it");
	fd = mkstemp(path);
	/* the header only: section headers beyond the file */
	ok(fd >= 0 && write(fd, sb.buf, 64) == 64 && aws_elf_defines(path, "main", &err) < 0 &&
	       err.code == UNIK_E_INVALID,
	   "elf: truncated after the header: INVALID (%s)", err.msg);
	/* e_shnum huge */
	if (fd >= 0 && ftruncate(fd, 0) == 0) {
		sb.buf[60] = (char)0xff;
		sb.buf[61] = (char)0xff;
		ok(pwrite(fd, sb.buf, sb.len, 0) == (ssize_t)sb.len &&
		       aws_elf_defines(path, "main", &err) < 0,
		   "elf: 65535 section headers: refused");
	}
	if (fd >= 0 && ftruncate(fd, 0) == 0)
		ok(write(fd, "#!/bin/sh\n", 10) == 10 && aws_elf_defines(path, "main", &err) < 0,
		   "elf: not an ELF file: refused");
	if (fd >= 0)
		close(fd);
	unlink(path);
	ok(aws_elf_defines("/nonexistent/x", "main", &err) < 0, "elf: no such file: an error");
	ok(aws_elf_defines("/tmp", "main", &err) < 0, "elf: a folder: refused");
	strbuf_release(&sb);
}

int main(void)
{
	t_query();
	t_replies();
	t_errors();
	t_backoff();
	t_http();
	t_console();
	t_ref();
	t_poll();
	t_elf();
	return tap_done();
}
