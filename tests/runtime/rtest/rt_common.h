/* rt_common.h - what the rtest modes of rt_fs.c and rt_ipc.c share. */
#ifndef RT_COMMON_H
#define RT_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Checks that failed so far; a mode's status is 1 when any did. */
extern int rt_fails;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL: %s:%d: ", __func__, __LINE__);                               \
			printf(__VA_ARGS__);                                                       \
			printf(" (errno %d %s)\n", errno, strerror(errno));                        \
			rt_fails++;                                                                \
		}                                                                                  \
	} while (0)

/* Writes s to path (created or truncated): 0 or -1. */
int write_file(const char *path, const char *s);
/* The contents of path (a static buffer), or NULL. */
const char *read_file(const char *path);
/* rt_ipc.c: pipes, AF_UNIX, timerfd, sendfile, the process; 1 when `mode`
 * is one of its modes (run, with *status set). */
int rt_ipc_main(const char *mode, int argc, char **argv, int *status);

#endif
