/* gotmpl.h - the small subset of Go's text/template that --format takes
 * (inspect, ps, images), rendered against a JSON value.
 *
 *   {{.}}          the value itself (a string as is, anything else as JSON)
 *   {{.Name}}      a member of an object; {{.A.B}} a member of a member
 *   {{json .X}}    the member as compact JSON (also {{json .}})
 *   \t  \n  \\     a tab, a newline, a backslash (as `docker --format` takes them)
 *
 * A member name matches a key exactly, else ignoring case and underscores
 * (so .ExitCode finds "exit_code").  A missing member prints "<no value>",
 * as Go's does; null prints "<nil>".  Anything else between {{ and }} is an
 * error, reported before anything is printed.
 */
#ifndef UNIK_CMD_GOTMPL_H
#define UNIK_CMD_GOTMPL_H

#include <jansson.h>

#include "../lib/error.h"
#include "../lib/strbuf.h"

/* Checks `tmpl` without rendering it: 0, or -1 with `err` set. */
int gotmpl_check(const char *tmpl, struct unik_err *err);

/* Appends `tmpl` rendered against `v` (borrowed) to `out`. */
int gotmpl_render(const char *tmpl, json_t *v, struct strbuf *out, struct unik_err *err);

/* The value the path ".A.B" (or ".") names in `v`, or NULL (borrowed). */
json_t *gotmpl_lookup(json_t *v, const char *path, size_t len);

#endif
