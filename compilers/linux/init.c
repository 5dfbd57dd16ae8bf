/* init.c - PID 1 of the guests the "linux" compiler builds.
 *
 * Runs /app with the arguments and environment found on the kernel command
 * line (unik.arg= / unik.env=, encoded as lib/bootargs.h documents), reports
 * how it ended on the second serial port as the line
 * "unik-exit-status=<n>" (n = exit status, or 128+signal), then powers the
 * VM off.  Before starting /app it writes "unik-ready" there once it listens
 * to the power button.  The first press of the ACPI power button (QMP system_powerdown)
 * sends SIGTERM to the program's process group, the next one SIGKILL.
 *
 * Built with musl-gcc -static on its own: it links nothing from lib/.
 * Diagnostics go to the kernel log, so the console (ttyS0) carries only the
 * program's output; only a failure to start /app is printed there.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../../abi/boot.h"
#include "dhcp_msg.h"
#include "dhcp_renew.h"

#define APP_PATH "/app"
#define MODULES_DIR "/unik/modules"
#define STATUS_TTY "/dev/ttyS1"
#define MAX_EVDEV 8
#define CMDLINE_MAX 4096
#define DHCP_BUDGET_MS 30000
#define DHCP_AGAIN_BUDGET_MS 10000 /* a lease asked anew while the program runs */
#define DHCP_AGAIN_EVERY_MS 60000

/* struct input_event of linux/input.h on 64-bit; musl ships no kernel headers. */
struct evdev_event {
	struct timeval time;
	unsigned short type;
	unsigned short code;
	int value;
};
#define EV_KEY 1
#define KEY_POWER 116

struct strlist {
	char **v;
	size_t n;
};

static int kmsg_fd = -1;

/* A line in the kernel log (hidden from the console by loglevel=0). */
static void __attribute__((format(printf, 1, 2))) klog(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n = snprintf(buf, sizeof(buf), "<6>unik-init: ");

	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (kmsg_fd >= 0 && write(kmsg_fd, buf, strlen(buf)) < 0)
		kmsg_fd = -1;
}

static void list_push(struct strlist *l, char *s)
{
	char **v = realloc(l->v, (l->n + 2) * sizeof(*v));

	if (!v) {
		klog("out of memory");
		return;
	}
	v[l->n++] = s;
	v[l->n] = NULL;
	l->v = v;
}

/* %XX-decodes s[0..len) into a new string; NULL on a malformed escape. */
static char *decode(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	long n = out ? unik_boot_decode(out, s, len) : -1;

	if (n < 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	return out;
}

static int env_has(const struct strlist *env, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], key, klen) && env->v[i][klen] == '=')
			return 1;
	return 0;
}

/* Fills argv (after argv[0]) and env from /proc/cmdline; -1 if malformed. */
static int cmdline_parse(struct strlist *argv, struct strlist *env)
{
	static char buf[CMDLINE_MAX];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	char *p = buf;

	if (fd >= 0)
		close(fd);
	if (n < 0) {
		klog("cannot read /proc/cmdline");
		return -1;
	}
	buf[n] = '\0';
	while (*p) {
		size_t len = strcspn(p, " \t\n");
		struct strlist *to = NULL;
		size_t skip = 0;

		if (!strncmp(p, UNIK_BOOT_ARG, 9)) {
			to = argv;
			skip = 9;
		} else if (!strncmp(p, UNIK_BOOT_ENV, 9)) {
			to = env;
			skip = 9;
		}
		if (to) {
			char *s = decode(p + skip, len - skip);

			if (!s)
				return -1;
			list_push(to, s);
		}
		p += len;
		p += strspn(p, " \t\n");
	}
	if (!env_has(env, "PATH"))
		list_push(env, strdup("PATH=/"));
	if (!env_has(env, "HOME"))
		list_push(env, strdup("HOME=/"));
	return 0;
}

static void mounts_setup(void)
{
	mkdir("/proc", 0555);
	mkdir("/dev", 0755);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		klog("cannot mount /proc: %s", strerror(errno));
	if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755") < 0)
		klog("cannot mount /dev: %s", strerror(errno));
	kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
}

/* The console must not turn "\n" into "\r\n": the log file is plain text. */
static void console_setup(void)
{
	struct termios t;

	if (tcgetattr(1, &t) == 0) {
		t.c_oflag &= ~(tcflag_t)OPOST;
		tcsetattr(1, TCSANOW, &t);
	}
}

/* The value of the first kernel command-line word `key` (e.g. "unik.ip=")
 * copied into out, or NULL.  `nth` skips that many earlier ones. */
static char *cmdline_word(const char *key, int nth, char *out, size_t size)
{
	char buf[CMDLINE_MAX];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	size_t klen = strlen(key);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	for (char *p = buf; *p; p += strspn(p, " \t\n")) {
		size_t len = strcspn(p, " \t\n");

		if (len > klen && !strncmp(p, key, klen) && nth-- == 0) {
			snprintf(out, size, "%.*s", (int)(len - klen), p + klen);
			return out;
		}
		p += len;
	}
	return NULL;
}

/* Whether the command line configures a network: unik.ip= words, or
 * unik.net=dhcp (the aws provider's word for the linux base). */
static int net_wanted(void)
{
	char v[64];

	return cmdline_word(UNIK_BOOT_IP, 0, v, sizeof(v)) != NULL ||
	       (cmdline_word("unik.net=", 0, v, sizeof(v)) && !strcmp(v, "dhcp"));
}

/* Sets address (and netmask, when mask is not NULL) and brings `ifname` up. */
static int if_up(int sock, const char *ifname, const struct in_addr *addr,
		 const struct in_addr *mask)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (addr) {
		sin->sin_family = AF_INET;
		sin->sin_addr = *addr;
		if (ioctl(sock, SIOCSIFADDR, &ifr) < 0)
			return -1;
	}
	if (mask) {
		sin->sin_family = AF_INET;
		sin->sin_addr = *mask;
		if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0)
			return -1;
	}
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

/* eth0's configuration, from the words or from a DHCP lease. */
struct net_conf {
	struct in_addr addr, mask, gw, dns[DHCP_DNS_MAX];
	int ndns, mtu;
};

/* From unik.ip=ADDR/PREFIX, unik.gw=ADDR, unik.dns=ADDR (up to 3); -1 if
 * unik.ip= is missing or malformed. */
static int net_from_words(struct net_conf *c)
{
	char ip[64], gw[64], dns[64], *slash;
	long prefix;

	if (!cmdline_word(UNIK_BOOT_IP, 0, ip, sizeof(ip)))
		return -1;
	slash = strchr(ip, '/');
	prefix = slash ? strtol(slash + 1, NULL, 10) : 0;
	if (slash)
		*slash = '\0';
	if (prefix < 1 || prefix > 32 || inet_pton(AF_INET, ip, &c->addr) != 1) {
		klog("bad unik.ip=%s: no network", ip);
		return -1;
	}
	c->mask.s_addr = htonl(prefix == 32 ? ~0u : ~(~0u >> prefix));
	if (cmdline_word(UNIK_BOOT_GW, 0, gw, sizeof(gw)) && inet_pton(AF_INET, gw, &c->gw) != 1)
		klog("bad unik.gw=%s", gw);
	for (int i = 0; i < DHCP_DNS_MAX && cmdline_word(UNIK_BOOT_DNS, i, dns, sizeof(dns)); i++)
		if (inet_pton(AF_INET, dns, &c->dns[c->ndns]) == 1)
			c->ndns++;
	return 0;
}

/* eth0's lease, kept while the program runs (dhcp_renew.c) */
static struct dhcp_renew renew = { .sock = -1 };
static int64_t dhcp_again_at; /* lost: when to ask for a lease again (0: not lost) */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* From a DHCP lease for eth0 (brought up without an address first), asked
 * within budget_ms; the lease is then kept (renew). */
static int net_from_dhcp(int sock, struct net_conf *c, int budget_ms)
{
	int64_t start = mono_ms();
	struct dhcp_lease l;
	struct ifreq ifr;
	uint8_t mac[6];
	char a[16];

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
	if (if_up(sock, "eth0", NULL, NULL) < 0 || ioctl(sock, SIOCGIFHWADDR, &ifr) < 0) {
		klog("cannot bring eth0 up: %s", strerror(errno));
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (dhcp_client_lease((int)if_nametoindex("eth0"), mac, budget_ms, &l, klog) < 0) {
		klog("eth0: no DHCP lease in %d s: no network", budget_ms / 1000);
		return -1;
	}
	c->addr.s_addr = l.addr;
	c->mask.s_addr = l.mask;
	c->gw.s_addr = l.router;
	for (c->ndns = 0; c->ndns < l.ndns; c->ndns++)
		c->dns[c->ndns].s_addr = l.dns[c->ndns];
	c->mtu = l.mtu;
	inet_ntop(AF_INET, &l.server, a, sizeof(a));
	klog("eth0: leased from %s for %u s", a, l.lease_s);
	dhcp_renew_open(&renew, "eth0", mac, &l, start, klog);
	if (renew.sock >= 0)
		klog("eth0: renewing at %lld s, rebinding at %lld s",
		     (long long)(renew.t1 - start) / 1000, (long long)(renew.t2 - start) / 1000);
	return 0;
}

static void net_apply(int sock, const struct net_conf *c)
{
	char a[16];
	FILE *f;

	if (if_up(sock, "eth0", &c->addr, &c->mask) < 0) {
		klog("cannot configure eth0: %s", strerror(errno));
		return;
	}
	if (c->mtu) {
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
		ifr.ifr_mtu = c->mtu;
		if (ioctl(sock, SIOCSIFMTU, &ifr) < 0)
			klog("eth0: cannot set the MTU to %d: %s", c->mtu, strerror(errno));
	}
	if (c->gw.s_addr) {
		struct rtentry rt;

		memset(&rt, 0, sizeof(rt));
		((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
		((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
		((struct sockaddr_in *)&rt.rt_gateway)->sin_family = AF_INET;
		((struct sockaddr_in *)&rt.rt_gateway)->sin_addr = c->gw;
		rt.rt_flags = RTF_UP | RTF_GATEWAY;
		if (ioctl(sock, SIOCADDRT, &rt) < 0)
			klog("cannot add the default route via %s: %s",
			     inet_ntop(AF_INET, &c->gw, a, sizeof(a)), strerror(errno));
	}
	if (c->ndns) {
		mkdir("/etc", 0755);
		f = fopen("/etc/resolv.conf", "we");
		for (int i = 0; f && i < c->ndns; i++)
			fprintf(f, "nameserver %s\n", inet_ntop(AF_INET, &c->dns[i], a, sizeof(a)));
		if (f)
			fclose(f);
	}
	klog("eth0: %s/%d mtu %d", inet_ntop(AF_INET, &c->addr, a, sizeof(a)),
	     dhcp_mask_prefix(c->mask.s_addr), c->mtu ? c->mtu : 1500);
}

/* The network of docs/networking.md for the first Ethernet device (eth0,
 * whose driver modules_load loaded: virtio-net, ENA or Xen netfront): the
 * unik.ip= words, or else with unik.net=dhcp a DHCP lease.  lo comes up in
 * any case.  Failures go to the kernel log; the program runs anyway. */
static void net_setup(void)
{
	struct net_conf c;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char v[64];

	if (sock < 0)
		return;
	if (if_up(sock, "lo", NULL, NULL) < 0)
		klog("cannot bring lo up: %s", strerror(errno));
	if (net_wanted()) {
		/* the device appears once its driver probed it: wait a little */
		for (int i = 0; i < 500 && if_nametoindex("eth0") == 0; i++)
			usleep(10000);
		memset(&c, 0, sizeof(c));
		if (cmdline_word(UNIK_BOOT_IP, 0, v, sizeof(v))
			? net_from_words(&c) == 0
			: net_from_dhcp(sock, &c, DHCP_BUDGET_MS) == 0)
			net_apply(sock, &c);
	}
	close(sock);
}

/* Removes eth0's address (and so the routes through it): its lease is lost. */
static void net_unconfigure(int sock)
{
	struct in_addr none = { 0 };

	if (if_up(sock, "eth0", &none, NULL) < 0)
		klog("cannot remove eth0's address: %s", strerror(errno));
}

/* While the program runs: keeps eth0's lease, and when it is lost removes
 * the address and asks for a lease again (every minute until one comes). */
static void net_keep(void)
{
	int64_t now = mono_ms();
	struct net_conf c;
	int sock;

	if (renew.sock < 0 && !dhcp_again_at)
		return;
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return;
	if (renew.sock >= 0 && dhcp_renew_step(&renew, now, klog) == DHCP_LOST) {
		dhcp_renew_close(&renew);
		klog("eth0: lease lost: its address is removed, asking for a new one");
		net_unconfigure(sock);
		dhcp_again_at = now;
	}
	if (dhcp_again_at && now >= dhcp_again_at) {
		memset(&c, 0, sizeof(c));
		if (net_from_dhcp(sock, &c, DHCP_AGAIN_BUDGET_MS) == 0) {
			net_apply(sock, &c);
			dhcp_again_at = 0;
		} else {
			dhcp_again_at = mono_ms() + DHCP_AGAIN_EVERY_MS;
		}
	}
	close(sock);
}

/* The network drivers among the modules: loaded only for a networked guest.
 * ena.ko (EC2's Nitro types) binds nothing elsewhere; xen-netfront.ko
 * refuses to load outside Xen (ENODEV: not tried again). */
static int is_net_module(const char *name)
{
	return !strncmp(name, "virtio", 6) || !strcmp(name, "failover.ko") ||
	       !strcmp(name, "net_failover.ko") || !strcmp(name, "ena.ko") ||
	       !strcmp(name, "xen-netfront.ko");
}

/* When a module is loaded in a round: after the ones it depends on. */
static int module_rank(const char *name)
{
	static const char *const first[] = { "virtio.ko", "virtio_ring.ko", "failover.ko" };
	static const char *const second[] = { "net_failover.ko", "virtio_pci_legacy_dev.ko",
					      "virtio_pci_modern_dev.ko" };

	for (size_t i = 0; i < 3; i++)
		if (!strcmp(name, first[i]))
			return 0;
	for (size_t i = 0; i < 3; i++)
		if (!strcmp(name, second[i]))
			return 1;
	return 2;
}

struct module_set {
	char name[32][64];
	int n;
};

/* Loads the modules of `rank` not loaded yet; 1 if one was. */
static int modules_load_rank(int net, int rank, struct module_set *loaded)
{
	DIR *d = opendir(MODULES_DIR);
	struct dirent *e;
	int progress = 0;

	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char path[300];
		int fd, done = 0;
		long r;

		if (len < 4 || len >= sizeof(loaded->name[0]) ||
		    strcmp(e->d_name + len - 3, ".ko") || (!net && is_net_module(e->d_name)) ||
		    module_rank(e->d_name) != rank)
			continue;
		for (int i = 0; i < loaded->n && !done; i++)
			done = !strcmp(loaded->name[i], e->d_name);
		if (done || loaded->n == 32)
			continue;
		snprintf(path, sizeof(path), "%s/%s", MODULES_DIR, e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		r = fd < 0 ? -1 : syscall(SYS_finit_module, fd, "", 0);
		if (r == 0 || (fd >= 0 && (errno == EEXIST || errno == ENODEV))) {
			if (r != 0 && errno == ENODEV)
				klog("%s: not for this machine", e->d_name);
			snprintf(loaded->name[loaded->n++], sizeof(loaded->name[0]), "%s",
				 e->d_name);
			progress = 1;
		} else {
			klog("cannot load %s (yet): %s", path, strerror(errno));
		}
		if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
	return progress;
}

/* Loads the *.ko of MODULES_DIR: the ACPI button and evdev drivers, and
 * with `net` the virtio network drivers, dependencies first.  A module
 * whose dependencies are missing fails (unknown symbols): rounds repeat
 * until one makes no progress. */
static void modules_load(int net)
{
	struct module_set loaded = { .n = 0 };
	int progress = 1;

	while (progress) {
		progress = 0;
		for (int rank = 0; rank <= 2; rank++)
			progress |= modules_load_rank(net, rank, &loaded);
	}
}

/* Opens the input devices; a power-button press arrives on one of them. */
static int evdev_open(struct pollfd *pfd, int max)
{
	int n = 0;

	for (int i = 0; i < 32 && n < max; i++) {
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "/dev/input/event%d", i);
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		pfd[n].fd = fd;
		pfd[n].events = POLLIN;
		n++;
	}
	if (n == 0)
		klog("no input device: graceful stop unavailable");
	return n;
}

/* Number of power-button presses waiting on `fd`. */
static int evdev_presses(int fd)
{
	struct evdev_event ev;
	int presses = 0;

	while (read(fd, &ev, sizeof(ev)) == (ssize_t)sizeof(ev))
		if (ev.type == EV_KEY && ev.code == KEY_POWER && ev.value == 1)
			presses++;
	return presses;
}

static void __attribute__((noreturn)) app_exec(char **argv, char **envp)
{
	sigset_t none;
	int null = open("/dev/null", O_RDWR);

	/* A stop request may already be pending: it must act, not hit noop(). */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPWR, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (null >= 0)
		dup2(null, 0);
	if (chdir("/") < 0)
		_exit(126);
	execve(APP_PATH, argv, envp);
	dprintf(2, "unik-init: cannot run %s: %s\n", APP_PATH, strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static void noop(int sig)
{
	(void)sig;
}

/* Waits for the program to end, forwarding stop requests and keeping the
 * DHCP lease; returns its wait status.  pfd[0] is the signalfd,
 * pfd[1..nev] the input devices, pfd[nev + 1] is the lease's socket. */
static int supervise(pid_t app, struct pollfd *pfd, int nev)
{
	int requests = 0;

	for (;;) {
		int wanted = 0, status, n = nev + 1, timeout = 1000;
		int64_t wait = dhcp_renew_wait_ms(&renew, mono_ms());
		pid_t p;

		if (renew.sock >= 0) {
			pfd[n].fd = renew.sock;
			pfd[n].events = POLLIN;
			n++;
		}
		if (wait >= 0 && wait < timeout)
			timeout = (int)wait;
		/* The timeout also guards against a lost wake-up. */
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			klog("poll: %s", strerror(errno));
		net_keep();
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(pfd[0].fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				if (si.ssi_signo != SIGCHLD)
					wanted++;
		}
		for (int i = 1; i <= nev; i++)
			if (pfd[i].revents & POLLIN)
				wanted += evdev_presses(pfd[i].fd);
		while ((p = waitpid(-1, &status, WNOHANG)) > 0)
			if (p == app)
				return status;
		for (; wanted > 0; wanted--) {
			int sig = ++requests == 1 ? SIGTERM : SIGKILL;

			klog("stop requested: sending signal %d to the program", sig);
			kill(-app, sig);
			kill(app, sig);
		}
	}
}

/* Writes one line on the status serial port and waits until it is sent. */
static void status_write(const char *line)
{
	int fd = open(STATUS_TTY, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(line);
	struct termios t;

	if (fd < 0) {
		klog("cannot open %s: %s", STATUS_TTY, strerror(errno));
		return;
	}
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		cfsetospeed(&t, B115200);
		tcsetattr(fd, TCSANOW, &t);
	}
	if (write(fd, line, (size_t)len) != len)
		klog("cannot write %s: %s", STATUS_TTY, strerror(errno));
	tcdrain(fd);
	close(fd);
}

static void status_report(int code)
{
	char line[64];

	klog("program ended with status %d", code);
	snprintf(line, sizeof(line), UNIK_EXIT_STATUS_KEY "%d\n", code);
	status_write(line);
}

static void __attribute__((noreturn)) power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

int main(void)
{
	struct strlist argv = { NULL, 0 }, env = { NULL, 0 };
	struct pollfd pfd[MAX_EVDEV + 2];
	sigset_t mask;
	int nev, status, code;
	pid_t app;

	mounts_setup();
	console_setup();
	reboot(RB_DISABLE_CAD);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGPWR);
	signal(SIGTERM, noop);
	signal(SIGINT, noop);
	signal(SIGPWR, noop);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	pfd[0].fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	pfd[0].events = POLLIN;
	/* Before the program starts, so that no press goes unseen. */
	modules_load(net_wanted());
	net_setup();
	nev = evdev_open(pfd + 1, MAX_EVDEV);
	if (nev > 0)
		status_write(UNIK_READY_LINE "\n"); /* the host may press the power button now */

	list_push(&argv, strdup("app"));
	if (cmdline_parse(&argv, &env) < 0) {
		dprintf(2, "unik-init: malformed unik.arg/unik.env on the kernel command line\n");
		status_report(125);
		power_off();
	}
	app = fork();
	if (app == 0)
		app_exec(argv.v, env.v);
	if (app < 0) {
		dprintf(2, "unik-init: cannot fork: %s\n", strerror(errno));
		status_report(126);
		power_off();
	}
	status = supervise(app, pfd, nev);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
	status_report(code);
	power_off();
}
