/* bootargs.c - argv/env on the kernel command line (abi/boot.h). */
#include "bootargs.h"

#include <string.h>

#include "../abi/boot.h"

void bootargs_encode(struct strbuf *out, const char *s)
{
	size_t len = strlen(s);

	strbuf_grow(out, 3 * len);
	out->len += unik_boot_encode(out->buf + out->len, s, len);
	out->buf[out->len] = '\0';
}

int bootargs_decode(struct strbuf *out, const char *s, size_t len)
{
	long n;

	strbuf_grow(out, len);
	n = unik_boot_decode(out->buf + out->len, s, len);
	if (n < 0) {
		out->buf[out->len] = '\0';
		return -1;
	}
	out->len += (size_t)n;
	out->buf[out->len] = '\0';
	return 0;
}

void bootargs_append(struct strbuf *cmdline, const struct strv *args, const struct strv *env)
{
	for (size_t i = 0; i < args->n; i++) {
		strbuf_adds(cmdline, " " UNIK_BOOT_ARG);
		bootargs_encode(cmdline, args->v[i]);
	}
	for (size_t i = 0; i < env->n; i++) {
		strbuf_adds(cmdline, " " UNIK_BOOT_ENV);
		bootargs_encode(cmdline, env->v[i]);
	}
}

void bootargs_diag(struct strbuf *cmdline, int verbose, int trace)
{
	if (verbose)
		strbuf_adds(cmdline, " " UNIK_BOOT_VERBOSE);
	if (trace)
		strbuf_adds(cmdline, " " UNIK_BOOT_STRACE);
}
