/* t_aws_creds.c - AWS credentials as the AWS CLI finds them: precedence of
 * the environment, the credentials file and the config file, region and
 * endpoint, hostile files; IMDSv2 against a tiny server on 127.0.0.1 (the
 * only address this test talks to). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/xalloc.h"
#include "../../providers/aws/aws_creds.h"
#include "tap.h"

static char dir[] = "/tmp/unik-t-awscreds.XXXXXX";
static char *credf, *conff;

static void put(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(text, 1, len, f) != len)
		printf("# cannot write %s\n", path);
	if (f)
		fclose(f);
}

#define PUT(path, text) put(path, text, strlen(text))

/* Loads with the environment given as "K=V" strings, plus the two files
 * and IMDS disabled unless the caller names it. */
static int load(struct aws_creds *c, struct unik_err *err, const char *const *extra)
{
	char *envp[32];
	size_t n = 0;
	int imds = 0, rc;
	char *cf = xasprintf("AWS_SHARED_CREDENTIALS_FILE=%s", credf);
	char *kf = xasprintf("AWS_CONFIG_FILE=%s", conff);

	for (; extra && *extra && n < 26; extra++) {
		imds |= !strncmp(*extra, "AWS_EC2_METADATA", 16);
		envp[n++] = (char *)*extra;
	}
	envp[n++] = cf;
	envp[n++] = kf;
	if (!imds)
		envp[n++] = "AWS_EC2_METADATA_DISABLED=true";
	envp[n] = NULL;
	unik_err_clear(err);
	rc = aws_creds_load(envp, c, err);
	free(cf);
	free(kf);
	return rc;
}

static const char creds_text[] = "# comment\n"
				 "[default]\n"
				 "aws_access_key_id = AKIDDEFAULT\n"
				 "aws_secret_access_key = secret/default+key\n"
				 "\n"
				 "; another comment\n"
				 "[dev]\r\n"
				 "aws_access_key_id=AKIDDEV\r\n"
				 "aws_secret_access_key=secretdev\r\n"
				 "aws_session_token = tokdev==\r\n";
static const char conf_text[] = "[default]\n"
				"region = eu-west-1\n"
				"[profile   dev]\n"
				"region = us-west-2\n"
				"endpoint_url = http://127.0.0.1:9999\n"
				"s3 =\n"
				"  region = ap-south-1\n"
				"[profile cfgonly]\n"
				"aws_access_key_id = AKIDCFG\n"
				"aws_secret_access_key = secretcfg\n"
				"region = sa-east-1\n";

static void precedence(void)
{
	struct aws_creds c;
	struct unik_err err = UNIK_ERR_INIT;

	PUT(credf, creds_text);
	PUT(conff, conf_text);
	if (ok(load(&c, &err, NULL) == 0, "default profile loads: %s", err.msg)) {
		is_str(c.access_key, "AKIDDEFAULT", "default key from the credentials file");
		is_str(c.secret_key, "secret/default+key", "its secret");
		ok(c.session_token == NULL, "no token");
		is_str(c.region, "eu-west-1", "region from [default] of config");
		ok(c.endpoint == NULL, "no endpoint");
		is_str(c.source, "credentials-file", "source");
		aws_creds_free(&c);
	}
	const char *dev[] = { "AWS_PROFILE=dev", NULL };
	if (ok(load(&c, &err, dev) == 0, "AWS_PROFILE=dev loads: %s", err.msg)) {
		is_str(c.access_key, "AKIDDEV", "dev key (CRLF file)");
		is_str(c.session_token, "tokdev==", "dev token");
		is_str(c.region, "us-west-2", "region of [profile   dev]");
		is_str(c.endpoint, "http://127.0.0.1:9999", "endpoint_url of the profile");
		aws_creds_free(&c);
	}
	const char *cfg[] = { "AWS_PROFILE=cfgonly", NULL };
	if (ok(load(&c, &err, cfg) == 0, "keys only in config load: %s", err.msg)) {
		is_str(c.access_key, "AKIDCFG", "key from config");
		is_str(c.source, "config-file", "source");
		is_str(c.region, "sa-east-1", "its region");
		aws_creds_free(&c);
	}
	const char *env[] = { "AWS_PROFILE=dev",
			      "AWS_ACCESS_KEY_ID=AKIDENV",
			      "AWS_SECRET_ACCESS_KEY=secretenv",
			      "AWS_SESSION_TOKEN=tokenv",
			      "AWS_DEFAULT_REGION=ca-central-1",
			      "AWS_ENDPOINT_URL=https://127.0.0.1:1",
			      NULL };
	if (ok(load(&c, &err, env) == 0, "environment loads: %s", err.msg)) {
		is_str(c.access_key, "AKIDENV", "environment beats the files");
		is_str(c.session_token, "tokenv", "token from the environment");
		is_str(c.region, "ca-central-1", "AWS_DEFAULT_REGION beats config");
		is_str(c.endpoint, "https://127.0.0.1:1", "AWS_ENDPOINT_URL beats config");
		is_str(c.source, "env", "source");
		aws_creds_free(&c);
	}
	const char *reg[] = { "AWS_REGION=us-east-2", "AWS_DEFAULT_REGION=ca-central-1", NULL };
	if (ok(load(&c, &err, reg) == 0, "AWS_REGION loads: %s", err.msg)) {
		is_str(c.region, "us-east-2", "AWS_REGION beats AWS_DEFAULT_REGION");
		aws_creds_free(&c);
	}
	const char *partial[] = { "AWS_ACCESS_KEY_ID=AKIDENV", NULL };
	ok(load(&c, &err, partial) < 0 && err.code == UNIK_E_INVALID,
	   "key id without secret in the environment refused: %s", err.msg);
	const char *none[] = { "AWS_PROFILE=nosuch", NULL };
	ok(load(&c, &err, none) < 0 && err.code == UNIK_E_UNAVAILABLE,
	   "a profile in no file, IMDS off: no credentials: %s", err.msg);
	const char *badprof[] = { "AWS_PROFILE=a]b", NULL };
	ok(load(&c, &err, badprof) < 0, "profile name with ']' refused");
	const char *badreg[] = { "AWS_REGION=us east", NULL };
	ok(load(&c, &err, badreg) < 0, "region with a space refused");
	const char *badurl[] = { "AWS_ENDPOINT_URL=ftp://x", NULL };
	ok(load(&c, &err, badurl) < 0, "endpoint not http(s) refused");

	/* ~/.aws/ from HOME when no file is named. */
	char *aws = xasprintf("%s/.aws", dir), *hc = xasprintf("%s/credentials", aws);
	char *home = xasprintf("HOME=%s", dir);
	char *envh[] = { home, "AWS_EC2_METADATA_DISABLED=true", NULL };

	mkdir(aws, 0700);
	PUT(hc, "[default]\naws_access_key_id=AKIDHOME\naws_secret_access_key=s\n");
	if (ok(aws_creds_load(envh, &c, &err) == 0, "~/.aws/credentials loads: %s", err.msg)) {
		is_str(c.access_key, "AKIDHOME", "key from $HOME/.aws/credentials");
		ok(c.region == NULL, "no region without a config");
		aws_creds_free(&c);
	}
	unlink(hc);
	rmdir(aws);
	free(aws);
	free(hc);
	free(home);
}

static void hostile_files(void)
{
	static const struct {
		const char *what, *text;
	} bad[] = {
		{ "key before any section", "aws_access_key_id = A\n[default]\n" },
		{ "bad key", "[default]\naws access key = A\n" },
		{ "unclosed section", "[default\naws_access_key_id = A\n" },
		{ "empty section", "[]\n" },
		{ "line without '='", "[default]\njunk\n" },
		{ "duplicate key", "[default]\naws_access_key_id=A\naws_access_key_id=B\n" },
		{ "control byte", "[default]\naws_access_key_id=A\x01\n" },
		{ "CR inside a line", "[default]\naws_access_key_id=A\rB\n" },
		{ "key id without secret", "[default]\naws_access_key_id=A\n" },
		{ "secret with a space",
		  "[default]\naws_access_key_id=A\naws_secret_access_key=a b\n" },
	};
	struct aws_creds c;
	struct unik_err err = UNIK_ERR_INIT;

	PUT(conff, "");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		PUT(credf, bad[i].text);
		ok(load(&c, &err, NULL) < 0 && err.code == UNIK_E_INVALID, "refuses %s: %s",
		   bad[i].what, err.msg);
	}
	put(credf, "[default]\naws_access_key_id=A\0B\n", 31);
	ok(load(&c, &err, NULL) < 0, "refuses a NUL byte: %s", err.msg);

	char *big = xmalloc(AWS_INI_MAX_FILE + 16);

	memset(big, '#', AWS_INI_MAX_FILE + 15);
	big[AWS_INI_MAX_FILE + 15] = '\0';
	PUT(credf, "[default]\n");
	memcpy(big, "[default]\n# ", 12);
	big[AWS_INI_MAX_LINE + 100] = '\n';
	put(credf, big, AWS_INI_MAX_LINE + 101);
	ok(load(&c, &err, NULL) < 0 && strstr(err.msg, ":2:"), "refuses a long line: %s", err.msg);
	for (size_t i = 0; i < AWS_INI_MAX_FILE + 15; i += 80)
		big[i] = '\n';
	put(credf, big, AWS_INI_MAX_FILE + 15);
	ok(load(&c, &err, NULL) < 0, "refuses a file over 1 MiB: %s", err.msg);
	free(big);
	/* A malformed config fails even when the credentials came from elsewhere. */
	PUT(credf, "[default]\naws_access_key_id=A\naws_secret_access_key=B\n");
	PUT(conff, "[default\n");
	ok(load(&c, &err, NULL) < 0, "refuses a malformed config: %s", err.msg);
	/* An unreadable path (a directory) is an error, an absent one is not. */
	PUT(conff, "");
	unlink(credf);
	mkdir(credf, 0700);
	ok(load(&c, &err, NULL) < 0, "refuses a credentials path that is a directory");
	rmdir(credf);
	ok(load(&c, &err, NULL) < 0 && err.code == UNIK_E_UNAVAILABLE,
	   "absent files: no credentials, no crash");
}

/* The IMDSv2 stand-in: answers as `mode` says. */
enum { IMDS_GOOD, IMDS_NO_PUT, IMDS_HUGE, IMDS_BAD_JSON, IMDS_BAD_ROLE };
static int lfd = -1, mode, puts_seen, unauth;

static void reply(int c, int code, const char *body, size_t len)
{
	char head[160];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", code,
			 len);

	if (write(c, head, (size_t)n) < 0 || (len && write(c, body, len) < 0))
		perror("write");
}

static void *serve(void *arg)
{
	static char huge[100000];

	(void)arg;
	memset(huge, 'x', sizeof(huge));
	for (;;) {
		char buf[8192];
		size_t got = 0;
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			return NULL;
		while (got < sizeof(buf) - 1) {
			ssize_t n = read(c, buf + got, sizeof(buf) - 1 - got);

			if (n <= 0)
				break;
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		buf[got] = '\0';
		int authed = strstr(buf, "\r\nX-aws-ec2-metadata-token: TOKEN-1\r\n") != NULL;
		const char *role = "/latest/meta-data/iam/security-credentials/";
		size_t rl = strlen(role);

		if (!strncmp(buf, "PUT /latest/api/token ", 22)) {
			puts_seen++;
			if (mode == IMDS_NO_PUT || !strstr(buf, "ttl-seconds: 21600\r\n"))
				reply(c, 403, "", 0);
			else
				reply(c, 200, "TOKEN-1", 7);
		} else if (!authed) {
			unauth++;
			reply(c, 401, "", 0);
		} else if (!strncmp(buf + 4, role, rl) && buf[4 + rl] == ' ') {
			const char *r = mode == IMDS_BAD_ROLE ? "../etc\n" : "unik-role\nother\n";

			reply(c, 200, r, strlen(r));
		} else if (!strncmp(buf + 4, role, rl) &&
			   !strncmp(buf + 4 + rl, "unik-role ", 10)) {
			static const char j[] =
			    "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAIMDS\","
			    "\"SecretAccessKey\":\"imds/secret\",\"Token\":"
			    "\"imdstoken\",\"Expiration\":\"2030-01-01T00:00:00Z\"}";

			if (mode == IMDS_HUGE)
				reply(c, 200, huge, sizeof(huge));
			else if (mode == IMDS_BAD_JSON)
				reply(c, 200, "{\"AccessKeyId\":1", 16);
			else
				reply(c, 200, j, sizeof(j) - 1);
		} else {
			reply(c, 404, "", 0);
		}
		close(c);
	}
}

static void imds(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	pthread_t th;
	struct aws_creds c;
	struct unik_err err = UNIK_ERR_INIT;
	char ep[80];

	PUT(credf, "");
	PUT(conff, "[default]\nregion = eu-north-1\n");
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (!ok(lfd >= 0 && !bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) && !listen(lfd, 8) &&
		    !getsockname(lfd, (struct sockaddr *)&sa, &sl),
		"IMDS stand-in on 127.0.0.1"))
		return;
	pthread_create(&th, NULL, serve, NULL);
	snprintf(ep, sizeof(ep), "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:%d",
		 ntohs(sa.sin_port));
	const char *env[] = { ep, NULL };

	mode = IMDS_GOOD;
	if (ok(load(&c, &err, env) == 0, "IMDSv2 loads: %s", err.msg)) {
		is_str(c.access_key, "ASIAIMDS", "key from the role");
		is_str(c.secret_key, "imds/secret", "its secret");
		is_str(c.session_token, "imdstoken", "its token");
		is_str(c.region, "eu-north-1", "region still from config");
		is_str(c.source, "imds", "source");
		aws_creds_free(&c);
	}
	is_int(puts_seen, 1, "one PUT for the token");
	is_int(unauth, 0, "every GET carried the token");
	static const struct {
		int mode;
		const char *what;
	} bad[] = { { IMDS_NO_PUT, "token refused" },
		    { IMDS_HUGE, "an answer over 64 KiB" },
		    { IMDS_BAD_JSON, "bad JSON" },
		    { IMDS_BAD_ROLE, "a role name with '/'" } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		mode = bad[i].mode;
		ok(load(&c, &err, env) < 0, "IMDS: refuses %s: %s", bad[i].what, err.msg);
	}
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	pthread_join(th, NULL);
	/* Nothing listens there now: refused at once. */
	ok(load(&c, &err, env) < 0 && err.code == UNIK_E_UNAVAILABLE, "IMDS down: %s", err.msg);
	const char *badep[] = { "AWS_EC2_METADATA_SERVICE_ENDPOINT=https://127.0.0.1:1", NULL };
	ok(load(&c, &err, badep) < 0, "IMDS endpoint not http:// refused: %s", err.msg);
	const char *badep2[] = { "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1/x", NULL };
	ok(load(&c, &err, badep2) < 0, "IMDS endpoint with a path refused: %s", err.msg);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	credf = xasprintf("%s/credentials", dir);
	conff = xasprintf("%s/config", dir);
	precedence();
	hostile_files();
	imds();
	unlink(credf);
	unlink(conff);
	rmdir(dir);
	free(credf);
	free(conff);
	return tap_done();
}
