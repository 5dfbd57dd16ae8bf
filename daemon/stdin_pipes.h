/* stdin_pipes.h - the console input of instances run with "stdin": true
 * (unik run -i): one pipe per running instance, its read end the monitor's
 * standard input, its write end kept here and fed by POST
 * /v1/instances/{ref}/stdin.  Closing the write end is the program's end of
 * input.  Held in memory only: after a daemon restart an adopted instance's
 * input is at its end (the write end died with the old daemon). */
#ifndef UNIKD_STDIN_PIPES_H
#define UNIKD_STDIN_PIPES_H

#include <stddef.h>
#include <sys/types.h>

#include "../lib/error.h"

/* Makes the pipe of instance `id` (replacing and closing an earlier one):
 * 0 with *read_fd (close-on-exec; the caller closes it once the provider
 * has started), or -1 with err.  `eot`: the guest cannot see the pipe's
 * end (a serial port): its end is the byte 0x04, written before closing. */
int stdin_pipe_open(const char *id, int eot, int *read_fd, struct unik_err *err);
/* Ends the input of `id`: its program reads end of file once it has read
 * what is in the pipe.  Nothing when it has none. */
void stdin_pipe_close(const char *id);
/* Writes up to len bytes of buf to the input of `id`, waiting at most
 * wait_ms for room in the pipe: the bytes taken (less than len when the
 * program does not read fast enough: the caller sends the rest again), or
 * -1 with err: CONFLICT when `id` has no open input (`name` for the
 * message) or its program has ended. */
ssize_t stdin_pipe_write(const char *id, const char *name, const void *buf, size_t len, int wait_ms,
			 struct unik_err *err);
/* 1 while `id` has an open input. */
int stdin_pipe_is_open(const char *id);

#endif
