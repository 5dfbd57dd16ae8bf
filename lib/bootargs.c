/* bootargs.c - argv/env on the kernel command line. */
#include "bootargs.h"

#include <string.h>

static int plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '~' || c == '-';
}

void bootargs_encode(struct strbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (plain(*p)) {
			strbuf_addch(out, (char)*p);
		} else {
			strbuf_addch(out, '%');
			strbuf_addch(out, hex[*p >> 4]);
			strbuf_addch(out, hex[*p & 15]);
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int bootargs_decode(struct strbuf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] != '%') {
			strbuf_addch(out, s[i]);
			continue;
		}
		if (i + 2 >= len)
			return -1;
		hi = hexval(s[i + 1]);
		lo = hexval(s[i + 2]);
		if (hi < 0 || lo < 0)
			return -1;
		strbuf_addch(out, (char)(hi << 4 | lo));
		i += 2;
	}
	return 0;
}

void bootargs_append(struct strbuf *cmdline, const struct strv *args, const struct strv *env)
{
	for (size_t i = 0; i < args->n; i++) {
		strbuf_adds(cmdline, " unik.arg=");
		bootargs_encode(cmdline, args->v[i]);
	}
	for (size_t i = 0; i < env->n; i++) {
		strbuf_adds(cmdline, " unik.env=");
		bootargs_encode(cmdline, env->v[i]);
	}
}

void bootargs_diag(struct strbuf *cmdline, int verbose, int trace)
{
	if (verbose)
		strbuf_adds(cmdline, " unik.verbose");
	if (trace)
		strbuf_adds(cmdline, " unik.strace");
}
