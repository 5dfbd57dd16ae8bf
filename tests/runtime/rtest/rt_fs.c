/* rt_fs.c - rtest modes for the file system (the writable overlay, /proc,
 * /dev), pipes, AF_UNIX sockets, timerfd, sendfile and the process surface
 * (identity, limits, prctl, fork).  Each mode prints lines that
 * tests/runtime/cases-fs.sh checks; "FAIL: ..." lines name what went wrong. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int rt_fs_main(const char *mode, int argc, char **argv, int *status);
/* rtest2/rt_net.c, in the second image only. */
int rt_net_main(const char *mode, int argc, char **argv, int *status) __attribute__((weak));

/* socket(AF_UNIX, ...) as a raw call: musl's socket() would link the network
 * stack into the image, and AF_UNIX must work without it. */
static int usock(int type)
{
	return (int)syscall(SYS_socket, AF_UNIX, type, 0);
}

static int fails;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL: %s:%d: ", __func__, __LINE__);                               \
			printf(__VA_ARGS__);                                                       \
			printf(" (errno %d %s)\n", errno, strerror(errno));                        \
			fails++;                                                                   \
		}                                                                                  \
	} while (0)

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* The contents of path (static buffer), or NULL. */
static const char *read_file(const char *path)
{
	static char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t n, total = 0;

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf + total, sizeof(buf) - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = 0;
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of a folder, space-separated (without . and ..). */
static const char *listing(const char *path)
{
	static char out[4096];
	char *names[256];
	int n = 0;
	size_t len = 0;
	DIR *d = opendir(path);
	struct dirent *e;

	out[0] = 0;
	if (!d)
		return "(cannot open)";
	while ((e = readdir(d)) && n < 256) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		len +=
		    (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	return out;
}

/* --- the overlay ------------------------------------------------------------ */

static void overlay_basics(void)
{
	struct stat st;
	char buf[64];
	int fd;

	/* a packed file can be rewritten, appended to and truncated */
	CHECK(write_file("/etc/motd", "rewritten\n") == 0, "rewrite /etc/motd");
	CHECK(!strcmp(read_file("/etc/motd"), "rewritten\n"), "read back /etc/motd");
	fd = open("/etc/motd", O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "more\n", 5) == 5, "append");
	close(fd);
	CHECK(!strcmp(read_file("/etc/motd"), "rewritten\nmore\n"), "appended");
	CHECK(truncate("/etc/motd", 4) == 0 && !strcmp(read_file("/etc/motd"), "rewr"), "truncate");
	printf("packed file rewritten: %s\n", read_file("/etc/motd"));

	/* new files and folders anywhere */
	CHECK(mkdir("/data", 0755) == 0, "mkdir /data");
	CHECK(mkdir("/data", 0755) < 0 && errno == EEXIST, "mkdir twice: EEXIST");
	CHECK(mkdir("/nope/sub", 0755) < 0 && errno == ENOENT, "mkdir under a missing folder");
	fd = open("/data/a.txt", O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0, "create /data/a.txt");
	CHECK(open("/data/a.txt", O_RDWR | O_CREAT | O_EXCL, 0600) < 0 && errno == EEXIST,
	      "O_EXCL of an existing file");
	CHECK(pwrite(fd, "world", 5, 6) == 5 && pwrite(fd, "hello", 5, 0) == 5, "pwrite");
	CHECK(pread(fd, buf, sizeof(buf), 0) == 11 && !memcmp(buf, "hello\0world", 11),
	      "pread with a hole of zeros");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 11 && (st.st_mode & 0777) == 0600 &&
		  S_ISREG(st.st_mode),
	      "fstat size 11 mode 0600");
	CHECK(ftruncate(fd, 100000) == 0 && fstat(fd, &st) == 0 && st.st_size == 100000,
	      "ftruncate grows");
	CHECK(pread(fd, buf, 4, 99996) == 4 && !memcmp(buf, "\0\0\0\0", 4), "grown part is zeros");
	CHECK(ftruncate(fd, 5) == 0 && lseek(fd, 0, SEEK_END) == 5, "ftruncate shrinks");
	CHECK(ftruncate(fd, 11) == 0 && pread(fd, buf, 11, 0) == 11 &&
		  !memcmp(buf, "hello\0\0\0", 8),
	      "bytes cut off stay gone");
	CHECK(fsync(fd) == 0 && fdatasync(fd) == 0, "fsync");
	CHECK(fchmod(fd, 0640) == 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0640,
	      "fchmod");
	close(fd);
	CHECK(chmod("/data/a.txt", 0444) == 0 && stat("/data/a.txt", &st) == 0 &&
		  (st.st_mode & 0777) == 0444,
	      "chmod");
	CHECK(chown("/data/a.txt", 33, 33) == 0 && stat("/data/a.txt", &st) == 0 && st.st_uid == 33,
	      "chown");
	{
		struct timespec ts[2] = { { 1000000000, 5 }, { 1234567890, 0 } };

		CHECK(utimensat(AT_FDCWD, "/data/a.txt", ts, 0) == 0 &&
			  stat("/data/a.txt", &st) == 0 && st.st_mtime == 1234567890 &&
			  st.st_atime == 1000000000,
		      "utimensat");
	}
	/* rename, link, symlink */
	CHECK(rename("/data/a.txt", "/data/b.txt") == 0 && access("/data/a.txt", F_OK) < 0 &&
		  access("/data/b.txt", F_OK) == 0,
	      "rename");
	CHECK(link("/data/b.txt", "/data/c.txt") == 0 && stat("/data/c.txt", &st) == 0 &&
		  st.st_nlink == 2,
	      "link");
	CHECK(symlink("b.txt", "/data/l") == 0, "symlink");
	CHECK(readlink("/data/l", buf, sizeof(buf)) == 5 && !memcmp(buf, "b.txt", 5), "readlink");
	CHECK(lstat("/data/l", &st) == 0 && S_ISLNK(st.st_mode), "lstat of a symlink");
	CHECK(stat("/data/l", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 11,
	      "stat follows the symlink");
	CHECK(!strncmp(read_file("/data/l"), "hello", 5), "open follows the symlink");
	CHECK(open("/data/l", O_RDONLY | O_NOFOLLOW) < 0 && errno == ELOOP, "O_NOFOLLOW: ELOOP");
	CHECK(symlink("/nowhere", "/data/dangling") == 0 && stat("/data/dangling", &st) < 0 &&
		  errno == ENOENT,
	      "a dangling symlink");
	CHECK(syscall(SYS_renameat2, AT_FDCWD, "/data/c.txt", AT_FDCWD, "/data/b.txt",
		      1 /* RENAME_NOREPLACE */) < 0 &&
		  errno == EEXIST,
	      "renameat2 NOREPLACE");
	CHECK(syscall(SYS_renameat2, AT_FDCWD, "/data/l", AT_FDCWD, "/data/dangling",
		      2 /* RENAME_EXCHANGE */) == 0 &&
		  readlink("/data/l", buf, sizeof(buf)) == 8,
	      "renameat2 EXCHANGE");
	CHECK(unlink("/data/c.txt") == 0 && stat("/data/b.txt", &st) == 0 && st.st_nlink == 1,
	      "unlink one of two names");
	/* folders */
	CHECK(mkdir("/data/sub", 0700) == 0 && rmdir("/data") < 0 && errno == ENOTEMPTY,
	      "rmdir of a full folder");
	CHECK(rename("/data", "/data/sub/x") < 0 && errno == EINVAL, "a folder into itself");
	CHECK(rename("/data/sub", "/moved") == 0 && stat("/moved", &st) == 0 && S_ISDIR(st.st_mode),
	      "rename a folder");
	CHECK(rmdir("/moved") == 0 && stat("/moved", &st) < 0, "rmdir");
	CHECK(unlink("/data") < 0 && errno == EISDIR, "unlink of a folder");
	CHECK(rmdir("/data/b.txt") < 0 && errno == ENOTDIR, "rmdir of a file");
	printf("ls /data: %s\n", listing("/data"));
	/* the packed tree's names can go, and come back */
	CHECK(unlink("/etc/issue") == 0 && access("/etc/issue", F_OK) < 0, "unlink a packed file");
	CHECK(rename("/etc/conf.d/app.conf", "/etc/app.conf") == 0, "rename a packed file");
	printf("ls /etc: %s\n", listing("/etc"));
	CHECK(write_file("/etc/issue", "back\n") == 0 && !strcmp(read_file("/etc/issue"), "back\n"),
	      "a new file where a packed one was");
	/* relative paths and the *at calls */
	CHECK(chdir("/data") == 0 && getcwd(buf, sizeof(buf)) && !strcmp(buf, "/data"), "chdir");
	fd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK(mkdirat(fd, "d2", 0755) == 0 && faccessat(AT_FDCWD, "/data/d2", F_OK, 0) == 0,
	      "mkdirat");
	CHECK(unlinkat(fd, "d2", AT_REMOVEDIR) == 0, "unlinkat AT_REMOVEDIR");
	CHECK(fstatat(fd, "b.txt", &st, 0) == 0 && st.st_size == 11, "fstatat");
	close(fd);
	CHECK(chdir("/") == 0, "chdir /");
	/* O_TMPFILE: a file with no name, until linkat gives it one */
	fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	CHECK(fd >= 0 && write(fd, "tmp", 3) == 3, "O_TMPFILE");
	{
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		CHECK(linkat(AT_FDCWD, path, AT_FDCWD, "/tmp/named", AT_SYMLINK_FOLLOW) == 0 &&
			  !strcmp(read_file("/tmp/named"), "tmp"),
		      "linkat of an O_TMPFILE file");
	}
	close(fd);
	/* mmap of a written file: a private copy */
	{
		char *m;

		fd = open("/data/b.txt", O_RDWR);
		m = mmap(NULL, 11, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		CHECK(m != MAP_FAILED && !memcmp(m, "hello", 5), "mmap of a written file");
		if (m != MAP_FAILED) {
			m[0] = 'J';
			CHECK(pread(fd, buf, 1, 0) == 1 && buf[0] == 'h',
			      "MAP_PRIVATE leaves the file");
		}
		close(fd);
	}
	/* statfs: a tmpfs */
	{
		struct statfs sf;

		CHECK(statfs("/", &sf) == 0 && sf.f_type == 0x01021994 && sf.f_bfree > 0,
		      "statfs says tmpfs");
	}
	CHECK(open("/proc/nope", O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS,
	      "/proc is read-only");
	printf("overlay basics: %s\n", fails ? "FAILED" : "ok");
}

/* 10,000 create/write/rename/unlink cycles over 8 folders, checked against a
 * model: the tree must hold exactly the files the model says, with their
 * contents, and all the space must come back when they are removed. */
static void overlay_cycles(int cycles)
{
	enum { DIRS = 8, SLOTS = 64 };
	static int model[DIRS][SLOTS]; /* 0: absent, else the writing cycle + 1 */
	struct statfs before, after;
	char path[64], to[64], want[32];
	int files = 0, bad = 0;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;

	CHECK(mkdir("/cyc", 0755) == 0, "mkdir /cyc");
	statfs("/", &before);
	for (int d = 0; d < DIRS; d++) {
		snprintf(path, sizeof(path), "/cyc/d%d", d);
		CHECK(mkdir(path, 0755) == 0, "mkdir %s", path);
	}
	for (int i = 0; i < cycles && !bad; i++) {
		int d, s, d2, s2, fd;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		d = (int)(rng % DIRS);
		s = (int)(rng / DIRS % SLOTS);
		d2 = (int)(rng / DIRS / SLOTS % DIRS);
		s2 = (int)(rng / DIRS / SLOTS / DIRS % SLOTS);
		/* create a new file under a temporary name, then rename it over slot (d, s) */
		snprintf(path, sizeof(path), "/cyc/d%d/tmp.%d", d, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		snprintf(want, sizeof(want), "cycle %d", i);
		bad |= fd < 0 || write(fd, want, strlen(want)) != (ssize_t)strlen(want);
		close(fd);
		snprintf(to, sizeof(to), "/cyc/d%d/f%d", d, s);
		bad |= rename(path, to) != 0;
		model[d][s] = i + 1;
		/* every third cycle: move another slot across folders; every fifth: delete one */
		if (i % 3 == 0 && model[d2][s2]) {
			snprintf(path, sizeof(path), "/cyc/d%d/f%d", d2, s2);
			snprintf(to, sizeof(to), "/cyc/d%d/f%d", (d2 + 1) % DIRS, s2);
			bad |= rename(path, to) != 0;
			model[(d2 + 1) % DIRS][s2] = model[d2][s2];
			model[d2][s2] = 0;
		}
		if (i % 5 == 0 && model[d2][(s2 + 7) % SLOTS]) {
			snprintf(path, sizeof(path), "/cyc/d%d/f%d", d2, (s2 + 7) % SLOTS);
			bad |= unlink(path) != 0;
			model[d2][(s2 + 7) % SLOTS] = 0;
		}
		if (bad)
			printf("FAIL: cycle %d: %s\n", i, strerror(errno));
	}
	/* the tree against the model: every listing and every file's contents */
	for (int d = 0; d < DIRS && !bad; d++) {
		char expect[4096];
		size_t len = 0;
		const char *names[SLOTS];
		int n = 0;
		char buf[SLOTS][16];

		for (int s = 0; s < SLOTS; s++) {
			if (!model[d][s])
				continue;
			snprintf(buf[n], sizeof(buf[n]), "f%d", s);
			names[n] = buf[n];
			n++;
			snprintf(path, sizeof(path), "/cyc/d%d/f%d", d, s);
			snprintf(want, sizeof(want), "cycle %d", model[d][s] - 1);
			if (strcmp(read_file(path) ? read_file(path) : "", want)) {
				printf("FAIL: %s holds '%s', not '%s'\n", path, read_file(path),
				       want);
				bad = 1;
			}
			files++;
		}
		qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
		expect[0] = 0;
		for (int k = 0; k < n; k++)
			len += (size_t)snprintf(expect + len, sizeof(expect) - len, "%s%s",
						k ? " " : "", names[k]);
		snprintf(path, sizeof(path), "/cyc/d%d", d);
		if (strcmp(listing(path), expect)) {
			printf("FAIL: ls %s: '%s', expected '%s'\n", path, listing(path), expect);
			bad = 1;
		}
	}
	printf("cycles: %d cycles leave %d files, listings and contents as expected: %s\n", cycles,
	       files, bad ? "no" : "yes");
	/* remove everything: the overlay's space comes back */
	for (int d = 0; d < DIRS; d++) {
		for (int s = 0; s < SLOTS; s++) {
			if (model[d][s]) {
				snprintf(path, sizeof(path), "/cyc/d%d/f%d", d, s);
				bad |= unlink(path) != 0;
			}
		}
		snprintf(path, sizeof(path), "/cyc/d%d", d);
		bad |= rmdir(path) != 0;
	}
	statfs("/", &after);
	printf("cycles: all removed, free blocks %s (%ld before, %ld after)\n",
	       after.f_bfree == before.f_bfree ? "back" : "LOST", (long)before.f_bfree,
	       (long)after.f_bfree);
	CHECK(!bad, "removing the tree");
}

/* The overlay's limit (this image's unik.json sets 1 MiB) and read-only paths. */
static void overlay_limit(void)
{
	static char block[64 * 1024];
	int fd = open("/tmp/big", O_WRONLY | O_CREAT, 0644);
	long total = 0;
	ssize_t n;

	memset(block, 'x', sizeof(block));
	while ((n = write(fd, block, sizeof(block))) > 0)
		total += n;
	printf("overlay full after %ld KiB: %s\n", total / 1024,
	       n < 0 && errno == ENOSPC ? "ENOSPC" : strerror(errno));
	CHECK(write_file("/tmp/more", "x") < 0 && errno == ENOSPC, "a new file when full");
	printf("full: /proc/self/status still opens: %s\n",
	       read_file("/proc/self/status") ? "yes" : strerror(errno));
	/* a packed file never counted: removing it frees nothing of the overlay */
	CHECK(unlink("/etc/issue") == 0, "unlink a packed file");
	printf("full: after removing a packed file: %s\n",
	       write(fd, block, sizeof(block)) < 0 ? strerror(errno) : "room?");
	close(fd);
	CHECK(unlink("/tmp/big") == 0 && write_file("/tmp/more", "x") == 0,
	      "space back after unlink");
	printf("read-only file: %s\n",
	       open("/etc/motd", O_WRONLY) < 0 ? strerror(errno) : "writable");
	printf("read-only folder: %s\n", open("/etc/conf.d/new", O_WRONLY | O_CREAT, 0644) < 0
					     ? strerror(errno)
					     : "writable");
	printf("read-only unlink: %s\n",
	       unlink("/etc/conf.d/app.conf") < 0 ? strerror(errno) : "removed");
	printf("writable elsewhere: %s\n",
	       write_file("/etc/new", "y") == 0 ? "yes" : strerror(errno));
	printf("settings file hidden: %s\n", access("/.unik", F_OK) < 0 ? "yes" : "no");
}

/* --- /proc and /dev ---------------------------------------------------------- */

static void proc_test(void)
{
	char buf[512], path[64];
	const char *s;
	int fd = open("/etc/motd", O_RDONLY);
	ssize_t n;

	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("exe: %s\n", buf);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("fd link: %s\n", buf);
	s = read_file(path);
	printf("fd open: %s", s ? s : "(failed)\n");
	printf("fd listing has 0 1 2: %s\n",
	       !strncmp(listing("/proc/self/fd"), "0 1 2", 5) ? "yes" : "no");
	n = readlink("/proc/self/fd/1", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("stdout link: %s\n", buf);
	s = read_file("/proc/self/maps");
	printf("maps: stack %s, heap %s, program %s\n", strstr(s, "[stack]") ? "yes" : "no",
	       strstr(s, "[heap]") ? "yes" : "no", strstr(s, "r-xp") ? "yes" : "no");
	prctl(PR_SET_NAME, "worker-1");
	s = read_file("/proc/self/status");
	printf("status name: %s\n", strstr(s, "Name:\tworker-1\n") ? "worker-1" : s);
	s = read_file("/proc/meminfo");
	printf("meminfo: %s\n", s && !strncmp(s, "MemTotal:", 9) ? "MemTotal" : "?");
	s = read_file("/proc/cpuinfo");
	printf("cpuinfo: %s\n", s && strstr(s, "processor\t: 0") ? "processor 0" : "?");
	s = read_file("/proc/self/cmdline");
	if (s)
		printf("cmdline: %s %s\n", s, s + strlen(s) + 1);
	chdir("/etc");
	n = readlink("/proc/self/cwd", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("cwd link: %s\n", buf);
	printf("sys cpu online: %s", read_file("/sys/devices/system/cpu/online"));
	printf("proc write: %s\n",
	       write_file("/proc/self/status", "x") < 0 ? strerror(errno) : "allowed");
	close(fd);
}

static void dev_test(void)
{
	char buf[32];
	unsigned char r[16] = { 0 };
	int fd, z = 0;
	void *m;

	fd = open("/dev/null", O_RDWR);
	printf("null: write %ld, read %ld\n", (long)write(fd, "abc", 3), (long)read(fd, buf, 3));
	close(fd);
	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 1, sizeof(buf));
	read(fd, buf, sizeof(buf));
	for (int i = 0; i < (int)sizeof(buf); i++)
		z += buf[i] == 0;
	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	printf("zero: %d zero bytes, mmap %s\n", z,
	       m != MAP_FAILED && !((char *)m)[100] ? "zeroed" : "failed");
	close(fd);
	fd = open("/dev/urandom", O_RDONLY);
	read(fd, r, sizeof(r));
	z = 0;
	for (int i = 0; i < 16; i++)
		z += r[i] != 0;
	printf("urandom: %s\n", z > 8 ? "random" : "zeros?");
	close(fd);
	fd = open("/dev/full", O_WRONLY);
	printf("full: %s\n", write(fd, "x", 1) < 0 ? strerror(errno) : "written");
	close(fd);
	fd = open("/dev/stdout", O_WRONLY);
	write(fd, "via /dev/stdout\n", 16);
	close(fd);
	printf("random is a char device: %s\n",
	       (fd = open("/dev/random", O_RDONLY)) >= 0 && read(fd, buf, 4) == 4 ? "yes" : "no");
}

/* --- pipes ------------------------------------------------------------------- */

static void pipe_test(void)
{
	static char big[200000];
	int p[2], n;
	char buf[64];
	struct pollfd pf;
	struct stat st;
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep;
	ssize_t got;

	CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe2");
	CHECK(fcntl(p[0], F_GETFD) == FD_CLOEXEC, "O_CLOEXEC");
	CHECK(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode), "a FIFO");
	pf = (struct pollfd){ .fd = p[0], .events = POLLIN };
	CHECK(poll(&pf, 1, 0) == 0, "empty: not readable");
	CHECK(write(p[1], "hello", 5) == 5, "write");
	CHECK(poll(&pf, 1, 0) == 1 && pf.revents == POLLIN, "readable after a write");
	CHECK(ioctl(p[0], FIONREAD, &n) == 0 && n == 5, "FIONREAD");
	ep = epoll_create1(0);
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0 && epoll_wait(ep, &out, 1, 0) == 1,
	      "epoll on a pipe");
	got = read(p[0], buf, sizeof(buf));
	printf("pipe read: %ld '%.*s'\n", (long)got, (int)(got > 0 ? got : 0), buf);
	CHECK(epoll_wait(ep, &out, 1, 0) == 0, "epoll: drained");
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	printf("empty non-blocking read: %s\n",
	       read(p[0], buf, 1) < 0 && errno == EAGAIN ? "EAGAIN" : "?");
	printf("pipe size: %d\n", fcntl(p[1], F_GETPIPE_SZ));
	CHECK(fcntl(p[1], F_SETPIPE_SZ, 1 << 20) == 1 << 20, "F_SETPIPE_SZ 1 MiB");
	/* a big non-blocking write fills the pipe and stops */
	fcntl(p[1], F_SETPIPE_SZ, 65536);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	got = write(p[1], big, sizeof(big));
	printf("big non-blocking write: %ld of %ld\n", (long)got, (long)sizeof(big));
	CHECK(write(p[1], "x", 1) < 0 && errno == EAGAIN, "full: EAGAIN");
	while (read(p[0], big, sizeof(big)) > 0)
		;
	close(p[1]);
	pf.events = POLLIN;
	CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP), "POLLHUP once the writer is gone");
	printf("read after the writer closed: %ld\n", (long)read(p[0], buf, 1));
	close(p[0]);
	/* no reader: EPIPE (SIGPIPE ignored) */
	CHECK(pipe(p) == 0, "pipe");
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	printf("write without a reader: %s\n",
	       write(p[1], "x", 1) < 0 ? strerror(errno) : "written");
	close(p[1]);
	close(ep);
	printf("pipes: %s\n", fails ? "FAILED" : "ok");
}

/* --- AF_UNIX ------------------------------------------------------------------ */

static void unix_test(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX }, got_a;
	socklen_t len;
	char buf[256];
	int sv[2], l, c, s;
	struct stat st;
	struct ucred cred;
	struct pollfd pf;
	struct iovec iov[2];
	struct msghdr mh = { 0 };

	/* socketpair, stream */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	CHECK(write(sv[0], "ping", 4) == 4 && read(sv[1], buf, sizeof(buf)) == 4, "stream one way");
	CHECK(send(sv[1], "pong!", 5, 0) == 5 && recv(sv[0], buf, 2, MSG_PEEK) == 2 &&
		  recv(sv[0], buf, sizeof(buf), 0) == 5 && !memcmp(buf, "pong!", 5),
	      "stream back, with MSG_PEEK");
	CHECK(shutdown(sv[0], SHUT_WR) == 0 && read(sv[1], buf, 1) == 0, "shutdown: EOF");
	close(sv[1]);
	CHECK(send(sv[0], "x", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE, "peer closed: EPIPE");
	close(sv[0]);
	/* socketpair, datagrams keep their boundaries */
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair dgram");
	send(sv[0], "one", 3, 0);
	send(sv[0], "second", 6, 0);
	CHECK(recv(sv[1], buf, sizeof(buf), 0) == 3, "first datagram");
	CHECK(recv(sv[1], buf, 2, MSG_TRUNC) == 6, "MSG_TRUNC gives the real length");
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	CHECK(recv(sv[1], buf, 1, 0) < 0 && errno == EAGAIN, "empty: EAGAIN");
	close(sv[0]);
	close(sv[1]);
	/* a listening socket on a path */
	snprintf(a.sun_path, sizeof(a.sun_path), "/tmp/srv.sock");
	l = usock(SOCK_STREAM | SOCK_NONBLOCK);
	CHECK(bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 8) == 0, "bind+listen");
	CHECK(stat("/tmp/srv.sock", &st) == 0 && S_ISSOCK(st.st_mode), "the socket file");
	CHECK(accept(l, NULL, NULL) < 0 && errno == EAGAIN, "accept: EAGAIN");
	c = usock(SOCK_STREAM);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0, "connect");
	pf = (struct pollfd){ .fd = l, .events = POLLIN };
	CHECK(poll(&pf, 1, 0) == 1, "the listener is readable");
	len = sizeof(got_a);
	s = accept4(l, (struct sockaddr *)&got_a, &len, SOCK_CLOEXEC);
	CHECK(s >= 0 && len == sizeof(sa_family_t), "accept4 (the client has no name)");
	len = sizeof(got_a);
	CHECK(getpeername(c, (struct sockaddr *)&got_a, &len) == 0 &&
		  !strcmp(got_a.sun_path, "/tmp/srv.sock"),
	      "getpeername");
	len = sizeof(cred);
	CHECK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid == 1,
	      "SO_PEERCRED");
	iov[0] = (struct iovec){ "hel", 3 };
	iov[1] = (struct iovec){ "lo", 2 };
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	CHECK(sendmsg(c, &mh, 0) == 5 && read(s, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5),
	      "sendmsg with two pieces");
	close(c);
	printf("read after the client closed: %ld\n", (long)read(s, buf, 1));
	close(s);
	close(l);
	c = usock(SOCK_STREAM);
	printf("connect after the listener closed: %s\n",
	       connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 ? strerror(errno) : "connected");
	close(c);
	l = usock(SOCK_STREAM);
	printf("bind to the old path: %s\n",
	       bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ? strerror(errno) : "bound");
	close(l);
	/* abstract names, datagrams by address, seqpacket */
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, "\0abstract", 9);
	l = usock(SOCK_DGRAM);
	CHECK(bind(l, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 9) == 0,
	      "bind an abstract name");
	c = usock(SOCK_DGRAM);
	CHECK(sendto(c, "dgram", 5, 0, (struct sockaddr *)&a,
		     offsetof(struct sockaddr_un, sun_path) + 9) == 5 &&
		  recv(l, buf, sizeof(buf), 0) == 5,
	      "sendto an abstract name");
	close(c);
	close(l);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0 && send(sv[0], "rec", 3, 0) == 3 &&
		  send(sv[0], "ord", 3, 0) == 3 && recv(sv[1], buf, sizeof(buf), 0) == 3,
	      "seqpacket");
	close(sv[0]);
	CHECK(recv(sv[1], buf, sizeof(buf), 0) == 3 && recv(sv[1], buf, sizeof(buf), 0) == 0,
	      "seqpacket: EOF after the last record");
	close(sv[1]);
	printf("unix sockets: %s\n", fails ? "FAILED" : "ok");
}

/* --- timerfd, sendfile ------------------------------------------------------------ */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void timerfd_test(void)
{
	struct itimerspec its = { { 0, 20000000 }, { 0, 50000000 } }, cur;
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), ep = epoll_create1(0);
	long long t0 = now_ms(), waited;
	uint64_t exp = 0;

	CHECK(t >= 0 && timerfd_settime(t, 0, &its, NULL) == 0, "timerfd_settime");
	CHECK(read(t, &exp, 8) < 0 && errno == EAGAIN, "not yet expired: EAGAIN");
	epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev);
	/* no timeout: only the timer can end this wait */
	CHECK(epoll_wait(ep, &out, 1, -1) == 1, "epoll_wait(-1) on a timerfd");
	waited = now_ms() - t0;
	printf("timerfd: epoll_wait ended after %lld ms\n", waited);
	CHECK(read(t, &exp, 8) == 8 && exp >= 1, "read the expirations");
	fcntl(t, F_SETFL, 0);
	t0 = now_ms();
	CHECK(read(t, &exp, 8) == 8 && exp >= 1, "a blocking read waits for the interval");
	printf("timerfd: interval read after %lld ms\n", now_ms() - t0);
	CHECK(timerfd_gettime(t, &cur) == 0 && cur.it_interval.tv_nsec == 20000000, "gettime");
	memset(&its, 0, sizeof(its));
	CHECK(timerfd_settime(t, 0, &its, NULL) == 0 && timerfd_gettime(t, &cur) == 0 &&
		  !cur.it_value.tv_sec && !cur.it_value.tv_nsec,
	      "disarm");
	close(t);
	close(ep);
	printf("timerfd: %s\n", fails ? "FAILED" : "ok");
}

static void sendfile_test(void)
{
	static char data[100000], back[100000];
	int fd = open("/tmp/src", O_RDWR | O_CREAT | O_TRUNC, 0644), sv[2], out;
	off_t off = 1000;
	ssize_t n, got = 0, r;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + i / 251);
	CHECK(write(fd, data, sizeof(data)) == sizeof(data), "write the source");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	n = sendfile(sv[0], fd, &off, sizeof(data));
	while (got < n && (r = read(sv[1], back + got, (size_t)(n - got))) > 0)
		got += r;
	printf("sendfile to a socket: %ld bytes, offset now %ld, %s\n", (long)n, (long)off,
	       got == n && !memcmp(back, data + 1000, (size_t)n) ? "same bytes" : "DIFFERENT");
	out = open("/tmp/copy", O_RDWR | O_CREAT | O_TRUNC, 0644);
	lseek(fd, 0, SEEK_SET);
	n = sendfile(out, fd, NULL, sizeof(data));
	printf("sendfile to a file: %ld bytes, position %ld, %s\n", (long)n,
	       (long)lseek(fd, 0, SEEK_CUR),
	       pread(out, back, sizeof(back), 0) == sizeof(data) &&
		       !memcmp(back, data, sizeof(data))
		   ? "same bytes"
		   : "DIFFERENT");
	{
		off_t in_off = 10, out_off = 0;
		int c2 = open("/tmp/copy2", O_RDWR | O_CREAT | O_TRUNC, 0644);

		n = copy_file_range(fd, &in_off, c2, &out_off, 500, 0);
		printf("copy_file_range: %ld bytes, %s\n", (long)n,
		       pread(c2, back, 500, 0) == 500 && !memcmp(back, data + 10, 500)
			   ? "same bytes"
			   : "DIFFERENT");
		close(c2);
	}
	close(out);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/* --- the process ---------------------------------------------------------------------- */

static void ident_test(void)
{
	gid_t groups[4] = { 33 };
	uid_t r, e, s;
	mode_t m1, m2;
	int sid = (int)setsid(), gsid = (int)getsid(0), pg = setpgid(0, 0);

	printf("setsid: %d, getsid: %d, setpgid: %d, getpgid: %d\n", sid, gsid, pg,
	       (int)getpgid(0));
	m1 = umask(027);
	m2 = umask(022);
	printf("umask: %03o then %03o\n", (unsigned)m1, (unsigned)m2);
	CHECK(setgroups(1, groups) == 0 && getgroups(4, groups) == 1 && groups[0] == 33,
	      "setgroups");
	CHECK(setgid(33) == 0 && getgid() == 33 && getegid() == 33, "setgid");
	CHECK(seteuid(65534) == 0 && geteuid() == 65534 && getuid() == 0, "seteuid");
	CHECK(seteuid(0) == 0 && geteuid() == 0, "back to root (saved uid 0)");
	CHECK(setuid(65534) == 0 && getuid() == 65534 && geteuid() == 65534, "setuid");
	getresuid(&r, &e, &s);
	printf("after setuid(65534): %u %u %u\n", r, e, s);
	printf("setuid(0) again: %s\n", setuid(0) < 0 ? strerror(errno) : "allowed");
	printf("setgroups as nobody: %s\n", setgroups(0, NULL) < 0 ? strerror(errno) : "allowed");
	printf("files still writable: %s\n", write_file("/tmp/as-nobody", "x") == 0 ? "yes" : "no");
	{
		struct stat st;

		stat("/tmp/as-nobody", &st);
		printf("new file owner: %u:%u\n", st.st_uid, st.st_gid);
	}
	printf("identity: %s\n", fails ? "FAILED" : "ok");
}

static void limits_test(void)
{
	struct rlimit rl;
	struct utsname u;
	struct sysinfo si;
	char name[16] = { 0 };

	getrlimit(RLIMIT_NOFILE, &rl);
	printf("nofile: %ld %ld\n", (long)rl.rlim_cur, (long)rl.rlim_max);
	rl.rlim_cur = 100;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "lower the soft limit");
	getrlimit(RLIMIT_NOFILE, &rl);
	printf("nofile now: %ld\n", (long)rl.rlim_cur);
	rl.rlim_max = rl.rlim_cur = 1 << 20;
	printf("raise above the hard limit: %s\n",
	       setrlimit(RLIMIT_NOFILE, &rl) < 0 ? strerror(errno) : "allowed");
	CHECK(prlimit(0, RLIMIT_CORE, NULL, &rl) == 0, "prlimit");
	uname(&u);
	printf("uname: %s %s %s\n", u.sysname, u.release, u.machine);
	CHECK(sysinfo(&si) == 0 && si.totalram > 0 && si.freeram > 0 && si.procs == 1, "sysinfo");
	CHECK(prctl(PR_SET_NAME, "short-name") == 0 && prctl(PR_GET_NAME, name) == 0 &&
		  !strcmp(name, "short-name"),
	      "PR_SET_NAME");
	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
		  prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1,
	      "no_new_privs");
	CHECK(prctl(PR_SET_PDEATHSIG, SIGTERM) == 0, "PR_SET_PDEATHSIG");
	CHECK(prctl(PR_SET_DUMPABLE, 0) == 0 && prctl(PR_GET_DUMPABLE) == 0, "dumpable");
	CHECK(prctl(PR_CAPBSET_READ, 0) == 1, "PR_CAPBSET_READ");
	printf("limits: %s\n", fails ? "FAILED" : "ok");
}

static void fork_test(void)
{
	pid_t p = fork();
	char *args[] = { "/bin/true", NULL };

	printf("fork: %d %s\n", (int)p, p < 0 && errno == ENOSYS ? "ENOSYS" : "?");
	p = fork();
	printf("fork again: %d\n", (int)p);
	printf("execve: %s\n",
	       execve("/bin/true", args, args + 1) < 0 && errno == ENOSYS ? "ENOSYS" : "?");
}

/* A read that nothing can ever satisfy (one thread, no network). */
static void pipe_block(void)
{
	int p[2];
	char c;

	pipe(p);
	printf("reading an empty pipe\n");
	fflush(stdout);
	read(p[0], &c, 1);
	printf("read returned?\n");
}

static void sigpipe_default(void)
{
	int p[2];

	pipe(p);
	close(p[0]);
	printf("writing to a pipe without a reader\n");
	fflush(stdout);
	write(p[1], "x", 1);
	printf("still here?\n");
}

int rt_fs_main(const char *mode, int argc, char **argv, int *status)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} modes[] = {
		{ "overlay", overlay_basics },	{ "limit", overlay_limit },
		{ "proc", proc_test },		{ "dev", dev_test },
		{ "pipes", pipe_test },		{ "unix", unix_test },
		{ "timerfd", timerfd_test },	{ "sendfile", sendfile_test },
		{ "ident", ident_test },	{ "limits", limits_test },
		{ "fork", fork_test },		{ "pipeblock", pipe_block },
		{ "sigpipe", sigpipe_default },
	};

	if (!strcmp(mode, "cycles")) {
		overlay_cycles(argc > 2 ? (int)strtol(argv[2], NULL, 10) : 10000);
		*status = fails ? 1 : 0;
		return 1;
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!strcmp(mode, modes[i].name)) {
			modes[i].fn();
			*status = fails ? 1 : 0;
			return 1;
		}
	}
	return rt_net_main ? rt_net_main(mode, argc, argv, status) : 0;
}
