/* compose_yaml.h - a compose file read through libyaml into a small tree.
 *
 * The file is hostile input: it is read whole (at most COMPOSE_FILE_MAX
 * bytes), its nesting is bounded (COMPOSE_DEPTH_MAX), and so is the number
 * of nodes it stands for once every alias is expanded (COMPOSE_NODES_MAX),
 * which is what stops an alias bomb ("billion laughs"): an alias is not
 * copied but points at its anchor's node, and its expanded size counts
 * again each time it is used.  Merge keys ("<<") are not supported; they
 * come out as the key "<<", which the model refuses as an unknown key.
 * Every node keeps its line (1-based) for the messages.
 */
#ifndef UNIK_CMD_COMPOSE_YAML_H
#define UNIK_CMD_COMPOSE_YAML_H

#include <stddef.h>

#include "../lib/error.h"

#define COMPOSE_FILE_MAX (1 << 20) /* bytes */
#define COMPOSE_DEPTH_MAX 32
#define COMPOSE_NODES_MAX 20000 /* after alias expansion */

enum cy_kind { CY_SCALAR, CY_MAP, CY_SEQ };

struct cy_node {
	enum cy_kind kind;
	int line;
	int plain; /* a scalar written without quotes (null, ~ and "" are null only then) */
	char *text; /* CY_SCALAR */
	/* CY_MAP: keys[i] -> items[i]; CY_SEQ: items[i] */
	struct cy_node **keys, **items;
	size_t n;
	size_t weight; /* nodes this one stands for, itself included */
};

struct cy_doc {
	struct cy_node *root; /* NULL for an empty file */
	struct cy_node **all; /* every node made (the doc owns them) */
	size_t n_all, cap_all;
	char *path; /* for messages */
};

/* Reads `path` into `doc`.  0, or -1 with "PATH:LINE: ..." in `err`. */
int cy_load_file(struct cy_doc *doc, const char *path, struct unik_err *err);
/* The same from memory (`name` for messages). */
int cy_load(struct cy_doc *doc, const char *name, const char *data, size_t len,
	    struct unik_err *err);
void cy_release(struct cy_doc *doc);

/* 1 when `n` is a YAML null: ~, null, Null, NULL or nothing, unquoted. */
int cy_is_null(const struct cy_node *n);
/* The value of `key` in map `m`, or NULL. */
struct cy_node *cy_get(const struct cy_node *m, const char *key);

#endif
