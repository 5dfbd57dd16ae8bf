/* rt_ipc.c - rtest modes for pipes, AF_UNIX sockets, timerfd, sendfile and
 * the process surface (identity, limits, prctl, fork).  Each mode prints
 * lines that tests/runtime/cases-fs.sh checks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "rt_common.h"

/* socket(AF_UNIX, type, 0) as a raw call: musl's socket() would link the
 * network stack into the image, and AF_UNIX must work without it. */
static int usock(int type)
{
	return (int)syscall(SYS_socket, AF_UNIX, type, 0);
}

/* --- pipes ------------------------------------------------------------------- */

/* EPOLLET as Go's netpoller uses it: an event is reported once, not again
 * while it stays true, and anew after the program used the descriptor
 * (the read that got EAGAIN); more registrations than a small table holds. */
static void epoll_et_test(void)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET }, out[4];
	int p[2], ep = epoll_create1(EPOLL_CLOEXEC), n = 0, found, e, efd[300];
	uint64_t one = 1;
	char c;

	CHECK(pipe2(p, O_NONBLOCK) == 0 && ep >= 0, "pipe2, epoll_create1");
	ev.data.u32 = 1;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0, "EPOLLET on the read end");
	ev.data.u32 = 2;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev) == 0, "EPOLLET on the write end");
	CHECK(epoll_wait(ep, out, 4, 0) == 1 && out[0].data.u32 == 2 && out[0].events == EPOLLOUT,
	      "ET: the write end is writable");
	CHECK(epoll_wait(ep, out, 4, 0) == 0, "ET: writable is reported once");
	CHECK(write(p[1], "ab", 2) == 2, "write");
	n = epoll_wait(ep, out, 4, 0);
	found = 0;
	for (int i = 0; i < n; i++)
		found |= out[i].data.u32 == 1 && out[i].events == EPOLLIN;
	CHECK(found, "ET: the write makes the read end readable (%d events)", n);
	CHECK(epoll_wait(ep, out, 4, 0) == 0, "ET: readable is reported once");
	CHECK(read(p[0], &c, 1) == 1 && read(p[0], &c, 1) == 1 && read(p[0], &c, 1) < 0 &&
		  errno == EAGAIN,
	      "read to EAGAIN");
	CHECK(epoll_wait(ep, out, 4, 0) == 0 || out[0].data.u32 == 2,
	      "ET: the read end is not reported when empty");
	CHECK(write(p[1], "c", 1) == 1 && epoll_wait(ep, out, 4, 0) >= 1, "ET: new data is news");
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u32 = 1;
	CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0 && epoll_wait(ep, out, 4, 0) >= 1,
	      "ET: EPOLL_CTL_MOD reports anew");
	close(p[1]);
	CHECK(read(p[0], &c, 1) == 1 && epoll_wait(ep, out, 4, 0) == 1 && out[0].data.u32 == 1 &&
		  (out[0].events & EPOLLHUP),
	      "ET: the writer's close is news");
	close(p[0]);
	/* more registrations than one 4 KiB block holds (128): 300 descriptors
	 * of one eventfd; closing all but the last drops theirs */
	e = eventfd(0, EFD_NONBLOCK);
	ev.events = EPOLLIN;
	for (n = 0; n < 300; n++) {
		efd[n] = dup(e);
		ev.data.u32 = (uint32_t)n;
		if (efd[n] < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd[n], &ev) < 0)
			break;
	}
	CHECK(n == 300, "300 registrations (%d)", n);
	CHECK(write(e, &one, 8) == 8 && epoll_wait(ep, out, 4, 0) == 4, "300 ready, 4 taken");
	while (n-- > 0)
		if (n != 299)
			close(efd[n]);
	CHECK(epoll_wait(ep, out, 4, 0) == 1 && out[0].data.u32 == 299,
	      "closed descriptors leave the set, the 300th reports");
	close(efd[299]);
	close(e);
	close(ep);
	printf("epoll edge-triggered: %s\n", rt_fails ? "FAILED" : "ok");
}

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
	epoll_et_test();
	printf("pipes: %s\n", rt_fails ? "FAILED" : "ok");
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
	printf("unix sockets: %s\n", rt_fails ? "FAILED" : "ok");
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
	printf("timerfd: %s\n", rt_fails ? "FAILED" : "ok");
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
	printf("identity: %s\n", rt_fails ? "FAILED" : "ok");
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
	printf("limits: %s\n", rt_fails ? "FAILED" : "ok");
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

int rt_ipc_main(const char *mode, int argc, char **argv, int *status)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} modes[] = {
		{ "pipes", pipe_test },		{ "unix", unix_test },
		{ "timerfd", timerfd_test },	{ "sendfile", sendfile_test },
		{ "ident", ident_test },	{ "limits", limits_test },
		{ "fork", fork_test },		{ "pipeblock", pipe_block },
		{ "sigpipe", sigpipe_default },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!strcmp(mode, modes[i].name)) {
			modes[i].fn();
			*status = rt_fails ? 1 : 0;
			return 1;
		}
	}
	return 0;
}
