/* benchrun.c - process-level measurements for scripts/bench.
 *
 *   benchrun boot N CMD [ARGS...]
 *       runs CMD N times, one after another, output to /dev/null; prints
 *       "<median ms> <max RSS KiB> <failed runs>" (failed: exit status not 0)
 *   benchrun density N LOGDIR TIMEOUT_S CMD [ARGS...]
 *       starts N copies of CMD at once, each with stdout and stderr in
 *       LOGDIR/<i>.log; waits until every log is non-empty (the guest
 *       printed) or TIMEOUT_S passed; prints "<up> <seconds until the last
 *       came up> <MiB of host memory used> <MiB of summed PSS>" (MemAvailable
 *       before minus at that moment; the processes' proportional set sizes),
 *       then kills and reaps them all.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static pid_t spawn(char **cmd, const char *out_path)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0)
			_exit(126);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
		execv(cmd[0], cmd);
		_exit(127);
	}
	return pid;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int boot(int n, char **cmd)
{
	double *t = calloc((size_t)n, sizeof(*t));
	long max_rss = 0;
	int failed = 0;

	if (!t)
		return 1;
	for (int i = 0; i < n; i++) {
		struct rusage ru;
		double t0 = now_ms();
		pid_t pid = spawn(cmd, "/dev/null");
		int ws = 0;

		if (pid < 0 || wait4(pid, &ws, 0, &ru) < 0)
			return 1;
		t[i] = now_ms() - t0;
		if (!WIFEXITED(ws) || WEXITSTATUS(ws))
			failed++;
		if (ru.ru_maxrss > max_rss)
			max_rss = ru.ru_maxrss;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%.2f %ld %d\n", n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2, max_rss, failed);
	free(t);
	return 0;
}

static long mem_available_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Proportional set size of pid in KiB (shared pages split among sharers), or 0. */
static long pss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pss: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int density(int n, const char *dir, int timeout_s, char **cmd)
{
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	char *seen = calloc((size_t)n, 1);
	long before = mem_available_kb(), after;
	double t0 = now_ms(), last = 0;
	long pss = 0;
	int up = 0;

	if (!pids || !seen)
		return 1;
	for (int i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%d.log", dir, i);
		pids[i] = spawn(cmd, path);
	}
	while (up < n && now_ms() - t0 < timeout_s * 1e3) {
		for (int i = 0; i < n; i++) {
			char path[4096];
			struct stat st;

			if (seen[i])
				continue;
			snprintf(path, sizeof(path), "%s/%d.log", dir, i);
			if (stat(path, &st) == 0 && st.st_size > 0) {
				seen[i] = 1;
				up++;
				last = now_ms() - t0;
			}
		}
		usleep(10000);
	}
	after = mem_available_kb();
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			pss += pss_kb(pids[i]);
	printf("%d %.2f %ld %ld\n", up, last / 1e3, (before - after) / 1024, pss / 1024);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
	free(pids);
	free(seen);
	return 0;
}

static int num(const char *s)
{
	long v = strtol(s, NULL, 10);

	return v > 0 && v < 1000000 ? (int)v : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "boot"))
		return boot(num(argv[2]), argv + 3);
	if (argc >= 6 && !strcmp(argv[1], "density"))
		return density(num(argv[2]), argv[3], num(argv[4]), argv + 5);
	fprintf(stderr, "usage: benchrun boot N CMD... | density N LOGDIR TIMEOUT_S CMD...\n");
	return 2;
}
