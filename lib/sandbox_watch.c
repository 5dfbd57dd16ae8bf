/* sandbox_watch.c - measuring a running build: its processes in /proc and
 * the size of its folder. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fstree.h"
#include "sandbox_int.h"

#define ENTRY_MIN_BYTES 4096 /* an inode and a block, even for an empty file */

/* Reads /proc/<name>/<file> (relative to the open /proc) into buf. */
static ssize_t proc_read(int procfd, const char *name, const char *file, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", name, file);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* The pid namespace inode of process `name`, or 0. */
static unsigned long long proc_pidns(int procfd, const char *name)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/ns/pid", name);
	n = readlinkat(procfd, path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return strncmp(link, "pid:[", 5) ? 0 : strtoull(link + 5, NULL, 10);
}

/* Fields of /proc/<pid>/stat that we need. */
struct proc_stat {
	int session;
	unsigned long long utime, stime;
	long long cutime, cstime;
	long threads;
};

static int proc_stat_read(int procfd, const char *name, struct proc_stat *ps)
{
	char buf[1024];
	const char *p;

	if (proc_read(procfd, name, "stat", buf, sizeof(buf)) <= 0)
		return -1;
	p = strrchr(buf, ')'); /* the command name may hold anything */
	if (!p)
		return -1;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	 * utime stime cutime cstime priority nice num_threads */
	if (sscanf(p + 1,
		   " %*c %*d %*d %d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld %*d %*d %ld",
		   &ps->session, &ps->utime, &ps->stime, &ps->cutime, &ps->cstime,
		   &ps->threads) != 6)
		return -1;
	return 0;
}

static int is_pid(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

int sandbox_scan(unsigned long long pidns, pid_t sid, struct sandbox_usage *u)
{
	long tick = sysconf(_SC_CLK_TCK);
	long long ticks = 0;
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	DIR *d;

	memset(u, 0, sizeof(*u));
	d = procfd >= 0 ? fdopendir(dup(procfd)) : NULL;
	if (!d) {
		if (procfd >= 0)
			close(procfd);
		return -1;
	}
	while ((e = readdir(d))) {
		struct proc_stat ps;

		if (!is_pid(e->d_name))
			continue;
		if (pidns && proc_pidns(procfd, e->d_name) != pidns)
			continue;
		if (proc_stat_read(procfd, e->d_name, &ps) < 0)
			continue; /* gone meanwhile */
		if (!pidns && ps.session != sid)
			continue;
		ticks += (long long)(ps.utime + ps.stime) + ps.cutime + ps.cstime;
		u->tasks += ps.threads > 0 ? ps.threads : 1;
	}
	closedir(d);
	close(procfd);
	u->cpu_ms = tick > 0 ? ticks * 1000 / tick : 0;
	return 0;
}

long long sandbox_user_tasks(uid_t uid)
{
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long long n = 0;
	struct dirent *e;
	DIR *d;

	d = procfd >= 0 ? fdopendir(dup(procfd)) : NULL;
	if (!d) {
		if (procfd >= 0)
			close(procfd);
		return 0;
	}
	while ((e = readdir(d))) {
		struct proc_stat ps;
		struct stat st;

		if (!is_pid(e->d_name) || fstatat(procfd, e->d_name, &st, 0) < 0 ||
		    st.st_uid != uid || proc_stat_read(procfd, e->d_name, &ps) < 0)
			continue;
		n += ps.threads > 0 ? ps.threads : 1;
	}
	closedir(d);
	close(procfd);
	return n;
}

/* A folder the build closed to its owner (us, when unikd is not root)
 * would hide what is in it: give the owner its rights back, through an
 * O_PATH descriptor so that a link swapped in meanwhile is not followed. */
static void reopen_dir(int dirfd, const char *name, const struct stat *st)
{
	int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char path[64];

	if (fd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (chmod(path, (st->st_mode & 07777) | 0700) < 0) {
		/* then the walk skips it */
	}
	close(fd);
}

struct usage_walk {
	long long bytes;
	long long uid, gid;
};

static int usage_entry(void *ctx, int dirfd, const char *name, const struct stat *st,
		       struct unik_err *err)
{
	struct usage_walk *w = ctx;
	long long b = (long long)st->st_blocks * 512;

	w->bytes += b > ENTRY_MIN_BYTES ? b : ENTRY_MIN_BYTES;
	if (S_ISDIR(st->st_mode) && st->st_uid == geteuid() && (st->st_mode & 0700) != 0700)
		reopen_dir(dirfd, name, st);
	/* only what is not the build user's yet, and never a file with another
	 * name elsewhere (a hard link must not hand over a file outside) */
	if (w->uid >= 0 && st->st_uid != (uid_t)w->uid &&
	    (S_ISDIR(st->st_mode) || st->st_nlink == 1) &&
	    fchownat(dirfd, name, (uid_t)w->uid, (gid_t)w->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot change the owner of %s: %s", name,
				    strerror(errno));
	return 0;
}

int sandbox_tree_usage(int fd, long long chown_uid, long long chown_gid, long long *bytes,
		       struct unik_err *err)
{
	struct usage_walk w = { 0, chown_uid, chown_gid };

	if (fstree_walk(fd, usage_entry, &w, err) < 0)
		return -1;
	*bytes = w.bytes;
	return 0;
}
