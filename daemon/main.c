/* main.c - unikd: options, start-up, reconciliation, clean shutdown. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/xalloc.h"
#include "../providers/dispatch.h"
#include "blobs.h"
#include "daemon.h"
#include "dns.h"
#include "log_times.h"
#include "http.h"
#include "instances.h"
#include "jobs.h"
#include "volume_disk.h"
#include "network.h"
#include "restarts.h"
#include "summon.h"
#include "store.h"
#include "supervisor.h"

/* How often instances without a watchable host process are asked of their
 * provider (instances_poll_unwatched). */
#define UNWATCHED_POLL_S 2

/* The auto order for the help text: providers by auto_priority. */
static void usage_auto_order(FILE *f)
{
	const struct unik_provider *order[16];
	size_t n = unik_provider_auto_order(NULL, order, sizeof(order) / sizeof(order[0]));

	fputs("                        usable of ", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "", order[i]->name);
	fputs(" that boots the image)\n", f);
}

static void usage(FILE *f)
{
	fputs("usage: unikd [options]\n"
	      "\n"
	      "The unik daemon: builds images and runs instances; serves the REST API.\n"
	      "\n"
	      "  --socket PATH         unix socket (default /run/unik/unikd.sock as root,\n"
	      "                        $XDG_RUNTIME_DIR/unik/unikd.sock otherwise)\n"
	      "  --listen IP:PORT      also listen on TCP: TLS (--tlscert, --tlskey), or plain\n"
	      "                        HTTP with --insecure; needs --token-file or --tlsverify\n"
	      "  --token-file FILE     bearer token required on TCP\n"
	      "  --tlscert FILE        TLS certificate (PEM) of the TCP listener\n"
	      "  --tlskey FILE         its private key (PEM)\n"
	      "  --tlsverify           TCP clients need a certificate signed by --tlscacert\n"
	      "  --tlscacert FILE      the CA (PEM) that signs client certificates\n"
	      "  --insecure            allow --listen without TLS (says so in the log)\n"
	      "  --state-dir DIR       images, instances, jobs (default /var/lib/unik as root,\n"
	      "                        ~/.local/share/unik otherwise)\n"
	      "  --config FILE         configuration (default /etc/unik/unikd.conf as root,\n"
	      "                        ~/.config/unik/unikd.conf otherwise; see docs/config.md)\n"
	      "  --max-upload SIZE     largest build upload (default 256M)\n"
	      "  --default-provider P  provider of runs that name none (default auto: the first\n",
	      f);
	usage_auto_order(f);
	fputs("  --stop-timeout SECS   grace period of stop (default 10)\n"
	      "  --bridge NAME         the bridge instances are on (default unik0; one per\n"
	      "                        daemon: a second daemon on a host needs its own)\n"
	      "  --subnet CIDR         their addresses (default 10.87.0.0/24; must not overlap\n"
	      "                        an address or route of the host)\n"
	      "  --keep-bridge         leave the bridge in place at exit (it is removed when\n"
	      "                        no instance runs on it)\n"
	      "  --dns ADDR:PORT       answer DNS queries for NAME.unik. of summoned instances\n"
	      "                        (UDP; the query boots it: docs/summon.md)\n"
	      "  --version, --help\n",
	      f);
}

/* "256M" -> bytes. */
static int parse_size(const char *s, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	default: break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static char *default_dir(const char *root_path, const char *env, const char *fallback_rel)
{
	const char *base = getenv(env);

	if (geteuid() == 0)
		return xstrdup(root_path);
	if (base && *base)
		return xasprintf("%s/%s", base, fallback_rel);
	return xasprintf("%s/%s", getenv("HOME") ? getenv("HOME") : "/tmp", fallback_rel);
}

static char *default_socket(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0)
		return xstrdup("/run/unik/unikd.sock");
	if (xdg && *xdg)
		return xasprintf("%s/unik/unikd.sock", xdg);
	return xasprintf("/tmp/unik-%d/unikd.sock", (int)getuid());
}

static char *read_token(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	struct unik_err err;
	char *t;

	if (fs_read_file(path, &sb, &err))
		die("%s", err.msg);
	while (sb.len && (sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == '\r' ||
			  sb.buf[sb.len - 1] == ' '))
		sb.buf[--sb.len] = '\0';
	if (sb.len < 16)
		die("the token in %s is shorter than 16 characters", path);
	t = strbuf_detach(&sb);
	return t;
}

enum {
	OPT_SOCKET = 256,
	OPT_LISTEN,
	OPT_TOKEN,
	OPT_STATE,
	OPT_CONFIG,
	OPT_UPLOAD,
	OPT_PROVIDER,
	OPT_STOP_TIMEOUT,
	OPT_TLSCERT,
	OPT_TLSKEY,
	OPT_TLSCACERT,
	OPT_TLSVERIFY,
	OPT_INSECURE,
	OPT_BRIDGE,
	OPT_SUBNET,
	OPT_KEEP_BRIDGE,
	OPT_DNS,
	OPT_VERSION,
	OPT_HELP
};

struct cli_opts {
	const char *socket, *listen, *token_file, *state_dir, *config, *upload, *provider,
	    *stop_timeout, *dns;
	const char *tlscert, *tlskey, *tlscacert;
	const char *bridge, *subnet;
	int tlsverify, insecure, keep_bridge;
};

static void parse_args(int argc, char **argv, struct cli_opts *o)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "token-file", required_argument, NULL, OPT_TOKEN },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "max-upload", required_argument, NULL, OPT_UPLOAD },
		{ "default-provider", required_argument, NULL, OPT_PROVIDER },
		{ "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
		{ "tlscert", required_argument, NULL, OPT_TLSCERT },
		{ "tlskey", required_argument, NULL, OPT_TLSKEY },
		{ "tlscacert", required_argument, NULL, OPT_TLSCACERT },
		{ "tlsverify", no_argument, NULL, OPT_TLSVERIFY },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ "bridge", required_argument, NULL, OPT_BRIDGE },
		{ "subnet", required_argument, NULL, OPT_SUBNET },
		{ "keep-bridge", no_argument, NULL, OPT_KEEP_BRIDGE },
		{ "dns", required_argument, NULL, OPT_DNS },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET: o->socket = optarg; break;
		case OPT_LISTEN: o->listen = optarg; break;
		case OPT_TOKEN: o->token_file = optarg; break;
		case OPT_STATE: o->state_dir = optarg; break;
		case OPT_CONFIG: o->config = optarg; break;
		case OPT_UPLOAD: o->upload = optarg; break;
		case OPT_PROVIDER: o->provider = optarg; break;
		case OPT_STOP_TIMEOUT: o->stop_timeout = optarg; break;
		case OPT_TLSCERT: o->tlscert = optarg; break;
		case OPT_TLSKEY: o->tlskey = optarg; break;
		case OPT_TLSCACERT: o->tlscacert = optarg; break;
		case OPT_TLSVERIFY: o->tlsverify = 1; break;
		case OPT_INSECURE: o->insecure = 1; break;
		case OPT_BRIDGE: o->bridge = optarg; break;
		case OPT_SUBNET: o->subnet = optarg; break;
		case OPT_KEEP_BRIDGE: o->keep_bridge = 1; break;
		case OPT_DNS: o->dns = optarg; break;
		case OPT_VERSION: printf("unikd %s (%s)\n", UNIK_VERSION, UNIK_GITREV); exit(0);
		case 'h':
		case OPT_HELP: usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see unikd --help)", argv[optind]);
}

/* "1"/"true"/"yes" or "0"/"false"/"no" (or absent: def) of a config key. */
static int config_bool(struct unikd *d, const char *key, int def)
{
	const char *v = unik_config_get(&d->cfg, key, NULL);

	if (!v)
		return def;
	if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"))
		return 1;
	if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
		return 0;
	die("bad %s '%s' (use true or false)", key, v);
}

/* An integer config key within [lo, hi]. */
static int config_int(struct unikd *d, const char *key, long long def, long long lo, long long hi)
{
	struct unik_err err = UNIK_ERR_INIT;
	long long n;

	if (unik_config_get_int(&d->cfg, key, def, &n, &err))
		die("%s", err.msg);
	if (n < lo || n > hi)
		die("%s = %lld is out of range (%lld..%lld)", key, n, lo, hi);
	return (int)n;
}

static char *opt_or_key(const char *opt, struct unikd *d, const char *key)
{
	const char *v = opt ? opt : unik_config_get(&d->cfg, key, NULL);

	return v && *v ? xstrdup(v) : NULL;
}

/* The HTTP layer's settings (docs/config.md); http_start checks the TCP rules. */
static void configure_http(struct unikd *d, const struct cli_opts *o)
{
	const char *v;

	d->tls_cert = opt_or_key(o->tlscert, d, "daemon.tlscert");
	d->tls_key = opt_or_key(o->tlskey, d, "daemon.tlskey");
	d->tls_ca = opt_or_key(o->tlscacert, d, "daemon.tlscacert");
	d->tls_verify = o->tlsverify || config_bool(d, "daemon.tlsverify", 0);
	d->insecure = o->insecure || config_bool(d, "daemon.insecure", 0);
	d->max_connections = config_int(d, "daemon.max_connections", 4096, 1, 1 << 20);
	d->max_connections_per_client =
	    config_int(d, "daemon.max_connections_per_client", 256, 0, 1 << 20);
	d->unix_max_connections = config_int(d, "daemon.unix_max_connections", 1024, 1, 1 << 20);
	d->http_workers = config_int(d, "daemon.http_workers", 16, 1, 1024);
	d->http_idle_timeout = config_int(d, "daemon.http_idle_timeout", 60, 1, 86400);
	d->http_header_timeout = config_int(d, "daemon.http_header_timeout", 20, 1, 3600);
	v = unik_config_get(&d->cfg, "daemon.http_request_memory", "128K");
	if (parse_size(v, &d->http_request_memory) || d->http_request_memory < 16 * 1024 ||
	    d->http_request_memory > 64 << 20)
		die("bad daemon.http_request_memory '%s' (16K..64M)", v);
}

/* Command line over config file over built-in defaults. */
static void configure(struct unikd *d, const struct cli_opts *o)
{
	struct unik_err err = UNIK_ERR_INIT;
	char *cfg_path =
	    o->config ? xstrdup(o->config)
		      : default_dir("/etc/unik/unikd.conf", "XDG_CONFIG_HOME", "unik/unikd.conf");
	const char *v;
	long long n;

	if (!o->config && geteuid() != 0 && !getenv("XDG_CONFIG_HOME")) {
		free(cfg_path);
		cfg_path = xasprintf("%s/.config/unik/unikd.conf",
				     getenv("HOME") ? getenv("HOME") : "/tmp");
	}
	if (unik_config_load(&d->cfg, cfg_path, !o->config, &err))
		die("%s", err.msg);
	free(cfg_path);

	v = o->state_dir ? o->state_dir : unik_config_get(&d->cfg, "daemon.state_dir", NULL);
	d->state_dir = v ? xstrdup(v) : default_dir("/var/lib/unik", "XDG_DATA_HOME", "unik");
	if (geteuid() != 0 && !v && !getenv("XDG_DATA_HOME")) {
		free(d->state_dir);
		d->state_dir =
		    xasprintf("%s/.local/share/unik", getenv("HOME") ? getenv("HOME") : "/tmp");
	}
	v = o->socket ? o->socket : unik_config_get(&d->cfg, "daemon.socket", NULL);
	d->socket_path = v ? xstrdup(v) : default_socket();
	v = o->listen ? o->listen : unik_config_get(&d->cfg, "daemon.listen", NULL);
	d->listen_addr = v && *v ? xstrdup(v) : NULL;
	v = o->token_file ? o->token_file : unik_config_get(&d->cfg, "daemon.token_file", NULL);
	d->token = v && *v ? read_token(v) : NULL;
	configure_http(d, o);
	if (o->bridge) /* network_init reads these keys */
		unik_config_set(&d->cfg, "network.bridge", o->bridge);
	if (o->subnet)
		unik_config_set(&d->cfg, "network.subnet", o->subnet);
	if (o->keep_bridge)
		unik_config_set(&d->cfg, "network.keep_bridge", "true");
	v = o->provider ? o->provider : unik_config_get(&d->cfg, "daemon.default_provider", "auto");
	if (strcmp(v, "auto") && !unik_provider_find(v))
		die("unknown default provider '%s'", v);
	d->default_provider = xstrdup(v);
	v = o->upload ? o->upload : unik_config_get(&d->cfg, "daemon.max_upload", "256M");
	if (parse_size(v, &d->max_upload) || d->max_upload <= 0)
		die("bad upload limit '%s' (use e.g. 256M)", v);
	v = unik_config_get(&d->cfg, "daemon.max_extract", NULL);
	if (v ? parse_size(v, &d->max_extract) : (d->max_extract = 4 * d->max_upload, 0))
		die("bad daemon.max_extract '%s'", v);
	v = unik_config_get(&d->cfg, "daemon.max_extract_files", "100000");
	if (parse_size(v, &n) || n < 1 || n > 100000000)
		die("bad daemon.max_extract_files '%s'", v);
	d->max_extract_files = (long)n;
	v = unik_config_get(&d->cfg, "daemon.max_volume_size", "64G");
	if (parse_size(v, &d->max_volume_size) || d->max_volume_size < UNIK_VOLUME_MIN_SIZE ||
	    d->max_volume_size > UNIK_VOLUME_MAX_SIZE)
		die("bad daemon.max_volume_size '%s' (1M .. 1T)", v);
	v = o->stop_timeout ? o->stop_timeout
			    : unik_config_get(&d->cfg, "daemon.stop_timeout", "10");
	if (parse_size(v, &n) || n > 3600)
		die("bad stop timeout '%s'", v);
	d->stop_timeout = (int)n;
}

static void prepare_state(struct unikd *d)
{
	static const char *const dirs[] = { "instances", "jobs", "tmp", "blobs" };
	struct unik_err err = UNIK_ERR_INIT;
	char *db;
	size_t n;

	if (fs_mkdir_p(d->state_dir, 0700, &err))
		die("%s", err.msg);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char *p = unikd_path(d, "%s", dirs[i]);

		if (!strcmp(dirs[i], "tmp"))
			fs_remove_tree(p, NULL); /* half-done uploads and builds */
		if (fs_mkdir_p(p, 0700, &err))
			die("%s", err.msg);
		free(p);
	}
	if (blobs_init(d->state_dir, &err))
		die("%s", err.msg);
	db = unikd_path(d, "unik.db");
	if (store_open(&d->store, db, &err))
		die("%s", err.msg);
	free(db);
	/* GET /v1/instances sends the stored texts: an older unikd's are
	 * brought to today's shape first */
	if (store_instance_docs_refresh(
		d->store, strcmp(UNIK_GITREV, "unknown") ? UNIK_VERSION " " UNIK_GITREV : NULL, &n,
		&err))
		die("%s", err.msg);
	if (n)
		unikd_log("store: %zu instance record%s brought up to date", n, n == 1 ? "" : "s");
}

int main(int argc, char **argv)
{
	struct unikd d;
	struct unik_err err = UNIK_ERR_INIT;
	struct http_server *srv = NULL;
	struct cli_opts o;
	pthread_condattr_t ca;
	sigset_t set;
	int sig;

	memset(&d, 0, sizeof(d));
	unik_config_init(&d.cfg);
	pthread_mutex_init(&d.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d.changed, &ca);
	pthread_condattr_destroy(&ca);
	parse_args(argc, argv, &o);
	configure(&d, &o);
	umask(077);

	/* every thread inherits this mask; main alone takes the signals */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	prepare_state(&d);
	if (jobs_init(&d, &err))
		die("%s", err.msg);
	if (network_init(&d, &err))
		die("%s", err.msg);
	if (log_times_start(&d, &err) || supervisor_start(&d.sup, instance_exited, &d, &err) ||
	    jobs_reconcile(&d, &err) || instances_reconcile(&d, &err) ||
	    volumes_reconcile(&d, &err))
		die("%s", err.msg);
	restarts_reconcile(&d); /* the restart policies of what ended meanwhile */
	summon_reconcile(&d); /* summoned instances listen again */
	if (o.dns && dns_start(&d, o.dns, &err))
		die("%s", err.msg);
	if (http_start(&d, &srv, &err))
		die("%s", err.msg);
	unikd_log("unikd %s listening on unix:%s%s%s%s, state in %s, network: %s", UNIK_VERSION,
		  d.socket_path,
		  !d.listen_addr ? ""
		  : d.tls_cert	 ? " and https://"
				 : " and http://",
		  d.listen_addr ? d.listen_addr : "",
		  d.listen_addr && d.tls_verify ? " (client certificates)" : "", d.state_dir,
		  network_describe(&d));

	for (;;) {
		struct timespec poll_every = { UNWATCHED_POLL_S, 0 };

		sig = sigtimedwait(&set, NULL, &poll_every);
		if (sig < 0)
			instances_poll_unwatched(&d); /* EAGAIN: time's up (or EINTR) */
		else if (sig != SIGHUP)
			break;
	}
	unikd_log("signal %d: shutting down (running instances keep running)", sig);

	pthread_mutex_lock(&d.lock);
	d.shutting_down = 1;
	pthread_mutex_unlock(&d.lock);
	unikd_notify(&d); /* waiters, and parked requests, see it */
	jobs_cancel_all(&d); /* running builds are killed, not waited for */
	jobs_drain(&d);
	restarts_stop();
	dns_stop();
	summon_fini(&d);
	http_stop(srv);
	supervisor_stop(d.sup);
	log_times_stop(&d);
	network_fini(&d);
	store_close(d.store);
	jobs_fini(&d);
	unikd_log("stopped");
	unik_config_release(&d.cfg);
	free(d.state_dir);
	free(d.socket_path);
	free(d.listen_addr);
	free(d.token);
	free(d.tls_cert);
	free(d.tls_key);
	free(d.tls_ca);
	free(d.default_provider);
	return 0;
}
