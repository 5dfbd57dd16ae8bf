/* rvol.c - the volume tests' program (tests/volumes/run-tests): file
 * system calls on a mounted volume, and raw I/O on a disk's /dev/vdX.
 *
 *   rvol raw DEV             write, read back (unaligned too), size, fsync
 *   rvol write DIR           files, big file, rename, unlink, dirs, symlink,
 *                            truncate, listing, fsync: the first boot
 *   rvol check DIR           the second boot sees the first boot's data
 *   rvol fill DIR            writes until ENOSPC, frees, writes again
 *   rvol churn DIR N         N creates, renames and deletes in 50 folders
 *   rvol ro DIR FILE         changes give EROFS; FILE reads
 *   rvol sum DIR             every file under DIR: path, size, checksum
 *   rvol stress DIR          write and fsync, then wait for SIGTERM
 *   rvol bench FILE MB       sequential 1 MiB and random 4 KiB writes and
 *                            reads of FILE (MB MiB): MB/s and IOPS
 * Each line it prints is checked by the suite; exit 0 when all went well.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#ifndef BLKGETSIZE64
#define BLKGETSIZE64 0x80081272
#endif
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL %s:%d: ", __func__, __LINE__);                                \
			printf(__VA_ARGS__);                                                       \
			printf(" (errno %d)\n", errno);                                            \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static const char *ename(int e)
{
	switch (e) {
	case EROFS: return "EROFS";
	case ENOSPC: return "ENOSPC";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case ENOTEMPTY: return "ENOTEMPTY";
	case EISDIR: return "EISDIR";
	case ENOTDIR: return "ENOTDIR";
	case EXDEV: return "EXDEV";
	case EINVAL: return "EINVAL";
	}
	return "other";
}

static uint8_t pat(uint64_t i, unsigned seed)
{
	return (uint8_t)((i * 2654435761u >> 13) ^ seed);
}

static uint32_t sum(const uint8_t *p, size_t n, uint32_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static int write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, data, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

static ssize_t read_file(const char *path, void *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	ssize_t r, t = 0;

	if (fd < 0)
		return -1;
	while ((r = read(fd, (char *)buf + t, n - t)) > 0)
		t += r;
	close(fd);
	return t;
}

static int cmd_raw(const char *dev)
{
	int fd = open(dev, O_RDWR);
	uint64_t size = 0;
	static uint8_t a[70000], b[70000];
	struct stat st;

	CHECK(fd >= 0, "open %s", dev);
	if (fd < 0)
		return 1;
	CHECK(fstat(fd, &st) == 0 && S_ISBLK(st.st_mode), "%s is a block device", dev);
	CHECK(ioctl(fd, BLKGETSIZE64, &size) == 0, "BLKGETSIZE64");
	printf("raw: %s is %llu bytes\n", dev, (unsigned long long)size);
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = pat(i, 7);
	/* aligned, and unaligned at both ends */
	CHECK(pwrite(fd, a, 65536, 1 << 20) == 65536, "aligned pwrite");
	CHECK(pwrite(fd, a, 70000, 3 * 4096 + 13) == 70000, "unaligned pwrite");
	CHECK(fsync(fd) == 0, "fsync");
	CHECK(pread(fd, b, 65536, 1 << 20) == 65536 && !memcmp(a, b, 65536), "aligned read back");
	CHECK(pread(fd, b, 70000, 3 * 4096 + 13) == 70000 && !memcmp(a, b, 70000),
	      "unaligned read back");
	CHECK(pread(fd, b, 100, (off_t)size - 10) == 10, "a read ends at the disk's end");
	errno = 0;
	CHECK(pwrite(fd, a, 100, (off_t)size) < 0 && errno == ENOSPC, "a write past the end");
	close(fd);
	printf("raw: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}

static void list(const char *dir, char *out, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char names[64][64];
	int n = 0;

	out[0] = 0;
	if (!d)
		return;
	while ((e = readdir(d)) && n < 64)
		snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
	closedir(d);
	/* sorted, for a stable line */
	qsort(names, (size_t)n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	for (int i = 0; i < n; i++) {
		strncat(out, " ", size - strlen(out) - 1);
		strncat(out, names[i], size - strlen(out) - 1);
	}
}

#define BIG (3 << 20) /* past the double-indirect boundary of 1 KiB blocks */

static int cmd_write(const char *dir)
{
	char p[512], q[512], l[1024];
	uint8_t *big = malloc(BIG), *back = malloc(BIG);
	struct stat st;
	int fd;

	for (size_t i = 0; i < BIG; i++)
		big[i] = pat(i, 1);
	snprintf(p, sizeof(p), "%s/hello.txt", dir);
	CHECK(write_file(p, "hello, volume\n", 14) == 0, "write hello");
	snprintf(p, sizeof(p), "%s/big.bin", dir);
	CHECK(write_file(p, big, BIG) == 0, "write big");
	CHECK(read_file(p, back, BIG) == BIG && !memcmp(big, back, BIG), "big reads back");
	printf("write: big.bin %d bytes, sum %08x\n", BIG, sum(big, BIG, 0));
	/* a sparse file: a hole then data */
	snprintf(p, sizeof(p), "%s/sparse", dir);
	fd = open(p, O_RDWR | O_CREAT, 0600);
	CHECK(fd >= 0 && pwrite(fd, "end", 3, 5 << 20) == 3, "sparse write");
	CHECK(pread(fd, back, 4096, 4096) == 4096 && !back[0] && !back[4095], "a hole reads zeros");
	CHECK(fsync(fd) == 0, "fsync");
	close(fd);
	/* rename, unlink, directories */
	snprintf(p, sizeof(p), "%s/tmp1", dir);
	snprintf(q, sizeof(q), "%s/renamed", dir);
	CHECK(write_file(p, "rename me", 9) == 0, "write tmp1");
	CHECK(rename(p, q) == 0, "rename");
	CHECK(access(p, F_OK) < 0 && errno == ENOENT, "the old name is gone");
	snprintf(p, sizeof(p), "%s/sub", dir);
	CHECK(mkdir(p, 0755) == 0, "mkdir sub");
	snprintf(p, sizeof(p), "%s/sub/deeper", dir);
	CHECK(mkdir(p, 0700) == 0, "mkdir sub/deeper");
	snprintf(p, sizeof(p), "%s/sub/deeper/f", dir);
	CHECK(write_file(p, "deep", 4) == 0, "write deep file");
	snprintf(q, sizeof(q), "%s/moved", dir);
	snprintf(p, sizeof(p), "%s/sub/deeper", dir);
	CHECK(rename(p, q) == 0, "rename a directory to another parent");
	snprintf(p, sizeof(p), "%s/moved/..", dir);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode), "its .. is the new parent");
	snprintf(p, sizeof(p), "%s/sub", dir);
	errno = 0;
	snprintf(q, sizeof(q), "%s/moved", dir);
	CHECK(rmdir(q) < 0 && errno == ENOTEMPTY, "rmdir of a full folder: ENOTEMPTY");
	snprintf(q, sizeof(q), "%s/gone", dir);
	CHECK(write_file(q, "x", 1) == 0 && unlink(q) == 0, "create and unlink");
	CHECK(rmdir(p) == 0, "rmdir sub");
	/* RENAME_EXCHANGE of a folder and a file in another folder */
	snprintf(p, sizeof(p), "%s/xdir", dir);
	CHECK(mkdir(p, 0755) == 0, "mkdir xdir");
	snprintf(p, sizeof(p), "%s/xdir/inner", dir);
	CHECK(write_file(p, "inner", 5) == 0, "write xdir/inner");
	snprintf(q, sizeof(q), "%s/moved", dir);
	CHECK(syscall(SYS_renameat2, AT_FDCWD, q, AT_FDCWD, p, 2 /* RENAME_EXCHANGE */) == 0,
	      "RENAME_EXCHANGE");
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode), "the folder moved into xdir");
	CHECK(read_file(q, l, sizeof(l)) == 5, "the file moved out");
	snprintf(p, sizeof(p), "%s/xdir/inner/..", dir);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode), "its .. is xdir");
	snprintf(p, sizeof(p), "%s/link", dir);
	CHECK(symlink("hello.txt", p) == 0, "symlink (fast)");
	memset(l, 'x', 300);
	l[300] = 0;
	snprintf(p, sizeof(p), "%s/longlink", dir);
	CHECK(symlink(l, p) == 0, "symlink (in a block)");
	snprintf(p, sizeof(p), "%s/trunc", dir);
	CHECK(write_file(p, big, 100000) == 0 && truncate(p, 5000) == 0, "truncate");
	CHECK(stat(p, &st) == 0 && st.st_size == 5000, "truncated size");
	/* open, unlink, still readable, then gone */
	snprintf(p, sizeof(p), "%s/orphan", dir);
	CHECK(write_file(p, "orphan data", 11) == 0, "write orphan");
	fd = open(p, O_RDONLY);
	CHECK(fd >= 0 && unlink(p) == 0, "unlink an open file");
	CHECK(read(fd, l, 11) == 11 && !memcmp(l, "orphan data", 11), "it stays readable");
	close(fd);
	snprintf(p, sizeof(p), "%s/hello.txt", dir);
	snprintf(q, sizeof(q), "%s/hard", dir);
	CHECK(link(p, q) == 0, "hard link");
	CHECK(stat(p, &st) == 0 && st.st_nlink == 2, "two links");
	errno = 0;
	CHECK(rename(p, "/tmp/x") < 0 && errno == EXDEV, "rename out of the volume: EXDEV");
	{
		struct statfs sf;

		CHECK(statfs(dir, &sf) == 0 && sf.f_type == 0xef53 && sf.f_bfree < sf.f_blocks &&
			  sf.f_ffree < sf.f_files,
		      "statfs reports the volume");
	}
	list(dir, l, sizeof(l));
	printf("write: ls%s\n", l);
	CHECK(syscall(SYS_sync) == 0, "sync");
	printf("write: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}

static int cmd_check(const char *dir)
{
	char p[512], l[1024];
	uint8_t *back = malloc(BIG);
	struct stat st;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/hello.txt", dir);
	n = read_file(p, l, sizeof(l));
	CHECK(n == 14 && !memcmp(l, "hello, volume\n", 14), "hello.txt survived");
	snprintf(p, sizeof(p), "%s/big.bin", dir);
	n = read_file(p, back, BIG);
	printf("check: big.bin %zd bytes, sum %08x\n", n, sum(back, n > 0 ? (size_t)n : 0, 0));
	snprintf(p, sizeof(p), "%s/link", dir);
	n = readlink(p, l, sizeof(l));
	CHECK(n == 9 && !memcmp(l, "hello.txt", 9), "the symlink survived");
	snprintf(p, sizeof(p), "%s/longlink", dir);
	CHECK(readlink(p, l, sizeof(l)) == 300, "the long symlink survived");
	snprintf(p, sizeof(p), "%s/xdir/inner/f", dir);
	CHECK(read_file(p, l, sizeof(l)) == 4, "the moved folder's file");
	snprintf(p, sizeof(p), "%s/moved", dir);
	CHECK(read_file(p, l, sizeof(l)) == 5 && !memcmp(l, "inner", 5), "the exchanged file");
	snprintf(p, sizeof(p), "%s/sparse", dir);
	CHECK(stat(p, &st) == 0 && st.st_size == (5 << 20) + 3, "the sparse file's size");
	snprintf(p, sizeof(p), "%s/orphan", dir);
	CHECK(access(p, F_OK) < 0, "the orphan is gone");
	list(dir, l, sizeof(l));
	printf("check: ls%s\n", l);
	printf("check: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}

static int cmd_fill(const char *dir)
{
	char p[512];
	static uint8_t buf[65536];
	long long total = 0;
	int fd, err = 0;
	ssize_t w;

	memset(buf, 0x5a, sizeof(buf));
	snprintf(p, sizeof(p), "%s/filler", dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "open filler");
	while ((w = write(fd, buf, sizeof(buf))) > 0)
		total += w;
	err = errno;
	close(fd);
	printf("fill: %s after %lld bytes\n", w < 0 ? ename(err) : "no error", total);
	snprintf(p, sizeof(p), "%s/more", dir);
	errno = 0;
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	w = fd >= 0 ? write(fd, buf, sizeof(buf)) : -1;
	printf("fill: another file: %s\n", w < 0 ? ename(errno) : "written");
	if (fd >= 0)
		close(fd);
	unlink(p);
	snprintf(p, sizeof(p), "%s/filler", dir);
	CHECK(unlink(p) == 0, "unlink filler");
	snprintf(p, sizeof(p), "%s/after", dir);
	CHECK(write_file(p, buf, sizeof(buf)) == 0, "space is back after unlink");
	printf("fill: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}

static int cmd_churn(const char *dir, int n)
{
	char p[512], q[512];
	int made = 0, renamed = 0, removed = 0;

	for (int d = 0; d < 50; d++) {
		snprintf(p, sizeof(p), "%s/d%02d", dir, d);
		CHECK(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s", p);
	}
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/d%02d/f%05d", dir, i % 50, i);
		if (write_file(p, p, (size_t)(i % 700)) == 0)
			made++;
		if (i % 3 == 0) {
			snprintf(q, sizeof(q), "%s/d%02d/r%05d", dir, (i + 7) % 50, i);
			if (rename(p, q) == 0)
				renamed++;
		}
		if (i % 3 == 1 && unlink(p) == 0)
			removed++;
	}
	CHECK(made == n, "%d of %d created", made, n);
	printf("churn: %d created, %d renamed, %d deleted\n", made, renamed, removed);
	printf("churn: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}

static int cmd_ro(const char *dir, const char *file)
{
	char p[512], buf[256];
	ssize_t n;

	snprintf(p, sizeof(p), "%s/new", dir);
	errno = 0;
	printf("ro: create: %s\n", open(p, O_WRONLY | O_CREAT, 0644) < 0 ? ename(errno) : "ok");
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	errno = 0;
	printf("ro: open for write: %s\n", open(p, O_WRONLY) < 0 ? ename(errno) : "ok");
	errno = 0;
	printf("ro: unlink: %s\n", unlink(p) < 0 ? ename(errno) : "ok");
	snprintf(p, sizeof(p), "%s/newdir", dir);
	errno = 0;
	printf("ro: mkdir: %s\n", mkdir(p, 0755) < 0 ? ename(errno) : "ok");
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	n = read_file(p, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("ro: %s reads: %s\n", file, buf);
	return 0;
}

static void sum_tree(const char *dir, const char *rel)
{
	char p[1024], r[1024];
	DIR *d = opendir(dir);
	struct dirent *e;
	char names[256][256];
	int n = 0;

	if (!d)
		return;
	while ((e = readdir(d)) && n < 256) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	for (int i = 0; i < n; i++) {
		struct stat st;

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		snprintf(r, sizeof(r), "%s%s", rel, names[i]);
		if (lstat(p, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			printf("sum: %s/\n", r);
			strncat(r, "/", sizeof(r) - strlen(r) - 1);
			sum_tree(p, r);
		} else if (S_ISLNK(st.st_mode)) {
			char t[512];
			ssize_t k = readlink(p, t, sizeof(t) - 1);

			t[k > 0 ? k : 0] = 0;
			printf("sum: %s -> %s\n", r, t);
		} else {
			static uint8_t buf[1 << 20];
			int fd = open(p, O_RDONLY);
			uint32_t h = 0;
			ssize_t k;
			long long total = 0;

			while (fd >= 0 && (k = read(fd, buf, sizeof(buf))) > 0) {
				h = sum(buf, (size_t)k, h);
				total += k;
			}
			if (fd >= 0)
				close(fd);
			printf("sum: %s %lld %08x\n", r, total, h);
		}
	}
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

static int cmd_stress(const char *dir)
{
	char p[512];

	signal(SIGTERM, on_term);
	snprintf(p, sizeof(p), "%s/before-stop", dir);
	CHECK(write_file(p, "written before the stop", 23) == 0, "write");
	printf("stress: waiting\n");
	fflush(stdout);
	while (!stop)
		pause();
	snprintf(p, sizeof(p), "%s/at-stop", dir);
	CHECK(write_file(p, "written in the SIGTERM path", 27) == 0, "write at stop");
	printf("stress: stopped\n");
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The bench's lines: "bench: NAME VALUE UNIT" (scripts/bench-volumes). */
static int cmd_bench(const char *file, long mb)
{
	static uint8_t buf[1 << 20];
	long n = mb, ops = 2000;
	uint64_t x = 88172645463325252ULL;
	double t;
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || mb <= 0) {
		printf("bench: cannot open %s\n", file);
		return 1;
	}
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pat(i, 3);
	t = now_s();
	for (long i = 0; i < n; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return printf("bench: write failed\n"), 1;
	fsync(fd);
	printf("bench: seq-write %.1f MB/s\n", (double)n / (now_s() - t));
	t = now_s();
	lseek(fd, 0, SEEK_SET);
	for (long i = 0; i < n; i++)
		if (read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return printf("bench: read failed\n"), 1;
	printf("bench: seq-read %.1f MB/s\n", (double)n / (now_s() - t));
	t = now_s();
	for (long i = 0; i < ops; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (pwrite(fd, buf, 4096, (off_t)(x % ((uint64_t)n * 256)) * 4096) != 4096)
			return printf("bench: pwrite failed\n"), 1;
	}
	fsync(fd);
	printf("bench: rand-write %.0f IOPS\n", (double)ops / (now_s() - t));
	t = now_s();
	for (long i = 0; i < ops; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (pread(fd, buf, 4096, (off_t)(x % ((uint64_t)n * 256)) * 4096) != 4096)
			return printf("bench: pread failed\n"), 1;
	}
	printf("bench: rand-read %.0f IOPS\n", (double)ops / (now_s() - t));
	close(fd);
	unlink(file);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "raw"))
		return cmd_raw(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "write"))
		return cmd_write(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "check"))
		return cmd_check(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "fill"))
		return cmd_fill(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "churn"))
		return cmd_churn(argv[2], (int)strtol(argv[3], NULL, 10));
	if (argc >= 4 && !strcmp(argv[1], "ro"))
		return cmd_ro(argv[2], argv[3]);
	if (argc >= 3 && !strcmp(argv[1], "sum")) {
		sum_tree(argv[2], "");
		printf("sum: done\n");
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "bench"))
		return cmd_bench(argv[2], strtol(argv[3], NULL, 10));
	if (argc >= 3 && !strcmp(argv[1], "stress"))
		return cmd_stress(argv[2]);
	fprintf(
	    stderr,
	    "usage: rvol raw DEV | write|check|fill|sum|stress DIR | churn DIR N | ro DIR FILE\n");
	return 2;
}
