/* cmds.c - state, kill, delete, ps, features and list of unik containers. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/xalloc.h"
#include "rt.h"

#define KILL_WAIT_MS 5000

/* Loads the container named by the command's operand; prints the error. */
static int load(struct rt_ctx *ctx, const char *cmd, const char *id, struct rt_state *st)
{
	struct unik_err err = UNIK_ERR_INIT;
	int r;

	if (!id) {
		rt_error("%s: no container id given", cmd);
		return -1;
	}
	r = rt_state_load(ctx, id, st, &err);
	if (r <= 0) {
		rt_error("%s %s: %s", cmd, id, r < 0 ? err.msg : "container does not exist");
		return -1;
	}
	return 0;
}

int rt_cmd_state(struct rt_ctx *ctx, int argc, char **argv)
{
	struct rt_state st;
	char *json;

	if (load(ctx, "state", rt_operand_id(argc, argv, 1), &st))
		return 1;
	json = rt_state_json(ctx, &st, 1);
	printf("%s\n", json);
	free(json);
	rt_state_release(&st);
	return 0;
}

/* SIGKILL to the process's children first: QEMU under the qemu
 * supervisor, which drops its privileges (-runas) and so loses the
 * parent-death signal the supervisor gave it. */
static void kill_children(pid_t pid)
{
	char path[64], buf[4096], *p, *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (p = buf;; p = end) {
		long c = strtol(p, &end, 10);

		if (end == p)
			break;
		if (c > 1)
			kill((pid_t)c, SIGKILL);
	}
}

/* "TERM", "SIGTERM" or "15". */
static int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = { { "HUP", SIGHUP },   { "INT", SIGINT },	{ "QUIT", SIGQUIT },
		      { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
		      { "TERM", SIGTERM }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
		      { "ALRM", SIGALRM }, { "PWR", SIGPWR },	{ "WINCH", SIGWINCH } };
	char *end;
	long n;

	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].sig;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < 1 || n > 64)
		return -1;
	return (int)n;
}

int rt_cmd_kill(struct rt_ctx *ctx, int argc, char **argv)
{
	const char *id = NULL, *sig_s = "SIGTERM";
	struct rt_state st;
	enum rt_status s;
	int sig, n = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a"))
			continue;
		if (argv[i][0] == '-' && argv[i][1] && !n) {
			rt_error("kill: unknown option %s", argv[i]);
			return 2;
		}
		if (n == 0)
			id = argv[i];
		else if (n == 1)
			sig_s = argv[i];
		n++;
	}
	sig = parse_signal(sig_s);
	if (sig < 0 || n > 2) {
		rt_error("usage: kill [--all] ID [SIGNAL]");
		return 2;
	}
	if (load(ctx, "kill", id, &st))
		return 1;
	s = rt_status_of(ctx, &st);
	if (s != RT_CREATED && s != RT_RUNNING) {
		rt_error("kill %s: container not running (%s)", id, rt_status_name(s));
		rt_state_release(&st);
		return 1;
	}
	/* the monitor hands SIGTERM to the guest: a graceful stop */
	if (sig == SIGKILL)
		kill_children(st.pid);
	if (kill(st.pid, sig) < 0 && errno != ESRCH) {
		rt_error("kill %s: %s", id, strerror(errno));
		rt_state_release(&st);
		return 1;
	}
	rt_state_release(&st);
	return 0;
}

/* SIGKILL and wait until the process is gone (or a zombie). */
static int kill_wait(const struct rt_state *st)
{
	int zombie;

	kill_children(st->pid);
	kill(st->pid, SIGKILL);
	for (int ms = 0; ms < KILL_WAIT_MS; ms += 10) {
		if (rt_proc_start_time(st->pid, &zombie) != st->start_time || zombie)
			return 0;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	return -1;
}

int rt_cmd_delete(struct rt_ctx *ctx, int argc, char **argv)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct rt_state st;
	struct rt_bundle b;
	enum rt_status s;
	int force = 0;
	char *dir, *json;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
			force = 1;
	if (load(ctx, "delete", rt_operand_id(argc, argv, 1), &st))
		return 1;
	s = rt_status_of(ctx, &st);
	if (s == RT_RUNNING && !force) {
		rt_error("delete %s: cannot delete container that is not stopped: running", st.id);
		rt_state_release(&st);
		return 1;
	}
	if ((s == RT_RUNNING || s == RT_CREATED) && kill_wait(&st)) {
		rt_error("delete %s: process %d does not end", st.id, (int)st.pid);
		rt_state_release(&st);
		return 1;
	}
	json = rt_state_json(ctx, &st, 0);
	if (st.bundle && rt_bundle_load(st.bundle, &b, &err) == 0 &&
	    rt_hooks_run(&b, RT_HOOK_POSTSTOP, json, &err))
		rt_warn("delete %s: %s", st.id, err.msg);
	rt_bundle_release(&b);
	free(json);
	dir = rt_state_dir(ctx, st.id);
	if (fs_remove_tree(dir, &err)) {
		rt_error("delete %s: %s", st.id, err.msg);
		free(dir);
		rt_state_release(&st);
		return 1;
	}
	free(dir);
	rt_state_release(&st);
	return 0;
}

int rt_cmd_ps(struct rt_ctx *ctx, int argc, char **argv)
{
	struct rt_state st;
	enum rt_status s;
	int json = 0;

	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--format") || !strcmp(argv[i], "-f"))
			json = !strcmp(argv[i + 1], "json");
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--format=json"))
			json = 1;
	if (load(ctx, "ps", rt_operand_id(argc, argv, 1), &st))
		return 1;
	s = rt_status_of(ctx, &st);
	if (json) {
		if (s == RT_CREATED || s == RT_RUNNING)
			printf("[%d]\n", (int)st.pid);
		else
			printf("[]\n");
	} else {
		printf("PID\n");
		if (s == RT_CREATED || s == RT_RUNNING)
			printf("%d\n", (int)st.pid);
	}
	rt_state_release(&st);
	return 0;
}

int rt_cmd_features(struct rt_ctx *ctx, int argc, char **argv)
{
	json_t *j = json_pack(
	    "{s:s, s:s, s:[s,s,s,s], s:[], s:{s:[s], s:[], s:{s:b, s:b}}, s:{s:s, s:s}}",
	    "ociVersionMin", "1.0.0", "ociVersionMax", "1.1.0", "hooks", "prestart",
	    "createRuntime", "poststart", "poststop", "mountOptions", "linux", "namespaces",
	    "network", "capabilities", "cgroup", "v1", 0, "v2", 0, "annotations", "org.unik.image",
	    "the image folder in the rootfs (default /unik)", "org.unik.provider",
	    "spt, hvt or qemu");
	char *s = json_dumps(j, JSON_INDENT(2));

	printf("%s\n", s);
	free(s);
	json_decref(j);
	return 0;
}

int rt_cmd_list(struct rt_ctx *ctx, int argc, char **argv)
{
	DIR *d = opendir(ctx->root);
	struct dirent *e;

	printf("ID\tPID\tSTATUS\tBUNDLE\tCREATED\n");
	while (d && (e = readdir(d))) {
		struct unik_err err = UNIK_ERR_INIT;
		struct rt_state st;

		if (e->d_name[0] == '.' || rt_id_ok(e->d_name, &err) ||
		    rt_state_load(ctx, e->d_name, &st, &err) <= 0)
			continue;
		printf("%s\t%d\t%s\t%s\t%s\n", st.id, (int)st.pid,
		       rt_status_name(rt_status_of(ctx, &st)), st.bundle ? st.bundle : "",
		       st.created ? st.created : "");
		rt_state_release(&st);
	}
	if (d)
		closedir(d);
	return 0;
}
