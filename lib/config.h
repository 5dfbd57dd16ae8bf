/* config.h - the daemon's configuration file: INI sections of key = value.
 *
 *   # comment
 *   [qemu]
 *   accel = auto
 *
 * Keys are looked up as "section.key" ("qemu.accel").  Keys before any
 * section belong to "daemon".  docs/config.md lists every key.
 */
#ifndef UNIK_CONFIG_H
#define UNIK_CONFIG_H

#include <stddef.h>

#include "error.h"

struct unik_config {
	char **keys; /* "section.key" */
	char **values;
	size_t n;
};

void unik_config_init(struct unik_config *cfg);
void unik_config_release(struct unik_config *cfg);
/* Parses `path`; a missing file is not an error when `optional`. */
int unik_config_load(struct unik_config *cfg, const char *path, int optional, struct unik_err *err);
/* Parses text (for tests and defaults); `origin` names it in errors. */
int unik_config_parse(struct unik_config *cfg, const char *text, const char *origin,
		      struct unik_err *err);
/* Sets (or replaces) one key. */
void unik_config_set(struct unik_config *cfg, const char *key, const char *value);
/* The value of "section.key", or `def` (borrowed) when absent. */
const char *unik_config_get(const struct unik_config *cfg, const char *key, const char *def);
/* Integer value; -1 with err when not an integer. */
int unik_config_get_int(const struct unik_config *cfg, const char *key, long long def,
			long long *out, struct unik_err *err);

#endif
