/* sigv4sign.c - signs one request with providers/aws/sigv4.c, so a test can
 * compare the result with another signer (botocore):
 *   sigv4sign [options] METHOD PATH [QUERY]
 *     -H 'Name: value'   a header (repeatable; Host is required)
 *     -t EPOCH           signing time       -r REGION  -s SERVICE
 *     -T TOKEN           session token      -b FILE    the body
 *     -3                 S3 rules: no normalisation, no double encoding
 *     -u                 UNSIGNED-PAYLOAD   -c         x-amz-content-sha256 header
 *     -p EXPIRES         presigned form
 * Keys come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.  Prints the
 * headers to add ("Name: value" lines) or, presigned, "?QUERY". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/strbuf.h"
#include "providers/aws/sigv4.h"

int main(int argc, char **argv)
{
	struct sigv4_header h[SIGV4_MAX_HEADERS];
	struct sigv4_params p = { .region = "us-east-1", .service = "service", .normalize = true };
	struct sigv4_request r = { 0 };
	struct sigv4_result out;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf body, hbuf[SIGV4_MAX_HEADERS];
	int o, presign = 0, rc;
	size_t nh = 0;

	strbuf_init(&body);
	while ((o = getopt(argc, argv, "H:t:r:s:T:b:3ucp:")) != -1) {
		switch (o) {
		case 'H': {
			const char *colon = strchr(optarg, ':');

			if (!colon || nh == SIGV4_MAX_HEADERS)
				return 2;
			strbuf_init(&hbuf[nh]);
			strbuf_add(&hbuf[nh], optarg, (size_t)(colon - optarg));
			h[nh].name = strbuf_str(&hbuf[nh]);
			h[nh++].value = colon + 1 + (colon[1] == ' ');
			break;
		}
		case 't': p.when = (time_t)strtoll(optarg, NULL, 10); break;
		case 'r': p.region = optarg; break;
		case 's': p.service = optarg; break;
		case 'T': p.session_token = optarg; break;
		case 'b':
			if (fs_read_file(optarg, &body, &err) < 0)
				die("%s", err.msg);
			break;
		case '3':
			p.normalize = false;
			p.no_double_encode = true;
			break;
		case 'u': p.unsigned_payload = true; break;
		case 'c': p.content_sha256_header = true; break;
		case 'p':
			presign = 1;
			p.expires = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default: return 2;
		}
	}
	if (argc - optind < 2)
		return 2;
	p.access_key = getenv("AWS_ACCESS_KEY_ID");
	p.secret_key = getenv("AWS_SECRET_ACCESS_KEY");
	r.method = argv[optind];
	r.path = argv[optind + 1];
	r.query = argc - optind > 2 ? argv[optind + 2] : NULL;
	r.headers = h;
	r.nheaders = nh;
	r.body = body.buf;
	r.body_len = body.len;
	rc = presign ? sigv4_presign(&r, &p, &out, &err) : sigv4_sign_header(&r, &p, &out, &err);
	if (rc < 0)
		die("%s", err.msg);
	if (presign)
		printf("?%s\n", out.query);
	for (size_t i = 0; i < out.nadded; i++)
		printf("%s: %s\n", out.added[i].name, out.added[i].value);
	sigv4_result_free(&out);
	for (size_t i = 0; i < nh; i++)
		strbuf_release(&hbuf[i]);
	strbuf_release(&body);
	return 0;
}
