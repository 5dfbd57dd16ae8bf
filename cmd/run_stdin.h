/* run_stdin.h - unik run -i: this terminal's input (or a piped file) to the
 * program's standard input, by POST /v1/instances/{id}/stdin from a thread
 * of its own; -t: the terminal in character mode meanwhile. */
#ifndef UNIK_CMD_RUN_STDIN_H
#define UNIK_CMD_RUN_STDIN_H

#include "client.h"

struct run_stdin;

/* Starts sending our fd 0 to instance `id` through a copy of `cl`.  With
 * `tty` and a terminal on fd 0, the terminal goes to character mode (no
 * line buffering, local echo, Ctrl-C still a signal) until
 * run_stdin_stop() or a fatal signal; there Ctrl-D ends the input and
 * Ctrl-P Ctrl-Q sets *detach.  NULL (said on stderr) when it cannot. */
struct run_stdin *run_stdin_start(const struct unik_client *cl, const char *id, int tty,
				  volatile int *detach);
/* Ends the thread and gives the terminal back as it was. */
void run_stdin_stop(struct run_stdin *s);

#endif
