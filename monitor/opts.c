/* opts.c - the command line of the monitors. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	       "  --debug-forbidden-syscall\n"
	       "                          make a system call the seccomp filter forbids (tests)\n"
	       "BOOT-WORDS form the guest command line (unik.arg=..., unik.env=...).\n"
	       "Exit status: the guest's, or %d when the monitor failed or stopped the guest.\n",
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

int mon_opts_parse(struct mon_opts *o, int argc, char **argv, char *why)
{
	size_t len = 0;
	int i;

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

int mon_drop_privileges(unsigned uid, unsigned gid, char *why)
{
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		snprintf(why, MON_WHY, "cannot drop privileges to uid %u: %s", uid,
			 strerror(errno));
		return -1;
	}
	if (uid != 0 && setuid(0) == 0) {
		snprintf(why, MON_WHY, "privileges could be regained after dropping them");
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
