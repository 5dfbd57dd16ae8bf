/* compose_yaml.c - libyaml's events into the tree of compose_yaml.h. */
#include "compose_yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "../lib/strbuf.h"
#include "../lib/xalloc.h"

struct anchor {
	char *name;
	struct cy_node *node;
};

struct frame {
	struct cy_node *node;
	char *anchor; /* registered when the node is complete */
	struct cy_node *key; /* a map's key waiting for its value */
	size_t cap;
};

struct loader {
	struct cy_doc *doc;
	struct frame stack[COMPOSE_DEPTH_MAX];
	int depth;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	int docs;
};

static int fail(struct loader *ld, int line, struct unik_err *err, const char *fmt, const char *a)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, a);
	return unik_err_set(err, UNIK_E_INVALID, "%s:%d: %s", ld->doc->path, line, msg);
}

static struct cy_node *new_node(struct cy_doc *doc, enum cy_kind kind, int line)
{
	struct cy_node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = line;
	n->weight = 1;
	if (doc->n_all == doc->cap_all) {
		doc->cap_all = doc->cap_all ? 2 * doc->cap_all : 64;
		doc->all = xrealloc(doc->all, doc->cap_all * sizeof(*doc->all));
	}
	doc->all[doc->n_all++] = n;
	return n;
}

static void add_anchor(struct loader *ld, const char *name, struct cy_node *n)
{
	if (ld->n_anchors == ld->cap_anchors) {
		ld->cap_anchors = ld->cap_anchors ? 2 * ld->cap_anchors : 16;
		ld->anchors = xrealloc(ld->anchors, ld->cap_anchors * sizeof(*ld->anchors));
	}
	ld->anchors[ld->n_anchors].name = xstrdup(name);
	ld->anchors[ld->n_anchors].node = n;
	ld->n_anchors++;
}

static struct cy_node *find_anchor(struct loader *ld, const char *name)
{
	/* the latest definition of a name wins, as YAML says */
	for (size_t i = ld->n_anchors; i-- > 0;)
		if (!strcmp(ld->anchors[i].name, name))
			return ld->anchors[i].node;
	return NULL;
}

static void push_item(struct cy_node *parent, struct cy_node *key, struct cy_node *item,
		      size_t *cap)
{
	if (parent->n == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		parent->items = xrealloc(parent->items, *cap * sizeof(*parent->items));
		if (parent->kind == CY_MAP)
			parent->keys = xrealloc(parent->keys, *cap * sizeof(*parent->keys));
	}
	if (parent->kind == CY_MAP)
		parent->keys[parent->n] = key;
	parent->items[parent->n++] = item;
}

/* Hands a complete node to its parent (or makes it the root). */
static int place(struct loader *ld, struct cy_node *n, struct unik_err *err)
{
	struct frame *f;

	if (n->weight > COMPOSE_NODES_MAX)
		return fail(ld, n->line, err,
			    "the file stands for too many values (aliases expanded: more than %s)",
			    "20000");
	if (ld->depth == 0) {
		if (ld->doc->root)
			return fail(ld, n->line, err, "%s", "one document only");
		ld->doc->root = n;
		return 0;
	}
	f = &ld->stack[ld->depth - 1];
	if (f->node->kind == CY_SEQ) {
		push_item(f->node, NULL, n, &f->cap);
	} else if (!f->key) {
		if (n->kind != CY_SCALAR)
			return fail(ld, n->line, err, "%s", "a key must be a plain value");
		for (size_t i = 0; i < f->node->n; i++)
			if (!strcmp(f->node->keys[i]->text, n->text))
				return fail(ld, n->line, err, "duplicate key '%s'", n->text);
		f->key = n;
		return 0;
	} else {
		push_item(f->node, f->key, n, &f->cap);
		f->key = NULL;
	}
	f->node->weight += n->weight;
	if (f->node->weight > COMPOSE_NODES_MAX)
		return fail(ld, n->line, err,
			    "the file stands for too many values (aliases expanded: more than %s)",
			    "20000");
	return 0;
}

static int on_event(struct loader *ld, yaml_event_t *ev, struct unik_err *err)
{
	int line = (int)ev->start_mark.line + 1;
	const char *anchor = NULL;
	struct cy_node *n;

	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_END_EVENT: return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (ld->docs++)
			return fail(ld, line, err, "%s", "one document only");
		return 0;
	case YAML_ALIAS_EVENT:
		n = find_anchor(ld, (const char *)ev->data.alias.anchor);
		if (!n)
			return fail(ld, line, err, "unknown alias '*%s'",
				    (const char *)ev->data.alias.anchor);
		return place(ld, n, err);
	case YAML_SCALAR_EVENT:
		n = new_node(ld->doc, CY_SCALAR, line);
		n->text = xmalloc(ev->data.scalar.length + 1);
		memcpy(n->text, ev->data.scalar.value, ev->data.scalar.length);
		n->text[ev->data.scalar.length] = '\0';
		if (strlen(n->text) != ev->data.scalar.length)
			return fail(ld, line, err, "%s", "a value holds a NUL byte");
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (ev->data.scalar.anchor)
			add_anchor(ld, (const char *)ev->data.scalar.anchor, n);
		return place(ld, n, err);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (ld->depth == COMPOSE_DEPTH_MAX)
			return fail(ld, line, err, "nested deeper than %s levels", "32");
		n = new_node(ld->doc, ev->type == YAML_SEQUENCE_START_EVENT ? CY_SEQ : CY_MAP,
			     line);
		anchor = ev->type == YAML_SEQUENCE_START_EVENT
			     ? (const char *)ev->data.sequence_start.anchor
			     : (const char *)ev->data.mapping_start.anchor;
		ld->stack[ld->depth].node = n;
		ld->stack[ld->depth].anchor = xstrdup(anchor);
		ld->stack[ld->depth].key = NULL;
		ld->stack[ld->depth].cap = 0;
		ld->depth++;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct frame *f = &ld->stack[--ld->depth];

		n = f->node;
		if (f->anchor) {
			add_anchor(ld, f->anchor, n);
			free(f->anchor);
			f->anchor = NULL;
		}
		return place(ld, n, err);
	}
	default: return fail(ld, line, err, "%s", "unexpected YAML event");
	}
}

int cy_load(struct cy_doc *doc, const char *name, const char *data, size_t len,
	    struct unik_err *err)
{
	struct loader ld;
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0, done = 0;

	memset(doc, 0, sizeof(*doc));
	doc->path = xstrdup(name);
	if (len > COMPOSE_FILE_MAX)
		return unik_err_set(err, UNIK_E_INVALID, "%s: larger than %d bytes", name,
				    COMPOSE_FILE_MAX);
	memset(&ld, 0, sizeof(ld));
	ld.doc = doc;
	if (!yaml_parser_initialize(&parser))
		return unik_err_set(err, UNIK_E_INTERNAL, "%s: cannot start the YAML parser", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!rc && !done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = unik_err_set(err, UNIK_E_INVALID, "%s:%d: %s%s%s", name,
					  (int)parser.problem_mark.line + 1,
					  parser.problem ? parser.problem : "bad YAML",
					  parser.context ? " " : "",
					  parser.context ? parser.context : "");
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&ld, &ev, err);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	while (ld.depth > 0)
		free(ld.stack[--ld.depth].anchor);
	for (size_t i = 0; i < ld.n_anchors; i++)
		free(ld.anchors[i].name);
	free(ld.anchors);
	return rc;
}

int cy_load_file(struct cy_doc *doc, const char *path, struct unik_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	size_t got;
	FILE *f;
	int rc;

	memset(doc, 0, sizeof(*doc));
	f = fopen(path, "r");
	if (!f)
		return unik_err_set(err, errno == ENOENT ? UNIK_E_NOT_FOUND : UNIK_E_INVALID,
				    "%s: %s", path, strerror(errno));
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
		strbuf_add(&sb, buf, got);
		if (sb.len > COMPOSE_FILE_MAX)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		strbuf_release(&sb);
		return unik_err_set(err, UNIK_E_INVALID, "%s: %s", path, strerror(errno));
	}
	fclose(f);
	rc = cy_load(doc, path, sb.buf ? sb.buf : "", sb.len, err);
	strbuf_release(&sb);
	return rc;
}

void cy_release(struct cy_doc *doc)
{
	for (size_t i = 0; i < doc->n_all; i++) {
		free(doc->all[i]->text);
		free(doc->all[i]->keys);
		free(doc->all[i]->items);
		free(doc->all[i]);
	}
	free(doc->all);
	free(doc->path);
	memset(doc, 0, sizeof(*doc));
}

int cy_is_null(const struct cy_node *n)
{
	if (!n)
		return 1;
	if (n->kind != CY_SCALAR || !n->plain)
		return 0;
	return !*n->text || !strcmp(n->text, "~") || !strcmp(n->text, "null") ||
	       !strcmp(n->text, "Null") || !strcmp(n->text, "NULL");
}

struct cy_node *cy_get(const struct cy_node *m, const char *key)
{
	if (!m || m->kind != CY_MAP)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->keys[i]->text, key))
			return m->items[i];
	return NULL;
}
