/* template.h - the --format templates of the CLI, a small subset of
 * Docker's Go templates over a JSON object:
 *   {{.Key}}          a member (matched case-insensitively; "ID" is "id")
 *   {{.Key.Sub}}      a member of a member
 *   {{json .}}        the whole object as compact JSON; {{json .Key}} a member
 * Any other text is printed as it is.  Strings print without quotes,
 * numbers and booleans as JSON, a missing member as "<no value>". */
#ifndef UNIK_CMD_TEMPLATE_H
#define UNIK_CMD_TEMPLATE_H

#include <jansson.h>

#include "../lib/error.h"
#include "../lib/strbuf.h"

/* 0 if `tmpl` is a template this renderer takes, else -1 with err. */
int template_check(const char *tmpl, struct unik_err *err);
/* Appends `tmpl` rendered over `obj` (a checked template). */
void template_render(const char *tmpl, json_t *obj, struct strbuf *out);

#endif
