/* fuzz_bootargs.c - the boot-word codec (lib/bootargs.c), host to guest.
 *
 * Input: NUL-separated strings; the first byte says how many of them are
 * program arguments, the rest are environment entries (those the API
 * accepts: unik_env_valid).  The whole input is also fed to the decoder as
 * an encoded word.
 * Promises checked:
 *   - the encoding uses only [A-Za-z0-9._~-] and %XX, and decodes back to
 *     the same string;
 *   - the decoder accepts exactly the well-formed escapes, and what it
 *     decodes (up to a NUL) encodes and decodes back to itself;
 *   - the command line bootargs_append() makes is read by the runtime's
 *     decoder (runtime/core/cmdline.c, built for the host) as the same argv
 *     and environment, in order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../api/types.h"
#include "../../lib/bootargs.h"
#include "../../lib/strbuf.h"
#include "../../lib/strv.h"
#include "fuzz.h"

#include "../../runtime/core/cmdline.c"

void kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

static int is_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '~' || c == '-';
}

static int is_upper_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static int is_hex(unsigned char c)
{
	return is_upper_hex(c) || (c >= 'a' && c <= 'f');
}

/* 1 if s[0..len) is plain bytes and %XX escapes only. */
static int well_formed(const char *s, size_t len, int upper_only)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c != '%')
			continue;
		if (len - i < 3)
			return 0;
		if (upper_only
			? !is_upper_hex((unsigned char)s[i + 1]) ||
			      !is_upper_hex((unsigned char)s[i + 2])
			: !is_hex((unsigned char)s[i + 1]) || !is_hex((unsigned char)s[i + 2]))
			return 0;
		i += 2;
	}
	return 1;
}

static void check_round_trip(const char *s)
{
	struct strbuf enc = STRBUF_INIT, dec = STRBUF_INIT;

	bootargs_encode(&enc, s);
	for (size_t i = 0; i < enc.len; i++)
		FUZZ_CHECK(is_plain((unsigned char)enc.buf[i]) || enc.buf[i] == '%',
			   "encoding of '%s' has byte 0x%02x", s, (unsigned char)enc.buf[i]);
	FUZZ_CHECK(well_formed(strbuf_str(&enc), enc.len, 1), "encoding '%s' is malformed",
		   strbuf_str(&enc));
	FUZZ_CHECK(bootargs_decode(&dec, strbuf_str(&enc), enc.len) == 0,
		   "own encoding '%s' refused", strbuf_str(&enc));
	FUZZ_CHECK(dec.len == strlen(s) && !memcmp(strbuf_str(&dec), s, dec.len),
		   "'%s' -> '%s' decodes to something else", s, strbuf_str(&enc));
	strbuf_release(&enc);
	strbuf_release(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmdline out;
	struct strv args = STRV_INIT, env = STRV_INIT;
	struct strbuf dec = STRBUF_INIT, line = STRBUF_INIT;
	size_t nargs, pos;
	int rc;

	if (size < 1)
		return 0;

	/* the decoder over anything */
	rc = bootargs_decode(&dec, (const char *)data, size);
	FUZZ_CHECK((rc == 0) == well_formed((const char *)data, size, 0), "decoder %s a %s word",
		   rc ? "refused" : "accepted", rc ? "well-formed" : "malformed");
	if (rc == 0)
		check_round_trip(strbuf_str(&dec));
	strbuf_release(&dec);

	/* host -> guest */
	nargs = data[0];
	pos = 1;
	while (pos <= size) {
		const uint8_t *nul = memchr(data + pos, 0, size - pos);
		size_t n = nul ? (size_t)(nul - (data + pos)) : size - pos;
		char *s = fuzz_cstr(data + pos, n);

		check_round_trip(s);
		if (args.n < nargs)
			strv_push(&args, s);
		else if (unik_env_valid(s))
			strv_push(&env, s);
		free(s);
		pos += n + 1;
	}
	bootargs_append(&line, &args, &env);
	if (args.n < MAX_ARGS && env.n <= MAX_ARGS && line.len + 16 < sizeof(strings)) {
		used = 0;
		cmdline_parse(strbuf_str(&line), "app", &out);
		FUZZ_CHECK((size_t)out.argc == args.n + 1, "%zu arguments reach the guest as %d",
			   args.n, out.argc - 1);
		for (size_t i = 0; i < args.n; i++)
			FUZZ_CHECK(!strcmp(out.argv[i + 1], args.v[i]),
				   "argument %zu '%s' reaches the guest as '%s'", i, args.v[i],
				   out.argv[i + 1]);
		FUZZ_CHECK((size_t)out.envc == env.n,
			   "%zu environment entries reach the guest as %d", env.n, out.envc);
		for (size_t i = 0; i < env.n; i++)
			FUZZ_CHECK(!strcmp(out.envp[i], env.v[i]),
				   "environment entry '%s' reaches the guest as '%s'", env.v[i],
				   out.envp[i]);
	}
	strbuf_release(&line);
	strv_release(&args);
	strv_release(&env);
	return 0;
}
