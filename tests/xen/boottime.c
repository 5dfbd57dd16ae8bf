/* boottime.c - one boot timed in dom0, for scripts/bench-xen:
 *
 *   boottime CFG NAME LOG PATTERN TIMEOUT_S
 *
 * runs `xl create CFG`, and prints how long after its start `xl create`
 * returned, the domain's console log LOG (xenconsoled --log=guest) got its
 * first complete line, and a line containing PATTERN appeared, in ms:
 *   create-ms=N first-line-ms=N pattern-ms=N
 * (-1 for what did not happen within TIMEOUT_S, or before the domain was
 * gone: a guest that crashes or powers off is not waited for), then
 * destroys the domain NAME.  Exit 0 when PATTERN was seen. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static pid_t xl(const char *a, const char *b)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0 && strcmp(a, "create")) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("xl", "xl", a, b, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Whether domain `name` still exists (`xl list NAME` succeeds). */
static int exists(const char *name)
{
	pid_t pid = xl("list", name);
	int status = 0;

	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
	double t0, create = -1, first = -1, seen = -1, limit, checked = 0;
	char buf[65536];
	pid_t pid;
	int status;

	if (argc != 6) {
		fprintf(stderr, "usage: boottime CFG NAME LOG PATTERN TIMEOUT_S\n");
		return 2;
	}
	limit = strtod(argv[5], NULL) * 1e3;
	unlink(argv[3]);
	t0 = now_ms();
	pid = xl("create", argv[1]);
	while (now_ms() - t0 < limit && seen < 0) {
		FILE *f;
		size_t n = 0;

		if (create < 0 && waitpid(pid, &status, WNOHANG) == pid)
			create = now_ms() - t0;
		f = fopen(argv[3], "r");
		if (f) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
		}
		buf[n] = 0;
		if (first < 0 && memchr(buf, '\n', n))
			first = now_ms() - t0;
		if (strstr(buf, argv[4]))
			seen = now_ms() - t0;
		/* every 2 s once created: has the domain gone (crashed, powered off)? */
		if (seen < 0 && create >= 0 && now_ms() - checked > 2000) {
			checked = now_ms();
			if (!exists(argv[2]))
				break;
		}
		usleep(500);
	}
	if (create < 0) {
		waitpid(pid, &status, 0);
		create = now_ms() - t0;
	}
	printf("create-ms=%.1f first-line-ms=%.1f pattern-ms=%.1f\n", create, first, seen);
	fflush(stdout);
	pid = xl("destroy", argv[2]);
	waitpid(pid, &status, 0);
	return seen >= 0 ? 0 : 1;
}
