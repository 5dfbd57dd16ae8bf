/* instance_stats.c - CPU and memory of an instance's VM process
 * (instance_stats.h). */
#include "instance_stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../api/types.h"
#include "../providers/dispatch.h"
#include "daemon.h"
#include "store.h"
#include "supervisor.h"

/* Reads /proc/PID/NAME into buf (NUL-terminated).  0 or -1 with err. */
static int read_proc(pid_t pid, const char *name, char *buf, size_t size, struct unik_err *err)
{
	char path[64];
	ssize_t n = 0, r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return unik_err_set(err, errno == ENOENT ? UNIK_E_CONFLICT : UNIK_E_INTERNAL,
				    "cannot read %s: %s", path, strerror(errno));
	while ((size_t)n < size - 1 && (r = read(fd, buf + n, size - 1 - (size_t)n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return unik_err_set(err, UNIK_E_INTERNAL, "cannot read %s: %s", path,
					    strerror(errno));
		}
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

int proc_sample_read(pid_t pid, struct proc_sample *out, struct unik_err *err)
{
	char buf[4096];
	const char *p;
	unsigned long long utime, stime;
	long threads, ticks = sysconf(_SC_CLK_TCK);
	long long rss_kb = -1;
	struct timespec ts;

	memset(out, 0, sizeof(*out));
	if (read_proc(pid, "stat", buf, sizeof(buf), err))
		return -1;
	/* after the command's ")" (it may hold spaces and parentheses):
	 * state(3) ... utime(14) stime(15) ... num_threads(20) */
	p = strrchr(buf, ')');
	if (!p || ticks <= 0 ||
	    sscanf(p + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld",
		   &utime, &stime, &threads) != 3)
		return unik_err_set(err, UNIK_E_INTERNAL, "/proc/%d/stat: unexpected contents",
				    (int)pid);
	if (read_proc(pid, "status", buf, sizeof(buf), err))
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, "VmRSS:", 6) && sscanf(p + 6, "%lld", &rss_kb) == 1)
			break;
	if (rss_kb < 0)
		rss_kb = 0; /* a zombie has no memory left */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	out->cpu_ns = (int64_t)((utime + stime) * (1000000000ULL / (unsigned long long)ticks));
	out->rss_bytes = (int64_t)rss_kb * 1024;
	out->threads = (int)threads;
	out->at_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	return 0;
}

int instance_stats(struct unikd *d, const char *id, int interval_ms, json_t **out,
		   struct unik_err *err)
{
	const struct unik_provider *p;
	struct unik_instance in;
	struct proc_sample a, b;
	struct timespec ts;
	double pct;
	int rv = -1;

	unik_instance_init(&in);
	pthread_mutex_lock(&d->lock);
	rv = store_instance_get(d->store, id, &in, err);
	pthread_mutex_unlock(&d->lock);
	if (rv)
		goto out;
	rv = -1;
	p = unik_provider_find(in.provider);
	if (!p) {
		unik_err_set(err, UNIK_E_INVALID, "instance %s uses unknown provider '%s'", in.name,
			     in.provider);
		goto out;
	}
	if (unik_provider_has(p, UNIK_OP_STATUS)) {
		unik_err_set(err, UNIK_E_UNSUPPORTED,
			     "provider %s runs its VMs outside a host process of this daemon: "
			     "stats need the VM's host process",
			     p->name);
		goto out;
	}
	if (in.state != UNIK_STATE_RUNNING || in.pid <= 0) {
		unik_err_set(err, UNIK_E_CONFLICT, "instance %s is not running (%s)", in.name,
			     unik_state_name(in.state));
		goto out;
	}
	if (!supervisor_pid_is_vm(in.pid, in.id)) {
		unik_err_set(err, UNIK_E_CONFLICT, "instance %s: its VM process %d has ended",
			     in.name, in.pid);
		goto out;
	}
	if (proc_sample_read(in.pid, &a, err))
		goto out;
	ts.tv_sec = interval_ms / 1000;
	ts.tv_nsec = (long)(interval_ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	if (proc_sample_read(in.pid, &b, err))
		goto out;
	pct = b.at_ns > a.at_ns
		  ? 100.0 * (double)(b.cpu_ns - a.cpu_ns) / (double)(b.at_ns - a.at_ns)
		  : 0.0;
	*out = json_pack("{sssssssisIsfsisIsIsisI}", "id", in.id, "name", in.name, "provider",
			 in.provider, "pid", in.pid, "cpu_ns", (json_int_t)b.cpu_ns, "cpu_percent",
			 pct < 0 ? 0.0 : pct, "interval_ms", interval_ms, "memory_bytes",
			 (json_int_t)b.rss_bytes, "memory_limit_bytes",
			 (json_int_t)in.memory_mb * 1024 * 1024, "threads", b.threads, "time",
			 (json_int_t)unikd_now());
	rv = *out ? 0 : unik_err_set(err, UNIK_E_INTERNAL, "cannot encode the stats");
out:
	unik_instance_release(&in);
	return rv;
}
