/* cmdline.c - argv, environment and the runtime's switches from the boot
 * command line: the words and their %XX encoding are abi/boot.h's. */
#include "runtime.h"
#include "../../abi/boot.h"

static char strings[32768];
static size_t used;

/* Decodes s[0..len) into the string pool; NULL if malformed or full. */
static char *decode(const char *s, size_t len)
{
	char *out = strings + used;
	long n;

	if (len >= sizeof(strings) - used)
		return NULL; /* no room for the word (never longer decoded) and its NUL */
	n = unik_boot_decode(out, s, len);
	if (n < 0)
		return NULL;
	out[n] = 0;
	used += (size_t)n + 1;
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
	/* the program's name as the packer wrote it: in place, unless escaped */
	out->argv[out->argc++] = strchr(prog, '%') ? decode(prog, strlen(prog)) : (char *)prog;
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
		if (len >= 9 && !memcmp(w, UNIK_BOOT_ARG, 9)) {
			char *s = decode(w + 9, len - 9);

			if (!s || out->argc == MAX_ARGS)
				kprintf("unikernel: ignoring bad or excess argument on the command "
					"line\n");
			else
				out->argv[out->argc++] = s;
		} else if (len >= 9 && !memcmp(w, UNIK_BOOT_ENV, 9)) {
			char *s = decode(w + 9, len - 9);

			if (!s || out->envc == MAX_ARGS || !strchr(s, '='))
				kprintf("unikernel: ignoring bad or excess environment entry\n");
			else
				out->envp[out->envc++] = s;
		} else if (word_is(w, len, UNIK_BOOT_VERBOSE)) {
			out->verbose = true;
		} else if (word_is(w, len, UNIK_BOOT_STRACE)) {
			out->strace = true;
		} else if (word_is(w, len, UNIK_BOOT_RING0)) {
			out->ring0 = true;
		} else if (word_is(w, len, UNIK_BOOT_USERDATA_IMDS)) {
			out->userdata_imds = true;
		} else if (word_is(w, len, UNIK_BOOT_DHCP)) {
			out->net_dhcp = true;
		} else if ((v = value_of(w, len, UNIK_BOOT_IP))) {
			out->net_ip = v;
		} else if ((v = value_of(w, len, UNIK_BOOT_GW))) {
			out->net_gw = v;
		} else if ((v = value_of(w, len, UNIK_BOOT_MOUNT))) {
			if (out->nmounts < MAX_MOUNTS)
				out->mounts[out->nmounts++] = v;
			else
				kprintf("unikernel: ignoring unik.mount=%s (at most %d volumes)\n",
					v, MAX_MOUNTS);
		} else if ((v = value_of(w, len, UNIK_BOOT_DNS))) {
			if (out->ndns < MAX_DNS)
				out->net_dns[out->ndns++] = v;
			else
				kprintf("unikernel: ignoring unik.dns=%s (at most %d servers)\n", v,
					MAX_DNS);
		}
	}
}

void cmdline_apply_user_data(const char *line, struct cmdline *out)
{
	static struct cmdline u;

	cmdline_parse(line, "", &u);
	if (u.argc > 1) {
		for (int i = 1; i < u.argc; i++)
			out->argv[i] = u.argv[i];
		out->argc = u.argc;
		out->argv[out->argc] = NULL;
	}
	if (u.envc) {
		for (int i = 0; i < u.envc; i++)
			out->envp[i] = u.envp[i];
		out->envc = u.envc;
		out->envp[out->envc] = NULL;
	}
}
