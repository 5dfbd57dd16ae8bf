/* ebsupload - providers/aws/ebs.h's ebs_upload() from the command line, for
 * tests/e2e/t0021-ebs-upload.sh and scripts/bench-ebs.
 *
 *   ebsupload [-p PARALLEL] [-a ATTEMPTS] [-s STATE_DIR] [-d DIGEST]
 *             [-k KILL_AFTER] [-K PHASE] [-w WAIT_S] [-b BACKOFF_MAX_MS] [-v] DISK
 *
 * Credentials, region and endpoint as the AWS CLI finds them
 * (AWS_ACCESS_KEY_ID..., AWS_REGION, AWS_ENDPOINT_URL).  -k N kills the
 * process (SIGKILL, as a crash would) once N blocks were acknowledged in
 * this run, -K PHASE when the upload reaches that phase ("complete",
 * "wait": after CompleteSnapshot was sent).  On success one line on stdout:
 *   snapshot=snap-... status=completed volume_gib=1 blocks=N written=N
 *   skipped=N resumed=N bytes=N retries=N seconds=S checksum=...
 * On failure the error on stderr and exit status 1. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../providers/aws/ebs.h"

extern char **environ;

struct prog {
	unsigned long long kill_after;
	const char *kill_phase;
	int verbose;
	const char *last_phase;
};

static void on_progress(const struct ebs_progress *p, void *ctx)
{
	struct prog *g = ctx;

	if (g->verbose && (p->phase != g->last_phase || p->blocks_done == p->blocks_total))
		fprintf(stderr, "ebsupload: %s %llu/%llu written=%llu skipped=%llu resumed=%llu\n",
			p->phase, (unsigned long long)p->blocks_done,
			(unsigned long long)p->blocks_total, (unsigned long long)p->blocks_written,
			(unsigned long long)p->blocks_skipped,
			(unsigned long long)p->blocks_resumed);
	g->last_phase = p->phase;
	if (g->kill_after && p->blocks_written - p->blocks_resumed >= g->kill_after)
		raise(SIGKILL);
	if (g->kill_phase && !strcmp(p->phase, g->kill_phase))
		raise(SIGKILL);
}

static unsigned num(const char *s, const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v > 1000000) {
		fprintf(stderr, "ebsupload: bad %s '%s'\n", what, s);
		exit(2);
	}
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	struct ebs_upload_opts o = { 0 };
	struct ebs_result r;
	struct aws_creds c = { 0 };
	struct unik_err err = UNIK_ERR_INIT;
	struct prog g = { 0 };
	struct timespec t0, t1;
	int opt;

	while ((opt = getopt(argc, argv, "p:a:s:d:k:K:w:b:v")) != -1) {
		switch (opt) {
		case 'p': o.parallel = num(optarg, "parallel"); break;
		case 'a': o.max_attempts = num(optarg, "attempts"); break;
		case 's': o.state_dir = optarg; break;
		case 'd': o.digest = optarg; break;
		case 'k': g.kill_after = num(optarg, "kill-after"); break;
		case 'K': g.kill_phase = optarg; break;
		case 'w': o.wait_s = num(optarg, "wait"); break;
		case 'b': o.backoff_max_ms = num(optarg, "backoff max"); break;
		case 'v': g.verbose = 1; break;
		default:
			fprintf(stderr,
				"usage: ebsupload [-p N] [-a N] [-s DIR] [-d DIGEST] [-k N] "
				"[-K PHASE] [-w S] [-b MS] [-v] DISK\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "ebsupload: one disk, please\n");
		return 2;
	}
	if (aws_creds_load(environ, &c, &err) < 0) {
		fprintf(stderr, "ebsupload: %s\n", err.msg);
		return 1;
	}
	o.disk = argv[optind];
	o.creds = &c;
	o.region = c.region;
	o.endpoint = c.endpoint;
	o.progress = on_progress;
	o.progress_ctx = &g;
	o.backoff_base_ms = 50;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ebs_upload(&o, &r, &err) < 0) {
		fprintf(stderr, "ebsupload: %s\n", err.msg);
		aws_creds_free(&c);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("snapshot=%s status=%s volume_gib=%llu blocks=%llu written=%llu skipped=%llu "
	       "resumed=%llu bytes=%llu retries=%llu seconds=%.3f checksum=%s\n",
	       r.snapshot_id, r.status, (unsigned long long)r.volume_gib,
	       (unsigned long long)r.blocks_total, (unsigned long long)r.blocks_written,
	       (unsigned long long)r.blocks_skipped, (unsigned long long)r.blocks_resumed,
	       (unsigned long long)r.bytes_sent, (unsigned long long)r.retries,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       r.checksum);
	aws_creds_free(&c);
	return 0;
}
