/* procstat.c - /proc/PID/stat (see procstat.h). */
#include "procstat.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int proc_stat_read(pid_t pid, struct proc_stat *out)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -1;
	/* fields 3 (state) to 22 (starttime): utime and stime are 14 and 15 */
	if (sscanf(p + 2,
		   "%c %d %d %d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
		   &out->state, &out->ppid, &out->pgrp, &out->session, &out->utime, &out->stime,
		   &out->start_time) != 7)
		return -1;
	return 0;
}
