/* demux.h - an instance's console as the daemon streams it with ?framed=1
 * (Docker's multiplexed framing: per chunk a header of 8 bytes, the stream
 * (1 standard output, 2 standard error), three zeros and the length, big
 * endian), back to this process's standard output and standard error. */
#ifndef UNIK_CMD_DEMUX_H
#define UNIK_CMD_DEMUX_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

struct cmd_demux {
	unsigned char head[8];
	size_t have; /* bytes of head read */
	uint32_t left; /* bytes of the current chunk still to come */
	int stream; /* of the current chunk */
};

#define CMD_DEMUX_INIT                                                                             \
	{                                                                                          \
		{ 0 }, 0, 0, 0                                                                     \
	}

/* A client_data_fn (arg: a struct cmd_demux): writes each chunk where its
 * header says; -1 with err on a header that names no stream, or when a
 * write fails. */
int cmd_demux_write(const char *data, size_t len, void *arg, struct unik_err *err);

#endif
