/* qemu.c - unik-elf images on QEMU (microvm, as providers/qemu boots them).
 * QEMU's exit status is not the program's, so the container's process does
 * not exec QEMU: it stays as a small supervisor (the pid the engine waits
 * for), with QEMU as its child (killed with it: PR_SET_PDEATHSIG).  The
 * console is the process's stdout; the program's status comes back on the
 * second serial port ("unik-exit-status=<n>", abi/boot.h) into qemu-status
 * in the container's state folder, or through isa-debug-exit.  SIGTERM
 * becomes an NMI over QMP (inject-nmi), which the unik runtime turns into
 * SIGTERM for its program: the graceful stop; other signals go to QEMU. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../abi/boot.h"
#include "../../lib/qemu_args.h"
#include "../../lib/run.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "rt.h"

#define QEMU_STATUS "qemu-status"
#define QEMU_QMP "qmp.sock"
#define QMP_WAIT_MS 3000

int rt_qemu_argv(const struct rt_ctx *ctx, int mb, int kernel_fd, const char *words,
		 const struct rt_net *net, const char *user, struct strv *argv,
		 struct unik_err *err)
{
	const char *conf = unik_config_get(&ctx->cfg, "qemu.binary", NULL);
	char *bin = conf ? xstrdup(conf) : run_which("qemu-system-x86_64");
	int kvm = access("/dev/kvm", R_OK | W_OK) == 0;

	if (!bin || access(bin, X_OK) < 0) {
		free(bin);
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "qemu-system-x86_64 is not in PATH (set qemu.binary)");
	}
	strv_push_owned(argv, bin);
	/* the runtime finds virtio-mmio on its cmdline */
	qemu_args_vm(argv, "microvm,acpi=off", kvm ? "kvm" : "tcg", mb);
	strv_push(argv, "-kernel");
	strv_push_owned(argv, xasprintf("/proc/self/fd/%d", kernel_fd));
	strv_push(argv, "-append");
	strv_push(argv, words);
	/* the process's stdout, reopened by QEMU: a pipe, a pty or a file */
	strv_push(argv, "-chardev");
	strv_push(argv, "file,id=console,append=on,path=/proc/self/fd/1");
	strv_push(argv, "-serial");
	strv_push(argv, "chardev:console");
	strv_push(argv, "-chardev");
	strv_push(argv, "file,id=status,path=" QEMU_STATUS); /* in the state folder, its cwd */
	strv_push(argv, "-device");
	strv_push(argv, "isa-serial,chardev=status,iobase=0x2f8,irq=3");
	strv_push(argv, "-device");
	strv_push(argv, "isa-debug-exit,iobase=0xf4,iosize=0x04");
	if (net && net->tap[0]) {
		strv_push(argv, "-netdev");
		strv_push_owned(
		    argv, xasprintf("tap,id=net0,ifname=%s,script=no,downscript=no", net->tap));
		strv_push(argv, "-device");
		strv_push_owned(argv, xasprintf("virtio-net-device,netdev=net0,mac=%s", net->mac));
	}
	strv_push(argv, "-qmp");
	strv_push(argv, "unix:" QEMU_QMP ",server=on,wait=off");
	if (user) {
		strv_push(argv, "-runas");
		strv_push(argv, user);
	}
	return 0;
}

/* One line from the QMP socket (a reply or an event), within the wait. */
static int qmp_line(int fd, char *buf, size_t n)
{
	size_t len = 0;

	while (len + 1 < n) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, QMP_WAIT_MS) <= 0)
			return -1;
		r = read(fd, buf + len, 1);
		if (r <= 0)
			return -1;
		if (buf[len++] == '\n')
			break;
	}
	buf[len] = 0;
	return 0;
}

/* inject-nmi over QMP: 0 when QEMU took it. */
static int qmp_nmi(void)
{
	static const char *const cmds[] = { "{\"execute\":\"qmp_capabilities\"}\n",
					    "{\"execute\":\"inject-nmi\"}\n" };
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = QEMU_QMP };
	char line[4096];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc = -1;

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    qmp_line(fd, line, sizeof(line)) < 0) /* the greeting */
		goto out;
	for (size_t i = 0; i < 2; i++) {
		if (write(fd, cmds[i], strlen(cmds[i])) != (ssize_t)strlen(cmds[i]))
			goto out;
		do /* events may come before the reply */
			if (qmp_line(fd, line, sizeof(line)) < 0)
				goto out;
		while (strstr(line, "\"event\""));
		if (!strstr(line, "\"return\""))
			goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The program's status from qemu-status, else from QEMU's own end. */
static int exit_code(int wait_status)
{
	char buf[4096], *p, *last = NULL;
	int fd = open(QEMU_STATUS, O_RDONLY | O_CLOEXEC), code;
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[n] = 0;
		for (p = buf; (p = strstr(p, UNIK_EXIT_STATUS_KEY)); p++)
			last = p;
	}
	if (last) {
		code = (int)strtol(last + strlen(UNIK_EXIT_STATUS_KEY), NULL, 10);
		if (code >= 0 && code <= 255)
			return code;
	}
	if (WIFEXITED(wait_status) && (WEXITSTATUS(wait_status) & 1))
		return WEXITSTATUS(wait_status) >> 1; /* isa-debug-exit: (value << 1) | 1 */
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return 255;
}

void rt_qemu_supervise(const char *state_dir, char **argv)
{
	int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD, SIGWINCH };
	sigset_t set, old;
	int sfd, status;
	pid_t pid;

	if (chdir(state_dir) < 0) {
		dprintf(2, "unik-runtime: %s: %s\n", state_dir, strerror(errno));
		_exit(1);
	}
	unlink(QEMU_STATUS);
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	pid = fork();
	if (pid < 0 || sfd < 0) {
		dprintf(2, "unik-runtime: qemu: %s\n", strerror(errno));
		_exit(1);
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		dprintf(2, "unik-runtime: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (;;) {
		struct signalfd_siginfo si;

		if (read(sfd, &si, sizeof(si)) != sizeof(si)) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		if (si.ssi_signo == SIGCHLD) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
			continue;
		}
		if (si.ssi_signo == SIGWINCH)
			continue;
		if (si.ssi_signo == SIGTERM && qmp_nmi() == 0)
			continue; /* the guest's program gets SIGTERM */
		kill(pid, (int)si.ssi_signo);
	}
	_exit(exit_code(status));
}
