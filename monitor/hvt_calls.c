/* hvt_calls.c - the calls of abi/hvt_abi.h, served for one guest.
 *
 * The guest is untrusted.  Every guest-physical address and length is
 * checked against guest memory with mon_gpa_ok() (overflow-safe) before it
 * is touched (structs are copied in and out, so each field is read once);
 * a bad one, or an unknown call number, stops the guest with a
 * message that names the call and the value.  Nothing a guest passes can
 * make the monitor read or write outside guest memory.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hvt.h"

static const char *const call_names[HVT_CALL_MAX] = {
	[HVT_CALL_WALLTIME] = "walltime",
	[HVT_CALL_CONSOLE_WRITE] = "console_write",
	[HVT_CALL_POLL] = "poll",
	[HVT_CALL_HALT] = "halt",
	[HVT_CALL_NET_INFO] = "net_info",
	[HVT_CALL_NET_WRITE] = "net_write",
	[HVT_CALL_NET_READ] = "net_read",
	[HVT_CALL_BLOCK_INFO] = "block_info",
	[HVT_CALL_BLOCK_WRITE] = "block_write",
	[HVT_CALL_BLOCK_READ] = "block_read",
	[HVT_CALL_TIMER] = "timer",
	[HVT_CALL_CONSOLE_ERR] = "console_err",
	[HVT_CALL_CONSOLE_READ] = "console_read",
};

/* Copies the call's struct from guest memory into *arg (the guest may place
 * it unaligned, and we read each field once); -1 with why when it is not
 * wholly in guest memory. */
static int get_arg(struct hvt *h, unsigned nr, uint64_t gpa, void *arg, size_t size, char *why)
{
	if (!mon_gpa_ok(h->mem_size, gpa, size)) {
		snprintf(
		    why, MON_WHY,
		    "guest passed a wild pointer to call %s: struct at 0x%lx (+%zu) is outside "
		    "its %lu MiB",
		    call_names[nr], (unsigned long)gpa, size, (unsigned long)(h->mem_size >> 20));
		return -1;
	}
	memcpy(arg, h->mem + gpa, size);
	return 0;
}

/* Copies the answer back (the range was checked by get_arg). */
static void put_arg(struct hvt *h, uint64_t gpa, const void *arg, size_t size)
{
	memcpy(h->mem + gpa, arg, size);
}

static uint64_t ns_of(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static enum hvt_result walltime(struct hvt *h, uint64_t gpa, char *why)
{
	struct hvt_call_walltime c;

	if (get_arg(h, HVT_CALL_WALLTIME, gpa, &c, sizeof(c), why) < 0)
		return HVT_STOPPED;
	c.wall_ns = ns_of(CLOCK_REALTIME);
	c.mono_ns = ns_of(CLOCK_MONOTONIC);
	put_arg(h, gpa, &c, sizeof(c));
	return HVT_CONTINUE;
}

/* CONSOLE_WRITE to our stdout, CONSOLE_ERR to our stderr. */
static enum hvt_result console_write(struct hvt *h, unsigned nr, uint64_t gpa, char *why)
{
	struct hvt_call_console_write c;
	int fd = nr == HVT_CALL_CONSOLE_ERR ? STDERR_FILENO : STDOUT_FILENO;
	uint64_t data, len;

	if (get_arg(h, nr, gpa, &c, sizeof(c), why) < 0)
		return HVT_STOPPED;
	data = c.data;
	len = c.len;
	if (!mon_gpa_ok(h->mem_size, data, len)) {
		snprintf(why, MON_WHY,
			 "guest passed a wild pointer to call %s: data 0x%lx, length "
			 "%lu is outside its %lu MiB",
			 call_names[nr], (unsigned long)data, (unsigned long)len,
			 (unsigned long)(h->mem_size >> 20));
		return HVT_STOPPED;
	}
	while (len) {
		ssize_t w = write(fd, h->mem + data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* the console is gone: the guest goes on */
		data += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return HVT_CONTINUE;
}

/* Whether console input is waiting (or has ended), without blocking. */
static int console_in_ready(struct hvt *h)
{
	struct pollfd pfd = { h->console_in_fd, POLLIN, 0 };
	struct timespec zero = { 0, 0 };

	if (h->console_in_fd < 0 || h->console_in_eof)
		return 0;
	return ppoll(&pfd, 1, &zero, NULL) > 0 && pfd.revents; /* the filter allows ppoll */
}

/* CONSOLE_READ: what is waiting on our stdin, never blocking (it may be a
 * terminal: it is not made non-blocking, ppoll says when read is safe). */
static enum hvt_result console_read(struct hvt *h, uint64_t gpa, char *why)
{
	struct hvt_call_console_read c;
	ssize_t r;

	if (get_arg(h, HVT_CALL_CONSOLE_READ, gpa, &c, sizeof(c), why) < 0)
		return HVT_STOPPED;
	if (!mon_gpa_ok(h->mem_size, c.data, c.size)) {
		snprintf(why, MON_WHY,
			 "guest passed a wild pointer to call console_read: data 0x%lx, size "
			 "%lu is outside its %lu MiB",
			 (unsigned long)c.data, (unsigned long)c.size,
			 (unsigned long)(h->mem_size >> 20));
		return HVT_STOPPED;
	}
	c.len = 0;
	c.eof = 0;
	c.ret = 0;
	if (h->console_in_fd < 0) {
		c.ret = -ENODEV;
	} else if (!h->console_in_eof && c.size && console_in_ready(h)) {
		do
			r = read(h->console_in_fd, h->mem + c.data, c.size);
		while (r < 0 && errno == EINTR);
		if (r > 0)
			c.len = (uint64_t)r;
		else if (r == 0 || errno != EAGAIN)
			h->console_in_eof = 1; /* ended, or broken: no more */
	}
	c.eof = (uint32_t)h->console_in_eof;
	put_arg(h, gpa, &c, sizeof(c));
	return HVT_CONTINUE;
}

/* Sleeps until the timeout, a frame on the tap or console input (when the
 * guest wants it). */
static enum hvt_result poll_wait(struct hvt *h, uint64_t gpa, char *why)
{
	struct hvt_call_poll c;
	struct timespec ts;
	struct pollfd pfd[2];
	int n, nfd = 0, net = -1, con = -1;

	if (get_arg(h, HVT_CALL_POLL, gpa, &c, sizeof(c), why) < 0)
		return HVT_STOPPED;
	ts.tv_sec = (time_t)(c.timeout_ns / 1000000000ULL);
	ts.tv_nsec = (long)(c.timeout_ns % 1000000000ULL);
	if (hvt_stop_requested)
		ts.tv_sec = ts.tv_nsec = 0;
	if (h->net_fd >= 0) {
		net = nfd;
		pfd[nfd++] = (struct pollfd){ h->net_fd, POLLIN, 0 };
	}
	if ((c.want & HVT_READY_CONSOLE) && h->console_in_fd >= 0 && !h->console_in_eof) {
		con = nfd;
		pfd[nfd++] = (struct pollfd){ h->console_in_fd, POLLIN, 0 };
	}
	/* SIGALRM and SIGTERM end the wait (EINTR): unblocked only here */
	n = ppoll(nfd ? pfd : NULL, (nfds_t)nfd, &ts, &hvt_wait_mask);
	c.ret = n < 0 && errno != EINTR ? -errno : 0;
	c.ready_set = 0;
	if (n > 0 && net >= 0 && (pfd[net].revents & POLLIN))
		c.ready_set |= HVT_READY_NET;
	if (n > 0 && con >= 0 && pfd[con].revents)
		c.ready_set |= HVT_READY_CONSOLE;
	if (hvt_stop_requested)
		c.ready_set |= HVT_READY_STOP;
	hvt_stop_requested = 0;
	hvt_timer_fired = 0; /* the guest looks at its deadlines after a POLL */
	put_arg(h, gpa, &c, sizeof(c));
	return HVT_CONTINUE;
}

/* Checks a frame buffer of a net call; -1 with why when it is wild. */
static int frame_ok(struct hvt *h, const char *call, uint64_t data, uint64_t len, char *why)
{
	if (h->net_fd < 0) {
		snprintf(why, MON_WHY, "guest made call %s but has no network device", call);
		return -1;
	}
	if (!mon_gpa_ok(h->mem_size, data, len)) {
		snprintf(why, MON_WHY,
			 "guest passed a wild pointer to call %s: data 0x%lx, length %lu is "
			 "outside its %lu MiB",
			 call, (unsigned long)data, (unsigned long)len,
			 (unsigned long)(h->mem_size >> 20));
		return -1;
	}
	return 0;
}

static enum hvt_result net_write(struct hvt *h, uint64_t gpa, char *why)
{
	struct hvt_call_net_write c;
	ssize_t w;

	if (get_arg(h, HVT_CALL_NET_WRITE, gpa, &c, sizeof(c), why) < 0)
		return HVT_STOPPED;
	if (frame_ok(h, "net_write", c.data, c.len, why) < 0)
		return HVT_STOPPED;
	do
		w = write(h->net_fd, h->mem + c.data, c.len);
	while (w < 0 && errno == EINTR);
	c.ret = w == (ssize_t)c.len ? 0 : w < 0 && errno == EAGAIN ? -EAGAIN : -EIO;
	put_arg(h, gpa, &c, sizeof(c));
	return HVT_CONTINUE;
}

static enum hvt_result net_read(struct hvt *h, uint64_t gpa, char *why)
{
	struct hvt_call_net_read c;
	ssize_t r;

	if (get_arg(h, HVT_CALL_NET_READ, gpa, &c, sizeof(c), why) < 0)
		return HVT_STOPPED;
	if (frame_ok(h, "net_read", c.data, c.size, why) < 0)
		return HVT_STOPPED;
	do
		r = read(h->net_fd, h->mem + c.data, c.size);
	while (r < 0 && errno == EINTR);
	c.len = r > 0 ? (uint64_t)r : 0;
	c.ret = r < 0 && errno != EAGAIN ? -EIO : 0;
	put_arg(h, gpa, &c, sizeof(c));
	return HVT_CONTINUE;
}

static enum hvt_result block_info(struct hvt *h, uint64_t gpa, char *why)
{
	struct hvt_call_block_info c;

	if (get_arg(h, HVT_CALL_BLOCK_INFO, gpa, &c, sizeof(c), why) < 0)
		return HVT_STOPPED;
	c.count = (uint32_t)h->ndisks;
	if (c.disk < (uint32_t)h->ndisks) {
		c.size = h->disks[c.disk].size;
		c.flags = h->disks[c.disk].ro ? HVT_DISK_RO : 0;
		c.ret = 0;
	} else {
		c.size = 0;
		c.flags = 0;
		c.ret = -ENODEV;
	}
	put_arg(h, gpa, &c, sizeof(c));
	return HVT_CONTINUE;
}

/* The answer to a BLOCK_READ or BLOCK_WRITE whose struct c was checked. */
static int block_io(struct hvt *h, const struct hvt_call_block_rw *c, int write)
{
	const struct mon_disk *d;
	uint64_t off = c->offset, data = c->data, len = c->len;

	if (c->disk >= (uint32_t)h->ndisks)
		return -EINVAL;
	d = &h->disks[c->disk];
	if (off % HVT_SECTOR_SIZE || len % HVT_SECTOR_SIZE || off > d->size || len > d->size - off)
		return -EINVAL;
	if (write && d->ro)
		return -EROFS;
	while (len) {
		ssize_t n = write ? pwrite(d->fd, h->mem + data, len, (off_t)off)
				  : pread(d->fd, h->mem + data, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO; /* a read past a file that shrank under us, too */
		off += (uint64_t)n;
		data += (uint64_t)n;
		len -= (uint64_t)n;
	}
	if (write && (c->flags & HVT_BLOCK_FLUSH) && fdatasync(d->fd) < 0)
		return -EIO;
	return 0;
}

static enum hvt_result block_rw(struct hvt *h, unsigned nr, uint64_t gpa, char *why)
{
	struct hvt_call_block_rw c;

	if (get_arg(h, nr, gpa, &c, sizeof(c), why) < 0)
		return HVT_STOPPED;
	if (!mon_gpa_ok(h->mem_size, c.data, c.len)) {
		snprintf(why, MON_WHY,
			 "guest passed a wild pointer to call %s: data 0x%lx, length %lu is "
			 "outside its %lu MiB",
			 call_names[nr], (unsigned long)c.data, (unsigned long)c.len,
			 (unsigned long)(h->mem_size >> 20));
		return HVT_STOPPED;
	}
	c.ret = block_io(h, &c, nr == HVT_CALL_BLOCK_WRITE);
	put_arg(h, gpa, &c, sizeof(c));
	return HVT_CONTINUE;
}

static enum hvt_result timer(struct hvt *h, uint64_t gpa, char *why)
{
	struct hvt_call_timer c;

	if (get_arg(h, HVT_CALL_TIMER, gpa, &c, sizeof(c), why) < 0)
		return HVT_STOPPED;
	if (hvt_timer_arm(c.timeout_ns) < 0) {
		snprintf(why, MON_WHY, "setitimer: %s", strerror(errno));
		return HVT_STOPPED;
	}
	return HVT_CONTINUE;
}

enum hvt_result hvt_call(struct hvt *h, unsigned nr, uint64_t gpa, int *status, char *why)
{
	struct hvt_call_halt halt;

	switch (nr) {
	case HVT_CALL_WALLTIME: return walltime(h, gpa, why);
	case HVT_CALL_CONSOLE_WRITE:
	case HVT_CALL_CONSOLE_ERR: return console_write(h, nr, gpa, why);
	case HVT_CALL_CONSOLE_READ: return console_read(h, gpa, why);
	case HVT_CALL_POLL: return poll_wait(h, gpa, why);
	case HVT_CALL_NET_WRITE: return net_write(h, gpa, why);
	case HVT_CALL_NET_READ: return net_read(h, gpa, why);
	case HVT_CALL_TIMER: return timer(h, gpa, why);
	case HVT_CALL_BLOCK_INFO: return block_info(h, gpa, why);
	case HVT_CALL_BLOCK_READ:
	case HVT_CALL_BLOCK_WRITE: return block_rw(h, nr, gpa, why);
	case HVT_CALL_HALT:
		if (get_arg(h, HVT_CALL_HALT, gpa, &halt, sizeof(halt), why) < 0)
			return HVT_STOPPED;
		*status = halt.status & 0xff;
		return HVT_HALTED;
	default:
		if (nr < HVT_CALL_MAX && call_names[nr])
			snprintf(why, MON_WHY, "guest made call %s (%u), which this monitor lacks",
				 call_names[nr], nr);
		else
			snprintf(why, MON_WHY,
				 "guest made an unknown call number %u (port 0x%x, argument 0x%lx)",
				 nr, HVT_PIO_BASE + nr, (unsigned long)gpa);
		return HVT_STOPPED;
	}
}
