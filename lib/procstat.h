/* procstat.h - a process's /proc/PID/stat, the fields unik reads. */
#ifndef UNIK_LIB_PROCSTAT_H
#define UNIK_LIB_PROCSTAT_H

#include <sys/types.h>

struct proc_stat {
	char state; /* 'R', 'S', 'Z', ... */
	int ppid, pgrp, session;
	unsigned long long utime, stime; /* clock ticks */
	unsigned long long start_time; /* clock ticks after boot: with the pid, names a process */
};

/* Reads /proc/PID/stat into *out: 0, or -1 when there is no such process
 * (or its line cannot be read).  The command name may hold anything,
 * spaces and parentheses too: the fields are read after its last ')'. */
int proc_stat_read(pid_t pid, struct proc_stat *out);

#endif
