/* run-image.c - drive one compiler and one provider without the daemon.
 *
 *   run-image build COMPILER SRC_DIR OUT_DIR [NAME]
 *   run-image run PROVIDER OUT_DIR INSTANCE_DIR [-a ACCEL] [-e K=V]...
 *                 [-s STOP_AFTER_S] [-t STOP_TIMEOUT_S] [-- ARG...]
 *
 * "build" prints the result as format=, kernel=, initrd=, memory_mb= lines.
 * "run" boots OUT_DIR's image (read back from those lines in OUT_DIR/image),
 * optionally stops it after STOP_AFTER_S seconds, waits, collects, and
 * prints exit_code=, message=, accel=, note= and seconds= lines; the console
 * is INSTANCE_DIR/console.log.  Exit status: 0 if everything worked.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compilers/compiler.h"
#include "lib/fsutil.h"
#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "providers/dispatch.h"

static void print_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "build: %s\n", line);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_build(int argc, char **argv, const struct unik_config *cfg)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_build_result res;
	const struct unik_compiler *c;
	struct unik_build_spec spec;
	struct strbuf out = STRBUF_INIT;
	char *work, *image;
	int rc = 1;

	if (argc < 4)
		die("usage: run-image build COMPILER SRC_DIR OUT_DIR [NAME]");
	c = unik_compiler_find(argv[1]);
	if (!c)
		die("no compiler '%s'", argv[1]);
	work = xasprintf("%s/.work", argv[3]);
	if (fs_mkdir_p(work, 0755, &err) < 0)
		die("%s", err.msg);
	spec = (struct unik_build_spec){ argv[2], argv[3],    work, argc > 4 ? argv[4] : "app",
					 cfg,	  print_line, NULL };
	unik_build_result_init(&res);
	if (c->build(&spec, &res, &err) < 0) {
		printf("error=%s\nmessage=%s\n", unik_errcode_name(err.code), err.msg);
		goto cleanup;
	}
	strbuf_addf(&out, "format=%s\nkernel=%s\ninitrd=%s\nmemory_mb=%d\n", res.format, res.kernel,
		    res.initrd ? res.initrd : "", res.memory_mb);
	fputs(strbuf_str(&out), stdout);
	image = xasprintf("%s/image", argv[3]);
	if (fs_write_file_atomic(image, out.buf, out.len, 0644, &err) < 0)
		die("%s", err.msg);
	free(image);
	rc = 0;
cleanup:
	fs_remove_tree(work, NULL);
	free(work);
	unik_build_result_release(&res);
	strbuf_release(&out);
	return rc;
}

/* The value of "key=" in the image description, new string or NULL. */
static char *image_field(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, klen) && l[klen] == '=')
			return xstrndup(l + klen + 1, strcspn(l + klen + 1, "\n"));
	return NULL;
}

static int cmd_run(int argc, char **argv, const struct unik_config *cfg)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strv args = STRV_INIT, env = STRV_INIT;
	struct strbuf desc = STRBUF_INIT;
	const struct unik_provider *p;
	struct unik_run_spec spec;
	struct unik_exit ex;
	struct unik_vm vm;
	const char *accel = "auto";
	char *image, *format, *kernel, *initrd, *mem, *log;
	int stop_after = -1, stop_timeout = 10, opt, status = -1, rc = 1;
	double t0, t1;

	while ((opt = getopt(argc, argv, "+a:e:s:t:")) != -1) {
		if (opt == 'a')
			accel = optarg;
		else if (opt == 'e')
			strv_push(&env, optarg);
		else if (opt == 's')
			stop_after = (int)strtol(optarg, NULL, 10);
		else if (opt == 't')
			stop_timeout = (int)strtol(optarg, NULL, 10);
		else
			die("bad option");
	}
	if (argc - optind < 3)
		die("usage: run-image run PROVIDER OUT_DIR INSTANCE_DIR [opts] [-- ARG...]");
	p = unik_provider_find(argv[optind]);
	if (!p)
		die("no provider '%s'", argv[optind]);
	image = xasprintf("%s/image", argv[optind + 1]);
	if (fs_read_file(image, &desc, &err) < 0)
		die("%s", err.msg);
	for (int i = optind + 3; i < argc; i++)
		if (i > optind + 3 || strcmp(argv[i], "--"))
			strv_push(&args, argv[i]);
	format = image_field(desc.buf, "format");
	kernel = image_field(desc.buf, "kernel");
	initrd = image_field(desc.buf, "initrd");
	mem = image_field(desc.buf, "memory_mb");
	log = xasprintf("%s/console.log", argv[optind + 2]);
	if (fs_mkdir_p(argv[optind + 2], 0755, &err) < 0)
		die("%s", err.msg);
	spec = (struct unik_run_spec){ "test0",
				       "test",
				       argv[optind + 2],
				       log,
				       format,
				       kernel,
				       initrd && *initrd ? initrd : NULL,
				       mem ? (int)strtol(mem, NULL, 10) : 0,
				       &args,
				       &env,
				       accel,
				       .cfg = cfg };
	if (p->probe && p->probe(cfg, &err) < 0)
		die("probe: %s", err.msg);
	fprintf(stderr, "probe: %s\n", err.msg);
	t0 = now_s();
	if (p->start(&spec, &vm, &err) < 0) {
		printf("error=%s\nmessage=%s\n", unik_errcode_name(err.code), err.msg);
		rc = 1;
		goto cleanup;
	}
	fprintf(stderr, "started pid %d in %.3f s\n", (int)vm.pid, now_s() - t0);
	if (stop_after >= 0) {
		sleep((unsigned)stop_after);
		t1 = now_s();
		if (p->stop(&spec, vm.pid, stop_timeout, &err) < 0)
			die("stop: %s", err.msg);
		fprintf(stderr, "stop took %.3f s\n", now_s() - t1);
	}
	if (waitpid(vm.pid, &status, 0) < 0)
		status = -1;
	t1 = now_s();
	if (p->collect(&spec, status, &ex, &err) < 0)
		die("collect: %s", err.msg);
	printf("exit_code=%d\nmessage=%s\naccel=%s\nnote=%s\nseconds=%.3f\n", ex.exit_code,
	       ex.message, vm.accel_used, vm.note, t1 - t0);
	rc = 0;
cleanup:
	strv_release(&args);
	strv_release(&env);
	strbuf_release(&desc);
	free(image);
	free(format);
	free(kernel);
	free(initrd);
	free(mem);
	free(log);
	return rc;
}

int main(int argc, char **argv)
{
	struct unik_config cfg;
	int rc;

	unik_config_init(&cfg);
	if (argc < 2)
		die("usage: run-image build|run ...");
	if (!strcmp(argv[1], "build"))
		rc = cmd_build(argc - 1, argv + 1, &cfg);
	else if (!strcmp(argv[1], "run"))
		rc = cmd_run(argc - 1, argv + 1, &cfg);
	else
		die("unknown command '%s'", argv[1]);
	unik_config_release(&cfg);
	return rc;
}
