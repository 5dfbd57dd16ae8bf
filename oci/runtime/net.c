/* net.c - the container's network handed to the guest, as urunc does: in
 * the container's network namespace, the first Ethernet interface with an
 * IPv4 address (the pod's eth0, set up by CNI or Docker before start) gets
 * a tap beside it; tc ingress filters redirect every frame from the one to
 * the other (mirred), the address leaves the interface (the namespace's own
 * stack no longer answers for it) and goes to the guest (unik.ip, unik.gw,
 * unik.dns), whose MAC is the interface's.  So the guest answers at the
 * pod's address and the engine's records stay true.  Done by `ip` and `tc`
 * (iproute2) in the container's process, just before it execs the monitor.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "rt.h"

#define OUT_MAX (1 << 20)

/* Runs argv (searched in PATH); its stdout into out when not NULL. */
static int run(const char *const *argv, struct strbuf *out, char *why, size_t n)
{
	int p[2], status;
	pid_t pid;
	char buf[4096];
	ssize_t r;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(why, n, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, n, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(out ? p[1] : null, 1);
		dup2(null, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	while ((r = read(p[0], buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
		if (r > 0 && out && out->len < OUT_MAX)
			strbuf_add(out, buf, (size_t)r);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(why, n, "network: '%s %s %s %s' failed (status %d)", argv[0], argv[1],
		 argv[2] ? argv[2] : "", argv[2] && argv[3] ? argv[3] : "",
		 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return -1;
}

static json_t *run_json(const char *const *argv, char *why, size_t n)
{
	struct strbuf out = STRBUF_INIT;
	json_error_t jerr;
	json_t *j = NULL;

	if (run(argv, &out, why, n) == 0) {
		j = json_loadb(strbuf_str(&out), out.len, 0, &jerr);
		if (!j || !json_is_array(j)) {
			snprintf(why, n, "network: '%s %s' printed no JSON list", argv[0], argv[1]);
			json_decref(j);
			j = NULL;
		}
	}
	strbuf_release(&out);
	return j;
}

/* A string that is a plain token (an address, a name): no spaces. */
static const char *token(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s || !*s || strlen(s) > 64 || strcspn(s, " \t\n/%") != strlen(s))
		return NULL;
	return s;
}

/* The interface: first non-loopback Ethernet one with an IPv4 address. */
static int find_iface(struct rt_net *net, char *why, size_t n)
{
	static const char *const argv[] = { "ip", "-j", "addr", "show", NULL };
	json_t *links = run_json(argv, why, n), *l, *a;
	size_t i, k;

	if (!links)
		return -1;
	json_array_foreach (links, i, l) {
		const char *name = token(l, "ifname"), *mac = token(l, "address");
		const char *type = json_string_value(json_object_get(l, "link_type"));

		if (!name || !mac || !type || strcmp(type, "ether") || strlen(mac) != 17)
			continue;
		json_array_foreach (json_object_get(l, "addr_info"), k, a) {
			const char *ip = token(a, "local");
			const char *fam = json_string_value(json_object_get(a, "family"));
			json_t *pl = json_object_get(a, "prefixlen");

			if (!ip || !fam || strcmp(fam, "inet") || !json_is_integer(pl) ||
			    json_integer_value(pl) < 1 || json_integer_value(pl) > 32)
				continue;
			snprintf(net->iface, sizeof(net->iface), "%s", name);
			snprintf(net->mac, sizeof(net->mac), "%s", mac);
			snprintf(net->addr, sizeof(net->addr), "%s", ip);
			net->prefix = (int)json_integer_value(pl);
			json_t *mtu = json_object_get(l, "mtu");
			net->mtu = json_is_integer(mtu) ? (int)json_integer_value(mtu) : 0;
			json_decref(links);
			return 1;
		}
	}
	json_decref(links);
	return 0;
}

static int find_gateway(struct rt_net *net, char *why, size_t n)
{
	static const char *const argv[] = { "ip", "-j", "-4", "route", "show", "default", NULL };
	json_t *routes = run_json(argv, why, n), *r;
	size_t i;

	if (!routes)
		return -1;
	json_array_foreach (routes, i, r) {
		const char *gw = token(r, "gateway"), *dev = token(r, "dev");

		if (gw && dev && !strcmp(dev, net->iface)) {
			snprintf(net->gateway, sizeof(net->gateway), "%s", gw);
			break;
		}
	}
	json_decref(routes);
	return 0;
}

/* The first nameserver of the resolv.conf the engine mounts. */
static void find_dns(const struct rt_bundle *b, struct rt_net *net)
{
	char line[256];
	FILE *f;

	if (!b->resolv_conf)
		return;
	f = fopen(b->resolv_conf, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char ip[64];

		if (sscanf(line, "nameserver %63s", ip) == 1 && strchr(ip, '.') &&
		    strspn(ip, "0123456789.") == strlen(ip)) {
			snprintf(net->dns, sizeof(net->dns), "%s", ip);
			break;
		}
	}
	fclose(f);
}

static int redirect(const char *from, const char *to, char *why, size_t n)
{
	const char *qdisc[] = { "tc", "qdisc", "add", "dev", from, "ingress", NULL };
	const char *filter[] = { "tc",	  "filter",   "add",	"dev",	  from,	    "parent",
				 "ffff:", "protocol", "all",	"u32",	  "match",  "u8",
				 "0",	  "0",	      "action", "mirred", "egress", "redirect",
				 "dev",	  to,	      NULL };

	return run(qdisc, NULL, why, n) || run(filter, NULL, why, n) ? -1 : 0;
}

int rt_net_setup(const struct rt_ctx *ctx, const struct rt_bundle *b, struct rt_net *net, char *why,
		 size_t n)
{
	const char *mode = rt_annotation(&b->ann_keys, &b->ann_values, "org.unik.network");
	char mtu[16], cidr[80];
	int r;

	memset(net, 0, sizeof(*net));
	if (!mode)
		mode = unik_config_get(&ctx->cfg, "runtime.network", "auto");
	if (!strcmp(mode, "none") || !b->netns)
		return 0;
	if (strcmp(mode, "auto")) {
		snprintf(why, n, "network mode '%.64s': auto or none", mode);
		return -1;
	}
	r = find_iface(net, why, n);
	if (r <= 0)
		return r; /* 0: only loopback, the guest has no network */
	if (find_gateway(net, why, n))
		return -1;
	find_dns(b, net);
	snprintf(net->tap, sizeof(net->tap), "unik-tap0");
	snprintf(mtu, sizeof(mtu), "%d", net->mtu > 0 ? net->mtu : 1500);
	snprintf(cidr, sizeof(cidr), "%s/%d", net->addr, net->prefix);
	{
		const char *tap[] = { "ip", "tuntap", "add", "dev", net->tap, "mode", "tap", NULL };
		const char *up[] = { "ip", "link", "set", "dev", net->tap, "mtu", mtu, "up", NULL };
		const char *del[] = { "ip", "addr", "del", cidr, "dev", net->iface, NULL };

		if (run(tap, NULL, why, n) || run(up, NULL, why, n) ||
		    redirect(net->iface, net->tap, why, n) ||
		    redirect(net->tap, net->iface, why, n) || run(del, NULL, why, n))
			return -1;
	}
	return 1;
}
