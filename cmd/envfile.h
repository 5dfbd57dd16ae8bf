/* envfile.h - `unik run --env-file FILE`, in Docker's format: one
 * KEY=VALUE a line (the value as written, no quotes removed), blank lines
 * and lines starting with '#' skipped, leading blanks ignored, and a bare
 * KEY taking this shell's value (skipped when it has none). */
#ifndef UNIK_CMD_ENVFILE_H
#define UNIK_CMD_ENVFILE_H

#include "../lib/error.h"
#include "../lib/strv.h"

#define ENV_FILE_MAX (1 << 20) /* bytes */

/* Appends the variables of `path` to `env`: 0, or -1 with `err` set
 * ("FILE:LINE: ..." for a bad line). */
int env_file_read(const char *path, struct strv *env, struct unik_err *err);

/* Sets "K=V" in `env` (borrowed): an earlier K is replaced in place, so the
 * last one given wins, as Docker's. */
void env_set(struct strv *env, const char *kv);
/* The same, taking ownership of `kv`. */
void env_set_owned(struct strv *env, char *kv);

#endif
