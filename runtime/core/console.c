/* console.c - descriptors 0, 1 and 2: the platform's console.  Output goes
 * to the console (a serial log, not a terminal): fd 1 to the first, fd 2 to
 * the second where the platform has one (plat_console_err); there is no
 * console input yet, so standard input is at end of file. */
#include "errno.h"
#include "fd.h"
#include "syscall.h"
#include "../platform/platform.h"

#define S_IFCHR_CONSOLE (S_IFCHR | 0620)

static long console_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	return 0;
}

static short console_in_poll(struct file *f)
{
	return POLLIN;
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

void fd_init(void)
{
	/* priv: NULL for standard output, non-NULL for standard error */
	static const char err_stream;

	fd_install(file_new(&console_in_ops, NULL, O_RDONLY, NULL), 0, false);
	fd_install(file_new(&console_out_ops, NULL, O_WRONLY, NULL), 1, false);
	fd_install(file_new(&console_out_ops, NULL, O_WRONLY, (void *)&err_stream), 2, false);
}
