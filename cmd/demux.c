/* demux.c - the daemon's framed console stream to stdout and stderr (demux.h). */
#include "demux.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int put(int stream, const char *data, size_t len, struct unik_err *err)
{
	FILE *f = stream == 2 ? stderr : stdout;

	if (fwrite(data, 1, len, f) != len || fflush(f) == EOF)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot write to %s: %s",
				    stream == 2 ? "stderr" : "stdout", strerror(errno));
	return 0;
}

int cmd_demux_write(const char *data, size_t len, void *arg, struct unik_err *err)
{
	struct cmd_demux *m = arg;

	while (len) {
		if (m->left) {
			size_t n = len < m->left ? len : m->left;

			if (put(m->stream, data, n, err))
				return -1;
			m->left -= (uint32_t)n;
			data += n;
			len -= n;
			continue;
		}
		while (len && m->have < sizeof(m->head)) {
			m->head[m->have++] = (unsigned char)*data++;
			len--;
		}
		if (m->have < sizeof(m->head))
			break;
		m->have = 0;
		if ((m->head[0] != 1 && m->head[0] != 2) || m->head[1] || m->head[2] || m->head[3])
			return unik_err_set(err, UNIK_E_INTERNAL,
					    "the daemon's console stream is garbled (a chunk "
					    "for stream %u)",
					    m->head[0]);
		m->stream = m->head[0];
		m->left = (uint32_t)m->head[4] << 24 | (uint32_t)m->head[5] << 16 |
			  (uint32_t)m->head[6] << 8 | m->head[7];
	}
	return 0;
}
