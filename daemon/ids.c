/* ids.c - random ids and names. */
#include "ids.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

#include "../api/types.h"
#include "../lib/hex.h"
#include "../lib/xalloc.h"

static void fill_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n <= 0)
			continue;
		p += n;
		len -= (size_t)n;
	}
}

char *ids_new(void)
{
	uint8_t raw[UNIK_ID_LEN / 2];
	char *s = xmalloc(UNIK_ID_LEN + 1);

	fill_random(raw, sizeof(raw));
	hex_encode(raw, sizeof(raw), s);
	s[UNIK_ID_LEN] = '\0';
	return s;
}

char *ids_random_name(void)
{
	static const char *const adj[] = {
		"brave",  "calm",   "eager", "fast",  "gentle", "happy", "keen", "lucid",
		"mighty", "nimble", "proud", "quick", "silent", "swift", "tiny", "witty",
	};
	static const char *const noun[] = {
		"atom",	 "comet", "falcon", "gecko", "heron", "koala", "lynx",	"moth",
		"otter", "panda", "quark",  "raven", "shark", "tiger", "viper", "wren",
	};
	uint16_t r[2];

	fill_random(r, sizeof(r));
	return xasprintf("%s_%s_%04x", adj[r[0] % 16], noun[(r[0] >> 4) % 16], r[1]);
}
