/* process.c - pidfd waits and command-line checks (see process.h). */
#include "process.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../lib/clock.h"
#include "../../lib/fsutil.h"
#include "../../lib/strbuf.h"

int proc_pidfd(pid_t pid)
{
	if (pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int proc_wait_gone(int pidfd, int ms)
{
	long long end = clock_now_ms() + (ms > 0 ? ms : 0);

	for (;;) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		long long left = end - clock_now_ms();
		int r = poll(&pfd, 1, (int)(left > 0 ? left : 0));

		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

int proc_cmdline_has(pid_t pid, const char *needle)
{
	char path[64];
	struct strbuf sb = STRBUF_INIT;
	int has = 0;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (pid > 0 && fs_read_file(path, &sb, NULL) == 0) {
		for (size_t i = 0; i < sb.len; i++)
			if (sb.buf[i] == '\0')
				sb.buf[i] = ' ';
		has = strstr(strbuf_str(&sb), needle) != NULL;
	}
	strbuf_release(&sb);
	return has;
}
