/* rtest.c - the program the runtime tests boot: one image, one mode per
 * boot (argv[1]).  Each mode prints what tests/runtime/run-tests checks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int hello(int argc, char **argv)
{
	const char *code = getenv("EXIT_CODE");

	printf("hello from %s\n", argv[0]);
	for (int i = 2; i < argc; i++)
		printf("arg[%d]=%s\n", i - 1, argv[i]);
	printf("GREETING=%s\n", getenv("GREETING") ? getenv("GREETING") : "(unset)");
	return code ? (int)strtol(code, NULL, 10) : 0;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* 1,000,000 malloc/free pairs of mixed sizes, with 256 live blocks whose
 * contents are checked before they are freed. */
static int malloc_test(void)
{
	enum { LIVE = 256, OPS = 1000000 };
	static unsigned char *p[LIVE];
	static size_t len[LIVE];

	for (long i = 0; i < OPS; i++) {
		int k = (int)(next() % LIVE);
		uint64_t r = next();
		size_t n = r % 100 < 90	  ? r % 256 + 1
			   : r % 100 < 99 ? r % 16384 + 1
					  : r % 300000 + 1;

		if (p[k]) {
			if (p[k][0] != (unsigned char)k || p[k][len[k] - 1] != (unsigned char)k) {
				printf("malloc: corrupted block %d\n", k);
				return 1;
			}
			free(p[k]);
		}
		p[k] = malloc(n);
		if (!p[k]) {
			printf("malloc: out of memory at op %ld (size %zu)\n", i, n);
			return 1;
		}
		len[k] = n;
		p[k][0] = p[k][n - 1] = (unsigned char)k;
	}
	printf("malloc ok: %d operations\n", OPS);
	return 0;
}

static int calloc_test(void)
{
	size_t n = 64u << 20;
	unsigned char *p = calloc(n, 1);

	if (!p) {
		printf("calloc: failed\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i]) {
			printf("calloc: byte %zu is %d\n", i, p[i]);
			return 1;
		}
	}
	memset(p, 0xab, n);
	for (size_t i = 0; i < n; i += 4096)
		if (p[i] != 0xab)
			return 1;
	free(p);
	printf("calloc ok: 64 MiB zeroed\n");
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int files_test(void)
{
	char buf[256], *names[64];
	int n = 0, fd;
	ssize_t got;
	struct stat st;
	DIR *d;
	struct dirent *e;
	void *m;

	fd = open("/etc/motd", O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		printf("files: open /etc/motd: %s\n", strerror(errno));
		return 1;
	}
	got = read(fd, buf, sizeof(buf) - 1);
	buf[got > 0 ? got : 0] = 0;
	printf("motd (%lld bytes): %s", (long long)st.st_size, buf);
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("mmap %s\n",
	       m != MAP_FAILED && !memcmp(m, buf, (size_t)got) ? "matches" : "differs");
	close(fd);
	if (chdir("/etc") == 0 && stat("conf.d/app.conf", &st) == 0)
		printf("relative stat: %lld bytes\n", (long long)st.st_size);
	printf("open missing: %s\n", open("/nope", O_RDONLY) < 0 ? strerror(errno) : "found?");
	printf("open for write: %s\n",
	       open("/etc/motd", O_WRONLY) < 0 ? strerror(errno) : "allowed?");
	d = opendir("/etc");
	if (!d) {
		printf("files: opendir: %s\n", strerror(errno));
		return 1;
	}
	while ((e = readdir(d)) && n < 64)
		names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp);
	printf("ls /etc:");
	for (int i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");
	return 0;
}

static int64_t ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int clock_test(int sleeps)
{
	int64_t prev = ns(CLOCK_MONOTONIC), t0, t1;
	struct timespec req = { 0, 100000000 };

	for (int i = 0; i < 10000; i++) {
		int64_t now = ns(CLOCK_MONOTONIC);

		if (now < prev) {
			printf("clock: went backwards\n");
			return 1;
		}
		prev = now;
	}
	printf("monotonic ok\n");
	printf("realtime year ok: %s\n",
	       ns(CLOCK_REALTIME) > 1600000000LL * 1000000000LL ? "yes" : "no");
	t0 = ns(CLOCK_MONOTONIC);
	for (int i = 0; i < sleeps; i++)
		nanosleep(&req, NULL);
	t1 = ns(CLOCK_MONOTONIC);
	printf("slept %lld ms\n", (long long)((t1 - t0) / 1000000));
	return 0;
}

static int random_test(void)
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return 1;
	printf("random ");
	for (int i = 0; i < 16; i++)
		printf("%02x", b[i]);
	printf("\n");
	return 0;
}

static int fault_test(void)
{
	volatile int *p = (int *)(uintptr_t)(getpid() - 1); /* NULL the compiler can't see */

	printf("about to dereference NULL\n");
	fflush(stdout);
	return *p;
}

static int enosys_test(void)
{
	long r = syscall(SYS_syslog, 0, NULL, 0);
	long r2 = syscall(SYS_syslog, 0, NULL, 0);

	printf("syslog: %ld %s, again: %ld\n", r, r < 0 && errno == ENOSYS ? "ENOSYS" : "?", r2);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "hello";

	if (!strcmp(mode, "hello"))
		return hello(argc, argv);
	if (!strcmp(mode, "malloc"))
		return malloc_test();
	if (!strcmp(mode, "calloc"))
		return calloc_test();
	if (!strcmp(mode, "files"))
		return files_test();
	if (!strcmp(mode, "clock"))
		return clock_test(1);
	if (!strcmp(mode, "sleep"))
		return clock_test(argc > 2 ? (int)strtol(argv[2], NULL, 10) : 10);
	if (!strcmp(mode, "random"))
		return random_test();
	if (!strcmp(mode, "fault"))
		return fault_test();
	if (!strcmp(mode, "enosys"))
		return enosys_test();
	printf("unknown mode %s\n", mode);
	return 2;
}
