/* cmdline.c - argv and environment from the boot command line.
 * The encoding is lib/bootargs.h's: every byte outside [A-Za-z0-9._~-]
 * is written %XX. */
#include "runtime.h"

static char strings[32768];
static size_t used;

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

/* Decodes s[0..len) into the string pool; NULL if malformed or full. */
static char *decode(const char *s, size_t len)
{
	char *out = strings + used;
	size_t n = 0;

	if (used >= sizeof(strings))
		return NULL; /* full: not even room for the terminator */
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return NULL;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (used + n + 1 >= sizeof(strings))
			return NULL;
		out[n++] = c;
	}
	out[n] = 0;
	used += n + 1;
	return out;
}

/* The value of word w[0..len) if it starts with key (which ends in '='),
 * copied into the string pool; NULL otherwise. */
static const char *value_of(const char *w, size_t len, const char *key)
{
	size_t kl = strlen(key);

	if (len <= kl || memcmp(w, key, kl))
		return NULL;
	return decode(w + kl, len - kl);
}

static bool word_is(const char *w, size_t len, const char *key)
{
	return strlen(key) == len && !memcmp(w, key, len);
}

void cmdline_parse(const char *line, const char *prog, struct cmdline *out)
{
	const char *p = line;

	memset(out, 0, sizeof(*out));
	out->argv[out->argc++] = decode(prog, strlen(prog));
	while (*p) {
		const char *w, *v;
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		len = (size_t)(p - w);
		if (!len)
			continue;
		if (len >= 9 && !memcmp(w, "unik.arg=", 9)) {
			char *s = decode(w + 9, len - 9);

			if (!s || out->argc == MAX_ARGS)
				kprintf(
				    "unik: ignoring bad or excess argument on the command line\n");
			else
				out->argv[out->argc++] = s;
		} else if (len >= 9 && !memcmp(w, "unik.env=", 9)) {
			char *s = decode(w + 9, len - 9);

			if (!s || out->envc == MAX_ARGS || !strchr(s, '='))
				kprintf("unik: ignoring bad or excess environment entry\n");
			else
				out->envp[out->envc++] = s;
		} else if (word_is(w, len, "unik.verbose")) {
			out->verbose = true;
		} else if (word_is(w, len, "unik.strace")) {
			out->strace = true;
		} else if (word_is(w, len, "unik.ring0")) {
			out->ring0 = true;
		} else if (word_is(w, len, "unik.net=dhcp")) {
			out->net_dhcp = true;
		} else if ((v = value_of(w, len, "unik.ip="))) {
			out->net_ip = v;
		} else if ((v = value_of(w, len, "unik.gw="))) {
			out->net_gw = v;
		} else if ((v = value_of(w, len, "unik.dns="))) {
			if (out->ndns < MAX_DNS)
				out->net_dns[out->ndns++] = v;
			else
				kprintf("unik: ignoring unik.dns=%s (at most %d servers)\n", v,
					MAX_DNS);
		}
	}
}
