/* opts.c - the command line of the monitors. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor.h"

void mon_usage(const char *prog)
{
	printf("usage: %s [options] IMAGE [--] [BOOT-WORDS...]\n"
	       "Runs a unik image (format unik-elf) %s.\n"
	       "  -m, --mem MB            guest memory in MiB (default %d)\n"
	       "  --user NAME             drop privileges to user NAME after setup\n"
	       "  --status-file PATH      write the guest's exit status there\n"
	       "  --net-tap NAME          network device: frames go to host tap NAME\n"
	       "  --net-fd N              network device: frames go to the open tap fd N\n"
	       "  --net-mac MAC           the guest's MAC address (default: random, local)\n"
	       "  --block PATH[:ro]       a disk (file or block device), read-only with :ro;\n"
	       "                          repeatable: the guest's disks 0, 1, ... in order\n"
	       "  --stdin                 the guest's standard input is ours (console input)\n"
	       "  --debug-forbidden-syscall\n"
	       "                          make a system call the seccomp filter forbids (tests)\n"
	       "BOOT-WORDS form the guest command line (unik.arg=..., unik.env=...).\n"
	       "Exit status: the guest's, or %d when the monitor failed or stopped the guest;\n"
	       "then the status file holds \"" MON_ERROR_KEY "<reason>\" instead of the status.\n",
	       prog,
	       strcmp(prog, "unik-spt") ? "in a KVM virtual machine" : "as a sandboxed process",
	       MON_DEFAULT_MEM_MB, MON_EXIT_FAILURE);
}

static int parse_mb(const char *s, uint64_t *out, char *why)
{
	char *end;
	unsigned long long mb;

	errno = 0;
	mb = strtoull(s, &end, 10);
	if (errno || end == s || *end || mb < HVT_MEM_MIN >> 20 || mb > HVT_MEM_MAX >> 20) {
		snprintf(why, MON_WHY, "bad memory size '%s' (MiB, %lu..%lu)", s, HVT_MEM_MIN >> 20,
			 HVT_MEM_MAX >> 20);
		return -1;
	}
	*out = (uint64_t)mb << 20;
	return 0;
}

static int add_word(struct mon_opts *o, size_t *len, const char *w, char *why)
{
	size_t n = strlen(w);

	if (*len + (*len ? 1 : 0) + n + 1 > sizeof(o->cmdline)) {
		snprintf(why, MON_WHY, "the boot command line is longer than %zu bytes",
			 sizeof(o->cmdline) - 1);
		return -1;
	}
	if (*len)
		o->cmdline[(*len)++] = ' ';
	memcpy(o->cmdline + *len, w, n + 1);
	*len += n;
	return 0;
}

/* --block PATH or PATH:ro (PATH:rw is PATH). */
static int add_block(struct mon_opts *o, const char *arg, char *why)
{
	size_t n = strlen(arg);
	int ro = 0;

	if (o->nblocks == HVT_MAX_DISKS) {
		snprintf(why, MON_WHY, "more than %d --block disks", HVT_MAX_DISKS);
		return -1;
	}
	if (n > 3 && (!strcmp(arg + n - 3, ":ro") || !strcmp(arg + n - 3, ":rw"))) {
		ro = arg[n - 2] == 'r' && arg[n - 1] == 'o';
		n -= 3;
	}
	if (!n || n >= sizeof(o->block_buf[0])) {
		snprintf(why, MON_WHY, "bad --block '%.200s' (PATH or PATH:ro)", arg);
		return -1;
	}
	memcpy(o->block_buf[o->nblocks], arg, n);
	o->block_buf[o->nblocks][n] = 0;
	o->block_path[o->nblocks] = o->block_buf[o->nblocks];
	o->block_ro[o->nblocks++] = ro;
	return 0;
}

/* Options that take a value (the next argument). */
static int takes_value(const char *a)
{
	static const char *const with_value[] = { "-m",	       "--mem",
						  "--user",    "--status-file",
						  "--net-tap", "--net-fd",
						  "--net-mac", "--block" };

	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (!strcmp(a, with_value[i]))
			return 1;
	return 0;
}

/* --status-file first, so that a refusal of any other option reaches it. */
static void find_status_file(struct mon_opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
		if (!takes_value(argv[i]))
			continue;
		if (i + 1 >= argc)
			break;
		if (!strcmp(argv[i], "--status-file"))
			o->status_file = argv[i + 1];
		i++;
	}
}

int mon_opts_parse(struct mon_opts *o, int argc, char **argv, char *why)
{
	size_t len = 0;
	int i;

	find_status_file(o, argc, argv);
	o->mem_size = (uint64_t)MON_DEFAULT_MEM_MB << 20;
	o->net_fd = -1;
	o->cmdline[0] = 0;
	for (i = 1; i < argc && argv[i][0] == '-' && !o->image; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			mon_usage(o->prog);
			return 1;
		} else if ((!strcmp(a, "-m") || !strcmp(a, "--mem")) && i + 1 < argc) {
			if (parse_mb(argv[++i], &o->mem_size, why) < 0)
				return -1;
		} else if (!strcmp(a, "--user") && i + 1 < argc) {
			o->user = argv[++i];
		} else if (!strcmp(a, "--status-file") && i + 1 < argc) {
			o->status_file = argv[++i];
		} else if (!strcmp(a, "--net-tap") && i + 1 < argc) {
			o->net_tap = argv[++i];
		} else if (!strcmp(a, "--net-fd") && i + 1 < argc) {
			char *end;
			long fd;

			errno = 0;
			fd = strtol(argv[++i], &end, 10);
			if (errno || *end || end == argv[i] || fd < 3 || fd > 65535) {
				snprintf(why, MON_WHY, "bad --net-fd '%s' (an open fd, 3 or more)",
					 argv[i]);
				return -1;
			}
			o->net_fd = (int)fd;
		} else if (!strcmp(a, "--net-mac") && i + 1 < argc) {
			if (mon_parse_mac(argv[++i], o->net_mac) < 0) {
				snprintf(why, MON_WHY,
					 "bad --net-mac '%s' (xx:xx:xx:xx:xx:xx, unicast)",
					 argv[i]);
				return -1;
			}
			o->has_mac = 1;
		} else if (!strcmp(a, "--block") && i + 1 < argc) {
			if (add_block(o, argv[++i], why) < 0)
				return -1;
		} else if (!strcmp(a, "--stdin")) {
			o->console_in = 1;
		} else if (!strcmp(a, "--debug-forbidden-syscall")) {
			o->debug_forbidden_syscall = 1;
		} else {
			snprintf(why, MON_WHY, "unknown or incomplete option '%s' (see --help)", a);
			return -1;
		}
	}
	if (o->net_tap && o->net_fd >= 0) {
		snprintf(why, MON_WHY, "--net-tap and --net-fd exclude each other");
		return -1;
	}
	if (i >= argc) {
		snprintf(why, MON_WHY, "no image given (see --help)");
		return -1;
	}
	o->image = argv[i++];
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	for (; i < argc; i++)
		if (add_word(o, &len, argv[i], why) < 0)
			return -1;
	return 0;
}

/* Reads /etc/passwd itself: the monitors are linked statically, where
 * glibc's getpwnam() would need the shared NSS modules. */
int mon_user_lookup(const char *user, unsigned *uid, unsigned *gid, char *why)
{
	FILE *f = fopen("/etc/passwd", "re");
	char line[1024];
	int found = 0;

	if (!f) {
		snprintf(why, MON_WHY, "/etc/passwd: %s", strerror(errno));
		return -1;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		/* name:password:uid:gid:... */
		char *name_end = strchr(line, ':'), *pw_end, *uid_end, *gid_end;
		unsigned long u, g;

		if (!name_end || (size_t)(name_end - line) != strlen(user) ||
		    strncmp(line, user, strlen(user)))
			continue;
		pw_end = strchr(name_end + 1, ':');
		if (!pw_end)
			break;
		errno = 0;
		u = strtoul(pw_end + 1, &uid_end, 10);
		if (errno || *uid_end != ':')
			break;
		g = strtoul(uid_end + 1, &gid_end, 10);
		if (errno || *gid_end != ':' || u > 0xfffffffeUL || g > 0xfffffffeUL)
			break;
		*uid = (unsigned)u;
		*gid = (unsigned)g;
		found = 1;
	}
	fclose(f);
	if (!found)
		snprintf(why, MON_WHY, "no user '%s' in /etc/passwd", user);
	return found ? 0 : -1;
}

/* Empties the bounding and ambient sets, so nothing can regain a
 * capability; needs CAP_SETPCAP, which root has.  0, or -1 with why. */
static int drop_capability_sets(char *why)
{
	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			break; /* past the kernel's last capability */
		snprintf(why, MON_WHY, "cannot drop capability %d from the bounding set: %s", cap,
			 strerror(errno));
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		snprintf(why, MON_WHY, "cannot clear the ambient capabilities: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* 0 when no capability is effective, permitted or inheritable. */
static int no_capabilities_left(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			return -1;
	return 0;
}

int mon_drop_privileges(unsigned uid, unsigned gid, char *why)
{
	if (uid != 0 && geteuid() == 0 && drop_capability_sets(why) < 0)
		return -1;
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		snprintf(why, MON_WHY, "cannot drop privileges to uid %u: %s", uid,
			 strerror(errno));
		return -1;
	}
	if (uid == 0)
		return 0;
	if (setuid(0) == 0) {
		snprintf(why, MON_WHY, "privileges could be regained after dropping them");
		return -1;
	}
	if (no_capabilities_left() < 0) {
		snprintf(why, MON_WHY, "capabilities are left after dropping to uid %u", uid);
		return -1;
	}
	return 0;
}

void mon_fail(const char *prog, int status_fd, const char *why)
{
	char line[MON_WHY + 32];
	int n;

	/* One write(2), not stdio: musl's stdio writes with writev, which the
	 * seccomp filter does not allow. */
	n = snprintf(line, sizeof(line), "%s: %s\n", prog, why);
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		n = 0; /* stderr gone: the status file still says why */
	if (status_fd >= 0) {
		n = snprintf(line, sizeof(line), "%s%s\n", MON_ERROR_KEY, why);
		if (n > (int)sizeof(line) - 1)
			n = (int)sizeof(line) - 1;
		if (write(status_fd, line, (size_t)n) < 0)
			_exit(MON_EXIT_FAILURE);
	}
	_exit(MON_EXIT_FAILURE);
}

int mon_open_status_file(const char *path, int *fd, char *why)
{
	*fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (*fd < 0) {
		snprintf(why, MON_WHY, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void mon_exit(int status_fd, int status)
{
	if (status_fd >= 0) {
		char line[16];
		int n = snprintf(line, sizeof(line), "%d\n", status);

		if (write(status_fd, line, (size_t)n) < 0)
			status = MON_EXIT_FAILURE;
	}
	_exit(status);
}
