/* console.c - descriptors 0, 1 and 2: the platform's console.  Output goes
 * to the console (a serial log, not a terminal): fd 1 to the first, fd 2 to
 * the second where the platform has one (plat_console_err).
 *
 * Standard input is the platform's console input when the host gave one
 * (unik run -i; platform_ops.console_read), else at end of file.  What the
 * host sends is taken into a small buffer whenever the runtime looks (a
 * read, poll, the idle loop: console_in_pump), so a read of an empty
 * console blocks in sched_wait() and the CPU sleeps in the platform's wait,
 * which console input ends while the buffer has room (console_in_wanted).
 * No line discipline: bytes arrive as the host sends them (lines from a
 * cooked terminal or a pipe); 0 from read once the host closed its side. */
#include "errno.h"
#include "fd.h"
#include "sched.h"
#include "syscall.h"
#include "../platform/platform.h"

#define S_IFCHR_CONSOLE (S_IFCHR | 0620)
#define CONSOLE_IN_SIZE 4096

static struct {
	u8 buf[CONSOLE_IN_SIZE];
	u32 head, len; /* the waiting bytes: buf[head..head+len) (modulo) */
	bool eof; /* no more will come (or none ever: none) */
	bool none; /* the host gave no console input */
} cin;

/* Takes what the host has sent, while there is room. */
void console_in_pump(void)
{
	while (!cin.eof && cin.len < CONSOLE_IN_SIZE) {
		u32 at = (cin.head + cin.len) % CONSOLE_IN_SIZE;
		u32 room = MIN(CONSOLE_IN_SIZE - cin.len, CONSOLE_IN_SIZE - at);
		long n =
		    platform->console_read ? platform->console_read(cin.buf + at, room) : -ENODEV;

		if (n == 0)
			break;
		if (n < 0) {
			cin.eof = true;
			cin.none = n == -ENODEV && !cin.len;
			break;
		}
		cin.len += (u32)MIN((u64)n, (u64)room);
	}
}

bool console_in_wanted(void)
{
	return platform->console_read && !cin.eof && cin.len < CONSOLE_IN_SIZE;
}

static bool console_in_ready(void *arg)
{
	console_in_pump();
	return cin.len || cin.eof;
}

static long console_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	u64 want = iov_total(iov, n), done = 0;

	if (!want)
		return 0;
	if (!console_in_ready(NULL)) {
		long rc;

		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		rc = sched_wait(console_in_ready, NULL, SCHED_FOREVER, "a read of standard input");
		if (rc)
			return rc;
	}
	/* the ring in order into a bounce buffer (the runtime is not
	 * preemptible: one is enough), then into the program's iovec */
	{
		static u8 bounce[CONSOLE_IN_SIZE];
		u64 take = MIN((u64)cin.len, want),
		    first = MIN(take, (u64)(CONSOLE_IN_SIZE - cin.head));

		memcpy(bounce, cin.buf + cin.head, first);
		memcpy(bounce + first, cin.buf, take - first);
		done = iov_copy_out(iov, n, bounce, take);
		cin.head = (u32)((cin.head + done) % CONSOLE_IN_SIZE);
		cin.len -= (u32)done;
	}
	if (!cin.len)
		cin.head = 0;
	return (long)done;
}

static short console_in_poll(struct file *f)
{
	console_in_pump();
	if (cin.len)
		return POLLIN;
	if (cin.eof) /* like /dev/null without input, a closed pipe after it */
		return cin.none ? POLLIN : POLLIN | POLLHUP;
	return 0;
}

/* Small writes of several pieces (stdio's buffer and the rest of a line)
 * go to the platform in one piece: one call to the monitor, one exit. */
static long console_write(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	void (*out)(const char *, size_t) = f->priv ? plat_console_err : plat_console_write;
	char buf[256];
	bool gather = n > 1;
	long total = 0;
	u64 sum = 0;

	for (int i = 0; i < n && gather; i++) {
		if (iov[i].len > sizeof(buf) - sum)
			gather = false;
		else
			sum += iov[i].len;
	}
	if (gather) {
		for (int i = 0, at = 0; i < n; at += (int)iov[i].len, i++)
			memcpy(buf + at, (const void *)iov[i].base, iov[i].len);
		out(buf, sum);
		return (long)sum;
	}
	for (int i = 0; i < n; i++) {
		out((const char *)iov[i].base, iov[i].len);
		total += (long)iov[i].len;
	}
	return total;
}

static short console_out_poll(struct file *f)
{
	return POLLOUT;
}

static const struct file_ops console_in_ops = {
	.mode = S_IFCHR_CONSOLE,
	.read = console_read,
	.poll = console_in_poll,
};

static const struct file_ops console_out_ops = {
	.mode = S_IFCHR_CONSOLE,
	.write = console_write,
	.poll = console_out_poll,
};

/* priv: NULL for standard output, non-NULL for standard error */
static const char err_stream;
/* Descriptors 0, 1 and 2, made at link time (each held by its descriptor). */
static struct file console_files[3] = {
	{ .ops = &console_in_ops, .flags = O_RDONLY, .refs = 1 },
	{ .ops = &console_out_ops, .flags = O_WRONLY, .refs = 1 },
	{ .ops = &console_out_ops, .flags = O_WRONLY, .refs = 1, .priv = (void *)&err_stream },
};

void fd_init(void)
{
	fd_preset(console_files, 3);
}
