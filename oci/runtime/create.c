/* create.c - `create` and `start`.
 *
 * create forks the container's process, which joins the container's network
 * namespace, reports to create over a pipe that it is ready, and blocks
 * opening <root>/<id>/exec.fifo for writing.  create records it (pid and
 * start time), runs the prestart and createRuntime hooks, writes --pid-file
 * and exits: the process is reparented to the caller's subreaper (the
 * containerd shim), which waits for it.  start opens the fifo for reading,
 * takes the byte the process writes, and removes the fifo; the process then
 * execs the monitor (the same pid: the one containerd waits for, whose exit
 * status is the program's).  Its stdio is create's (the container's), or
 * the terminal sent to --console-socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/safeopen.h"
#include "../../lib/xalloc.h"
#include "rt.h"

#define START_TIMEOUT_MS 10000

struct create_opts {
	const char *bundle, *pid_file, *console_socket, *id;
};

static int parse_create(int argc, char **argv, struct create_opts *o)
{
	o->bundle = ".";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;

		if (!strcmp(a, "--bundle") || !strcmp(a, "-b"))
			val = &o->bundle;
		else if (!strcmp(a, "--pid-file"))
			val = &o->pid_file;
		else if (!strcmp(a, "--console-socket"))
			val = &o->console_socket;
		else if (!strcmp(a, "--preserve-fds")) {
			if (++i >= argc)
				return -1;
			continue;
		} else if (!strcmp(a, "--no-pivot") || !strcmp(a, "--no-new-keyring"))
			continue;
		else if (!strncmp(a, "--bundle=", 9))
			o->bundle = a + 9;
		else if (!strncmp(a, "--pid-file=", 11))
			o->pid_file = a + 11;
		else if (!strncmp(a, "--console-socket=", 17))
			o->console_socket = a + 17;
		else if (!strncmp(a, "--preserve-fds=", 15))
			continue;
		else if (a[0] == '-')
			return -1;
		else if (!o->id)
			o->id = a;
		else
			return -1;
		if (val) {
			if (++i >= argc)
				return -1;
			*val = argv[i];
		}
	}
	return o->id ? 0 : -1;
}

/* Sends the terminal's master end to the console socket (SCM_RIGHTS), as
 * runc does for process.terminal; returns the slave fd. */
static int send_terminal(const char *sock_path, struct unik_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { 0 };
	struct cmsghdr *c;
	char name[128];
	struct iovec iov;
	int master, slave, s;

	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return unik_err_set(err, UNIK_E_INVALID, "console socket path too long");
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) || unlockpt(master) ||
	    ptsname_r(master, name, sizeof(name))) {
		if (master >= 0)
			close(master);
		return unik_err_set(err, UNIK_E_INTERNAL, "pty: %s", strerror(errno));
	}
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (slave < 0 || s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "console socket %s: %s", sock_path,
			     strerror(errno));
		goto fail;
	}
	iov = (struct iovec){ name, strlen(name) };
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	if (sendmsg(s, &msg, 0) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "console socket %s: send: %s", sock_path,
			     strerror(errno));
		goto fail;
	}
	close(s);
	close(master);
	return slave;
fail:
	if (s >= 0)
		close(s);
	if (slave >= 0)
		close(slave);
	close(master);
	return -1;
}

/* What the container's process execs. */
struct launch {
	const struct rt_ctx *ctx;
	const char *id;
	const struct rt_bundle *b;
	const struct rt_image *img;
	const char *provider;
	int kernel_fd;
	struct strv *margv; /* without the network */
};

/* After start: the network, then the monitor.  Never returns. */
static void launch(const struct launch *l)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strv argv = STRV_INIT;
	struct rt_net net;
	char why[512];
	char **v = l->margv->v;
	int r = rt_net_setup(l->ctx, l->b, &net, why, sizeof(why));

	if (r < 0) {
		dprintf(2, "unik-runtime: %s\n", why);
		_exit(1);
	}
	if (r > 0) {
		if (rt_monitor_argv(l->ctx, l->b, l->img, l->provider, l->kernel_fd, &net, &argv,
				    &err)) {
			dprintf(2, "unik-runtime: %s\n", err.msg);
			_exit(1);
		}
		v = argv.v;
	}
	if (fcntl(l->kernel_fd, F_SETFD, 0) < 0)
		_exit(1);
	if (!strcmp(l->provider, "qemu"))
		rt_qemu_supervise(rt_state_dir(l->ctx, l->id), v);
	signal(SIGPIPE, SIG_DFL);
	execv(v[0], v);
	dprintf(2, "unik-runtime: exec %s: %s\n", v[0], strerror(errno));
	_exit(127);
}

/* The container's process until start releases it; never returns. */
static void child(const struct launch *l, const char *fifo, int sync_fd, int tty)
{
	const struct rt_bundle *b = l->b;
	char why[512] = "";
	int fd;

	if (tty >= 0) {
		if (setsid() < 0 || ioctl(tty, TIOCSCTTY, 0) < 0 || dup2(tty, 0) < 0 ||
		    dup2(tty, 1) < 0 || dup2(tty, 2) < 0)
			snprintf(why, sizeof(why), "terminal: %s", strerror(errno));
	}
	if (!why[0] && b->netns == 2) {
		fd = open(b->netns_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			snprintf(why, sizeof(why), "network namespace %s: %s", b->netns_path,
				 strerror(errno));
		if (fd >= 0)
			close(fd);
	} else if (!why[0] && b->netns == 1 && unshare(CLONE_NEWNET) < 0) {
		snprintf(why, sizeof(why), "new network namespace: %s", strerror(errno));
	}
	if (why[0]) {
		(void)!write(sync_fd, why, strlen(why));
		_exit(1);
	}
	(void)!write(sync_fd, "k", 1);
	close(sync_fd);
	fd = open(fifo, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		_exit(1);
	close(fd);
	launch(l);
}

/* Forks the process; its pid once it reported ready, or -1 with err. */
static pid_t spawn(const struct launch *l, const char *fifo, int tty, struct unik_err *err)
{
	char why[512];
	int sp[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe2(sp, O_CLOEXEC) < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return unik_err_set(err, UNIK_E_INTERNAL, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(sp[0]);
		child(l, fifo, sp[1], tty);
	}
	close(sp[1]);
	do
		n = read(sp[0], why, sizeof(why) - 1);
	while (n < 0 && errno == EINTR);
	close(sp[0]);
	if (n == 1 && why[0] == 'k')
		return pid;
	why[n > 0 ? n : 0] = 0;
	waitpid(pid, &status, 0);
	return unik_err_set(err, UNIK_E_INTERNAL, "the container's process: %s",
			    n > 0 ? why : "ended before it was ready");
}

static int write_pid_file(const char *path, pid_t pid, struct unik_err *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);

	return fs_write_file_atomic(path, buf, (size_t)n, 0644, err);
}

/* Everything of create after the state folder exists. */
static int create_in(struct rt_ctx *ctx, const struct create_opts *o, const struct launch *l,
		     struct unik_err *err)
{
	const struct rt_bundle *b = l->b;
	char *dir = rt_state_dir(ctx, o->id), *fifo = xasprintf("%s/" RT_FIFO, dir), *json;
	char when[48];
	struct rt_state st = { 0 };
	int tty = -1, zombie, rc = -1;
	pid_t pid = -1;

	rt_now_rfc3339(when, sizeof(when));
	st.id = xstrdup(o->id);
	st.bundle = xstrdup(b->bundle);
	st.rootfs = xstrdup(b->rootfs);
	st.created = xstrdup(when);
	st.provider = xstrdup(l->provider);
	strv_copy(&st.ann_keys, &b->ann_keys);
	strv_copy(&st.ann_values, &b->ann_values);
	if (rt_state_save(ctx, &st, err))
		goto out;
	if (mkfifo(fifo, 0600) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "%s: %s", fifo, strerror(errno));
		goto out;
	}
	if (b->terminal) {
		if (!o->console_socket) {
			unik_err_set(err, UNIK_E_INVALID,
				     "process.terminal is set but no --console-socket was given");
			goto out;
		}
		tty = send_terminal(o->console_socket, err);
		if (tty < 0)
			goto out;
	}
	pid = spawn(l, fifo, tty, err);
	if (pid < 0)
		goto out;
	st.pid = pid;
	st.start_time = rt_proc_start_time(pid, &zombie);
	if (!st.start_time || zombie) {
		unik_err_set(err, UNIK_E_INTERNAL, "the container's process ended at once");
		goto out;
	}
	if (rt_state_save(ctx, &st, err))
		goto out;
	json = rt_state_json(ctx, &st, 0);
	rc = rt_hooks_run(b, RT_HOOK_PRESTART, json, err);
	if (!rc)
		rc = rt_hooks_run(b, RT_HOOK_CREATE_RUNTIME, json, err);
	free(json);
	if (!rc && o->pid_file)
		rc = write_pid_file(o->pid_file, pid, err);
out:
	if (rc && pid > 0) {
		int status;

		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (tty >= 0)
		close(tty);
	rt_state_release(&st);
	free(fifo);
	free(dir);
	return rc;
}

static int create_fail(const char *id, struct unik_err *err)
{
	rt_error("create %s: %s", id, err->msg);
	return 1;
}

int rt_cmd_create(struct rt_ctx *ctx, int argc, char **argv)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct create_opts o = { 0 };
	struct rt_bundle b;
	struct rt_image img;
	struct strv margv = STRV_INIT;
	struct launch l;
	const char *provider;
	struct stat sb;
	char *dir = NULL, *kpath;
	int found, rootfd, kfd = -1, rc = 1;

	if (parse_create(argc, argv, &o) < 0) {
		rt_error("usage: create [--bundle DIR] [--pid-file F] [--console-socket S] ID");
		return 2;
	}
	if (rt_id_ok(o.id, &err))
		return create_fail(o.id, &err);
	if (rt_bundle_load(o.bundle, &b, &err)) {
		rt_bundle_release(&b);
		return create_fail(o.id, &err);
	}
	found = rt_image_find(&b, &img, &rootfd, &err);
	if (found == 0) {
		if (rootfd >= 0)
			close(rootfd);
		rt_image_release(&img);
		rt_bundle_release(&b);
		return rt_exec_runc(ctx);
	}
	if (found < 0)
		goto out;
	kpath = xasprintf("%s/%s", img.dir, img.kernel);
	kfd = safe_openat(rootfd, kpath, O_RDONLY, 0, 0);
	if (kfd < 0 || fstat(kfd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		unik_err_set(&err, UNIK_E_INVALID, "rootfs /%s: %s", kpath,
			     kfd < 0
				 ? (errno == EXDEV ? "leads outside the rootfs" : strerror(errno))
				 : "not a regular file");
		free(kpath);
		goto out;
	}
	free(kpath);
	provider = rt_provider_of(ctx, &b, &img);
	if (rt_monitor_argv(ctx, &b, &img, provider, kfd, NULL, &margv, &err))
		goto out;
	if (fs_mkdir_p(ctx->root, 0700, &err))
		goto out;
	dir = rt_state_dir(ctx, o.id);
	if (mkdir(dir, 0700) < 0) {
		unik_err_set(&err, errno == EEXIST ? UNIK_E_CONFLICT : UNIK_E_INTERNAL,
			     errno == EEXIST ? "container with id exists: %s" : "%s: %s",
			     errno == EEXIST ? o.id : dir, strerror(errno));
		free(dir);
		dir = NULL;
		goto out;
	}
	l = (struct launch){ ctx, o.id, &b, &img, provider, kfd, &margv };
	if (create_in(ctx, &o, &l, &err)) {
		struct unik_err e2 = UNIK_ERR_INIT;

		fs_remove_tree(dir, &e2);
		goto out;
	}
	rc = 0;
out:
	if (rc)
		create_fail(o.id, &err);
	if (kfd >= 0)
		close(kfd);
	if (rootfd >= 0)
		close(rootfd);
	free(dir);
	strv_release(&margv);
	rt_image_release(&img);
	rt_bundle_release(&b);
	return rc;
}

/* Releases the created process: its byte through the fifo. */
static int release(const char *fifo, const struct rt_state *st, struct unik_err *err)
{
	int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC), waited = 0, zombie;
	char c;

	if (fd < 0)
		return unik_err_set(err, UNIK_E_CONFLICT, "%s: %s", fifo, strerror(errno));
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, 100);

		if (r > 0 && read(fd, &c, 1) == 1)
			break;
		if (r < 0 && errno != EINTR) {
			close(fd);
			return unik_err_set(err, UNIK_E_INTERNAL, "poll: %s", strerror(errno));
		}
		if (rt_proc_start_time(st->pid, &zombie) != st->start_time || zombie ||
		    (waited += 100) >= START_TIMEOUT_MS) {
			close(fd);
			return unik_err_set(err, UNIK_E_CONFLICT, "the container's process %s",
					    waited >= START_TIMEOUT_MS ? "did not answer"
								       : "has ended");
		}
		if (r > 0 && (p.revents & POLLHUP))
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	close(fd);
	return 0;
}

int rt_cmd_start(struct rt_ctx *ctx, int argc, char **argv)
{
	struct unik_err err = UNIK_ERR_INIT;
	const char *id = rt_operand_id(argc, argv, 1);
	struct rt_state st;
	struct rt_bundle b;
	enum rt_status s;
	char *fifo, *json;
	int rc = 1;

	if (!id) {
		rt_error("usage: start ID");
		return 2;
	}
	if (rt_state_load(ctx, id, &st, &err) <= 0) {
		rt_error("start %s: %s", id, err.code ? err.msg : "container does not exist");
		return 1;
	}
	s = rt_status_of(ctx, &st);
	if (s != RT_CREATED) {
		rt_error("start %s: cannot start a container in state %s", id, rt_status_name(s));
		rt_state_release(&st);
		return 1;
	}
	fifo = xasprintf("%s/%s/" RT_FIFO, ctx->root, id);
	if (release(fifo, &st, &err)) {
		rt_error("start %s: %s", id, err.msg);
		goto out;
	}
	unlink(fifo);
	rc = 0;
	if (rt_bundle_load(st.bundle, &b, &err) == 0) {
		json = rt_state_json(ctx, &st, 0);
		if (rt_hooks_run(&b, RT_HOOK_POSTSTART, json, &err))
			rt_warn("start %s: %s", id, err.msg);
		free(json);
	}
	rt_bundle_release(&b);
out:
	free(fifo);
	rt_state_release(&st);
	return rc;
}
