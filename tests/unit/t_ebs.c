/* t_ebs.c - the EBS upload's pieces (providers/aws/ebs.h): blocks of a
 * disk, zero detection, base64, each block's checksum and the LINEAR
 * aggregated checksum against values computed with Python's hashlib, the
 * retry backoff's bounds, the state file's round trip and hostile state
 * files, the endpoint's parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/config.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "../../providers/aws/ebs.h"
#include "../../providers/aws/ebs_http.h"
#include "tap.h"

#define BS EBS_BLOCK_SIZE

static char dir[] = "/tmp/unik-t-ebs.XXXXXX";

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(text, 1, strlen(text), f) != strlen(text))
		printf("# cannot write %s\n", path);
	if (f)
		fclose(f);
}

static void test_blocks(void)
{
	uint64_t off = 1;

	is_int(ebs_block_span(3ull * BS + 100, 0, &off), BS, "block 0 is whole");
	is_int(off, 0, "at offset 0");
	is_int(ebs_block_span(3ull * BS + 100, 3, &off), 100, "the last block has 100 bytes");
	is_int(off, 3ull * BS, "at 3 * 512 KiB");
	is_int(ebs_block_span(3ull * BS + 100, 4, &off), 0, "no block past the end");
	is_int(ebs_block_span(2ull * BS, 1, NULL), BS, "an exact multiple: the last is whole");
	is_int(ebs_block_span(2ull * BS, 2, NULL), 0, "and there is no partial one");
	is_int(ebs_block_span(~0ull, EBS_MAX_BLOCKS, NULL), 0, "an index past 16 TiB is refused");
	is_int(ebs_volume_gib(1), 1, "1 byte needs 1 GiB");
	is_int(ebs_volume_gib(EBS_GIB), 1, "1 GiB needs 1 GiB");
	is_int(ebs_volume_gib(EBS_GIB + 1), 2, "1 GiB + 1 byte needs 2 GiB (ops #1450)");
	is_int(ebs_volume_gib(0), 1, "nothing still needs 1 GiB");
}

static void test_zero(void)
{
	unsigned char *b = xcalloc(BS + 16, 1);
	int all = 1;

	ok(ebs_is_zero(b, BS), "a zero block is zero");
	ok(ebs_is_zero(b, 0), "no bytes are zero");
	for (size_t pos = 0; pos < 40; pos++) {
		b[pos] = 0x80;
		all &= !ebs_is_zero(b, BS) && !ebs_is_zero(b + 1, BS - 1) == (pos >= 1);
		all &= !ebs_is_zero(b + (pos & 7), 33);
		b[pos] = 0;
	}
	ok(all, "one set byte at offsets 0..39, aligned or not, is seen");
	b[BS - 1] = 1;
	ok(!ebs_is_zero(b, BS), "the last byte set is seen");
	ok(ebs_is_zero(b, BS - 1), "and not when it is outside the range");
	b[BS - 1] = 0;
	b[BS + 3] = 1;
	ok(ebs_is_zero(b, BS), "a byte past the block is not looked at");
	free(b);
}

static void test_base64(void)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const want[] = { "",		"Zg==",	    "Zm8=",    "Zm9v",
					    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	char out[16];

	for (int i = 0; i < 7; i++) {
		ebs_base64((const unsigned char *)in[i], strlen(in[i]), out);
		is_str(out, want[i], "base64 of '%s' (RFC 4648)", in[i]);
	}
}

static void test_checksums(void)
{
	size_t len = 3ull * BS + 100;
	unsigned char *d = xmalloc(len), *written;
	struct ebs_plan p;
	char b64[48];

	memset(d, 1, BS);
	memset(d + BS, 0, BS);
	memset(d + 2 * BS, 'x', BS);
	memset(d + 3 * BS, 0xff, 100);
	ebs_plan_buffer(d, len, &p);
	is_int(p.nblocks, 4, "3.0002 blocks are 4 blocks");
	is_int(p.volume_gib, 1, "on a 1 GiB volume");
	is_int(p.nzero, 1, "one of them is all zeros");
	ok(p.zero[1] && !p.zero[0] && !p.zero[2] && !p.zero[3], "block 1");
	ebs_base64(p.sha[3], 32, b64);
	is_str(b64, "WsNDpw/3JSZpV3vRsxxL3IZgo0bb7dLFXHskHWWTGnI=",
	       "the last block's checksum is of its bytes padded to 512 KiB");
	is_str(p.disk_sha256, "99af78750f3a637382edada5200f85433c8339f578d0c54db3c66a2f50152598",
	       "the disk's SHA-256 is of its bytes, not padded");
	written = xcalloc(4, 1);
	written[0] = written[2] = written[3] = 1;
	ebs_linear_checksum(&p, written, b64);
	is_str(b64, "UqVmv60BoncS3i8Tcc7lMEu03pZRLa8/rZOTuBuuoQ4=",
	       "LINEAR: SHA-256 of the written blocks' digests in index order");
	written[3] = 0;
	ebs_linear_checksum(&p, written, b64);
	ok(strcmp(b64, "UqVmv60BoncS3i8Tcc7lMEu03pZRLa8/rZOTuBuuoQ4="),
	   "and another when a block is left out");
	ebs_plan_release(&p);

	ebs_plan_buffer("abc", 3, &p);
	ebs_base64(p.sha[0], 32, b64);
	is_str(b64, "WBmN0wtryzoURO9EwWFSZ+NKCs+RMOV7H4L8Ndnb8cw=", "'abc' as one padded block");
	is_int(p.nblocks, 1, "3 bytes are one block");
	ebs_plan_release(&p);

	/* the same disk from a file */
	{
		char *path = xasprintf("%s/disk.raw", dir);
		struct ebs_plan q;
		struct unik_err err = UNIK_ERR_INIT;
		FILE *f = fopen(path, "w");

		if (!f || fwrite(d, 1, len, f) != len)
			printf("# cannot write %s\n", path);
		if (f)
			fclose(f);
		ok(ebs_plan_disk(path, &q, &err) == 0, "plan of a disk file: %s", err.msg);
		is_str(q.disk_sha256,
		       "99af78750f3a637382edada5200f85433c8339f578d0c54db3c66a2f50152598",
		       "the same digest from the file");
		ok(q.nblocks == 4 && q.nzero == 1 && q.zero[1], "the same blocks");
		ebs_plan_release(&q);
		truncate(path, 0);
		ok(ebs_plan_disk(path, &q, &err) < 0 && err.code == UNIK_E_INVALID,
		   "an empty disk is refused");
		ok(ebs_plan_disk(dir, &q, &err) < 0 && err.code == UNIK_E_INVALID,
		   "a folder is refused");
		unlink(path);
		symlink("/etc/passwd", path);
		ok(ebs_plan_disk(path, &q, &err) < 0, "a symlink is refused");
		unlink(path);
		free(path);
	}
	free(written);
	free(d);
}

static void test_backoff(void)
{
	static const uint64_t r[] = { 0, 1, 99, 100, 101, 12345, ~0ull, 0x8000000000000000ull };
	int bounded = 1, reaches = 0;

	is_int(ebs_backoff_ms(0, 100, 20000, 12345), 0, "no wait before the first try");
	for (unsigned a = 1; a < 200; a++)
		for (size_t k = 0; k < sizeof(r) / sizeof(r[0]); k++) {
			unsigned w = ebs_backoff_ms(a, 100, 20000, r[k]);
			unsigned long long cap = a < 20 ? 100ull << (a - 1) : 20000;

			if (cap > 20000)
				cap = 20000;
			bounded &= w <= cap;
			reaches |= a > 10 && w > 10000;
		}
	ok(bounded, "every wait is within [0, min(max, base * 2^(n-1))]");
	ok(reaches, "late waits reach up to the cap");
	is_int(ebs_backoff_ms(1, 100, 20000, 100), 100, "the first retry waits at most base");
	is_int(ebs_backoff_ms(1, 100, 20000, 101), 0, "drawn uniformly (modulo cap + 1)");
	is_int(ebs_backoff_ms(3, 100, 20000, 400), 400, "the third waits up to 4 x base");
	is_int(ebs_backoff_ms(4000000000u, 100, 20000, 20000), 20000, "no overflow on huge tries");
	is_int(ebs_backoff_ms(5, 100, 300, 300), 300, "capped by max");
}

static void fill_state(struct ebs_state *s, uint64_t nblocks)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->snapshot_id, sizeof(s->snapshot_id), "snap-0123456789abcdef0");
	snprintf(s->client_token, sizeof(s->client_token), "unik-0123456789abcdef0123456789abcdef");
	s->block_size = BS;
	s->disk_size = nblocks * BS - 7;
	memset(s->disk_sha256, 'a', 64);
	s->volume_gib = ebs_volume_gib(s->disk_size);
	s->updated = 1764600000;
	s->timeout_min = 60;
	s->nblocks = nblocks;
	s->acked = xcalloc(nblocks, 1);
	for (uint64_t i = 0; i < nblocks; i += 3)
		s->acked[i] = 1;
}

static void test_state(void)
{
	char *path = xasprintf("%s/ebs-upload.state", dir);
	struct ebs_state a, b;
	struct unik_err err = UNIK_ERR_INIT;
	struct stat st;
	int same = 1;

	ok(ebs_state_load(path, &b, &err) == 1, "no state file: 1");
	fill_state(&a, 2051);
	a.completing = 1;
	ok(ebs_state_save(path, &a, 1, &err) == 0, "state saved: %s", err.msg);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode 0600");
	ok(ebs_state_load(path, &b, &err) == 0, "and loaded: %s", err.msg);
	is_str(b.snapshot_id, a.snapshot_id, "snapshot id");
	is_str(b.client_token, a.client_token, "client token");
	is_str(b.disk_sha256, a.disk_sha256, "disk digest");
	ok(b.disk_size == a.disk_size && b.volume_gib == a.volume_gib && b.updated == a.updated &&
	       b.timeout_min == 60 && b.completing == 1 && b.nblocks == 2051,
	   "sizes, time, timeout, completing");
	for (uint64_t i = 0; i < a.nblocks && b.acked; i++)
		same &= a.acked[i] == b.acked[i];
	ok(b.acked && same, "the acknowledged set (2051 blocks) round-trips");
	ebs_state_release(&b);
	ebs_state_release(&a);

	/* hostile or damaged state files: each one INVALID, never a crash */
	{
		static const char *const bad[] = {
			"",
			"unik-ebs-upload 2\n",
			"garbage\n\x01\x02",
			"unik-ebs-upload 1\nsnapshot snap-01\n",
			"unik-ebs-upload 1\nsnapshot vol-0123\nclient-token "
			"unik-0123456789abcdef\n",
			"unik-ebs-upload 1\nsnapshot snap-0123\nclient-token a b\n",
		};
		static const char *const tails[] = {
			/* disk size 1048576 = 2 blocks: "acked" has 1 hex digit */
			"block-size 524288\ndisk-size 1048576\ndisk-sha256 %s\nvolume-gib "
			"1\nupdated 5\ntimeout-min 60\ncompleting 0\nacked 3\n",
		};
		char sha[65], *good;
		int all = 1;

		memset(sha, 'b', 64);
		sha[64] = 0;
		good = xasprintf(
		    "unik-ebs-upload 1\nsnapshot snap-0a\nclient-token unik-0123456789abcdef\n%s",
		    tails[0]);
		{
			char *g = xasprintf(good, sha);

			put(path, g);
			ok(ebs_state_load(path, &b, &err) == 0 && b.nblocks == 2 && b.acked[0] &&
			       b.acked[1],
			   "a hand-written state parses: %s", err.msg);
			ebs_state_release(&b);
			free(g);
		}
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			put(path, bad[i]);
			all &= ebs_state_load(path, &b, &err) == -1 && err.code == UNIK_E_INVALID;
		}
		ok(all, "truncated, wrong magic, bad ids, bad token: INVALID");
		{
			/* one change at a time to the good file */
			static const char *const edits[][2] = {
				{ "acked 3\n", "acked 7\n" }, /* a bit past the last block */
				{ "acked 3\n", "acked 33\n" }, /* too many digits */
				{ "acked 3\n", "acked x\n" }, /* not hex */
				{ "acked 3\n", "acked 3\nextra 1\n" }, /* a line more */
				{ "acked 3\n", "acked 3" }, /* no newline */
				{ "volume-gib 1", "volume-gib 2" }, /* does not fit the size */
				{ "block-size 524288", "block-size 4096" },
				{ "disk-size 1048576", "disk-size 0" },
				{ "disk-size 1048576", "disk-size 99999999999999999999999" },
				{ "disk-size 1048576", "disk-size -1" },
				{ "timeout-min 60", "timeout-min 5" },
				{ "completing 0", "completing 2" },
				{ "updated 5", "updated 5x" },
				{ "snapshot snap-0a", "snapshot snap-0A" },
				{ "snapshot snap-0a", "snapshot snap-../../x" },
			};
			int every = 1;

			for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
				char *g = xasprintf(good, sha), *at = strstr(g, edits[i][0]), *m;

				if (!at) {
					printf("# edit %zu: no '%s'\n", i, edits[i][0]);
					every = 0;
					free(g);
					continue;
				}
				*at = '\0';
				m = xasprintf("%s%s%s", g, edits[i][1], at + strlen(edits[i][0]));
				put(path, m);
				if (ebs_state_load(path, &b, &err) != -1) {
					printf("# edit %zu ('%s') was accepted\n", i, edits[i][1]);
					every = 0;
					ebs_state_release(&b);
				}
				free(m);
				free(g);
			}
			ok(every, "each of 15 damaged fields makes the state INVALID");
		}
		{
			/* 3000 random damages (a byte changed, the file cut): each
			 * loads or is refused, nothing else (ASan watches) */
			char *g = xasprintf(good, sha);
			size_t n = strlen(g);
			unsigned seed = 12345;
			int sane = 1;

			for (int i = 0; i < 3000; i++) {
				char *m = xstrdup(g);

				seed = seed * 1103515245u + 12345u;
				m[(seed >> 8) % n] = (char)(seed >> 20);
				if (i % 3 == 0)
					m[(seed >> 4) % n] = '\0';
				put(path, m);
				int rc = ebs_state_load(path, &b, &err);

				sane &= rc == 0 || rc == -1;
				if (rc == 0) {
					sane &= b.nblocks == (b.disk_size + BS - 1) / BS && b.acked;
					ebs_state_release(&b);
				}
				free(m);
			}
			ok(sane,
			   "3000 randomly damaged state files: each loads whole or is refused");
			free(g);
		}
		unlink(path);
		symlink("/etc/hostname", path);
		ok(ebs_state_load(path, &b, &err) == -1, "a symlinked state file is refused");
		unlink(path);
		mkdir(path, 0700);
		ok(ebs_state_load(path, &b, &err) == -1, "a folder in its place is refused");
		rmdir(path);
		mkfifo(path, 0600);
		ok(ebs_state_load(path, &b, &err) == -1,
		   "a FIFO in its place is refused, not waited on");
		unlink(path);
		free(good);
	}
	free(path);
}

static void test_target(void)
{
	struct aws_creds c = { .access_key = "AKID", .secret_key = "secret" };
	struct ebs_target t;
	struct unik_err err = UNIK_ERR_INIT;

	ok(ebs_target_init(&t, NULL, "us-east-2", &c, 60, &err) == 0, "AWS's endpoint");
	is_str(t.base, "https://ebs.us-east-2.amazonaws.com", "base");
	is_str(t.host, "ebs.us-east-2.amazonaws.com", "host");
	ebs_target_release(&t);
	ok(ebs_target_init(&t, "http://127.0.0.1:8123/", "us-east-1", &c, 60, &err) == 0,
	   "an override with a port and a slash");
	is_str(t.base, "http://127.0.0.1:8123", "base without the slash");
	is_str(t.host, "127.0.0.1:8123", "host with the port");
	ebs_target_release(&t);
	ok(ebs_target_init(&t, "ftp://x", "us-east-1", &c, 60, &err) < 0, "ftp:// refused");
	ok(ebs_target_init(&t, "http://a/b", "us-east-1", &c, 60, &err) < 0, "a path refused");
	ok(ebs_target_init(&t, "http://a b", "us-east-1", &c, 60, &err) < 0, "a space refused");
	ok(ebs_target_init(&t, NULL, "US_EAST", &c, 60, &err) < 0, "a bad region refused");
	ok(ebs_target_init(&t, NULL, NULL, &c, 60, &err) < 0, "no region refused");
}

/* verdict STATUS CURLCODE ERRORTYPE-HEADER BODY */
static enum ebs_verdict verdict(long status, CURLcode rc, const char *etype, const char *body,
				struct unik_err *err)
{
	struct ebs_call c;
	enum ebs_verdict v;

	ebs_call_init(&c);
	c.op = "PutSnapshotBlock";
	c.status = status;
	c.curl_rc = rc;
	snprintf(c.error_type, sizeof(c.error_type), "%s", etype);
	strbuf_adds(&c.answer, body);
	v = ebs_call_verdict(&c, err);
	ebs_call_release(&c);
	return v;
}

static void test_verdict(void)
{
	struct unik_err err = UNIK_ERR_INIT;

	ok(verdict(201, CURLE_OK, "", "", &err) == EBS_OK, "201: done");
	ok(verdict(503, CURLE_OK, "", "", &err) == EBS_RETRY, "503: again");
	ok(verdict(500, CURLE_OK, "InternalServerException:http://x", "{}", &err) == EBS_RETRY,
	   "500: again");
	ok(verdict(429, CURLE_OK, "", "", &err) == EBS_RETRY, "429: again");
	ok(verdict(400, CURLE_OK, "RequestThrottledException:http://internal.amazon.com/", "{}",
		   &err) == EBS_RETRY,
	   "400 RequestThrottledException (x-amzn-ErrorType with its URL): again");
	ok(verdict(400, CURLE_OK, "",
		   "{\"__type\":\"com.amazon#ConcurrentLimitExceededException\"}",
		   &err) == EBS_RETRY,
	   "400 with the type in the body's __type: again");
	ok(verdict(0, CURLE_COULDNT_CONNECT, "", "", &err) == EBS_RETRY, "no connection: again");
	ok(verdict(0, CURLE_OPERATION_TIMEDOUT, "", "", &err) == EBS_RETRY, "a timeout: again");
	ok(verdict(0, CURLE_GOT_NOTHING, "", "", &err) == EBS_RETRY, "a dropped connection: again");
	ok(verdict(0, CURLE_WRITE_ERROR, "", "", &err) == EBS_FATAL, "an answer too big: fatal");
	ok(verdict(0, CURLE_URL_MALFORMAT, "", "", &err) == EBS_FATAL, "a bad URL: fatal");
	ok(verdict(404, CURLE_OK, "ResourceNotFoundException",
		   "{\"message\":\"no such snapshot\",\"Reason\":\"SNAPSHOT_NOT_FOUND\"}",
		   &err) == EBS_GONE,
	   "404 ResourceNotFoundException: the snapshot is gone");
	ok(verdict(400, CURLE_OK, "ValidationException",
		   "{\"message\":\"bad checksum\\nmore\",\"Reason\":\"INVALID_BLOCK\"}",
		   &err) == EBS_FATAL,
	   "400 ValidationException: fatal");
	is_str(err.msg,
	       "EBS PutSnapshotBlock: HTTP 400 ValidationException INVALID_BLOCK: bad checksum",
	       "the message: operation, status, type, reason, the first line of AWS's text");
	ok(err.code == UNIK_E_INVALID, "INVALID");
	ok(verdict(403, CURLE_OK, "", "{\"message\":\"The request signature we calculated...\"}",
		   &err) == EBS_FATAL &&
	       strstr(err.msg, "AWS refused the credentials: HTTP 403"),
	   "403: the credentials were refused: %s", err.msg);
	ok(verdict(400, CURLE_OK, "", "not json {", &err) == EBS_FATAL &&
	       strstr(err.msg, "HTTP 400 (no error type)"),
	   "a body that is not JSON: still a clear error");
}

static void test_config(void)
{
	struct ebs_upload_opts o = { 0 };
	struct unik_config cfg;
	struct unik_err err = UNIK_ERR_INIT;

	unik_config_init(&cfg);
	ok(ebs_opts_from_config(&cfg, &o, &err) == 0, "no [aws] section: defaults");
	ok(o.parallel == 8 && o.max_attempts == 8 && o.timeout_min == 60 && o.wait_s == 600,
	   "8 in flight, 8 attempts, 60 min, 600 s");
	unik_config_parse(&cfg, "[aws]\nebs_parallel = 16\nebs_attempts = 3\n", "t", &err);
	ok(ebs_opts_from_config(&cfg, &o, &err) == 0 && o.parallel == 16 && o.max_attempts == 3,
	   "aws.ebs_parallel and aws.ebs_attempts are read");
	unik_config_set(&cfg, "aws.ebs_parallel", "65");
	ok(ebs_opts_from_config(&cfg, &o, &err) < 0 && err.code == UNIK_E_INVALID,
	   "65 in flight is refused: %s", err.msg);
	unik_config_set(&cfg, "aws.ebs_parallel", "0");
	ok(ebs_opts_from_config(&cfg, &o, &err) < 0, "0 is refused");
	unik_config_set(&cfg, "aws.ebs_parallel", "eight");
	ok(ebs_opts_from_config(&cfg, &o, &err) < 0, "not a number is refused");
	unik_config_set(&cfg, "aws.ebs_parallel", "4");
	unik_config_set(&cfg, "aws.ebs_timeout_min", "5");
	ok(ebs_opts_from_config(&cfg, &o, &err) < 0, "a timeout under EBS's 10 min is refused");
	unik_config_release(&cfg);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_blocks();
	test_zero();
	test_base64();
	test_checksums();
	test_backoff();
	test_state();
	test_target();
	test_config();
	test_verdict();
	rmdir(dir);
	return tap_done();
}
