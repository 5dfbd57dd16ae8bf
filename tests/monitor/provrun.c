/* provrun.c - drives the hvt, spt or qemu provider as the daemon would, for
 * tests/monitor/run-tests (the daemon's API is tested in tests/e2e).
 *   provrun PROVIDER IMAGE DIR MEMORY_MB [--stop-after MS] [--adopted] [ARGS...] [-e K=V...]
 * (PROVIDER: hvt, spt or qemu)
 * Starts the instance (console to DIR/console.log), waits for the pid, and
 * prints "exit_code=<n> message=<msg>" from collect(); --stop-after calls
 * stop() first; --adopted passes wait_status -1 as after a daemon restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/strv.h"
#include "providers/hvt/hvt.h"
#include "providers/qemu/qemu.h"
#include "providers/spt/spt.h"

int main(int argc, char **argv)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_run_spec spec = { 0 };
	struct unik_vm vm = { 0 };
	struct unik_exit ex = { -1, "" };
	const struct unik_provider *p;
	struct strv args = STRV_INIT, env = STRV_INIT;
	char *log;
	int stop_ms = -1, adopted = 0, ws = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: provrun PROVIDER IMAGE DIR MEMORY_MB [options] [ARGS]\n");
		return 2;
	}
	p = !strcmp(argv[1], "hvt")    ? &unik_provider_hvt
	    : !strcmp(argv[1], "qemu") ? &unik_provider_qemu
				       : &unik_provider_spt;
	for (int i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "--stop-after") && i + 1 < argc)
			stop_ms = (int)strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--adopted"))
			adopted = 1;
		else if (!strcmp(argv[i], "-e") && i + 1 < argc)
			strv_push(&env, argv[++i]);
		else
			strv_push(&args, argv[i]);
	}
	log = malloc(strlen(argv[3]) + 16);
	if (!log)
		return 1;
	snprintf(log, strlen(argv[3]) + 16, "%s/console.log", argv[3]);
	spec.id = "test";
	spec.name = "test";
	spec.dir = argv[3];
	spec.log_path = log;
	spec.format = "unik-elf";
	spec.kernel = argv[2];
	spec.memory_mb = (int)strtol(argv[4], NULL, 10);
	spec.args = &args;
	spec.env = &env;
	spec.accel = "auto";
	if (p->probe(NULL, &err) < 0 || p->start(&spec, &vm, &err) < 0) {
		fprintf(stderr, "provrun: %s\n", err.msg);
		return 1;
	}
	if (stop_ms >= 0) {
		usleep((useconds_t)stop_ms * 1000);
		if (p->stop(&spec, vm.pid, 5, &err) < 0) {
			fprintf(stderr, "provrun: stop: %s\n", err.msg);
			return 1;
		}
	}
	waitpid(vm.pid, &ws, 0);
	if (p->collect(&spec, adopted ? -1 : ws, &ex, &err) < 0) {
		fprintf(stderr, "provrun: collect: %s\n", err.msg);
		return 1;
	}
	printf("exit_code=%d accel=%s message=%s\n", ex.exit_code, vm.accel_used, ex.message);
	strv_release(&args);
	strv_release(&env);
	free(log);
	return 0;
}
