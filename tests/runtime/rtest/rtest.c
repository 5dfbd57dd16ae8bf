/* rtest.c - the program the runtime tests boot: one image, one mode per
 * boot (argv[1]).  Each mode prints what tests/runtime/run-tests checks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
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
	       open("/etc/motd", O_WRONLY) < 0 ? strerror(errno) : "ok (the tree is writable)");
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

/* n readings of each clock after 200 ms (past spt's TSC calibration):
 * the monotonic one never goes back, the wall clock stays in step with it. */
static int clock_reads(long n)
{
	struct timespec req = { 0, 200000000 };
	int64_t prev, off0, off;

	nanosleep(&req, NULL);
	prev = ns(CLOCK_MONOTONIC);
	off0 = ns(CLOCK_REALTIME) - prev;
	for (long i = 0; i < n; i++) {
		int64_t now = ns(CLOCK_MONOTONIC);

		if (now < prev) {
			printf("clock reads: monotonic went back by %lld ns\n",
			       (long long)(prev - now));
			return 1;
		}
		prev = now;
		off = ns(CLOCK_REALTIME) - now;
		if (off - off0 > 100000000 || off0 - off > 100000000) {
			printf("clock reads: the wall clock moved %lld ns against the monotonic\n",
			       (long long)(off - off0));
			return 1;
		}
	}
	printf("clock reads ok: %ld\n", n);
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
	long s;

	printf("syslog: %ld %s, again: %ld\n", r, r < 0 && errno == ENOSYS ? "ENOSYS" : "?", r2);
	/* raw: musl's socket() would bring the network stack into the image */
	s = syscall(SYS_socket, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0);
	printf("socket: %ld %s\n", s, s < 0 && errno == ENOSYS ? "ENOSYS" : "?");
	return 0;
}

/* Our musl (runtime/musl/) makes system calls through this pointer: the
 * runtime's direct entry, or __unik_syscall_native (a real `syscall`).  Weak:
 * a program built with Debian's musl has neither. */
extern long (*__unik_syscall_entry)(void) __attribute__((weak));
extern char __unik_syscall_native[] __attribute__((weak));
long regs_check(long (*entry)(void));

/* regs_check(entry): getpid through `entry` with the `syscall` registers,
 * every other register loaded with a marker; 0 when all registers but %rax,
 * %rcx and %r11 came back unchanged, else -1. */
__asm__(".text\n"
	"regs_check:\n"
	"	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"	push %rdi\n"
	"	mov $0x1b, %rbx; mov $0x2b, %rbp; mov $0x12, %r12; mov $0x13, %r13\n"
	"	mov $0x14, %r14; mov $0x15, %r15; mov $0x7d, %rdi; mov $0x75, %rsi\n"
	"	mov $0x3d, %rdx; mov $0x10, %r10; mov $0x8, %r8; mov $0x9, %r9\n"
	"	mov $39, %eax\n"
	"	call *(%rsp)\n"
	"	cmp $0x1b, %rbx; jne 1f; cmp $0x2b, %rbp; jne 1f\n"
	"	cmp $0x12, %r12; jne 1f; cmp $0x13, %r13; jne 1f\n"
	"	cmp $0x14, %r14; jne 1f; cmp $0x15, %r15; jne 1f\n"
	"	cmp $0x7d, %rdi; jne 1f; cmp $0x75, %rsi; jne 1f\n"
	"	cmp $0x3d, %rdx; jne 1f; cmp $0x10, %r10; jne 1f\n"
	"	cmp $0x8, %r8; jne 1f; cmp $0x9, %r9; jne 1f\n"
	"	xor %eax, %eax; jmp 2f\n"
	"1:	mov $-1, %rax\n"
	"2:	add $8, %rsp\n"
	"	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"	ret\n");

/* How this program's system calls reach the runtime, and n getpid calls. */
static int syscalls_test(long n)
{
	const char *libc = !&__unik_syscall_entry ? "debian musl"
			   : (void *)__unik_syscall_entry == (void *)__unik_syscall_native
			       ? "unik musl, syscall instruction"
			       : "unik musl, direct entry";
	long bad = 0;
	int64_t t0, t1;

	printf("libc: %s\n", libc);
	if (&__unik_syscall_entry)
		printf("registers preserved: %s\n",
		       regs_check(__unik_syscall_entry) ? "no" : "yes");
	t0 = ns(CLOCK_MONOTONIC);
	for (long i = 0; i < n; i++)
		bad += syscall(SYS_getpid) != 1;
	t1 = ns(CLOCK_MONOTONIC);
	printf("getpid x %ld: %s, %ld ns each\n", n, bad ? "wrong results" : "ok",
	       n ? (long)((t1 - t0) / n) : 0);
	return 0;
}

static const char *err_name(long rc)
{
	return rc >= 0		 ? "ok"
	       : errno == EBADF	 ? "EBADF"
	       : errno == EINVAL ? "EINVAL"
	       : errno == ESPIPE ? "ESPIPE"
	       : errno == EPERM	 ? "EPERM"
	       : errno == EAGAIN ? "EAGAIN"
				 : "other";
}

/* The descriptor layer over every kind of file: console, packaged file,
 * eventfd, epoll. */
static int fds_test(void)
{
	char buf[16];
	uint32_t half[2] = { 3, 0 }, got[2] = { 0, 0 };
	struct iovec wv[2] = { { &half[0], 4 }, { &half[1], 4 } };
	struct iovec rv[2] = { { &got[0], 4 }, { &got[1], 4 } };
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct pollfd pf;
	struct stat st;
	int efd, ep, fd;
	uint64_t one = 1;
	ssize_t n;

	fstat(1, &st);
	printf("stdout: %s\n", S_ISCHR(st.st_mode) ? "character device" : "other");
	printf("lseek stdout: %s\n", err_name(lseek(1, 0, SEEK_SET)));
	printf("read stdout: %s\n", err_name(read(1, buf, 1)));
	efd = eventfd(5, EFD_NONBLOCK);
	printf("eventfd writev: %ld\n", (long)writev(efd, wv, 2));
	n = readv(efd, rv, 2);
	printf("eventfd readv: %ld value %u\n", (long)n, got[0]);
	printf("eventfd empty read: %s\n", err_name(read(efd, buf, 8)));
	fstat(efd, &st);
	printf("eventfd mode: %o\n", (unsigned)st.st_mode);
	printf("pread eventfd: %s\n", err_name(pread(efd, buf, 8, 0)));
	fd = open("/etc/motd", O_RDONLY);
	printf("pread at -1: %s\n", err_name(pread(fd, buf, 4, -1)));
	pf = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	poll(&pf, 1, 0);
	printf("poll file: %s\n", pf.revents == (POLLIN | POLLOUT) ? "in+out" : "other");
	ep = epoll_create1(0);
	printf("epoll file: %s\n", err_name(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)));
	printf("epoll eventfd: %s\n", err_name(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev)));
	printf("epoll idle: %d\n", epoll_wait(ep, &out, 1, 0));
	write(efd, &one, 8);
	printf("epoll ready: %d\n", epoll_wait(ep, &out, 1, 0));
	printf("write epoll: %s\n", err_name(write(ep, buf, 1)));
	if (dup2(fd, 20) != 20 || close(fd) < 0)
		return 1;
	printf("read after dup2+close: %ld\n", (long)read(20, buf, 7));
	return 0;
}

/* rt_fs.c: the file system, pipes, sockets and process modes (weak: the
 * prebuilt-program test builds this file alone). */
int rt_fs_main(const char *mode, int argc, char **argv, int *status) __attribute__((weak));

/* The loader (runtime/core/elf_load.c): .bss zero across pages, .data and
 * .rodata with their contents across page boundaries, writable .data, and
 * the aux vector the runtime builds. */
static char loader_bss[3 * 4096 + 123];
static char loader_data[5000] = { [0] = 1, [4095] = 2, [4096] = 3, [4999] = 4 };
static const char loader_ro[6000] = { [0] = 5, [4097] = 6, [5999] = 7 };

static int loader_test(const char *argv0)
{
	volatile char *bss = loader_bss, *data = loader_data;
	const volatile char *ro = loader_ro;
	const char *execfn = (const char *)getauxval(AT_EXECFN),
		   *platform = (const char *)getauxval(AT_PLATFORM);
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	int dirty = 0, rnd_zero = 1;

	for (size_t i = 0; i < sizeof(loader_bss); i++)
		dirty |= bss[i];
	printf("loader: bss %s\n", dirty ? "not zero" : "zero");
	printf("loader: data %d %d %d %d\n", data[0], data[4095], data[4096], data[4999]);
	printf("loader: rodata %d %d %d\n", ro[0], ro[4097], ro[5999]);
	data[4096] = 9;
	bss[4096 * 2] = 8;
	printf("loader: written %d %d\n", data[4096], bss[4096 * 2]);
	for (int i = 0; rnd && i < 16; i++)
		rnd_zero &= !rnd[i];
	printf("loader: auxv pagesz %lu phnum>0 %d entry>0 %d execfn %s platform %s random %s\n",
	       getauxval(AT_PAGESZ), getauxval(AT_PHNUM) > 0, getauxval(AT_ENTRY) > 0,
	       execfn && !strcmp(execfn, argv0) ? "argv0" : "other", platform ? platform : "none",
	       rnd && !rnd_zero ? "set" : "missing");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "hello";
	int status;

	if (rt_fs_main && rt_fs_main(mode, argc, argv, &status))
		return status;

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
	if (!strcmp(mode, "clockreads"))
		return clock_reads(argc > 2 ? strtol(argv[2], NULL, 10) : 1000);
	if (!strcmp(mode, "random"))
		return random_test();
	if (!strcmp(mode, "fault"))
		return fault_test();
	if (!strcmp(mode, "enosys"))
		return enosys_test();
	if (!strcmp(mode, "fds"))
		return fds_test();
	if (!strcmp(mode, "loader"))
		return loader_test(argv[0]);
	if (!strcmp(mode, "syscalls"))
		return syscalls_test(argc > 2 ? strtol(argv[2], NULL, 10) : 1000);
	printf("unknown mode %s\n", mode);
	return 2;
}
