/* rt_fs.c - rtest modes for the file system: the writable overlay, its
 * limits, /proc and /dev (rt_ipc.c has pipes, sockets and the process).
 * Each mode prints lines that tests/runtime/cases-fs.sh checks; "FAIL: ..."
 * lines name what went wrong. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rt_common.h"

int rt_fs_main(const char *mode, int argc, char **argv, int *status);
/* rtest2/rt_net.c, in the second image only. */
int rt_net_main(const char *mode, int argc, char **argv, int *status) __attribute__((weak));

int rt_fails;

int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

const char *read_file(const char *path)
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
	printf("overlay basics: %s\n", rt_fails ? "FAILED" : "ok");
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

/* The root's default entries and /dev's nodes are made the first time they
 * are needed: `first` is the first thing this boot does with them. */
static void lazy_test(const char *first)
{
	struct stat st;
	int fd, dirs = 0;

	if (!strcmp(first, "rmdir")) {
		printf("lazy: rmdir /dev first: %s\n",
		       rmdir("/dev") < 0 ? strerror(errno) : "removed");
	} else if (!strcmp(first, "rename")) {
		printf("lazy: rename /tmp over /dev first: %s\n",
		       rename("/tmp", "/dev") < 0 ? strerror(errno) : "renamed");
	} else if (!strcmp(first, "create")) {
		fd = open("/dev/mine", O_CREAT | O_WRONLY | O_EXCL, 0644);
		printf("lazy: create /dev/mine first: %s\n", fd >= 0 ? "made" : strerror(errno));
		close(fd);
	} else if (!strcmp(first, "unlink")) {
		printf("lazy: unlink /dev/null first: %s\n",
		       unlink("/dev/null") < 0 ? strerror(errno) : "removed");
		printf("lazy: /dev/null after: %s\n",
		       open("/dev/null", O_RDONLY) < 0 ? strerror(errno) : "still there");
		fd = open("/dev/null", O_CREAT | O_EXCL | O_WRONLY, 0644);
		printf("lazy: a new /dev/null: %s\n",
		       fd >= 0 && !fstat(fd, &st) && S_ISREG(st.st_mode) ? "a regular file" : "?");
		close(fd);
	} else if (!strcmp(first, "stat")) {
		DIR *d;
		struct dirent *e;
		int links = stat("/", &st) ? -1 : (int)st.st_nlink;

		d = opendir("/");
		while (d && (e = readdir(d))) {
			char path[300];
			struct stat s;

			snprintf(path, sizeof(path), "/%s", e->d_name);
			dirs += strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
				!lstat(path, &s) && S_ISDIR(s.st_mode);
		}
		if (d)
			closedir(d);
		printf("lazy: stat / first: %d links for %d folders\n", links, dirs);
	}
	printf("lazy: ls /: %s\n", listing("/"));
	printf("lazy: ls /dev: %s\n", listing("/dev"));
	printf("lazy: /etc/passwd: %s\n", read_file("/etc/passwd") ? "there" : strerror(errno));
}

/* chroot: a folder becomes "/" for every path from then on. */
static void chroot_test(void)
{
	char buf[256];

	CHECK(mkdir("/jail", 0755) == 0 && mkdir("/jail/etc", 0755) == 0 &&
		  write_file("/jail/etc/motd", "in the jail\n") == 0,
	      "make the jail");
	CHECK(chdir("/etc") == 0 && chroot("/jail") == 0, "chroot");
	printf("chroot: cwd outside the jail: %s\n",
	       getcwd(buf, sizeof(buf)) ? buf : strerror(errno));
	CHECK(chdir("/") == 0 && getcwd(buf, sizeof(buf)) && !strcmp(buf, "/"),
	      "chdir / in the jail");
	printf("chroot: /etc/motd: %s",
	       read_file("/etc/motd") ? read_file("/etc/motd") : "(none)\n");
	printf("chroot: /.. is /: %s\n", read_file("/../etc/motd") ? "yes" : "no");
	printf("chroot: /etc/passwd: %s\n", read_file("/etc/passwd") ? "visible" : strerror(errno));
	CHECK(setuid(65534) == 0, "setuid");
	printf("chroot as nobody: %s\n", chroot("/") < 0 ? strerror(errno) : "allowed");
	printf("chroot: %s\n", rt_fails ? "FAILED" : "ok");
}

int rt_fs_main(const char *mode, int argc, char **argv, int *status)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} modes[] = {
		{ "overlay", overlay_basics }, { "limit", overlay_limit }, { "proc", proc_test },
		{ "dev", dev_test },	       { "chroot", chroot_test },
	};

	if (!strcmp(mode, "lazy")) {
		lazy_test(argc > 2 ? argv[2] : "");
		*status = rt_fails ? 1 : 0;
		return 1;
	}
	if (!strcmp(mode, "cycles")) {
		overlay_cycles(argc > 2 ? (int)strtol(argv[2], NULL, 10) : 10000);
		*status = rt_fails ? 1 : 0;
		return 1;
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!strcmp(mode, modes[i].name)) {
			modes[i].fn();
			*status = rt_fails ? 1 : 0;
			return 1;
		}
	}
	if (rt_ipc_main(mode, argc, argv, status))
		return 1;
	return rt_net_main ? rt_net_main(mode, argc, argv, status) : 0;
}
